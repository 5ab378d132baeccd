/* db: the worker's one MariaDB connection.
 *
 * Owns: connecting (unix socket or TCP from cfg, CLIENT_FOUND_ROWS, utf8mb4,
 * session time_zone '+00:00', group_concat_max_len 1 MiB), reconnecting on
 * the next call after a failure (at most one attempt per second while down),
 * a cache of prepared statements keyed by SQL text, and transactions.
 * Promises: SQL runs only as prepared statements with bound parameters;
 * results come back as text (NULL stays NULL), converted by the accessors;
 * errors are negative return codes, logged once with the SQL's first words.
 * Never: builds SQL from values, or blocks a request for more than the
 * configured connect/read timeouts (2 s connect, 10 s read).
 *
 * Parameter format strings: one char per parameter —
 *   's' const char *   (NULL binds SQL NULL)
 *   'b' const char *, size_t   (string with explicit length)
 *   'i' long long      'u' unsigned long long     'd' double
 *   'n' nothing: binds SQL NULL                                        */
#ifndef ECHELON_STORE_DB_H
#define ECHELON_STORE_DB_H
#include <stddef.h>
#include <stdint.h>

typedef struct db_res db_res_t;

typedef struct db_param {
    char type;                 /* 's','b','i','u','d','n' as above */
    const char *s;
    size_t len;
    long long i;
    unsigned long long u;
    double d;
} db_param_t;

int db_connect(void);          /* 0 or -1; called lazily by the others */
void db_set_read_timeout(unsigned seconds); /* before connecting; 0 = none (echelon-ctl) */
int db_ping(void);             /* 0 if the server answers now */
void db_close(void);
/* In a forked child: forget the parent's connection without a word to the
 * server (closing it would end the parent's session too). */
void db_forget_after_fork(void);
/* Route the following statements to the read replica (ECHELON_DB_READ_HOST)
 * when one is configured, or back to the primary. Returns the previous
 * setting. Without a replica this is a no-op. */
int db_use_replica(int on);
int db_is_down(void);          /* last attempt failed and retry backoff is active */

/* Run a statement that returns no rows. Returns affected rows (>= 0) or -1. */
long long db_exec(const char *sql, const char *fmt, ...);
long long db_execv(const char *sql, const db_param_t *p, size_t n);
/* Run a query; *out receives the buffered result (free with db_free). 0 / -1. */
int db_query(db_res_t **out, const char *sql, const char *fmt, ...);
int db_queryv(db_res_t **out, const char *sql, const db_param_t *p, size_t n);
/* Plain text SQL without parameters (DDL, migrations: may hold several
 * statements separated by ';'). 0 / -1. */
int db_exec_script(const char *sql);

int db_next(db_res_t *r);      /* 1 = a row is current, 0 = end */
size_t db_ncols(const db_res_t *r);
size_t db_nrows(const db_res_t *r);
const char *db_colname(const db_res_t *r, size_t col);
int db_isnull(const db_res_t *r, size_t col);
const char *db_str(const db_res_t *r, size_t col);   /* NULL for SQL NULL */
size_t db_len(const db_res_t *r, size_t col);
long long db_int(const db_res_t *r, size_t col);     /* 0 for NULL */
double db_dbl(const db_res_t *r, size_t col);
void db_free(db_res_t *r);

unsigned long long db_last_insert_id(void);
int db_begin(void);
int db_commit(void);
int db_rollback(void);
const char *db_error(void);    /* last server error text (for logs only) */
unsigned db_errno(void);       /* last server error number (1062 = duplicate key) */

/* Convenience: first column of the first row as integer; -1 on error/no row. */
long long db_scalar_int(const char *sql, const char *fmt, ...);
/* First column of the first row as text into out (truncated to outsz): 1, or
 * 0 when there is no row or it is NULL, or -1 on error. */
int db_scalar_str(char *out, size_t outsz, const char *sql, const char *fmt, ...);
#endif
