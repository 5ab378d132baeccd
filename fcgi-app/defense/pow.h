/* pow: the WebAssembly proof-of-work (spec/20 §3, §4; README decisions 2, 3).
 *
 * Owns: the hash ("solve") as a native C twin, the byte-exact emitter of the
 * WebAssembly module browsers run, the per-minute challenge strings, the
 * 6-hour module generations, token verification and the PoW penalty.
 *
 * Promises:
 *  - pow_hash() and the module pow_emit() writes give bit-identical outputs
 *    for every parameter set and input (unit vectors + a Node cross-check).
 *  - Every worker on every host agrees without coordination: the module of
 *    period P = floor(unix_ms / 21 600 000) is derived from
 *    HMAC-SHA-256(secret, "echelon-pow-wasm:" P ":0") || (… ":1") (§4.3
 *    mapping); challenges are HMAC-SHA-256(secret, minute-decimal) (§4.2).
 *    Caches below are pure caches of these deterministic functions.
 *  - Verification (§4.5) does CPU work only (no socket, no Redis): W + 1
 *    minute buckets (current and W past, never a future one) x generations
 *    {P, P - 1}, constant-time comparison. P + 1 is not tried: period
 *    boundaries are minute boundaries, so a challenge solved with the next
 *    period's module is always a future bucket, which §4.5 rejects anyway.
 *
 * Verified-token cache (§4.6), per worker and bounded (POW_CACHE_SLOTS
 * entries, oldest evicted first): a token that verified keeps verifying for
 * (W + 1) minutes on THIS worker, without recomputation and without TTL
 * refresh. There is no replay rejection anywhere (the spec has none: the
 * beacon and /e share one token); binding the token to sid and site is the
 * only anti-replay. Cross-worker meaning: another worker that did not see the
 * token recomputes; the result differs only for a token whose challenge
 * minute has left the window since its first verification (the "grace
 * extension"), which is `valid` on the worker that cached it and `invalid`
 * elsewhere. The shipper may make this cluster-wide later with
 * pow_cache_key_hex() (`ea:pow:ok:<hex>` SET NX PX (W+1)*60000, §4.6
 * mapping); this module never calls Redis.
 *
 * Never: talks to Redis/MariaDB, logs secrets or full tokens, allocates per
 * request (worker-lifetime static caches only). Single-threaded like the
 * worker: the caches are not thread-safe. */
#ifndef ECHELON_DEFENSE_POW_H
#define ECHELON_DEFENSE_POW_H
#include <stddef.h>
#include <stdint.h>

#define POW_SEED_LEN        64
#define POW_HASH_LEN        16        /* solve() output bytes */
#define POW_TOKEN_LEN       32        /* lowercase hex of the 16 bytes */
#define POW_CHALLENGE_LEN   32        /* hex of the first 16 HMAC bytes */
#define POW_MINUTE_MS       60000LL
#define POW_PERIOD_MS       21600000LL /* 6 h: one module generation */
#define POW_MODULE_MIN      892
#define POW_MODULE_MAX      928
#define POW_MODULE_B64_MAX  (((POW_MODULE_MAX + 2) / 3) * 4)   /* 1240 */
#define POW_INPUT_MAX       2048      /* tracker writes input at 0, output at 2048 */
#define POW_CACHE_SLOTS     8192      /* verified-token cache entries per worker */
#define POW_PENALTY         50        /* README decision 2: missing/invalid +50 */

/* ---- the hash and its WebAssembly twin (§3.2–§3.4), pure ---- */

typedef struct pow_params {
    uint64_t m[4];                    /* initial state v0..v3 ("magic") */
    unsigned r[5];                    /* rotations r1..r5, each 7..53 */
} pow_params_t;

/* §3.2: bytes 0–31 little-endian magic, r(k+1) = 7 + seed[32+k] % 47. */
void pow_params_from_seed(const uint8_t seed[POW_SEED_LEN], pow_params_t *out);
/* §3.3: out = solve(in[0..len)). Only the low 8 bits of len are folded. */
void pow_hash(const pow_params_t *p, const void *in, size_t len, uint8_t out[POW_HASH_LEN]);
/* §3.4: writes the module (892..928 bytes) into out. Returns 0, or -1 when
 * cap < POW_MODULE_MAX (nothing written). */
int pow_emit(const pow_params_t *p, uint8_t *out, size_t cap, size_t *out_len);
/* Standard Base64 with '=' padding; out needs 4*ceil(n/3)+1 bytes (NUL
 * added). Returns 0, or -1 when cap is too small. */
