/* test_pow.c -- unit tests for defense/pow (spec/20 §3, §4, §9.1).
 *
 * The §3.6 vectors pin the hash and the emitter byte for byte; the rest pins
 * the verification window, generations, tampering, the verified-token cache
 * and the penalty. The Node cross-check (test_pow_wasm.sh) runs the emitted
 * modules themselves. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <gcrypt.h>
#include "core/config.h"
#include "defense/pow.h"

/* pow.c reads the global config only in pow_script()/pow_verify(); the test
 * provides both globals it links against, so no other module is pulled in. */
static config_t test_cfg;
const config_t *cfg = &test_cfg;
void log_msg(int level, const char *module, const char *fmt, ...)
{
    (void)level, (void)module, (void)fmt;
}

#define SECRET "test-secret"
#define SLEN (sizeof SECRET - 1)
#define SID "550e8400-e29b-41d4-a716-446655440000"
#define SITE "my-site"
#define MIN0 29000000LL                 /* 2025-02-19T21:20:00Z */
#define T0 (MIN0 * POW_MINUTE_MS)

static const char seed_a_module_hex[] =
    "0061736d0100000001070160037f7f7f00030201000503010001071202066d656d6f7279020005736f6c766500000aeb0601e80603057e017f017f4280828898c0a08183072103428892a8d8c0a183870f21044290a2c898c1a2858b1721054298b2e8d8c1a3878f1f210641002108024003402001200841086a490d01200020086a290000210720062007852106200320047c21032004422789200385210420034220892103200520067c210520064228892005852106200320067c210320064229892003852106200520047c21052004422a8920058521042005422b892105200320047c21032004422789200385210420034220892103200520067c210520064228892005852106200320067c210320064229892003852106200520047c21052004422a8920058521042005422b89210520032007852103200841086a21080c000b0b2001ad42ff018342388621072008210902400340200920014e0d012007200020096a2d0000ad200920086b410374ad86842107200941016a21090c000b0b20062007852106200320047c21032004422789200385210420034220892103200520067c210520064228892005852106200320067c210320064229892003852106200520047c21052004422a8920058521042005422b892105200320047c21032004422789200385210420034220892103200520067c210520064228892005852106200320067c210320064229892003852106200520047c21052004422a8920058521042005422b89210520032007852103200542ff01852105200320047c21032004422789200385210420034220892103200520067c210520064228892005852106200320067c210320064229892003852106200520047c21052004422a8920058521042005422b892105200320047c21032004422789200385210420034220892103200520067c210520064228892005852106200320067c210320064229892003852106200520047c21052004422a8920058521042005422b892105200320047c21032004422789200385210420034220892103200520067c210520064228892005852106200320067c210320064229892003852106200520047c21052004422a8920058521042005422b892105200320047c21032004422789200385210420034220892103200520067c210520064228892005852106200320067c210320064229892003852106200520047c21052004422a8920058521042005422b89210520022003200485370000200241086a20052006853700000b";

/* ------------------------------------------------------------ helpers -- */

static void hex(const uint8_t *in, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", in[i]);
}

static void sha256_hex(const uint8_t *in, size_t n, char out[65])
{
    uint8_t d[32];
    gcry_md_hash_buffer(GCRY_MD_SHA256, d, in, n);
    hex(d, 32, out);
}

static void seed_fill(uint8_t seed[POW_SEED_LEN], int kind)
{
    for (int i = 0; i < POW_SEED_LEN; i++)
        seed[i] = kind == 'A' ? (uint8_t)i : kind == 'B' ? 0xFF : 0x00;
}

static void solve_hex(const pow_params_t *p, const char *in, char out[POW_TOKEN_LEN + 1])
{
    uint8_t h[POW_HASH_LEN];
    pow_hash(p, in, strlen(in), h);
    hex(h, POW_HASH_LEN, out);
}

/* What a browser sends: the token for `minute`'s challenge solved with the
 * module of `period`, for sid/site. */
static void make_token(const char *secret, int64_t minute, int64_t period, const char *sid,
                       const char *site, char tok[POW_TOKEN_LEN + 1])
{
    char ch[POW_CHALLENGE_LEN + 1], in[256];
    uint8_t seed[POW_SEED_LEN];
    pow_params_t p;
    assert_int_equal(pow_challenge(secret, strlen(secret), minute, ch), 0);
    assert_int_equal(pow_period_seed(secret, strlen(secret), period, seed), 0);
    pow_params_from_seed(seed, &p);
    snprintf(in, sizeof in, "%s:%s:%s", ch, sid, site);
    solve_hex(&p, in, tok);
}

