/* stats_overview.c -- GET /api/stats/overview (spec/30 §2.1, product decision 6).
 *
 * Tables read: maintenance_log, visitor_views_daily, visitor_views_daily_dim,
 * visitor_views, excluded_visitors.
 *
 * Each day of the period is either rolled up or raw:
 *   rolled up  = its maintenance_log row is 'complete', or it has no row but
 *                rollup rows of the site exist (rollups imported or written
 *                by hand, as the reference's fixtures do);
 *   raw        = every other day (yesterday until maintenance ran, a day an
 *                ingest backfill marked stale, a failed day), and today.
 * Let L be the first raw day at or after the raw retention horizon. Days
 * before L, and rolled-up days after it (passed as a FIND_IN_SET list), come
 * from the rollup tables; raw days come from raw clean rows, counted the way
 * maintenance would count them (same groups, excluded visitors left out,
 * visitors = distinct per day). So yesterday is counted from raw rows until
 * its rollup is complete, no day is counted twice, and the headline equals
 * the trend summed plus today. Normally L is yesterday or today: the raw
 * part is at most two days whatever the period, and the rollup part is a
 * primary-key range scan of small per-day groups.
 *
 * visits, devices and country visits come from visitor_views_daily (the
 * spec's table); per-day distinct visitors from visitor_views_daily_dim,
 * falling back to the reference's largest-group rule for a day without
 * them.
 *
 * Counting rules kept from the reference: `visits` and `unique_visitors`
 * cover N full days plus today; devices, countries and daily_trend cover the
 * N full days (not today); the raw-style breakdowns (paths, referrers, OS,
 * browsers, resolutions) cover min(N,7) full days plus today. `visitors` in
 * every list is the sum of per-day distinct visitors (visitor-days,
 * decision 6). */
#include "api/stats.h"
#include "api/stats_int.h"
#include "api/stats_util.h"
#include "api/maintain.h"
#include "core/config.h"
#include "store/db.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAR_FUTURE "9999-12-31 00:00:00.000"

#define RAW_CLEAN \
    " v.bot_score BETWEEN 0 AND 49" \
    " AND NOT EXISTS (SELECT 1 FROM excluded_visitors e WHERE e.visitor_id = v.visitor_id)"
/* Raw rows of raw days only: ? = the rolled-up days after L. */
#define RAW_DAYS " AND FIND_IN_SET(DATE(v.created_at), ?) = 0"
/* Rollup rows of rolled-up days only: ? = L, ? = the same list. */
#define ROLLED_DAYS(col) " AND (" col " < ? OR FIND_IN_SET(" col ", ?) > 0)"

enum window { W_RAW7, W_PAST };

typedef struct breakdown {
    const char *key;           /* response key */
    const char *dim;           /* maintain_dims entry */
    const char *label_key;     /* label field name */
    const char *count_key;     /* "views" or "visits" */
    enum window window;
    int limit;                 /* rows shown */
    int visitors;              /* emit the visitors field */
} breakdown_t;

/* Raw-style breakdowns, from visitor_views_daily_dim (devices and countries
 * have their own queries on visitor_views_daily). */
static const breakdown_t breakdowns[] = {
    { "top_paths", "path", "path", "views", W_RAW7, 20, 1 },
    { "referrers", "referrer", "referrer_type", "views", W_RAW7, 1000, 0 },
    { "os_systems", "os", "os_name", "views", W_RAW7, 20, 1 },
    { "browsers", "browser", "browser", "views", W_RAW7, 20, 1 },
    { "resolutions", "resolution", "resolution", "views", W_RAW7, 20, 1 },
};
#define NBREAKDOWNS (sizeof breakdowns / sizeof breakdowns[0])

static char *breakdown_sql[NBREAKDOWNS];

/* SQL per breakdown: dim rollup rows of rolled-up days in [a, today) plus
 * raw rows of raw days since c, grouped like the rollup (per day), merged
 * by label. Built once from constants. */
