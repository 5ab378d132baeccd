/* bots_read.c -- bot-management reads (spec/30 §2.9-§2.12; see bots_read.h).
 *
 * Tables read: visitor_views (indexes (bot_score, visitor_id) and
 * (visitor_id)), semantic_events ((visitor_id)), excluded_visitors. */
#include "api/bots_read.h"
#include "api/stats_int.h"
#include "api/stats_util.h"
#include "api/apiutil.h"
#include "store/db.h"
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void bots_suspicious_handler(req_t *req, resp_t *resp)
{
    const char *site = stats_param(req, "site_id");
    if (site && !stats_site_valid(site)) {
        resp_error(resp, 400, "invalid_site_id", "Invalid site ID");
        return;
    }
    long long min_score;
    if (stats_lint(req_query(req, "min_score"), &min_score) != 0) min_score = 25;
    long long limit = stats_clamp(stats_lint_or(stats_param(req, "limit"), 50), 1, 200);
    db_res_t *r;
    if (db_query(&r,
                 "SELECT v.visitor_id, MAX(v.bot_score) AS mx, COUNT(*) AS pv,"
                 " MIN(v.created_at), MAX(v.created_at),"
                 " GROUP_CONCAT(DISTINCT v.site_id), GROUP_CONCAT(DISTINCT v.device_type),"
                 " GROUP_CONCAT(DISTINCT v.country_code), GROUP_CONCAT(DISTINCT v.os_name),"
                 " GROUP_CONCAT(DISTINCT CONCAT(v.browser_name, ' ', v.browser_version)),"
                 " EXISTS (SELECT 1 FROM excluded_visitors e WHERE e.visitor_id = v.visitor_id)"
                 " FROM visitor_views v WHERE v.bot_score >= ? AND (? IS NULL OR v.site_id = ?)"
                 " GROUP BY v.visitor_id ORDER BY mx DESC, pv DESC, v.visitor_id ASC LIMIT ?",
                 "issi", min_score, site, site, limit) != 0) {
        stats_db_error(resp);
        return;
    }
    json_object *a = json_object_new_array();
    while (db_next(r)) {
        json_object *e = json_object_new_object();
        json_object_object_add(e, "visitor_id", stats_col_str(r, 0));
        json_object_object_add(e, "max_bot_score", stats_col_int(r, 1, 0));
        json_object_object_add(e, "pageviews", stats_col_int(r, 2, 1));
        json_object_object_add(e, "first_seen", stats_col_ts(r, 3));
        json_object_object_add(e, "last_seen", stats_col_ts(r, 4));
        json_object_object_add(e, "sites", stats_col_str(r, 5));
        json_object_object_add(e, "devices", stats_col_str(r, 6));
        json_object_object_add(e, "countries", stats_col_str(r, 7));
        json_object_object_add(e, "os_names", stats_col_str(r, 8));
        json_object_object_add(e, "browsers", stats_col_str(r, 9));
        json_object_object_add(e, "is_excluded", stats_col_int(r, 10, 1));
        json_object_array_add(a, e);
    }
    db_free(r);
    resp_json(resp, 200, a);
}

void bots_excluded_handler(req_t *req, resp_t *resp)
{
    (void)req;
    db_res_t *r;
    if (db_query(&r,
                 "SELECT e.visitor_id, e.label, e.created_at,"
                 " (SELECT COUNT(*) FROM visitor_views v WHERE v.visitor_id = e.visitor_id),"
                 " (SELECT MAX(v.bot_score) FROM visitor_views v WHERE v.visitor_id = e.visitor_id)"
                 " FROM excluded_visitors e ORDER BY e.created_at DESC, e.visitor_id ASC LIMIT 500",
                 "") != 0) {
        stats_db_error(resp);
        return;
    }
    json_object *a = json_object_new_array();
    while (db_next(r)) {
        json_object *e = json_object_new_object();
        json_object_object_add(e, "visitor_id", stats_col_str(r, 0));
        json_object_object_add(e, "label", stats_col_str(r, 1));
        json_object_object_add(e, "created_at", stats_col_ts(r, 2));
        json_object_object_add(e, "pageviews", stats_col_int(r, 3, 1));
        json_object_object_add(e, "max_bot_score", stats_col_int(r, 4, 0));
        json_object_array_add(a, e);
    }
    db_free(r);
    resp_json(resp, 200, a);
}

