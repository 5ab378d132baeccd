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
    /* streamed: the UA can be long and needs no copy */
    gcry_md_write(h, ip, strlen(ip));
    gcry_md_write(h, &bar, 1);
    if (ua) gcry_md_write(h, ua, strlen(ua));
    gcry_md_write(h, &bar, 1);
    gcry_md_write(h, site, strlen(site));
    gcry_md_write(h, &bar, 1);
    gcry_md_write(h, date, strlen(date));
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

void visitor_date(long long ms, char out[11])
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}
