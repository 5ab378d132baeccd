/* shell.c -- page shell, selection, formatting and pagination of the admin
 * UI (see shell.h; spec/40 §6.1, §6.2, §6.4; spec/30 §4.3, §5).
 *
 * The live-stats bar reads its view counts from MariaDB (index
 * (created_at, bot_score), as the reference) and the request figures from
 * the cluster-wide Redis buckets of spec/30 §4.6 through admin_timing()
 * (livebar.c). Everything the browser needs for behaviour (selectors, nav
 * collapse, buttons) is in the static admin.js: the markup only carries
 * data-* attributes, so the CSP needs no inline script. */
#define _GNU_SOURCE
#include "admin/shell.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "admin/livebar.h"
#include "api/stats_util.h"
#include "core/config.h"
#include "store/db.h"

/* ------------------------------------------------------------ selection */

static int site_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n < 1 || n > 64) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

void admin_selection(req_t *req, resp_t *resp, const char **site, long *days)
{
    const char *qs = req_query(req, "site_id");
    const char *cs = req_cookie(req, "echelon_site");
    const char *raw = qs ? qs : (cs ? cs : "default");
    *site = site_ok(raw) ? raw : "default";
    if (qs && *qs && (!cs || strcmp(qs, cs) != 0)) {
        /* the validated value has only [A-Za-z0-9._-]: no encoding needed */
        char hdr[160];
        snprintf(hdr, sizeof hdr, "echelon_site=%s; Path=/admin; HttpOnly; SameSite=Lax; Secure; "
                 "Max-Age=31536000", *site);
        resp_header(resp, "Set-Cookie", hdr);
    }

    const char *qd = req_query(req, "days");
    const char *cd = req_cookie(req, "echelon_days");
    const char *rawd = qd ? qd : cd;
    long long d = 30;
    if (rawd && stats_lint(rawd, &d) != 0) d = 30;      /* Decision: NaN -> 30 */
    if (!rawd) d = 30;
    *days = (long)stats_clamp(d, 1, 365);
    if (qd && (!cd || strcmp(qd, cd) != 0)) {
        char hdr[128];
        snprintf(hdr, sizeof hdr, "echelon_days=%ld; Path=/admin; HttpOnly; SameSite=Lax; Secure; "
                 "Max-Age=31536000", *days);
        resp_header(resp, "Set-Cookie", hdr);
    }
}

const char *admin_site_filter(const admin_page_t *p)
{
    return strcmp(p->site, "default") == 0 ? NULL : p->site;
}

/* ---------------------------------------------------------------- query */

const char *admin_query_with(req_t *req, const char *name, const char *value,
                             const char *const *drop)
{
    buf_t b;
    buf_init(&b);
    req_query(req, "");                 /* makes sure the pairs are parsed */
    int done = 0;
    for (size_t i = 0; i < req->nquery; i++) {
        const http_pair_t *q = &req->query[i];
        int skip = 0;
        for (const char *const *d = drop; d && *d; d++)
            if (strcmp(q->name, *d) == 0) skip = 1;
        for (size_t j = 0; j < i && !skip; j++)       /* first occurrence wins */
            if (strcmp(req->query[j].name, q->name) == 0) skip = 1;
        if (skip) continue;
        const char *v = q->value;
        size_t vl = q->value_len;
        if (name && strcmp(q->name, name) == 0) {
            done = 1;
            if (!value) continue;
            v = value;
            vl = strlen(value);
        }
        buf_putc(&b, b.len ? '&' : '?');
        html_pct_encode(&b, q->name, q->name_len);
        buf_putc(&b, '=');
        html_pct_encode(&b, v, vl);
    }
    if (name && value && !done) {
        buf_putc(&b, b.len ? '&' : '?');
        html_pct_encode(&b, name, strlen(name));
        buf_putc(&b, '=');
        html_pct_encode(&b, value, strlen(value));
    }
    const char *r = arena_strdup(req->arena, b.len ? b.p : "?");
    buf_free(&b);
    return r;
}

/* ----------------------------------------------------------- formatting */

