/* lists.c -- the paginated listing pages: /admin/visitors, /admin/pageviews,
 * /admin/events (spec/40 §6.7, spec/30 §5.1).
 *
 * SQL is assembled only from the fixed fragments below; every value (site,
 * filters, search text, paging) is a bound parameter. Search is a
 * case-insensitive substring match in which % and _ are literal (escaped
 * with '!' for LIKE). The site filter treats "default" as all sites (§6.2). */
#include <stdio.h>
#include <string.h>
#include "admin/admin.h"
#include "admin/shell.h"
#include "store/db.h"

#define MAXP 12

typedef struct sql {
    buf_t where;               /* " WHERE ..." fragments */
    db_param_t p[MAXP];
    size_t np;
} sql_t;

static void cond(sql_t *q, const char *frag)
{
    buf_puts(&q->where, q->where.len ? " AND " : " WHERE ");
    buf_puts(&q->where, frag);
}

static void bind_s(sql_t *q, const char *s)
{
    if (q->np < MAXP) q->p[q->np++] = (db_param_t){ .type = 's', .s = s };
}

static void bind_i(sql_t *q, long long v)
{
    if (q->np < MAXP) q->p[q->np++] = (db_param_t){ .type = 'i', .i = v };
}

/* "%<lower-case s with % _ ! escaped by !>%" for LIKE ... ESCAPE '!'. */
static const char *like_pattern(arena_t *a, const char *s)
{
    size_t n = strlen(s);
    char *o = arena_alloc(a, 2 * n + 3), *w = o;
    *w++ = '%';
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '%' || c == '_' || c == '!') *w++ = '!';
        *w++ = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    *w++ = '%';
    *w = '\0';
    return o;
}

static const char *param(req_t *req, const char *name)
{
    const char *v = req_query(req, name);
    return v && *v ? v : NULL;
}

/* <select name=..> with the "all" option and DISTINCT values of a column. */
static void filter_select(admin_page_t *p, const char *name, const char *all_label,
                          const char *distinct_sql, const char *cur)
{
    html_t *h = &p->h;
    html_f(h, "<select name=\"%s\" class=\"js-autosubmit\"><option value=\"\">%s</option>", name, all_label);
    db_res_t *r = NULL;
    if (db_query(&r, distinct_sql, "") == 0) {
        while (db_next(r)) {
            const char *v = db_str(r, 0);
            if (!v || !*v) continue;
            html_f(h, "<option value=\"%s\"%r>%s</option>", v, cur && strcmp(cur, v) == 0 ? " selected" : "", v);
        }
        db_free(r);
    }
    html_raw(h, "</select>");
}

/* The device and country selects the visitors and page-views lists share. */
static void view_filter_selects(admin_page_t *p, const char *device, const char *country)
{
    filter_select(p, "device", "All devices",
                  "SELECT DISTINCT device_type FROM visitor_views ORDER BY device_type", device);
    filter_select(p, "country", "All countries",
                  "SELECT DISTINCT country_code FROM visitor_views ORDER BY country_code", country);
}

/* ...and their WHERE conditions (with the selected site). */
static void view_filter_conds(sql_t *q, const char *site, const char *device, const char *country)
{
    if (site) { cond(q, "site_id = ?"); bind_s(q, site); }
    if (device) { cond(q, "device_type = ?"); bind_s(q, device); }
    if (country) { cond(q, "country_code = ?"); bind_s(q, country); }
}

static void fixed_select(html_t *h, const char *name, const char *const (*opts)[2], size_t n,
                         const char *cur)
{
    html_f(h, "<select name=\"%s\" class=\"js-autosubmit\">", name);
    for (size_t i = 0; i < n; i++)
        html_f(h, "<option value=\"%s\"%r>%s</option>", opts[i][0],
               (cur ? strcmp(cur, opts[i][0]) == 0 : !*opts[i][0]) ? " selected" : "", opts[i][1]);
    html_raw(h, "</select>");
}

