/* stats_reqs.c -- cluster-wide request statistics and GET /api/stats/vitals
 * (spec/30 §4.1, §4.2, §4.6, §2.5; product decision 11).
 *
 * Recording costs no I/O: stats_note() adds the request to this worker's
 * per-second slots in memory. The "stats-flush" job (JOB_LOCAL, every
 * second, after a response or on an idle wake-up) ships every finished slot
 * to Redis in ONE pipelined exchange: an EVAL per slot that adds n, sum,
 * the histogram and per-path counters to stats:s:<second> and keeps the max,
 * plus HINCRBY of the totals and SET NX of the boot time (key layout in
 * stats.h). The vitals handler sums the last 300 seconds.
 *
 * Percentiles come from a histogram with buckets of 5 % relative width
 * (value reported = the bucket's upper bound, capped by the exact max), the
 * approximation §4.6 allows; avg and max are exact. */
#include "api/stats.h"
#include "api/stats_int.h"
#include "api/stats_util.h"
#include "api/maintain.h"
#include "core/config.h"
#include "core/log.h"
#include "store/jobs.h"
#include "store/kv.h"
#include "store/shipper.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HIST_N 480               /* 1.05^480 us ~ 4 hours: the last bucket catches all */
#define SLOT_PATHS 32            /* distinct paths kept per worker-second */
#define PATH_MAX_LEN 200         /* longer paths are cut (hostile 404 paths) */
#define NSLOTS 8
#define WINDOW_S 300

typedef struct slot {
    long long sec;               /* epoch second; 0 = free */
    long long n, err;
    double sum, max;
    unsigned hist[HIST_N];
    struct { char path[PATH_MAX_LEN + 1]; long long n; double sum; } paths[SLOT_PATHS];
    int npaths;
} slot_t;

static slot_t slots[NSLOTS];

static int hist_bucket(double ms)
{
    double us = ms * 1000.0;
    if (!(us > 1)) return 0;
    int b = (int)ceil(log(us) / log(1.05));
    return b < 0 ? 0 : b >= HIST_N ? HIST_N - 1 : b;
}

static double hist_value(int b)
{
    return pow(1.05, b) / 1000.0;
}

void stats_note(const char *path, int status, double ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    long long sec = ts.tv_sec;
    if (!(ms >= 0)) ms = 0;
    slot_t *s = NULL;
    for (int i = 0; i < NSLOTS && !s; i++)
        if (slots[i].sec == sec) s = &slots[i];
    for (int i = 0; i < NSLOTS && !s; i++)
        if (slots[i].sec == 0) {
            s = &slots[i];
            memset(s, 0, sizeof *s);
            s->sec = sec;
        }
    if (!s) {                    /* no flush for 8 seconds: fold into the newest */
        s = &slots[0];
        for (int i = 1; i < NSLOTS; i++)
            if (slots[i].sec > s->sec) s = &slots[i];
    }
    s->n++;
    s->err += status >= 500;
    s->sum += ms;
    if (ms > s->max) s->max = ms;
    s->hist[hist_bucket(ms)]++;
    const char *p = path ? path : "";
    size_t pl = strlen(p);
    if (pl > PATH_MAX_LEN) pl = PATH_MAX_LEN;
    for (int i = 0; i < s->npaths; i++)
        if (strncmp(s->paths[i].path, p, pl) == 0 && s->paths[i].path[pl] == '\0') {
            s->paths[i].n++;
            s->paths[i].sum += ms;
            return;
        }
    if (s->npaths < SLOT_PATHS) {
        memcpy(s->paths[s->npaths].path, p, pl);
        s->paths[s->npaths].path[pl] = '\0';
        s->paths[s->npaths].n = 1;
        s->paths[s->npaths].sum = ms;
        s->npaths++;
    }
}

void stats_note_request(const req_t *req, const resp_t *resp, double duration_ms)
{
    stats_note(req && req->path ? req->path : "", resp ? resp->status : 0, duration_ms);
}

/* Adds ARGV pairs to KEYS[1]: "ps:*" / "sum" as floats, the rest as
 * integers; ARGV[1] is the max. */
static const char flush_lua[] =
    "local k=KEYS[1] "
    "local m=tonumber(redis.call('HGET',k,'max') or '0') "
    "if tonumber(ARGV[1])>m then redis.call('HSET',k,'max',ARGV[1]) end "
    "for i=2,#ARGV,2 do local f=ARGV[i] "
    "if f=='sum' or string.sub(f,1,3)=='ps:' then redis.call('HINCRBYFLOAT',k,f,ARGV[i+1]) "
    "else redis.call('HINCRBY',k,f,ARGV[i+1]) end end "
    "redis.call('EXPIRE',k,310) return 1";

