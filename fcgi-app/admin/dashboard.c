/* dashboard.c -- /admin (Dashboard) and /admin/realtime (spec/40 §6.5, §6.6).
 *
 * The server-rendered overview is the answer of GET /api/stats/overview for
 * the selected site and days, obtained in-process (admin_subrequest), so the
 * page and the API can never disagree and the page reads the same rollups
 * (fast at millions of rows). The live panel and the realtime page are
 * containers that admin.js fills from /api/stats/dashboard and
 * /api/stats/realtime every 10 s. */
#include <stdio.h>
#include <string.h>
#include "admin/admin.h"
#include "admin/livebar.h"
#include "admin/shell.h"
#include "admin/svg.h"
#include "api/stats.h"

typedef struct col {
    const char *key, *head;
    int num;
} col_t;

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

static json_object *jarr(json_object *o, const char *k)
{
    json_object *v = NULL;
    if (!o || !json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_array))
        return NULL;
    return v;
}

/* One panel with a table of the first `max` elements of arr. */
static void table(html_t *h, const char *title, json_object *arr, const col_t *cols, size_t ncols,
                  size_t max, const char *empty)
{
    html_f(h, "<section class=\"panel\"><h2>%s</h2>", title);
    size_t n = arr ? json_object_array_length(arr) : 0;
    if (n == 0) {
        html_f(h, "<p class=\"muted\">%s</p></section>", empty);
        return;
    }
    html_raw(h, "<table><thead><tr>");
    for (size_t c = 0; c < ncols; c++)
        html_f(h, "<th%r>%s</th>", cols[c].num ? " class=\"num\"" : "", cols[c].head);
    html_raw(h, "</tr></thead><tbody>");
    for (size_t i = 0; i < n && i < max; i++) {
        json_object *row = json_object_array_get_idx(arr, i);
        html_raw(h, "<tr>");
        for (size_t c = 0; c < ncols; c++) {
            if (cols[c].num) {
                html_raw(h, "<td class=\"num\">");
                html_int_sep(h, jint(row, cols[c].key));
                html_raw(h, "</td>");
            } else {
                const char *s = jstr(row, cols[c].key);
                html_raw(h, "<td class=\"trunc\" title=\"");
                html_text(h, s ? s : "");
                html_raw(h, "\">");
                html_text_trunc(h, s ? s : "Unknown", 80);
                html_raw(h, "</td>");
            }
        }
        html_raw(h, "</tr>");
    }
    html_raw(h, "</tbody></table></section>");
}

static void kpi(html_t *h, const char *label, const char *value_markup)
{
    html_f(h, "<div class=\"kpi\"><div class=\"kpi-v\">%r</div><div class=\"kpi-l\">%s</div></div>",
           value_markup, label);
}

