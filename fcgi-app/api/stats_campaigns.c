/* stats_campaigns.c -- GET /api/stats/campaigns, /campaign-events and
 * /experiments (spec/30 §2.6-§2.8, §7.1, product decision 10).
 *
 * Tables read: utm_campaigns, visitor_views, semantic_events, experiments,
 * experiment_variants. Campaign windows are at most 90 days and use the
 * (utm_campaign, site_id, created_at) / (site_id, created_at, bot_score)
 * indexes; experiments count over all retained events of the variant
 * through (experiment_id, variant_id). */
#include "api/stats.h"
#include "api/stats_int.h"
#include "api/stats_util.h"
#include "store/db.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CLEAN " AND bot_score BETWEEN 0 AND 49"

static void window_start(req_t *req, long *days, char *out, size_t outsz)
{
    *days = (long)stats_clamp(stats_lint_or(stats_param(req, "days"), 30), 1, 90);
    stats_day_sql(stats_now_ms() / 86400000 - *days, out, outsz);
}

static json_object *group_list(const char *sql, const char *label_key, const char *null_label,
                               int with_visitors, const char *camp, const char *site,
                               const char *since, int *err)
{
    db_res_t *r;
    if (db_query(&r, sql, "sss", camp, site, since) != 0) {
        *err = 1;
        return NULL;
    }
    json_object *a = json_object_new_array();
    while (db_next(r)) {
        json_object *e = json_object_new_object();
        json_object_object_add(e, label_key, db_isnull(r, 0) && null_label
                               ? json_object_new_string(null_label) : stats_col_str(r, 0));
        json_object_object_add(e, "views", stats_col_int(r, 1, 1));
        if (with_visitors) json_object_object_add(e, "visitors", stats_col_int(r, 2, 1));
        json_object_array_add(a, e);
    }
    db_free(r);
    return a;
}

#define CAMP_FROM " FROM visitor_views WHERE utm_campaign = ? AND site_id = ? AND created_at >= ?" CLEAN

static void campaign_detail(resp_t *resp, const char *id, const char *since)
{
    db_res_t *r;
    if (db_query(&r, "SELECT utm_campaign, site_id FROM utm_campaigns WHERE id = ?", "s", id) != 0) {
        stats_db_error(resp);
        return;
    }
    if (!db_next(r)) {
        db_free(r);
        resp_error(resp, 404, "not_found", NULL);
        return;
    }
    char *camp = strdup(db_str(r, 0)), *site = strdup(db_str(r, 1));
    db_free(r);
    if (!camp || !site) abort();
    static const struct { const char *key, *label, *null_label, *sql; int visitors; } parts[] = {
        { "bySource", "utm_source", "direct",
          "SELECT utm_source, COUNT(*) AS views, COUNT(DISTINCT visitor_id)" CAMP_FROM
          " GROUP BY utm_source ORDER BY views DESC, utm_source ASC LIMIT 20", 1 },
        { "byMedium", "utm_medium", "none",
          "SELECT utm_medium, COUNT(*) AS views, COUNT(DISTINCT visitor_id)" CAMP_FROM
          " GROUP BY utm_medium ORDER BY views DESC, utm_medium ASC LIMIT 20", 1 },
        { "dailyTrend", "date", NULL,
          "SELECT DATE(created_at) AS d, COUNT(*) AS views, COUNT(DISTINCT visitor_id)" CAMP_FROM
          " GROUP BY DATE(created_at) ORDER BY d ASC", 1 },
        { "topPaths", "path", NULL,
          "SELECT path, COUNT(*) AS views, COUNT(DISTINCT visitor_id)" CAMP_FROM
          " GROUP BY path ORDER BY views DESC, path ASC LIMIT 20", 1 },
        { "byContent", "utm_content", "none",
          "SELECT utm_content, COUNT(*) AS views, 0" CAMP_FROM
          " GROUP BY utm_content ORDER BY views DESC, utm_content ASC LIMIT 20", 0 },
        { "byTerm", "utm_term", "none",
          "SELECT utm_term, COUNT(*) AS views, 0" CAMP_FROM
          " GROUP BY utm_term ORDER BY views DESC, utm_term ASC LIMIT 20", 0 },
    };
    json_object *o = json_object_new_object();
    json_object_object_add(o, "campaign_id", json_object_new_string(id));
    int err = 0;
    for (size_t i = 0; i < sizeof parts / sizeof parts[0] && !err; i++) {
        json_object *a = group_list(parts[i].sql, parts[i].label, parts[i].null_label,
                                    parts[i].visitors, camp, site, since, &err);
        if (a) json_object_object_add(o, parts[i].key, a);
    }
    free(camp);
    free(site);
    if (err) {
        json_object_put(o);
        stats_db_error(resp);
        return;
    }
    resp_json(resp, 200, o);
}