static pow_result_t verify(long w, int64_t now, const char *tok, const char *sid,
                           const char *site)
{
    pow_result_t r = POW_VALID;
    assert_int_equal(pow_verify_with(SECRET, SLEN, w, now, tok, tok ? strlen(tok) : 0,
                                     sid, strlen(sid), site, strlen(site), &r), 0);
    return r;
}

static int reset(void **state)
{
    (void)state;
    pow_reset_caches();
    return 0;
}

/* ------------------------------------------------- §3.6 test vectors -- */

static void seed_a_params_match_the_spec(void **state)
{
    (void)state;
    uint8_t seed[POW_SEED_LEN];
    pow_params_t p;
    seed_fill(seed, 'A');
    pow_params_from_seed(seed, &p);
    assert_true(p.m[0] == 0x0706050403020100ULL);
    assert_true(p.m[1] == 0x0f0e0d0c0b0a0908ULL);
    assert_true(p.m[2] == 0x1716151413121110ULL);
    assert_true(p.m[3] == 0x1f1e1d1c1b1a1918ULL);
    for (int k = 0; k < 5; k++)
        assert_int_equal(p.r[k], 39 + k);
    seed_fill(seed, 'B');
    pow_params_from_seed(seed, &p);
    for (int k = 0; k < 5; k++)
        assert_int_equal(p.r[k], 27);
    seed_fill(seed, 'C');
    pow_params_from_seed(seed, &p);
    for (int k = 0; k < 5; k++)
        assert_int_equal(p.r[k], 7);
}

static void seed_a_module_is_byte_exact(void **state)
{
    (void)state;
    uint8_t seed[POW_SEED_LEN], mod[POW_MODULE_MAX];
    char mhex[2 * POW_MODULE_MAX + 1], sum[65];
    size_t n = 0;
    pow_params_t p;
    seed_fill(seed, 'A');
    pow_params_from_seed(seed, &p);
    assert_int_equal(pow_emit(&p, mod, sizeof mod, &n), 0);
    assert_int_equal(n, 924);
    hex(mod, n, mhex);
    assert_string_equal(mhex, seed_a_module_hex);
    sha256_hex(mod, n, sum);
    assert_string_equal(sum, "08da7346d78ef89ab804961d712807c2fa61b5e5f4cf97ee1799552282280361");
}

static void seed_b_and_c_modules_match_their_digests(void **state)
{
    (void)state;
    static const struct { int kind; size_t len; const char *sha, *empty, *csite; } v[] = {
        { 'B', 892, "d6d5174ea6600fec0f4673501fefeb3aa4317925bf98e890a240a2413c2dcdeb",
          "2bf97232e39d3ee5d70bdf957f3011e5", "6814fe17fe77dd6241a907b56170f45e" },
        { 'C', 892, "a8d7f461d7307f0857bf31953474c9283f03dbf88d88fca0af36b04ec8d54b51",
          "2b17bd9fc79501825e82f6de0bdc83ff", "98ac504c8a70113430f851ec689b6e1e" },
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        uint8_t seed[POW_SEED_LEN], mod[POW_MODULE_MAX];
        char sum[65], tok[POW_TOKEN_LEN + 1];
        size_t n = 0;
        pow_params_t p;
        seed_fill(seed, v[i].kind);
        pow_params_from_seed(seed, &p);
        assert_int_equal(pow_emit(&p, mod, sizeof mod, &n), 0);
        assert_int_equal(n, v[i].len);
        sha256_hex(mod, n, sum);
        assert_string_equal(sum, v[i].sha);
        solve_hex(&p, "", tok);
        assert_string_equal(tok, v[i].empty);
        solve_hex(&p, "challenge:session:site", tok);
        assert_string_equal(tok, v[i].csite);
    }
}

static void seed_a_solves_match_the_spec(void **state)
{
    (void)state;
    static const struct { const char *in, *out; } v[] = {
        { "", "416fa393f364e7e030a8e4974ff85224" },
        { "a", "45afb82941bd92d55c9a5afc3ca1e61f" },
        { "abcdefgh", "69b65c98208cd17c2d2c9ebd104a3593" },
        { "challenge:session:site", "2ed79d35672d3ca43c2df0fc7195d885" },
        { "16883500da5aa84231a5569520d413f1:550e8400-e29b-41d4-a716-446655440000:my-site",
          "fcdbcd58e3f9435fbf8c5a1c04144579" },
    };
    uint8_t seed[POW_SEED_LEN];
    pow_params_t p;
    char tok[POW_TOKEN_LEN + 1];
    seed_fill(seed, 'A');
    pow_params_from_seed(seed, &p);
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        solve_hex(&p, v[i].in, tok);
        assert_string_equal(tok, v[i].out);
    }
}

