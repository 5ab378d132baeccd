/* maintain.c -- daily rollups, retention purges, maintenance_log
 * (spec/30 §3; product decisions 5 and 6; see maintain.h).
 *
 * Tables written: visitor_views_daily, visitor_views_daily_dim,
 * maintenance_log; rows deleted from visitor_views, semantic_events,
 * perf_metrics and the two rollup tables.
 *
 * Rolling up day D is one READ COMMITTED transaction:
 *
 *     upsert maintenance_log(D)        <- takes D's row lock first
 *     DELETE D's groups (both rollup tables)
 *     SELECT D's clean, non-excluded rows once (hourly slices), group them
 *       in memory (api/stats_agg.c: the groups of §3.4 and every dimension)
 *     multi-row INSERTs of the groups into both rollup tables
 *     UPDATE maintenance_log(D) SET status='complete' ...
 *     COMMIT
 *
 * One read of the day instead of one INSERT ... SELECT per table and
 * dimension (nine scans with temporary tables) makes a day's rollup several
 * times faster, and the overview counts its raw days with the same code
 * (maintain_scan), so a day's numbers do not change when it is rolled up.
 *
 * Taking the log row's lock before reading raw rows is what makes
 * maintain_mark_stale() safe against a concurrent rollup: an ingest that
 * committed rows of D and then marks D stale either ran before the lock (and
 * its rows are visible to the rollup's later statements) or waits for the
 * COMMIT and then turns the fresh 'complete' back into 'stale'. Readers see
 * D either wholly raw or wholly rolled up.
 *
 * Status values: 'started', 'complete', 'failed' (spec/30 §1.2.11) and
 * 'stale' (a rolled-up day an ingest backfill touched; re-rolled by the
 * retry pass like 'failed'). */
#include "api/maintain.h"
#include "api/stats_util.h"
#include "core/config.h"
#include "core/log.h"
#include "store/db.h"
#include "store/jobs.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MOD "maintain"
#define PURGE_CHUNK 10000
#define ROLLUP_KEEP_DAYS 730
#define RUN_HOUR 3

#define DAY_MS 86400000LL
#define SLICE_MS 3600000LL         /* a day is read in hourly slices */
#define TO_DAYS_EPOCH 719528       /* TO_DAYS('1970-01-01') */
#define MAX_BATCH 64               /* rows per multi-row INSERT */

/* The rows a rollup counts (spec/30 §3.4): clean, not excluded. Only the
 * columns the groups need; labels are built in api/stats_agg.c. */
#define SCAN_COLS_SITE(site_col) \
    "SELECT TO_DAYS(v.created_at), " site_col ", v.visitor_id, v.path, v.referrer_type," \
    " v.os_name, v.browser_name, v.browser_version, v.screen_width, v.screen_height," \
    " v.device_type, v.country_code, v.is_returning, v.interaction_ms FROM visitor_views v"
/* One site: its id is not sent with every row (NULL in its place). */
#define SCAN_COLS SCAN_COLS_SITE("v.site_id")
#define SCAN_COLS_1 SCAN_COLS_SITE("NULL")
#define SCAN_CLEAN \
    " v.created_at >= ? AND v.created_at < ? AND v.bot_score BETWEEN 0 AND 49" \
    " AND NOT EXISTS (SELECT 1 FROM excluded_visitors e WHERE e.visitor_id = v.visitor_id)"

static agg_str_t col(const db_res_t *r, size_t c)
{
    return (agg_str_t){ db_str(r, c), db_len(r, c) };
}

/* Where the rows of a scan lie in the table. Rows arrive in id order and
 * created_at is their arrival time, so a day's (or an hour's) rows are
 * normally one stretch of ids, and reading that stretch of the clustered
 * index costs a fraction of looking every row up from a secondary index
 * (~0.2 against ~1.3 us a row; the secondary index cannot cover the scan:
 * `path` is up to 8 KiB, over InnoDB's 3 KiB key limit). The bounds and the
 * count come from the (site_id, created_at, bot_score) or (created_at,
 * bot_score) index alone (~3 ms a day). A stretch more than SPAN_FACTOR times longer than
 * the rows it holds (other sites' traffic, a backfill's late ids) is read
 * through the secondary index as before. Both paths select the same rows
 * with the same conditions. */