/* Parse "YYYY-MM-DD HH:MM:SS[.fff]" or the ISO form into epoch seconds. */
static int parse_ts(const char *s, time_t *out)
{
    int y, mo, d, h, mi, se;
    if (!s || strlen(s) < 19) return -1;
    if (sscanf(s, "%4d-%2d-%2d%*c%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &se) != 6) return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60) return -1;
    long days = stats_days_from_civil(y, mo, d);
    *out = (time_t)days * 86400 + h * 3600 + mi * 60 + se;
    return 0;
}

/* Convert to the display zone; 0 on success. The worker is single-threaded,
 * so switching TZ around localtime_r is safe; an unknown zone name is
 * detected by the absence of its zoneinfo file (then the caller falls back
 * to the first characters of the UTC text, as spec/30 §5.2 says). */
static int to_zone(time_t t, struct tm *tm)
{
    const char *z = cfg ? cfg->display_timezone : NULL;
    if (!z || !*z || strcmp(z, "UTC") == 0) return -1;
    if (strstr(z, "..") || z[0] == '/') return -1;
    char path[256];
    snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", z);
    if (access(path, R_OK) != 0) return -1;
    char *old = getenv("TZ") ? strdup(getenv("TZ")) : NULL;
    setenv("TZ", z, 1);
    tzset();
    struct tm *r = localtime_r(&t, tm);
    if (old) { setenv("TZ", old, 1); free(old); } else unsetenv("TZ");
    tzset();
    return r ? 0 : -1;
}

static const char *fmt_ts(const char *db, char *out, size_t outsz, size_t keep, int with_time)
{
    if (!db || !*db) { snprintf(out, outsz, "-"); return out; }
    char iso[40];
    if (stats_ts_iso(db, iso, sizeof iso) != 0) {
        snprintf(out, outsz, "%.*s", (int)keep, db);
        return out;
    }
    time_t t;
    struct tm tm;
    if (parse_ts(db, &t) == 0 && to_zone(t, &tm) == 0) {
        if (with_time)
            snprintf(out, outsz, "%04d-%02d-%02d %02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min);
        else
            snprintf(out, outsz, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
        return out;
    }
    snprintf(out, outsz, "%.*s", (int)keep, iso);
    return out;
}

const char *admin_fmt_time(const char *db_ts, char *out, size_t outsz)
{
    return fmt_ts(db_ts, out, outsz, 16, 1);
}

const char *admin_fmt_date(const char *db_ts, char *out, size_t outsz)
{
    return fmt_ts(db_ts, out, outsz, 10, 0);
}

const char *admin_fmt_ago(long long s, char *out, size_t outsz)
{
    if (s < 0) s = 0;
    if (s < 60) snprintf(out, outsz, "%llds ago", s);
    else if (s < 3600) snprintf(out, outsz, "%lldm ago", s / 60);
    else snprintf(out, outsz, "%lldh ago", s / 3600);
    return out;
}

const char *admin_fmt_dur(const char *ms, char *out, size_t outsz)
{
    long long v = ms ? atoll(ms) : 0;
    if (v == 0) snprintf(out, outsz, "-");
    else snprintf(out, outsz, "%.1fs", (double)v / 1000.0);
    return out;
}

const char *admin_fmt_res(const char *w, const char *h, char *out, size_t outsz)
{
    char raw[48];
    snprintf(raw, sizeof raw, "%lldx%lld", w ? atoll(w) : 0LL, h ? atoll(h) : 0LL);
    snprintf(out, outsz, "%s", stats_resolution_label(raw));
    return out;
}

/* --------------------------------------------------------------- widgets */

void admin_badge_score(html_t *h, long long score)
{
    const char *cls = score >= 50 ? "high" : score >= 25 ? "mid" : "low";
    html_f(h, "<span class=\"badge %r\">%l</span>", cls, score);
}

void admin_badge_event(html_t *h, const char *type)
{
    html_f(h, "<span class=\"badge low\">%s</span>", type);
}

void admin_visitor_link(html_t *h, const char *base, const char *id, size_t n, int add_dots)
{
    if (!id || !*id) { html_raw(h, "-"); return; }
    html_f(h, "<a class=\"vid\" href=\"%r/%u\" title=\"%s\">", base, id, id);
    size_t len = strlen(id);
    html_textn(h, id, len < n ? len : n);
    if (add_dots) html_raw(h, "...");
    html_raw(h, "</a>");
}

void admin_exclude_btn(admin_page_t *p, const char *visitor_id, int excluded)
{
    if (p->public_mode || !visitor_id) return;
    if (excluded)
        html_f(&p->h, "<button type=\"button\" class=\"btn js-excl\" data-visitor=\"%s\" "
               "data-excluded=\"1\">include</button>", visitor_id);
    else
        html_f(&p->h, "<button type=\"button\" class=\"btn danger js-excl\" data-visitor=\"%s\" "
               "data-excluded=\"0\">exclude</button>", visitor_id);
}

void admin_score_expander(html_t *h, long long score, const char *kind, const char *id)
{
    html_raw(h, "<span class=\"scorex\">");
    admin_badge_score(h, score);
    html_f(h, " <button type=\"button\" class=\"linkbtn js-score\" data-kind=\"%s\" data-id=\"%s\">"
           "[+]</button><span class=\"score-detail\" hidden></span></span>", kind, id);
}

/* ------------------------------------------------------------ pagination */

void admin_pager_init(admin_pager_t *pg, long long total, const char *page_param)
{
    long long p = 1;
    if (page_param && stats_lint(page_param, &p) != 0) p = 1;
    pg->total = total < 0 ? 0 : total;
    pg->total_pages = pg->total == 0 ? 1 : (pg->total + ADMIN_PER_PAGE - 1) / ADMIN_PER_PAGE;
    pg->page = stats_clamp(p, 1, pg->total_pages);
    pg->offset = (pg->page - 1) * ADMIN_PER_PAGE;
}

static void page_link(admin_page_t *p, long long page, const char *label)
{
    static const char *const none[] = { NULL };
    char num[24];
    snprintf(num, sizeof num, "%lld", page);
    const char *q = admin_query_with(p->req, "page", page == 1 ? NULL : num, none);
    html_f(&p->h, "<a href=\"%s\">%s</a>", q, label);
}

void admin_pager_html(admin_page_t *p, const admin_pager_t *pg)
{
    html_t *h = &p->h;
    if (pg->total_pages <= 1) {
        html_f(h, "<div class=\"pager muted\">%l record%r</div>", pg->total,
               pg->total == 1 ? "" : "s");
        return;
    }
    html_f(h, "<div class=\"pager\"><span class=\"muted\">%l records \xE2\x80\x94 page %l of %l</span> ",
           pg->total, pg->page, pg->total_pages);
    if (pg->page > 1) page_link(p, pg->page - 1, "Previous");
    else html_raw(h, "<span class=\"disabled\">Previous</span>");
    html_raw(h, " ");
    if (pg->page < pg->total_pages) page_link(p, pg->page + 1, "Next");
    else html_raw(h, "<span class=\"disabled\">Next</span>");
    html_raw(h, "</div>");
}

/* ----------------------------------------------------------------- shell */

static const char *const nav_links[][2] = {
    { "/admin", "Dashboard" },
    { "/admin/realtime", "Realtime" },
    { "/admin/visitors", "Visitors" },
    { "/admin/pageviews", "Page Views" },
    { "/admin/events", "Events" },
};
static const char *const nav_links2[][2] = {
    { "/admin/experiments", "Experiments" },
    { "/admin/campaigns", "Campaigns" },
    { "/admin/perf", "Performance" },
    { "/admin/settings", "Settings" },
};
static const int day_choices[] = { 7, 14, 30, 60, 90, 180, 365 };

static void nav_item(admin_page_t *p, const char *href, const char *label)
{
    int cur = strcmp(p->req->path, href) == 0;
    html_f(&p->h, "<li><a href=\"%r\"%r>%s</a></li>", href, cur ? " class=\"current\"" : "", label);
}

static void write_nav(admin_page_t *p)
{
    html_t *h = &p->h;
    html_raw(h, "<nav class=\"nav measuring\" id=\"nav\"><div class=\"nav-inner\">"
                "<div class=\"nav-left\"><a class=\"brand\" href=\"/admin\">Echelon \xF0\x9F\xA9\xBA</a>"
                "<select name=\"site_id\" class=\"js-sel\" aria-label=\"Site\">");
    /* known sites: distinct site_id of stored pageviews (loose index scan on
     * idx_vv_site_created), current one in front when missing */
    db_res_t *r = NULL;
    int found = 0;
    buf_t opts;
    buf_init(&opts);
    html_t oh;
    html_init(&oh, &opts);
    if (db_query(&r, "SELECT DISTINCT site_id FROM visitor_views ORDER BY site_id LIMIT 1000", "") == 0) {
        while (db_next(r)) {
            const char *s = db_str(r, 0);
            int sel = s && strcmp(s, p->site) == 0;
            if (sel) found = 1;
            html_f(&oh, "<option value=\"%s\"%r>%s</option>", s, sel ? " selected" : "", s);
        }
        db_free(r);
    }
    if (!found) html_f(h, "<option value=\"%s\" selected>%s</option>", p->site, p->site);
    html_raw(h, opts.p ? opts.p : "");
    buf_free(&opts);
    html_raw(h, "</select><select name=\"days\" class=\"js-sel\" aria-label=\"Days\">");
    for (size_t i = 0; i < sizeof day_choices / sizeof day_choices[0]; i++)
        html_f(h, "<option value=\"%d\"%r>%dd</option>", day_choices[i],
               day_choices[i] == p->days ? " selected" : "", day_choices[i]);
    html_raw(h, "</select><button type=\"button\" class=\"nav-toggle\" id=\"nav-toggle\" "
                "aria-label=\"Menu\">\xF0\x9F\x8D\x94</button></div><ul class=\"nav-links\">");
    for (size_t i = 0; i < sizeof nav_links / sizeof nav_links[0]; i++)
        nav_item(p, nav_links[i][0], nav_links[i][1]);
    html_raw(h, "<li class=\"dropdown\"><span class=\"dd-label\">Bots</span><ul class=\"dd\">");
    nav_item(p, "/admin/bots", "Suspicious");
    nav_item(p, "/admin/bots/excluded", "Excluded");
    html_raw(h, "</ul></li>");
    for (size_t i = 0; i < sizeof nav_links2 / sizeof nav_links2[0]; i++)
        nav_item(p, nav_links2[i][0], nav_links2[i][1]);
    html_raw(h, "</ul><div class=\"nav-right\">");
    if (!p->public_mode)
        html_raw(h, "<form method=\"POST\" action=\"/admin/logout\" class=\"logout\">"
                    "<button type=\"submit\" class=\"btn nav-btn\">Logout \xF0\x9F\xAA\xB5"
                    "<span class=\"red\">\xE2\x9E\xA1</span>\xF0\x9F\x9A\xAA</button></form>");
    html_raw(h, "</div></div></nav>\n");
}

static void write_livebar(admin_page_t *p)
{
    admin_live_t lv;
    admin_live_stats(&lv, p->public_mode);
    html_t *h = &p->h;
    char rps[32];
    stats_fmt_double(lv.rps, rps, sizeof rps);
    char up[48];
    long long s = lv.uptime_s;
    if (s < 60) snprintf(up, sizeof up, "%llds", s);
    else if (s < 3600) snprintf(up, sizeof up, "%lldm", s / 60);
    else if (s < 86400) snprintf(up, sizeof up, "%lldh %lldm", s / 3600, (s % 3600) / 60);
    else snprintf(up, sizeof up, "%lldd %lldh", s / 86400, (s % 86400) / 3600);
    html_f(h, "<div class=\"livebar\"><div class=\"livebar-inner\">"
           "<span title=\"Human views (%lm)\"><b class=\"primary\">%l</b> users</span><i>|</i>"
           "<span title=\"Bot views (%lm)\"><b class=\"danger\">%l</b> bots</span><i>|</i>"
           "<span title=\"Distinct visitors (%lm)\">%l unique</span><i>|</i>"
           "<span title=\"Write buffers: views/events\">buf: %lv/%le</span><i>|</i>"
           "<span title=\"Average response time (5 min)\">%lms</span><i>|</i>"
           "<span title=\"Requests per second (5 min)\">%s rps</span><i>|</i>"
           "<span title=\"Uptime\">%s</span></div></div>\n",
           lv.window_min, lv.human, lv.window_min, lv.bots, lv.window_min, lv.unique,
           lv.view_buf, lv.event_buf, lv.avg_ms, rps, up);
}

void admin_page_begin(admin_page_t *p, req_t *req, resp_t *resp, const char *title)
{
    p->req = req;
    p->resp = resp;
    p->public_mode = cfg ? cfg->public_mode : 0;
    admin_selection(req, resp, &p->site, &p->days);
    buf_reset(&resp->body);
    html_init(&p->h, &resp->body);
    html_t *h = &p->h;

    const char *host = req_env(req, "HTTP_HOST");
    const char *uri = req_env(req, "REQUEST_URI");
    const char *https = req_env(req, "HTTPS");
    int tls = https && (strcmp(https, "on") == 0 || strcmp(https, "1") == 0);
    const char *desc = "privacy-first, cookieless web analytics";

    html_raw(h, "<!DOCTYPE html>\n<html lang=\"en\" data-theme=\"default\">\n<head>\n"
                "<meta charset=\"utf-8\">\n"
                "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1.0\">\n");
    html_f(h, "<title>%s - Echelon Analytics</title>\n", title);
    html_f(h, "<meta name=\"description\" content=\"%s \xE2\x80\x94 Echelon Analytics, %s\">\n", title, desc);
    html_f(h, "<meta name=\"robots\" content=\"%r\">\n",
           p->public_mode ? "index, follow" : "noindex, nofollow");
    html_f(h, "<link rel=\"canonical\" href=\"%r://%s%s\">\n", tls ? "https" : "http",
           host ? host : "localhost", uri ? uri : req->path);
    html_f(h, "<meta property=\"og:title\" content=\"%s\">\n"
           "<meta property=\"og:description\" content=\"Echelon Analytics \xE2\x80\x94 %s\">\n"
           "<meta property=\"og:type\" content=\"website\">\n"
           "<meta property=\"og:site_name\" content=\"Echelon Analytics\">\n", title, desc);
    html_raw(h, "<link rel=\"icon\" href=\"/favicon.ico\">\n"
                "<link rel=\"stylesheet\" href=\"/styles.css\">\n"
                "<script src=\"/admin.js\" defer></script>\n</head>\n");
    html_f(h, "<body data-site=\"%s\" data-public=\"%d\">\n", p->site, p->public_mode);
    write_nav(p);
    write_livebar(p);
    html_f(h, "<main><h1><span class=\"accent\">##</span> %s</h1>\n", title);
}

void admin_page_end(admin_page_t *p)
{
    html_t *h = &p->h;
    html_raw(h, "</main>\n<footer class=\"foot\"><span>\xF0\x9F\x9B\xA2 \xE2\x80\x9C" "Data er den nye oljen!"
                "\xE2\x80\x9D \xE2\x80\x94 \xF0\x9F\xA6\xAD</span> <i>|</i> "
                "<a href=\"https://ea.js.org/\" target=\"_blank\" rel=\"noopener\">Echelon Analytics "
                "\xF0\x9F\xA9\xBA</a> <i>|</i> <span>");
    html_text(h, cfg ? cfg->version : "dev");
    html_raw(h, "</span></footer>\n</body>\n</html>\n");
    p->resp->status = 200;
    p->resp->content_type = "text/html; charset=utf-8";
}

void admin_text_error(admin_page_t *p, int status, const char *text)
{
    buf_reset(&p->resp->body);
    resp_text(p->resp, status, text);
}