static void search_box(html_t *h, const char *placeholder, const char *cur, const char *clear_href)
{
    html_f(h, "<input type=\"search\" name=\"search\" placeholder=\"%s\" value=\"%s\">"
           "<button type=\"submit\" class=\"btn\">Search</button>", placeholder, cur ? cur : "");
    if (cur) html_f(h, " <a href=\"%s\">Clear</a>", clear_href);
}

static long long count_rows(const char *sql, sql_t *q)
{
    db_res_t *r = NULL;
    long long n = 0;
    if (db_queryv(&r, sql, q->p, q->np) == 0) {
        if (db_next(r)) n = db_int(r, 0);
        db_free(r);
    }
    return n;
}

static void td_text(html_t *h, const char *s)
{
    html_raw(h, "<td>");
    html_text(h, s && *s ? s : "-");
    html_raw(h, "</td>");
}

static void td_trunc(html_t *h, const char *s, size_t max)
{
    if (!s || !*s) { html_raw(h, "<td>-</td>"); return; }
    html_f(h, "<td class=\"trunc\" title=\"%s\">", s);
    html_text_trunc(h, s, max);
    html_raw(h, "</td>");
}

static void td_browser(html_t *h, const char *name, const char *ver)
{
    html_raw(h, "<td>");
    if (name && *name) html_f(h, "%s%r%s", name, ver && *ver ? " " : "", ver && *ver ? ver : "");
    else html_raw(h, "-");
    html_raw(h, "</td>");
}

static void td_time(html_t *h, const char *ts)
{
    char t[40];
    html_f(h, "<td class=\"nowrap\">%s</td>", admin_fmt_time(ts, t, sizeof t));
}

static const char *const bot_opts[][2] = {
    { "", "All scores" }, { "suspect", "Suspect (\xE2\x89\xA5" "50)" }, { "clean", "Clean (<50)" },
};

/* ------------------------------------------------------------- visitors */