static void module_size_follows_the_sleb_lengths(void **state)
{
    (void)state;
    /* §3.4 sLEB examples: 8 -> 1 byte, 255 -> 2, -1 -> 1, 2^63 -> 10,
     * 0x0706050403020100 -> 9; size = 888 + sum. */
    static const struct { uint64_t m[4]; size_t len; } v[] = {
        { { 8, 255, UINT64_MAX, 0 }, 888 + 1 + 2 + 1 + 1 },
        { { 1ULL << 63, 0x0706050403020100ULL, 63, 64 }, 888 + 10 + 9 + 1 + 2 },
        { { 0x3FULL, 0x40ULL, (uint64_t)-64, (uint64_t)-65 }, 888 + 1 + 2 + 1 + 2 },
        { { 1ULL << 63, 1ULL << 63, 1ULL << 63, 1ULL << 63 }, POW_MODULE_MAX },
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        pow_params_t p = { { v[i].m[0], v[i].m[1], v[i].m[2], v[i].m[3] }, { 7, 20, 33, 46, 53 } };
        uint8_t mod[POW_MODULE_MAX];
        size_t n = 0;
        assert_int_equal(pow_emit(&p, mod, sizeof mod, &n), 0);
        assert_int_equal(n, v[i].len);
        /* code section at offset 46: 0A uLEB(size) 01 uLEB(body_len) body,
         * both uLEBs two bytes, body_len = 836 + sum, size = 3 + body_len */
        size_t body = n - 52;
        assert_int_equal(mod[46], 0x0A);
        assert_int_equal(mod[49], 0x01);
        assert_int_equal((mod[47] & 0x7F) | (size_t)mod[48] << 7, 3 + body);
        assert_int_equal((mod[50] & 0x7F) | (size_t)mod[51] << 7, body);
        assert_true(mod[47] & 0x80);
        assert_true(mod[50] & 0x80);
        assert_int_equal(body, n - 888 + 836);
    }
}

static void emit_refuses_a_small_buffer(void **state)
{
    (void)state;
    uint8_t seed[POW_SEED_LEN], mod[POW_MODULE_MAX];
    pow_params_t p;
    size_t n = 12345;
    seed_fill(seed, 'C');
    pow_params_from_seed(seed, &p);
    assert_int_equal(pow_emit(&p, mod, POW_MODULE_MAX - 1, &n), -1);
    assert_int_equal(n, 12345);
}

static void base64_pads_and_refuses_small_buffers(void **state)
{
    (void)state;
    char out[16];
    size_t n = 0;
    assert_int_equal(pow_base64((const uint8_t *)"", 0, out, sizeof out, &n), 0);
    assert_string_equal(out, "");
    assert_int_equal(pow_base64((const uint8_t *)"f", 1, out, sizeof out, &n), 0);
    assert_string_equal(out, "Zg==");
    assert_int_equal(pow_base64((const uint8_t *)"fo", 2, out, sizeof out, &n), 0);
    assert_string_equal(out, "Zm8=");
    assert_int_equal(pow_base64((const uint8_t *)"foobar", 6, out, sizeof out, &n), 0);
    assert_string_equal(out, "Zm9vYmFy");
    assert_int_equal(n, 8);
    assert_int_equal(pow_base64((const uint8_t *)"\xfb\xff", 2, out, sizeof out, &n), 0);
    assert_string_equal(out, "+/8=");
    assert_int_equal(pow_base64((const uint8_t *)"foobar", 6, out, 8, &n), -1);
}

/* ------------------------------------------- challenges, generations -- */

static void challenge_matches_the_end_to_end_vector(void **state)
{
    (void)state;
    char ch[POW_CHALLENGE_LEN + 1];
    assert_int_equal(pow_challenge(SECRET, SLEN, MIN0, ch), 0);
    assert_string_equal(ch, "16883500da5aa84231a5569520d413f1");
    assert_int_equal(pow_challenge(SECRET, SLEN, MIN0 + 1, ch), 0);
    assert_string_equal(ch, "24dc4f6c86a59c026f75dfba131b859b");
    /* a cached minute does not leak across secrets */
    assert_int_equal(pow_challenge("other", 5, MIN0, ch), 0);
    assert_string_not_equal(ch, "16883500da5aa84231a5569520d413f1");
    assert_int_equal(pow_challenge(SECRET, SLEN, MIN0, ch), 0);
    assert_string_equal(ch, "16883500da5aa84231a5569520d413f1");
}

