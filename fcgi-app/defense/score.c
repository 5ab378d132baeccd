/* score: see score.h. The request-time half is a straight transcription of
 * spec/20 §5.2; the ship-time half aggregates a batch in C and sends plain
 * pipelined commands (one INCRBY per distinct IP, one MGET for every IP's
 * bot-IP tiers, one ZADD per print set), so the burst counter, the bot-IP
 * lookup and the correlator prints cost Redis a few commands per distinct
 * address instead of a script call's worth per record ("ship time" below). */
#define _GNU_SOURCE
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <json-c/json.h>
#include "core/buf.h"
#include "core/config.h"
#include "core/log.h"
#include "defense/score.h"
#include "collect/ua.h"
#include "defense/feeds.h"
#include "defense/correlator.h"

#define MOD "score"

/* ---------------------------------------------------------------- helpers */

int score_parse_int(const char *s, long *out)
{
    if (!s)
        return -1;
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '\f' || *s == '\v')
        s++;
    int neg = 0;
    if (*s == '+' || *s == '-')
        neg = (*s++ == '-');
    if (*s < '0' || *s > '9')
        return -1;
    long v = 0;
    for (; *s >= '0' && *s <= '9'; s++) {
        int d = *s - '0';
        if (v > (LONG_MAX - d) / 10) {
            v = LONG_MAX;   /* JS would give a huge number: saturate */
            while (s[1] >= '0' && s[1] <= '9')
                s++;
        } else {
            v = v * 10 + d;
        }
    }
    *out = neg ? -v : v;
    return 0;
}

int score_is_known_bot(const char *ua)
{
    if (!ua || !*ua || !cfg)
        return 0;
    /* One implementation of the drop-list match, shared with collection. */
    return ua_is_known_bot(ua, cfg->bot_ua_patterns.items, cfg->bot_ua_patterns.n);
}

void score_input_init(score_input_t *in, int kind)
{
    memset(in, 0, sizeof *in);
    in->kind = kind;
    in->interaction_ms = -1;
    in->pow_result = SCORE_POW_VALID;
}

void score_read_headers(const req_t *req, score_input_t *in)
{
    in->user_agent = req_header(req, "User-Agent");
    in->has_accept_language = req_header(req, "Accept-Language") != NULL;
    in->has_sec_ch_ua = req_header(req, "Sec-CH-UA") != NULL;
    in->has_sec_fetch_site = req_header(req, "Sec-Fetch-Site") != NULL;
    in->cf_score = 0;
    in->cf_verified = 0;
    if (cfg && cfg->behind_cloudflare) {
        long v;
        const char *s = req_header(req, "cf-bot-score");
        if (s && score_parse_int(s, &v) == 0 && v >= 1 && v <= 99)
            in->cf_score = (int)v;
        s = req_header(req, "cf-verified-bot");
        in->cf_verified = s && strcmp(s, "true") == 0;
    }
}

/* ------------------------------------------------------------ the signals */

static int list_has(const cfg_list_t *l, const char *s)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->items[i] && strcmp(l->items[i], s) == 0)
            return 1;
    return 0;
}

static void upper_copy(const char *s, char *out, size_t outsz)
{
    size_t i = 0;
    for (; s[i] && i + 1 < outsz; i++)
        out[i] = (char)toupper((unsigned char)s[i]);
    out[i] = '\0';
}

static int site_suspect(const char *site, const char *country_up)
{
    char low[128];
    size_t n = strlen(site);
    if (n >= sizeof low)
        return 0;   /* longer than any valid site id: cannot be configured */
    for (size_t i = 0; i <= n; i++)
        low[i] = (char)tolower((unsigned char)site[i]);
    /* A later entry for the same site replaces an earlier one: the config
     * parser may keep both, so the last match decides. */
    const cfg_site_countries_t *hit = NULL;
    for (size_t i = 0; i < cfg->nsite_suspect; i++)
        if (cfg->site_suspect[i].site && strcmp(cfg->site_suspect[i].site, low) == 0)
            hit = &cfg->site_suspect[i];
    return hit && list_has(&hit->countries, country_up);
}

static int path_deep(const char *p)
{
    int pieces = 0;
    for (const char *s = p; *s;) {
        while (*s == '/')
            s++;
        if (!*s)
            break;
        pieces++;
        if (pieces >= 2)
            return 1;
        while (*s && *s != '/')
            s++;
    }
    return 0;
}

