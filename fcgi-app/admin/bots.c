/* bots.c -- /admin/bots (suspicious), /admin/bots/excluded, and the two
 * visitor detail pages /admin/bots/:id and /admin/visitors/:id
 * (spec/40 §6.7, §6.8; the same rows as spec/30 §2.9-§2.11).
 *
 * The exclude/include buttons and the score expanders are plain markup with
 * data-* attributes; admin.js calls /api/bots/exclude and
 * /api/bots/score-detail. Unknown visitor ids render empty (no 404). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "admin/admin.h"
#include "admin/shell.h"
#include "api/stats_util.h"
#include "store/db.h"

#define VISITOR_ID_MAX 128

static int is_excluded(const char *id)
{
    return db_scalar_int("SELECT COUNT(*) FROM excluded_visitors WHERE visitor_id = ?", "s", id) > 0;
}

/* The :id capture, percent-decoded once and cut at 128 bytes on a UTF-8
 * boundary (visitor ids are ASCII in practice). */
static const char *visitor_param(req_t *req)
{
    const char *raw = req_param(req, 0);
    if (!raw) return "";
    size_t n = strlen(raw);
    char *out = arena_alloc(req->arena, n + 1);
    size_t len = http_pct_decode(raw, n, out, 0);
    out[len] = '\0';
    if (strlen(out) > VISITOR_ID_MAX) {
        size_t cut = VISITOR_ID_MAX;
        while (cut > 0 && ((unsigned char)out[cut] & 0xC0) == 0x80) cut--;
        out[cut] = '\0';
    }
    return out;
}

static void td(html_t *h, const char *s)
{
    html_f(h, "<td>%s</td>", s && *s ? s : "-");
}

static void td_trunc(html_t *h, const char *s, size_t max)
{
    if (!s || !*s) { html_raw(h, "<td>-</td>"); return; }
    html_f(h, "<td class=\"trunc\" title=\"%s\">", s);
    html_text_trunc(h, s, max);
    html_raw(h, "</td>");
}

/* ----------------------------------------------------------- suspicious */

void admin_bots_handler(req_t *req, resp_t *resp)
{
    admin_page_t p;
    admin_page_begin(&p, req, resp, "Bot Detection");
    html_t *h = &p.h;
    /* spec/40 §6.7: non-numeric or 0 -> the default, then clamp */
    long long min_score = stats_clamp(stats_lint_or(req_query(req, "min_score"), 25), 0, 100);
    long long limit = stats_clamp(stats_lint_or(req_query(req, "limit"), 50), 1, 200);
    const char *site = admin_site_filter(&p);

    static const char base[] =
        "SELECT v.visitor_id, MAX(v.bot_score) AS m, COUNT(*) AS n, "
        "GROUP_CONCAT(DISTINCT v.country_code ORDER BY v.country_code), "
        "GROUP_CONCAT(DISTINCT v.device_type ORDER BY v.device_type), "
        "GROUP_CONCAT(DISTINCT v.os_name ORDER BY v.os_name), "
        "GROUP_CONCAT(DISTINCT CONCAT(v.browser_name, ' ', v.browser_version) ORDER BY 1), "
        "MAX(v.created_at), "
        "EXISTS(SELECT 1 FROM excluded_visitors e WHERE e.visitor_id = v.visitor_id) "
        "FROM visitor_views v WHERE v.bot_score >= ?";
    db_res_t *r = NULL;
    int rc = site
        ? db_query(&r, arena_printf(req->arena, "%s AND v.site_id = ? GROUP BY v.visitor_id "
                                    "ORDER BY m DESC, n DESC, v.visitor_id LIMIT ?", base),
                   "isi", min_score, site, limit)
        : db_query(&r, arena_printf(req->arena, "%s GROUP BY v.visitor_id "
                                    "ORDER BY m DESC, n DESC, v.visitor_id LIMIT ?", base),
                   "ii", min_score, limit);
    size_t rows = 0;
    if (rc == 0) {
        html_raw(h, "<div class=\"tablewrap\"><table><thead><tr><th>Visitor ID</th><th>Score</th>"
                    "<th class=\"num\">Views</th><th>Countries</th><th>Devices</th><th>OS</th>"
                    "<th>Browser</th><th>Last Seen</th>");
        if (!p.public_mode) html_raw(h, "<th>Actions</th>");
        html_raw(h, "</tr></thead><tbody>");
        while (db_next(r)) {
            char t[40];
            int excl = db_int(r, 8) != 0;
            rows++;
            html_raw(h, excl ? "<tr class=\"excluded\"><td>" : "<tr><td>");
            admin_visitor_link(h, "/admin/bots", db_str(r, 0), 12, 1);
            html_raw(h, "</td><td>");
            admin_badge_score(h, db_int(r, 1));
            html_f(h, "</td><td class=\"num\">%l</td>", db_int(r, 2));
            td(h, db_str(r, 3));
            td(h, db_str(r, 4));
            td(h, db_str(r, 5));
            td(h, db_str(r, 6));
            html_f(h, "<td class=\"nowrap\">%s</td>", admin_fmt_time(db_str(r, 7), t, sizeof t));
            if (!p.public_mode) {
                html_raw(h, "<td>");
                admin_exclude_btn(&p, db_str(r, 0), excl);
                html_raw(h, "</td>");
            }
            html_raw(h, "</tr>");
        }
        db_free(r);
        html_raw(h, "</tbody></table></div>");
    } else {
        html_raw(h, "<div class=\"alert danger\">Database unavailable</div>");
    }
    if (rows == 0) html_raw(h, "<p class=\"muted\">No suspicious visitors found.</p>");
    admin_page_end(&p);
}