static void empty_secret_is_a_valid_hmac_key(void **state)
{
    (void)state;
    char a[POW_CHALLENGE_LEN + 1], b[POW_CHALLENGE_LEN + 1], d[65];
    uint8_t mac[32];
    /* RFC 2104: the empty key is the all-zero block, as is "\0". */
    gcry_md_hd_t h;
    assert_int_equal(gcry_md_open(&h, GCRY_MD_SHA256, GCRY_MD_FLAG_HMAC), 0);
    assert_int_equal(gcry_md_setkey(h, "\0\0\0\0", 4), 0);
    gcry_md_write(h, "29000000", 8);
    memcpy(mac, gcry_md_read(h, GCRY_MD_SHA256), 32);
    gcry_md_close(h);
    hex(mac, 16, d);
    assert_int_equal(pow_challenge("", 0, MIN0, a), 0);
    assert_int_equal(pow_challenge(NULL, 0, MIN0, b), 0);
    assert_string_equal(a, d);
    assert_string_equal(b, d);
}

static void minute_and_period_floor(void **state)
{
    (void)state;
    assert_int_equal(pow_minute(T0), MIN0);
    assert_int_equal(pow_minute(T0 + 59999), MIN0);
    assert_int_equal(pow_minute(T0 - 1), MIN0 - 1);
    assert_int_equal(pow_minute(-1), -1);
    assert_int_equal(pow_period(T0), 80555);
    assert_int_equal(pow_period(80556 * POW_PERIOD_MS - 1), 80555);
    assert_int_equal(pow_period(80556 * POW_PERIOD_MS), 80556);
    assert_int_equal(pow_period(0), 0);
    assert_int_equal(pow_period(-1), -1);
}

static void period_seed_matches_the_mapping_example(void **state)
{
    (void)state;
    uint8_t seed[POW_SEED_LEN], mod[POW_MODULE_MAX];
    char sh[2 * POW_SEED_LEN + 1], tok[POW_TOKEN_LEN + 1];
    pow_params_t p;
    size_t n = 0;
    assert_int_equal(pow_period_seed(SECRET, SLEN, 80555, seed), 0);
    hex(seed, POW_SEED_LEN, sh);
    assert_string_equal(sh, "d14c7b367b5143f1d2e49a24eb47097cea2492941352a4fe70ae5a10c34f7381"
                            "596661f9ef2d76871521e458495bb16eddab732e272b0802b63250f4cd46d8ee");
    pow_params_from_seed(seed, &p);
    assert_true(p.m[0] == 0xf143517b367b4cd1ULL);
    assert_true(p.m[1] == 0x7c0947eb249ae4d2ULL);
    assert_true(p.m[2] == 0xfea45213949224eaULL);
    assert_true(p.m[3] == 0x81734fc3105aae70ULL);
    static const unsigned r[5] = { 49, 15, 10, 21, 11 };
    for (int k = 0; k < 5; k++)
        assert_int_equal(p.r[k], r[k]);
    assert_int_equal(pow_emit(&p, mod, sizeof mod, &n), 0);
    assert_int_equal(n, 926);
    make_token(SECRET, MIN0, 80555, SID, SITE, tok);
    assert_string_equal(tok, "28c85c0c831873153208e8b939e4188b");
}

static int b64val(char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

static size_t b64dec(const char *s, size_t n, uint8_t *out)
{
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n && s[i] != '='; i++) {
        int v = b64val(s[i]);
        assert_true(v >= 0);
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits);
        }
    }
    return o;
}

