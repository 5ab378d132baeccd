/* db.c -- one MariaDB connection per process, prepared statements only.
 *
 * Design: statements are prepared once per connection and cached by their
 * SQL text (callers pass string literals, so the cache stays small). Results
 * are buffered client-side and converted to text rows, which keeps the
 * accessor API tiny (db_str/db_int/db_dbl) and frees callers from MYSQL_BIND.
 * When the server goes away the connection and the cache are dropped; the
 * next call reconnects, at most once per second while the server is down so
 * a dead database costs a request one failed attempt, not a hang. */
#include "store/db.h"
#include "core/config.h"
#include "core/log.h"
#include <mysql.h>
#include <errmsg.h>
#include <mysqld_error.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define STMT_CACHE 256
#define MAX_PARAMS 4096

typedef struct cached_stmt {
    const char *sql;      /* pointer identity first, then strcmp */
    char *sql_copy;
    MYSQL_STMT *stmt;
} cached_stmt_t;

struct db_res {
    size_t ncols, nrows, cur;
    char **names;
    char ***rows;         /* rows[r][c], NULL for SQL NULL */
    size_t **lens;
};

/* Two connections: the primary, and the optional read replica
 * (ECHELON_DB_READ_HOST) that statistics reads use. Everything below works
 * on the current one; db_use_replica() switches. */
typedef struct db_slot {
    MYSQL *m;
    cached_stmt_t stmts[STMT_CACHE];
    size_t nstmts;
    time_t down;
} db_slot_t;
static db_slot_t slots[2];
static db_slot_t *cur = &slots[0];
#define conn (cur->m)
#define cache (cur->stmts)
#define ncache (cur->nstmts)
#define down_until (cur->down)
static char last_error[512];
static unsigned last_errno;
static unsigned read_timeout = 30;

void db_set_read_timeout(unsigned seconds) { read_timeout = seconds; }

static void set_error(unsigned no, const char *msg)
{
    last_errno = no;
    snprintf(last_error, sizeof last_error, "%s", msg ? msg : "");
}

const char *db_error(void) { return last_error; }
unsigned db_errno(void) { return last_errno; }

static void drop_cache(void)
{
    for (size_t i = 0; i < ncache; i++) {
        if (cache[i].stmt) mysql_stmt_close(cache[i].stmt);
        free(cache[i].sql_copy);
    }
    ncache = 0;
}

void db_forget_after_fork(void)
{
    /* Leak on purpose: the child exits soon, and mysql_close() or
     * mysql_stmt_close() would send COM_QUIT/COM_STMT_CLOSE on the socket
     * the parent still uses. */
    for (int i = 0; i < 2; i++) {
        slots[i].m = NULL;
        slots[i].nstmts = 0;
        slots[i].down = 0;
    }
    cur = &slots[0];
}

static void close_current(void)
{
    drop_cache();
    if (conn) mysql_close(conn);
    conn = NULL;
}

void db_close(void)
{
    db_slot_t *keep = cur;
    for (int i = 0; i < 2; i++) {
        cur = &slots[i];
        close_current();
    }
    cur = keep;
}

int db_use_replica(int on)
{
    int was = cur == &slots[1];
    cur = on && cfg->db_read_host && *cfg->db_read_host ? &slots[1] : &slots[0];
    return was;
}

static MYSQL *open_conn(unsigned connect_s, unsigned read_s, char *err, size_t errsz)
{
    MYSQL *m = mysql_init(NULL);
    if (!m) return NULL;
    unsigned int ct = connect_s, rt = read_s, wt = read_s ? read_s : 30;
    mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &ct);
    if (rt) mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &rt);
    mysql_options(m, MYSQL_OPT_WRITE_TIMEOUT, &wt);
    mysql_options(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    mysql_options(m, MYSQL_INIT_COMMAND,
                  "SET time_zone='+00:00', group_concat_max_len=1048576");
    const char *host = cur == &slots[1] ? cfg->db_read_host : cfg->db_host;
    /* "localhost" means the unix socket to MariaDB clients; keep that for
     * the replica setting too (a local replica or tests). */
    const char *sock = *cfg->db_socket && (cur == &slots[0] || strcmp(host, "localhost") == 0)
                           ? cfg->db_socket : NULL;
    if (!mysql_real_connect(m, sock ? NULL : host, cfg->db_user, cfg->db_password,
                            cfg->db_name, (unsigned)cfg->db_port, sock,
                            CLIENT_FOUND_ROWS | CLIENT_MULTI_STATEMENTS)) {
        snprintf(err, errsz, "%s", mysql_error(m));
        set_error(mysql_errno(m), mysql_error(m));
        mysql_close(m);
        return NULL;
    }
    return m;
}