static const char *bd_sql(size_t i)
{
    if (!breakdown_sql[i]) {
        const maintain_dim_t *d = maintain_dim(breakdowns[i].dim);
        const char *e = d ? d->expr : "''";
        size_t n = 2 * strlen(e) + 1200;
        char *s = malloc(n);
        if (!s) abort();
        snprintf(s, n,
                 "SELECT label, SUM(views) AS views, SUM(visitors) AS visitors FROM ("
                 " SELECT label, views, visitors FROM visitor_views_daily_dim"
                 "  WHERE site_id = ? AND dim = ? AND date >= ? AND date < ?" ROLLED_DAYS("date")
                 " UNION ALL"
                 " SELECT (%s) COLLATE utf8mb4_nopad_bin AS label, COUNT(*) AS views,"
                 "  COUNT(DISTINCT v.visitor_id) AS visitors FROM visitor_views v"
                 "  WHERE v.site_id = ? AND v.created_at >= ? AND" RAW_CLEAN RAW_DAYS
                 "  GROUP BY DATE(v.created_at), %s"
                 ") x GROUP BY label ORDER BY views DESC, label ASC LIMIT ?",
                 e, e);
        breakdown_sql[i] = s;
    }
    return breakdown_sql[i];
}

typedef struct days {
    long first_raw;            /* L */
    char *rolled;              /* rolled-up days >= L, "YYYY-MM-DD,..." ("" if none) */
} days_t;

/* Classify the days of [lo, today) for site (see the file comment). */
static int classify(const char *site, long lo, long today, days_t *out)
{
    long n = today - lo;
    out->first_raw = today;
    out->rolled = calloc(1, (size_t)(n > 0 ? n : 0) * 11 + 1);
    if (!out->rolled) abort();
    if (n <= 0) return 0;
    signed char *st = calloc((size_t)n, 1);   /* 0 unknown, 1 complete, -1 other row */
    char *has = calloc((size_t)n, 1);
    if (!st || !has) abort();
    char a[16], b[16];
    stats_fmt_date(lo, a, sizeof a);
    stats_fmt_date(today, b, sizeof b);
    db_res_t *r;
    int rc = -1;
    if (db_query(&r, "SELECT date, status FROM maintenance_log WHERE date >= ? AND date < ?",
                 "ss", a, b) != 0)
        goto out;
    while (db_next(r)) {
        long d;
        if (stats_parse_date(db_str(r, 0), &d) == 0 && d >= lo && d < today)
            st[d - lo] = db_str(r, 1) && strcmp(db_str(r, 1), "complete") == 0 ? 1 : -1;
    }
    db_free(r);
    if (db_query(&r, "SELECT DISTINCT date FROM visitor_views_daily"
                     " WHERE site_id = ? AND date >= ? AND date < ?", "sss", site, a, b) != 0)
        goto out;
    while (db_next(r)) {
        long d;
        if (stats_parse_date(db_str(r, 0), &d) == 0 && d >= lo && d < today) has[d - lo] = 1;
    }
    db_free(r);
    size_t len = 0;
    for (long i = 0; i < n; i++) {
        int rolled = st[i] == 1 || (st[i] == 0 && has[i]);
        if (!rolled && out->first_raw == today) out->first_raw = lo + i;
        if (rolled && out->first_raw != today) {
            if (len) out->rolled[len++] = ',';
            stats_fmt_date(lo + i, out->rolled + len, 11);
            len += 10;
        }
    }
    rc = 0;
out:
    free(st);
    free(has);
    return rc;
}

static json_object *breakdown_json(const breakdown_t *b, db_res_t *r)
{
    json_object *arr = json_object_new_array();
    int n = 0;
    while (db_next(r) && n < b->limit) {
        const char *label = db_str(r, 0);
        json_object *o = json_object_new_object();
        json_object *lj;
        if (strcmp(b->dim, "os") == 0 && !label) lj = json_object_new_string("Unknown");
        else if (strcmp(b->dim, "resolution") == 0 && label)
            lj = json_object_new_string(stats_resolution_label(label));
        else lj = stats_col_str(r, 0);
        json_object_object_add(o, b->label_key, lj);
        json_object_object_add(o, b->count_key, stats_col_int(r, 1, 1));
        if (b->visitors) json_object_object_add(o, "visitors", stats_col_int(r, 2, 1));
        json_object_array_add(arr, o);
        n++;
    }
    return arr;
}

