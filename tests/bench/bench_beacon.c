/* bench_beacon: the /b.gif hot path in-process, without FastCGI or a web
 * server: dispatch N stored beacons (valid tokens, distinct sessions and
 * addresses) through the real route table and handlers, appending to a
 * spool directory. Prints microseconds per beacon; run it under
 * `valgrind --tool=callgrind` for instructions per beacon (repeatable).
 * Built and run by tests/bench/bench_beacon.sh against a running stack. */
#define main echelon_worker_main
#include "main.c"
#undef main
#include "collect/cache.h"
#include <stdio.h>

typedef struct { const char *k[16]; const char *v[16]; int n; } envt;
static const char *envf(void *ctx, const char *name)
{
    envt *e = ctx;
    for (int i = 0; i < e->n; i++) if (strcmp(e->k[i], name) == 0) return e->v[i];
    return NULL;
}
static int nullout(void *c, const char *d, size_t n) { (void)c; (void)d; (void)n; return 0; }

int main(int argc, char **argv)
{
    char err[256];
    config_load(err, sizeof err);
    hook_worker_start();
    cache_reload_all();
    FILE *f = fopen(argv[1], "r");   /* one URI per line */
    static char uris[4096][512];
    int nu = 0;
    while (nu < 4096 && fgets(uris[nu], 512, f)) { uris[nu][strcspn(uris[nu], "\n")] = 0; nu++; }
    fclose(f);
    long n = argc > 2 ? atol(argv[2]) : 20000;
    arena_t arena = {0};
    resp_t resp; resp_init(&resp);
    char xff[64];
    /* BENCH_COLD=MB: write over that much memory before each beacon (caches
     * as cold as in a worker that shares its cores with the web server and
     * the client), and time only the beacons. */
    size_t cold = getenv("BENCH_COLD") ? (size_t)atol(getenv("BENCH_COLD")) << 20 : 0;
    unsigned char *junk = cold ? malloc(cold) : NULL;
    double spent = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (long i = 0; i < n; i++) {
        if (junk) {
            for (size_t k = 0; k < cold; k += 64) junk[k] = (unsigned char)(k + i);
            clock_gettime(CLOCK_MONOTONIC, &t0);
        }
        snprintf(xff, sizeof xff, "fd00:%lx:%lx::1", i & 0xffff, (i >> 16) & 0xffff);
        envt e = { {"REQUEST_METHOD","REQUEST_URI","HTTP_USER_AGENT","HTTP_ACCEPT_LANGUAGE","HTTP_SEC_FETCH_SITE","HTTP_SEC_CH_UA","HTTP_X_FORWARDED_FOR","REMOTE_ADDR"},
                   {"GET", uris[i % nu], "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", "en-US,en;q=0.9", "same-origin", "\"Chromium\";v=\"131\"", xff, "127.0.0.1"}, 8 };
        req_t req;
        req_init(&req, &arena, envf, &e);
        resp_reset(&resp);
        dispatch(&req, &resp, NULL);
        resp_send(&resp, &req, nullout, NULL);
        arena_reset(&arena);
        if (junk) {
            clock_gettime(CLOCK_MONOTONIC, &t1);
            spent += (t1.tv_sec - t0.tv_sec) * 1e6 + (t1.tv_nsec - t0.tv_nsec) / 1e3;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double us = junk ? spent / n : ((t1.tv_sec - t0.tv_sec) * 1e6 + (t1.tv_nsec - t0.tv_nsec) / 1e3) / n;
    fprintf(stderr, "%.2f us per beacon (%ld%s)\n", us, n, junk ? ", cold caches" : "");
    return 0;
}
