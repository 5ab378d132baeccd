/* experiments.c -- /admin/experiments and /admin/experiments/:id
 * (spec/40 §6.9).
 *
 * Results tables are the answer of GET /api/stats/experiments (in-process,
 * admin_subrequest), so the significance texts are computed in one place.
 * The create form, the variants editor and the status buttons are driven by
 * admin.js (POST/PATCH /api/experiments). */
#include <stdio.h>
#include <stdlib.h>
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

static json_object *jget(json_object *o, const char *k)
{
    json_object *v = NULL;
    return o && json_object_object_get_ex(o, k, &v) ? v : NULL;
}

static void status_span(html_t *h, const char *status)
{
    html_f(h, "<span class=\"st st-%s\">%s</span>", status ? status : "", status ? status : "");
}

/* The results table of spec/40 §6.9 for one experiment object of the stats API. */
static void results_table(html_t *h, json_object *exp)
{
    json_object *vars = jget(exp, "variants");
    size_t n = vars && json_object_is_type(vars, json_type_array) ? json_object_array_length(vars) : 0;
    html_raw(h, "<div class=\"tablewrap\"><table><thead><tr><th>Variant</th><th class=\"num\">Impressions</th>"
                "<th class=\"num\">Conversions</th><th class=\"num\">Rate</th><th class=\"num\">Uplift</th>"
                "<th>Significance</th></tr></thead><tbody>");
    for (size_t i = 0; i < n; i++) {
        json_object *v = json_object_array_get_idx(vars, i);
        char rate[32], up[32];
        snprintf(rate, sizeof rate, "%.2f%%", json_object_get_double(jget(v, "conversion_rate")) * 100.0);
        json_object *u = jget(v, "relative_uplift");
        if (u && !json_object_is_type(u, json_type_null))
            snprintf(up, sizeof up, "%.1f%%", json_object_get_double(u) * 100.0);
        else
            snprintf(up, sizeof up, "-");
        html_f(h, "<tr><td>%s%r</td><td class=\"num\">%l</td><td class=\"num orange\">%l</td>"
               "<td class=\"num\">%s</td><td class=\"num\">%s</td><td>%s</td></tr>",
               jstr(v, "name"), json_object_get_boolean(jget(v, "is_control")) ? " (control)" : "",
               (long long)json_object_get_int64(jget(v, "impressions")),
               (long long)json_object_get_int64(jget(v, "conversions")), rate, up, jstr(v, "significance"));
    }
    html_raw(h, "</tbody></table></div>");
}

static void create_form(html_t *h)
{
    html_raw(h,
        "<section class=\"panel\"><h2>Create Experiment</h2>"
        "<form id=\"exp-form\" class=\"form\" autocomplete=\"off\">"
        "<div class=\"row\"><label>experiment_id<input name=\"experiment_id\" placeholder=\"checkout-v2\"></label>"
        "<label>name<input name=\"name\" placeholder=\"Checkout Redesign\"></label>"
        "<label>metric_event_type<input name=\"metric_event_type\" placeholder=\"purchase\"></label></div>"
        "<div class=\"row\"><label class=\"grow\">description (optional)<input name=\"description\"></label>"
        "<label>alloc %<input name=\"allocation_percent\" type=\"number\" min=\"1\" max=\"100\" value=\"100\"></label></div>"
        "<div class=\"variants\"><div class=\"muted small\">variants</div><div id=\"variants\">"
        "<div class=\"vrow\"><input name=\"variant_id\" value=\"control\"><input name=\"vname\" value=\"Control\">"
        "<input name=\"weight\" type=\"number\" min=\"1\" step=\"1\" value=\"50\">"
        "<label class=\"inline\"><input type=\"checkbox\" name=\"is_control\" checked> control</label>"
        "<button type=\"button\" class=\"linkbtn js-vremove\" hidden>remove</button></div>"
        "<div class=\"vrow\"><input name=\"variant_id\" value=\"variant-a\"><input name=\"vname\" value=\"Variant A\">"
        "<input name=\"weight\" type=\"number\" min=\"1\" step=\"1\" value=\"50\">"
        "<label class=\"inline\"><input type=\"checkbox\" name=\"is_control\"> control</label>"
        "<button type=\"button\" class=\"linkbtn js-vremove\" hidden>remove</button></div>"
        "</div><button type=\"button\" class=\"linkbtn\" id=\"vadd\">+ add variant</button></div>"
        "<div class=\"row\"><button type=\"submit\" class=\"btn\" id=\"exp-submit\">&gt; create experiment</button>"
        "<span id=\"exp-msg\" class=\"msg\"></span></div></form></section>");
}