static void script_gives_challenge_generation_and_module(void **state)
{
    (void)state;
    static pow_script_t s, s2;
    uint8_t seed[POW_SEED_LEN], mod[POW_MODULE_MAX], dec[POW_MODULE_MAX];
    pow_params_t p;
    size_t n = 0;
    int64_t now = T0 + 12345;
    assert_int_equal(pow_script_for(SECRET, SLEN, 10, now, &s), 0);
    assert_string_equal(s.challenge, "16883500da5aa84231a5569520d413f1");
    assert_int_equal(s.minute, MIN0);
    assert_int_equal(s.generation, 80555);
    assert_string_equal(s.generation_id, "80555");
    assert_int_equal(s.challenge_expires_ms, (MIN0 + 11) * POW_MINUTE_MS);
    assert_int_equal(s.period_ends_ms, 80556 * POW_PERIOD_MS);
    assert_int_equal(pow_period_seed(SECRET, SLEN, 80555, seed), 0);
    pow_params_from_seed(seed, &p);
    assert_int_equal(pow_emit(&p, mod, sizeof mod, &n), 0);
    assert_int_equal(s.module_len, n);
    assert_memory_equal(s.module, mod, n);
    assert_int_equal(s.module_b64_len, (n + 2) / 3 * 4);
    assert_int_equal(strlen(s.module_b64), s.module_b64_len);
    assert_int_equal(b64dec(s.module_b64, s.module_b64_len, dec), n);
    assert_memory_equal(dec, mod, n);
    /* same minute -> same challenge; the next period -> another module */
    assert_int_equal(pow_script_for(SECRET, SLEN, 10, T0 + 59999, &s2), 0);
    assert_string_equal(s2.challenge, s.challenge);
    assert_int_equal(pow_script_for(SECRET, SLEN, 10, 80556 * POW_PERIOD_MS, &s2), 0);
    assert_int_equal(s2.generation, 80556);
    assert_true(s2.module_len != s.module_len || memcmp(s2.module, s.module, n) != 0);
    /* going back to P after P + 1 and P + 2 rebuilds the same bytes */
    assert_int_equal(pow_script_for(SECRET, SLEN, 10, 80557 * POW_PERIOD_MS, &s2), 0);
    assert_int_equal(pow_script_for(SECRET, SLEN, 10, now, &s2), 0);
    assert_memory_equal(s2.module, mod, n);
}

static void script_uses_the_global_config(void **state)
{
    (void)state;
    static pow_script_t s;
    test_cfg.secret = (char *)SECRET;
    test_cfg.challenge_window_minutes = 3;
    assert_int_equal(pow_script(T0, &s), 0);
    assert_string_equal(s.challenge, "16883500da5aa84231a5569520d413f1");
    assert_int_equal(s.challenge_expires_ms, (MIN0 + 4) * POW_MINUTE_MS);
}

/* ------------------------------------------------------- verification -- */

static void reference_checks_of_section_9_1(void **state)
{
    (void)state;
    pow_result_t r;
    assert_int_equal(verify(10, T0, NULL, "session-1", "test-site"), POW_MISSING);
    assert_int_equal(verify(10, T0, "", "session-1", "test-site"), POW_MISSING);
    assert_int_equal(verify(10, T0, "not-hex", "session-1", "test-site"), POW_INVALID);
    assert_int_equal(verify(10, T0, "abcdef", "session-1", "test-site"), POW_INVALID);
    assert_int_equal(verify(10, T0, "00000000000000000000000000000000", "session-1",
                            "test-site"), POW_INVALID);
    /* NULL sid/site behave like "" */
    assert_int_equal(pow_verify_with(SECRET, SLEN, 10, T0, "", 0, NULL, 0, NULL, 0, &r), 0);
    assert_int_equal(r, POW_MISSING);
}

static void end_to_end_token_verifies(void **state)
{
    (void)state;
    char tok[POW_TOKEN_LEN + 1];
    make_token(SECRET, MIN0, 80555, SID, SITE, tok);
    assert_int_equal(verify(10, T0 + 30000, tok, SID, SITE), POW_VALID);
}

static void window_accepts_w_past_minutes_and_no_future_one(void **state)
{
    (void)state;
    char tok[POW_TOKEN_LEN + 1];
    make_token(SECRET, MIN0, 80555, SID, SITE, tok);
    /* W = 10: minutes MIN0 .. MIN0 + 10 accept; fresh caches each time */
    assert_int_equal(verify(10, (MIN0 + 10) * POW_MINUTE_MS + 59999, tok, SID, SITE), POW_VALID);
    pow_reset_caches();
    assert_int_equal(verify(10, (MIN0 + 11) * POW_MINUTE_MS, tok, SID, SITE), POW_INVALID);
    pow_reset_caches();
    assert_int_equal(verify(10, T0 - 1, tok, SID, SITE), POW_INVALID);    /* future bucket */
    pow_reset_caches();
    /* W = 0: only the current minute */
    assert_int_equal(verify(0, T0 + 59999, tok, SID, SITE), POW_VALID);
    pow_reset_caches();
    assert_int_equal(verify(0, T0 + 60000, tok, SID, SITE), POW_INVALID);
    pow_reset_caches();
    /* W < 0: nothing is tried */
    assert_int_equal(verify(-1, T0, tok, SID, SITE), POW_INVALID);
    /* W = 3 */
    assert_int_equal(verify(3, (MIN0 + 3) * POW_MINUTE_MS, tok, SID, SITE), POW_VALID);
    pow_reset_caches();
    assert_int_equal(verify(3, (MIN0 + 4) * POW_MINUTE_MS, tok, SID, SITE), POW_INVALID);
}

