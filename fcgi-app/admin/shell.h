/* shell: what every admin page shares (spec/40 §6.1, §6.2, §6.4; spec/30 §4.3, §5).
 *
 * Owns: the page context (selected site and days, public mode, the HTML
 * writer on the response body), the persistent site/days selection and its
 * cookies, the page shell (head, navigation, live-stats bar, footer), the
 * display formatting helpers (times, relative times, durations, badges,
 * resolutions) and pagination with links that keep the other query
 * parameters. Promises: every page written through admin_page_begin/end is
 * a complete HTML5 document with Content-Type text/html; charset=utf-8;
 * nothing here trusts a query value before validating it.
 * Never: checks credentials (the dispatcher ran auth_admin already). */
#ifndef ECHELON_ADMIN_SHELL_H
#define ECHELON_ADMIN_SHELL_H
#include <stddef.h>
#include "admin/html.h"
#include "core/http.h"

#define ADMIN_PER_PAGE 25

typedef struct admin_page {
    req_t *req;
    resp_t *resp;
    html_t h;
    const char *site;          /* validated, "default" when nothing chosen */
    long days;                 /* 1..365 */
    int public_mode;
} admin_page_t;

/* §6.2: compute site/days from query and cookies and write the cookies to
 * resp when the query changed them. Exposed for the login page too. */
void admin_selection(req_t *req, resp_t *resp, const char **site, long *days);

/* Start a page: selection, head, nav, live-stats bar, <main> with the H1. */
void admin_page_begin(admin_page_t *p, req_t *req, resp_t *resp, const char *title);
/* Close <main>, footer, document; set status 200 and the content type. */
void admin_page_end(admin_page_t *p);
/* "All sites" for the list pages: NULL when site is "default" (§6.2). */
const char *admin_site_filter(const admin_page_t *p);

/* ---- formatting (spec/30 §5.2, spec/40 §6.4) ---- */
/* fmt_time of a MariaDB DATETIME text; out >= 32. NULL/"" -> "-". */
const char *admin_fmt_time(const char *db_ts, char *out, size_t outsz);
const char *admin_fmt_date(const char *db_ts, char *out, size_t outsz);
/* "<s>s ago" / "<m>m ago" / "<h>h ago" for an age in seconds. */
const char *admin_fmt_ago(long long age_s, char *out, size_t outsz);
/* Interaction "x.ys", "-" when 0 or NULL. */
const char *admin_fmt_dur(const char *ms, char *out, size_t outsz);
/* "WxH" with the terminal label (stats_resolution_label); out >= 64. */
const char *admin_fmt_res(const char *w, const char *h, char *out, size_t outsz);

/* Widgets. */
void admin_badge_score(html_t *h, long long score);
void admin_badge_event(html_t *h, const char *type);
/* A visitor link: label = first `n` chars (+ "..." when add_dots). */
void admin_visitor_link(html_t *h, const char *base, const char *id, size_t n, int add_dots);
/* Exclude/include button (admin.js); nothing in public mode. */
void admin_exclude_btn(admin_page_t *p, const char *visitor_id, int excluded);
/* The [+] score breakdown expander for a view or event id. */
void admin_score_expander(html_t *h, long long score, const char *kind, const char *id);

/* ---- pagination (spec/30 §5.1) ---- */
typedef struct admin_pager {
    long long total, page, total_pages, offset;
} admin_pager_t;
void admin_pager_init(admin_pager_t *pg, long long total, const char *page_param);
void admin_pager_html(admin_page_t *p, const admin_pager_t *pg);

/* "?a=1&b=2" from the current query with `name` set to value (NULL removes
 * it) and every name in `drop` (NULL-terminated list) removed. Arena string. */
const char *admin_query_with(req_t *req, const char *name, const char *value,
                             const char *const *drop);
/* A plain-text error page (e.g. 404 Experiment not found, 400 Invalid sort). */
void admin_text_error(admin_page_t *p, int status, const char *text);
#endif
