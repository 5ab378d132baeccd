/* bench_insert: MariaDB's cost per visitor_views row, by insert form.
 *
 *   bench_insert MARIADBD_PID TABLE MODE ROWS
 *
 * Inserts ROWS rows shaped like stored beacons (random visitor and record
 * ids, 4096 paths, request-time created_at) into TABLE, 500 rows per
 * transaction as the shipper does, and prints the server's CPU per row
 * (utime + stime of MARIADBD_PID, which includes its background threads)
 * and the wall time per row. MODE:
 *   multi50  prepared INSERT of 50 rows per statement, ON DUPLICATE KEY
 *            UPDATE record_id = record_id (what collect/ship.c sends)
 *   bulk500  one prepared single-row INSERT, same clause, executed once per
 *            transaction with 500 rows bound as arrays (MariaDB's bulk
 *            execution, STMT_ATTR_ARRAY_SIZE)
 * BENCH_IDS=ordered makes record ids start with the big-endian millisecond
 * time instead of being random. Connection from the environment: ECHELON_DB_SOCKET, ECHELON_DB_USER,
 * ECHELON_DB_PASSWORD, ECHELON_DB_NAME (var/stack.env). bench_insert.sh
 * builds it and runs both modes against a scratch copy of the table. */
#include <mysql.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define COLS 25
#define TXN_ROWS 500
#define STMT_ROWS 50

/* per column: s = text, i = integer, b = 16 bytes (record_id) */
static const char kind[COLS + 1] = "ssssiiisssssissisissssssb";
static const char cols[] =
    "(`visitor_id`,`path`,`site_id`,`session_id`,`interaction_ms`,`screen_width`,`screen_height`,"
    "`device_type`,`os_name`,`browser_name`,`browser_version`,`country_code`,`is_returning`,"
    "`referrer`,`referrer_type`,`bot_score`,`bot_score_detail`,`is_pwa`,`utm_source`,`utm_medium`,"
    "`utm_campaign`,`utm_content`,`utm_term`,`created_at`,`record_id`)";
static const char odku[] = " ON DUPLICATE KEY UPDATE `record_id` = `record_id`";

typedef struct row {
    char vid[20], path[24], sid[40], ts[40], rid[16];
    const char *s[COLS];
    long long i[COLS];
    unsigned long len[COLS];
} row_t;

static MYSQL *m;
static long long seq;
static int ordered_ids;       /* BENCH_IDS=ordered: time-ordered record ids */