#define SPAN_FACTOR 4
#define SCAN_SPAN(index) \
    "SELECT MIN(v.id), MAX(v.id), COUNT(*) FROM visitor_views v FORCE INDEX (" index ")" \
    " WHERE v.created_at >= ? AND v.created_at < ? AND v.bot_score BETWEEN 0 AND 49"

int maintain_scan(agg_t *a, const char *site, const char *from, const char *to)
{
    db_res_t *r;
    /* The optimizer prefers (site_id, created_at), which lacks bot_score
     * and looks every row up: name the covering index. */
    int rc = site ? db_query(&r, SCAN_SPAN("idx_vv_site_created_clean") " AND v.site_id = ?",
                             "sss", from, to, site)
                  : db_query(&r, SCAN_SPAN("idx_vv_created_bot"), "ss", from, to);
    if (rc != 0) return MAINTAIN_EDB;
    long long lo = 0, hi = -1, n = 0;
    if (db_next(r) && !db_isnull(r, 0)) {
        lo = db_int(r, 0);
        hi = db_int(r, 1);
        n = db_int(r, 2);
    }
    db_free(r);
    if (n <= 0) return MAINTAIN_OK;
    if (hi - lo < SPAN_FACTOR * n)
        rc = site ? db_query(&r, SCAN_COLS_1 " FORCE INDEX (PRIMARY) WHERE v.id BETWEEN ? AND ?"
                                 " AND v.site_id = ? AND" SCAN_CLEAN, "iisss", lo, hi, site, from, to)
                  : db_query(&r, SCAN_COLS " FORCE INDEX (PRIMARY) WHERE v.id BETWEEN ? AND ? AND"
                                 SCAN_CLEAN, "iiss", lo, hi, from, to);
    else
        rc = site ? db_query(&r, SCAN_COLS_1 " WHERE v.site_id = ? AND" SCAN_CLEAN, "sss",
                             site, from, to)
                  : db_query(&r, SCAN_COLS " WHERE" SCAN_CLEAN, "ss", from, to);
    if (rc != 0) return MAINTAIN_EDB;
    agg_row_t row;
    while (db_next(r)) {
        row.day = (long)(db_int(r, 0) - TO_DAYS_EPOCH);
        row.site = site ? (agg_str_t){ site, strlen(site) } : col(r, 1);
        row.visitor = col(r, 2);
        row.path = col(r, 3);
        row.referrer_type = col(r, 4);
        row.os_name = col(r, 5);
        row.browser_name = col(r, 6);
        row.browser_version = col(r, 7);
        row.screen_width = col(r, 8);
        row.screen_height = col(r, 9);
        row.device_type = col(r, 10);
        row.country_code = col(r, 11);
        row.is_returning = col(r, 12);
        row.interaction_ms = db_int(r, 13);
        agg_add_row(a, &row);
    }
    db_free(r);
    return MAINTAIN_OK;
}

/* ---- writing the groups: multi-row INSERTs of 1, 2, 4, ... MAX_BATCH rows
 * (a handful of statement texts, each prepared once) ---- */

#define MAIN_COLS "INSERT INTO visitor_views_daily (site_id, date, device_type, country_code," \
    " is_returning, visits, unique_visitors, avg_interaction_ms) VALUES "
#define MAIN_TUPLE "(?, ?, ?, ?, ?, ?, ?, ?)"
#define MAIN_NPAR 8
/* label_key as the readers compute it: MD5 of 'v' + label, or of 'n' for NULL. */
#define DIM_COLS "INSERT INTO visitor_views_daily_dim (site_id, dim, date, label_key, label," \
    " views, visitors) VALUES "
#define DIM_TUPLE "(?, ?, ?, UNHEX(MD5(IFNULL(CONCAT('v', ?), 'n'))), ?, ?, ?)"
#define DIM_NPAR 7

enum { NBATCH = 7 };               /* 1 .. 64 */
static char *insert_sql[2][NBATCH];