/* Lenient-parsed dimension; 0 when absent; NaN reported through *nan. */
static long dim(const char *s, int *nan)
{
    long v;
    if (!s)
        return 0;
    if (score_parse_int(s, &v) != 0) {
        *nan = 1;
        return 0;
    }
    return v;
}

void score_request(const score_input_t *in, score_t *out)
{
    memset(out, 0, sizeof *out);
    long sp = cfg ? cfg->suspect_points : 30;

    /* 1 cf: only with a valid score (the verified flag alone gives nothing) */
    if (in->cf_score >= 1 && in->cf_score <= 99) {
        if (in->cf_verified)
            out->cf = 15;
        else if (in->cf_score <= 2)
            out->cf = 50;
        else if (in->cf_score <= 29)
            out->cf = 30;
        else if (in->cf_score <= 50)
            out->cf = 10;
    }
    int beacon = in->kind == SCORE_KIND_BEACON;
    /* 2 timing */
    if (beacon && !in->is_spa && in->interaction_ms >= 0) {
        if (in->interaction_ms < 850)
            out->timing = 20;
        else if (in->interaction_ms < 1000)
            out->timing = 8;
    }
    /* 3, 4 geo, geo_site */
    if (in->country && *in->country && cfg) {
        char up[64];
        upper_copy(in->country, up, sizeof up);
        if (list_has(&cfg->suspect_countries, up)) {
            out->geo = (int32_t)sp;
            out->geo_hit = 1;
        }
        if (in->site_id && *in->site_id && site_suspect(in->site_id, up)) {
            out->geo_site = (int32_t)sp;
            out->geo_site_hit = 1;
        }
    }
    /* 5 burst: ship time */
    /* 6 headers */
    if (!in->has_accept_language)
        out->headers += 10;
    if (!in->has_sec_ch_ua && !in->has_sec_fetch_site)
        out->headers += 10;
    if (beacon) {
        /* 7 screen: NaN fails every comparison, so an unparsable value
         * never fires on its own account. */
        if (in->sw || in->sh) {
            int wnan = 0, hnan = 0;
            long w = dim(in->sw, &wnan), h = dim(in->sh, &hnan);
            if ((!wnan && (w <= 0 || w > 10000)) || (!hnan && (h <= 0 || h > 10000)))
                out->screen = 10;
        }
        /* 8 referrer */
        if ((!in->referrer || strcmp(in->referrer, "direct_or_unknown") == 0) &&
            in->path && path_deep(in->path))
            out->referrer = 5;
    }
    /* 9-11 feeds */
    const feeds_t *f = feeds_current();
    if (f) {
        int cr = 0, ai = 0;
        if (in->user_agent && *in->user_agent)
            feeds_match_ua(f, in->user_agent, &cr, &ai);
        if (cr)
            out->crawler_feed = 30;
        if (ai)
            out->ai_crawler_feed = 40;
        if (in->client_ip && feeds_match_datacenter(f, in->client_ip))
            out->datacenter_ip = 15;
    }
    /* PoW (spec/20 §4.7) */
    out->pow_result = (uint8_t)in->pow_result;
    out->pow = in->pow_result == SCORE_POW_VALID ? 0 : 50;
}

int score_heuristic(const score_t *s)
{
    long sum = (long)s->cf + s->timing + s->geo + s->geo_site + s->burst + s->headers +
               s->screen + s->referrer + s->crawler_feed + s->ai_crawler_feed +
               s->datacenter_ip;
    return sum > 100 ? 100 : (int)sum;
}

int score_total(const score_t *s)
{
    long t = (long)score_heuristic(s) + s->pow + s->bot_ip;
    return t > 100 ? 100 : (int)t;
}

int score_discard(const score_t *s)
{
    long th = cfg ? cfg->bot_discard_threshold : 50;
    return th > 0 && score_total(s) >= th;
}

/* ------------------------------------------------------------- detail JSON */

static const char *pow_names[] = { "valid", "missing", "invalid" };