void admin_visitors_handler(req_t *req, resp_t *resp)
{
    static const char *const sorts[][2] = {
        { "time_desc", "Last seen" }, { "time_asc", "First seen" },
        { "views_desc", "Most views" }, { "views_asc", "Fewest views" },
    };
    static const char *const order[] = {
        "last_seen DESC, visitor_id", "last_seen ASC, visitor_id",
        "views DESC, last_seen DESC", "views ASC, last_seen DESC",
    };
    static const char *const ret_opts[][2] = {
        { "", "All visitors" }, { "returning", "Returning" }, { "new", "New" },
    };
    const char *sort = param(req, "sort");
    int si = 0;
    if (sort) {
        si = -1;
        for (int i = 0; i < 4; i++)
            if (strcmp(sort, sorts[i][0]) == 0) si = i;
        if (si < 0) { resp_text(resp, 400, "Invalid sort parameter"); return; }
    }
    admin_page_t p;
    admin_page_begin(&p, req, resp, "Visitors");
    html_t *h = &p.h;
    const char *device = param(req, "device"), *country = param(req, "country");
    const char *ret = param(req, "returning"), *bot = param(req, "bot"), *search = param(req, "search");
    const char *site = admin_site_filter(&p);

    html_raw(h, "<form method=\"get\" class=\"filters\">");
    view_filter_selects(&p, device, country);
    fixed_select(h, "returning", ret_opts, 3, ret);
    fixed_select(h, "bot", bot_opts, 3, bot);
    fixed_select(h, "sort", sorts, 4, sort ? sort : "time_desc");
    search_box(h, "Search visitor ID...", search, "?");
    html_raw(h, "</form>");

    sql_t q = { 0 };
    buf_init(&q.where);
    view_filter_conds(&q, site, device, country);
    if (search) { cond(&q, "LOWER(visitor_id) LIKE ? ESCAPE '!'"); bind_s(&q, like_pattern(req->arena, search)); }
    const char *having = "";
    if (ret && strcmp(ret, "returning") == 0) having = " HAVING MAX(is_returning) = 1";
    else if (ret && strcmp(ret, "new") == 0) having = " HAVING MAX(is_returning) = 0";
    const char *having2 = "";
    if (bot && strcmp(bot, "suspect") == 0) having2 = *having ? " AND MAX(bot_score) >= 50" : " HAVING MAX(bot_score) >= 50";
    else if (bot && strcmp(bot, "clean") == 0) having2 = *having ? " AND MAX(bot_score) < 50" : " HAVING MAX(bot_score) < 50";
    const char *where = q.where.len ? q.where.p : "";

    char *csql = arena_printf(req->arena, "SELECT COUNT(*) FROM (SELECT visitor_id FROM visitor_views%s "
                              "GROUP BY visitor_id%s%s) t", where, having, having2);
    admin_pager_t pg;
    admin_pager_init(&pg, count_rows(csql, &q), req_query(req, "page"));

    char *sql = arena_printf(req->arena,
        "SELECT v.visitor_id, COUNT(*) AS views, MAX(v.created_at) AS last_seen, MIN(v.created_at), "
        "MAX(v.device_type), MAX(v.os_name), MAX(v.browser_name), MAX(v.browser_version), "
        "MAX(v.country_code), MAX(v.bot_score), MAX(v.is_returning), "
        "EXISTS(SELECT 1 FROM excluded_visitors e WHERE e.visitor_id = v.visitor_id) "
        "FROM visitor_views v%s GROUP BY v.visitor_id%s%s ORDER BY %s LIMIT ? OFFSET ?",
        where, having, having2, order[si]);
    bind_i(&q, ADMIN_PER_PAGE);
    bind_i(&q, pg.offset);
    db_res_t *r = NULL;
    size_t rows = 0;
    if (db_queryv(&r, sql, q.p, q.np) == 0) {
        html_raw(h, "<div class=\"tablewrap\"><table><thead><tr><th>Visitor</th><th class=\"num\">Views</th>"
                    "<th>Last Seen</th><th>First Seen</th><th>Device</th><th>OS</th><th>Browser</th>"
                    "<th>Country</th><th>Score</th><th>Status</th>");
        if (!p.public_mode) html_raw(h, "<th>Actions</th>");
        html_raw(h, "</tr></thead><tbody>");
        while (db_next(r)) {
            rows++;
            int excl = db_int(r, 11) != 0;
            html_raw(h, excl ? "<tr class=\"excluded\">" : "<tr>");
            html_raw(h, "<td>");
            admin_visitor_link(h, "/admin/visitors", db_str(r, 0), 12, 1);
            html_f(h, "</td><td class=\"num\">%l</td>", db_int(r, 1));
            td_time(h, db_str(r, 2));
            td_time(h, db_str(r, 3));
            td_text(h, db_str(r, 4));
            td_text(h, db_str(r, 5));
            td_browser(h, db_str(r, 6), db_str(r, 7));
            td_text(h, db_str(r, 8));
            html_raw(h, "<td>");
            admin_badge_score(h, db_int(r, 9));
            html_raw(h, db_int(r, 10) ? "</td><td><span class=\"info\">returning</span></td>"
                                      : "</td><td><span class=\"muted\">new</span></td>");
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
    if (rows == 0) html_raw(h, "<p class=\"muted\">No visitors found.</p>");
    admin_pager_html(&p, &pg);
    buf_free(&q.where);
    admin_page_end(&p);
}

/* ------------------------------------------------------------ page views */

void admin_pageviews_handler(req_t *req, resp_t *resp)
{
    static const char *const sorts[][2] = { { "time_desc", "Newest first" }, { "time_asc", "Oldest first" } };
    const char *sort = param(req, "sort");
    int asc = 0;
    if (sort) {
        if (strcmp(sort, "time_asc") == 0) asc = 1;
        else if (strcmp(sort, "time_desc") != 0) { resp_text(resp, 400, "Invalid sort parameter"); return; }
    }
    admin_page_t p;
    admin_page_begin(&p, req, resp, "Page Views");
    html_t *h = &p.h;
    const char *device = param(req, "device"), *country = param(req, "country");
    const char *bot = param(req, "bot"), *search = param(req, "search");
    const char *site = admin_site_filter(&p);

    html_raw(h, "<form method=\"get\" class=\"filters\">");
    view_filter_selects(&p, device, country);
    fixed_select(h, "bot", bot_opts, 3, bot);
    fixed_select(h, "sort", sorts, 2, sort ? sort : "time_desc");
    search_box(h, "Search visitor or path...", search, "?");
    html_raw(h, "</form>");

    sql_t q = { 0 };
    buf_init(&q.where);
    view_filter_conds(&q, site, device, country);
    if (bot && strcmp(bot, "suspect") == 0) cond(&q, "bot_score >= 50");
    else if (bot && strcmp(bot, "clean") == 0) cond(&q, "bot_score BETWEEN 0 AND 49");
    if (search) {
        const char *pat = like_pattern(req->arena, search);
        cond(&q, "(LOWER(visitor_id) LIKE ? ESCAPE '!' OR LOWER(path) LIKE ? ESCAPE '!')");
        bind_s(&q, pat);
        bind_s(&q, pat);
    }
    const char *where = q.where.len ? q.where.p : "";
    admin_pager_t pg;
    admin_pager_init(&pg, count_rows(arena_printf(req->arena, "SELECT COUNT(*) FROM visitor_views%s", where), &q),
                     req_query(req, "page"));
    char *sql = arena_printf(req->arena,
        "SELECT created_at, visitor_id, path, device_type, os_name, browser_name, browser_version, "
        "country_code, referrer, interaction_ms, bot_score FROM visitor_views%s "
        "ORDER BY created_at %s, id %s LIMIT ? OFFSET ?", where, asc ? "ASC" : "DESC", asc ? "ASC" : "DESC");
    bind_i(&q, ADMIN_PER_PAGE);
    bind_i(&q, pg.offset);
    db_res_t *r = NULL;
    size_t rows = 0;
    if (db_queryv(&r, sql, q.p, q.np) == 0) {
        html_raw(h, "<div class=\"tablewrap\"><table><thead><tr><th>Time</th><th>Visitor</th><th>Path</th>"
                    "<th>Device</th><th>OS</th><th>Browser</th><th>Country</th><th>Referrer</th>"
                    "<th class=\"num\">Interaction</th><th>Score</th></tr></thead><tbody>");
        while (db_next(r)) {
            char d[32];
            rows++;
            html_raw(h, "<tr>");
            td_time(h, db_str(r, 0));
            html_raw(h, "<td>");
            admin_visitor_link(h, "/admin/visitors", db_str(r, 1), 12, 1);
            html_raw(h, "</td>");
            td_trunc(h, db_str(r, 2), 50);
            td_text(h, db_str(r, 3));
            td_text(h, db_str(r, 4));
            td_browser(h, db_str(r, 5), db_str(r, 6));
            td_text(h, db_str(r, 7));
            td_trunc(h, db_str(r, 8), 40);
            html_f(h, "<td class=\"num\">%s</td><td>", admin_fmt_dur(db_str(r, 9), d, sizeof d));
            admin_badge_score(h, db_int(r, 10));
            html_raw(h, "</td></tr>");
        }
        db_free(r);
        html_raw(h, "</tbody></table></div>");
    } else {
        html_raw(h, "<div class=\"alert danger\">Database unavailable</div>");
    }
    if (rows == 0) html_raw(h, "<p class=\"muted\">No page views found.</p>");
    admin_pager_html(&p, &pg);
    buf_free(&q.where);
    admin_page_end(&p);
}

/* ---------------------------------------------------------------- events */

void admin_events_handler(req_t *req, resp_t *resp)
{
    admin_page_t p;
    admin_page_begin(&p, req, resp, "Events");
    html_t *h = &p.h;
    const char *type = param(req, "type"), *search = param(req, "search");
    const char *site = admin_site_filter(&p);

    /* chips: all-time count per type for the site filter */
    db_res_t *r = NULL;
    html_f(h, "<div class=\"chips\"><a class=\"chip%r\" href=\"?\">All</a>", type ? "" : " active");
    int ok = site ? db_query(&r, "SELECT event_type, COUNT(*) AS n FROM semantic_events WHERE site_id = ? "
                                 "GROUP BY event_type ORDER BY n DESC, event_type LIMIT 100", "s", site)
                  : db_query(&r, "SELECT event_type, COUNT(*) AS n FROM semantic_events "
                                 "GROUP BY event_type ORDER BY n DESC, event_type LIMIT 100", "");
    if (ok == 0) {
        while (db_next(r)) {
            const char *t = db_str(r, 0);
            html_f(h, "<a class=\"chip%r\" href=\"?type=%u\">%s (%l)</a>",
                   type && t && strcmp(type, t) == 0 ? " active" : "", t, t, db_int(r, 1));
        }
        db_free(r);
    }
    html_raw(h, "</div><form method=\"get\" class=\"filters\">");
    if (type) html_f(h, "<input type=\"hidden\" name=\"type\" value=\"%s\">", type);
    const char *clear = "?";
    if (type) {
        buf_t b;
        buf_init(&b);
        buf_puts(&b, "?type=");
        html_pct_encode(&b, type, strlen(type));
        clear = arena_strdup(req->arena, b.p);
        buf_free(&b);
    }
    search_box(h, "Search type or data...", search, clear);
    html_raw(h, "</form>");

    sql_t q = { 0 };
    buf_init(&q.where);
    if (site) { cond(&q, "e.site_id = ?"); bind_s(&q, site); }
    if (type) { cond(&q, "e.event_type = ?"); bind_s(&q, type); }
    if (search) {
        const char *pat = like_pattern(req->arena, search);
        cond(&q, "(LOWER(e.event_type) LIKE ? ESCAPE '!' OR LOWER(e.data) LIKE ? ESCAPE '!')");
        bind_s(&q, pat);
        bind_s(&q, pat);
    }
    const char *where = q.where.len ? q.where.p : "";
    admin_pager_t pg;
    admin_pager_init(&pg, count_rows(arena_printf(req->arena, "SELECT COUNT(*) FROM semantic_events e%s", where), &q),
                     req_query(req, "page"));
    char *sql = arena_printf(req->arena,
        "SELECT e.created_at, e.event_type, e.site_id, e.device_type, e.data, e.visitor_id, e.bot_score, "
        "e.is_returning FROM semantic_events e%s ORDER BY e.created_at DESC, e.id DESC LIMIT ? OFFSET ?", where);
    bind_i(&q, ADMIN_PER_PAGE);
    bind_i(&q, pg.offset);
    size_t rows = 0;
    if (db_queryv(&r, sql, q.p, q.np) == 0) {
        html_raw(h, "<div class=\"tablewrap\"><table><thead><tr><th>Time</th><th>Type</th><th>Site</th>"
                    "<th>Device</th><th>Data</th><th>Visitor</th><th>Score</th><th>Status</th>"
                    "</tr></thead><tbody>");
        while (db_next(r)) {
            rows++;
            html_raw(h, "<tr>");
            td_time(h, db_str(r, 0));
            html_raw(h, "<td>");
            admin_badge_event(h, db_str(r, 1));
            html_raw(h, "</td>");
            td_text(h, db_str(r, 2));
            td_text(h, db_str(r, 3));
            td_trunc(h, db_str(r, 4), 60);
            html_raw(h, "<td>");
            admin_visitor_link(h, "/admin/visitors", db_str(r, 5), 12, 1);
            html_raw(h, "</td><td>");
            admin_badge_score(h, db_int(r, 6));
            html_raw(h, db_int(r, 7) ? "</td><td><span class=\"info\">returning</span></td></tr>"
                                     : "</td><td><span class=\"muted\">new</span></td></tr>");
        }
        db_free(r);
        html_raw(h, "</tbody></table></div>");
    } else {
        html_raw(h, "<div class=\"alert danger\">Database unavailable</div>");
    }
    if (rows == 0) html_raw(h, "<p class=\"muted\">No events found.</p>");
    admin_pager_html(&p, &pg);
    buf_free(&q.where);
    admin_page_end(&p);
}