/* ------------------------------------------------------------- excluded */

void admin_excluded_handler(req_t *req, resp_t *resp)
{
    admin_page_t p;
    admin_page_begin(&p, req, resp, "Excluded Visitors");
    html_t *h = &p.h;
    db_res_t *r = NULL;
    size_t rows = 0;
    if (db_query(&r, "SELECT e.visitor_id, e.label, e.created_at, "
                     "(SELECT COUNT(*) FROM visitor_views v WHERE v.visitor_id = e.visitor_id), "
                     "(SELECT MAX(v.bot_score) FROM visitor_views v WHERE v.visitor_id = e.visitor_id) "
                     "FROM excluded_visitors e ORDER BY e.created_at DESC, e.visitor_id LIMIT 500", "") == 0) {
        html_raw(h, "<div class=\"tablewrap\"><table><thead><tr><th>Visitor ID</th><th>Label</th>"
                    "<th>Max Score</th><th class=\"num\">Views</th><th>Excluded At</th>");
        if (!p.public_mode) html_raw(h, "<th>Actions</th>");
        html_raw(h, "</tr></thead><tbody>");
        while (db_next(r)) {
            char t[40];
            rows++;
            html_raw(h, "<tr><td>");
            admin_visitor_link(h, "/admin/bots", db_str(r, 0), 128, 0);
            html_raw(h, "</td>");
            td(h, db_str(r, 1));
            html_raw(h, "<td>");
            if (db_isnull(r, 4)) html_raw(h, "-");
            else admin_badge_score(h, db_int(r, 4));
            html_f(h, "</td><td class=\"num\">%l</td><td class=\"nowrap\">%s</td>", db_int(r, 3),
                   admin_fmt_time(db_str(r, 2), t, sizeof t));
            if (!p.public_mode) {
                html_raw(h, "<td>");
                admin_exclude_btn(&p, db_str(r, 0), 1);
                html_raw(h, "</td>");
            }
            html_raw(h, "</tr>");
        }
        db_free(r);
        html_raw(h, "</tbody></table></div>");
    } else {
        html_raw(h, "<div class=\"alert danger\">Database unavailable</div>");
    }
    if (rows == 0) html_raw(h, "<p class=\"muted\">No excluded visitors.</p>");
    admin_page_end(&p);
}

/* --------------------------------------------------------------- detail */

static void id_box(admin_page_t *p, const char *id)
{
    html_t *h = &p->h;
    int excl = is_excluded(id);
    html_f(h, "<div class=\"idbox\"><code class=\"vid\">%s</code>", id);
    if (excl) html_raw(h, " <span class=\"badge high\">EXCLUDED</span>");
    html_raw(h, " ");
    admin_exclude_btn(p, id, excl);
    html_raw(h, "</div>");
}

static void res_cell(html_t *h, const char *w, const char *ht)
{
    char res[64];
    if (!w && !ht) { html_raw(h, "<td>-</td>"); return; }
    html_f(h, "<td>%s</td>", admin_fmt_res(w, ht, res, sizeof res));
}

static void browser_cell(html_t *h, const char *name, const char *ver)
{
    if (!name || !*name) { html_raw(h, "<td>-</td>"); return; }
    html_f(h, "<td>%s%r%s</td>", name, ver && *ver ? " " : "", ver && *ver ? ver : "");
}

