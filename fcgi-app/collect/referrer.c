/* referrer.c -- URL origins and referrer_type (spec/10 §5.3, §5.6).
 *
 * The origin serialiser follows the WHATWG URL standard closely enough that
 * what a browser sends as document.referrer maps to the origin the reference
 * (which uses the standard's parser) stores: special schemes ignore any run
 * of '/' or '\' before the authority, userinfo is dropped, the host is
 * percent-decoded, lower-cased, checked for forbidden code points and parsed
 * as IPv4 when its last label is numeric ("0x7f.1" -> 127.0.0.1), IPv6 is
 * re-serialised in its compressed form, and default ports vanish. */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "collect/decode.h"
#include "collect/referrer.h"

typedef struct special { const char *scheme; int port; } special_t;
static const special_t specials[] = {
    { "http", 80 }, { "https", 443 }, { "ws", 80 }, { "wss", 443 }, { "ftp", 21 }, { "file", -1 },
};

static int lower(int c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }

/* ---- IPv4 (WHATWG "IPv4 parser") ---- */

static int ipv4_number(const char *s, size_t n, uint64_t *out)
{
    int base = 10;
    if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16; s += 2; n -= 2;
    } else if (n >= 2 && s[0] == '0') {
        base = 8; s++; n--;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        int c = lower((unsigned char)s[i]), d;
        if (c >= '0' && c <= '9') d = c - '0';
        else if (base == 16 && c >= 'a' && c <= 'f') d = c - 'a' + 10;
        else return -1;
        if (d >= base) return -1;
        if (v > (UINT64_C(1) << 40)) return -1;   /* far beyond any valid part */
        v = v * (uint64_t)base + (uint64_t)d;
    }
    *out = v;
    return 0;
}

static int ends_in_number(const char *h, size_t n)
{
    if (n && h[n - 1] == '.') n--;
    if (n == 0) return 0;
    size_t s = n;
    while (s > 0 && h[s - 1] != '.') s--;
    const char *last = h + s;
    size_t ln = n - s;
    if (ln == 0) return 0;
    size_t i;
    for (i = 0; i < ln && last[i] >= '0' && last[i] <= '9'; i++) ;
    if (i == ln) return 1;
    if (ln >= 2 && last[0] == '0' && (last[1] == 'x' || last[1] == 'X')) {
        for (i = 2; i < ln; i++) {
            int c = lower((unsigned char)last[i]);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return 0;
        }
        return 1;
    }
    return 0;
}

static int ipv4_parse(const char *h, size_t n, char *out, size_t outsz)
{
    uint64_t parts[4];
    size_t np = 0, start = 0;
    if (n && h[n - 1] == '.') n--;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || h[i] == '.') {
            if (np == 4 || i == start) return -1;
            if (ipv4_number(h + start, i - start, &parts[np]) != 0) return -1;
            np++;
            start = i + 1;
        }
    }
    if (np == 0) return -1;
    for (size_t i = 0; i + 1 < np; i++)
        if (parts[i] > 255) return -1;
    uint64_t limit = UINT64_C(1) << (8 * (5 - np));
    if (parts[np - 1] >= limit) return -1;
    uint64_t v = parts[np - 1];
    for (size_t i = 0; i + 1 < np; i++)
        v += parts[i] << (8 * (3 - i));
    snprintf(out, outsz, "%u.%u.%u.%u", (unsigned)(v >> 24) & 255, (unsigned)(v >> 16) & 255,
             (unsigned)(v >> 8) & 255, (unsigned)v & 255);
    return 0;
}

/* ---- IPv6: parse with inet_pton, serialise as the standard does ---- */

