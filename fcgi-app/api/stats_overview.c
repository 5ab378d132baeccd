/* stats_overview.c -- GET /api/stats/overview (spec/30 §2.1, product decision 6).
 *
 * Tables read: maintenance_log, visitor_views_daily, visitor_views_daily_dim,
 * visitor_views, excluded_visitors.
 *
 * The period [cutoff, today] is split at a watermark W:
 *
 *     cutoff ........ W ............ today ...... now
 *     | rolled-up days | raw past days | raw today |
 *
 * W is the first day (at or after the raw retention horizon) whose
 * maintenance_log row is not 'complete'. Days before W come from the rollup
 * tables, days from W on from raw clean rows, counted the way maintenance
 * would count them (same groups, excluded visitors left out, visitors =
 * distinct per day). So yesterday is counted from raw rows until its rollup
 * is complete, no day is counted twice, and the headline equals the trend
 * summed plus today. Normally W is yesterday or today, so the raw part is at
 * most two days whatever the period, and the rollup part is a primary-key
 * range scan of small per-day groups.
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

static const breakdown_t breakdowns[] = {
    { "top_paths", "path", "path", "views", W_RAW7, 20, 1 },
    { "devices", "device", "device_type", "visits", W_PAST, 1000, 0 },
    { "countries", "country", "country_code", "visits", W_PAST, 10, 1 },
    { "referrers", "referrer", "referrer_type", "views", W_RAW7, 1000, 0 },
    { "os_systems", "os", "os_name", "views", W_RAW7, 20, 1 },
    { "browsers", "browser", "browser", "views", W_RAW7, 20, 1 },
    { "resolutions", "resolution", "resolution", "views", W_RAW7, 20, 1 },
};
#define NBREAKDOWNS (sizeof breakdowns / sizeof breakdowns[0])

static char *breakdown_sql[NBREAKDOWNS];

/* SQL per breakdown: rollup groups of [a, b) plus raw rows of [c, d) grouped
 * like the rollup (per day), merged by label. Built once from constants. */
static const char *bd_sql(size_t i)
{
    if (!breakdown_sql[i]) {
        const maintain_dim_t *d = maintain_dim(breakdowns[i].dim);
        const char *e = d ? d->expr : "''";
        size_t n = 2 * strlen(e) + 1024;
        char *s = malloc(n);
        if (!s) abort();
        snprintf(s, n,
                 "SELECT label, SUM(views) AS views, SUM(visitors) AS visitors FROM ("
                 " SELECT label, views, visitors FROM visitor_views_daily_dim"
                 "  WHERE site_id = ? AND dim = ? AND date >= ? AND date < ?"
                 " UNION ALL"
                 " SELECT (%s) COLLATE utf8mb4_nopad_bin AS label, COUNT(*) AS views,"
                 "  COUNT(DISTINCT v.visitor_id) AS visitors FROM visitor_views v"
                 "  WHERE v.site_id = ? AND v.created_at >= ? AND v.created_at < ? AND" RAW_CLEAN
                 "  GROUP BY DATE(v.created_at), %s"
                 ") x GROUP BY label ORDER BY views DESC, label ASC LIMIT ?",
                 e, e);
        breakdown_sql[i] = s;
    }
    return breakdown_sql[i];
}

/* First day in [lo, today) without a complete rollup; today if none. */
static int watermark(long lo, long today, long *w)
{
    char a[16], b[16];
    stats_fmt_date(lo, a, sizeof a);
    stats_fmt_date(today, b, sizeof b);
    db_res_t *r;
    if (db_query(&r, "SELECT date FROM maintenance_log WHERE date >= ? AND date < ?"
                     " AND status = 'complete' ORDER BY date", "ss", a, b) != 0)
        return -1;
    long d = lo;
    while (db_next(r)) {
        long x;
        if (stats_parse_date(db_str(r, 0), &x) != 0) continue;
        if (x != d) break;
        d++;
    }
    db_free(r);
    *w = d;
    return 0;
}

