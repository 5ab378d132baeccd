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
 * from the rollup tables; raw days come from raw clean rows, counted by the
 * code maintenance rolls a day up with (maintain_scan into api/stats_agg.c:
 * same groups, excluded visitors left out, visitors = distinct per day). So
 * yesterday is counted from raw rows until its rollup is complete, no day is
 * counted twice, and the headline equals the trend summed plus today.
 * Normally L is yesterday or today: the raw part is at most two days
 * whatever the period, and the rollup part is a primary-key range scan of
 * small per-day groups.
 *
 * Speed: the raw rows of each raw day are read once (one indexed range
 * query, only the columns the groups need) and every list is counted from
 * them in memory; the rollup parts are one small query per list, merged
 * with the raw groups by label (agg_tally) and ranked in C. Reading raw
 * rows once per list instead (a UNION ALL per list) cost ~50-100 ms each.
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
#include "api/stats_agg.h"
#include "api/maintain.h"
#include "core/config.h"
#include "store/db.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAR_FUTURE "9999-12-31 00:00:00.000"

/* Rollup rows of rolled-up days only: ? = L, ? = the rolled-up days after L. */
#define ROLLED_DAYS(col) " AND (" col " < ? OR FIND_IN_SET(" col ", ?) > 0)"

typedef struct breakdown {
    const char *key;           /* response key */
    int kind;                  /* AGG_* dimension */
    const char *label_key;     /* label field name */
    size_t limit;              /* rows shown */
    int visitors;              /* emit the visitors field */
} breakdown_t;

/* Raw-style breakdowns over min(N,7) full days plus today, from
 * visitor_views_daily_dim (devices and countries have their own parts). */
static const breakdown_t breakdowns[] = {
    { "top_paths", AGG_PATH, "path", 20, 1 },
    { "referrers", AGG_REFERRER, "referrer_type", 1000, 0 },
    { "os_systems", AGG_OS, "os_name", 20, 1 },
    { "browsers", AGG_BROWSER, "browser", 20, 1 },
    { "resolutions", AGG_RESOLUTION, "resolution", 20, 1 },
};
#define NBREAKDOWNS (sizeof breakdowns / sizeof breakdowns[0])

typedef struct days {
    long lo;                   /* first classified day */
    long first_raw;            /* L */
    char *raw;                 /* per day of [lo, today): 1 = raw */
    char *rolled;              /* rolled-up days >= L, "YYYY-MM-DD,..." ("" if none) */
} days_t;

static void days_free(days_t *d)
{
    free(d->raw);
    free(d->rolled);
}