int score_detail_json(const score_t *s, char *out, size_t outsz)
{
    json_object *o = json_object_new_object();
    if (!o)
        return -1;
#define PUT(key, v) json_object_object_add(o, key, json_object_new_int(v))
    if (s->cf) PUT("cf", s->cf);
    if (s->timing) PUT("timing", s->timing);
    if (s->geo_hit) PUT("geo", s->geo);
    if (s->geo_site_hit) PUT("geo_site", s->geo_site);
    if (s->burst) PUT("burst", s->burst);
    if (s->headers) PUT("headers", s->headers);
    if (s->screen) PUT("screen", s->screen);
    if (s->referrer) PUT("referrer", s->referrer);
    if (s->crawler_feed) PUT("crawler_feed", s->crawler_feed);
    if (s->ai_crawler_feed) PUT("ai_crawler_feed", s->ai_crawler_feed);
    if (s->datacenter_ip) PUT("datacenter_ip", s->datacenter_ip);
    if (s->pow) {
        PUT("pow", s->pow);
        json_object_object_add(o, "pow_result",
            json_object_new_string(pow_names[s->pow_result <= 2 ? s->pow_result : 2]));
    }
    if (s->bot_ip) PUT("bot_ip", s->bot_ip);
#undef PUT
    size_t n;
    const char *txt = json_object_to_json_string_length(o, HTTP_JSON_FLAGS, &n);
    int rc = -1;
    if (txt && n < outsz) {
        memcpy(out, txt, n + 1);
        rc = (int)n;
    }
    json_object_put(o);
    return rc;
}

int score_from_detail(const char *json, size_t len, score_t *out)
{
    memset(out, 0, sizeof *out);
    if (!json)
        return -1;
    json_tokener *tok = json_tokener_new();
    if (!tok)
        return -1;
    json_object *o = json_tokener_parse_ex(tok, json, (int)(len > INT_MAX ? INT_MAX : len));
    json_tokener_free(tok);
    if (!o || !json_object_is_type(o, json_type_object)) {
        if (o)
            json_object_put(o);
        return -1;
    }
    json_object_object_foreach(o, k, v) {
        int32_t iv = json_object_is_type(v, json_type_int) ? (int32_t)json_object_get_int(v) : 0;
        if (!strcmp(k, "cf")) out->cf = iv;
        else if (!strcmp(k, "timing")) out->timing = iv;
        else if (!strcmp(k, "geo")) { out->geo = iv; out->geo_hit = 1; }
        else if (!strcmp(k, "geo_site")) { out->geo_site = iv; out->geo_site_hit = 1; }
        else if (!strcmp(k, "burst")) out->burst = iv;
        else if (!strcmp(k, "headers")) out->headers = iv;
        else if (!strcmp(k, "screen")) out->screen = iv;
        else if (!strcmp(k, "referrer")) out->referrer = iv;
        else if (!strcmp(k, "crawler_feed")) out->crawler_feed = iv;
        else if (!strcmp(k, "ai_crawler_feed")) out->ai_crawler_feed = iv;
        else if (!strcmp(k, "datacenter_ip")) out->datacenter_ip = iv;
        else if (!strcmp(k, "pow")) out->pow = iv;
        else if (!strcmp(k, "bot_ip")) out->bot_ip = iv;
        else if (!strcmp(k, "pow_result") && json_object_is_type(v, json_type_string)) {
            const char *r = json_object_get_string(v);
            out->pow_result = !strcmp(r, "missing") ? SCORE_POW_MISSING
                            : !strcmp(r, "invalid") ? SCORE_POW_INVALID : SCORE_POW_VALID;
        }
    }
    json_object_put(o);
    return 0;
}

/* ------------------------------------------------------------- ship time */

/* No script: Redis spent about 15 us per record inside the former ship
 * script (each redis.call from Lua costs more than a pipelined command),
 * more than the beacons' own counters. The batch is aggregated in C instead
 * and sent as plain pipelined commands:
 *   per distinct IP with beacons   INCRBY burst:<ip> <beacons>, PEXPIRE NX
 *   all distinct IPs               one MGET of botip:c:<ip> botip:s:<ip> ...
 *   IPs with events only           one MGET of their burst:<ip>
 *   per print group                one ZADD per set with all its members,
 *                                  EXPIRE, cap, meta; one ZADD corr:groups
 * Arrival order still holds: the k-th beacon of an IP in the batch saw the
 * count (total - beacons + k), an event the count before it plus the
 * beacons of its IP that arrived earlier in the batch - what one INCR per
 * beacon in arrival order gives. INCRBY and PEXPIRE NX (a fixed window from
 * the first increment) keep burst:<ip> exactly as SET NX PX + INCR did.
 * A print's "tainted" entry needs the bot-IP answer of the same exchange,
 * so apply() sends those (rare) few ZADDs in a second small exchange. */