int db_connect(void)
{
    if (conn) return 0;
    time_t now = time(NULL);
    if (now < down_until) return -1;
    char err[256];
    conn = open_conn(2, read_timeout, err, sizeof err);
    if (!conn) {
        down_until = now + 1;
        log_err("db", "connect failed: %s", err);
        return -1;
    }
    down_until = 0;
    return 0;
}

int db_is_down(void) { return !conn && time(NULL) < down_until; }

int db_ping(void)
{
    /* A fresh short-timeout probe: a stopped server cannot stall the caller
     * for longer than about a second. */
    char err[256];
    MYSQL *m = open_conn(1, 1, err, sizeof err);
    if (!m) return -1;
    int rc = mysql_query(m, "SELECT 1");
    if (rc == 0) {
        MYSQL_RES *r = mysql_store_result(m);
        if (r) mysql_free_result(r);
    }
    mysql_close(m);
    return rc == 0 ? 0 : -1;
}

static int gone(unsigned e)
{
    return e == CR_SERVER_GONE_ERROR || e == CR_SERVER_LOST || e == CR_CONNECTION_ERROR ||
           e == CR_CONN_HOST_ERROR || e == ER_CONNECTION_KILLED;
}

static void fail(const char *what, const char *sql, unsigned e, const char *msg)
{
    set_error(e, msg);
    char head[48];
    snprintf(head, sizeof head, "%s", sql);
    for (char *p = head; *p; p++) if (*p == '\n') *p = ' ';
    if (e != ER_DUP_ENTRY) log_err("db", "%s failed (%u: %s) in: %s...", what, e, msg, head);
    if (gone(e)) {
        close_current();
        down_until = time(NULL) + 1;
    }
}

static MYSQL_STMT *prepare(const char *sql)
{
    for (size_t i = 0; i < ncache; i++)
        if (cache[i].sql == sql && strcmp(cache[i].sql_copy, sql) == 0) return cache[i].stmt;
    for (size_t i = 0; i < ncache; i++)
        if (strcmp(cache[i].sql_copy, sql) == 0) return cache[i].stmt;
    MYSQL_STMT *st = mysql_stmt_init(conn);
    if (!st) return NULL;
    if (mysql_stmt_prepare(st, sql, strlen(sql)) != 0) {
        fail("prepare", sql, mysql_stmt_errno(st), mysql_stmt_error(st));
        mysql_stmt_close(st);
        return NULL;
    }
    my_bool one = 1;
    mysql_stmt_attr_set(st, STMT_ATTR_UPDATE_MAX_LENGTH, &one);
    if (ncache == STMT_CACHE) {          /* evict the oldest */
        mysql_stmt_close(cache[0].stmt);
        free(cache[0].sql_copy);
        memmove(cache, cache + 1, sizeof(cache[0]) * (STMT_CACHE - 1));
        ncache--;
    }
    cache[ncache].sql = sql;
    cache[ncache].sql_copy = strdup(sql);
    cache[ncache].stmt = st;
    ncache++;
    return st;
}

static void forget(MYSQL_STMT *st)
{
    for (size_t i = 0; i < ncache; i++) {
        if (cache[i].stmt == st) {
            mysql_stmt_close(st);
            free(cache[i].sql_copy);
            memmove(cache + i, cache + i + 1, sizeof(cache[0]) * (ncache - i - 1));
            ncache--;
            return;
        }
    }
}

