/* pow.c -- PoW challenges, module generations, token verification, penalty.
 *
 * Implements spec/20 §4 with README decisions 2 and 3: the HMAC key is the
 * raw secret (§4.1, so the §3.6 end-to-end vector holds); challenges are
 * HMAC(secret, minute) (§4.2); the module of each 6-hour period P is derived
 * from HMAC(secret, "echelon-pow-wasm:" P ":0"|":1") (§4.3 mapping), so all
 * workers on all hosts agree with no shared state; verification tries the
 * current minute and W past ones against generations P and P - 1 (§4.5).
 *
 * Worker-lifetime state, all pure caches of deterministic functions (so a
 * lost cache costs only CPU), reset when the secret changes:
 *
 *   key      one HMAC-SHA-256 handle keyed with the secret (gcry_md_reset per
 *            message keeps the key schedule)
 *   slots[2] period P's params, module and Base64, indexed by P & 1, so P and
 *            P - 1 are always both resident
 *   chal[]   challenge hex by minute, indexed by minute % CHAL_SLOTS
 *   cache    verified tokens (§4.6): CACHE_WAYS-way sets of 16-byte keys
 *            (keyed SipHash-128 of token:sid:site), expiry and insertion
 *            order; a full set evicts its oldest-inserted entry, the per-set
 *            form of the reference's "delete the oldest" rule.
 *
 * Never: network I/O, logging of secrets or tokens, per-request allocation. */
#include <stdio.h>
#include <string.h>
#include <gcrypt.h>
#include <sys/random.h>
#include "core/config.h"
#include "core/log.h"
#include "defense/pow.h"

#define CHAL_SLOTS   256
#define CACHE_WAYS   8
#define CACHE_SETS   (POW_CACHE_SLOTS / CACHE_WAYS)
/* Buckets older than P - 1's start can only match a module the tracker never
 * pairs with them, so a window beyond a day buys nothing but cost per
 * invalid token (one HMAC and two hashes per minute). */
#define WINDOW_CAP   1440

typedef struct slot {
    int valid;
    int64_t period;
    pow_params_t params;
    size_t module_len, b64_len;
    uint8_t module[POW_MODULE_MAX];
    char b64[POW_MODULE_B64_MAX + 1];
} slot_t;

typedef struct chal {
    int valid;
    int64_t minute;
    char hex[POW_CHALLENGE_LEN + 1];
} chal_t;

typedef struct centry {
    uint8_t key[16];
    int64_t expires_ms;     /* 0 = empty */
    uint64_t seq;           /* insertion order, for eviction */
} centry_t;

static struct {
    char *secret;           /* copy of the key the handle holds */
    size_t secret_len;
    gcry_md_hd_t hmac;
    gcry_md_hd_t sha;
    slot_t slots[2];
    chal_t chal[CHAL_SLOTS];
    centry_t cache[CACHE_SETS][CACHE_WAYS];
    uint64_t seq;
} st;

/* --------------------------------------------------------------- crypto -- */

static void crypto_init(void)
{
    if (!gcry_control(GCRYCTL_INITIALIZATION_FINISHED_P)) {
        gcry_check_version(NULL);
        gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
        gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
    }
}

static void clear_derived(void)
{
    memset(st.slots, 0, sizeof st.slots);
    memset(st.chal, 0, sizeof st.chal);
    memset(st.cache, 0, sizeof st.cache);
}

/* Make the HMAC handle hold `secret`. HMAC zero-pads short keys to the block
 * size, so the empty key equals the one-byte key "\0"; that form is used
 * because a zero-length setkey is not accepted everywhere. */