int stats_flush(long budget_ms)
{
    (void)budget_ms;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int any = 0;
    for (int i = 0; i < NSLOTS; i++) any |= slots[i].sec != 0;
    if (!any) return 0;
    if (kv_is_down()) return -1;
    long long tot_n = 0, tot_err = 0, first = 0;
    int queued = 0;
    enum { MAXARGS = 4 + 2 * (3 + HIST_N + 2 * SLOT_PATHS) };
    static const char *argv[MAXARGS];
    static size_t lens[MAXARGS];
    static char bufs[MAXARGS][PATH_MAX_LEN + 8];
    for (int i = 0; i < NSLOTS; i++) {
        slot_t *s = &slots[i];
        if (!s->sec) continue;
        int a = 0;
        char key[64];
        snprintf(key, sizeof key, "%sstats:s:%lld", kv_prefix, s->sec);
#define ARG(...) do { snprintf(bufs[a], sizeof bufs[a], __VA_ARGS__); \
        argv[a] = bufs[a]; lens[a] = strlen(bufs[a]); a++; } while (0)
        ARG("EVAL");
        argv[a] = flush_lua; lens[a] = sizeof flush_lua - 1; a++;
        ARG("1");
        ARG("%s", key);
        ARG("%.6f", s->max);
        ARG("n"); ARG("%lld", s->n);
        ARG("sum"); ARG("%.6f", s->sum);
        for (int b = 0; b < HIST_N; b++)
            if (s->hist[b]) { ARG("h:%d", b); ARG("%u", s->hist[b]); }
        for (int p = 0; p < s->npaths; p++) {
            ARG("pn:%s", s->paths[p].path); ARG("%lld", s->paths[p].n);
            ARG("ps:%s", s->paths[p].path); ARG("%.6f", s->paths[p].sum);
        }
#undef ARG
        if (kv_pipe_argv(a, argv, lens) == 0) queued++;
        tot_n += s->n;
        tot_err += s->err;
        if (!first || s->sec < first) first = s->sec;
    }
    int ok = 1;
    if (kv_pipe("HINCRBY %sstats:tot n %lld", kv_prefix, tot_n) == 0) queued++;
    if (kv_pipe("HINCRBY %sstats:tot err %lld", kv_prefix, tot_err) == 0) queued++;
    if (kv_pipe("SET %sstats:boot %lld NX", kv_prefix, first * 1000) == 0) queued++;
    for (int i = 0; i < queued; i++) {
        kv_reply_t *r = kv_pipe_read();
        if (!r || kv_type(r) == KV_ERR) ok = 0;
        kv_free(r);
    }
    if (!ok) return -1;          /* keep the slots; retried next second */
    for (int i = 0; i < NSLOTS; i++) slots[i].sec = 0;
    return 0;
}

static int flush_job(long budget_ms)
{
    return stats_flush(budget_ms) < 0 ? -1 : 0;
}

void stats_init(void)
{
    jobs_register("stats-flush", flush_job, 1000, JOB_LOCAL);
    maintain_init();
}

/* ---- reading the window ---- */

typedef struct path_agg {
    char *path;
    long long n;
    double sum;
    long order;
} path_agg_t;