static void bind_params(MYSQL_BIND *b, const db_param_t *p, size_t n, my_bool *nulls, unsigned long *lens)
{
    memset(b, 0, sizeof(MYSQL_BIND) * n);
    for (size_t i = 0; i < n; i++) {
        nulls[i] = 0;
        switch (p[i].type) {
        case 's':
        case 'b':
            if (!p[i].s) { b[i].buffer_type = MYSQL_TYPE_NULL; nulls[i] = 1; b[i].is_null = &nulls[i]; break; }
            b[i].buffer_type = MYSQL_TYPE_STRING;
            b[i].buffer = (void *)p[i].s;
            lens[i] = (unsigned long)(p[i].type == 'b' ? p[i].len : strlen(p[i].s));
            b[i].buffer_length = lens[i];
            b[i].length = &lens[i];
            break;
        case 'i':
            b[i].buffer_type = MYSQL_TYPE_LONGLONG;
            b[i].buffer = (void *)&p[i].i;
            break;
        case 'u':
            b[i].buffer_type = MYSQL_TYPE_LONGLONG;
            b[i].buffer = (void *)&p[i].u;
            b[i].is_unsigned = 1;
            break;
        case 'd':
            b[i].buffer_type = MYSQL_TYPE_DOUBLE;
            b[i].buffer = (void *)&p[i].d;
            break;
        default:
            b[i].buffer_type = MYSQL_TYPE_NULL;
            nulls[i] = 1;
            b[i].is_null = &nulls[i];
        }
    }
}

static size_t parse_fmt(const char *fmt, va_list ap, db_param_t *p, size_t max)
{
    size_t n = 0;
    for (const char *f = fmt ? fmt : ""; *f && n < max; f++, n++) {
        memset(&p[n], 0, sizeof p[n]);
        p[n].type = *f;
        switch (*f) {
        case 's': p[n].s = va_arg(ap, const char *); break;
        case 'b': p[n].s = va_arg(ap, const char *); p[n].len = va_arg(ap, size_t); break;
        case 'i': p[n].i = va_arg(ap, long long); break;
        case 'u': p[n].u = va_arg(ap, unsigned long long); break;
        case 'd': p[n].d = va_arg(ap, double); break;
        default: p[n].type = 'n'; break;
        }
    }
    return n;
}

void db_free(db_res_t *r)
{
    if (!r) return;
    for (size_t i = 0; i < r->nrows; i++) free(r->rows[i]);   /* one block per row */
    for (size_t c = 0; c < r->ncols; c++) free(r->names[c]);
    free(r->names);
    free(r->rows);
    free(r->lens);
    free(r);
}

/* Execute with params; when out != NULL, buffer the result set. Returns
 * affected rows (or 0 for queries) / -1. One retry when the connection was
 * found gone before the statement reached the server. */
