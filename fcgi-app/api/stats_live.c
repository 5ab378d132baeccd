/* stats_live.c -- GET /api/stats/realtime, /dashboard, /summary
 * (spec/30 §2.2-§2.4).
 *
 * Live numbers come from the Redis keys the shipper writes
 * (collect/live_keys.h): the 5-minute visitor sets rt:<site>:hv / :bv, the
 * 10-second pageview and path buckets, and the per-minute / per-hour
 * counters. One pipelined exchange per request. When Redis does not answer,
 * the same numbers are computed from MariaDB (slower, never an error).
 * The recent-visitor and recent-event lists, and the 24-hour summary, always
 * come from MariaDB (index (site_id, created_at, bot_score) / (created_at,
 * bot_score)). */
#include "api/stats.h"
#include "api/stats_int.h"
#include "api/stats_util.h"
#include "collect/live_keys.h"
#include "core/config.h"
#include "store/db.h"
#include "store/kv.h"
#include "store/shipper.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NBUCKETS 30             /* 30 x 10 s = the 5-minute window */
#define MAX_PATHS 4096          /* distinct paths merged from the buckets */

typedef struct live_path {
    char *path;
    long long views;
} live_path_t;

typedef struct live {
    long long active, bots, pageviews;
    live_path_t *paths;
    size_t npaths;
} live_t;

static void live_free(live_t *l)
{
    for (size_t i = 0; i < l->npaths; i++) free(l->paths[i].path);
    free(l->paths);
    memset(l, 0, sizeof *l);
}

static void live_add_path(live_t *l, const char *p, size_t n, long long v)
{
    for (size_t i = 0; i < l->npaths; i++)
        if (strlen(l->paths[i].path) == n && memcmp(l->paths[i].path, p, n) == 0) {
            l->paths[i].views += v;
            return;
        }
    if (l->npaths == MAX_PATHS) return;
    if (l->npaths % 64 == 0) {
        void *np = realloc(l->paths, (l->npaths + 64) * sizeof *l->paths);
        if (!np) abort();
        l->paths = np;
    }
    l->paths[l->npaths].path = strndup(p, n);
    if (!l->paths[l->npaths].path) abort();
    l->paths[l->npaths++].views = v;
}

/* The realtime window from Redis. 0, or -1 when Redis did not answer. */
static int live_redis(const char *site, long long now, int want_paths, live_t *l)
{
    memset(l, 0, sizeof *l);
    char key[160];
    long long lo = now - LK_RT_WINDOW_MS;
    long long b = now / LK_RT_BUCKET_MS;
    int sent = 0;
    snprintf(key, sizeof key, LK_RT_HV, site);
    sent += kv_pipe("ZREMRANGEBYSCORE %s%s -inf (%lld", kv_prefix, key, lo) == 0;
    sent += kv_pipe("ZCARD %s%s", kv_prefix, key) == 0;
    snprintf(key, sizeof key, LK_RT_BV, site);
    sent += kv_pipe("ZREMRANGEBYSCORE %s%s -inf (%lld", kv_prefix, key, lo) == 0;
    sent += kv_pipe("ZCARD %s%s", kv_prefix, key) == 0;
    for (int i = 0; i < NBUCKETS; i++) {
        snprintf(key, sizeof key, LK_RT_PV, site, b - i);
        sent += kv_pipe("GET %s%s", kv_prefix, key) == 0;
        if (want_paths) {
            snprintf(key, sizeof key, LK_RT_PATHS, site, b - i);
            sent += kv_pipe("HGETALL %s%s", kv_prefix, key) == 0;
        }
    }
    int expect = 4 + NBUCKETS * (want_paths ? 2 : 1);
    int ok = sent == expect;
    for (int i = 0; i < sent; i++) {
        kv_reply_t *r = kv_pipe_read();
        if (!r || kv_type(r) == KV_ERR) ok = 0;
        if (ok) {
            if (i == 1) l->active = kv_int(r);
            else if (i == 3) l->bots = kv_int(r);
            else if (i >= 4) {
                int k = i - 4;
                int is_paths = want_paths && (k % 2 == 1);
                if (!is_paths) l->pageviews += kv_int(r);
                else if (kv_type(r) == KV_ARR)
                    for (size_t j = 0; j + 1 < kv_nelem(r); j += 2)
                        live_add_path(l, kv_str(kv_elem(r, j)), kv_len(kv_elem(r, j)),
                                      kv_int(kv_elem(r, j + 1)));
            }
        }
        kv_free(r);
    }
    if (!ok) live_free(l);
    return ok ? 0 : -1;
}