void stats_campaigns_handler(req_t *req, resp_t *resp)
{
    long days;
    char since[32];
    window_start(req, &days, since, sizeof since);
    const char *id = stats_param(req, "id");
    if (id) {
        campaign_detail(resp, id, since);
        return;
    }
    db_res_t *r;
    if (db_query(&r,
                 "SELECT c.id, c.name, c.utm_campaign, c.site_id, c.status,"
                 " (SELECT COUNT(*) FROM visitor_views v WHERE v.utm_campaign = c.utm_campaign"
                 "   AND v.site_id = c.site_id AND v.created_at >= ? AND v.bot_score BETWEEN 0 AND 49) AS views,"
                 " (SELECT COUNT(DISTINCT v.visitor_id) FROM visitor_views v"
                 "   WHERE v.utm_campaign = c.utm_campaign AND v.site_id = c.site_id"
                 "   AND v.created_at >= ? AND v.bot_score BETWEEN 0 AND 49) AS visitors"
                 " FROM utm_campaigns c ORDER BY views DESC, c.id ASC",
                 "ss", since, since) != 0) {
        stats_db_error(resp);
        return;
    }
    json_object *a = json_object_new_array();
    while (db_next(r)) {
        json_object *e = json_object_new_object();
        json_object_object_add(e, "id", stats_col_str(r, 0));
        json_object_object_add(e, "name", stats_col_str(r, 1));
        json_object_object_add(e, "utm_campaign", stats_col_str(r, 2));
        json_object_object_add(e, "site_id", stats_col_str(r, 3));
        json_object_object_add(e, "status", stats_col_str(r, 4));
        json_object_object_add(e, "views", stats_col_int(r, 5, 1));
        json_object_object_add(e, "visitors", stats_col_int(r, 6, 1));
        json_object_array_add(a, e);
    }
    db_free(r);
    resp_json(resp, 200, a);
}

/* ---- campaign-events (the intended behaviour of §2.7) ---- */

typedef struct bd_row {
    const char *camp, *type;   /* point into the buffered result */
    long long count, uniq;
} bd_row_t;

static int same_campaign(const char *a, const char *b)
{
    if (!a || !b) return !a && !b;
    return strcmp(a, b) == 0;
}