#define CORR_MEMBER_CAP 5000
#define CORR_GROUP_CAP 100000


/* Distinct strings of a batch in first-seen order: open addressing over
 * indices (slot = index + 1, 0 = empty). */
typedef struct uniq {
    const char **keys;
    size_t n;
    size_t *slot;
    size_t mask;
} uniq_t;

static int uniq_init(uniq_t *u, size_t max)
{
    size_t cap = 16;
    while (cap < 2 * max)
        cap *= 2;
    u->n = 0;
    u->mask = cap - 1;
    u->keys = calloc(max ? max : 1, sizeof *u->keys);
    u->slot = calloc(cap, sizeof *u->slot);
    if (!u->keys || !u->slot) {
        free(u->keys);
        free(u->slot);
        u->keys = NULL;
        u->slot = NULL;
        return -1;
    }
    return 0;
}

static void uniq_free(uniq_t *u)
{
    free(u->keys);
    free(u->slot);
}

/* Index of k (added when new). The caller never adds more than max keys. */
static size_t uniq_add(uniq_t *u, const char *k)
{
    uint64_t h = 1469598103934665603ULL;
    for (const unsigned char *p = (const unsigned char *)k; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    for (size_t s = (size_t)h & u->mask;; s = (s + 1) & u->mask) {
        if (!u->slot[s]) {
            u->keys[u->n] = k;
            u->slot[s] = ++u->n;
            return u->n - 1;
        }
        if (strcmp(u->keys[u->slot[s] - 1], k) == 0)
            return u->slot[s] - 1;
    }
}

/* The batch's distinct IPs; the same for queue and apply (same records,
 * same order), so apply finds the replies where queue put them. */
typedef struct ship_plan {
    uniq_t ips;
    size_t *rec_ip;             /* per record: IP index, or SIZE_MAX */
    size_t *beacons;            /* per IP: beacons in the batch */
    size_t nev_only;            /* IPs with events only */
} ship_plan_t;

static void plan_free(ship_plan_t *p)
{
    uniq_free(&p->ips);
    free(p->rec_ip);
    free(p->beacons);
}

static int plan_make(const score_ship_rec_t *recs, size_t n, ship_plan_t *p)
{
    memset(p, 0, sizeof *p);
    p->rec_ip = malloc((n ? n : 1) * sizeof *p->rec_ip);
    p->beacons = calloc(n ? n : 1, sizeof *p->beacons);
    if (!p->rec_ip || !p->beacons || uniq_init(&p->ips, n) != 0) {
        free(p->rec_ip);
        free(p->beacons);
        memset(p, 0, sizeof *p);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        p->rec_ip[i] = SIZE_MAX;
        if (!recs[i].ip_hash || !*recs[i].ip_hash)
            continue;
        size_t k = uniq_add(&p->ips, recs[i].ip_hash);
        p->rec_ip[i] = k;
        p->beacons[k] += recs[i].kind == SCORE_KIND_BEACON;
    }
    for (size_t k = 0; k < p->ips.n; k++)
        p->nev_only += p->beacons[k] == 0;
    return 0;
}

/* Keys are built in C (one Redis, not a cluster), into a reused buffer. */
static const char *key_of(buf_t *b, const char *a, const char *c)
{
    b->len = 0;
    buf_puts(b, kv_prefix ? kv_prefix : "");
    buf_puts(b, a);
    buf_puts(b, c);
    buf_putc(b, '\0');
    return b->p;
}

/* One MGET over every IP: per IP `botip:c:<ip> botip:s:<ip>`, or (events
 * only) `burst:<ip>` for the IPs with no beacon in the batch. */
static int queue_mget(const ship_plan_t *p, int botip)
{
    size_t nk = botip ? 2 * p->ips.n : p->nev_only, a = 0;
    char **keys = calloc(nk + 1, sizeof *keys);
    const char **argv = calloc(nk + 1, sizeof *argv);
    size_t *lens = calloc(nk + 1, sizeof *lens);
    int rc = -1;
    if (!keys || !argv || !lens)
        goto out;
    argv[0] = "MGET";
    lens[0] = 4;
    const char *pf = kv_prefix ? kv_prefix : "";
    for (size_t k = 0; k < p->ips.n; k++) {
        const char *ip = p->ips.keys[k];
        if (botip) {
            if (asprintf(&keys[a++], "%sbotip:c:%s", pf, ip) < 0 ||
                asprintf(&keys[a++], "%sbotip:s:%s", pf, ip) < 0)
                goto out;
        } else if (!p->beacons[k] && asprintf(&keys[a++], "%sburst:%s", pf, ip) < 0) {
            goto out;
        }
    }
    for (size_t i = 0; i < a; i++) {
        argv[i + 1] = keys[i];
        lens[i + 1] = strlen(keys[i]);
    }
    rc = kv_pipe_argv((int)(a + 1), argv, lens);
out:
    for (size_t i = 0; keys && i < nk; i++)
        free(keys[i]);
    free(keys);
    free(argv);
    free(lens);
    return rc;
}

/* A print group's members in arrival order (ZADD keeps the last score of a
 * member named twice, as one ZADD per record did). */
typedef struct print_grp {
    char gid[CORR_GID_LEN + 1];
    const char *meta_site, *meta_fp;
    long long last_ts;
    size_t first, count;        /* members in order[first .. first+count) */
} print_grp_t;

static int argv_push(const char ***argv, size_t **lens, size_t *n, size_t *cap, const char *s)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        const char **na = realloc(*argv, nc * sizeof *na);
        if (!na)
            return -1;
        *argv = na;
        size_t *nl = realloc(*lens, nc * sizeof *nl);
        if (!nl)
            return -1;
        *lens = nl;
        *cap = nc;
    }
    (*argv)[*n] = s;
    (*lens)[*n] = strlen(s);
    (*n)++;
    return 0;
}