/* The same window from MariaDB (Redis down). */
static int live_db(const char *site, long long now, int want_paths, live_t *l)
{
    memset(l, 0, sizeof *l);
    char t5[32];
    stats_fmt_sql_ms(now - LK_RT_WINDOW_MS, t5, sizeof t5);
    db_res_t *r;
    if (db_query(&r,
                 "SELECT COUNT(DISTINCT CASE WHEN bot_score BETWEEN 0 AND 49 THEN visitor_id END),"
                 " COUNT(DISTINCT CASE WHEN bot_score >= 50 THEN visitor_id END),"
                 " IFNULL(SUM(bot_score BETWEEN 0 AND 49), 0)"
                 " FROM visitor_views WHERE site_id = ? AND created_at >= ?", "ss", site, t5) != 0)
        return -1;
    if (db_next(r)) {
        l->active = db_int(r, 0);
        l->bots = db_int(r, 1);
        l->pageviews = db_int(r, 2);
    }
    db_free(r);
    if (!want_paths) return 0;
    if (db_query(&r,
                 "SELECT path, COUNT(*) FROM visitor_views WHERE site_id = ? AND created_at >= ?"
                 " AND bot_score BETWEEN 0 AND 49 GROUP BY path", "ss", site, t5) != 0) {
        live_free(l);
        return -1;
    }
    while (db_next(r)) live_add_path(l, db_str(r, 0), db_len(r, 0), db_int(r, 1));
    db_free(r);
    return 0;
}

static int cmp_paths(const void *a, const void *b)
{
    const live_path_t *x = a, *y = b;
    if (x->views != y->views) return x->views > y->views ? -1 : 1;
    return strcmp(x->path, y->path);
}

static int live_get(const char *site, long long now, int want_paths, live_t *l)
{
    if (live_redis(site, now, want_paths, l) == 0) return 0;
    return live_db(site, now, want_paths, l);
}

void stats_realtime_handler(req_t *req, resp_t *resp)
{
    const char *site = stats_site_or_reply(req, resp);
    if (!site) return;
    live_t l;
    if (live_get(site, stats_now_ms(), 1, &l) != 0) {
        stats_db_error(resp);
        return;
    }
    qsort(l.paths, l.npaths, sizeof *l.paths, cmp_paths);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "site_id", json_object_new_string(site));
    json_object_object_add(o, "active_visitors", json_object_new_int64(l.active));
    json_object_object_add(o, "pageviews", json_object_new_int64(l.pageviews));
    json_object *paths = json_object_new_array();
    for (size_t i = 0; i < l.npaths && i < 10; i++) {
        json_object *p = json_object_new_object();
        json_object_object_add(p, "path", json_object_new_string(l.paths[i].path));
        json_object_object_add(p, "views", json_object_new_int64(l.paths[i].views));
        json_object_array_add(paths, p);
    }
    json_object_object_add(o, "active_paths", paths);
    live_free(&l);
    resp_json(resp, 200, o);
}

/* ---- dashboard series ---- */

typedef struct series {
    char label[6];
    long long count;
} series_t;

static int cmp_series(const void *a, const void *b)
{
    return strcmp(((const series_t *)a)->label, ((const series_t *)b)->label);
}

/* Add count under label, merging equal labels (the 24-hour window's two
 * partial clock hours share one label, spec/30 §7.8). */
static void series_add(series_t *s, size_t *n, const char *label, long long c)
{
    if (c <= 0) return;
    for (size_t i = 0; i < *n; i++)
        if (strcmp(s[i].label, label) == 0) {
            s[i].count += c;
            return;
        }
    snprintf(s[*n].label, sizeof s[*n].label, "%s", label);
    s[(*n)++].count = c;
}

static json_object *series_json(series_t *s, size_t n, const char *key)
{
    qsort(s, n, sizeof *s, cmp_series);
    json_object *a = json_object_new_array();
    for (size_t i = 0; i < n; i++) {
        json_object *e = json_object_new_object();
        json_object_object_add(e, key, json_object_new_string(s[i].label));
        json_object_object_add(e, "count", json_object_new_int64(s[i].count));
        json_object_array_add(a, e);
    }
    return a;
}