static void tampered_tokens_are_invalid(void **state)
{
    (void)state;
    char tok[POW_TOKEN_LEN + 1], bad[POW_TOKEN_LEN + 2];
    pow_result_t r;
    make_token(SECRET, MIN0, 80555, SID, SITE, tok);
    for (size_t i = 0; i < POW_TOKEN_LEN; i++) {
        memcpy(bad, tok, sizeof tok);
        bad[i] = bad[i] == '0' ? '1' : '0';
        assert_int_equal(verify(10, T0, bad, SID, SITE), POW_INVALID);
    }
    /* uppercase hex is not the format (§4.4) */
    memcpy(bad, tok, sizeof tok);
    for (size_t i = 0; i < POW_TOKEN_LEN; i++)
        if (bad[i] >= 'a')
            bad[i] = (char)(bad[i] - 32);
    assert_int_equal(verify(10, T0, bad, SID, SITE), POW_INVALID);
    /* one char short, one long */
    memcpy(bad, tok, sizeof tok);
    bad[31] = '\0';
    assert_int_equal(verify(10, T0, bad, SID, SITE), POW_INVALID);
    memcpy(bad, tok, sizeof tok);
    bad[32] = '0', bad[33] = '\0';
    assert_int_equal(verify(10, T0, bad, SID, SITE), POW_INVALID);
    /* a NUL inside the counted length */
    memcpy(bad, tok, sizeof tok);
    bad[5] = '\0';
    assert_int_equal(pow_verify_with(SECRET, SLEN, 10, T0, bad, 32, SID, strlen(SID), SITE,
                                     strlen(SITE), &r), 0);
    assert_int_equal(r, POW_INVALID);
    /* bound to sid, site and secret */
    assert_int_equal(verify(10, T0, tok, "550e8400-e29b-41d4-a716-446655440001", SITE), POW_INVALID);
    assert_int_equal(verify(10, T0, tok, SID, "My-site"), POW_INVALID);
    assert_int_equal(verify(10, T0, tok, "", SITE), POW_INVALID);
    assert_int_equal(pow_verify_with("other", 5, 10, T0, tok, 32, SID, strlen(SID), SITE,
                                     strlen(SITE), &r), 0);
    assert_int_equal(r, POW_INVALID);
    /* and still valid as sent */
    assert_int_equal(verify(10, T0, tok, SID, SITE), POW_VALID);
}

static void overlong_input_is_invalid_without_work(void **state)
{
    (void)state;
    static char sid[POW_INPUT_MAX + 8];
    char tok[POW_TOKEN_LEN + 1];
    /* longest input that fits: 32 + 1 + sid + 1 + 7 = POW_INPUT_MAX */
    size_t sl = POW_INPUT_MAX - POW_CHALLENGE_LEN - 2 - strlen(SITE);
    memset(sid, 'x', sl);
    sid[sl] = '\0';
    {
        char ch[POW_CHALLENGE_LEN + 1];
        static char in[POW_INPUT_MAX + 64];
        uint8_t seed[POW_SEED_LEN], h[POW_HASH_LEN];
        pow_params_t p;
        assert_int_equal(pow_challenge(SECRET, SLEN, MIN0, ch), 0);
        assert_int_equal(pow_period_seed(SECRET, SLEN, 80555, seed), 0);
        pow_params_from_seed(seed, &p);
        snprintf(in, sizeof in, "%s:%s:%s", ch, sid, SITE);
        assert_int_equal(strlen(in), POW_INPUT_MAX);
        pow_hash(&p, in, strlen(in), h);
        hex(h, POW_HASH_LEN, tok);
    }
    assert_int_equal(verify(10, T0, tok, sid, SITE), POW_VALID);
    sid[sl] = 'x', sid[sl + 1] = '\0';
    assert_int_equal(verify(10, T0, tok, sid, SITE), POW_INVALID);
}

