/* auth.c -- bearer tokens, password login, sessions, CSRF, public mode.
 *
 * Implements spec/40 §2 (and the login page of §6.9). The reference keeps
 * sessions and login-failure counters in process memory; here they live in
 * Redis so every worker on every host agrees (spec/40 §2.4, §2.5, §7):
 *
 *   ech:sess:<token>        hash {u: user, c: created_ms, a: last_ms},
 *                           PEXPIRE idle + 1 s (the strict "greater than"
 *                           expiry rule is checked in the script, so the TTL
 *                           only garbage-collects)
 *   ech:sess:user:<user>    the user's current token (one live session)
 *   ech:loginfail:<iphash>  failure count, PEXPIRE 900000 set on the first
 *                           failure (fixed window); iphash = first 32 hex of
 *                           HMAC-SHA256(secret, ip), never the raw address
 *
 * Every read-modify-write is one Lua script, so concurrent workers cannot
 * interleave. The clock is the worker's (ms since the epoch); hosts are
 * expected to run NTP. Redis down: sessions cannot validate (401/redirect)
 * and the login limiter fails open (credentials are still verified). */
#define _GNU_SOURCE
#include "api/auth.h"
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/time.h>
#include <termios.h>
#include <unistd.h>
#include <gcrypt.h>
#include "core/config.h"
#include "admin/html.h"
#include "admin/shell.h"
#include "core/log.h"
#include "store/kv.h"

#define LOGIN_FAIL_MAX 5
#define LOGIN_WINDOW_MS 900000LL
#define FORM_FIELD_MAX 4096

static const char csrf_msg[] = "CSRF validation failed \xE2\x80\x94 origin mismatch";
static const char ro_msg[] =
    "This is a public read-only instance. Data cannot be modified. To run your own "
    "instance, see https://ea.js.org/installation.html";

/* ------------------------------------------------------------------ */
/* small pure helpers                                                  */

static long long now_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static void gcrypt_init(void)
{
    static int done;
    if (done) return;
    done = 1;
    if (!gcry_control(GCRYCTL_INITIALIZATION_FINISHED_P)) {
        gcry_check_version(NULL);
        gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
        gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
    }
}

int auth_ct_equal(const char *a, size_t alen, const char *b, size_t blen)
{
    if (alen != blen) return 0;
    volatile unsigned char acc = 0;
    for (size_t i = 0; i < alen; i++) acc |= (unsigned char)(a[i] ^ b[i]);
    return acc == 0;
}

static const char b64chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static size_t b64_encode(const unsigned char *in, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)in[i] << 16;
        if (i + 1 < n) v |= (unsigned)in[i + 1] << 8;
        if (i + 2 < n) v |= in[i + 2];
        out[o++] = b64chars[(v >> 18) & 63];
        out[o++] = b64chars[(v >> 12) & 63];
        out[o++] = i + 1 < n ? b64chars[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < n ? b64chars[v & 63] : '=';
    }
    out[o] = '\0';
    return o;
}

static int b64val(int c)
{
    const char *p = c ? strchr(b64chars, c) : NULL;
    return p ? (int)(p - b64chars) : -1;
}

/* Strict standard base64 with padding. Returns decoded length or -1. */
static long b64_decode(const char *s, size_t n, unsigned char *out, size_t outsz)
{
    if (n == 0 || n % 4) return -1;
    size_t o = 0;
    for (size_t i = 0; i < n; i += 4) {
        int v[4], pad = 0;
        for (int k = 0; k < 4; k++) {
            if (s[i + k] == '=' && i + 4 == n && k >= 2) {
                v[k] = 0;
                pad++;
            } else {
                if (pad) return -1;
                v[k] = b64val((unsigned char)s[i + k]);
                if (v[k] < 0) return -1;
            }
        }
        unsigned w = (unsigned)(v[0] << 18 | v[1] << 12 | v[2] << 6 | v[3]);
        unsigned char bytes[3] = {(unsigned char)(w >> 16), (unsigned char)(w >> 8), (unsigned char)w};
        for (int k = 0; k < 3 - pad; k++) {
            if (o >= outsz) return -1;
            out[o++] = bytes[k];
        }
    }
    return (long)o;
}