static const char *batch_sql(int dim, int k)
{
    if (!insert_sql[dim][k]) {
        const char *head = dim ? DIM_COLS : MAIN_COLS, *tuple = dim ? DIM_TUPLE : MAIN_TUPLE;
        size_t rows = (size_t)1 << k, n = strlen(head) + rows * (strlen(tuple) + 2) + 1;
        char *s = malloc(n);
        if (!s) abort();
        size_t len = (size_t)snprintf(s, n, "%s", head);
        for (size_t i = 0; i < rows; i++)
            len += (size_t)snprintf(s + len, n - len, "%s%s", i ? ", " : "", tuple);
        insert_sql[dim][k] = s;
    }
    return insert_sql[dim][k];
}

static db_param_t p_str(agg_str_t v)
{
    db_param_t p;
    memset(&p, 0, sizeof p);
    p.type = v.s ? 'b' : 'n';
    p.s = v.s;
    p.len = v.len;
    return p;
}

static db_param_t p_int(long long v)
{
    db_param_t p;
    memset(&p, 0, sizeof p);
    p.type = 'i';
    p.i = v;
    return p;
}

/* Insert the groups of `a` of kind AGG_MAIN (dim = 0) or of every dim
 * (dim = 1) for date. Returns the number of rows written, or -1. */
static long long write_groups(const agg_t *a, int dim, const char *date)
{
    agg_str_t d = { date, strlen(date) };
    db_param_t *p = calloc(MAX_BATCH * MAIN_NPAR, sizeof *p);
    if (!p) abort();
    size_t ng = agg_ngroups(a), i = 0;
    long long written = 0;
    while (i < ng) {
        size_t rows = 0, np = 0;
        size_t left = 0;
        for (size_t j = i; j < ng && left < MAX_BATCH; j++)
            if ((agg_group(a, j)->kind != AGG_MAIN) == dim) left++;
        if (!left) break;
        int k = 0;
        while (((size_t)2 << k) <= left && k + 1 < NBATCH) k++;
        size_t want = (size_t)1 << k;
        for (; i < ng && rows < want; i++) {
            const agg_group_t *g = agg_group(a, i);
            if ((g->kind != AGG_MAIN) != dim) continue;
            p[np++] = p_str(g->site);
            if (dim) {
                const char *name = agg_dim_name(g->kind);
                p[np++] = p_str((agg_str_t){ name, strlen(name) });
                p[np++] = p_str(d);
                p[np++] = p_str(g->part[0]);
                p[np++] = p_str(g->part[0]);
                p[np++] = p_int(g->views);
                p[np++] = p_int(g->visitors);
            } else {
                p[np++] = p_str(d);
                p[np++] = p_str(g->part[0]);
                p[np++] = p_str(g->part[1]);
                p[np++] = p_str(g->part[2]);
                p[np++] = p_int(g->views);
                p[np++] = p_int(g->visitors);
                p[np++] = p_int(agg_group_avg(g));
            }
            rows++;
        }
        if (db_execv(batch_sql(dim, k), p, np) < 0) {
            free(p);
            return -1;
        }
        written += (long long)rows;
    }
    free(p);
    return written;
}