static double server_cpu(int pid)
{
    char p[64], b[4096];
    snprintf(p, sizeof p, "/proc/%d/stat", pid);
    FILE *f = fopen(p, "r");
    if (!f) return -1;
    size_t n = fread(b, 1, sizeof b - 1, f);
    fclose(f);
    b[n] = '\0';
    char *q = strrchr(b, ')');
    unsigned long long ut = 0, st = 0;
    if (!q || sscanf(q + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
        return -1;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void make_row(row_t *r)
{
    seq++;
    snprintf(r->vid, sizeof r->vid, "%016llx", (unsigned long long)(seq * 2654435761ULL) ^ (unsigned long long)rand());
    snprintf(r->path, sizeof r->path, "/bench-%lld", seq % 4096);
    snprintf(r->sid, sizeof r->sid, "%08x-4b1d-4c2e-8f3a-%012llx", (unsigned)rand(), seq);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char day[24];
    strftime(day, sizeof day, "%Y-%m-%d %H:%M:%S", &tm);
    snprintf(r->ts, sizeof r->ts, "%s.%03d", day, (int)(ts.tv_nsec / 1000000));
    for (int i = 0; i < 16; i++) r->rid[i] = (char)rand();
    if (ordered_ids) {                  /* big-endian milliseconds first */
        unsigned long long ms = (unsigned long long)ts.tv_sec * 1000 + (unsigned long long)ts.tv_nsec / 1000000;
        for (int i = 0; i < 8; i++) r->rid[i] = (char)(ms >> (56 - 8 * i));
    }
    const char *s[COLS] = { r->vid, r->path, "bench-insert", r->sid, NULL, NULL, NULL, "desktop", "Linux",
                            "Chrome", "131.0.0.0", NULL, NULL, "direct_or_unknown", "direct_or_unknown",
                            NULL, "{}", NULL, NULL, NULL, NULL, NULL, NULL, r->ts, r->rid };
    memcpy(r->s, s, sizeof s);
    memset(r->i, 0, sizeof r->i);
    r->i[4] = 2400;
    r->i[5] = 1920;
    r->i[6] = 1080;
    for (int c = 0; c < COLS; c++) r->len[c] = kind[c] == 'b' ? 16 : r->s[c] ? strlen(r->s[c]) : 0;
}

static void die(const char *what, const char *err)
{
    fprintf(stderr, "bench_insert: %s: %s\n", what, err);
    exit(1);
}

static void query(const char *sql)
{
    if (mysql_query(m, sql) != 0) die(sql, mysql_error(m));
}

static MYSQL_STMT *prepare(const char *table, int rows)
{
    size_t cap = 512 + (size_t)rows * (COLS * 2 + 4) + sizeof odku;
    char *sql = malloc(cap);
    int o = snprintf(sql, cap, "INSERT INTO `%s` %s VALUES ", table, cols);
    for (int r = 0; r < rows; r++) {
        o += snprintf(sql + o, cap - (size_t)o, r ? ",(" : "(");
        for (int c = 0; c < COLS; c++) o += snprintf(sql + o, cap - (size_t)o, c ? ",?" : "?");
        o += snprintf(sql + o, cap - (size_t)o, ")");
    }
    o += snprintf(sql + o, cap - (size_t)o, "%s", odku);
    MYSQL_STMT *st = mysql_stmt_init(m);
    if (!st || mysql_stmt_prepare(st, sql, (unsigned long)o) != 0) die("prepare", mysql_stmt_error(st));
    free(sql);
    return st;
}

static void multi(const char *table, int total)
{
    MYSQL_STMT *st = prepare(table, STMT_ROWS);
    row_t *R = calloc(STMT_ROWS, sizeof *R);
    MYSQL_BIND *b = calloc(STMT_ROWS * COLS, sizeof *b);
    for (int done = 0; done < total;) {
        query("BEGIN");
        for (int k = 0; k < TXN_ROWS / STMT_ROWS && done < total; k++, done += STMT_ROWS) {
            for (int r = 0; r < STMT_ROWS; r++) {
                make_row(&R[r]);
                for (int c = 0; c < COLS; c++) {
                    MYSQL_BIND *x = &b[r * COLS + c];
                    memset(x, 0, sizeof *x);
                    if (kind[c] == 'i') {
                        x->buffer_type = MYSQL_TYPE_LONGLONG;
                        x->buffer = &R[r].i[c];
                    } else if (!R[r].s[c]) {
                        x->buffer_type = MYSQL_TYPE_NULL;
                    } else {
                        x->buffer_type = MYSQL_TYPE_STRING;
                        x->buffer = (void *)R[r].s[c];
                        x->length = &R[r].len[c];
                    }
                }
            }
            if (mysql_stmt_bind_param(st, b) != 0 || mysql_stmt_execute(st) != 0)
                die("execute", mysql_stmt_error(st));
        }
        query("COMMIT");
    }
    mysql_stmt_close(st);
    free(R);
    free(b);
}

static void bulk(const char *table, int total)
{
    MYSQL_STMT *st = prepare(table, 1);
    unsigned int n = TXN_ROWS;
    mysql_stmt_attr_set(st, STMT_ATTR_ARRAY_SIZE, &n);
    row_t *R = calloc(TXN_ROWS, sizeof *R);
    const char **sp[COLS];
    unsigned long *ln[COLS];
    long long *ip[COLS];
    char *ind[COLS];
    for (int c = 0; c < COLS; c++) {
        sp[c] = calloc(TXN_ROWS, sizeof *sp[c]);
        ln[c] = calloc(TXN_ROWS, sizeof *ln[c]);
        ip[c] = calloc(TXN_ROWS, sizeof *ip[c]);
        ind[c] = calloc(TXN_ROWS, 1);
    }
    MYSQL_BIND b[COLS];
    for (int done = 0; done < total; done += TXN_ROWS) {
        for (int r = 0; r < TXN_ROWS; r++) {
            make_row(&R[r]);
            for (int c = 0; c < COLS; c++) {
                ip[c][r] = R[r].i[c];
                sp[c][r] = R[r].s[c];
                ln[c][r] = R[r].len[c];
                ind[c][r] = kind[c] != 'i' && !R[r].s[c] ? STMT_INDICATOR_NULL : STMT_INDICATOR_NONE;
            }
        }
        memset(b, 0, sizeof b);
        for (int c = 0; c < COLS; c++) {
            b[c].buffer_type = kind[c] == 'i' ? MYSQL_TYPE_LONGLONG : MYSQL_TYPE_STRING;
            b[c].buffer = kind[c] == 'i' ? (void *)ip[c] : (void *)sp[c];
            if (kind[c] != 'i') b[c].length = ln[c];
            b[c].u.indicator = ind[c];
        }
        query("BEGIN");
        if (mysql_stmt_bind_param(st, b) != 0 || mysql_stmt_execute(st) != 0)
            die("execute", mysql_stmt_error(st));
        query("COMMIT");
    }
    mysql_stmt_close(st);
    free(R);
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: bench_insert MARIADBD_PID TABLE multi50|bulk500 ROWS\n");
        return 2;
    }
    int pid = atoi(argv[1]), total = atoi(argv[4]);
    const char *table = argv[2], *mode = argv[3];
    srand((unsigned)getpid());
    ordered_ids = getenv("BENCH_IDS") && strcmp(getenv("BENCH_IDS"), "ordered") == 0;
    m = mysql_init(NULL);
    if (!mysql_real_connect(m, NULL, getenv("ECHELON_DB_USER"), getenv("ECHELON_DB_PASSWORD"),
                            getenv("ECHELON_DB_NAME"), 0, getenv("ECHELON_DB_SOCKET"), 0))
        die("connect", mysql_error(m));
    query("SET NAMES utf8mb4");
    double c0 = server_cpu(pid), t0 = now_s();
    if (strcmp(mode, "multi50") == 0) multi(table, total);
    else if (strcmp(mode, "bulk500") == 0) bulk(table, total);
    else die("mode", mode);
    double c1 = server_cpu(pid), t1 = now_s();
    printf("  %-8s %d rows: MariaDB %.1f us CPU per row, %.1f us wall per row (%.0f rows/s)\n", mode, total,
           (c1 - c0) * 1e6 / total, (t1 - t0) * 1e6 / total, total / (t1 - t0));
    mysql_close(m);
    return 0;
}