static int ipv6_serialize(const char *h, size_t n, char *out, size_t outsz)
{
    char tmp[64];
    unsigned char b[16];
    if (n >= sizeof tmp) return -1;
    memcpy(tmp, h, n);
    tmp[n] = '\0';
    if (inet_pton(AF_INET6, tmp, b) != 1) return -1;
    unsigned pieces[8];
    for (int i = 0; i < 8; i++) pieces[i] = (unsigned)b[2 * i] << 8 | b[2 * i + 1];
    int best = -1, bestlen = 1;
    for (int i = 0; i < 8;) {
        if (pieces[i] != 0) { i++; continue; }
        int j = i;
        while (j < 8 && pieces[j] == 0) j++;
        if (j - i > bestlen) { best = i; bestlen = j - i; }
        i = j;
    }
    size_t o = 0;
    o += (size_t)snprintf(out + o, outsz - o, "[");
    for (int i = 0; i < 8; i++) {
        if (i == best) {
            o += (size_t)snprintf(out + o, outsz - o, i == 0 ? "::" : ":");
            i += bestlen - 1;
            continue;
        }
        o += (size_t)snprintf(out + o, outsz - o, "%x%s", pieces[i], i < 7 ? ":" : "");
    }
    snprintf(out + o, outsz - o, "]");
    return 0;
}

/* ---- punycode (RFC 3492) for one label of code points ---- */

static char pc_digit(unsigned d) { return (char)(d < 26 ? 'a' + d : '0' + d - 26); }

static unsigned pc_adapt(unsigned delta, unsigned numpoints, int first)
{
    delta = first ? delta / 700 : delta / 2;
    delta += delta / numpoints;
    unsigned k = 0;
    while (delta > ((36 - 1) * 26) / 2) { delta /= 36 - 1; k += 36; }
    return k + (36 - 1 + 1) * delta / (delta + 38);
}

static int punycode(const unsigned long *cp, size_t n, char *out, size_t outsz, size_t *olen)
{
    size_t o = 0, b = 0;
    for (size_t i = 0; i < n; i++)
        if (cp[i] < 0x80) {
            if (o + 1 >= outsz) return -1;
            out[o++] = (char)cp[i];
            b++;
        }
    if (b > 0) { if (o + 1 >= outsz) return -1; out[o++] = '-'; }
    unsigned long m, nn = 128;
    unsigned long delta = 0, bias = 72;
    size_t h = b;
    while (h < n) {
        m = 0x10FFFF + 1;
        for (size_t i = 0; i < n; i++) if (cp[i] >= nn && cp[i] < m) m = cp[i];
        if ((m - nn) > (0xFFFFFFFFUL - delta) / (h + 1)) return -1;
        delta += (m - nn) * (h + 1);
        nn = m;
        for (size_t i = 0; i < n; i++) {
            if (cp[i] < nn) delta++;
            if (cp[i] == nn) {
                unsigned long q = delta;
                for (unsigned long k = 36;; k += 36) {
                    unsigned long t = k <= bias ? 1 : (k >= bias + 26 ? 26 : k - bias);
                    if (q < t) break;
                    if (o + 1 >= outsz) return -1;
                    out[o++] = pc_digit((unsigned)(t + (q - t) % (36 - t)));
                    q = (q - t) / (36 - t);
                }
                if (o + 1 >= outsz) return -1;
                out[o++] = pc_digit((unsigned)q);
                bias = pc_adapt((unsigned)delta, (unsigned)(h + 1), h == b);
                delta = 0;
                h++;
            }
        }
        delta++;
        nn++;
    }
    *olen = o;
    return 0;
}

static int forbidden_domain_cp(unsigned long c)
{
    if (c <= 0x20 || c == 0x7F) return 1;
    return strchr("#%/:<>?@[\\]^|", (int)c) != NULL && c != 0;
}