static int pbkdf2(const char *pw, size_t pwlen, const unsigned char *salt, size_t saltlen,
                  unsigned long iter, unsigned char key[32])
{
    gcrypt_init();
    return gcry_kdf_derive(pw, pwlen, GCRY_KDF_PBKDF2, GCRY_MD_SHA256, salt, saltlen, iter, 32, key)
               ? -1 : 0;
}

int auth_hash_format(const char *pw, size_t pwlen, const unsigned char salt[16],
                     unsigned long iterations, char *out, size_t outsz)
{
    unsigned char key[32];
    char s64[32], k64[48];
    if (iterations < 1 || iterations > AUTH_PBKDF2_MAX_ITERATIONS) return -1;
    if (pbkdf2(pw, pwlen, salt, 16, iterations, key) < 0) return -1;
    b64_encode(salt, 16, s64);
    b64_encode(key, 32, k64);
    int n = snprintf(out, outsz, "pbkdf2$%lu$%s$%s", iterations, s64, k64);
    return n > 0 && (size_t)n < outsz ? 0 : -1;
}

int auth_hash_make(const char *pw, size_t pwlen, char *out, size_t outsz)
{
    unsigned char salt[16];
    if (getrandom(salt, sizeof salt, 0) != (ssize_t)sizeof salt) return -1;
    return auth_hash_format(pw, pwlen, salt, AUTH_PBKDF2_ITERATIONS, out, outsz);
}

int auth_hash_verify(const char *stored, const char *pw, size_t pwlen)
{
    if (!stored || !pw) return 0;
    const char *part[4];
    size_t plen[4];
    int np = 0;
    const char *p = stored;
    for (;;) {
        const char *d = strchr(p, '$');
        if (np == 4) return 0;                      /* more than 4 parts */
        part[np] = p;
        plen[np] = d ? (size_t)(d - p) : strlen(p);
        np++;
        if (!d) break;
        p = d + 1;
    }
    if (np != 4 || plen[0] != 6 || memcmp(part[0], "pbkdf2", 6) != 0) return 0;
    /* iterations: decimal digits only, 1..10,000,000 */
    if (plen[1] == 0 || plen[1] > 8) return 0;
    unsigned long iter = 0;
    for (size_t i = 0; i < plen[1]; i++) {
        if (!isdigit((unsigned char)part[1][i])) return 0;
        iter = iter * 10 + (unsigned long)(part[1][i] - '0');
    }
    if (iter < 1 || iter > AUTH_PBKDF2_MAX_ITERATIONS) return 0;
    unsigned char salt[256], want[64], got[32];
    long sl = b64_decode(part[2], plen[2], salt, sizeof salt);
    long kl = b64_decode(part[3], plen[3], want, sizeof want);
    if (sl < 0 || kl < 0) return 0;
    if (pbkdf2(pw, pwlen, salt, (size_t)sl, iter, got) < 0) return 0;
    if (kl != 32) return 0;
    return auth_ct_equal((const char *)got, 32, (const char *)want, 32);
}

int auth_bearer_ok(const char *authorization, const char *secret)
{
    if (!authorization || !secret || !*secret) return 0;
    const char *s = authorization;
    size_t n = strlen(s);
    while (n && (*s == ' ' || *s == '\t')) { s++; n--; }
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) n--;
    if (n < 7 || memcmp(s, "Bearer ", 7) != 0) return 0;
    return auth_ct_equal(s + 7, n - 7, secret, strlen(secret));
}

int auth_method_mutates(const char *m)
{
    return m && (!strcmp(m, "POST") || !strcmp(m, "PUT") || !strcmp(m, "PATCH") || !strcmp(m, "DELETE"));
}

static int default_port(const char *scheme, size_t n, long port)
{
    static const struct { const char *s; long p; } d[] = {
        {"http", 80}, {"https", 443}, {"ws", 80}, {"wss", 443}, {"ftp", 21},
    };
    for (size_t i = 0; i < sizeof d / sizeof d[0]; i++)
        if (strlen(d[i].s) == n && strncasecmp(scheme, d[i].s, n) == 0) return d[i].p == port;
    return 0;
}