/* The ZADD queued from argv, then its key's TTL and its size cap (keep the
 * newest members: ZREMRANGEBYRANK 0 <-cap-1>). Returns the commands queued. */
static size_t pipe_capped_zadd(size_t argc, const char **argv, const size_t *lens, const char *key,
                               const char *ttl, const char *cap)
{
    size_t q = kv_pipe_argv((int)argc, argv, lens) == 0;
    q += kv_pipe_strs("EXPIRE", key, ttl, NULL) == 0;
    q += kv_pipe_strs("ZREMRANGEBYRANK", key, "0", cap) == 0;
    return q;
}

/* Queue the print commands of the batch; returns the number queued. */
static size_t queue_prints(const score_ship_rec_t *recs, size_t n)
{
    size_t np = 0;
    for (size_t i = 0; i < n; i++)
        np += recs[i].kind == SCORE_KIND_BEACON && recs[i].fp_key && recs[i].site_id &&
              recs[i].ip_hash && *recs[i].ip_hash;
    if (!np)
        return 0;
    char (*gid)[CORR_GID_LEN + 1] = calloc(np, sizeof *gid);
    char (*ts)[24] = calloc(np, sizeof *ts);
    size_t *rec = calloc(np, sizeof *rec), *grp_of = calloc(np, sizeof *grp_of);
    size_t *order = calloc(np, sizeof *order);
    print_grp_t *g = calloc(np, sizeof *g);
    const char **argv = NULL;
    size_t *lens = NULL, argc = 0, cap = 0, q = 0;
    char (*gts)[24] = NULL;
    buf_t kb;
    uniq_t u = { 0 };
    buf_init(&kb);
    if (!gid || !ts || !rec || !grp_of || !order || !g || uniq_init(&u, np) != 0)
        goto out;
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        const score_ship_rec_t *r = &recs[i];
        if (!(r->kind == SCORE_KIND_BEACON && r->fp_key && r->site_id && r->ip_hash && *r->ip_hash))
            continue;
        /* a SHA-256 per print, unless it repeats the previous print's group */
        if (j && strcmp(r->fp_key, recs[rec[j - 1]].fp_key) == 0 &&
            strcmp(r->site_id, recs[rec[j - 1]].site_id) == 0)
            memcpy(gid[j], gid[j - 1], sizeof gid[j]);
        else
            correlator_gid(r->site_id, r->fp_key, gid[j]);
        buf_dec(ts[j], r->ts_ms);
        rec[j] = i;
        size_t k = uniq_add(&u, gid[j]);
        grp_of[j] = k;
        if (g[k].count == 0)
            memcpy(g[k].gid, gid[j], sizeof g[k].gid);
        g[k].meta_fp = r->fp_key;           /* the last print's, as before */
        g[k].meta_site = r->site_id;
        g[k].last_ts = r->ts_ms;
        g[k].count++;
        j++;
    }
    /* counting sort of the prints by group, arrival order within a group */
    for (size_t k = 0, at = 0; k < u.n; k++) {
        g[k].first = at;
        at += g[k].count;
        g[k].count = 0;
    }
    for (j = 0; j < np; j++) {
        print_grp_t *x = &g[grp_of[j]];
        order[x->first + x->count++] = j;
    }
    gts = calloc(u.n + 1, sizeof *gts);
    if (!gts)
        goto out;
    const char *pf = kv_prefix ? kv_prefix : "";
    char ttl[16], capm[16], capg[16];
    snprintf(ttl, sizeof ttl, "%d", CORR_KEY_TTL_S);
    snprintf(capm, sizeof capm, "%d", -CORR_MEMBER_CAP - 1);
    snprintf(capg, sizeof capg, "%d", -CORR_GROUP_CAP - 1);
    for (size_t k = 0; k < u.n; k++) {
        static const char *sets[2] = { "corr:ip:", "corr:vid:" };
        for (int s = 0; s < 2; s++) {
            const char *key = key_of(&kb, sets[s], g[k].gid);
            argc = 0;
            if (argv_push(&argv, &lens, &argc, &cap, "ZADD") || argv_push(&argv, &lens, &argc, &cap, key))
                goto out;
            for (size_t m = 0; m < g[k].count; m++) {
                const score_ship_rec_t *r = &recs[rec[order[g[k].first + m]]];
                if (argv_push(&argv, &lens, &argc, &cap, ts[order[g[k].first + m]]) ||
                    argv_push(&argv, &lens, &argc, &cap, s ? (r->visitor_id ? r->visitor_id : "") : r->ip_hash))
                    goto out;
            }
            q += pipe_capped_zadd(argc, argv, lens, key, ttl, capm);
        }
        if (kv_pipe("SET %scorr:meta:%s %s||%s EX %s", pf, g[k].gid, g[k].meta_site, g[k].meta_fp, ttl) == 0)
            q++;
    }
    const char *gk = key_of(&kb, "corr:groups", "");
    argc = 0;
    if (argv_push(&argv, &lens, &argc, &cap, "ZADD") || argv_push(&argv, &lens, &argc, &cap, gk))
        goto out;
    for (size_t k = 0; k < u.n; k++) {
        buf_dec(gts[k], g[k].last_ts);
        if (argv_push(&argv, &lens, &argc, &cap, gts[k]) ||
            argv_push(&argv, &lens, &argc, &cap, g[k].gid))
            goto out;
    }
    q += pipe_capped_zadd(argc, argv, lens, gk, ttl, capg);