static json_object *breakdown_json(const breakdown_t *b, db_res_t *r)
{
    json_object *arr = json_object_new_array();
    int n = 0;
    while (db_next(r) && n < b->limit) {
        const char *label = db_str(r, 0);
        if (strcmp(b->dim, "country") == 0 && label && strcmp(label, "unknown") == 0) continue;
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
    long w;
    if (watermark(cutoff > horizon ? cutoff : horizon, today, &w) != 0) {
        stats_db_error(resp);
        return;
    }
    char d_cut[16], d_w[16], d_raw7[16], d_today[16];
    char t_past[32], t_raw7[32], t_today[32];
    stats_fmt_date(cutoff, d_cut, sizeof d_cut);
    stats_fmt_date(w, d_w, sizeof d_w);
    stats_fmt_date(raw7, d_raw7, sizeof d_raw7);
    stats_fmt_date(today, d_today, sizeof d_today);
    stats_day_sql(w > cutoff ? w : cutoff, t_past, sizeof t_past);
    stats_day_sql(w > raw7 ? w : raw7, t_raw7, sizeof t_raw7);
    stats_day_sql(today, t_today, sizeof t_today);

    json_object *o = json_object_new_object();
    db_res_t *r = NULL;

    /* Per-day totals: the trend, and from it the headline numbers. */
    if (db_query(&r,
                 "SELECT d, SUM(views), SUM(visitors) FROM ("
                 " SELECT date AS d, views, visitors FROM visitor_views_daily_dim"
                 "  WHERE site_id = ? AND dim = 'site' AND date >= ? AND date < ?"
                 " UNION ALL"
                 " SELECT DATE(v.created_at) AS d, COUNT(*) AS views,"
                 "  COUNT(DISTINCT v.visitor_id) AS visitors FROM visitor_views v"
                 "  WHERE v.site_id = ? AND v.created_at >= ? AND" RAW_CLEAN
                 "  GROUP BY DATE(v.created_at)"
                 ") x GROUP BY d ORDER BY d",
                 "sssss", site, d_cut, d_w, site, t_past) != 0)
        goto dberr;
    long long visits = 0, uniq = 0;
    json_object *trend = json_object_new_array();
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

    /* Plain mean of the group averages (spec/30 §2.1 item 3), raw past days
     * grouped exactly as their rollup will be. */
    long long avg = db_scalar_int(
        "SELECT IFNULL(TRUNCATE(AVG(a), 0), 0) FROM ("
        " SELECT avg_interaction_ms AS a FROM visitor_views_daily"
        "  WHERE site_id = ? AND date >= ? AND date < ?"
        " UNION ALL"
        " SELECT IFNULL(TRUNCATE(AVG(CASE WHEN v.interaction_ms > 0 THEN v.interaction_ms END), 0), 0)"
        "  FROM visitor_views v WHERE v.site_id = ? AND v.created_at >= ? AND v.created_at < ? AND"
        RAW_CLEAN
        "  GROUP BY DATE(v.created_at), IFNULL(v.device_type, 'unknown'),"
        "  IFNULL(v.country_code, 'unknown'), v.is_returning"
        ") x",
        "ssssss", site, d_cut, d_w, site, t_past, t_today);
    if (avg < 0) {
        json_object_put(trend);
        goto dberr;
    }

    json_object_object_add(o, "site_id", json_object_new_string(site));
    json_object_object_add(o, "period_days", json_object_new_int64(days));
    json_object_object_add(o, "visits", json_object_new_int64(visits));
    json_object_object_add(o, "unique_visitors", json_object_new_int64(uniq));
    json_object_object_add(o, "avg_interaction_ms", json_object_new_int64(avg));

    for (size_t i = 0; i < NBREAKDOWNS; i++) {
        const breakdown_t *b = &breakdowns[i];
        int past = b->window == W_PAST;
        if (db_query(&r, bd_sql(i), "sssssssi", site, b->dim, past ? d_cut : d_raw7, d_w, site,
                     past ? t_past : t_raw7, past ? t_today : FAR_FUTURE,
                     (long long)(b->limit + 1)) != 0) {
            json_object_put(trend);
            goto dberr;
        }
        json_object_object_add(o, b->key, breakdown_json(b, r));
        db_free(r);
        r = NULL;
    }
    json_object_object_add(o, "daily_trend", trend);
    resp_json(resp, 200, o);
    return;
dberr:
    db_free(r);
    json_object_put(o);
    stats_db_error(resp);
}
