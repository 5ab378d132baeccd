/* cache.c -- per-worker caches of shared collection state (see cache.h).
 *
 * Redis keys (full name = kv_prefix + name, collect/live_keys.h):
 *   iphash-key:<date>  read, created with SET NX EX 172800 when missing
 *   gen:campaigns, gen:excluded   read (GET), bumped by the management API
 *   rl:over            ZRANGEBYSCORE <now> +inf, written by the shipper
 * Tables read: utm_campaigns (status 'active'), excluded_visitors.
 *
 * Each set is a sorted array of heap strings owned by this module and
 * replaced as a whole, so a lookup during a reload sees either the old or
 * the new set, never an empty one (spec/10 §5.10 asks for an atomic swap). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include "collect/cache.h"
#include "collect/live_keys.h"
#include "core/log.h"
#include "store/db.h"
#include "store/jobs.h"
#include "store/kv.h"

typedef struct strset {
    char **v;
    size_t n;
} strset_t;

typedef struct daykey {
    char date[11];
    unsigned char key[VISITOR_KEY_LEN];
    int valid;                       /* 1 from Redis, 2 local fallback */
} daykey_t;

static struct {
    daykey_t days[2];                /* today and tomorrow (any order) */
    strset_t campaigns;              /* "site\tcampaign" */
    strset_t excluded;
    strset_t over;
    long long gen_campaigns, gen_excluded;
    long long loaded_campaigns_ms, loaded_excluded_ms;
    int registered;
} C = { .gen_campaigns = -1, .gen_excluded = -1 };

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int cmpstr(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void set_free(strset_t *s)
{
    for (size_t i = 0; i < s->n; i++) free(s->v[i]);
    free(s->v);
    s->v = NULL;
    s->n = 0;
}

static void set_swap(strset_t *dst, strset_t *src)
{
    qsort(src->v, src->n, sizeof(char *), cmpstr);
    set_free(dst);
    *dst = *src;
    src->v = NULL;
    src->n = 0;
}

static int set_has(const strset_t *s, const char *k)
{
    if (s->n == 0 || k == NULL) return 0;
    return bsearch(&k, s->v, s->n, sizeof(char *), cmpstr) != NULL;
}

static int set_add(strset_t *s, size_t *cap, const char *a, const char *b)
{
    if (s->n == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        char **nv = realloc(s->v, nc * sizeof(char *));
        if (!nv) return -1;
        s->v = nv;
        *cap = nc;
    }
    size_t la = strlen(a), lb = b ? strlen(b) : 0;
    char *e = malloc(la + lb + 2);
    if (!e) return -1;
    memcpy(e, a, la);
    if (b) {
        e[la] = '\t';
        memcpy(e + la + 1, b, lb + 1);
    } else
        e[la] = '\0';
    s->v[s->n++] = e;
    return 0;
}

/* ------------------------------------------------------------- day keys */

int cache_parse_day_key(const char *v, size_t n, unsigned char key[VISITOR_KEY_LEN])
{
    if (n == VISITOR_KEY_LEN * 2) {
        for (size_t i = 0; i < VISITOR_KEY_LEN; i++) {
            int hv = 0;
            for (int j = 0; j < 2; j++) {
                char c = v[2 * i + (size_t)j];
                int d = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
                if (d < 0) return -1;
                hv = hv * 16 + d;
            }
            key[i] = (unsigned char)hv;
        }
        return 0;
    }
    if (n == VISITOR_KEY_LEN) {
        memcpy(key, v, VISITOR_KEY_LEN);
        return 0;
    }
    return -1;
}

static daykey_t *day_slot(const char *date)
{
    for (int i = 0; i < 2; i++)
        if (C.days[i].valid && strcmp(C.days[i].date, date) == 0) return &C.days[i];
    return NULL;
}

/* Slot to overwrite: an empty one, else one not holding `keep`. */
static daykey_t *free_slot(const char *keep)
{
    for (int i = 0; i < 2; i++)
        if (!C.days[i].valid) return &C.days[i];
    for (int i = 0; i < 2; i++)
        if (strcmp(C.days[i].date, keep) != 0) return &C.days[i];
    return &C.days[0];
}

/* Get (or create) the key of `date` from Redis. 0 / -1 (Redis down). */
static int fetch_day_key(const char *date, const char *keep)
{
    unsigned char rnd[VISITOR_KEY_LEN];
    char hex[VISITOR_KEY_LEN * 2 + 1];
    if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd) return -1;
    visitor_hex(rnd, sizeof rnd, hex);
    char name[64];
    snprintf(name, sizeof name, LK_SALT, date);
    kv_pipe("SET %s%s %s NX EX %d", kv_prefix, name, hex, LK_SALT_TTL_S);
    kv_pipe("GET %s%s", kv_prefix, name);
    kv_reply_t *r1 = kv_pipe_read();
    kv_reply_t *r2 = kv_pipe_read();
    int rc = -1;
    unsigned char key[VISITOR_KEY_LEN];
    if (r2 && kv_type(r2) == KV_STR && cache_parse_day_key(kv_str(r2), kv_len(r2), key) == 0) {
        daykey_t *d = day_slot(date);
        if (!d || d->valid != 1) {
            if (!d) d = free_slot(keep);
            snprintf(d->date, sizeof d->date, "%s", date);
            memcpy(d->key, key, sizeof key);
            d->valid = 1;
            log_info("collect", "visitor key for %s loaded", date);
        }
        rc = 0;
    }
    kv_free(r1);
    kv_free(r2);
    return rc;
}