static long long now_ms_clock(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the lock ---- */

static int lock_take(long wait_s)
{
    long long r = db_scalar_int("SELECT GET_LOCK('echelon_maint', ?)", "i", (long long)wait_s);
    if (r == 1) return MAINTAIN_OK;
    if (r == 0) return MAINTAIN_EBUSY;
    return MAINTAIN_EDB;
}

static void lock_release(void)
{
    db_scalar_int("SELECT RELEASE_LOCK('echelon_maint')", "");
}

/* ---- rollup of one day ---- */

enum { ROLL_RETRY, ROLL_FULL };

/* Roll day `day` up and mark it complete in one transaction. ROLL_RETRY
 * leaves rollup_rows as it was (spec/30 §3.3 step 1). */
static int rollup_tx(long day, int mode, long long *groups_out)
{
    char date[16], now[32];
    stats_fmt_date(day, date, sizeof date);
    stats_fmt_sql_ms(now_ms_clock(), now, sizeof now);
    long long groups = -1;
    agg_t *agg = NULL;

    if (db_exec_script("SET TRANSACTION ISOLATION LEVEL READ COMMITTED") != 0 || db_begin() != 0)
        return MAINTAIN_EDB;
    if (db_exec("INSERT INTO maintenance_log (date, status, started_at) VALUES (?, 'started', ?)"
                " ON DUPLICATE KEY UPDATE date = date", "ss", date, now) < 0)
        goto fail;
    if (db_exec("DELETE FROM visitor_views_daily WHERE date = ?", "s", date) < 0) goto fail;
    if (db_exec("DELETE FROM visitor_views_daily_dim WHERE date = ?", "s", date) < 0) goto fail;
    /* Read the day once, in hourly slices (bounded result sets), and
     * group it in memory; then write both rollup tables. */
    agg = agg_new();
    for (long long t = (long long)day * DAY_MS; t < (long long)(day + 1) * DAY_MS; t += SLICE_MS) {
        char a0[32], a1[32];
        stats_fmt_sql_ms(t, a0, sizeof a0);
        stats_fmt_sql_ms(t + SLICE_MS, a1, sizeof a1);
        if (maintain_scan(agg, NULL, a0, a1) != MAINTAIN_OK) goto fail;
    }
    groups = write_groups(agg, 0, date);
    if (groups < 0 || write_groups(agg, 1, date) < 0) goto fail;
    agg_free(agg);
    agg = NULL;
    stats_fmt_sql_ms(now_ms_clock(), now, sizeof now);
    if (mode == ROLL_RETRY) {
        if (db_exec("UPDATE maintenance_log SET status = 'complete', completed_at = ? WHERE date = ?",
                    "ss", now, date) < 0)
            goto fail;
    } else if (db_exec("UPDATE maintenance_log SET status = 'complete', completed_at = ?,"
                       " rollup_rows = ? WHERE date = ?", "sis", now, groups, date) < 0) {
        goto fail;
    }
    if (db_commit() != 0) goto fail;
    if (groups_out) *groups_out = groups;
    return MAINTAIN_OK;
fail:
    agg_free(agg);
    log_err(MOD, "rollup of %s failed: %s", date, db_error());
    db_rollback();
    return MAINTAIN_EDB;
}

static long today_of(long long now_ms)
{
    return (long)(now_ms / 86400000);
}

int maintain_rollup_day(const char *date, long long *groups)
{
    long day;
    if (stats_parse_date(date, &day) != 0) {
        log_err(MOD, "rollup: invalid date format: %.32s", date ? date : "(null)");
        return MAINTAIN_EINVAL;
    }
    if (day >= today_of(now_ms_clock())) return MAINTAIN_EINVAL;
    int rc = lock_take(30);
    if (rc != MAINTAIN_OK) return rc;
    rc = rollup_tx(day, ROLL_FULL, groups);
    lock_release();
    return rc;
}

int maintain_mark_stale(const char *date)
{
    long day;
    if (stats_parse_date(date, &day) != 0) return MAINTAIN_EINVAL;
    if (db_exec("UPDATE maintenance_log SET status = 'stale' WHERE date = ? AND status = 'complete'",
                "s", date) < 0)
        return MAINTAIN_EDB;
    return MAINTAIN_OK;
}

/* ---- purge ---- */

/* Repeat a bounded DELETE until a chunk comes back short; sum the counts. */
static long long delete_chunked(const char *sql, const char *cut)
{
    long long total = 0;
    for (;;) {
        long long n = db_exec(sql, "si", cut, (long long)PURGE_CHUNK);
        if (n < 0) return -1;
        total += n;
        if (n < PURGE_CHUNK) return total;
    }
}

int maintain_purge(long long now_ms, long retention, long bot_retention, maintain_report_t *rep)
{
    if (now_ms <= 0) now_ms = now_ms_clock();
    if (retention <= 0) retention = cfg->retention_days;
    if (bot_retention <= 0) bot_retention = cfg->bot_retention_days;
    long today = today_of(now_ms);
    char cut_r[32], cut_b[32], d[16], cut_daily[16];
    stats_fmt_date(today - retention, d, sizeof d);
    snprintf(cut_r, sizeof cut_r, "%s 00:00:00.000", d);
    stats_fmt_date(today - bot_retention, d, sizeof d);
    snprintf(cut_b, sizeof cut_b, "%s 00:00:00.000", d);
    stats_fmt_date(today - ROLLUP_KEEP_DAYS, cut_daily, sizeof cut_daily);

    /* ORDER BY the indexed column keeps each chunk an index range scan and
     * the statement deterministic for statement-based replication. */
    rep->views_deleted = delete_chunked(
        "DELETE FROM visitor_views WHERE created_at < ? AND bot_score BETWEEN 0 AND 49"
        " ORDER BY created_at LIMIT ?", cut_r);
    rep->events_deleted = delete_chunked(
        "DELETE FROM semantic_events WHERE created_at < ? AND bot_score BETWEEN 0 AND 49"
        " ORDER BY created_at LIMIT ?", cut_r);
    rep->bot_views_deleted = delete_chunked(
        "DELETE FROM visitor_views WHERE created_at < ? AND (bot_score >= 50 OR bot_score < 0)"
        " ORDER BY created_at LIMIT ?", cut_b);
    rep->bot_events_deleted = delete_chunked(
        "DELETE FROM semantic_events WHERE created_at < ? AND (bot_score >= 50 OR bot_score < 0)"
        " ORDER BY created_at LIMIT ?", cut_b);
    rep->daily_deleted = delete_chunked(
        "DELETE FROM visitor_views_daily WHERE date < ? ORDER BY date LIMIT ?", cut_daily);
    long long dims = delete_chunked(
        "DELETE FROM visitor_views_daily_dim WHERE date < ? ORDER BY date LIMIT ?", cut_daily);
    rep->perf_deleted = delete_chunked(
        "DELETE FROM perf_metrics WHERE recorded_at < ? ORDER BY recorded_at LIMIT ?", cut_r);
    if (rep->views_deleted < 0 || rep->events_deleted < 0 || rep->bot_views_deleted < 0 ||
        rep->bot_events_deleted < 0 || rep->daily_deleted < 0 || dims < 0 || rep->perf_deleted < 0)
        return MAINTAIN_EDB;
    return MAINTAIN_OK;
}

/* ---- the run ---- */

typedef struct day_set {
    long *days;
    size_t n;
} day_set_t;

static int load_days(day_set_t *s, const char *sql, const char *fmt, const char *a, const char *b)
{
    db_res_t *r;
    s->days = NULL;
    s->n = 0;
    if ((fmt[0] ? db_query(&r, sql, fmt, a, b) : db_query(&r, sql, "")) != 0) return -1;
    s->days = calloc(db_nrows(r) + 1, sizeof(long));
    if (!s->days) abort();
    while (db_next(r)) {
        long d;
        const char *txt = db_str(r, 0);
        if (txt && stats_parse_date(txt, &d) == 0) s->days[s->n++] = d;
    }
    db_free(r);
    return 0;
}

static int has_day(const day_set_t *s, long d)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->days[i] == d) return 1;
    return 0;
}

