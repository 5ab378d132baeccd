/* html.c -- the escaping HTML writer of the admin UI (see html.h).
 *
 * Escaping is the five-character set of the HTML spec's attribute and text
 * contexts (& < > " '), which makes one function safe for both. Data is also
 * UTF-8-validated on the way: an invalid byte becomes U+FFFD, because a lone
 * lead byte could otherwise combine with the quote that closes an attribute
 * in some decoders. URL components are percent-encoded first (so the result
 * is safe inside href="...?x=" as well). */
#include "admin/html.h"
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "core/config.h"

void html_init(html_t *h, buf_t *out) { h->out = out; }

void html_raw(html_t *h, const char *literal)
{
    if (literal) buf_puts(h->out, literal);
}

/* Length of a valid UTF-8 sequence at s (1..4), or 0 when invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    if (c < 0x80) return 1;
    size_t len;
    unsigned min;
    unsigned cp;
    if (c >= 0xC2 && c <= 0xDF) { len = 2; cp = c & 0x1F; min = 0x80; }
    else if (c >= 0xE0 && c <= 0xEF) { len = 3; cp = c & 0x0F; min = 0x800; }
    else if (c >= 0xF0 && c <= 0xF4) { len = 4; cp = c & 0x07; min = 0x10000; }
    else return 0;
    if (n < len) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return len;
}

size_t html_escape_buf(buf_t *out, const char *s, size_t n)
{
    size_t before = out->len;
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, run = 0;
    while (i < n) {
        unsigned char c = p[i];
        const char *rep = NULL;
        size_t adv = 1;
        switch (c) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        case '\0': rep = "\xEF\xBF\xBD"; break;
        default:
            if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
                rep = "\xEF\xBF\xBD";
            } else if (c >= 0x80) {
                adv = utf8_seq(p + i, n - i);
                if (adv == 0) { rep = "\xEF\xBF\xBD"; adv = 1; }
            }
        }
        if (rep) {
            buf_append(out, s + i - run, run);
            run = 0;
            buf_puts(out, rep);
            i += adv;
        } else {
            run += adv;
            i += adv;
        }
    }
    buf_append(out, s + n - run, run);
    return out->len - before;
}

size_t html_pct_encode(buf_t *out, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t before = out->len;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~') {
            buf_putc(out, (char)c);
        } else {
            char e[3] = { '%', hex[c >> 4], hex[c & 15] };
            buf_append(out, e, 3);
        }
    }
    return out->len - before;
}

void html_text(html_t *h, const char *s)
{
    if (s) html_escape_buf(h->out, s, strlen(s));
}

void html_textn(html_t *h, const char *s, size_t n)
{
    if (s) html_escape_buf(h->out, s, n);
}

void html_text_trunc(html_t *h, const char *s, size_t max)
{
    if (!s) return;
    size_t n = strlen(s), i = 0, cps = 0;
    while (i < n && cps < max) {
        size_t l = utf8_seq((const unsigned char *)s + i, n - i);
        i += l ? l : 1;
        cps++;
    }
    html_escape_buf(h->out, s, i);
    if (i < n) buf_puts(h->out, "...");
}

void html_url(html_t *h, const char *s)
{
    if (!s) return;
    /* percent-encoding leaves only [A-Za-z0-9-_.~%]: nothing left to escape */
    html_pct_encode(h->out, s, strlen(s));
}

void html_int(html_t *h, long long v) { buf_printf(h->out, "%lld", v); }

void html_int_sep(html_t *h, long long v)
{
    char digits[32];
    int neg = v < 0;
    unsigned long long u = neg ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    int n = snprintf(digits, sizeof digits, "%llu", u);
    if (neg) buf_putc(h->out, '-');
    for (int i = 0; i < n; i++) {
        if (i > 0 && (n - i) % 3 == 0) buf_putc(h->out, ',');
        buf_putc(h->out, digits[i]);
    }
}

void html_vf(html_t *h, const char *fmt, va_list ap)
{
    const char *p = fmt;
    while (*p) {
        const char *pct = strchr(p, '%');
        if (!pct) { buf_puts(h->out, p); break; }
        buf_append(h->out, p, (size_t)(pct - p));
        char c = pct[1];
        switch (c) {
        case 's': html_text(h, va_arg(ap, const char *)); break;
        case 'u': html_url(h, va_arg(ap, const char *)); break;
        case 'r': html_raw(h, va_arg(ap, const char *)); break;
        case 'd': buf_printf(h->out, "%d", va_arg(ap, int)); break;
        case 'l': buf_printf(h->out, "%lld", va_arg(ap, long long)); break;
        case 'z': buf_printf(h->out, "%zu", va_arg(ap, size_t)); break;
        case '%': buf_putc(h->out, '%'); break;
        case '\0': buf_putc(h->out, '%'); p = pct + 1; continue;
        default: buf_append(h->out, pct, 2); break;
        }
        p = pct + 2;
    }
}

void html_f(html_t *h, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    html_vf(h, fmt, ap);
    va_end(ap);
}

void html_login_begin(html_t *h, const char *title)
{
    html_raw(h, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1.0\">\n");
    html_f(h, "<title>%s</title>\n", title);
    html_raw(h, "<meta name=\"robots\" content=\"noindex, nofollow\">\n"
                "<link rel=\"icon\" href=\"/favicon.ico\">\n"
                "<link rel=\"stylesheet\" href=\"/styles.css\">\n"
                "</head>\n<body class=\"login\">\n<main class=\"login-card\">\n");
}

void html_login_end(html_t *h)
{
    html_raw(h, "<footer class=\"login-foot\"><p>\xF0\x9F\x9B\xA2 \xE2\x80\x9C" "Data er den nye oljen!"
                "\xE2\x80\x9D \xE2\x80\x94 \xF0\x9F\xA6\xAD</p><hr>"
                "<a href=\"https://ea.js.org/\" target=\"_blank\" rel=\"noopener\">Echelon Analytics "
                "\xF0\x9F\xA9\xBA</a> <span class=\"muted\">");
    html_text(h, cfg ? cfg->version : "dev");
    html_raw(h, "</span></footer>\n</main>\n</body>\n</html>\n");
}
