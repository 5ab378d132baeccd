/* bench_pow.c -- microbenchmark of PoW verification (prints figures, asserts
 * nothing; not in TESTS). Measures the native hash, a valid token (first
 * sight: window search; then cache hits) and an invalid token (the worst
 * case: W + 1 challenges x 2 generations). */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "core/config.h"
#include "defense/pow.h"

static config_t bench_cfg;
const config_t *cfg = &bench_cfg;
void log_msg(int level, const char *module, const char *fmt, ...)
{
    (void)level, (void)module, (void)fmt;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#define SECRET "bench-secret"
#define SID "550e8400-e29b-41d4-a716-446655440000"
#define SITE "my-site"

int main(void)
{
    enum { N = 200000, M = 20000 };
    const int64_t t0 = 1740000000000LL;
    uint8_t seed[POW_SEED_LEN], h[POW_HASH_LEN];
    char ch[POW_CHALLENGE_LEN + 1], in[128], tok[POW_TOKEN_LEN + 1];
    pow_params_t p;
    pow_result_t r;
    volatile unsigned sink = 0;

    pow_period_seed(SECRET, strlen(SECRET), pow_period(t0), seed);
    pow_params_from_seed(seed, &p);
    pow_challenge(SECRET, strlen(SECRET), pow_minute(t0) - 5, ch);
    int n = snprintf(in, sizeof in, "%s:%s:%s", ch, SID, SITE);

    double a = now_s();
    for (int i = 0; i < N; i++) {
        in[0] = (char)('0' + i % 10);
        pow_hash(&p, in, (size_t)n, h);
        sink += h[0];
    }
    double b = now_s();
    printf("pow_hash (%d bytes):            %8.0f ns\n", n, (b - a) / N * 1e9);

    in[0] = ch[0];
    pow_hash(&p, in, (size_t)n, h);
    for (int i = 0; i < POW_HASH_LEN; i++)
        sprintf(tok + 2 * i, "%02x", h[i]);
    a = now_s();
    for (int i = 0; i < M; i++) {
        pow_reset_caches();
        pow_verify_with(SECRET, strlen(SECRET), 10, t0, tok, 32, SID, strlen(SID), SITE,
                        strlen(SITE), &r);
    }
    b = now_s();
    printf("valid, first sight (cold caches): %8.0f ns\n", (b - a) / M * 1e9);
    pow_verify_with(SECRET, strlen(SECRET), 10, t0, tok, 32, SID, strlen(SID), SITE,
                    strlen(SITE), &r);
    a = now_s();
    for (int i = 0; i < N; i++)
        pow_verify_with(SECRET, strlen(SECRET), 10, t0, tok, 32, SID, strlen(SID), SITE,
                        strlen(SITE), &r);
    b = now_s();
    printf("valid, cache hit:                 %8.0f ns\n", (b - a) / N * 1e9);
    tok[0] = tok[0] == '0' ? '1' : '0';
    a = now_s();
    for (int i = 0; i < M; i++)
        pow_verify_with(SECRET, strlen(SECRET), 10, t0, tok, 32, SID, strlen(SID), SITE,
                        strlen(SITE), &r);
    b = now_s();
    printf("invalid (11 buckets x 2 gens):    %8.0f ns  (result %s)\n", (b - a) / M * 1e9,
           pow_result_str(r));
    return (int)(sink & 0);
}