out:
    if (u.slot)
        uniq_free(&u);
    buf_free(&kb);
    free(gts);
    free(argv);
    free(lens);
    free(g);
    free(order);
    free(grp_of);
    free(rec);
    free(ts);
    free(gid);
    return q;
}

static int has_print(const score_ship_rec_t *r)
{
    return r->kind == SCORE_KIND_BEACON && r->fp_key && r->site_id && r->ip_hash && *r->ip_hash;
}

/* Replies of the decision part (before the prints' replies). */
static size_t plan_replies(const ship_plan_t *p)
{
    size_t q = 1 + (p->nev_only > 0);
    for (size_t k = 0; k < p->ips.n; k++)
        q += p->beacons[k] ? 2 : 0;
    return q;
}

size_t score_ship_queue(const score_ship_rec_t *recs, size_t n)
{
    ship_plan_t p;
    if (plan_make(recs, n, &p) != 0)
        return 0;
    size_t q = 0;
    if (p.ips.n) {
        buf_t kb;
        char win[24];
        buf_init(&kb);
        buf_dec(win, SCORE_BURST_WINDOW_MS);
        for (size_t k = 0; k < p.ips.n; k++) {
            if (!p.beacons[k])
                continue;
            char nb[24];
            const char *key = key_of(&kb, "burst:", p.ips.keys[k]);
            q += kv_pipe_strs("INCRBY", key, buf_dec(nb, (long long)p.beacons[k]), NULL) == 0;
            q += kv_pipe_strs("PEXPIRE", key, win, "NX") == 0;
        }
        buf_free(&kb);
        q += queue_mget(&p, 1) == 0;
        if (p.nev_only)
            q += queue_mget(&p, 0) == 0;
        q += queue_prints(recs, n);
    }
    plan_free(&p);
    return q;
}

