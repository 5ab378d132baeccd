/* settings.c -- /admin/perf (Performance) and /admin/settings (spec/40 §6.9).
 *
 * Both read MariaDB directly (perf_metrics, site_settings); the debug switch
 * shows the effective flag of api/debug.c. The save button and the switch
 * are driven by admin.js (PATCH /api/sites/:id, POST /api/debug). */
#include <stdio.h>
#include <string.h>
#include "admin/admin.h"
#include "admin/shell.h"
#include "admin/svg.h"
#include "api/mgmt.h"
#include "api/stats_util.h"
#include "core/config.h"
#include "store/db.h"

#define TREND_POINTS 20

static void fmt2(double v, char *out, size_t n) { snprintf(out, n, "%.2f", v); }

static void trends(admin_page_t *p)
{
    html_t *h = &p->h;
    db_res_t *r = NULL;
    if (db_query(&r, "SELECT category, metric, value, unit, recorded_at FROM ("
                     "SELECT category, metric, value, unit, recorded_at, id, ROW_NUMBER() OVER "
                     "(PARTITION BY category, metric ORDER BY recorded_at DESC, id DESC) AS rn "
                     "FROM perf_metrics) t WHERE rn <= ? "
                     "ORDER BY CONCAT(category, '/', metric), recorded_at, id LIMIT 20000", "i",
                 (long long)TREND_POINTS) != 0)
        return;
    html_raw(h, "<h2 class=\"section\">Trends</h2>");
    if (db_nrows(r) == 0) html_raw(h, "<p class=\"muted\">No trends yet.</p>");
    html_raw(h, "<div class=\"grid3\">");
    svg_spark_t pts[TREND_POINTS];
    char tips[TREND_POINTS][96];
    char key[260] = "", unit[40] = "";
    size_t n = 0;
    int more = db_next(r);
    while (more) {
        char k[260];
        snprintf(k, sizeof k, "%s/%s", db_str(r, 0) ? db_str(r, 0) : "", db_str(r, 1) ? db_str(r, 1) : "");
        if (n == 0) {
            snprintf(key, sizeof key, "%s", k);
            snprintf(unit, sizeof unit, "%s", db_str(r, 3) ? db_str(r, 3) : "");
        }
        if (strcmp(k, key) == 0 && n < TREND_POINTS) {
            char d[40], v[40];
            pts[n].value = db_dbl(r, 2);
            fmt2(pts[n].value, v, sizeof v);
            snprintf(tips[n], sizeof tips[n], "%s (%s)", v, admin_fmt_date(db_str(r, 4), d, sizeof d));
            pts[n].tooltip = tips[n];
            n++;
            more = db_next(r);
            if (more) continue;
        }
        /* the key changed (or rows ended): draw the finished panel */
        double mn = pts[0].value, mx = pts[0].value;
        for (size_t i = 1; i < n; i++) {
            if (pts[i].value < mn) mn = pts[i].value;
            if (pts[i].value > mx) mx = pts[i].value;
        }
        char last[40], a[40], b[40];
        fmt2(pts[n - 1].value, last, sizeof last);
        fmt2(mn, a, sizeof a);
        fmt2(mx, b, sizeof b);
        html_f(h, "<section class=\"panel trendp\"><div class=\"muted small\">%s</div><div><b class=\"kpi-v\">%s</b> "
               "%s <span class=\"muted small\">(min: %s, max: %s)</span></div>", key, last, unit, a, b);
        svg_sparkline(h->out, pts, n);
        html_raw(h, "</section>");
        n = 0;
    }
    html_raw(h, "</div>");
    db_free(r);
}