static long long run(const char *sql, const db_param_t *p, size_t n, db_res_t **out)
{
    if (out) *out = NULL;
    if (n > MAX_PARAMS) {
        set_error(0, "too many parameters");
        return -1;
    }
    for (int attempt = 0; attempt < 2; attempt++) {
        if (db_connect() != 0) return -1;
        MYSQL_STMT *st = prepare(sql);
        if (!st) {
            if (!conn && attempt == 0) continue;    /* went away: reconnect once */
            return -1;
        }
        MYSQL_BIND *b = n ? calloc(n, sizeof *b) : NULL;
        my_bool *nulls = n ? calloc(n, sizeof *nulls) : NULL;
        unsigned long *lens = n ? calloc(n, sizeof *lens) : NULL;
        if (n) bind_params(b, p, n, nulls, lens);
        int rc = (n ? mysql_stmt_bind_param(st, b) : 0) || mysql_stmt_execute(st);
        free(b);
        free(nulls);
        free(lens);
        if (rc) {
            unsigned e = mysql_stmt_errno(st);
            if (e == CR_SERVER_GONE_ERROR && attempt == 0) {
                close_current();
                down_until = 0;
                continue;
            }
            if (e == ER_NEED_REPREPARE || e == CR_NO_PREPARE_STMT) {
                forget(st);
                if (attempt == 0) continue;
            }
            fail("execute", sql, e, mysql_stmt_error(st));
            return -1;
        }
        MYSQL_RES *meta = mysql_stmt_result_metadata(st);
        if (!meta) {
            long long aff = (long long)mysql_stmt_affected_rows(st);
            if (out) {
                *out = calloc(1, sizeof(db_res_t));
                if (!*out) abort();
            }
            return aff < 0 ? 0 : aff;
        }
        if (mysql_stmt_store_result(st) != 0) {
            fail("store", sql, mysql_stmt_errno(st), mysql_stmt_error(st));
            mysql_free_result(meta);
            return -1;
        }
        size_t ncols = mysql_num_fields(meta);
        MYSQL_FIELD *fields = mysql_fetch_fields(meta);
        db_res_t *r = calloc(1, sizeof *r);
        if (!r) abort();
        r->ncols = ncols;
        r->names = calloc(ncols ? ncols : 1, sizeof(char *));
        size_t nrows = (size_t)mysql_stmt_num_rows(st);
        r->rows = calloc(nrows ? nrows : 1, sizeof(char **));
        r->lens = calloc(nrows ? nrows : 1, sizeof(size_t *));
        MYSQL_BIND *rb = calloc(ncols ? ncols : 1, sizeof *rb);
        unsigned long *rl = calloc(ncols ? ncols : 1, sizeof *rl);
        my_bool *rn = calloc(ncols ? ncols : 1, sizeof *rn);
        char **bufs = calloc(ncols ? ncols : 1, sizeof(char *));
        for (size_t c = 0; c < ncols; c++) {
            r->names[c] = strdup(fields[c].name);
            size_t cap = fields[c].max_length + 1;
            if (cap < 64) cap = 64;
            bufs[c] = malloc(cap);
            rb[c].buffer_type = MYSQL_TYPE_STRING;
            rb[c].buffer = bufs[c];
            rb[c].buffer_length = cap;
            rb[c].length = &rl[c];
            rb[c].is_null = &rn[c];
        }
        mysql_stmt_bind_result(st, rb);
        size_t i = 0;
        while (i < nrows) {
            int f = mysql_stmt_fetch(st);
            if (f == 1 || f == MYSQL_NO_DATA) break;
            /* One allocation per row: the cell pointers, their lengths and
             * the text itself (large reads copy hundreds of thousands of
             * cells; one malloc each was a fifth of such a query's time). */
            size_t need = ncols * (sizeof(char *) + sizeof(size_t));
            for (size_t c = 0; c < ncols; c++)
                if (!rn[c]) need += (rl[c] < rb[c].buffer_length ? rl[c] : rb[c].buffer_length) + 1;
            char *blk = malloc(need ? need : 1);
            if (!blk) abort();
            char **cells = (char **)(void *)blk;
            size_t *lens = (size_t *)(void *)(blk + ncols * sizeof(char *));
            char *text = blk + ncols * (sizeof(char *) + sizeof(size_t));
            for (size_t c = 0; c < ncols; c++) {
                cells[c] = NULL;
                lens[c] = 0;
                if (rn[c]) continue;
                size_t len = rl[c] < rb[c].buffer_length ? rl[c] : rb[c].buffer_length;
                memcpy(text, bufs[c], len);
                text[len] = '\0';
                cells[c] = text;
                lens[c] = len;
                text += len + 1;
            }
            r->rows[i] = cells;
            r->lens[i] = lens;
            i++;
        }
        r->nrows = i;
        for (size_t c = 0; c < ncols; c++) free(bufs[c]);
        free(bufs);
        free(rb);
        free(rl);
        free(rn);
        mysql_stmt_free_result(st);
        mysql_free_result(meta);
        if (out) *out = r;
        else db_free(r);
        return 0;
    }
    return -1;
}

long long db_execv(const char *sql, const db_param_t *p, size_t n) { return run(sql, p, n, NULL); }

long long db_exec(const char *sql, const char *fmt, ...)
{
    db_param_t p[64];
    va_list ap;
    va_start(ap, fmt);
    size_t n = parse_fmt(fmt, ap, p, 64);
    va_end(ap);
    return run(sql, p, n, NULL);
}