void stats_campaign_events_handler(req_t *req, resp_t *resp)
{
    const char *site = stats_site_or_reply(req, resp);
    if (!site) return;
    long days;
    char since[32];
    window_start(req, &days, since, sizeof since);
    const char *etype = stats_param(req, "event_type");
    db_res_t *r = NULL, *bd = NULL;
    int rc = db_query(&r,
        "SELECT uc.id, uc.name, v.utm_campaign, v.visitors,"
        " IFNULL(e.event_visitors, 0), IFNULL(e.events, 0)"
        " FROM (SELECT utm_campaign, COUNT(DISTINCT visitor_id) AS visitors FROM visitor_views"
        "        WHERE created_at >= ? AND site_id = ?" CLEAN " GROUP BY utm_campaign) v"
        " LEFT JOIN (SELECT utm_campaign, COUNT(DISTINCT visitor_id) AS event_visitors,"
        "        COUNT(*) AS events FROM semantic_events"
        "        WHERE created_at >= ? AND site_id = ?" CLEAN
        "        AND (? IS NULL OR event_type = ?)"
        "        GROUP BY utm_campaign) e ON e.utm_campaign <=> v.utm_campaign"
        " LEFT JOIN utm_campaigns uc ON uc.utm_campaign = v.utm_campaign AND uc.site_id = ?"
        " ORDER BY v.visitors DESC, v.utm_campaign ASC LIMIT 50",
        "sssssss", since, site, since, site, etype, etype, site);
    if (rc == 0)
        rc = db_query(&bd,
            "SELECT utm_campaign, event_type, COUNT(*) AS cnt, COUNT(DISTINCT visitor_id)"
            " FROM semantic_events WHERE created_at >= ? AND site_id = ?" CLEAN
            " GROUP BY utm_campaign, event_type"
            " ORDER BY utm_campaign ASC, cnt DESC, event_type ASC LIMIT 500",
            "ss", since, site);
    if (rc != 0) {
        db_free(r);
        stats_db_error(resp);
        return;
    }
    /* The breakdown is a buffered result without rewind: copy it once. */
    size_t nb = db_nrows(bd);
    bd_row_t *rows = calloc(nb + 1, sizeof *rows);
    if (!rows) abort();
    for (size_t i = 0; db_next(bd) && i < nb; i++) {
        rows[i].camp = db_str(bd, 0);
        rows[i].type = db_str(bd, 1);
        rows[i].count = db_int(bd, 2);
        rows[i].uniq = db_int(bd, 3);
    }
    json_object *a = json_object_new_array();
    while (db_next(r)) {
        const char *camp = db_str(r, 2);
        long long visitors = db_int(r, 3), ev = db_int(r, 4), events = db_int(r, 5);
        json_object *e = json_object_new_object();
        json_object_object_add(e, "campaign_id", stats_col_str(r, 0));
        json_object_object_add(e, "campaign_name", stats_col_str(r, 1));
        json_object_object_add(e, "utm_campaign", stats_col_str(r, 2));
        json_object_object_add(e, "visitors", json_object_new_int64(visitors));
        json_object_object_add(e, "event_visitors", json_object_new_int64(ev));
        json_object_object_add(e, "events", json_object_new_int64(events));
        json_object_object_add(e, "event_rate",
                               stats_json_double(visitors ? (double)ev / (double)visitors : 0));
        json_object_object_add(e, "events_per_visitor",
                               stats_json_double(visitors ? (double)events / (double)visitors : 0));
        json_object *types = json_object_new_array();
        int nt = 0;
        for (size_t i = 0; i < nb && nt < 10; i++) {
            if (!same_campaign(rows[i].camp, camp)) continue;
            json_object *t = json_object_new_object();
            json_object_object_add(t, "event_type", stats_jstr(rows[i].type));
            json_object_object_add(t, "count", json_object_new_int64(rows[i].count));
            json_object_object_add(t, "unique_visitors", json_object_new_int64(rows[i].uniq));
            json_object_array_add(types, t);
            nt++;
        }
        json_object_object_add(e, "event_types", types);
        json_object_array_add(a, e);
    }
    free(rows);
    db_free(r);
    db_free(bd);
    resp_json(resp, 200, a);
}

/* ---- experiments (§2.8) ---- */

typedef struct variant {
    json_object *obj;
    long long imp, conv;
    int control;
    double rate;
} variant_t;

