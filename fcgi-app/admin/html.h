/* html: the one HTML writer of the admin UI (and of the login page).
 *
 * Owns: appending markup to a response buffer. Promises: every value that did
 * not come from our own source text goes through an escaping function (text
 * and attribute values: & < > " ' escaped; URL components: percent-encoded,
 * then escaped); html_f() escapes each %s argument, so a handler never builds
 * markup from data by hand. Invalid UTF-8 in data is replaced by U+FFFD so a
 * hostile byte sequence cannot swallow the following markup.
 * Never: writes raw data bytes (only string literals of our own code go
 * through html_raw), allocates beyond the buffer it appends to.
 *
 * The page shell (head, nav, live-stats bar, footer) of spec/40 §6.1 is in
 * admin/shell.h; the login page (api/auth.c) uses html_login_begin/end below
 * so it looks like the other pages. */
#ifndef ECHELON_ADMIN_HTML_H
#define ECHELON_ADMIN_HTML_H
#include <stdarg.h>
#include <stddef.h>
#include "core/buf.h"

typedef struct html {
    buf_t *out;
} html_t;

void html_init(html_t *h, buf_t *out);

/* Trusted markup from our own string literals. */
void html_raw(html_t *h, const char *literal);
/* Escaped text / attribute value; NULL writes nothing. */
void html_text(html_t *h, const char *s);
void html_textn(html_t *h, const char *s, size_t n);
/* Escaped text of at most max code points, "..." appended when cut. */
void html_text_trunc(html_t *h, const char *s, size_t max);
/* Percent-encode a URL component (RFC 3986 unreserved kept), escaped. */
void html_url(html_t *h, const char *s);
void html_int(html_t *h, long long v);
/* Integer with ',' thousands separators (spec/40 §6.5 KPI cards). */
void html_int_sep(html_t *h, long long v);

/* Formatted output. Conversions:
 *   %s  const char *   escaped text (NULL -> nothing)
 *   %u  const char *   URL component: percent-encoded, then escaped
 *   %r  const char *   raw: ONLY for markup this module's callers built
 *                      with html_* themselves (never request or DB data)
 *   %d  int      %l  long long      %z  size_t      %%  a percent sign
 * Anything else is written literally. */
void html_f(html_t *h, const char *fmt, ...);
void html_vf(html_t *h, const char *fmt, va_list ap);

/* ---- pure helpers, exposed for unit tests ---- */
/* Escape [s, s+n) into out; returns the bytes appended. */
size_t html_escape_buf(buf_t *out, const char *s, size_t n);
/* Percent-encode [s, s+n) into out (unreserved: A-Z a-z 0-9 - _ . ~). */
size_t html_pct_encode(buf_t *out, const char *s, size_t n);

/* ---- the login page shell (spec/40 §6.9), offered to api/auth.c ----
 * Writes doctype, head (title, robots noindex, stylesheet, favicon) and
 * opens <body class="login"><main class="login-card">. html_login_end closes
 * them after the footer (slogan, rule, link, version). */
void html_login_begin(html_t *h, const char *title);
void html_login_end(html_t *h);
#endif