static int use_key(const char *secret, size_t len)
{
    if (!secret)
        secret = "", len = 0;
    if (st.hmac && st.secret && st.secret_len == len && memcmp(st.secret, secret, len) == 0)
        return 0;
    crypto_init();
    if (!st.hmac && gcry_md_open(&st.hmac, GCRY_MD_SHA256, GCRY_MD_FLAG_HMAC) != 0) {
        st.hmac = NULL;
        return -1;
    }
    static const char zero = 0;
    if (gcry_md_setkey(st.hmac, len ? secret : &zero, len ? len : 1) != 0)
        goto fail;
    char *copy = gcry_malloc(len + 1);
    if (!copy)
        goto fail;
    memcpy(copy, secret, len);
    copy[len] = '\0';
    if (st.secret) {
        memset(st.secret, 0, st.secret_len);
        gcry_free(st.secret);
    }
    st.secret = copy;
    st.secret_len = len;
    clear_derived();
    return 0;
fail:
    /* Keep no handle whose key is unknown. */
    gcry_md_close(st.hmac);
    st.hmac = NULL;
    if (st.secret) {
        memset(st.secret, 0, st.secret_len);
        gcry_free(st.secret);
        st.secret = NULL;
    }
    clear_derived();
    return -1;
}

static void hmac(const void *msg, size_t n, uint8_t out[32])
{
    gcry_md_reset(st.hmac);
    gcry_md_write(st.hmac, msg, n);
    memcpy(out, gcry_md_read(st.hmac, GCRY_MD_SHA256), 32);
}

static void hexify(const uint8_t *in, size_t n, char *out)
{
    static const char hx[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hx[in[i] >> 4];
        out[2 * i + 1] = hx[in[i] & 15];
    }
    out[2 * n] = '\0';
}

/* ------------------------------------------------------- time, periods -- */

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && a < 0) ? q - 1 : q;
}

int64_t pow_minute(int64_t now_ms)
{
    return floor_div(now_ms, POW_MINUTE_MS);
}

int64_t pow_period(int64_t now_ms)
{
    return floor_div(now_ms, POW_PERIOD_MS);
}

static void challenge_raw(int64_t minute, char out[POW_CHALLENGE_LEN + 1])
{
    char msg[24];
    uint8_t mac[32];
    chal_t *c = &st.chal[(uint64_t)minute % CHAL_SLOTS];

    if (c->valid && c->minute == minute) {
        memcpy(out, c->hex, sizeof c->hex);
        return;
    }
    int n = snprintf(msg, sizeof msg, "%lld", (long long)minute);
    hmac(msg, (size_t)n, mac);
    hexify(mac, POW_CHALLENGE_LEN / 2, out);
    c->valid = 1;
    c->minute = minute;
    memcpy(c->hex, out, sizeof c->hex);
}

int pow_challenge(const char *secret, size_t secret_len, int64_t minute,
                  char out[POW_CHALLENGE_LEN + 1])
{
    if (use_key(secret, secret_len) != 0)
        return -1;
    challenge_raw(minute, out);
    return 0;
}

static void seed_raw(int64_t period, uint8_t seed[POW_SEED_LEN])
{
    char msg[64];
    for (int half = 0; half < 2; half++) {
        int n = snprintf(msg, sizeof msg, "echelon-pow-wasm:%lld:%d", (long long)period, half);
        hmac(msg, (size_t)n, seed + 32 * half);
    }
}

int pow_period_seed(const char *secret, size_t secret_len, int64_t period,
                    uint8_t seed[POW_SEED_LEN])
{
    if (use_key(secret, secret_len) != 0)
        return -1;
    seed_raw(period, seed);
    return 0;
}

/* The generation of `period`, built on first use in this worker. */
static const slot_t *slot_get(int64_t period)
{
    slot_t *s = &st.slots[(uint64_t)period & 1];
    uint8_t seed[POW_SEED_LEN];

    if (s->valid && s->period == period)
        return s;
    s->valid = 0;
    seed_raw(period, seed);
    pow_params_from_seed(seed, &s->params);
    memset(seed, 0, sizeof seed);
    if (pow_emit(&s->params, s->module, sizeof s->module, &s->module_len) != 0 ||
        pow_base64(s->module, s->module_len, s->b64, sizeof s->b64, &s->b64_len) != 0)
        return NULL;
    s->period = period;
    s->valid = 1;
    return s;
}

/* ------------------------------------------------------------- /ea.js -- */