static json_object *experiment_json(db_res_t *x, int *err)
{
    const char *id = db_str(x, 0), *metric = db_str(x, 3);
    db_res_t *r;
    /* Decision 10: a conversion is an event of type M, or a custom event
     * whose data.name is M. Impressions and conversions count distinct
     * non-NULL sessions over all scores, sites and ages (§7.9). */
    if (db_query(&r,
                 "SELECT ev.variant_id, ev.name, ev.is_control,"
                 " COUNT(DISTINCT se.session_id),"
                 " COUNT(DISTINCT CASE WHEN se.event_type = ? OR (se.event_type = 'custom' AND"
                 "   JSON_VALID(se.data) AND JSON_UNQUOTE(JSON_EXTRACT(se.data, '$.name')) = ?)"
                 "   THEN se.session_id END)"
                 " FROM experiment_variants ev"
                 " LEFT JOIN semantic_events se"
                 "   ON se.experiment_id = ev.experiment_id AND se.variant_id = ev.variant_id"
                 " WHERE ev.experiment_id = ?"
                 " GROUP BY ev.variant_id, ev.name, ev.is_control"
                 " ORDER BY ev.is_control DESC, ev.variant_id ASC",
                 "sss", metric, metric, id) != 0) {
        *err = 1;
        return NULL;
    }
    size_t n = db_nrows(r);
    variant_t *v = calloc(n + 1, sizeof *v);
    if (!v) abort();
    size_t k = 0;
    for (; db_next(r) && k < n; k++) {
        v[k].imp = db_int(r, 3);
        v[k].conv = db_int(r, 4);
        v[k].control = db_int(r, 2) != 0;
        v[k].rate = v[k].imp ? (double)v[k].conv / (double)v[k].imp : 0;
        json_object *o = json_object_new_object();
        json_object_object_add(o, "variant_id", stats_col_str(r, 0));
        json_object_object_add(o, "name", stats_col_str(r, 1));
        json_object_object_add(o, "is_control", json_object_new_boolean(v[k].control));
        json_object_object_add(o, "impressions", json_object_new_int64(v[k].imp));
        json_object_object_add(o, "conversions", json_object_new_int64(v[k].conv));
        json_object_object_add(o, "conversion_rate", stats_json_double(v[k].rate));
        v[k].obj = o;
    }
    db_free(r);
    const variant_t *ctl = NULL;
    for (size_t i = 0; i < k && !ctl; i++)
        if (v[i].control) ctl = &v[i];
    json_object *arr = json_object_new_array();
    for (size_t i = 0; i < k; i++) {
        json_object *up = NULL;
        char sig[96] = "Not enough data";
        if (ctl && ctl->imp > 0 && !v[i].control) {
            if (ctl->rate > 0) up = stats_json_double((v[i].rate - ctl->rate) / ctl->rate);
            stats_ztest(ctl->conv, ctl->imp, v[i].conv, v[i].imp, sig, sizeof sig);
        }
        json_object_object_add(v[i].obj, "relative_uplift", up);
        json_object_object_add(v[i].obj, "significance", json_object_new_string(sig));
        json_object_array_add(arr, v[i].obj);
    }
    free(v);
    json_object *e = json_object_new_object();
    json_object_object_add(e, "experiment_id", stats_col_str(x, 0));
    json_object_object_add(e, "name", stats_col_str(x, 1));
    json_object_object_add(e, "status", stats_col_str(x, 2));
    json_object_object_add(e, "metric_event_type", stats_col_str(x, 3));
    json_object_object_add(e, "variants", arr);
    return e;
}

void stats_experiments_handler(req_t *req, resp_t *resp)
{
    const char *id = stats_param(req, "experiment_id");
    db_res_t *x;
    int rc = id ? db_query(&x, "SELECT experiment_id, name, status, metric_event_type"
                               " FROM experiments WHERE experiment_id = ?", "s", id)
                : db_query(&x, "SELECT experiment_id, name, status, metric_event_type"
                               " FROM experiments WHERE status IN ('active', 'completed')"
                               " ORDER BY created_at ASC, experiment_id ASC", "");
    if (rc != 0) {
        stats_db_error(resp);
        return;
    }
    json_object *a = json_object_new_array();
    int err = 0;
    while (!err && db_next(x)) {
        json_object *e = experiment_json(x, &err);
        if (e) json_object_array_add(a, e);
    }
    db_free(x);
    if (err) {
        json_object_put(a);
        stats_db_error(resp);
        return;
    }
    resp_json(resp, 200, a);
}
