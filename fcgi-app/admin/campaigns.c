/* campaigns.c -- /admin/campaigns and /admin/campaigns/:id (spec/40 §6.9).
 *
 * Views and visitors (fixed 30 days, human rows of the campaign's site) and
 * the detail breakdowns come from GET /api/stats/campaigns (in-process,
 * admin_subrequest), the campaign rows themselves from utm_campaigns. The
 * create form and the status/delete buttons are driven by admin.js. */
#include <stdio.h>
#include <string.h>
#include "admin/admin.h"
#include "admin/livebar.h"
#include "admin/shell.h"
#include "api/stats.h"
#include "store/db.h"

static const char *jstr(json_object *o, const char *k)
{
    json_object *v = NULL;
    if (!o || !json_object_object_get_ex(o, k, &v) || !v || json_object_is_type(v, json_type_null))
        return NULL;
    return json_object_get_string(v);
}

static long long jint(json_object *o, const char *k)
{
    json_object *v = NULL;
    if (!o || !json_object_object_get_ex(o, k, &v) || !v) return 0;
    return (long long)json_object_get_int64(v);
}

static size_t alen(json_object *a)
{
    return a && json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;
}

static json_object *find_campaign(json_object *list, const char *id)
{
    size_t n = list && json_object_is_type(list, json_type_array) ? json_object_array_length(list) : 0;
    for (size_t i = 0; i < n; i++) {
        json_object *c = json_object_array_get_idx(list, i);
        const char *cid = jstr(c, "id");
        if (cid && strcmp(cid, id) == 0) return c;
    }
    return NULL;
}

void admin_campaigns_handler(req_t *req, resp_t *resp)
{
    admin_page_t p;
    admin_page_begin(&p, req, resp, "UTM Campaigns");
    html_t *h = &p.h;
    if (!p.public_mode)
        html_raw(h, "<section class=\"panel\"><h2>Create Campaign</h2>"
                    "<form id=\"camp-form\" class=\"form\" autocomplete=\"off\"><div class=\"row\">"
                    "<input name=\"id\" placeholder=\"id (slug)\" aria-label=\"id (slug)\">"
                    "<input name=\"name\" placeholder=\"name\" aria-label=\"name\">"
                    "<input name=\"utm_campaign\" placeholder=\"utm_campaign value\" aria-label=\"utm_campaign value\">"
                    "<input name=\"site_id\" placeholder=\"site_id (default)\" aria-label=\"site_id (default)\" value=\"default\">"
                    "<button type=\"submit\" class=\"btn\" id=\"camp-submit\">&gt; create campaign</button>"
                    "<span id=\"camp-msg\" class=\"msg\"></span></div></form></section>");

    json_object *stats = NULL;
    admin_subrequest(req, stats_campaigns_handler, "/api/stats/campaigns", "days=30", &stats);
    db_res_t *r = NULL;
    if (db_query(&r, "SELECT id, name, utm_campaign, site_id, status, created_at FROM utm_campaigns "
                     "ORDER BY created_at DESC, id LIMIT 500", "") == 0) {
        html_f(h, "<section class=\"panel\"><h2>All Campaigns (%z)</h2>", db_nrows(r));
        if (db_nrows(r) == 0) {
            html_raw(h, "<p class=\"muted\">No campaigns yet.</p>");
        } else {
            html_raw(h, "<div class=\"tablewrap\"><table id=\"camp-list\"><thead><tr><th>ID</th><th>Name</th>"
                        "<th>utm_campaign</th><th>Site</th><th>Status</th><th class=\"num\">Views</th>"
                        "<th class=\"num\">Visitors</th><th>Created</th></tr></thead><tbody>");
            while (db_next(r)) {
                char d[40];
                const char *id = db_str(r, 0), *st = db_str(r, 4);
                json_object *c = find_campaign(stats, id ? id : "");
                html_f(h, "<tr data-id=\"%s\"><td><a href=\"/admin/campaigns/%u\">%s</a></td><td>%s</td><td>%s</td>"
                       "<td>%s</td><td><span class=\"badge cs-%s\">%s</span></td><td class=\"num\">%l</td>"
                       "<td class=\"num\">%l</td><td>%s</td></tr>",
                       id, id, id, db_str(r, 1), db_str(r, 2), db_str(r, 3), st, st, jint(c, "views"),
                       jint(c, "visitors"), admin_fmt_date(db_str(r, 5), d, sizeof d));
            }
            html_raw(h, "</tbody></table></div>");
        }
        html_raw(h, "</section>");
        db_free(r);
    } else {
        html_raw(h, "<div class=\"alert danger\">Database unavailable</div>");
    }
    if (stats) json_object_put(stats);
    admin_page_end(&p);
}

typedef struct bd {
    const char *key, *title, *label_key, *label_head;
    int visitors;
} bd_t;