void stats_overview_handler(req_t *req, resp_t *resp)
{
    const char *site = stats_site_or_reply(req, resp);
    if (!site) return;
    long days = (long)stats_clamp(stats_lint_or(stats_param(req, "days"), 30), 1, 730);
    long today = (long)(stats_now_ms() / 86400000);
    long cutoff = today - days;
    long raw7 = today - (days < 7 ? days : 7);
    long horizon = today - (cfg->retention_days > 0 ? cfg->retention_days : 90) - 2;
    days_t dd;
    if (classify(site, cutoff > horizon ? cutoff : horizon, today, &dd) != 0) {
        free(dd.rolled);
        stats_db_error(resp);
        return;
    }
    long L = dd.first_raw;
    const char *rl = dd.rolled;
    char d_cut[16], d_l[16], d_raw7[16], d_today[16];
    char t_past[32], t_raw7[32], t_today[32];
    stats_fmt_date(cutoff, d_cut, sizeof d_cut);
    stats_fmt_date(L, d_l, sizeof d_l);
    stats_fmt_date(raw7, d_raw7, sizeof d_raw7);
    stats_fmt_date(today, d_today, sizeof d_today);
    stats_day_sql(L > cutoff ? L : cutoff, t_past, sizeof t_past);
    stats_day_sql(L > raw7 ? L : raw7, t_raw7, sizeof t_raw7);
    stats_day_sql(today, t_today, sizeof t_today);

    json_object *o = json_object_new_object();
    json_object *trend = NULL;
    db_res_t *r = NULL;

    /* Per-day totals: the trend, and from it the headline numbers. */
    if (db_query(&r,
                 "SELECT d, SUM(views), SUM(visitors) FROM ("
                 " SELECT g.date AS d, SUM(g.visits) AS views,"
                 "  COALESCE((SELECT s.visitors FROM visitor_views_daily_dim s WHERE s.site_id = g.site_id"
                 "   AND s.dim = 'site' AND s.date = g.date), MAX(g.unique_visitors)) AS visitors"
                 "  FROM visitor_views_daily g WHERE g.site_id = ? AND g.date >= ? AND g.date < ?"
                 ROLLED_DAYS("g.date") " GROUP BY g.site_id, g.date"
                 " UNION ALL"
                 " SELECT DATE(v.created_at) AS d, COUNT(*) AS views,"
                 "  COUNT(DISTINCT v.visitor_id) AS visitors FROM visitor_views v"
                 "  WHERE v.site_id = ? AND v.created_at >= ? AND" RAW_CLEAN RAW_DAYS
                 "  GROUP BY DATE(v.created_at)"
                 ") x GROUP BY d ORDER BY d",
                 "ssssssss", site, d_cut, d_today, d_l, rl, site, t_past, rl) != 0)
        goto dberr;
    long long visits = 0, uniq = 0;
    trend = json_object_new_array();
    while (db_next(r)) {
        const char *d = db_str(r, 0);
        long long v = db_int(r, 1), u = db_int(r, 2);
        visits += v;
        uniq += u;
        if (d && strcmp(d, d_today) >= 0) continue;   /* today: headline only */
        json_object *e = json_object_new_object();
        json_object_object_add(e, "date", stats_col_str(r, 0));
        json_object_object_add(e, "visits", json_object_new_int64(v));
        json_object_object_add(e, "visitors", json_object_new_int64(u));
        json_object_array_add(trend, e);
    }
    db_free(r);
    r = NULL;

    /* Plain mean of the group averages (spec/30 §2.1 item 3); raw past days
     * grouped exactly as their rollup will be. */
    long long avg = db_scalar_int(
        "SELECT IFNULL(TRUNCATE(AVG(a), 0), 0) FROM ("
        " SELECT g.avg_interaction_ms AS a FROM visitor_views_daily g"
        "  WHERE g.site_id = ? AND g.date >= ? AND g.date < ?" ROLLED_DAYS("g.date")
        " UNION ALL"
        " SELECT IFNULL(TRUNCATE(AVG(CASE WHEN v.interaction_ms > 0 THEN v.interaction_ms END), 0), 0)"
        "  FROM visitor_views v WHERE v.site_id = ? AND v.created_at >= ? AND v.created_at < ? AND"
        RAW_CLEAN RAW_DAYS
        "  GROUP BY DATE(v.created_at), IFNULL(v.device_type, 'unknown'),"
        "  IFNULL(v.country_code, 'unknown'), v.is_returning"
        ") x",
        "sssssssss", site, d_cut, d_today, d_l, rl, site, t_past, t_today, rl);
    if (avg < 0) goto dberr;

    json_object_object_add(o, "site_id", json_object_new_string(site));
    json_object_object_add(o, "period_days", json_object_new_int64(days));
    json_object_object_add(o, "visits", json_object_new_int64(visits));
    json_object_object_add(o, "unique_visitors", json_object_new_int64(uniq));
    json_object_object_add(o, "avg_interaction_ms", json_object_new_int64(avg));

    /* Top paths first (response key order), then devices and countries. */
    for (size_t i = 0; i < NBREAKDOWNS; i++) {
        const breakdown_t *b = &breakdowns[i];
        if (db_query(&r, bd_sql(i), "sssssssssi", site, b->dim, d_raw7, d_today, d_l, rl, site,
                     t_raw7, rl, (long long)b->limit) != 0)
            goto dberr;
        json_object_object_add(o, b->key, breakdown_json(b, r));
        db_free(r);
        r = NULL;
        if (i > 0) continue;

        if (db_query(&r,
                     "SELECT device_type, SUM(visits) AS visits FROM ("
                     " SELECT g.device_type, g.visits FROM visitor_views_daily g"
                     "  WHERE g.site_id = ? AND g.date >= ? AND g.date < ?" ROLLED_DAYS("g.date")
                     " UNION ALL"
                     " SELECT IFNULL(v.device_type, 'unknown') COLLATE utf8mb4_nopad_bin, COUNT(*)"
                     "  FROM visitor_views v WHERE v.site_id = ? AND v.created_at >= ?"
                     "  AND v.created_at < ? AND" RAW_CLEAN RAW_DAYS
                     "  GROUP BY IFNULL(v.device_type, 'unknown')"
                     ") x GROUP BY device_type ORDER BY visits DESC, device_type ASC",
                     "sssssssss", site, d_cut, d_today, d_l, rl, site, t_past, t_today, rl) != 0)
            goto dberr;
        json_object *dev = json_object_new_array();
        while (db_next(r)) {
            json_object *e = json_object_new_object();
            json_object_object_add(e, "device_type", stats_col_str(r, 0));
            json_object_object_add(e, "visits", stats_col_int(r, 1, 1));
            json_object_array_add(dev, e);
        }
        json_object_object_add(o, "devices", dev);
        db_free(r);
        r = NULL;

        /* Country visitors: per country and day distinct (the dim), or the
         * reference's group sum for a day without it. */
        if (db_query(&r,
                     "SELECT c, SUM(visits) AS visits, SUM(visitors) AS visitors FROM ("
                     " SELECT g.country_code AS c, SUM(g.visits) AS visits,"
                     "  COALESCE(MAX(x.visitors), SUM(g.unique_visitors)) AS visitors"
                     "  FROM visitor_views_daily g LEFT JOIN visitor_views_daily_dim x"
                     "   ON x.site_id = g.site_id AND x.dim = 'country' AND x.date = g.date"
                     "   AND x.label_key = UNHEX(MD5(CONCAT('v', g.country_code)))"
                     "  WHERE g.site_id = ? AND g.date >= ? AND g.date < ?" ROLLED_DAYS("g.date")
                     "  AND g.country_code <> 'unknown' GROUP BY g.country_code, g.date"
                     " UNION ALL"
                     " SELECT IFNULL(v.country_code, 'unknown') COLLATE utf8mb4_nopad_bin, COUNT(*),"
                     "  COUNT(DISTINCT v.visitor_id) FROM visitor_views v"
                     "  WHERE v.site_id = ? AND v.created_at >= ? AND v.created_at < ?"
                     "  AND v.country_code IS NOT NULL AND v.country_code <> 'unknown' AND"
                     RAW_CLEAN RAW_DAYS
                     "  GROUP BY DATE(v.created_at), v.country_code"
                     ") y GROUP BY c ORDER BY visits DESC, c ASC LIMIT 10",
                     "sssssssss", site, d_cut, d_today, d_l, rl, site, t_past, t_today, rl) != 0)
            goto dberr;
        json_object *cc = json_object_new_array();
        while (db_next(r)) {
            json_object *e = json_object_new_object();
            json_object_object_add(e, "country_code", stats_col_str(r, 0));
            json_object_object_add(e, "visits", stats_col_int(r, 1, 1));
            json_object_object_add(e, "visitors", stats_col_int(r, 2, 1));
            json_object_array_add(cc, e);
        }
        json_object_object_add(o, "countries", cc);
        db_free(r);
        r = NULL;
    }
    json_object_object_add(o, "daily_trend", trend);
    free(dd.rolled);
    resp_json(resp, 200, o);
    return;
dberr:
    db_free(r);
    json_object_put(trend);
    json_object_put(o);
    free(dd.rolled);
    stats_db_error(resp);
}