int pow_base64(const uint8_t *in, size_t n, char *out, size_t cap, size_t *out_len);

/* ---- time, challenges and generations (§4.1–§4.3), secret as a parameter ---- */

int64_t pow_minute(int64_t now_ms);   /* floor(now_ms / 60 000), floor for negatives */
int64_t pow_period(int64_t now_ms);   /* floor(now_ms / 21 600 000) */
/* §4.2: out = 32 hex chars + NUL. Returns 0 or -1 (crypto failure). */
int pow_challenge(const char *secret, size_t secret_len, int64_t minute,
                  char out[POW_CHALLENGE_LEN + 1]);
/* §4.3 mapping: the 64-byte seed of period P. Returns 0 or -1. */
int pow_period_seed(const char *secret, size_t secret_len, int64_t period,
                    uint8_t seed[POW_SEED_LEN]);

/* ---- what /ea.js and its refresh (?refresh=1&g=) need ---- */

typedef struct pow_script {
    char challenge[POW_CHALLENGE_LEN + 1]; /* current minute's challenge */
    int64_t minute;                   /* its bucket number */
    int64_t generation;               /* period number P (> 0), the "g" id */
    char generation_id[24];           /* P as decimal, for ?g= comparison */
    int64_t challenge_expires_ms;     /* first ms at which the challenge has left
                                         the window W: (minute + W + 1) * 60 000;
                                         the tracker re-solves before this */
    int64_t period_ends_ms;           /* (P + 1) * 21 600 000 */
    size_t module_len;                /* 892..928 */
    uint8_t module[POW_MODULE_MAX];   /* the WebAssembly bytes */
    size_t module_b64_len;
    char module_b64[POW_MODULE_B64_MAX + 1]; /* Base64 of module, NUL-terminated */
} pow_script_t;

/* Fill *out for time now_ms with the challenge window `window_min`
 * (cfg->challenge_window_minutes). The module is built once per period per
 * worker (cached for P and P - 1). Returns 0 or -1. */
int pow_script_for(const char *secret, size_t secret_len, long window_min,
                   int64_t now_ms, pow_script_t *out);
/* The same with cfg->secret and cfg->challenge_window_minutes. */
int pow_script(int64_t now_ms, pow_script_t *out);

/* ---- verification and penalty (§4.4–§4.7) ---- */

/* The values are stable (0, 1, 2): defense/score.h's SCORE_POW_* mirror them. */
typedef enum pow_result {
    POW_VALID = 0,
    POW_MISSING,                      /* token absent or "" */
    POW_INVALID,                      /* malformed, or no bucket x generation matched */
} pow_result_t;

/* §4.5 with an explicit secret and window (W < 0: only cached tokens are
 * valid; W is capped at 1440 minutes, since buckets older than generation
 * P - 1 cannot pair with a module the tracker was given). tok may be NULL (= missing). sid and site are used byte-exact as
 * the endpoint resolved them; an input (challenge:sid:site) longer than
 * POW_INPUT_MAX is invalid. Returns 0 with *out set, or -1 on a crypto
 * failure (*out = POW_INVALID then too, so callers may ignore the code). */
int pow_verify_with(const char *secret, size_t secret_len, long window_min, int64_t now_ms,
                    const char *tok, size_t tok_len, const char *sid, size_t sid_len,
                    const char *site, size_t site_len, pow_result_t *out);
/* The same with cfg->secret and cfg->challenge_window_minutes. */
int pow_verify(int64_t now_ms, const char *tok, size_t tok_len, const char *sid, size_t sid_len,
               const char *site, size_t site_len, pow_result_t *out);

/* §4.4: exactly 32 chars of [0-9a-f]. */
int pow_token_well_formed(const char *tok, size_t tok_len);

/* §4.7: points (0 or POW_PENALTY) and the `pow_result` detail string
 * ("missing"/"invalid"; NULL for valid, which adds no detail entries). */
void pow_penalty(pow_result_t r, int *points, const char **pow_result);
/* "valid", "missing" or "invalid". */
const char *pow_result_str(pow_result_t r);

/* Lowercase hex SHA-256 of token ":" sid ":" site (the §4.6 Redis key
 * suffix, for the shipper). out: 64 chars + NUL. Returns 0 or -1. */
int pow_cache_key_hex(const char *tok, size_t tok_len, const char *sid, size_t sid_len,
                      const char *site, size_t site_len, char out[65]);
/* Drop the verified-token cache and the per-worker module/challenge caches
 * (tests; a worker never needs it). */
void pow_reset_caches(void);
#endif