/* Tainted prints: the IP is a confirmed bot (bot_ip 50). One small
 * exchange, only for batches that hold such a print. */
static void record_taints(const score_ship_rec_t *recs, size_t n)
{
    size_t q = 0;
    const char *pf = kv_prefix ? kv_prefix : "";
    for (size_t i = 0; i < n; i++) {
        const score_ship_rec_t *r = &recs[i];
        if (!has_print(r) || r->score.bot_ip < 50)
            continue;
        char gid[CORR_GID_LEN + 1];
        correlator_gid(r->site_id, r->fp_key, gid);
        q += kv_pipe("ZADD %scorr:taint:%s %lld %s", pf, gid, r->ts_ms, r->ip_hash) == 0;
        q += kv_pipe("EXPIRE %scorr:taint:%s %d", pf, gid, CORR_KEY_TTL_S) == 0;
    }
    for (size_t i = 0; i < q; i++)
        kv_free(kv_pipe_read());
}

void score_ship_apply(score_ship_rec_t *recs, size_t n, kv_reply_t *const *replies,
                      size_t nreplies)
{
    ship_plan_t p;
    int ok = plan_make(recs, n, &p) == 0;
    size_t nips = ok ? p.ips.n : 0;
    long long *before = calloc(nips ? nips : 1, sizeof *before);
    long long *seen = calloc(nips ? nips : 1, sizeof *seen);
    int *pts = calloc(nips ? nips : 1, sizeof *pts);
    ok = ok && before && seen && pts && nips && replies && nreplies >= plan_replies(&p);
    size_t r = 0;
    for (size_t k = 0; ok && k < nips; k++) {
        if (!p.beacons[k])
            continue;
        const kv_reply_t *c = replies[r];
        r += 2;
        if (!c || kv_type(c) != KV_INT) {
            if (c && kv_type(c) == KV_ERR)
                log_warn(MOD, "burst counter: %s", kv_str(c));
            ok = 0;
            break;
        }
        before[k] = kv_int(c) - (long long)p.beacons[k];
    }
    const kv_reply_t *m = ok ? replies[r++] : NULL;
    if (ok && (!m || kv_type(m) != KV_ARR || kv_nelem(m) != 2 * nips))
        ok = 0;
    for (size_t k = 0; ok && k < nips; k++)
        pts[k] = kv_type(kv_elem(m, 2 * k)) != KV_NIL ? 50
               : kv_type(kv_elem(m, 2 * k + 1)) != KV_NIL ? 20 : 0;
    if (ok && p.nev_only) {
        const kv_reply_t *b = replies[r++];
        if (!b || kv_type(b) != KV_ARR || kv_nelem(b) != p.nev_only)
            ok = 0;
        for (size_t k = 0, e = 0; ok && k < nips; k++)
            if (!p.beacons[k])
                before[k] = kv_int(kv_elem(b, e++));     /* nil: 0 */
    }
    int taints = 0;
    for (size_t i = 0; i < n; i++) {
        score_ship_rec_t *x = &recs[i];
        x->score.burst = 0;
        x->score.bot_ip = 0;
        if (ok && p.rec_ip[i] != SIZE_MAX) {
            size_t k = p.rec_ip[i];
            if (x->kind == SCORE_KIND_BEACON)
                seen[k]++;
            if (before[k] + seen[k] > SCORE_BURST_LIMIT)
                x->score.burst = 25;
            x->score.bot_ip = pts[k];
            taints |= pts[k] >= 50 && has_print(x);
        }
        x->total = score_total(&x->score);
        x->discard = score_discard(&x->score);
    }
    if (taints)
        record_taints(recs, n);
    free(before);
    free(seen);
    free(pts);
    plan_free(&p);
}

int score_ship_batch(score_ship_rec_t *recs, size_t n)
{
    size_t q = score_ship_queue(recs, n);
    if (q == 0) {
        score_ship_apply(recs, n, NULL, 0);
        return 0;
    }
    kv_reply_t **rep = calloc(q, sizeof *rep);
    if (!rep)
        return -1;
    int down = 0;
    for (size_t i = 0; i < q; i++) {
        rep[i] = kv_pipe_read();
        if (!rep[i])
            down = 1;
    }
    score_ship_apply(recs, n, rep, q);
    for (size_t i = 0; i < q; i++)
        kv_free(rep[i]);
    free(rep);
    return down ? -1 : 0;
}