static int cmp_slow(const void *a, const void *b)
{
    const path_agg_t *x = a, *y = b;
    long long ax = stats_round_int(x->sum / (double)x->n), ay = stats_round_int(y->sum / (double)y->n);
    if (ax != ay) return ax > ay ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

/* Adds the request-statistics fields of spec/30 §4.2 to o. */
static void add_request_stats(json_object *o)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    double now_s = (double)ts.tv_sec + ts.tv_nsec / 1e9;
    long long sec = ts.tv_sec;
    long long total = 0, errors = 0, boot_ms = 0;
    long long n = 0;
    double sum = 0, max = 0;
    static long long hist[HIST_N];
    memset(hist, 0, sizeof hist);
    path_agg_t *paths = NULL;
    size_t npaths = 0;
    long order = 0;

    int queued = 0;
    queued += kv_pipe("HMGET %sstats:tot n err", kv_prefix) == 0;
    queued += kv_pipe("GET %sstats:boot", kv_prefix) == 0;
    for (long long s = sec - WINDOW_S + 1; s <= sec; s++)
        queued += kv_pipe("HGETALL %sstats:s:%lld", kv_prefix, s) == 0;
    for (int i = 0; i < queued; i++) {
        kv_reply_t *r = kv_pipe_read();
        if (!r) continue;
        if (i == 0 && kv_type(r) == KV_ARR && kv_nelem(r) == 2) {
            total = kv_int(kv_elem(r, 0));
            errors = kv_int(kv_elem(r, 1));
        } else if (i == 1) {
            boot_ms = kv_int(r);
        } else if (i >= 2 && kv_type(r) == KV_ARR) {
            for (size_t j = 0; j + 1 < kv_nelem(r); j += 2) {
                const char *f = kv_str(kv_elem(r, j));
                const char *v = kv_str(kv_elem(r, j + 1));
                if (!f || !v) continue;
                if (strcmp(f, "n") == 0) n += strtoll(v, NULL, 10);
                else if (strcmp(f, "sum") == 0) sum += strtod(v, NULL);
                else if (strcmp(f, "max") == 0) { double m = strtod(v, NULL); if (m > max) max = m; }
                else if (strncmp(f, "h:", 2) == 0) {
                    long b = strtol(f + 2, NULL, 10);
                    if (b >= 0 && b < HIST_N) hist[b] += strtoll(v, NULL, 10);
                } else if (strncmp(f, "pn:", 3) == 0 || strncmp(f, "ps:", 3) == 0) {
                    const char *p = f + 3;
                    size_t k = 0;
                    while (k < npaths && strcmp(paths[k].path, p) != 0) k++;
                    if (k == npaths) {
                        void *np = realloc(paths, (npaths + 1) * sizeof *paths);
                        if (!np) abort();
                        paths = np;
                        paths[k].path = strdup(p);
                        if (!paths[k].path) abort();
                        paths[k].n = 0;
                        paths[k].sum = 0;
                        paths[k].order = order++;
                        npaths++;
                    }
                    if (f[1] == 'n') paths[k].n += strtoll(v, NULL, 10);
                    else paths[k].sum += strtod(v, NULL);
                }
            }
        }
        kv_free(r);
    }
    double up = boot_ms > 0 ? now_s - (double)boot_ms / 1000.0 : 0;
    if (up < 0) up = 0;
    double w = up < WINDOW_S ? up : WINDOW_S;
    double pct[3] = { 50, 95, 99 };
    double pv[3] = { 0, 0, 0 };
    for (int q = 0; q < 3 && n > 0; q++) {
        size_t k = stats_rank_index(pct[q], (size_t)n);
        long long cum = 0;
        for (int b = 0; b < HIST_N; b++) {
            cum += hist[b];
            if (cum > (long long)k) {
                pv[q] = hist_value(b);
                break;
            }
        }
        if (pv[q] > max) pv[q] = max;
    }
    json_object_object_add(o, "totalRequests", json_object_new_int64(total));
    json_object_object_add(o, "totalErrors", json_object_new_int64(errors));
    json_object_object_add(o, "recentRequests", json_object_new_int64(n));
    json_object_object_add(o, "avgResponseMs", stats_json_double(n ? stats_round2(sum / (double)n) : 0));
    json_object_object_add(o, "p50Ms", stats_json_double(pv[0]));
    json_object_object_add(o, "p95Ms", stats_json_double(pv[1]));
    json_object_object_add(o, "p99Ms", stats_json_double(pv[2]));
    json_object_object_add(o, "maxMs", stats_json_double(n ? max : 0));
    json_object_object_add(o, "rps", stats_json_double(w > 0 ? stats_round2((double)n / w) : 0));
    json_object_object_add(o, "errorRate", stats_json_double(
        total ? stats_round2((double)errors / (double)total * 100) : 0));
    for (size_t k = 0; k < npaths; k++)
        if (paths[k].n <= 0) paths[k].n = 1;
    qsort(paths, npaths, sizeof *paths, cmp_slow);
    json_object *slow = json_object_new_array();
    for (size_t k = 0; k < npaths && k < 5; k++) {
        json_object *e = json_object_new_object();
        json_object_object_add(e, "path", json_object_new_string(paths[k].path));
        json_object_object_add(e, "avgMs", json_object_new_int64(
            stats_round_int(paths[k].sum / (double)paths[k].n)));
        json_object_object_add(e, "count", json_object_new_int64(paths[k].n));
        json_object_array_add(slow, e);
    }
    for (size_t k = 0; k < npaths; k++) free(paths[k].path);
    free(paths);
    json_object_object_add(o, "slowPaths", slow);
    json_object_object_add(o, "uptimeSeconds", json_object_new_int64(stats_round_int(up)));
}

void stats_vitals_handler(req_t *req, resp_t *resp)
{
    (void)req;
    if (cfg->public_mode) {
        resp_error(resp, 403, "redacted", "Not available in public mode");
        return;
    }
    stats_flush(0);              /* this worker's own requests count at once */
    json_object *o = json_object_new_object();
    json_object_object_add(o, "buffers", stats_buffers_json());
    json_object *last = stats_last24h_json();
    int db_ok = last != NULL;
    if (!last) {
        last = json_object_new_object();
        json_object_object_add(last, "total_views", json_object_new_int64(0));
        json_object_object_add(last, "human_views", json_object_new_int64(0));
        json_object_object_add(last, "bot_views", json_object_new_int64(0));
        json_object_object_add(last, "unique_visitors", json_object_new_int64(0));
    }
    json_object_object_add(o, "last_24h", last);
    add_request_stats(o);
    long long recs = 0, age = 0;
    shipper_backlog(&recs, &age);
    json_object *sp = json_object_new_object();
    json_object_object_add(sp, "backlog", json_object_new_int64(recs));
    json_object_object_add(sp, "oldest_age_s", json_object_new_int64(age));
    json_object_object_add(o, "spool", sp);
    json_object *c = json_object_new_object();
    json_object_object_add(c, "mariadb", json_object_new_string(db_ok ? "ok" : "down"));
    json_object_object_add(c, "redis", json_object_new_string(kv_is_down() ? "down" : "ok"));
    json_object_object_add(o, "components", c);
    resp_json(resp, 200, o);
}