int auth_url_host(const char *url, char *out, size_t outsz)
{
    if (!url || outsz == 0) return -1;
    const char *s = url;
    while (*s == ' ' || (unsigned char)*s < 0x20) { if (!*s) break; s++; }
    if (!isalpha((unsigned char)*s)) return -1;
    const char *scheme = s;
    while (isalnum((unsigned char)*s) || *s == '+' || *s == '-' || *s == '.') s++;
    if (*s != ':') return -1;
    size_t slen = (size_t)(s - scheme);
    s++;
    if (s[0] != '/' || s[1] != '/') return -1;
    s += 2;
    const char *auth_end = s;
    while (*auth_end && *auth_end != '/' && *auth_end != '?' && *auth_end != '#' && *auth_end != '\\')
        auth_end++;
    /* drop userinfo: the host starts after the last '@' of the authority */
    const char *h = s;
    for (const char *q = s; q < auth_end; q++)
        if (*q == '@') h = q + 1;
    const char *hend, *port = NULL;
    if (*h == '[') {
        hend = memchr(h, ']', (size_t)(auth_end - h));
        if (!hend) return -1;
        hend++;
        if (hend < auth_end) {
            if (*hend != ':') return -1;
            port = hend + 1;
        }
    } else {
        hend = h;
        while (hend < auth_end && *hend != ':') hend++;
        if (hend < auth_end) port = hend + 1;
    }
    if (hend == h) return -1;
    size_t o = 0;
    for (const char *q = h; q < hend; q++) {
        unsigned char c = (unsigned char)*q;
        if (c < 0x21 || c >= 0x7f || c == '%' || c == '<' || c == '>' || c == '^' || c == '|')
            return -1;   /* no IDNA here: non-ASCII hosts never match a raw Host */
        if (o + 1 >= outsz) return -1;
        out[o++] = (char)tolower(c);
    }
    if (port && port < auth_end) {
        long pv = 0;
        for (const char *q = port; q < auth_end; q++) {
            if (!isdigit((unsigned char)*q)) return -1;
            pv = pv * 10 + (*q - '0');
            if (pv > 65535) return -1;
        }
        if (!default_port(scheme, slen, pv)) {
            int n = snprintf(out + o, outsz - o, ":%ld", pv);
            if (n < 0 || (size_t)n >= outsz - o) return -1;
            o += (size_t)n;
        }
    }
    out[o] = '\0';
    return 0;
}

int auth_csrf_pass(const char *request_host, const char *origin, const char *referer)
{
    char host[512];
    const char *src = origin && *origin ? origin : (referer && *referer ? referer : NULL);
    if (!src || !request_host) return 0;
    if (auth_url_host(src, host, sizeof host) < 0) return 0;
    return strcmp(host, request_host) == 0;
}

int auth_session_expired(long long created_ms, long long last_ms, long long now_ms_,
                         long long ttl_ms, long long idle_ms)
{
    return now_ms_ - created_ms > ttl_ms || now_ms_ - last_ms > idle_ms;
}

int auth_uuid4(char out[AUTH_TOKEN_LEN + 1])
{
    unsigned char b[16];
    if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b) return -1;
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, AUTH_TOKEN_LEN + 1,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
             b[12], b[13], b[14], b[15]);
    return 0;
}

static const char *trimmed(req_t *req, const char *v)
{
    if (!v) return NULL;
    while (*v == ' ' || *v == '\t') v++;
    size_t n = strlen(v);
    while (n && (v[n - 1] == ' ' || v[n - 1] == '\t')) n--;
    return n ? arena_strndup(req->arena, v, n) : NULL;
}

const char *auth_client_ip(req_t *req)
{
    const char *v;
    if (cfg->behind_cloudflare && (v = trimmed(req, req_header(req, "CF-Connecting-IP")))) return v;
    if (cfg->trust_proxy) {
        const char *xff = req_header(req, "X-Forwarded-For");
        if (xff && *xff) {
            const char *c = strchr(xff, ',');
            char *first = arena_strndup(req->arena, xff, c ? (size_t)(c - xff) : strlen(xff));
            v = trimmed(req, first);
            return v ? v : "";
        }
        if ((v = trimmed(req, req_header(req, "X-Real-IP")))) return v;
    }
    v = req_env(req, "REMOTE_ADDR");
    return v && *v ? v : "unknown";
}