void bots_visitor_handler(req_t *req, resp_t *resp)
{
    const char *id;
    size_t idlen;
    if (apiu_path_id_or_reply(req, resp, 128, &id, &idlen) != 0) return;
    db_res_t *x = NULL, *v = NULL, *e = NULL;
    if (db_query(&x, "SELECT visitor_id, label, created_at FROM excluded_visitors WHERE visitor_id = ?",
                 "b", id, idlen) != 0 ||
        db_query(&v,
                 "SELECT path, site_id, interaction_ms, device_type, os_name, browser_name,"
                 " browser_version, country_code, referrer_type, bot_score, is_pwa, created_at"
                 " FROM visitor_views WHERE visitor_id = ? ORDER BY created_at DESC, id DESC LIMIT 100",
                 "b", id, idlen) != 0 ||
        db_query(&e,
                 "SELECT event_type, site_id, data, device_type, bot_score, created_at"
                 " FROM semantic_events WHERE visitor_id = ? ORDER BY created_at DESC, id DESC LIMIT 100",
                 "b", id, idlen) != 0) {
        db_free(x);
        db_free(v);
        stats_db_error(resp);
        return;
    }
    json_object *o = json_object_new_object();
    json_object_object_add(o, "visitor_id", json_object_new_string_len(id, (int)idlen));
    int excluded = db_next(x);
    json_object_object_add(o, "is_excluded", json_object_new_boolean(excluded));
    json_object *ex = NULL;
    if (excluded) {
        ex = json_object_new_object();
        json_object_object_add(ex, "visitor_id", stats_col_str(x, 0));
        json_object_object_add(ex, "label", stats_col_str(x, 1));
        json_object_object_add(ex, "created_at", stats_col_ts(x, 2));
    }
    json_object_object_add(o, "exclusion", ex);
    static const char *vk[] = { "path", "site_id", "interaction_ms", "device_type", "os_name",
                                "browser_name", "browser_version", "country_code", "referrer_type",
                                "bot_score", "is_pwa", "created_at" };
    json_object *va = json_object_new_array();
    while (db_next(v)) {
        json_object *row = json_object_new_object();
        for (size_t c = 0; c < 12; c++) {
            json_object *val = c == 11 ? stats_col_ts(v, c)
                             : (c == 2 || c == 9 || c == 10) ? stats_col_int(v, c, 0)
                             : stats_col_str(v, c);
            json_object_object_add(row, vk[c], val);
        }
        json_object_array_add(va, row);
    }
    json_object_object_add(o, "views", va);
    static const char *ek[] = { "event_type", "site_id", "data", "device_type", "bot_score",
                                "created_at" };
    json_object *ea = json_object_new_array();
    while (db_next(e)) {
        json_object *row = json_object_new_object();
        for (size_t c = 0; c < 6; c++) {
            json_object *val = c == 5 ? stats_col_ts(e, c) : c == 4 ? stats_col_int(e, c, 0)
                             : stats_col_str(e, c);
            json_object_object_add(row, ek[c], val);
        }
        json_object_array_add(ea, row);
    }
    json_object_object_add(o, "events", ea);
    db_free(x);
    db_free(v);
    db_free(e);
    resp_json(resp, 200, o);
}

/* A decimal integer with optional surrounding whitespace (§2.12, §7.14). */
static int parse_id(const char *s, unsigned long long *out)
{
    while (isspace((unsigned char)*s)) s++;
    if (!isdigit((unsigned char)*s)) return -1;
    unsigned long long v = 0;
    for (; isdigit((unsigned char)*s); s++) {
        if (v > (~0ULL - 9) / 10) return -1;
        v = v * 10 + (unsigned)(*s - '0');
    }
    while (isspace((unsigned char)*s)) s++;
    if (*s) return -1;
    *out = v;
    return 0;
}

void bots_score_detail_handler(req_t *req, resp_t *resp)
{
    const char *view = stats_param(req, "view_id"), *event = stats_param(req, "event_id");
    if (!view && !event) {
        resp_error(resp, 400, "missing_param", "view_id or event_id required");
        return;
    }
    unsigned long long id;
    if (parse_id(view ? view : event, &id) != 0) {
        resp_error(resp, 404, "not_found", "Not found");
        return;
    }
    db_res_t *r;
    int rc = view ? db_query(&r, "SELECT bot_score, bot_score_detail FROM visitor_views WHERE id = ?", "u", id)
                  : db_query(&r, "SELECT bot_score, bot_score_detail FROM semantic_events WHERE id = ?", "u", id);
    if (rc != 0) {
        stats_db_error(resp);
        return;
    }
    if (!db_next(r)) {
        db_free(r);
        resp_error(resp, 404, "not_found", "Not found");
        return;
    }
    json_object *o = json_object_new_object();
    json_object_object_add(o, "score", stats_col_int(r, 0, 1));
    const char *d = db_str(r, 1);
    json_object *detail = NULL;
    if (d && *d && apiu_parse_json(d, db_len(r, 1), &detail) != 0) detail = json_object_new_object();
    json_object_object_add(o, "detail", detail);
    db_free(r);
    resp_json(resp, 200, o);
}