/* Minute (61 labels) and hour (25 labels) series from the Redis counters. */
static int series_redis(const char *site, long long now, series_t vm[], size_t *nvm, series_t em[],
                        size_t *nem, series_t vh[], size_t *nvh, series_t eh[], size_t *neh)
{
    char key[160];
    long long m1 = now / 60000, m0 = (now - 3600000) / 60000;
    long long h1 = now / 3600000, h0 = (now - 86400000) / 3600000;
    int sent = 0, expect = 0;
    for (long long m = m0; m <= m1; m++) {
        snprintf(key, sizeof key, LK_RT_VM, site, m);
        sent += kv_pipe("GET %s%s", kv_prefix, key) == 0;
        snprintf(key, sizeof key, LK_RT_EM, site, m);
        sent += kv_pipe("GET %s%s", kv_prefix, key) == 0;
        expect += 2;
    }
    for (long long h = h0; h <= h1; h++) {
        snprintf(key, sizeof key, LK_RT_VH, site, h);
        sent += kv_pipe("GET %s%s", kv_prefix, key) == 0;
        snprintf(key, sizeof key, LK_RT_EH, site, h);
        sent += kv_pipe("GET %s%s", kv_prefix, key) == 0;
        expect += 2;
    }
    int ok = sent == expect;
    long long m = m0, h = h0;
    for (int i = 0; i < sent; i++) {
        kv_reply_t *r = kv_pipe_read();
        if (!r || kv_type(r) == KV_ERR) ok = 0;
        char label[8];
        long long v = ok ? kv_int(r) : 0;
        int in_minutes = i < (int)(2 * (m1 - m0 + 1));
        if (in_minutes) {
            snprintf(label, sizeof label, "%02d:%02d", (int)(m % 1440 / 60), (int)(m % 60));
            if (i % 2 == 0) series_add(vm, nvm, label, v);
            else { series_add(em, nem, label, v); m++; }
        } else {
            snprintf(label, sizeof label, "%02d:00", (int)(h % 24));
            if (i % 2 == 0) series_add(vh, nvh, label, v);
            else { series_add(eh, neh, label, v); h++; }
        }
        kv_free(r);
    }
    return ok ? 0 : -1;
}

static int series_db(const char *sql, const char *site, const char *since, series_t *s, size_t *n,
                     size_t max)
{
    db_res_t *r;
    if (db_query(&r, sql, "ss", site, since) != 0) return -1;
    while (db_next(r) && *n < max) series_add(s, n, db_str(r, 0) ? db_str(r, 0) : "", db_int(r, 1));
    db_free(r);
    return 0;
}

void stats_dashboard_handler(req_t *req, resp_t *resp)
{
    const char *site = stats_site_or_reply(req, resp);
    if (!site) return;
    long long now = stats_now_ms();
    live_t l;
    if (live_get(site, now, 0, &l) != 0) {
        stats_db_error(resp);
        return;
    }
    series_t vm[64], em[64], vh[32], eh[32];
    size_t nvm = 0, nem = 0, nvh = 0, neh = 0;
    char t60[32], t24[32];
    stats_fmt_sql_ms(now - 3600000, t60, sizeof t60);
    stats_fmt_sql_ms(now - 86400000, t24, sizeof t24);
    if (series_redis(site, now, vm, &nvm, em, &nem, vh, &nvh, eh, &neh) != 0) {
        nvm = nem = nvh = neh = 0;
        if (series_db("SELECT DATE_FORMAT(created_at, '%H:%i'), COUNT(*) FROM visitor_views"
                      " WHERE site_id = ? AND created_at >= ? AND bot_score BETWEEN 0 AND 49"
                      " GROUP BY 1", site, t60, vm, &nvm, 64) != 0 ||
            series_db("SELECT DATE_FORMAT(created_at, '%H:%i'), COUNT(*) FROM semantic_events"
                      " WHERE site_id = ? AND created_at >= ? AND bot_score BETWEEN 0 AND 49"
                      " GROUP BY 1", site, t60, em, &nem, 64) != 0 ||
            series_db("SELECT DATE_FORMAT(created_at, '%H:00'), COUNT(*) FROM visitor_views"
                      " WHERE site_id = ? AND created_at >= ? AND bot_score BETWEEN 0 AND 49"
                      " GROUP BY 1", site, t24, vh, &nvh, 32) != 0 ||
            series_db("SELECT DATE_FORMAT(created_at, '%H:00'), COUNT(*) FROM semantic_events"
                      " WHERE site_id = ? AND created_at >= ? AND bot_score BETWEEN 0 AND 49"
                      " GROUP BY 1", site, t24, eh, &neh, 32) != 0) {
            stats_db_error(resp);
            return;
        }
    }
    db_res_t *rv = NULL, *re = NULL;
    if (db_query(&rv,
                 "SELECT visitor_id, MAX(device_type), MAX(os_name),"
                 " MAX(CONCAT(browser_name, ' ', browser_version)), MAX(country_code),"
                 " MAX(created_at) AS last, COUNT(*)"
                 " FROM visitor_views WHERE site_id = ? AND created_at >= ?"
                 " AND bot_score BETWEEN 0 AND 49"
                 " GROUP BY visitor_id ORDER BY last DESC, visitor_id ASC LIMIT 20",
                 "ss", site, t60) != 0 ||
        db_query(&re,
                 "SELECT event_type, site_id, visitor_id, created_at FROM semantic_events"
                 " WHERE site_id = ? AND created_at >= ? AND bot_score BETWEEN 0 AND 49"
                 " ORDER BY created_at DESC, id DESC LIMIT 20",
                 "ss", site, t60) != 0) {
        db_free(rv);
        stats_db_error(resp);
        return;
    }
    json_object *o = json_object_new_object();
    json_object *nowj = json_object_new_object();
    json_object_object_add(nowj, "activeVisitors", json_object_new_int64(l.active));
    json_object_object_add(nowj, "estimatedBots", json_object_new_int64(l.bots));
    json_object_object_add(nowj, "pageviews", json_object_new_int64(l.pageviews));
    json_object_object_add(o, "now", nowj);
    json_object *hourly = json_object_new_object();
    json_object_object_add(hourly, "visitors", series_json(vm, nvm, "minute"));
    json_object_object_add(hourly, "events", series_json(em, nem, "minute"));
    json_object_object_add(o, "hourly", hourly);
    json_object *daily = json_object_new_object();
    json_object_object_add(daily, "visitors", series_json(vh, nvh, "hour"));
    json_object_object_add(daily, "events", series_json(eh, neh, "hour"));
    json_object_object_add(o, "daily", daily);
    json_object *vis = json_object_new_array();
    while (db_next(rv)) {
        json_object *e = json_object_new_object();
        json_object_object_add(e, "visitor_id", stats_col_str(rv, 0));
        json_object_object_add(e, "device_type", stats_col_str(rv, 1));
        json_object_object_add(e, "os_name", stats_col_str(rv, 2));
        json_object_object_add(e, "browser", stats_col_str(rv, 3));
        json_object_object_add(e, "country_code", stats_col_str(rv, 4));
        json_object_object_add(e, "created_at", stats_col_ts(rv, 5));
        json_object_object_add(e, "view_count", stats_col_int(rv, 6, 1));
        json_object_array_add(vis, e);
    }
    json_object_object_add(o, "recentVisitors", vis);
    json_object *ev = json_object_new_array();
    while (db_next(re)) {
        json_object *e = json_object_new_object();
        json_object_object_add(e, "event_type", stats_col_str(re, 0));
        json_object_object_add(e, "site_id", stats_col_str(re, 1));
        json_object_object_add(e, "visitor_id", stats_col_str(re, 2));
        json_object_object_add(e, "created_at", stats_col_ts(re, 3));
        json_object_array_add(ev, e);
    }
    json_object_object_add(o, "recentEvents", ev);
    db_free(rv);
    db_free(re);
    live_free(&l);
    resp_json(resp, 200, o);
}