/* Host as the client sent it (spec/40 §2.10 Mapping). */
static const char *request_host(req_t *req)
{
    const char *h = req_header(req, "Host");
    if (h && *h) return h;
    const char *name = req_env(req, "SERVER_NAME"), *port = req_env(req, "SERVER_PORT");
    const char *https = req_env(req, "HTTPS");
    if (!name) return "";
    int tls = https && !strcasecmp(https, "on");
    if (port && *port && strcmp(port, tls ? "443" : "80") != 0)
        return arena_printf(req->arena, "%s:%s", name, port);
    return name;
}

/* ------------------------------------------------------------------ */
/* sessions in Redis                                                   */

static const char lua_create[] =
    "local old = redis.call('GET', KEYS[2]) "
    "if old then redis.call('DEL', ARGV[4] .. old) end "
    "redis.call('DEL', KEYS[1]) "
    "redis.call('HSET', KEYS[1], 'u', ARGV[1], 'c', ARGV[2], 'a', ARGV[2]) "
    "redis.call('PEXPIRE', KEYS[1], ARGV[3]) "
    "redis.call('SET', KEYS[2], ARGV[5], 'PX', ARGV[6]) "
    "return 1";

/* Returns the user name, or nil (unknown / expired: deleted). */
static const char lua_check[] =
    "local v = redis.call('HMGET', KEYS[1], 'u', 'c', 'a') "
    "if not v[1] or not v[2] or not v[3] then return false end "
    "local now = tonumber(ARGV[1]) "
    "if now - tonumber(v[2]) > tonumber(ARGV[2]) or now - tonumber(v[3]) > tonumber(ARGV[3]) then "
    "  redis.call('DEL', KEYS[1]) return false end "
    "redis.call('HSET', KEYS[1], 'a', ARGV[1]) "
    "redis.call('PEXPIRE', KEYS[1], ARGV[4]) "
    "return v[1]";

static const char lua_fail[] =
    "local n = redis.call('INCR', KEYS[1]) "
    "if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end "
    "return n";

static long long ttl_ms(void) { return (long long)cfg->session_ttl_s * 1000; }
static long long idle_ms(void) { return (long long)cfg->session_idle_s * 1000; }

static int token_syntax_ok(const char *t)
{
    if (!t || strlen(t) != AUTH_TOKEN_LEN) return 0;
    for (size_t i = 0; i < AUTH_TOKEN_LEN; i++) {
        char c = t[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-') return 0;
        } else if (!isxdigit((unsigned char)c)) {
            return 0;
        }
    }
    return 1;
}

int auth_session_create(const char *user, char token[AUTH_TOKEN_LEN + 1])
{
    if (auth_uuid4(token) < 0) return -1;
    char k1[128], k2[512], pre[64], now[32], idle[32], ttl[32];
    snprintf(k1, sizeof k1, "%ssess:%s", kv_prefix, token);
    if ((size_t)snprintf(k2, sizeof k2, "%ssess:user:%s", kv_prefix, user) >= sizeof k2) return -1;
    snprintf(pre, sizeof pre, "%ssess:", kv_prefix);
    snprintf(now, sizeof now, "%lld", now_ms());
    snprintf(idle, sizeof idle, "%lld", idle_ms() + 1000);
    snprintf(ttl, sizeof ttl, "%lld", ttl_ms() + 1000);
    kv_reply_t *r = kv_cmd("EVAL %s 2 %s %s %s %s %s %s %s %s", lua_create, k1, k2, user, now,
                           idle, pre, token, ttl);
    int ok = r && kv_type(r) == KV_INT;
    if (r && !ok) log_err("auth", "session create: %s", kv_str(r) ? kv_str(r) : "?");
    kv_free(r);
    return ok ? 0 : -1;
}