const unsigned char *cache_day_key(long long ms)
{
    char date[11];
    visitor_date(ms, date);
    daykey_t *d = day_slot(date);
    if (d) return d->key;
    /* Redis has been unreachable since before this date began: a local key
     * keeps beacons flowing (ids differ per worker until Redis is back). */
    d = free_slot(date);
    snprintf(d->date, sizeof d->date, "%s", date);
    if (getrandom(d->key, sizeof d->key, 0) != (ssize_t)sizeof d->key)
        memset(d->key, 0x5a, sizeof d->key);
    d->valid = 2;
    log_warn("collect", "no shared visitor key for %s: using a per-worker key", date);
    return d->key;
}

static void refresh_day_keys(long long now)
{
    char today[11], tomorrow[11];
    visitor_date(now, today);
    visitor_date(now + 86400000LL, tomorrow);
    daykey_t *d = day_slot(today);
    if (!d || d->valid != 1) fetch_day_key(today, today);
    if ((now % 86400000LL) >= 86400000LL - CACHE_NEXT_DAY_LEAD_MS) {
        d = day_slot(tomorrow);
        if (!d || d->valid != 1) fetch_day_key(tomorrow, today);
    }
}

/* ------------------------------------------------------- MariaDB sets */

static int load_campaigns(void)
{
    db_res_t *r;
    if (db_query(&r, "SELECT `site_id`, `utm_campaign` FROM `utm_campaigns` WHERE `status` = 'active'",
                 "") != 0)
        return -1;
    strset_t s = { 0 };
    size_t cap = 0;
    while (db_next(r))
        if (db_str(r, 0) && db_str(r, 1)) set_add(&s, &cap, db_str(r, 0), db_str(r, 1));
    db_free(r);
    set_swap(&C.campaigns, &s);
    return 0;
}

static int load_excluded(void)
{
    db_res_t *r;
    if (db_query(&r, "SELECT `visitor_id` FROM `excluded_visitors` LIMIT 100000", "") != 0)
        return -1;
    strset_t s = { 0 };
    size_t cap = 0;
    while (db_next(r))
        if (db_str(r, 0)) set_add(&s, &cap, db_str(r, 0), NULL);
    db_free(r);
    set_swap(&C.excluded, &s);
    return 0;
}

static long long gen_of(kv_reply_t *r)
{
    if (!r) return -2;                       /* Redis down: unknown */
    if (kv_type(r) == KV_NIL) return 0;
    return kv_int(r);
}

int cache_refresh_job(long budget_ms)
{
    (void)budget_ms;
    long long now = now_ms();
    refresh_day_keys(now);

    kv_pipe("GET %s%s", kv_prefix, LK_GEN_CAMPAIGNS);
    kv_pipe("GET %s%s", kv_prefix, LK_GEN_EXCLUDED);
    kv_pipe("ZRANGEBYSCORE %s%s %lld +inf", kv_prefix, LK_RL_OVER, now);
    kv_reply_t *g1 = kv_pipe_read(), *g2 = kv_pipe_read(), *ov = kv_pipe_read();
    long long gc = gen_of(g1), ge = gen_of(g2);
    if (ov && kv_type(ov) == KV_ARR) {
        strset_t s = { 0 };
        size_t cap = 0;
        for (size_t i = 0; i < kv_nelem(ov); i++) {
            const kv_reply_t *e = kv_elem(ov, i);
            if (kv_type(e) == KV_STR) set_add(&s, &cap, kv_str(e), NULL);
        }
        set_swap(&C.over, &s);
    }
    kv_free(g1);
    kv_free(g2);
    kv_free(ov);

    if ((gc != -2 && gc != C.gen_campaigns) || now - C.loaded_campaigns_ms >= CACHE_TTL_MS) {
        if (load_campaigns() == 0) {
            C.loaded_campaigns_ms = now;
            if (gc != -2) C.gen_campaigns = gc;
        }
    }
    if ((ge != -2 && ge != C.gen_excluded) || now - C.loaded_excluded_ms >= CACHE_TTL_MS) {
        if (load_excluded() == 0) {
            C.loaded_excluded_ms = now;
            if (ge != -2) C.gen_excluded = ge;
        }
    }
    return 0;
}

void cache_reload_all(void)
{
    C.gen_campaigns = C.gen_excluded = -1;
    C.loaded_campaigns_ms = C.loaded_excluded_ms = 0;
    cache_refresh_job(1000);
}

void cache_init(void)
{
    cache_reload_all();
    if (!C.registered) {
        jobs_register("collect-caches", cache_refresh_job, 1000, JOB_LOCAL);
        C.registered = 1;
    }
}

int cache_campaign_active(const char *site_id, const char *campaign)
{
    if (!site_id || !campaign || !*campaign || C.campaigns.n == 0) return 0;
    char key[64 + 1 + 1024 + 1];
    size_t ls = strlen(site_id), lc = strlen(campaign);
    if (ls + lc + 2 > sizeof key) return 0;
    memcpy(key, site_id, ls);
    key[ls] = '\t';
    memcpy(key + ls + 1, campaign, lc + 1);
    return set_has(&C.campaigns, key);
}

int cache_excluded(const char *visitor_id) { return set_has(&C.excluded, visitor_id); }
int cache_over_limit(const char *ip_hash) { return set_has(&C.over, ip_hash); }
