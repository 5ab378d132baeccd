/* visitor.c -- hashing, visitor ids, the _ev cookie and the client IP
 * (spec/10 §2.7, §2.8, §5.5).
 *
 * The HMAC key is the day's random 32 bytes shared through Redis
 * (`ea:iphash-key:<date>`, see collect/live_keys.h); this file only computes.
 * IPs pass through as HMAC input and are never copied anywhere lasting. */
#include <gcrypt.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include "collect/decode.h"
#include "collect/visitor.h"

static void gcrypt_init_once(void)
{
    static int done;
    if (!done) {
        /* idempotent: if main() already initialised libgcrypt this only
         * checks the version */
        if (!gcry_control(GCRYCTL_INITIALIZATION_FINISHED_P)) {
            gcry_check_version(NULL);
            gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
            gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
        }
        done = 1;
    }
}

/* A keyed HMAC handle, reused while the key stays the same (it changes once
 * a day): gcry_md_reset() brings an HMAC handle back to its keyed state, so
 * each call costs the hash alone, not an open, a key schedule and a close.
 * Returns NULL on failure. */
static gcry_md_hd_t keyed(const void *key, size_t keylen)
{
    static gcry_md_hd_t h;
    static unsigned char kcopy[128];
    static size_t klen = (size_t)-1;
    gcrypt_init_once();
    if (h && keylen == klen && keylen <= sizeof kcopy && memcmp(kcopy, key, keylen) == 0) {
        gcry_md_reset(h);
        return h;
    }
    if (h) gcry_md_close(h);
    h = NULL;
    klen = (size_t)-1;
    if (gcry_md_open(&h, GCRY_MD_SHA256, GCRY_MD_FLAG_HMAC) != 0) return h = NULL;
    /* an empty HMAC key is legal (RFC 2104) but gcrypt wants a pointer */
    static const unsigned char zero = 0;
    if (gcry_md_setkey(h, keylen ? key : &zero, keylen) != 0) {
        gcry_md_close(h);
        return h = NULL;
    }
    if (keylen <= sizeof kcopy) {
        memcpy(kcopy, key, keylen);
        klen = keylen;
    }
    return h;
}

int visitor_hmac(const void *key, size_t keylen, const void *msg, size_t msglen,
                 unsigned char out[32])
{
    gcry_md_hd_t h = keyed(key, keylen);
    if (!h) return -1;
    gcry_md_write(h, msg, msglen);
    const unsigned char *d = gcry_md_read(h, GCRY_MD_SHA256);
    if (d == NULL) return -1;
    memcpy(out, d, 32);
    return 0;
}

void visitor_hex(const unsigned char *in, size_t n, char *out)
{
    static const char hx[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hx[in[i] >> 4];
        out[2 * i + 1] = hx[in[i] & 15];
    }
    out[2 * n] = '\0';
}

int visitor_ip_hash(const unsigned char key[VISITOR_KEY_LEN], const char *ip, char out[65])
{
    unsigned char mac[32];
    if (visitor_hmac(key, VISITOR_KEY_LEN, ip, strlen(ip), mac) != 0)
        return -1;
    visitor_hex(mac, 32, out);
    return 0;
}

int visitor_cookieless_id(const unsigned char key[VISITOR_KEY_LEN], const char *ip,
                          const char *ua, const char *site, const char *date, char out[17])
{
    static const char bar = '|';
    gcry_md_hd_t h = keyed(key, VISITOR_KEY_LEN);
    if (!h) return -1;
    /* One write of the joined message when it fits on the stack (each
     * gcry_md_write costs hundreds of instructions of its own); streamed
     * otherwise (a UA can be long). */
    size_t il = strlen(ip), ul = ua ? strlen(ua) : 0, sl = strlen(site), dl = strlen(date);
    char msg[512];
    if (il + ul + sl + dl + 3 <= sizeof msg) {
        char *o = msg;
        memcpy(o, ip, il), o += il, *o++ = bar;
        memcpy(o, ua ? ua : "", ul), o += ul, *o++ = bar;
        memcpy(o, site, sl), o += sl, *o++ = bar;
        memcpy(o, date, dl), o += dl;
        gcry_md_write(h, msg, (size_t)(o - msg));
    } else {
        gcry_md_write(h, ip, il);
        gcry_md_write(h, &bar, 1);
        if (ua) gcry_md_write(h, ua, ul);
        gcry_md_write(h, &bar, 1);
        gcry_md_write(h, site, sl);
        gcry_md_write(h, &bar, 1);
        gcry_md_write(h, date, dl);
    }
    const unsigned char *d = gcry_md_read(h, GCRY_MD_SHA256);
    if (d == NULL) return -1;
    visitor_hex(d, 8, out);
    return 0;
}