int auth_session_check(const char *token, char *user_out, size_t user_sz)
{
    if (!token_syntax_ok(token)) return 0;
    char k[128], now[32], ttl[32], idle[32], pexp[32];
    snprintf(k, sizeof k, "%ssess:%s", kv_prefix, token);
    snprintf(now, sizeof now, "%lld", now_ms());
    snprintf(ttl, sizeof ttl, "%lld", ttl_ms());
    snprintf(idle, sizeof idle, "%lld", idle_ms());
    snprintf(pexp, sizeof pexp, "%lld", idle_ms() + 1000);
    kv_reply_t *r = kv_cmd("EVAL %s 1 %s %s %s %s %s", lua_check, k, now, ttl, idle, pexp);
    if (!r) return -1;
    int rc = 0;
    if (kv_type(r) == KV_STR) {
        if (user_out && user_sz) snprintf(user_out, user_sz, "%s", kv_str(r));
        rc = 1;
    } else if (kv_type(r) == KV_ERR) {
        log_err("auth", "session check: %s", kv_str(r) ? kv_str(r) : "?");
        rc = -1;
    }
    kv_free(r);
    return rc;
}

void auth_session_delete(const char *token)
{
    if (!token_syntax_ok(token)) return;
    char k[128];
    snprintf(k, sizeof k, "%ssess:%s", kv_prefix, token);
    kv_free(kv_cmd("DEL %s", k));
}

/* ------------------------------------------------------------------ */
/* login rate limit                                                    */

static void ip_key(const char *ip, char *out, size_t outsz)
{
    gcrypt_init();
    unsigned char mac[32];
    const char *key = cfg->secret && *cfg->secret ? cfg->secret : "echelon-login";
    gcry_md_hd_t h;
    memset(mac, 0, sizeof mac);
    if (gcry_md_open(&h, GCRY_MD_SHA256, GCRY_MD_FLAG_HMAC) == 0) {
        gcry_md_setkey(h, key, strlen(key));
        gcry_md_write(h, ip, strlen(ip));
        memcpy(mac, gcry_md_read(h, GCRY_MD_SHA256), 32);
        gcry_md_close(h);
    }
    size_t o = (size_t)snprintf(out, outsz, "%sloginfail:", kv_prefix);
    for (int i = 0; i < 16 && o + 3 <= outsz; i++) o += (size_t)snprintf(out + o, outsz - o, "%02x", mac[i]);
}

static int login_limited(const char *ip)
{
    char k[128];
    ip_key(ip, k, sizeof k);
    long long n = kv_int_cmd("GET %s", k);
    return n >= LOGIN_FAIL_MAX;
}

static void login_failed(const char *ip)
{
    char k[128], win[32];
    ip_key(ip, k, sizeof k);
    snprintf(win, sizeof win, "%lld", LOGIN_WINDOW_MS);
    kv_free(kv_cmd("EVAL %s 1 %s %s", lua_fail, k, win));
}

/* ------------------------------------------------------------------ */
/* the gates                                                           */

static auth_info_t *set_info(req_t *req, auth_via_t via, const char *user, const char *token)
{
    auth_info_t *a = arena_calloc(req->arena, sizeof *a);
    a->via = via;
    a->username = user ? arena_strdup(req->arena, user) : NULL;
    a->token = token ? arena_strdup(req->arena, token) : NULL;
    req->user = a;
    return a;
}

const auth_info_t *auth_info(const req_t *req) { return req->user; }

/* A hash string verify() could accept: 4 fields, "pbkdf2", sane iterations,
 * base64 salt, a 32-byte key. Checked once at start, never per request. */
static int hash_usable(const char *h)
{
    unsigned long it;
    char salt[128], key[128];
    if (!h || sscanf(h, "pbkdf2$%lu$%127[^$]$%127s", &it, salt, key) != 3) return 0;
    unsigned char tmp[128];
    return it >= 1 && it <= AUTH_PBKDF2_MAX_ITERATIONS && b64_decode(salt, strlen(salt), tmp, sizeof tmp) > 0 &&
           b64_decode(key, strlen(key), tmp, sizeof tmp) == 32;
}