static int over_budget(long long t0, long budget_ms)
{
    return budget_ms > 0 && mono_ms() - t0 >= budget_ms;
}

/* Work on yesterday: roll up (unless already complete and not forced),
 * purge, record the counts. Returns MAINTAIN_OK or an error (row -> failed). */
static int run_target(long t_day, long long now_ms, int flags, maintain_report_t *rep, int *done)
{
    char date[16], now[32];
    stats_fmt_date(t_day, date, sizeof date);
    stats_fmt_sql_ms(now_ms_clock(), now, sizeof now);
    *done = 0;
    db_res_t *r;
    if (db_query(&r, "SELECT status, purge_views FROM maintenance_log WHERE date = ?", "s", date) != 0)
        return MAINTAIN_EDB;
    int exists = db_next(r);
    int complete = exists && db_str(r, 0) && strcmp(db_str(r, 0), "complete") == 0;
    int purged = exists && !db_isnull(r, 1);
    db_free(r);
    if (complete && purged && !(flags & MAINTAIN_FORCE)) return MAINTAIN_OK;

    /* Claim: an existing row is left untouched (spec/30 §3.3 step 2). */
    if (db_exec("INSERT INTO maintenance_log (date, status, started_at) VALUES (?, 'started', ?)"
                " ON DUPLICATE KEY UPDATE date = date", "ss", date, now) < 0)
        return MAINTAIN_EDB;
    long long groups = 0;
    int rc = MAINTAIN_OK;
    if (!complete || (flags & MAINTAIN_FORCE)) {
        rc = rollup_tx(t_day, ROLL_FULL, &groups);
        if (rc == MAINTAIN_OK) rep->days_rolled++;
    } else {
        groups = db_scalar_int("SELECT IFNULL(rollup_rows, 0) FROM maintenance_log WHERE date = ?",
                               "s", date);
    }
    if (rc == MAINTAIN_OK) rc = maintain_purge(now_ms, 0, 0, rep);
    if (rc == MAINTAIN_OK) {
        rep->rollup_rows = groups;
        stats_fmt_sql_ms(now_ms_clock(), now, sizeof now);
        if (db_exec("UPDATE maintenance_log SET status = 'complete', rollup_rows = ?,"
                    " purge_views = ?, purge_events = ?, completed_at = ? WHERE date = ?",
                    "iiiss", groups, rep->views_deleted + rep->bot_views_deleted,
                    rep->events_deleted + rep->bot_events_deleted, now, date) < 0)
            rc = MAINTAIN_EDB;
    }
    if (rc != MAINTAIN_OK) {
        db_exec("UPDATE maintenance_log SET status = 'failed' WHERE date = ?", "s", date);
        log_err(MOD, "maintenance of %s failed", date);
        return rc;
    }
    *done = 1;
    return MAINTAIN_OK;
}

