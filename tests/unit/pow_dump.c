/* pow_dump.c -- print emitted PoW modules and native hashes for the Node
 * cross-check (test_pow_wasm.sh): the C twin's answers, so that a real
 * WebAssembly runtime can confirm the module computes the same function.
 *
 * Usage: pow_dump [NSEEDS [NINPUTS]]   (defaults 8, 1000)
 * Output, one record per line:
 *   M <module hex>                 a new seed's module
 *   I <input hex or -> <hash hex>  an input ("-" = empty) and solve(input)
 * Seeds: the §3.6 seeds A, B, C, the derived seeds of periods 80555/80556
 * for "test-secret", then NSEEDS pseudo-random ones (fixed xorshift, so a
 * failure reproduces). Inputs: every length 0..40, lengths around 256 and
 * 2048 (length folding keeps only the low byte), then random lengths. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "defense/pow.h"

static uint64_t rng = 0x9E3779B97F4A7C15ULL;

static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void phex(const uint8_t *p, size_t n)
{
    if (n == 0)
        putchar('-');
    for (size_t i = 0; i < n; i++)
        printf("%02x", p[i]);
}

static void dump_seed(const uint8_t seed[POW_SEED_LEN], int ninputs)
{
    static uint8_t in[4096];
    uint8_t mod[POW_MODULE_MAX], h[POW_HASH_LEN];
    size_t n;
    pow_params_t p;

    pow_params_from_seed(seed, &p);
    if (pow_emit(&p, mod, sizeof mod, &n) != 0) {
        fprintf(stderr, "pow_emit failed\n");
        exit(1);
    }
    fputs("M ", stdout);
    phex(mod, n);
    putchar('\n');
    for (int k = 0; k < ninputs; k++) {
        size_t len;
        if (k <= 40)
            len = (size_t)k;
        else if (k < 60)
            len = 246 + (size_t)(k - 41);            /* 246..264 */
        else if (k < 64)
            len = 2045 + (size_t)(k - 60);           /* 2045..2048 */
        else if (k % 50 == 0)
            len = 2049 + next() % 2000;              /* past the output offset */
        else
            len = next() % 300;
        for (size_t i = 0; i < len; i++)
            in[i] = (uint8_t)next();
        if (k % 7 == 3)                              /* some ASCII, tracker-like */
            for (size_t i = 0; i < len; i++)
                in[i] = (uint8_t)(' ' + in[i] % 95);
        pow_hash(&p, in, len, h);
        fputs("I ", stdout);
        phex(in, len);
        putchar(' ');
        phex(h, POW_HASH_LEN);
        putchar('\n');
    }
}

int main(int argc, char **argv)
{
    int nseeds = argc > 1 ? atoi(argv[1]) : 8;
    int ninputs = argc > 2 ? atoi(argv[2]) : 1000;
    uint8_t seed[POW_SEED_LEN];

    for (int i = 0; i < POW_SEED_LEN; i++)
        seed[i] = (uint8_t)i;
    dump_seed(seed, ninputs);
    memset(seed, 0xFF, sizeof seed);
    dump_seed(seed, ninputs);
    memset(seed, 0x00, sizeof seed);
    dump_seed(seed, ninputs);
    for (int64_t per = 80555; per <= 80556; per++) {
        if (pow_period_seed("test-secret", 11, per, seed) != 0)
            return 1;
        dump_seed(seed, ninputs);
    }
    for (int s = 0; s < nseeds; s++) {
        for (int i = 0; i < POW_SEED_LEN; i++)
            seed[i] = (uint8_t)next();
        /* every few seeds, magic constants with few sLEB bytes */
        if (s % 4 == 1)
            for (int i = 0; i < 32; i++)
                if (i % 8)
                    seed[i] = s % 8 == 1 ? 0x00 : 0xFF;
        dump_seed(seed, ninputs);
    }
    return fflush(stdout) == 0 ? 0 : 1;
}