void auth_startup_check(void)
{
    int has_user = cfg->username && *cfg->username;
    if (cfg->public_mode) log_info("auth", "public mode: read-only, no credentials needed");
    /* the "no authentication configured" warning of §2.1 is config_log()'s */
    if (has_user && !hash_usable(cfg->password_hash))
        log_warn("auth", "ECHELON_USERNAME is set but ECHELON_PASSWORD_HASH is missing or malformed: every login "
                         "will fail (make one with echelon-ctl hash-password)");
}

static int csrf_ok(req_t *req)
{
    if (!auth_method_mutates(req->method)) return 1;
    return auth_csrf_pass(request_host(req), req_header(req, "Origin"), req_header(req, "Referer"));
}

/* 1 = a valid session; user copied. */
static int session_from_cookie(req_t *req, char *user, size_t usz, const char **token)
{
    if (!cfg->username || !*cfg->username) return 0;
    const char *t = req_cookie(req, "echelon_session");
    if (!t || !*t) return 0;
    *token = t;
    return auth_session_check(t, user, usz) == 1;
}

int auth_api(req_t *req, resp_t *resp)
{
    if (strcmp(req->path, "/api/health") == 0) {
        set_info(req, AUTH_VIA_OPEN, NULL, NULL);
        return 0;
    }
    if (cfg->public_mode) {
        const char *m = req->method;
        if (strcmp(m, "GET") && strcmp(m, "HEAD") && strcmp(m, "OPTIONS")) {
            resp_error(resp, 403, "read_only", ro_msg);
            return 1;
        }
        set_info(req, AUTH_VIA_PUBLIC, NULL, NULL);
        return 0;
    }
    if (auth_bearer_ok(req_header(req, "Authorization"), cfg->secret)) {
        set_info(req, AUTH_VIA_BEARER, NULL, NULL);
        return 0;
    }
    char user[256];
    const char *token = NULL;
    if (session_from_cookie(req, user, sizeof user, &token)) {
        if (!csrf_ok(req)) {
            resp_error(resp, 403, csrf_msg, NULL);
            return 1;
        }
        set_info(req, AUTH_VIA_SESSION, user, token);
        return 0;
    }
    if ((!cfg->secret || !*cfg->secret) && (!cfg->username || !*cfg->username)) {
        resp_error(resp, 401, "unauthorized", "Auth must be configured");
        return 1;
    }
    resp_error(resp, 401, "unauthorized", NULL);
    return 1;
}

int auth_admin(req_t *req, resp_t *resp)
{
    if (cfg->public_mode) {
        set_info(req, AUTH_VIA_PUBLIC, NULL, NULL);
        return 0;
    }
    if (strcmp(req->path, "/admin/login") == 0) {
        set_info(req, AUTH_VIA_OPEN, NULL, NULL);
        return 0;
    }
    if ((!cfg->secret || !*cfg->secret) && (!cfg->username || !*cfg->username)) {
        resp_redirect(resp, 303, "/admin/login?error=auth_not_configured");
        return 1;
    }
    if (auth_bearer_ok(req_header(req, "Authorization"), cfg->secret)) {
        set_info(req, AUTH_VIA_BEARER, NULL, NULL);
        return 0;
    }
    char user[256];
    const char *token = NULL;
    if (session_from_cookie(req, user, sizeof user, &token)) {
        if (!csrf_ok(req)) {
            resp_error(resp, 403, csrf_msg, NULL);
            return 1;
        }
        set_info(req, AUTH_VIA_SESSION, user, token);
        return 0;
    }
    resp_redirect(resp, 303, "/admin/login");
    return 1;
}

/* ------------------------------------------------------------------ */
/* login page                                                          */

enum login_msg { MSG_NONE, MSG_RATE, MSG_DENIED, MSG_NOT_CONFIGURED };

/* spec/40 §6.9. Through the admin HTML writer like every other page, so the
 * shell (head, footer, stylesheet) and its escaping are shared; the page has
 * no data of its own beyond the version, which html_login_end escapes. */