static void events_table(admin_page_t *p, const char *id, int limit, int bot_layout)
{
    html_t *h = &p->h;
    db_res_t *r = NULL;
    if (db_query(&r, "SELECT id, created_at, event_type, site_id, data, bot_score FROM semantic_events "
                     "WHERE visitor_id = ? ORDER BY created_at DESC, id DESC LIMIT ?", "si", id,
                 (long long)limit) != 0)
        return;
    size_t n = db_nrows(r);
    if (n > 0) {
        html_f(h, "<section class=\"panel\"><h2>Semantic Events (%z)</h2><div class=\"tablewrap\"><table>"
               "<thead><tr>%r</tr></thead><tbody>", n,
               bot_layout ? "<th>Type</th><th>Site</th><th>Score</th><th>Data</th><th>Time</th>"
                          : "<th>Time</th><th>Type</th><th>Site</th><th>Data</th><th>Score</th>");
        while (db_next(r)) {
            char t[40];
            const char *time = admin_fmt_time(db_str(r, 1), t, sizeof t);
            html_raw(h, "<tr>");
            if (!bot_layout) html_f(h, "<td class=\"nowrap\">%s</td>", time);
            html_raw(h, "<td>");
            admin_badge_event(h, db_str(r, 2));
            html_raw(h, "</td>");
            td(h, db_str(r, 3));
            if (bot_layout) {
                html_raw(h, "<td>");
                admin_score_expander(h, db_int(r, 5), "event", db_str(r, 0));
                html_raw(h, "</td>");
            }
            td_trunc(h, db_str(r, 4), 60);
            if (!bot_layout) {
                html_raw(h, "<td>");
                admin_score_expander(h, db_int(r, 5), "event", db_str(r, 0));
                html_raw(h, "</td>");
            }
            if (bot_layout) html_f(h, "<td class=\"nowrap\">%s</td>", time);
            html_raw(h, "</tr>");
        }
        html_raw(h, "</tbody></table></div></section>");
    }
    db_free(r);
}

static const char view_cols[] =
    "SELECT id, created_at, path, site_id, device_type, os_name, browser_name, browser_version, "
    "screen_width, screen_height, country_code, interaction_ms, bot_score FROM visitor_views "
    "WHERE visitor_id = ? ORDER BY created_at DESC, id DESC LIMIT ?";

void admin_visitor_detail_handler(req_t *req, resp_t *resp)
{
    const char *id = visitor_param(req);
    admin_page_t p;
    admin_page_begin(&p, req, resp, arena_printf(req->arena, "Visitor %s", id));
    html_t *h = &p.h;
    html_raw(h, "<p><a href=\"/admin/visitors\">\xE2\x86\x90 Back to Visitors</a></p>");
    id_box(&p, id);

    db_res_t *r = NULL;
    if (db_query(&r, view_cols, "si", id, 200LL) != 0) {
        html_raw(h, "<div class=\"alert danger\">Database unavailable</div>");
        admin_page_end(&p);
        return;
    }
    long long nevents = db_scalar_int("SELECT COUNT(*) FROM (SELECT id FROM semantic_events "
                                      "WHERE visitor_id = ? LIMIT 200) t", "s", id);
    size_t n = db_nrows(r);
    long long active_ms = 0;
    const char *first = NULL, *last = NULL;
    char devs[8][33];
    size_t ndev = 0;
    while (db_next(r)) {
        const char *ts = db_str(r, 1);
        if (!last) last = arena_strdup(req->arena, ts ? ts : "");
        first = arena_strdup(req->arena, ts ? ts : "");
        active_ms += db_int(r, 11);
        const char *d = db_str(r, 4);
        if (d) {
            size_t k;
            for (k = 0; k < ndev; k++)
                if (strncmp(devs[k], d, 32) == 0) break;
            if (k == ndev && ndev < 8) snprintf(devs[ndev++], sizeof devs[0], "%s", d);
        }
    }
    char f1[40], f2[40], act[40];
    if (active_ms < 60000) snprintf(act, sizeof act, "%.1fs", (double)active_ms / 1000.0);
    else snprintf(act, sizeof act, "%lldm %llds", active_ms / 60000, (active_ms % 60000) / 1000);
    html_f(h, "<div class=\"kpis six\">"
           "<div class=\"kpi\"><div class=\"kpi-v\">%z</div><div class=\"kpi-l\">Page Views</div></div>"
           "<div class=\"kpi\"><div class=\"kpi-v\">%l</div><div class=\"kpi-l\">Events</div></div>"
           "<div class=\"kpi\"><div class=\"kpi-v\">%s</div><div class=\"kpi-l\">First Seen</div></div>"
           "<div class=\"kpi\"><div class=\"kpi-v\">%s</div><div class=\"kpi-l\">Last Seen</div></div>"
           "<div class=\"kpi\"><div class=\"kpi-v\">%s</div><div class=\"kpi-l\">Active Time</div></div>"
           "<div class=\"kpi\"><div class=\"kpi-v\">%z</div><div class=\"kpi-l\">%r</div></div></div>",
           n, nevents < 0 ? 0 : nevents, admin_fmt_date(first, f1, sizeof f1),
           admin_fmt_date(last, f2, sizeof f2), act, ndev, ndev == 1 ? "Device" : "Devices");

    html_f(h, "<section class=\"panel\"><h2>Page Views (%z)</h2>", n);
    if (n == 0) {
        html_raw(h, "<p class=\"muted\">No page views found for this visitor.</p></section>");
    } else {
        html_raw(h, "<div class=\"tablewrap\"><table><thead><tr><th>Time</th><th>Path</th><th>Site</th>"
                    "<th>Device</th><th>OS</th><th>Browser</th><th>Resolution</th><th>Country</th>"
                    "<th class=\"num\">Interaction</th><th>Score</th></tr></thead><tbody>");
        db_free(r);
        r = NULL;
        if (db_query(&r, view_cols, "si", id, 200LL) == 0) {
            while (db_next(r)) {
                char t[40], d[32];
                html_f(h, "<tr><td class=\"nowrap\">%s</td>", admin_fmt_time(db_str(r, 1), t, sizeof t));
                td_trunc(h, db_str(r, 2), 50);
                td(h, db_str(r, 3));
                td(h, db_str(r, 4));
                td(h, db_str(r, 5));
                browser_cell(h, db_str(r, 6), db_str(r, 7));
                res_cell(h, db_str(r, 8), db_str(r, 9));
                td(h, db_str(r, 10));
                html_f(h, "<td class=\"num\">%s</td><td>", admin_fmt_dur(db_str(r, 11), d, sizeof d));
                admin_score_expander(h, db_int(r, 12), "view", db_str(r, 0));
                html_raw(h, "</td></tr>");
            }
        }
        html_raw(h, "</tbody></table></div></section>");
    }
    if (r) db_free(r);
    events_table(&p, id, 200, 0);
    admin_page_end(&p);
}

