/* defense: see defense.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "core/config.h"
#include "core/log.h"
#include "store/jobs.h"
#include "store/kv.h"
#include "store/shipper.h"
#include "store/spool.h"
#include "collect/cache.h"
#include "collect/visitor.h"
#include "defense/defense.h"
#include "defense/correlator.h"
#include "defense/feeds.h"
#include "defense/score.h"

#define MOD "defense"
#define SIGHTING_TYPE "botseen"

static int is_hash(const char *s, size_t n)
{
    if (n != VISITOR_IPHASH_LEN)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

/* Ship handler: one SET per distinct sighted hash, one pipelined exchange.
 * Nothing goes to MariaDB, so Redis down simply loses these marks (the
 * architecture's "records ship with the scores they have"). */
static int ship_sightings(const shipper_rec_t *recs, size_t n)
{
    size_t q = 0;
    for (size_t i = 0; i < n; i++) {
        if (!is_hash(recs[i].payload, recs[i].len))
            continue;
        int dup = 0;
        for (size_t j = i; j-- > 0 && i - j <= 32;)   /* cheap local de-dup */
            if (recs[j].len == recs[i].len && memcmp(recs[j].payload, recs[i].payload, recs[i].len) == 0) {
                dup = 1;
                break;
            }
        if (dup)
            continue;
        if (kv_pipe("SET %sbotip:s:%b 1 EX %d", kv_prefix ? kv_prefix : "", recs[i].payload,
                    recs[i].len, SCORE_BOTIP_SUSPECTED_TTL_S) == 0)
            q++;
    }
    for (size_t i = 0; i < q; i++)
        kv_free(kv_pipe_read());
    return 0;
}

int defense_init(void)
{
    static int done;
    if (done)
        return 0;
    done = 1;
    shipper_register(SIGHTING_TYPE, ship_sightings);
    jobs_register("feeds", feeds_job, 1000, JOB_LOCAL);
    jobs_register_bg("correlator", correlator_job, CORR_SWEEP_PERIOD_MS, JOB_CLUSTER, 10L * 60 * 1000);
    if (feeds_reload() < 0)
        log_warn(MOD, "ECHELON_FEEDS_DIR not set: threat feeds disabled");
    return 0;
}

void defense_note_request(req_t *req)
{
    const char *ua = req_header(req, "User-Agent");
    if (!score_is_known_bot(ua))
        return;
    const char *ip = visitor_client_ip(req->arena, cfg->behind_cloudflare, cfg->trust_proxy,
                                       req_header(req, "CF-Connecting-IP"),
                                       req_header(req, "X-Forwarded-For"),
                                       req_header(req, "X-Real-IP"), req_env(req, "REMOTE_ADDR"));
    if (!ip || strcmp(ip, "unknown") == 0)
        return;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    long long now = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    char hash[VISITOR_IPHASH_LEN + 1];
    if (visitor_ip_hash(cache_day_key(now), ip, hash) != 0)
        return;
    if (spool_append(SIGHTING_TYPE, hash, VISITOR_IPHASH_LEN) != 0 &&
        shipper_ship_now(SIGHTING_TYPE, hash, VISITOR_IPHASH_LEN) != 0)
        log_warn(MOD, "suspected-bot sighting lost (spool and Redis unavailable)");
}

/* ---- echelon-ctl commands ---- */

int defense_ctl_correlate(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    size_t flagged = 0;
    long long rows = 0;
    int rc;
    /* a worker's scheduled sweep may hold the lock: wait for it (<= 60 s),
     * so "correlate" always means "a sweep ran after I asked" */
    for (int i = 0; (rc = correlator_sweep_ex(&flagged, &rows)) == 1 && i < 600; i++) {
        struct timespec ts = { 0, 100 * 1000000L };
        nanosleep(&ts, NULL);
    }
    if (rc == 1) {
        fprintf(stderr, "correlate: another sweep holds the lock\n");
        return 1;
    }
    printf("correlate: %zu flagged cluster(s), %lld row(s) raised%s\n", flagged, rows,
           rc ? " (with errors)" : "");
    return rc ? 1 : 0;
}

int defense_ctl_feeds(int argc, char **argv)
{
    const char *from = NULL;
    if (argc >= 1 && strcmp(argv[0], "refresh") == 0) {
        for (int i = 1; i < argc; i++) {
            if (strcmp(argv[i], "--from") == 0 && i + 1 < argc)
                from = argv[++i];
            else {
                fprintf(stderr, "usage: echelon-ctl feeds refresh [--from DIR]\n");
                return 2;
            }
        }
        return feeds_refresh(from) == 0 ? 0 : 1;
    }
    if (argc >= 1 && strcmp(argv[0], "status") == 0) {
        const feeds_t *f = feeds_current();
        feeds_counts_t c;
        feeds_get_counts(f, &c);
        for (int k = 0; k < FEEDS_NKINDS; k++)
            printf("%-30s %zu\n", feeds_file(k), c.n[k]);
        printf("crawler patterns: %zu literal, %zu regex; datacenter intervals: %zu v4, %zu v6\n",
               c.crawler_literal, c.crawler_regex, c.v4, c.v6);
        return f ? 0 : 1;
    }
    fprintf(stderr, "usage: echelon-ctl feeds refresh [--from DIR] | feeds status\n");
    return 2;
}