static void login_page(req_t *req, resp_t *resp, enum login_msg msg)
{
    (void)req;
    resp_set(resp, 200, "text/html; charset=utf-8", NULL, 0);
    resp_header(resp, "Cache-Control", "no-store");
    html_t h;
    html_init(&h, &resp->body);
    html_login_begin(&h, "Login \xE2\x80\x94 Echelon Analytics");
    html_raw(&h,
        "<img src=\"/img/mmm.webp\" width=\"200\" height=\"200\" "
        "alt=\"Echelon Analytics mascot, a small robot keeping watch\">\n"
        "<h1><a href=\"https://ea.js.org/\" target=\"_blank\" rel=\"noopener\">Echelon Analytics</a></h1>\n");
    switch (msg) {
    case MSG_RATE:
        html_raw(&h, "<div class=\"alert danger\" role=\"alert\">RATE LIMITED \xE2\x80\x94 Too many failed "
                     "attempts. Try again later.</div>\n");
        break;
    case MSG_DENIED:
        html_raw(&h, "<div class=\"alert danger\" role=\"alert\">ACCESS DENIED \xE2\x80\x94 Invalid "
                     "credentials.</div>\n");
        break;
    case MSG_NOT_CONFIGURED:
        html_raw(&h, "<div class=\"alert danger\" role=\"alert\">Authentication is not configured. "
                     "Set ECHELON_USERNAME and ECHELON_PASSWORD_HASH (or ECHELON_SECRET for API "
                     "access).</div>\n");
        break;
    case MSG_NONE: break;
    }
    html_raw(&h,
        "<form method=\"POST\">\n"
        "<label for=\"username\">username</label>\n"
        "<input type=\"text\" id=\"username\" name=\"username\" autocomplete=\"username\" required>\n"
        "<label for=\"password\">password</label>\n"
        "<input type=\"password\" id=\"password\" name=\"password\" autocomplete=\"current-password\" required>\n"
        "<button type=\"submit\" class=\"btn\">&gt; authenticate</button>\n"
        "</form>\n");
    html_login_end(&h);
}

/* §6.2 runs for every /admin request that passed authentication, and the
 * login page is one (§2.8 step 2): a ?site_id= or ?days= on it sticks, on
 * every outcome (page, 303, 500) alike. */
static void login_selection(req_t *req, resp_t *resp)
{
    const char *site;
    long days;
    admin_selection(req, resp, &site, &days);
}

void auth_login_get(req_t *req, resp_t *resp)
{
    login_selection(req, resp);
    const char *e = req_query(req, "error");
    login_page(req, resp, e && !strcmp(e, "auth_not_configured") ? MSG_NOT_CONFIGURED : MSG_NONE);
}

/* Pull one field from a multipart/form-data body (bounded, no allocation
 * beyond the arena). Returns the value or NULL. */
static const char *multipart_field(req_t *req, const char *ctype, const char *name)
{
    const char *b = strcasestr(ctype, "boundary=");
    if (!b || !req->body) return NULL;
    b += 9;
    size_t blen;
    if (*b == '"') {
        b++;
        const char *e = strchr(b, '"');
        if (!e) return NULL;
        blen = (size_t)(e - b);
    } else {
        blen = strcspn(b, "; \t");
    }
    if (blen == 0 || blen > 200) return NULL;
    char delim[210];
    snprintf(delim, sizeof delim, "--%.*s", (int)blen, b);
    size_t dlen = strlen(delim);
    const char *p = req->body, *end = req->body + req->body_len;
    char want[64];
    snprintf(want, sizeof want, "name=\"%s\"", name);
    for (;;) {
        const char *part = memmem(p, (size_t)(end - p), delim, dlen);
        if (!part) return NULL;
        part += dlen;
        if (end - part >= 2 && part[0] == '-' && part[1] == '-') return NULL;
        const char *hdr_end = memmem(part, (size_t)(end - part), "\r\n\r\n", 4);
        if (!hdr_end) return NULL;
        const char *data = hdr_end + 4;
        const char *next = memmem(data, (size_t)(end - data), delim, dlen);
        if (!next) return NULL;
        size_t hl = (size_t)(hdr_end - part);
        char *hdrs = arena_strndup(req->arena, part, hl);
        if (strstr(hdrs, want)) {
            const char *de = next;
            if (de - data >= 2 && de[-2] == '\r' && de[-1] == '\n') de -= 2;
            return arena_strndup(req->arena, data, (size_t)(de - data));
        }
        p = next;
    }
}