/* Host text (still percent-encoded) -> canonical ASCII host in out. */
static int host_parse(const char *h, size_t n, char *out, size_t outsz)
{
    if (n == 0 || n > REF_HOST_MAX) return -1;
    if (h[0] == '[') {
        if (n < 2 || h[n - 1] != ']') return -1;
        return ipv6_serialize(h + 1, n - 2, out, outsz);
    }
    /* percent-decode to bytes, then UTF-8 (invalid -> failure: U+FFFD is not
     * a valid domain code point) */
    char dec[REF_HOST_MAX + 1];
    size_t dn = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)h[i];
        if (c == '%' && i + 2 < n) {
            int hi = lower((unsigned char)h[i + 1]), lo = lower((unsigned char)h[i + 2]);
            int hv = hi >= '0' && hi <= '9' ? hi - '0' : hi >= 'a' && hi <= 'f' ? hi - 'a' + 10 : -1;
            int lv = lo >= '0' && lo <= '9' ? lo - '0' : lo >= 'a' && lo <= 'f' ? lo - 'a' + 10 : -1;
            if (hv >= 0 && lv >= 0) { dec[dn++] = (char)(hv * 16 + lv); i += 2; continue; }
        }
        dec[dn++] = (char)c;
    }
    if (!dec_utf8_valid(dec, dn)) return -1;
    /* split into labels, lower-case, punycode the non-ASCII ones */
    size_t o = 0, i = 0;
    unsigned long cps[REF_HOST_MAX];
    while (i <= dn) {
        size_t ncp = 0;
        int ascii = 1;
        while (i < dn && dec[i] != '.') {
            unsigned long c;
            unsigned char u = (unsigned char)dec[i];
            size_t k;
            if (u < 0x80) { c = u; k = 1; }
            else if (u < 0xE0) { c = ((u & 0x1FUL) << 6) | (dec[i + 1] & 0x3F); k = 2; }
            else if (u < 0xF0) { c = ((u & 0x0FUL) << 12) | ((dec[i + 1] & 0x3FUL) << 6) | (dec[i + 2] & 0x3F); k = 3; }
            else { c = ((u & 0x07UL) << 18) | ((dec[i + 1] & 0x3FUL) << 12) | ((dec[i + 2] & 0x3FUL) << 6) | (dec[i + 3] & 0x3F); k = 4; }
            i += k;
            if (c < 0x80) c = (unsigned long)lower((int)c);
            else if (c >= 0xC0 && c <= 0xDE && c != 0xD7) c += 0x20;
            if (c >= 0x80) ascii = 0;
            if (forbidden_domain_cp(c)) return -1;
            /* U+3002 and friends are label separators in UTS #46 */
            if (c == 0x3002 || c == 0xFF0E || c == 0xFF61) return -1;
            cps[ncp++] = c;
        }
        if (ascii) {
            if (o + ncp + 2 > outsz) return -1;
            for (size_t k = 0; k < ncp; k++) out[o++] = (char)cps[k];
        } else {
            size_t pl;
            if (o + 5 > outsz) return -1;
            memcpy(out + o, "xn--", 4);
            o += 4;
            if (punycode(cps, ncp, out + o, outsz - o - 1, &pl) != 0) return -1;
            o += pl;
        }
        if (i < dn) { out[o++] = '.'; }
        i++;
    }
    out[o] = '\0';
    if (o == 0) return -1;
    if (ends_in_number(out, o)) {
        char v4[16];
        if (ipv4_parse(out, o, v4, sizeof v4) != 0) return -1;
        snprintf(out, outsz, "%s", v4);
    }
    return 0;
}

/* Scheme and special-authority split shared by ref_origin and ref_type.
 * Returns 1 for a special scheme with host/port filled, 0 for an opaque
 * origin, -1 for "not a URL". */
static int url_split(const char *url, size_t n, char *scheme, size_t schsz,
                     char *host, size_t hostsz, long *port, int *defport)
{
    /* trim C0 controls and spaces at both ends; tabs/newlines inside are
     * removed by the standard: we refuse to decode around them instead of
     * copying, since a real referrer never contains them */
    while (n && (unsigned char)url[0] <= 0x20) { url++; n--; }
    while (n && (unsigned char)url[n - 1] <= 0x20) n--;
    if (n == 0 || !((lower((unsigned char)url[0]) >= 'a' && lower((unsigned char)url[0]) <= 'z')))
        return -1;
    size_t i = 0;
    while (i < n && i + 1 < schsz) {
        int c = lower((unsigned char)url[i]);
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.') {
            scheme[i] = (char)c;
            i++;
        } else
            break;
    }
    if (i >= n || url[i] != ':') return -1;
    scheme[i] = '\0';
    const special_t *sp = NULL;
    for (size_t k = 0; k < sizeof specials / sizeof specials[0]; k++)
        if (strcmp(scheme, specials[k].scheme) == 0) sp = &specials[k];
    if (!sp || sp->port < 0)
        return 0;
    i++;
    while (i < n && (url[i] == '/' || url[i] == '\\')) i++;
    size_t a0 = i;
    while (i < n && url[i] != '/' && url[i] != '\\' && url[i] != '?' && url[i] != '#') i++;
    const char *auth = url + a0;
    size_t an = i - a0;
    for (size_t k = an; k > 0; k--)
        if (auth[k - 1] == '@') { auth += k; an -= k; break; }
    for (size_t k = 0; k < an; k++)
        if (auth[k] == '\t' || auth[k] == '\n' || auth[k] == '\r') return -1;
    size_t hn = an;
    int inbr = 0;
    for (size_t k = 0; k < an; k++) {
        if (auth[k] == '[') inbr = 1;
        else if (auth[k] == ']') inbr = 0;
        else if (auth[k] == ':' && !inbr) { hn = k; break; }
    }
    *port = -1;
    if (hn < an) {
        const char *p = auth + hn + 1;
        size_t pn = an - hn - 1;
        long v = 0;
        for (size_t k = 0; k < pn; k++) {
            if (p[k] < '0' || p[k] > '9') return -1;
            v = v * 10 + (p[k] - '0');
            if (v > 65535) return -1;
        }
        if (pn > 0 && v != sp->port) *port = v;
    }
    *defport = sp->port;
    if (host_parse(auth, hn, host, hostsz) != 0) return -1;
    return 1;
}

