/* decode.c -- byte-level decoders of the tracking endpoints.
 *
 * Implements spec/10 §0 (leading-integer parse), §1 (site-id validation),
 * §5.2 (sid), §5.3 (forgiving base64, path and UTM pipelines) with the
 * recommendations of §11.1/§11.2 described in decode.h. Everything here is
 * pure and bounded: fuzzed by tests/fuzz/fuzz_beacon.c. */
#include <limits.h>
#include <string.h>
#include "collect/decode.h"

/* ------------------------------------------------------------------ base64 */

static int b64_val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

static int is_b64_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

/* The reference's "forgiving-base64 decode" (WHATWG infra): whitespace is
 * dropped first, so the '=' stripping and the length test see the compacted
 * text; leftover bits of a 2- or 3-character tail are ignored. */
int dec_b64_forgiving(const char *s, size_t n, unsigned char *out, size_t *outlen)
{
    size_t len = 0, i, o = 0;
    unsigned acc = 0;
    int bits = 0;

    /* Compact in a first pass by counting, then decode skipping spaces:
     * avoids a copy of attacker-sized input. */
    for (i = 0; i < n; i++)
        if (!is_b64_space((unsigned char)s[i]))
            len++;
    size_t strip = 0;
    if (len % 4 == 0 && len > 0) {
        /* find the last two significant characters */
        size_t seen = 0;
        for (i = n; i > 0 && seen < 2; i--) {
            unsigned char c = (unsigned char)s[i - 1];
            if (is_b64_space(c)) continue;
            if (c != '=') break;
            seen++;
            strip++;
        }
    }
    len -= strip;
    if (len % 4 == 1)
        return -1;
    size_t taken = 0;
    for (i = 0; i < n && taken < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (is_b64_space(c)) continue;
        int v = b64_val(c);
        if (v < 0)
            return -1;
        taken++;
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)((acc >> bits) & 0xff);
        }
    }
    *outlen = o;
    return 0;
}

char *dec_plus_fix(arena_t *a, const char *s, size_t n)
{
    char *p = arena_strndup(a, s, n);
    for (size_t i = 0; i < n; i++)
        if (p[i] == ' ')
            p[i] = '+';
    return p;
}

/* -------------------------------------------------------------------- UTF-8 */

size_t dec_utf8_put(unsigned long cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Length of the well-formed sequence at s[0..n), or 0 if it is not one.
 * The bounds are those of the Unicode "well-formed UTF-8" table, which is
 * also what the WHATWG decoder accepts. */
static size_t utf8_seq(const unsigned char *s, size_t n, unsigned long *cp)
{
    unsigned char c = s[0];
    if (c < 0x80) { *cp = c; return 1; }
    size_t need;
    unsigned char lo = 0x80, hi = 0xBF;
    unsigned long v;
    if (c >= 0xC2 && c <= 0xDF) { need = 1; v = c & 0x1F; }
    else if (c >= 0xE0 && c <= 0xEF) {
        need = 2; v = c & 0x0F;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3; v = c & 0x07;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else
        return 0;
    if (n < need + 1) return 0;
    for (size_t i = 1; i <= need; i++) {
        unsigned char d = s[i];
        if (d < lo || d > hi) return 0;
        lo = 0x80; hi = 0xBF;
        v = (v << 6) | (d & 0x3F);
    }
    *cp = v;
    return need + 1;
}

int dec_utf8_valid(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    unsigned long cp;
    while (i < n) {
        size_t k = utf8_seq(u + i, n - i, &cp);
        if (k == 0) return 0;
        i += k;
    }
    return 1;
}

size_t dec_utf8_count(const char *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            c++;
    return c;
}

size_t dec_utf8_prefix(const char *s, size_t n, size_t max_cp)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++) {
        if (((unsigned char)s[i] & 0xC0) != 0x80) {
            if (c == max_cp)
                return i;
            c++;
        }
    }
    return n;
}

/* WHATWG "UTF-8 decode" with replacement: a maximal subpart of an invalid
 * sequence becomes one U+FFFD, as a browser's TextDecoder (and the
 * reference's body reader) does. */
char *dec_utf8_sanitize(arena_t *a, const char *s, size_t n, size_t *outlen)
{
    const unsigned char *u = (const unsigned char *)s;
    char *out = arena_alloc(a, n * 3 + 1);
    size_t i = 0, o = 0;
    if (n >= 3 && u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF)
        i = 3;
    while (i < n) {
        unsigned long cp;
        size_t k = utf8_seq(u + i, n - i, &cp);
        if (k) {
            memcpy(out + o, s + i, k);
            o += k;
            i += k;
            continue;
        }
        /* maximal subpart: the lead byte plus the continuation bytes that
         * were still acceptable when the sequence broke */
        unsigned char c = u[i];
        size_t need = 0;
        unsigned char lo = 0x80, hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF) need = 1;
        else if (c >= 0xE0 && c <= 0xEF) { need = 2; if (c == 0xE0) lo = 0xA0; if (c == 0xED) hi = 0x9F; }
        else if (c >= 0xF0 && c <= 0xF4) { need = 3; if (c == 0xF0) lo = 0x90; if (c == 0xF4) hi = 0x8F; }
        size_t j = 1;
        while (need > 0 && i + j < n && j <= need && u[i + j] >= lo && u[i + j] <= hi) {
            lo = 0x80; hi = 0xBF;
            j++;
        }
        o += dec_utf8_put(0xFFFD, out + o);
        i += j;
    }
    out[o] = '\0';
    *outlen = o;
    return out;
}