void admin_experiments_handler(req_t *req, resp_t *resp)
{
    admin_page_t p;
    admin_page_begin(&p, req, resp, "A/B Experiments");
    html_t *h = &p.h;
    if (!p.public_mode) create_form(h);

    db_res_t *r = NULL;
    if (db_query(&r, "SELECT experiment_id, name, status, metric_event_type, created_at FROM experiments "
                     "ORDER BY created_at DESC, experiment_id", "") == 0) {
        html_f(h, "<section class=\"panel\"><h2>All Experiments (%z)</h2>", db_nrows(r));
        if (db_nrows(r) == 0) {
            html_raw(h, "<p class=\"muted\">No experiments yet.</p>");
        } else {
            html_raw(h, "<div class=\"tablewrap\"><table id=\"exp-list\"><thead><tr><th>ID</th><th>Name</th>"
                        "<th>Status</th><th>Metric</th><th>Created</th><th>Actions</th></tr></thead><tbody>");
            while (db_next(r)) {
                char d[40];
                const char *id = db_str(r, 0);
                html_f(h, "<tr data-id=\"%s\"><td><a href=\"/admin/experiments/%u\">%s</a></td><td>%s</td><td>",
                       id, id, id, db_str(r, 1));
                status_span(h, db_str(r, 2));
                html_f(h, "</td><td>%s</td><td>%s</td><td><a href=\"/admin/experiments/%u\">view</a></td></tr>",
                       db_str(r, 3), admin_fmt_date(db_str(r, 4), d, sizeof d), id);
            }
            html_raw(h, "</tbody></table></div>");
        }
        html_raw(h, "</section>");
        db_free(r);
    } else {
        html_raw(h, "<div class=\"alert danger\">Database unavailable</div>");
    }

    json_object *stats = NULL;
    if (admin_subrequest(req, stats_experiments_handler, "/api/stats/experiments", "", &stats) == 200 &&
        json_object_is_type(stats, json_type_array) && json_object_array_length(stats) > 0) {
        html_raw(h, "<h2 class=\"section\">Active/Completed Stats</h2>");
        for (size_t i = 0; i < json_object_array_length(stats); i++) {
            json_object *e = json_object_array_get_idx(stats, i);
            html_f(h, "<section class=\"panel\"><h3>%s (%s)</h3>", jstr(e, "name"), jstr(e, "status"));
            results_table(h, e);
            html_raw(h, "</section>");
        }
    }
    if (stats) json_object_put(stats);
    admin_page_end(&p);
}