static void previous_period_is_accepted_across_rollover(void **state)
{
    (void)state;
    char tok[POW_TOKEN_LEN + 1];
    int64_t last = 80556LL * (POW_PERIOD_MS / POW_MINUTE_MS) - 1;    /* last minute of P */
    make_token(SECRET, last, 80555, SID, SITE, tok);
    assert_int_equal(verify(10, last * POW_MINUTE_MS, tok, SID, SITE), POW_VALID);
    pow_reset_caches();
    /* after the boundary the module of 80555 is "previous" */
    assert_int_equal(verify(10, (last + 1) * POW_MINUTE_MS, tok, SID, SITE), POW_VALID);
    pow_reset_caches();
    assert_int_equal(verify(10, (last + 10) * POW_MINUTE_MS, tok, SID, SITE), POW_VALID);
    pow_reset_caches();
    /* a challenge of the new period solved with the old module (a /ea.js
     * cached across the boundary, then refreshed) is still accepted */
    make_token(SECRET, last + 1, 80555, SID, SITE, tok);
    assert_int_equal(verify(10, (last + 2) * POW_MINUTE_MS, tok, SID, SITE), POW_VALID);
}

static void other_generations_are_invalid(void **state)
{
    (void)state;
    char tok[POW_TOKEN_LEN + 1];
    int64_t first = 80556LL * (POW_PERIOD_MS / POW_MINUTE_MS);       /* first minute of P+1 */
    /* two periods old */
    make_token(SECRET, first + 1, 80554, SID, SITE, tok);
    assert_int_equal(verify(10, (first + 1) * POW_MINUTE_MS, tok, SID, SITE), POW_INVALID);
    /* next period's module before it is current */
    make_token(SECRET, first - 1, 80556, SID, SITE, tok);
    assert_int_equal(verify(10, (first - 1) * POW_MINUTE_MS, tok, SID, SITE), POW_INVALID);
    /* a module derived from another secret */
    {
        char ch[POW_CHALLENGE_LEN + 1], in[128];
        uint8_t seed[POW_SEED_LEN];
        pow_params_t p;
        assert_int_equal(pow_period_seed("other", 5, 80555, seed), 0);
        pow_params_from_seed(seed, &p);
        assert_int_equal(pow_challenge(SECRET, SLEN, MIN0, ch), 0);
        snprintf(in, sizeof in, "%s:%s:%s", ch, SID, SITE);
        solve_hex(&p, in, tok);
    }
    assert_int_equal(verify(10, T0, tok, SID, SITE), POW_INVALID);
}

static void cache_extends_without_refresh(void **state)
{
    (void)state;
    char tok[POW_TOKEN_LEN + 1];
    int64_t t1 = (MIN0 + 10) * POW_MINUTE_MS + 500;    /* last minute of the window */
    make_token(SECRET, MIN0, 80555, SID, SITE, tok);
    assert_int_equal(verify(10, t1, tok, SID, SITE), POW_VALID);
    /* the challenge has left the window; the cached verification holds for
     * (W + 1) minutes from t1, and a hit does not extend it */
    assert_int_equal(verify(10, t1 + 5 * POW_MINUTE_MS, tok, SID, SITE), POW_VALID);
    assert_int_equal(verify(10, t1 + 11 * POW_MINUTE_MS - 1, tok, SID, SITE), POW_VALID);
    assert_int_equal(verify(10, t1 + 11 * POW_MINUTE_MS, tok, SID, SITE), POW_INVALID);
    /* the cache is keyed by sid and site too */
    pow_reset_caches();
    assert_int_equal(verify(10, t1, tok, SID, SITE), POW_VALID);
    assert_int_equal(verify(10, t1 + POW_MINUTE_MS, tok, SID, "other"), POW_INVALID);
}

static void cache_is_bounded_and_evicts_oldest(void **state)
{
    (void)state;
    enum { N = POW_CACHE_SLOTS * 2 };
    char tok[POW_TOKEN_LEN + 1], sid[48];
    int64_t late = (MIN0 + 11) * POW_MINUTE_MS;   /* MIN0 left the window; cache holds */
    int first_gone = 0, last_kept = 0;
    for (int i = 0; i < N; i++) {
        snprintf(sid, sizeof sid, "sid-%d", i);
        make_token(SECRET, MIN0, 80555, sid, SITE, tok);
        assert_int_equal(verify(10, T0 + 1000, tok, sid, SITE), POW_VALID);
    }
    for (int i = 0; i < 256; i++) {
        snprintf(sid, sizeof sid, "sid-%d", i);
        make_token(SECRET, MIN0, 80555, sid, SITE, tok);
        first_gone += verify(10, late, tok, sid, SITE) == POW_INVALID;
        snprintf(sid, sizeof sid, "sid-%d", N - 1 - i);
        make_token(SECRET, MIN0, 80555, sid, SITE, tok);
        last_kept += verify(10, late, tok, sid, SITE) == POW_VALID;
    }
    assert_true(first_gone > 200);
    assert_true(last_kept > 200);
}