void admin_bot_detail_handler(req_t *req, resp_t *resp)
{
    const char *id = visitor_param(req);
    admin_page_t p;
    char short_id[16];
    snprintf(short_id, sizeof short_id, "%.12s", id);
    admin_page_begin(&p, req, resp, arena_printf(req->arena, "Visitor %s...", short_id));
    html_t *h = &p.h;
    html_raw(h, "<p><a href=\"/admin/bots\">\xE2\x86\x90 Back to Bots</a></p>");
    id_box(&p, id);
    db_res_t *r = NULL;
    if (db_query(&r, view_cols, "si", id, 100LL) == 0) {
        size_t n = db_nrows(r);
        html_f(h, "<section class=\"panel\"><h2>Page Views (%z)</h2>", n);
        if (n == 0) {
            html_raw(h, "<p class=\"muted\">No page views found for this visitor.</p>");
        } else {
            html_raw(h, "<div class=\"tablewrap\"><table><thead><tr><th>Path</th><th>Site</th><th>Score</th>"
                        "<th>Device</th><th>OS</th><th>Browser</th><th>Resolution</th><th>Country</th>"
                        "<th class=\"num\">Interaction</th><th>Time</th></tr></thead><tbody>");
            while (db_next(r)) {
                char t[40], d[32];
                html_raw(h, "<tr>");
                td_trunc(h, db_str(r, 2), 50);
                td(h, db_str(r, 3));
                html_raw(h, "<td>");
                admin_score_expander(h, db_int(r, 12), "view", db_str(r, 0));
                html_raw(h, "</td>");
                td(h, db_str(r, 4));
                td(h, db_str(r, 5));
                browser_cell(h, db_str(r, 6), db_str(r, 7));
                res_cell(h, db_str(r, 8), db_str(r, 9));
                td(h, db_str(r, 10));
                html_f(h, "<td class=\"num\">%s</td><td class=\"nowrap\">%s</td></tr>",
                       admin_fmt_dur(db_str(r, 11), d, sizeof d), admin_fmt_time(db_str(r, 1), t, sizeof t));
            }
            html_raw(h, "</tbody></table></div>");
        }
        html_raw(h, "</section>");
        db_free(r);
    } else {
        html_raw(h, "<div class=\"alert danger\">Database unavailable</div>");
    }
    events_table(&p, id, 100, 1);
    admin_page_end(&p);
}