int pow_script_for(const char *secret, size_t secret_len, long window_min,
                   int64_t now_ms, pow_script_t *out)
{
    if (use_key(secret, secret_len) != 0)
        return -1;
    int64_t p = pow_period(now_ms);
    const slot_t *s = slot_get(p);
    if (!s)
        return -1;
    out->minute = pow_minute(now_ms);
    challenge_raw(out->minute, out->challenge);
    out->generation = p;
    snprintf(out->generation_id, sizeof out->generation_id, "%lld", (long long)p);
    if (window_min > WINDOW_CAP)
        window_min = WINDOW_CAP;
    out->challenge_expires_ms = (out->minute + window_min + 1) * POW_MINUTE_MS;
    out->period_ends_ms = (p + 1) * POW_PERIOD_MS;
    out->module_len = s->module_len;
    memcpy(out->module, s->module, s->module_len);
    out->module_b64_len = s->b64_len;
    memcpy(out->module_b64, s->b64, s->b64_len + 1);
    return 0;
}

int pow_script(int64_t now_ms, pow_script_t *out)
{
    if (!cfg || !cfg->secret)
        return -1;
    return pow_script_for(cfg->secret, strlen(cfg->secret), cfg->challenge_window_minutes,
                          now_ms, out);
}

/* ------------------------------------------------------ verified cache -- */

static int cache_key(const char *tok, size_t tok_len, const char *sid, size_t sid_len,
                     const char *site, size_t site_len, uint8_t out[32])
{
    crypto_init();
    if (!st.sha && gcry_md_open(&st.sha, GCRY_MD_SHA256, 0) != 0) {
        st.sha = NULL;
        return -1;
    }
    gcry_md_reset(st.sha);
    gcry_md_write(st.sha, tok, tok_len);
    gcry_md_write(st.sha, ":", 1);
    gcry_md_write(st.sha, sid, sid_len);
    gcry_md_write(st.sha, ":", 1);
    gcry_md_write(st.sha, site, site_len);
    memcpy(out, gcry_md_read(st.sha, GCRY_MD_SHA256), 32);
    return 0;
}

int pow_cache_key_hex(const char *tok, size_t tok_len, const char *sid, size_t sid_len,
                      const char *site, size_t site_len, char out[65])
{
    uint8_t k[32];
    if (cache_key(tok, tok_len, sid, sid_len, site, site_len, k) != 0)
        return -1;
    hexify(k, 32, out);
    return 0;
}

/* The per-worker cache is keyed by SipHash-2-4 (128-bit output) of
 * token ":" sid ":" site under a random per-process key: a PRF, so nobody
 * can aim a token at another's entry, at a tenth of a SHA-256 (this runs for
 * every beacon). pow_cache_key_hex() above stays SHA-256: it names shared
 * Redis keys (§4.6 mapping), which every worker must derive alike. */
static struct {
    uint64_t k0, k1;
    int state;              /* 0 unseeded, 1 ready, -1 getrandom failed */
} sip;

#define ROTL64(x, b) (((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND do { \
        v0 += v1; v1 = ROTL64(v1, 13); v1 ^= v0; v0 = ROTL64(v0, 32); \
        v2 += v3; v3 = ROTL64(v3, 16); v3 ^= v2; \
        v0 += v3; v3 = ROTL64(v3, 21); v3 ^= v0; \
        v2 += v1; v1 = ROTL64(v1, 17); v1 ^= v2; v2 = ROTL64(v2, 32); \
    } while (0)