/* ---------------------------------------------------------- percent-decoding */

static int hexv(unsigned char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int pct_byte(const unsigned char *in, size_t n, size_t i, unsigned char *b)
{
    if (i + 2 >= n || in[i] != '%')
        return -1;
    int h = hexv(in[i + 1]), l = hexv(in[i + 2]);
    if (h < 0 || l < 0)
        return -1;
    *b = (unsigned char)(h * 16 + l);
    return 0;
}

/* decodeURIComponent over Latin-1 code points: each escape sequence must be
 * a complete, well-formed UTF-8 character; a stray '%' fails the value. */
int dec_pct_strict(const unsigned char *in, size_t n, char *out, size_t *outlen)
{
    size_t i = 0, o = 0;
    while (i < n) {
        if (in[i] != '%') {
            o += dec_utf8_put(in[i], out + o);
            i++;
            continue;
        }
        unsigned char seq[4];
        if (pct_byte(in, n, i, &seq[0]) != 0)
            return -1;
        size_t need;
        if (seq[0] < 0x80) need = 0;
        else if (seq[0] >= 0xC2 && seq[0] <= 0xDF) need = 1;
        else if (seq[0] >= 0xE0 && seq[0] <= 0xEF) need = 2;
        else if (seq[0] >= 0xF0 && seq[0] <= 0xF4) need = 3;
        else return -1;
        i += 3;
        for (size_t k = 1; k <= need; k++) {
            if (pct_byte(in, n, i, &seq[k]) != 0)
                return -1;
            i += 3;
        }
        unsigned long cp;
        if (utf8_seq(seq, need + 1, &cp) != need + 1)
            return -1;
        memcpy(out + o, seq, need + 1);
        o += need + 1;
    }
    out[o] = '\0';
    *outlen = o;
    return 0;
}

/* ------------------------------------------------------------------ values */

char *dec_path(arena_t *a, const char *s, size_t n, size_t *outlen)
{
    unsigned char *bin = arena_alloc(a, n * 3 / 4 + 4);
    size_t blen;
    if (dec_b64_forgiving(s, n, bin, &blen) != 0)
        return NULL;
    char *out = arena_alloc(a, blen * 2 + 1);
    size_t olen;
    if (dec_pct_strict(bin, blen, out, &olen) != 0)
        return NULL;
    if (memchr(out, '\0', olen) != NULL)
        return NULL;
    olen = dec_utf8_prefix(out, olen, DEC_PATH_MAX_CHARS);
    out[olen] = '\0';
    *outlen = olen;
    return out;
}

char *dec_utm(arena_t *a, const char *s, size_t n)
{
    if (s == NULL || n == 0)
        return NULL;
    unsigned char *bin = arena_alloc(a, n * 3 / 4 + 4);
    size_t blen;
    if (dec_b64_forgiving(s, n, bin, &blen) != 0)
        return NULL;
    if (blen == 0 || memchr(bin, '\0', blen) != NULL || !dec_utf8_valid((char *)bin, blen))
        return NULL;
    blen = dec_utf8_prefix((char *)bin, blen, DEC_UTM_MAX_CHARS);
    bin[blen] = '\0';
    return (char *)bin;
}

int dec_lint(const char *s, long long *out)
{
    if (s == NULL)
        return -1;
    const unsigned char *p = (const unsigned char *)s;
    /* JavaScript's StrWhiteSpaceChar, ASCII part (the Unicode spaces cannot
     * start a number anyway; they make the value NaN, as here). */
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\v' || *p == '\f' || *p == '\r')
        p++;
    int neg = 0;
    if (*p == '+' || *p == '-') {
        neg = *p == '-';
        p++;
    }
    if (*p < '0' || *p > '9')
        return -1;
    unsigned long long v = 0;
    int over = 0;
    for (; *p >= '0' && *p <= '9'; p++) {
        unsigned d = (unsigned)(*p - '0');
        if (v > ((unsigned long long)LLONG_MAX - d) / 10)
            over = 1;
        else
            v = v * 10 + d;
    }
    long long r = over ? LLONG_MAX : (long long)v;
    *out = neg ? -r : r;
    return 0;
}

int dec_site_id_valid(const char *s, size_t n)
{
    if (s == NULL || n == 0 || n > DEC_SITE_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

const char *dec_site_id(const char *s)
{
    if (s && dec_site_id_valid(s, strlen(s)))
        return s;
    return DEC_DEFAULT_SITE;
}

int dec_sid_valid(const char *s, size_t n)
{
    if (s == NULL || n != DEC_SID_LEN)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == '-'))
            return 0;
    }
    return 1;
}

int dec_hex16_valid(const char *s, size_t n)
{
    if (s == NULL || n != 16)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return 0;
    }
    return 1;
}