void admin_perf_handler(req_t *req, resp_t *resp)
{
    admin_page_t p;
    admin_page_begin(&p, req, resp, "Performance");
    html_t *h = &p.h;
    const char *cat = req_query(req, "category");
    if (cat && !*cat) cat = NULL;
    long long limit = stats_clamp(stats_lint_or(req_query(req, "limit"), 50), 1, 1000);
    db_res_t *r = NULL;
    int rc = cat ? db_query(&r, "SELECT category, metric, value, unit, branch, recorded_at FROM perf_metrics "
                                "WHERE category = ? ORDER BY recorded_at DESC, id DESC LIMIT ?", "si", cat, limit)
                 : db_query(&r, "SELECT category, metric, value, unit, branch, recorded_at FROM perf_metrics "
                                "ORDER BY recorded_at DESC, id DESC LIMIT ?", "i", limit);
    if (rc == 0) {
        html_f(h, "<section class=\"panel\"><h2>Recent Metrics (%z)</h2>", db_nrows(r));
        if (db_nrows(r) == 0) {
            html_raw(h, "<p class=\"muted\">No performance metrics recorded.</p>");
        } else {
            html_raw(h, "<div class=\"tablewrap\"><table><thead><tr><th>Category</th><th>Metric</th>"
                        "<th class=\"num\">Value</th><th>Unit</th><th>Branch</th><th>Time</th></tr></thead><tbody>");
            while (db_next(r)) {
                char v[48], t[40];
                fmt2(db_dbl(r, 2), v, sizeof v);
                html_f(h, "<tr><td>%s</td><td>%s</td><td class=\"num\">%s</td><td>%s</td><td>%s</td>"
                       "<td class=\"nowrap\">%s</td></tr>", db_str(r, 0), db_str(r, 1), v, db_str(r, 3),
                       db_str(r, 4) && *db_str(r, 4) ? db_str(r, 4) : "-",
                       admin_fmt_time(db_str(r, 5), t, sizeof t));
            }
            html_raw(h, "</tbody></table></div>");
        }
        html_raw(h, "</section>");
        db_free(r);
    } else {
        html_raw(h, "<div class=\"alert danger\">Database unavailable</div>");
    }
    trends(&p);
    admin_page_end(&p);
}

void admin_settings_handler(req_t *req, resp_t *resp)
{
    admin_page_t p;
    admin_page_begin(&p, req, resp, "Settings");
    html_t *h = &p.h;
    db_res_t *r = NULL;
    const char *css = NULL;
    if (db_query(&r, "SELECT consent_css FROM site_settings WHERE site_id = ?", "s", p.site) == 0) {
        if (db_next(r) && db_str(r, 0)) css = arena_strdup(req->arena, db_str(r, 0));
        db_free(r);
    }
    html_f(h, "<section class=\"panel\" id=\"consent\" data-site=\"%s\"><h2>Cookie Consent Banner \xE2\x80\x94 %s</h2>"
           "<label for=\"consent-css\">Custom CSS (injected into shadow DOM)</label>"
           "<textarea id=\"consent-css\" class=\"mono\" rows=\"6\"%r placeholder=\".bar { background: #001a42; }&#10;"
           ".ok { background: #002868; color: #fff; }&#10;.no { color: #5a6a7e; }\">%s</textarea>",
           p.site, p.site, p.public_mode ? " disabled" : "", css ? css : "");
    if (!p.public_mode)
        html_raw(h, "<div class=\"row\"><button type=\"button\" class=\"btn\" id=\"consent-save\">&gt; save</button>"
                    "<span id=\"consent-msg\" class=\"msg\"></span></div>");
    html_raw(h, "<p class=\"muted small\">Selectors: <code>.bar</code> (container), <code>.msg</code> (text), "
                "<code>.btns</code> (button wrapper), <code>.ok</code> (accept), <code>.no</code> (decline).</p>"
                "</section><p class=\"muted small\">The banner is an isolated web component (shadow DOM). It "
                "requires <code>ECHELON_COOKIE_CONSENT=true</code> and the <code>data-cookie</code> attribute on "
                "the script tag.</p>");

    int locked_env = cfg && cfg->debug;
    int locked = locked_env || p.public_mode;
    int on = debug_enabled();
    html_f(h, "<section class=\"panel\"><h2>Debug Logging</h2><p class=\"muted small\">Verbose diagnostics for "
           "proof-of-work, bot scoring, beacon/event processing and the tracker. Resets on restart.</p>"
           "<div class=\"row%r\"><button type=\"button\" class=\"switch%r\" id=\"debug-switch\" role=\"switch\" "
           "aria-checked=\"%r\" data-on=\"%d\"%r><span class=\"knob\"></span><span class=\"lbl\">%r</span></button>",
           locked ? " locked" : "", on ? " on" : "", on ? "true" : "false", on, locked ? " disabled" : "",
           on ? "On" : "Off");
    if (locked_env) html_raw(h, " <span class=\"muted small\">(locked by ECHELON_DEBUG=true)</span>");
    else if (p.public_mode) html_raw(h, " <span class=\"muted small\">(read-only)</span>");
    html_raw(h, " <span id=\"debug-msg\" class=\"msg\"></span></div></section>");
    admin_page_end(&p);
}