/* Classify the days of [lo, today) for site (see the file comment). */
static int classify(const char *site, long lo, long today, days_t *out)
{
    long n = today - lo;
    out->lo = lo;
    out->first_raw = today;
    out->rolled = calloc(1, (size_t)(n > 0 ? n : 0) * 11 + 1);
    out->raw = calloc((size_t)(n > 0 ? n : 0) + 1, 1);
    if (!out->rolled || !out->raw) abort();
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
        out->raw[i] = (char)!rolled;
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

/* Count the raw clean rows of every raw day from `from` on, and of today
 * and later, into a: one query per raw day (bounded result sets). */
static int scan_raw(agg_t *a, const char *site, const days_t *dd, long from, long today)
{
    char t0[32], t1[32];
    for (long d = from; d < today; d++) {
        if (d < dd->lo || !dd->raw[d - dd->lo]) continue;
        stats_day_sql(d, t0, sizeof t0);
        stats_day_sql(d + 1, t1, sizeof t1);
        if (maintain_scan(a, site, t0, t1) != MAINTAIN_OK) return -1;
    }
    stats_day_sql(today, t0, sizeof t0);
    return maintain_scan(a, site, t0, FAR_FUTURE) == MAINTAIN_OK ? 0 : -1;
}

static agg_str_t col(const db_res_t *r, size_t c)
{
    return (agg_str_t){ db_str(r, c), db_len(r, c) };
}

static json_object *jlabel(agg_str_t s)
{
    return s.s ? json_object_new_string_len(s.s, (int)s.len) : NULL;
}

/* A ranked list of tally `t` of `kind` as JSON objects {label_key: label,
 * count_key: views[, "visitors": visitors]}. */
static json_object *ranked_json(const agg_t *t, int kind, size_t limit, const char *label_key,
                                const char *count_key, int visitors)
{
    size_t n = agg_ngroups(t);
    if (limit > n) limit = n;
    const agg_group_t **g = calloc(limit + 1, sizeof *g);
    if (!g) abort();
    n = agg_ranked(t, kind, g, limit);
    json_object *arr = json_object_new_array();
    for (size_t i = 0; i < n; i++) {
        agg_str_t label = g[i]->part[0];
        json_object *o = json_object_new_object();
        json_object *lj;
        if (kind == AGG_OS && !label.s) lj = json_object_new_string("Unknown");
        else if (kind == AGG_RESOLUTION && label.s)
            lj = json_object_new_string(stats_resolution_label(label.s));
        else lj = jlabel(label);
        json_object_object_add(o, label_key, lj);
        json_object_object_add(o, count_key, json_object_new_int64(g[i]->views));
        if (visitors) json_object_object_add(o, "visitors", json_object_new_int64(g[i]->visitors));
        json_object_array_add(arr, o);
    }
    free(g);
    return arr;
}

/* Tally the rollup part of `countries` into t (see the handler). */
static int count_countries(agg_t *t, const char *site, const char *d_cut, const char *d_today,
                           const char *d_l, const char *rl)
{
    db_res_t *r;
    agg_t *dim = agg_new();         /* "YYYY-MM-DD" + country -> the day's distinct */
    char *key = NULL;
    size_t keycap = 0;
    int rc = -1;
    if (db_query(&r,
                 "SELECT date, label, visitors FROM visitor_views_daily_dim"
                 " WHERE site_id = ? AND dim = 'country' AND date >= ? AND date < ?"
                 ROLLED_DAYS("date"), "sssss", site, d_cut, d_today, d_l, rl) != 0)
        goto out;
    for (int pass = 0; pass < 2; pass++) {
        while (db_next(r)) {
            size_t dl = db_len(r, 0), ll = db_len(r, 1);
            if (!db_str(r, 0) || !db_str(r, 1)) continue;
            if (dl + ll > keycap) {
                keycap = dl + ll + 64;
                key = realloc(key, keycap);
                if (!key) abort();
            }
            memcpy(key, db_str(r, 0), dl);
            memcpy(key + dl, db_str(r, 1), ll);
            agg_str_t k = { key, dl + ll };
            if (pass == 0) {
                agg_tally(dim, AGG_COUNTRY, k, 0, db_int(r, 2));
                continue;
            }
            const agg_group_t *d = agg_tallied(dim, AGG_COUNTRY, k);
            agg_tally(t, AGG_COUNTRY, col(r, 1), db_int(r, 2), d ? d->visitors : db_int(r, 3));
        }
        db_free(r);
        r = NULL;
        if (pass == 1) break;
        if (db_query(&r,
                     "SELECT g.date, g.country_code, SUM(g.visits), SUM(g.unique_visitors)"
                     " FROM visitor_views_daily g WHERE g.site_id = ? AND g.date >= ? AND g.date < ?"
                     ROLLED_DAYS("g.date") " AND g.country_code <> 'unknown'"
                     " GROUP BY g.country_code, g.date",
                     "sssss", site, d_cut, d_today, d_l, rl) != 0)
            goto out;
    }
    rc = 0;
out:
    free(key);
    agg_free(dim);
    return rc;
}

typedef struct trend_day {
    long day;
    long long views, visitors;
} trend_day_t;

static int cmp_trend(const void *a, const void *b)
{
    long x = ((const trend_day_t *)a)->day, y = ((const trend_day_t *)b)->day;
    return (x > y) - (x < y);
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
    json_object *o = NULL;
    trend_day_t *trend = NULL;
    json_object *trend_j = NULL;
    agg_t *raw = agg_new(), *tally = agg_new();
    db_res_t *r = NULL;
    /* Device and referrer lists show no visitors, and the main groups only
     * feed the average: their distinct visitors are not counted. */
    agg_skip_visitors(raw, AGG_BIT(AGG_MAIN) | AGG_BIT(AGG_DEVICE) | AGG_BIT(AGG_REFERRER));
    if (classify(site, cutoff > horizon ? cutoff : horizon, today, &dd) != 0) goto dberr;
    long L = dd.first_raw;
    const char *rl = dd.rolled;
    long past = L > cutoff ? L : cutoff;      /* raw rows start here */
    char d_cut[16], d_l[16], d_raw7[16], d_today[16];
    stats_fmt_date(cutoff, d_cut, sizeof d_cut);
    stats_fmt_date(L, d_l, sizeof d_l);
    stats_fmt_date(raw7, d_raw7, sizeof d_raw7);
    stats_fmt_date(today, d_today, sizeof d_today);

    if (scan_raw(raw, site, &dd, past, today) != 0) goto dberr;
    size_t ng = agg_ngroups(raw);

    /* Per-day totals: the trend, and from it the headline numbers. Rolled-up
     * days from the rollups (per-day distinct visitors from the 'site' dim,
     * the reference's largest group for a day without it), raw days and
     * today from the raw groups. */
    if (db_query(&r,
                 "SELECT g.date, SUM(g.visits),"
                 " COALESCE((SELECT s.visitors FROM visitor_views_daily_dim s WHERE s.site_id = g.site_id"
                 "  AND s.dim = 'site' AND s.date = g.date), MAX(g.unique_visitors))"
                 " FROM visitor_views_daily g WHERE g.site_id = ? AND g.date >= ? AND g.date < ?"
                 ROLLED_DAYS("g.date") " GROUP BY g.site_id, g.date",
                 "sssss", site, d_cut, d_today, d_l, rl) != 0)
        goto dberr;
    size_t ntrend = 0;
    trend = calloc(db_nrows(r) + ng + 1, sizeof *trend);
    if (!trend) abort();
    while (db_next(r)) {
        long d;
        if (stats_parse_date(db_str(r, 0), &d) != 0) continue;
        trend[ntrend++] = (trend_day_t){ d, db_int(r, 1), db_int(r, 2) };
    }
    db_free(r);
    r = NULL;
    for (size_t i = 0; i < ng; i++) {
        const agg_group_t *g = agg_group(raw, i);
        if (g->kind == AGG_SITE) trend[ntrend++] = (trend_day_t){ g->day, g->views, g->visitors };
    }
    qsort(trend, ntrend, sizeof *trend, cmp_trend);
    long long visits = 0, uniq = 0;
    trend_j = json_object_new_array();
    for (size_t i = 0; i < ntrend; i++) {
        visits += trend[i].views;
        uniq += trend[i].visitors;
        if (trend[i].day >= today) continue;   /* today: headline only */
        char d[16];
        stats_fmt_date(trend[i].day, d, sizeof d);
        json_object *e = json_object_new_object();
        json_object_object_add(e, "date", json_object_new_string(d));
        json_object_object_add(e, "visits", json_object_new_int64(trend[i].views));
        json_object_object_add(e, "visitors", json_object_new_int64(trend[i].visitors));
        json_object_array_add(trend_j, e);
    }

    o = json_object_new_object();
    json_object_object_add(o, "site_id", json_object_new_string(site));
    json_object_object_add(o, "period_days", json_object_new_int64(days));
    json_object_object_add(o, "visits", json_object_new_int64(visits));
    json_object_object_add(o, "unique_visitors", json_object_new_int64(uniq));
    /* Plain mean of the group averages (spec/30 §2.1 item 3), NULLs left
     * out as AVG leaves them out; raw past days grouped as their rollup
     * will be. */
    if (db_query(&r,
                 "SELECT IFNULL(SUM(g.avg_interaction_ms), 0), COUNT(g.avg_interaction_ms)"
                 " FROM visitor_views_daily g WHERE g.site_id = ? AND g.date >= ? AND g.date < ?"
                 ROLLED_DAYS("g.date"), "sssss", site, d_cut, d_today, d_l, rl) != 0)
        goto dberr;
    long long asum = 0, acnt = 0;
    if (db_next(r)) {
        asum = db_int(r, 0);
        acnt = db_int(r, 1);
    }
    db_free(r);
    r = NULL;
    for (size_t i = 0; i < ng; i++) {
        const agg_group_t *g = agg_group(raw, i);
        if (g->kind != AGG_MAIN || g->day >= today) continue;
        asum += agg_group_avg(g);
        acnt++;
    }
    json_object_object_add(o, "avg_interaction_ms", json_object_new_int64(acnt ? asum / acnt : 0));

    for (size_t i = 0; i < NBREAKDOWNS; i++) {
        const breakdown_t *b = &breakdowns[i];
        const char *dim = agg_dim_name(b->kind);
        /* Rows, not GROUP BY label: a primary-key range read is ~10x
         * cheaper than grouping long labels in a temporary table, and the
         * tally merges labels byte for byte as the collation would. */
        if (db_query(&r,
                     "SELECT label, views, visitors FROM visitor_views_daily_dim"
                     " WHERE site_id = ? AND dim = ? AND date >= ? AND date < ?" ROLLED_DAYS("date"),
                     "ssssss", site, dim, d_raw7, d_today, d_l, rl) != 0)
            goto dberr;
        while (db_next(r)) agg_tally(tally, b->kind, col(r, 0), db_int(r, 1), db_int(r, 2));
        db_free(r);
        r = NULL;
        for (size_t j = 0; j < ng; j++) {
            const agg_group_t *g = agg_group(raw, j);
            if (g->kind == b->kind && g->day >= raw7)
                agg_tally(tally, b->kind, g->part[0], g->views, g->visitors);
        }
        json_object_object_add(o, b->key, ranked_json(tally, b->kind, b->limit, b->label_key,
                                                      "views", b->visitors));
        if (i > 0) continue;

        /* Devices and countries (response key order: after top_paths) over
         * the N full days. */
        if (db_query(&r,
                     "SELECT g.device_type, SUM(g.visits) FROM visitor_views_daily g"
                     " WHERE g.site_id = ? AND g.date >= ? AND g.date < ?" ROLLED_DAYS("g.date")
                     " GROUP BY g.device_type",
                     "sssss", site, d_cut, d_today, d_l, rl) != 0)
            goto dberr;
        while (db_next(r)) agg_tally(tally, AGG_DEVICE, col(r, 0), db_int(r, 1), 0);
        db_free(r);
        r = NULL;
        for (size_t j = 0; j < ng; j++) {
            const agg_group_t *g = agg_group(raw, j);
            if (g->kind == AGG_DEVICE && g->day < today)
                agg_tally(tally, AGG_DEVICE, g->part[0], g->views, 0);
        }
        json_object_object_add(o, "devices",
                               ranked_json(tally, AGG_DEVICE, (size_t)-1, "device_type", "visits", 0));

        /* Country visitors: per country and day distinct (the 'country'
         * dim), or the reference's group sum for a day without it. Two
         * range reads joined in C (a SQL join grouped twice cost 4x). */
        if (count_countries(tally, site, d_cut, d_today, d_l, rl) != 0) goto dberr;
        for (size_t j = 0; j < ng; j++) {
            const agg_group_t *g = agg_group(raw, j);
            if (g->kind == AGG_COUNTRY && g->day < today && g->part[0].s &&
                !(g->part[0].len == 7 && memcmp(g->part[0].s, "unknown", 7) == 0))
                agg_tally(tally, AGG_COUNTRY, g->part[0], g->views, g->visitors);
        }
        json_object_object_add(o, "countries",
                               ranked_json(tally, AGG_COUNTRY, 10, "country_code", "visits", 1));
    }
    json_object_object_add(o, "daily_trend", trend_j);
    free(trend);
    days_free(&dd);
    agg_free(raw);
    agg_free(tally);
    resp_json(resp, 200, o);
    return;
dberr:
    json_object_put(trend_j);
    db_free(r);
    json_object_put(o);
    free(trend);
    days_free(&dd);
    agg_free(raw);
    agg_free(tally);
    stats_db_error(resp);
}