int visitor_random_id(char out[17])
{
    unsigned char b[8];
    if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b)
        return -1;
    visitor_hex(b, sizeof b, out);
    return 0;
}

/* JavaScript String.prototype.trim, ASCII part. */
static int js_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

int visitor_cookie_get(arena_t *a, const char *header, const char *name, const char **value)
{
    *value = NULL;
    if (header == NULL || *header == '\0')
        return 0;
    size_t nl = strlen(name);
    const char *p = header;
    for (;;) {
        const char *end = strchr(p, ';');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        const char *ns = p, *ne = eq ? eq : p + len;
        while (ns < ne && js_space(*ns)) ns++;
        while (ne > ns && js_space(ne[-1])) ne--;
        if ((size_t)(ne - ns) == nl && memcmp(ns, name, nl) == 0) {
            const char *vs = eq ? eq + 1 : p + len, *ve = p + len;
            while (vs < ve && js_space(*vs)) vs++;
            while (ve > vs && js_space(ve[-1])) ve--;
            *value = arena_strndup(a, vs, (size_t)(ve - vs));
            return 1;
        }
        if (!end) break;
        p = end + 1;
    }
    return 0;
}

const char *visitor_cookie_ev(arena_t *a, const char *cookie_header)
{
    const char *v;
    if (!visitor_cookie_get(a, cookie_header, VISITOR_COOKIE, &v))
        return NULL;
    return dec_hex16_valid(v, strlen(v)) ? v : NULL;
}

static const char *trim_dup(arena_t *a, const char *s, size_t n)
{
    while (n && js_space(*s)) { s++; n--; }
    while (n && js_space(s[n - 1])) n--;
    return arena_strndup(a, s, n);
}

const char *visitor_client_ip(arena_t *a, int behind_cloudflare, int trust_proxy,
                              const char *cf_connecting_ip, const char *x_forwarded_for,
                              const char *x_real_ip, const char *remote_addr)
{
    if (behind_cloudflare && cf_connecting_ip && *cf_connecting_ip)
        return trim_dup(a, cf_connecting_ip, strlen(cf_connecting_ip));
    if (trust_proxy) {
        if (x_forwarded_for && *x_forwarded_for) {
            const char *c = strchr(x_forwarded_for, ',');
            size_t n = c ? (size_t)(c - x_forwarded_for) : strlen(x_forwarded_for);
            return trim_dup(a, x_forwarded_for, n);
        }
        if (x_real_ip && *x_real_ip)
            return trim_dup(a, x_real_ip, strlen(x_real_ip));
    }
    if (remote_addr && *remote_addr)
        return remote_addr;
    return "unknown";
}

/* Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's
 * civil_from_days); strftime cost about a thousand instructions and this
 * runs a few times per beacon. */
static void civil_from_days(long long z, long long *y, unsigned *m, unsigned *d)
{
    z += 719468;
    long long era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (long long)yoe + era * 400 + (*m <= 2);
}

void visitor_date(long long ms, char out[11])
{
    long long t = ms / 1000;               /* as gmtime((time_t)(ms / 1000)) */
    long long days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
    long long y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    if (y < 0 || y > 9999) {               /* strftime's form, never reached by a clock */
        time_t t = (time_t)(ms / 1000);
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(out, 11, "%Y-%m-%d", &tm);
        return;
    }
    unsigned yy = (unsigned)y;
    out[0] = (char)('0' + yy / 1000);
    out[1] = (char)('0' + yy / 100 % 10);
    out[2] = (char)('0' + yy / 10 % 10);
    out[3] = (char)('0' + yy % 10);
    out[4] = '-';
    out[5] = (char)('0' + m / 10);
    out[6] = (char)('0' + m % 10);
    out[7] = '-';
    out[8] = (char)('0' + d / 10);
    out[9] = (char)('0' + d % 10);
    out[10] = '\0';
}