int maintain_run(long long now_ms, int flags, long budget_ms, maintain_report_t *rep)
{
    maintain_report_t dummy;
    if (!rep) rep = &dummy;
    memset(rep, 0, sizeof *rep);
    if (now_ms <= 0) now_ms = now_ms_clock();
    long long t0 = mono_ms();
    long today = today_of(now_ms);
    long t_day = today - 1;
    int hour = (int)(now_ms % 86400000 / 3600000);

    int rc = lock_take(flags & MAINTAIN_WAIT ? 600 : 0);
    if (rc != MAINTAIN_OK) return rc;

    /* 1. Retry pass: every day that is not complete, oldest first. */
    day_set_t s;
    if (load_days(&s, "SELECT date FROM maintenance_log WHERE status <> 'complete' ORDER BY date",
                  "", NULL, NULL) != 0) {
        rc = MAINTAIN_EDB;
        goto out;
    }
    for (size_t i = 0; i < s.n; i++) {
        if (s.days[i] >= t_day) continue;      /* yesterday: step 2 */
        if (over_budget(t0, budget_ms)) { rep->more = 1; break; }
        if (rollup_tx(s.days[i], ROLL_RETRY, NULL) == MAINTAIN_OK) rep->days_rolled++;
    }
    free(s.days);
    if (rep->more) goto out;

    /* 1b. Catch-up (decision 5): every day of the raw window without a row. */
    char lo[16], hi[16];
    long lo_day = today - (cfg->retention_days > 0 ? cfg->retention_days : 90) - 1;
    stats_fmt_date(lo_day, lo, sizeof lo);
    stats_fmt_date(t_day, hi, sizeof hi);
    if (load_days(&s, "SELECT date FROM maintenance_log WHERE date >= ? AND date < ?",
                  "ss", lo, hi) != 0) {
        rc = MAINTAIN_EDB;
        goto out;
    }
    for (long d = lo_day; d < t_day; d++) {
        if (has_day(&s, d)) continue;
        if (over_budget(t0, budget_ms)) { rep->more = 1; break; }
        if (rollup_tx(d, ROLL_FULL, NULL) == MAINTAIN_OK) rep->days_rolled++;
    }
    free(s.days);
    if (rep->more) goto out;

    /* 2-5. Yesterday, once the day is settled (after 03:00 UTC). */
    if (hour >= RUN_HOUR || (flags & MAINTAIN_ANYHOUR)) {
        if (over_budget(t0, budget_ms)) {
            rep->more = 1;
            goto out;
        }
        rc = run_target(t_day, now_ms, flags, rep, &rep->target_done);
    }
out:
    lock_release();
    if (rep->days_rolled || rep->target_done)
        log_info(MOD, "run: %ld day(s) rolled up, target %s, %lld groups, purged %lld/%lld views,"
                 " %lld/%lld events (clean/bot)%s", rep->days_rolled,
                 rep->target_done ? "done" : "not due", rep->rollup_rows, rep->views_deleted,
                 rep->bot_views_deleted, rep->events_deleted, rep->bot_events_deleted,
                 rep->more ? "; more to do" : "");
    return rc;
}