/* ---- summary ---- */

json_object *stats_last24h_json(void)
{
    char t24[32];
    long long now = stats_now_ms();
    stats_fmt_sql_ms((now - 86400000) / 1000 * 1000, t24, sizeof t24);
    db_res_t *r;
    if (db_query(&r,
                 "SELECT COUNT(*), IFNULL(SUM(bot_score BETWEEN 0 AND 49), 0),"
                 " IFNULL(SUM(bot_score >= 50), 0), COUNT(DISTINCT visitor_id)"
                 " FROM visitor_views WHERE created_at >= ?", "s", t24) != 0)
        return NULL;
    json_object *o = json_object_new_object();
    db_next(r);
    json_object_object_add(o, "total_views", stats_col_int(r, 0, 1));
    json_object_object_add(o, "human_views", stats_col_int(r, 1, 1));
    json_object_object_add(o, "bot_views", stats_col_int(r, 2, 1));
    json_object_object_add(o, "unique_visitors", stats_col_int(r, 3, 1));
    db_free(r);
    return o;
}

/* Rows accepted but not yet in MariaDB, by kind, deployment-wide: "views"
 * counts pageview records, "events" the events the spooled event batches
 * hold (what becomes semantic_events rows: one /e can carry 20), both as
 * the shipper's row counters see them (store/shipper.h, collect/ship.c).
 * Counting-only records are in spool.backlog only. */
json_object *stats_buffers_json(void)
{
    long long recs = 0, age = 0, rows[SHIPPER_ROW_KINDS];
    shipper_backlog_rows(&recs, &age, rows);
    json_object *b = json_object_new_object();
    json_object_object_add(b, "views", json_object_new_int64(rows[SHIPPER_ROWS_VIEWS]));
    json_object_object_add(b, "events", json_object_new_int64(rows[SHIPPER_ROWS_EVENTS]));
    return b;
}

void stats_summary_handler(req_t *req, resp_t *resp)
{
    (void)req;
    json_object *last = stats_last24h_json();
    if (!last) {
        stats_db_error(resp);
        return;
    }
    json_object *o = json_object_new_object();
    if (!cfg->public_mode) json_object_object_add(o, "buffers", stats_buffers_json());
    json_object_object_add(o, "last_24h", last);
    resp_json(resp, 200, o);
}