static void breakdown(html_t *h, json_object *d, const bd_t *b)
{
    json_object *arr = NULL;
    if (!json_object_object_get_ex(d, b->key, &arr) || !json_object_is_type(arr, json_type_array) ||
        json_object_array_length(arr) == 0)
        return;
    html_f(h, "<section class=\"panel\"><h2>%s</h2><table><thead><tr><th>%s</th><th class=\"num\">Views</th>%r"
           "</tr></thead><tbody>", b->title, b->label_head, b->visitors ? "<th class=\"num\">Visitors</th>" : "");
    for (size_t i = 0; i < json_object_array_length(arr); i++) {
        json_object *e = json_object_array_get_idx(arr, i);
        html_f(h, "<tr><td class=\"trunc\">%s</td><td class=\"num\">%l</td>", jstr(e, b->label_key),
               jint(e, "views"));
        if (b->visitors) html_f(h, "<td class=\"num\">%l</td>", jint(e, "visitors"));
        html_raw(h, "</tr>");
    }
    html_raw(h, "</tbody></table></section>");
}

void admin_campaign_handler(req_t *req, resp_t *resp)
{
    const char *raw = req_param(req, 0);
    size_t rl = raw ? strlen(raw) : 0;
    char *id = arena_alloc(req->arena, rl + 1);
    http_pct_decode(raw ? raw : "", rl, id, 0);
    db_res_t *r = NULL;
    if (db_query(&r, "SELECT name, utm_campaign, site_id, status, created_at FROM utm_campaigns WHERE id = ?",
                 "s", id) != 0) {
        resp_text(resp, 503, "Database unavailable");
        return;
    }
    if (!db_next(r)) {
        db_free(r);
        resp_text(resp, 404, "Campaign not found");
        return;
    }
    const char *f[5];
    for (size_t i = 0; i < 5; i++) f[i] = db_str(r, i) ? arena_strdup(req->arena, db_str(r, i)) : NULL;
    db_free(r);

    admin_page_t p;
    admin_page_begin(&p, req, resp, f[0] ? f[0] : id);
    html_t *h = &p.h;
    const char *st = f[3] ? f[3] : "";
    html_f(h, "<div class=\"badges\"><span class=\"badge cs-%s\">%s</span> <span class=\"badge low\">utm_campaign: %s"
           "</span> <span class=\"badge low\">site: %s</span></div>", st, st, f[1], f[2]);

    json_object *list = NULL, *detail = NULL;
    admin_subrequest(req, stats_campaigns_handler, "/api/stats/campaigns", "days=30", &list);
    json_object *c = find_campaign(list, id);
    html_f(h, "<div class=\"kpis\"><div class=\"kpi\"><div class=\"kpi-v\">%l</div><div class=\"kpi-l\">Views (30d)"
           "</div></div><div class=\"kpi\"><div class=\"kpi-v\">%l</div><div class=\"kpi-l\">Visitors (30d)</div>"
           "</div></div>", jint(c, "views"), jint(c, "visitors"));
    if (list) json_object_put(list);

    if (!p.public_mode) {
        html_f(h, "<div class=\"actions\" data-kind=\"campaign\" data-id=\"%s\">", id);
        if (strcmp(st, "active") == 0)
            html_raw(h, "<button type=\"button\" class=\"btn js-status\" data-status=\"paused\">&gt; pause</button> "
                        "<button type=\"button\" class=\"btn js-status\" data-status=\"archived\">&gt; archive</button> ");
        else if (strcmp(st, "paused") == 0)
            html_raw(h, "<button type=\"button\" class=\"btn js-status\" data-status=\"active\">&gt; resume</button> "
                        "<button type=\"button\" class=\"btn js-status\" data-status=\"archived\">&gt; archive</button> ");
        else if (strcmp(st, "archived") == 0)
            html_raw(h, "<button type=\"button\" class=\"btn js-status\" data-status=\"active\">&gt; reactivate</button> ");
        html_raw(h, "<button type=\"button\" class=\"btn danger js-delete\">&gt; delete</button></div>");
    }

    html_raw(h, "<h2 class=\"section muted\">Last 30 days</h2>");
    buf_t q;
    buf_init(&q);
    buf_puts(&q, "days=30&id=");
    html_pct_encode(&q, id, strlen(id));
    if (admin_subrequest(req, stats_campaigns_handler, "/api/stats/campaigns", q.p, &detail) == 200 && detail) {
        static const bd_t bds[] = {
            { "bySource", "By Source", "utm_source", "Source", 1 },
            { "byMedium", "By Medium", "utm_medium", "Medium", 1 },
            { "byContent", "By Content", "utm_content", "Content", 0 },
            { "byTerm", "By Term", "utm_term", "Term", 0 },
            { "topPaths", "Top Landing Pages", "path", "Path", 1 },
            { "dailyTrend", "Daily Trend", "date", "Date", 1 },
        };
        html_raw(h, "<div class=\"grid2\">");
        for (size_t i = 0; i < sizeof bds / sizeof bds[0]; i++) breakdown(h, detail, &bds[i]);
        html_raw(h, "</div>");
        json_object *src = NULL, *tr = NULL;
        json_object_object_get_ex(detail, "bySource", &src);
        json_object_object_get_ex(detail, "dailyTrend", &tr);
        if (alen(src) == 0 && alen(tr) == 0)
            html_raw(h, "<p class=\"muted\">No data yet for this campaign.</p>");
    } else {
        html_raw(h, "<p class=\"muted\">No data yet for this campaign.</p>");
    }
    if (detail) json_object_put(detail);
    buf_free(&q);
    char t[40];
    html_f(h, "<p class=\"muted small\">created: %s</p>", admin_fmt_time(f[4], t, sizeof t));
    admin_page_end(&p);
}