static const char *form_field(req_t *req, const char *name)
{
    const char *ct = req_env(req, "CONTENT_TYPE");
    if (!req->body) return "";
    if (ct && strncasecmp(ct, "multipart/form-data", 19) == 0) {
        const char *v = multipart_field(req, ct, name);
        return v ? v : "";
    }
    http_pair_t pairs[16];
    size_t n = http_parse_query(req->arena, req->body, req->body_len, pairs, 16);
    for (size_t i = 0; i < n; i++)
        if (!strcmp(pairs[i].name, name)) return pairs[i].value;
    return "";
}

void auth_login_post(req_t *req, resp_t *resp)
{
    login_selection(req, resp);
    const char *ip = auth_client_ip(req);
    if (login_limited(ip)) {
        login_page(req, resp, MSG_RATE);
        return;
    }
    const char *user = form_field(req, "username");
    const char *pw = form_field(req, "password");
    size_t ulen = strnlen(user, FORM_FIELD_MAX), plen = strnlen(pw, FORM_FIELD_MAX);
    const char *cu = cfg->username ? cfg->username : "";
    int user_ok = *cu && auth_ct_equal(user, ulen, cu, strlen(cu));
    /* always verify, even for a wrong user name: equal timing */
    int pw_ok = auth_hash_verify(cfg->password_hash, pw, plen);
    if (user_ok && pw_ok) {
        char token[AUTH_TOKEN_LEN + 1];
        if (auth_session_create(cu, token) < 0) {
            resp_text(resp, 500, "Internal server error");
            return;
        }
        char cookie[160];
        snprintf(cookie, sizeof cookie,
                 "echelon_session=%s; Path=/; HttpOnly; SameSite=Strict; Secure; Max-Age=86400", token);
        resp_redirect(resp, 303, "/admin");
        resp_header(resp, "Set-Cookie", cookie);
        log_info("auth", "login ok");
        return;
    }
    login_failed(ip);
    log_info("auth", "login failed");
    login_page(req, resp, MSG_DENIED);
}

void auth_logout(req_t *req, resp_t *resp)
{
    const char *t = req_cookie(req, "echelon_session");
    if (t && *t) auth_session_delete(t);
    resp_redirect(resp, 303, "/admin/login");
    resp_header(resp, "Set-Cookie", "echelon_session=; Path=/; HttpOnly; SameSite=Strict; Secure; Max-Age=0");
}

/* ------------------------------------------------------------------ */
/* echelon-ctl hash-password                                           */

int auth_hash_password_cli(void)
{
    char line[1024];
    struct termios old, quiet;
    int tty = isatty(STDIN_FILENO);
    if (tty) {
        fputs("Password: ", stderr);
        fflush(stderr);
        if (tcgetattr(STDIN_FILENO, &old) == 0) {
            quiet = old;
            quiet.c_lflag &= (tcflag_t)~ECHO;
            tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
        } else {
            tty = 0;
        }
    }
    char *got = fgets(line, sizeof line, stdin);
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSANOW, &old);
        fputc('\n', stderr);
    }
    if (!got) {
        fputs("hash-password: no password on stdin\n", stderr);
        return 1;
    }
    size_t n = strlen(line);
    if (n && line[n - 1] == '\n') line[--n] = '\0';
    if (n && line[n - 1] == '\r') line[--n] = '\0';
    if (n == 0) {
        fputs("hash-password: empty password\n", stderr);
        return 1;
    }
    char out[AUTH_HASH_MAX];
    int rc = auth_hash_make(line, n, out, sizeof out);
    memset(line, 0, sizeof line);
    if (rc < 0) {
        fputs("hash-password: hashing failed\n", stderr);
        return 1;
    }
    puts(out);
    return 0;
}

int auth_ctl_hash_password(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return auth_hash_password_cli();
}