int maintain_job(long budget_ms)
{
    maintain_report_t rep;
    int rc = maintain_run(0, 0, budget_ms, &rep);
    if (rc == MAINTAIN_EBUSY) return 0;
    if (rc != MAINTAIN_OK) return -1;
    return rep.more ? 1 : 0;
}

void maintain_init(void)
{
    jobs_register_bg("maintain", maintain_job, 10L * 60 * 1000, JOB_CLUSTER, 3600L * 1000);
}

/* ---- echelon-ctl commands ---- */

static void print_report(const maintain_report_t *r)
{
    printf("{\"days_rolled\":%ld,\"target_done\":%d,\"rollup_rows\":%lld,"
           "\"views_deleted\":%lld,\"events_deleted\":%lld,\"bot_views_deleted\":%lld,"
           "\"bot_events_deleted\":%lld,\"daily_deleted\":%lld,\"perf_deleted\":%lld}\n",
           r->days_rolled, r->target_done, r->rollup_rows, r->views_deleted, r->events_deleted,
           r->bot_views_deleted, r->bot_events_deleted, r->daily_deleted, r->perf_deleted);
}

/* echelon-ctl maintain [--force]: the whole run now, whatever the hour,
 * waiting for a run in progress elsewhere. */
int maintain_ctl_maintain(int argc, char **argv)
{
    int flags = MAINTAIN_WAIT | MAINTAIN_ANYHOUR;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--force") == 0) flags |= MAINTAIN_FORCE;
        else {
            fprintf(stderr, "usage: echelon-ctl maintain [--force]\n");
            return 2;
        }
    }
    maintain_report_t rep;
    long long t0 = mono_ms();
    int rc;
    do {
        rc = maintain_run(0, flags, 0, &rep);
    } while (rc == MAINTAIN_OK && rep.more);
    if (rc != MAINTAIN_OK) {
        fprintf(stderr, "maintain failed (%d)\n", rc);
        return 1;
    }
    print_report(&rep);
    fprintf(stderr, "maintain: %lld ms\n", mono_ms() - t0);
    return 0;
}

/* echelon-ctl rollup YYYY-MM-DD [...]: re-roll days (each strictly past). */
int maintain_ctl_rollup(int argc, char **argv)
{
    if (argc < 1) {
        fprintf(stderr, "usage: echelon-ctl rollup YYYY-MM-DD...\n");
        return 2;
    }
    for (int i = 0; i < argc; i++) {
        long long groups = 0;
        int rc = maintain_rollup_day(argv[i], &groups);
        if (rc == MAINTAIN_EINVAL) {
            fprintf(stderr, "rollup: invalid date format: %s\n", argv[i]);
            return 1;
        }
        if (rc != MAINTAIN_OK) {
            fprintf(stderr, "rollup of %s failed (%d)\n", argv[i], rc);
            return 1;
        }
        printf("%s %lld\n", argv[i], groups);
    }
    return 0;
}

/* echelon-ctl purge [RETENTION [BOT_RETENTION]]: the purge alone. */
int maintain_ctl_purge(int argc, char **argv)
{
    long r = argc > 0 ? atol(argv[0]) : 0, b = argc > 1 ? atol(argv[1]) : 0;
    maintain_report_t rep;
    memset(&rep, 0, sizeof rep);
    if (lock_take(600) != MAINTAIN_OK) return 1;
    int rc = maintain_purge(0, r, b > 0 ? b : r, &rep);
    lock_release();
    if (rc != MAINTAIN_OK) return 1;
    print_report(&rep);
    return 0;
}