static void verify_uses_the_global_config(void **state)
{
    (void)state;
    char tok[POW_TOKEN_LEN + 1];
    pow_result_t r;
    test_cfg.secret = (char *)SECRET;
    test_cfg.challenge_window_minutes = 2;
    make_token(SECRET, MIN0, 80555, SID, SITE, tok);
    assert_int_equal(pow_verify((MIN0 + 2) * POW_MINUTE_MS, tok, 32, SID, strlen(SID), SITE,
                                strlen(SITE), &r), 0);
    assert_int_equal(r, POW_VALID);
    pow_reset_caches();
    assert_int_equal(pow_verify((MIN0 + 3) * POW_MINUTE_MS, tok, 32, SID, strlen(SID), SITE,
                                strlen(SITE), &r), 0);
    assert_int_equal(r, POW_INVALID);
}

static void cache_key_is_sha256_of_the_triple(void **state)
{
    (void)state;
    char k[65], want[65];
    const char *triple = "0123456789abcdef0123456789abcdef:" SID ":" SITE;
    sha256_hex((const uint8_t *)triple, strlen(triple), want);
    assert_int_equal(pow_cache_key_hex("0123456789abcdef0123456789abcdef", 32, SID, strlen(SID),
                                       SITE, strlen(SITE), k), 0);
    assert_string_equal(k, want);
}

/* ------------------------------------------------------------ penalty -- */

static void penalty_is_50_for_missing_and_invalid(void **state)
{
    (void)state;
    int pts = -1;
    const char *res = "x";
    pow_penalty(POW_VALID, &pts, &res);
    assert_int_equal(pts, 0);
    assert_null(res);
    pow_penalty(POW_MISSING, &pts, &res);
    assert_int_equal(pts, 50);
    assert_string_equal(res, "missing");
    pow_penalty(POW_INVALID, &pts, &res);
    assert_int_equal(pts, 50);
    assert_string_equal(res, "invalid");
    assert_string_equal(pow_result_str(POW_VALID), "valid");
}

int main(void)
{
    gcry_check_version(NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(seed_a_params_match_the_spec),
        cmocka_unit_test(seed_a_module_is_byte_exact),
        cmocka_unit_test(seed_b_and_c_modules_match_their_digests),
        cmocka_unit_test(seed_a_solves_match_the_spec),
        cmocka_unit_test(module_size_follows_the_sleb_lengths),
        cmocka_unit_test(emit_refuses_a_small_buffer),
        cmocka_unit_test(base64_pads_and_refuses_small_buffers),
        cmocka_unit_test_setup(challenge_matches_the_end_to_end_vector, reset),
        cmocka_unit_test_setup(empty_secret_is_a_valid_hmac_key, reset),
        cmocka_unit_test(minute_and_period_floor),
        cmocka_unit_test_setup(period_seed_matches_the_mapping_example, reset),
        cmocka_unit_test_setup(script_gives_challenge_generation_and_module, reset),
        cmocka_unit_test_setup(script_uses_the_global_config, reset),
        cmocka_unit_test_setup(reference_checks_of_section_9_1, reset),
        cmocka_unit_test_setup(end_to_end_token_verifies, reset),
        cmocka_unit_test_setup(window_accepts_w_past_minutes_and_no_future_one, reset),
        cmocka_unit_test_setup(tampered_tokens_are_invalid, reset),
        cmocka_unit_test_setup(overlong_input_is_invalid_without_work, reset),
        cmocka_unit_test_setup(previous_period_is_accepted_across_rollover, reset),
        cmocka_unit_test_setup(other_generations_are_invalid, reset),
        cmocka_unit_test_setup(cache_extends_without_refresh, reset),
        cmocka_unit_test_setup(cache_is_bounded_and_evicts_oldest, reset),
        cmocka_unit_test_setup(verify_uses_the_global_config, reset),
        cmocka_unit_test_setup(cache_key_is_sha256_of_the_triple, reset),
        cmocka_unit_test(penalty_is_50_for_missing_and_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