void admin_experiment_handler(req_t *req, resp_t *resp)
{
    const char *raw = req_param(req, 0);
    size_t rl = raw ? strlen(raw) : 0;
    char *id = arena_alloc(req->arena, rl + 1);
    http_pct_decode(raw ? raw : "", rl, id, 0);
    db_res_t *r = NULL;
    if (db_query(&r, "SELECT experiment_id, name, description, status, metric_event_type, allocation_percent, "
                     "created_at, started_at, ended_at FROM experiments WHERE experiment_id = ?", "s", id) != 0) {
        resp_text(resp, 503, "Database unavailable");
        return;
    }
    if (!db_next(r)) {
        db_free(r);
        resp_text(resp, 404, "Experiment not found");
        return;
    }
    const char *f[9];
    for (size_t i = 0; i < 9; i++) f[i] = db_str(r, i) ? arena_strdup(req->arena, db_str(r, i)) : NULL;
    db_free(r);

    admin_page_t p;
    admin_page_begin(&p, req, resp, f[1] ? f[1] : id);
    html_t *h = &p.h;
    const char *status = f[3] ? f[3] : "";
    char alloc[32];
    snprintf(alloc, sizeof alloc, "%g", f[5] ? atof(f[5]) : 100.0);
    html_f(h, "<div class=\"badges\"><span class=\"badge st-%s\">%s</span> <span class=\"badge low\">metric: %s</span> "
           "<span class=\"badge low\">alloc: %s%%</span></div>", status, status, f[4], alloc);
    if (f[2] && *f[2]) html_f(h, "<p>%s</p>", f[2]);
    if (!p.public_mode) {
        static const char *const btns[][3] = {
            { "draft", "active", "&gt; start" },
            { "active", "paused", "&gt; pause" },
            { "active", "completed", "&gt; complete" },
            { "paused", "active", "&gt; resume" },
            { "completed", "archived", "&gt; archive" },
        };
        html_f(h, "<div class=\"actions\" data-kind=\"experiment\" data-id=\"%s\">", id);
        for (size_t i = 0; i < sizeof btns / sizeof btns[0]; i++)
            if (strcmp(status, btns[i][0]) == 0)
                html_f(h, "<button type=\"button\" class=\"btn js-status\" data-status=\"%s\">%r</button> ",
                       btns[i][1], btns[i][2]);
        html_raw(h, "</div>");
    }

    size_t nvar = 0;
    if (db_query(&r, "SELECT variant_id, name, weight, is_control FROM experiment_variants "
                     "WHERE experiment_id = ? ORDER BY is_control DESC, variant_id", "s", id) == 0) {
        nvar = db_nrows(r);
        html_f(h, "<section class=\"panel\"><h2>Variants (%z)</h2><div class=\"tablewrap\"><table><thead><tr>"
               "<th>ID</th><th>Name</th><th class=\"num\">Weight</th><th>Control</th></tr></thead><tbody>", nvar);
        while (db_next(r)) {
            char w[32];
            snprintf(w, sizeof w, "%g", db_dbl(r, 2));
            html_f(h, "<tr><td>%s</td><td>%s</td><td class=\"num\">%s</td><td>%r</td></tr>",
                   db_str(r, 0), db_str(r, 1), w, db_int(r, 3) ? "yes" : "");
        }
        html_raw(h, "</tbody></table></div></section>");
        db_free(r);
    }
    if (nvar > 0) {
        buf_t q;
        buf_init(&q);
        buf_puts(&q, "experiment_id=");
        html_pct_encode(&q, id, strlen(id));
        json_object *stats = NULL;
        if (admin_subrequest(req, stats_experiments_handler, "/api/stats/experiments", q.p, &stats) == 200 &&
            json_object_is_type(stats, json_type_array) && json_object_array_length(stats) > 0) {
            html_raw(h, "<section class=\"panel\"><h2>Results</h2>");
            results_table(h, json_object_array_get_idx(stats, 0));
            html_raw(h, "</section>");
        }
        if (stats) json_object_put(stats);
        buf_free(&q);
    }
    char t1[40], t2[40], t3[40];
    html_f(h, "<p class=\"muted small\">created: %s", admin_fmt_time(f[6], t1, sizeof t1));
    if (f[7]) html_f(h, " | started: %s", admin_fmt_time(f[7], t2, sizeof t2));
    if (f[8]) html_f(h, " | ended: %s", admin_fmt_time(f[8], t3, sizeof t3));
    html_raw(h, "</p>");
    admin_page_end(&p);
}