char *ref_origin(arena_t *a, const char *url, size_t n)
{
    char scheme[32], host[REF_HOST_MAX * 4 + 16];
    long port;
    int defport;
    int r = url_split(url, n, scheme, sizeof scheme, host, sizeof host, &port, &defport);
    if (r < 0) return NULL;
    if (r == 0) {
        /* blob: URLs take the origin of their inner http(s) URL */
        if (strcmp(scheme, "blob") == 0) {
            const char *p = memchr(url, ':', n);
            if (p) {
                char *in = ref_origin(a, p + 1, n - (size_t)(p + 1 - url));
                if (in && (strncmp(in, "http://", 7) == 0 || strncmp(in, "https://", 8) == 0))
                    return in;
            }
        }
        return arena_strdup(a, "null");
    }
    if (port >= 0)
        return arena_printf(a, "%s://%s:%ld", scheme, host, port);
    return arena_printf(a, "%s://%s", scheme, host);
}

/* spec/10 §5.6, in test order: ai, then search, then social. */
static const char *const ai_domains[] = {
    "perplexity.ai", "chat.openai.com", "chatgpt.com", "claude.ai", "you.com", "phind.com",
    "copilot.microsoft.com", "gemini.google.com", "poe.com",
};
static const char *const search_domains[] = {
    "google.com", "google.co.uk", "google.de", "google.fr", "google.fi", "google.nl",
    "google.pl", "google.se", "google.no", "google.it", "google.pt", "google.es",
    "google.hu", "google.cz", "google.ro", "google.sk", "google.rs", "bing.com",
    "yahoo.com", "duckduckgo.com", "yandex.com", "yandex.ru", "ecosia.org",
};
static const char *const social_domains[] = {
    "facebook.com", "twitter.com", "x.com", "reddit.com", "linkedin.com", "instagram.com", "t.co",
};

static int host_in(const char *host, const char *const *list, size_t n)
{
    size_t hl = strlen(host);
    for (size_t i = 0; i < n; i++) {
        size_t dl = strlen(list[i]);
        if (hl == dl && memcmp(host, list[i], dl) == 0) return 1;
        if (hl > dl && host[hl - dl - 1] == '.' && memcmp(host + hl - dl, list[i], dl) == 0) return 1;
    }
    return 0;
}

const char *ref_type(const char *referrer)
{
    if (referrer == NULL || referrer[0] == '\0' || strcmp(referrer, REF_DIRECT) == 0)
        return REF_DIRECT;
    char scheme[32], host[REF_HOST_MAX * 4 + 16];
    long port;
    int defport;
    if (url_split(referrer, strlen(referrer), scheme, sizeof scheme, host, sizeof host, &port,
                  &defport) != 1)
        return REF_DIRECT;
    const char *h = host;
    if (strncmp(h, "www.", 4) == 0) h += 4;
#define N(l) (sizeof(l) / sizeof((l)[0]))
    if (host_in(h, ai_domains, N(ai_domains))) return "ai";
    if (host_in(h, search_domains, N(search_domains))) return "search";
    if (host_in(h, social_domains, N(social_domains))) return "social";
#undef N
    return REF_DIRECT;
}