/* SipHash-2-4 over the concatenation of three parts with ':' between. */
static void sip128_triple(const char *a, size_t an, const char *b, size_t bn,
                          const char *c, size_t cn, uint8_t out[16])
{
    uint64_t v0 = 0x736f6d6570736575ULL ^ sip.k0, v1 = 0x646f72616e646f6dULL ^ sip.k1 ^ 0xee,
             v2 = 0x6c7967656e657261ULL ^ sip.k0, v3 = 0x7465646279746573ULL ^ sip.k1;
    const char *part[5] = { a, ":", b, ":", c };
    size_t plen[5] = { an, 1, bn, 1, cn }, total = an + bn + cn + 2;
    uint64_t m = 0;
    unsigned fill = 0;
    for (int i = 0; i < 5; i++) {
        const unsigned char *p = (const unsigned char *)part[i];
        size_t n = plen[i];
        while (n) {
            if (fill == 0 && n >= 8) {
                uint64_t w = (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 |
                             (uint64_t)p[3] << 24 | (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 |
                             (uint64_t)p[6] << 48 | (uint64_t)p[7] << 56;
                v3 ^= w; SIPROUND; SIPROUND; v0 ^= w;
                p += 8;
                n -= 8;
                continue;
            }
            m |= (uint64_t)*p++ << (8 * fill);
            n--;
            if (++fill == 8) {
                v3 ^= m; SIPROUND; SIPROUND; v0 ^= m;
                m = 0;
                fill = 0;
            }
        }
    }
    m |= (uint64_t)(total & 0xff) << 56;
    v3 ^= m; SIPROUND; SIPROUND; v0 ^= m;
    v2 ^= 0xee;
    SIPROUND; SIPROUND; SIPROUND; SIPROUND;
    uint64_t h0 = v0 ^ v1 ^ v2 ^ v3;
    v1 ^= 0xdd;
    SIPROUND; SIPROUND; SIPROUND; SIPROUND;
    uint64_t h1 = v0 ^ v1 ^ v2 ^ v3;
    memcpy(out, &h0, 8);
    memcpy(out + 8, &h1, 8);
}

static int token_key(const char *tok, size_t tok_len, const char *sid, size_t sid_len,
                     const char *site, size_t site_len, uint8_t out[32])
{
    if (sip.state == 0) {
        uint64_t k[2];
        sip.state = getrandom(k, sizeof k, 0) == (ssize_t)sizeof k ? 1 : -1;
        sip.k0 = k[0];
        sip.k1 = k[1];
    }
    if (sip.state < 0)
        return cache_key(tok, tok_len, sid, sid_len, site, site_len, out);
    sip128_triple(tok, tok_len, sid, sid_len, site, site_len, out);
    return 0;
}

static centry_t *cache_set(const uint8_t key[16])
{
    uint32_t h = (uint32_t)key[0] | (uint32_t)key[1] << 8 | (uint32_t)key[2] << 16;
    return st.cache[h % CACHE_SETS];
}

static int cache_hit(const uint8_t key[16], int64_t now_ms)
{
    centry_t *set = cache_set(key);
    for (int w = 0; w < CACHE_WAYS; w++)
        if (set[w].expires_ms > now_ms && memcmp(set[w].key, key, 16) == 0)
            return 1;
    return 0;
}

static void cache_put(const uint8_t key[16], int64_t expires_ms, int64_t now_ms)
{
    centry_t *set = cache_set(key), *victim = &set[0];
    for (int w = 0; w < CACHE_WAYS; w++) {
        if (set[w].expires_ms <= now_ms) {     /* empty or expired */
            victim = &set[w];
            break;
        }
        if (set[w].seq < victim->seq)
            victim = &set[w];
    }
    memcpy(victim->key, key, 16);
    victim->expires_ms = expires_ms;
    victim->seq = ++st.seq;
}

/* --------------------------------------------------------- verification -- */

int pow_token_well_formed(const char *tok, size_t tok_len)
{
    if (!tok || tok_len != POW_TOKEN_LEN)
        return 0;
    for (size_t i = 0; i < tok_len; i++) {
        char c = tok[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return 0;
    }
    return 1;
}

static uint8_t unhex1(char c)
{
    return (uint8_t)(c <= '9' ? c - '0' : c - 'a' + 10);
}

int pow_verify_with(const char *secret, size_t secret_len, long window_min, int64_t now_ms,
                    const char *tok, size_t tok_len, const char *sid, size_t sid_len,
                    const char *site, size_t site_len, pow_result_t *out)
{
    uint8_t want[POW_HASH_LEN], got[POW_HASH_LEN], key[32];
    char msg[POW_INPUT_MAX];

    *out = POW_INVALID;
    if (!tok || tok_len == 0) {
        *out = POW_MISSING;
        return 0;
    }
    if (!pow_token_well_formed(tok, tok_len))
        return 0;
    if (!sid)
        sid = "", sid_len = 0;
    if (!site)
        site = "", site_len = 0;
    /* challenge ":" sid ":" site must fit the tracker's input area */
    if (sid_len > POW_INPUT_MAX || site_len > POW_INPUT_MAX - sid_len ||
        POW_CHALLENGE_LEN + 2 + sid_len + site_len > POW_INPUT_MAX)
        return 0;
    if (use_key(secret, secret_len) != 0)
        return -1;
    if (token_key(tok, tok_len, sid, sid_len, site, site_len, key) != 0)
        return -1;
    if (cache_hit(key, now_ms)) {
        *out = POW_VALID;
        return 0;
    }
    if (window_min < 0)
        return 0;
    if (window_min > WINDOW_CAP)
        window_min = WINDOW_CAP;

    for (size_t i = 0; i < POW_HASH_LEN; i++)
        want[i] = (uint8_t)(unhex1(tok[2 * i]) << 4 | unhex1(tok[2 * i + 1]));
    size_t len = POW_CHALLENGE_LEN + 2 + sid_len + site_len;
    msg[POW_CHALLENGE_LEN] = ':';
    memcpy(msg + POW_CHALLENGE_LEN + 1, sid, sid_len);
    msg[POW_CHALLENGE_LEN + 1 + sid_len] = ':';
    memcpy(msg + POW_CHALLENGE_LEN + 2 + sid_len, site, site_len);

    int64_t p = pow_period(now_ms), minute = pow_minute(now_ms);
    const slot_t *gens[2] = { slot_get(p), NULL };
    if (!gens[0])
        return -1;
    gens[1] = slot_get(p - 1);    /* resident beside P: different parity slot */
    if (!gens[1])
        return -1;

    /* Every (minute, generation) pair of §4.5 step 4 is tried; only the
     * order differs from the spec's (the result is the same: match or not).
     * First each minute with the generation its challenge was served with
     * (a token is solved with the module of its challenge's period), then
     * the other generation: a valid token usually costs one hash, not two
     * per minute it is old. */
    int matched = 0;
    for (int pass = 0; pass < 2 && !matched; pass++) {
        for (long off = 0; off <= window_min && !matched; off++) {
            int g = pow_period((minute - off) * POW_MINUTE_MS) == p ? 0 : 1;
            if (pass) g = !g;
            uint8_t diff = 0;
            challenge_raw(minute - off, msg);
            msg[POW_CHALLENGE_LEN] = ':';          /* challenge_raw wrote a NUL there */
            pow_hash(&gens[g]->params, msg, len, got);
            for (size_t i = 0; i < POW_HASH_LEN; i++)
                diff |= (uint8_t)(got[i] ^ want[i]);
            matched = diff == 0;
        }
    }
    if (!matched)
        return 0;
    cache_put(key, now_ms + (window_min + 1) * POW_MINUTE_MS, now_ms);
    *out = POW_VALID;
    return 0;
}

int pow_verify(int64_t now_ms, const char *tok, size_t tok_len, const char *sid, size_t sid_len,
               const char *site, size_t site_len, pow_result_t *out)
{
    if (!cfg || !cfg->secret) {
        *out = tok && tok_len ? POW_INVALID : POW_MISSING;
        return -1;
    }
    int rc = pow_verify_with(cfg->secret, strlen(cfg->secret), cfg->challenge_window_minutes,
                             now_ms, tok, tok_len, sid, sid_len, site, site_len, out);
    if (rc != 0)
        log_err("pow", "token verification failed in libgcrypt; scored as invalid");
    return rc;
}

/* -------------------------------------------------------------- penalty -- */

const char *pow_result_str(pow_result_t r)
{
    switch (r) {
    case POW_VALID: return "valid";
    case POW_MISSING: return "missing";
    default: return "invalid";
    }
}

void pow_penalty(pow_result_t r, int *points, const char **pow_result)
{
    if (r == POW_VALID) {
        *points = 0;
        *pow_result = NULL;
        return;
    }
    *points = POW_PENALTY;
    *pow_result = pow_result_str(r);
}

void pow_reset_caches(void)
{
    clear_derived();
    st.seq = 0;
    if (st.hmac) {
        gcry_md_close(st.hmac);
        st.hmac = NULL;
    }
    if (st.secret) {
        memset(st.secret, 0, st.secret_len);
        gcry_free(st.secret);
        st.secret = NULL;
    }
}