int db_queryv(db_res_t **out, const char *sql, const db_param_t *p, size_t n)
{
    return run(sql, p, n, out) < 0 ? -1 : 0;
}

int db_query(db_res_t **out, const char *sql, const char *fmt, ...)
{
    db_param_t p[64];
    va_list ap;
    va_start(ap, fmt);
    size_t n = parse_fmt(fmt, ap, p, 64);
    va_end(ap);
    return run(sql, p, n, out) < 0 ? -1 : 0;
}

int db_exec_script(const char *sql)
{
    if (db_connect() != 0) return -1;
    if (mysql_query(conn, sql) != 0) {
        fail("script", sql, mysql_errno(conn), mysql_error(conn));
        return -1;
    }
    /* Drain every result of a multi-statement script; stop at the first error. */
    for (;;) {
        MYSQL_RES *r = mysql_store_result(conn);
        if (r) mysql_free_result(r);
        int st = mysql_next_result(conn);
        if (st == -1) break;
        if (st > 0) {
            fail("script", sql, mysql_errno(conn), mysql_error(conn));
            return -1;
        }
    }
    return 0;
}

int db_next(db_res_t *r)
{
    if (!r) return 0;
    if (r->cur >= r->nrows) return 0;
    r->cur++;
    return 1;
}

static size_t row_of(const db_res_t *r) { return r->cur ? r->cur - 1 : 0; }
size_t db_ncols(const db_res_t *r) { return r ? r->ncols : 0; }
size_t db_nrows(const db_res_t *r) { return r ? r->nrows : 0; }
const char *db_colname(const db_res_t *r, size_t c) { return r && c < r->ncols ? r->names[c] : NULL; }

const char *db_str(const db_res_t *r, size_t c)
{
    if (!r || c >= r->ncols || r->nrows == 0) return NULL;
    return r->rows[row_of(r)][c];
}

int db_isnull(const db_res_t *r, size_t c) { return db_str(r, c) == NULL; }

size_t db_len(const db_res_t *r, size_t c)
{
    if (!r || c >= r->ncols || r->nrows == 0) return 0;
    return r->lens[row_of(r)][c];
}

long long db_int(const db_res_t *r, size_t c)
{
    const char *s = db_str(r, c);
    return s ? strtoll(s, NULL, 10) : 0;
}

double db_dbl(const db_res_t *r, size_t c)
{
    const char *s = db_str(r, c);
    return s ? strtod(s, NULL) : 0.0;
}

unsigned long long db_last_insert_id(void) { return conn ? mysql_insert_id(conn) : 0; }

static int simple(const char *sql)
{
    if (db_connect() != 0) return -1;
    if (mysql_query(conn, sql) != 0) {
        fail(sql, sql, mysql_errno(conn), mysql_error(conn));
        return -1;
    }
    return 0;
}

int db_begin(void) { return simple("START TRANSACTION"); }
int db_commit(void) { return simple("COMMIT"); }
int db_rollback(void) { return conn ? simple("ROLLBACK") : -1; }

/* The scalar queries' common part: run, step to the first row. Returns -1
 * on error, else whether there is a row; *r must be freed unless -1. */
static int first_row(db_res_t **r, const char *sql, const char *fmt, va_list ap)
{
    db_param_t p[64];
    size_t n = parse_fmt(fmt, ap, p, 64);
    if (run(sql, p, n, r) < 0) return -1;
    return db_next(*r) ? 1 : 0;
}

long long db_scalar_int(const char *sql, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    db_res_t *r;
    int row = first_row(&r, sql, fmt, ap);
    va_end(ap);
    if (row < 0) return -1;
    long long v = row && !db_isnull(r, 0) ? db_int(r, 0) : -1;
    db_free(r);
    return v;
}

int db_scalar_str(char *out, size_t outsz, const char *sql, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    db_res_t *r;
    int row = first_row(&r, sql, fmt, ap);
    va_end(ap);
    if (row < 0) return -1;
    int found = row && db_str(r, 0);
    if (found) snprintf(out, outsz, "%s", db_str(r, 0));
    db_free(r);
    return found;
}