static void overview(admin_page_t *p, json_object *ov)
{
    html_t *h = &p->h;
    char num[64];
    buf_t tmp;
    buf_init(&tmp);
    html_t th;
    html_init(&th, &tmp);

    html_raw(h, "<div class=\"kpis\">");
    html_int_sep(&th, jint(ov, "visits"));
    kpi(h, "Total Visits", tmp.p);
    buf_reset(&tmp);
    html_int_sep(&th, jint(ov, "unique_visitors"));
    kpi(h, "Unique Visitors", tmp.p);
    long long avg = jint(ov, "avg_interaction_ms");
    if (avg > 0) snprintf(num, sizeof num, "%.1fs", (double)avg / 1000.0);
    else snprintf(num, sizeof num, "-");
    kpi(h, "Avg Interaction", num);
    json_object *paths = jarr(ov, "top_paths");
    size_t npaths = paths ? json_object_array_length(paths) : 0;
    if (npaths > 20) npaths = 20;
    snprintf(num, sizeof num, "%zu", npaths);
    kpi(h, "Active Pages", num);
    html_raw(h, "</div>");
    buf_free(&tmp);

    json_object *trend = jarr(ov, "daily_trend");
    size_t nt = trend ? json_object_array_length(trend) : 0;
    if (nt > 0) {
        svg_day_t *days = arena_alloc(p->req->arena, nt * sizeof *days);
        for (size_t i = 0; i < nt; i++) {
            json_object *d = json_object_array_get_idx(trend, i);
            days[i].date = jstr(d, "date");
            days[i].visits = jint(d, "visits");
            days[i].visitors = jint(d, "visitors");
        }
        html_raw(h, "<section class=\"panel\"><h2>Daily Trend</h2><div class=\"chart js-trend\">");
        svg_trend_chart(h->out, days, nt);
        html_raw(h, "</div><div class=\"trend-caption muted\" id=\"trend-caption\">&#160;</div></section>");
    }

    static const col_t c_paths[] = { { "path", "Path", 0 }, { "views", "Views", 1 }, { "visitors", "Visitors", 1 } };
    static const col_t c_dev[] = { { "device_type", "Type", 0 }, { "visits", "Visits", 1 } };
    static const col_t c_cty[] = { { "country_code", "Code", 0 }, { "visits", "Visits", 1 } };
    static const col_t c_os[] = { { "os_name", "OS", 0 }, { "views", "Views", 1 }, { "visitors", "Visitors", 1 } };
    static const col_t c_br[] = { { "browser", "Browser", 0 }, { "views", "Views", 1 }, { "visitors", "Visitors", 1 } };
    static const col_t c_res[] = { { "resolution", "Resolution", 0 }, { "views", "Views", 1 }, { "visitors", "Visitors", 1 } };
    static const col_t c_ref[] = { { "referrer_type", "Type", 0 }, { "views", "Views", 1 } };

    html_raw(h, "<div class=\"grid2\"><div>");
    table(h, "Top Pages", paths, c_paths, 3, 10, "No page views yet.");
    html_raw(h, "</div><div>");
    table(h, "Devices", jarr(ov, "devices"), c_dev, 2, 50, "No data yet.");
    table(h, "Countries", jarr(ov, "countries"), c_cty, 2, 10, "No data yet.");
    html_raw(h, "</div></div><div class=\"grid3\"><div>");
    table(h, "Operating Systems", jarr(ov, "os_systems"), c_os, 3, 20, "No data yet.");
    html_raw(h, "</div><div>");
    table(h, "Browsers", jarr(ov, "browsers"), c_br, 3, 20, "No data yet.");
    html_raw(h, "</div><div>");
    table(h, "Resolutions", jarr(ov, "resolutions"), c_res, 3, 20, "No data yet.");
    html_raw(h, "</div></div>");
    table(h, "Referrer Sources", jarr(ov, "referrers"), c_ref, 2, 100, "No data yet.");
}

void admin_dashboard_handler(req_t *req, resp_t *resp)
{
    admin_page_t p;
    admin_page_begin(&p, req, resp, "Dashboard");
    html_t *h = &p.h;
    html_f(h, "<section class=\"live\" id=\"live\" data-site=\"%s\">"
           "<p class=\"muted\">Loading live data...</p></section>\n", p.site);

    char q[128];
    snprintf(q, sizeof q, "site_id=%s&days=%ld", p.site, p.days);   /* site is [A-Za-z0-9._-] */
    json_object *ov = NULL;
    int st = admin_subrequest(req, stats_overview_handler, "/api/stats/overview", q, &ov);
    html_f(h, "<h2 class=\"section\">Overview <span class=\"muted\">%s \xC2\xB7 last %l days</span></h2>",
           p.site, (long long)p.days);
    if (st == 200 && ov) overview(&p, ov);
    else html_f(h, "<div class=\"alert danger\">Overview unavailable (HTTP %d)</div>", st);
    if (ov) json_object_put(ov);
    admin_page_end(&p);
}

void admin_realtime_handler(req_t *req, resp_t *resp)
{
    admin_page_t p;
    admin_page_begin(&p, req, resp, "Realtime Visitors");
    html_f(&p.h, "<section class=\"realtime\" id=\"realtime\" data-site=\"%s\">"
           "<p class=\"muted\">Loading realtime data...</p></section>\n", p.site);
    admin_page_end(&p);
}
