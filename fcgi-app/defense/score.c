/* score: see score.h. The request-time half is a straight transcription of
 * spec/20 §5.2; the ship-time half is one Lua script per record so that the
 * burst counter, the bot-IP lookup and the correlator print (whose "tainted"
 * flag depends on that lookup) happen atomically and in arrival order within
 * a single pipelined exchange. */
#define _GNU_SOURCE
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gcrypt.h>
#include <json-c/json.h>
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

/* One script call per batch, not per record: Redis spends most of a small
 * script's time entering and leaving Lua (about 40 us a call here), so a
 * per-record script cost more Redis CPU than the beacons' own counters. The
 * script walks the records in arrival order, so counters advance exactly as
 * they would one request at a time; the per-group housekeeping (TTLs, meta,
 * caps, the active-group index) is done once per group per batch. A script
 * rather than plain pipelined calls because the print's "tainted" flag
 * depends on the bot-IP lookup's answer within the same exchange.
 *
 * ARGV: 1 key prefix, 2 burst window ms, 3 print TTL s, 4 per-group member
 *       cap, 5 active-group cap, 6 record count, then per record:
 *       mode (b = increment, e = read), ts ms, ip hash, visitor id,
 *       gid ("" = no print), meta.
 * Returns {count_1, botip_points_1, count_2, botip_points_2, ...}.
 * Keys are built inside the script (one Redis, not a cluster). */
static const char ship_lua[] =
    "local pf, win = ARGV[1], ARGV[2]\n"
    "local ttl, cap, gcap = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])\n"
    "local n = tonumber(ARGV[6])\n"
    "local out, groups, order = {}, {}, {}\n"
    "for i = 0, n - 1 do\n"
    "  local b = 7 + i * 6\n"
    "  local ts, ip, gid = ARGV[b + 1], ARGV[b + 2], ARGV[b + 4]\n"
    "  local bk = pf .. 'burst:' .. ip\n"
    "  local c\n"
    "  if ARGV[b] == 'b' then\n"
    "    redis.call('SET', bk, 0, 'NX', 'PX', win)\n"
    "    c = redis.call('INCR', bk)\n"
    "  else\n"
    "    c = tonumber(redis.call('GET', bk) or '0') or 0\n"
    "  end\n"
    "  local t = redis.call('MGET', pf .. 'botip:c:' .. ip, pf .. 'botip:s:' .. ip)\n"
    "  local p = 0\n"
    "  if t[1] then p = 50 elseif t[2] then p = 20 end\n"
    "  out[#out + 1] = c\n"
    "  out[#out + 1] = p\n"
    "  if gid ~= '' then\n"
    "    redis.call('ZADD', pf .. 'corr:ip:' .. gid, ts, ip)\n"
    "    redis.call('ZADD', pf .. 'corr:vid:' .. gid, ts, ARGV[b + 3])\n"
    "    if p >= 50 then redis.call('ZADD', pf .. 'corr:taint:' .. gid, ts, ip) end\n"
    "    if not groups[gid] then order[#order + 1] = gid end\n"
    "    groups[gid] = {ts, ARGV[b + 5]}\n"
    "  end\n"
    "end\n"
    "for _, gid in ipairs(order) do\n"
    "  local g = groups[gid]\n"
    "  for _, k in ipairs({'ip', 'vid'}) do\n"
    "    local key = pf .. 'corr:' .. k .. ':' .. gid\n"
    "    redis.call('EXPIRE', key, ttl)\n"
    "    if redis.call('ZCARD', key) > cap then redis.call('ZREMRANGEBYRANK', key, 0, -cap - 1) end\n"
    "  end\n"
    "  redis.call('EXPIRE', pf .. 'corr:taint:' .. gid, ttl)\n"
    "  redis.call('SET', pf .. 'corr:meta:' .. gid, g[2], 'EX', ttl)\n"
    "  redis.call('ZADD', pf .. 'corr:groups', g[1], gid)\n"
    "end\n"
    "if #order > 0 then\n"
    "  local gk = pf .. 'corr:groups'\n"
    "  redis.call('EXPIRE', gk, ttl)\n"
    "  if redis.call('ZCARD', gk) > gcap then redis.call('ZREMRANGEBYRANK', gk, 0, -gcap - 1) end\n"
    "end\n"
    "return out\n";

#define CORR_MEMBER_CAP "5000"
#define CORR_GROUP_CAP "100000"
#define SHIP_FIELDS 6

static char ship_sha[41];

static const char *ship_script_sha(void)
{
    if (!ship_sha[0]) {
        unsigned char d[20];
        gcry_md_hash_buffer(GCRY_MD_SHA1, d, ship_lua, sizeof ship_lua - 1);
        for (int i = 0; i < 20; i++)
            snprintf(ship_sha + 2 * i, 3, "%02x", d[i]);
    }
    return ship_sha;
}

size_t score_ship_queue(const score_ship_rec_t *recs, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += recs[i].ip_hash && *recs[i].ip_hash;
    if (!k)
        return 0;
    size_t argc = 9 + SHIP_FIELDS * k, a = 0;
    const char **argv = calloc(argc, sizeof *argv);
    size_t *lens = calloc(argc, sizeof *lens);
    /* per record: ts text, gid, meta live here until the command is queued */
    char (*ts)[24] = calloc(k, sizeof *ts);
    char (*gid)[CORR_GID_LEN + 1] = calloc(k, sizeof *gid);
    char **meta = calloc(k, sizeof *meta);
    char cnt[24];
    size_t q = 0;
    if (!argv || !lens || !ts || !gid || !meta)
        goto out;
    /* Loading first makes EVALSHA safe after a Redis restart or SCRIPT
     * FLUSH: the server runs the pipeline in order. */
    const char *la[3] = { "SCRIPT", "LOAD", ship_lua };
    size_t ll[3] = { 6, 4, sizeof ship_lua - 1 };
    if (kv_pipe_argv(3, la, ll) != 0)
        goto out;
    q++;
    snprintf(cnt, sizeof cnt, "%zu", k);
    argv[a++] = "EVALSHA";
    argv[a++] = ship_script_sha();
    argv[a++] = "0";
    argv[a++] = kv_prefix ? kv_prefix : "";
    argv[a++] = "300000";
    argv[a++] = "1500";
    argv[a++] = CORR_MEMBER_CAP;
    argv[a++] = CORR_GROUP_CAP;
    argv[a++] = cnt;
    argc = a + SHIP_FIELDS * k;
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        const score_ship_rec_t *r = &recs[i];
        if (!r->ip_hash || !*r->ip_hash)
            continue;
        int print = r->kind == SCORE_KIND_BEACON && r->fp_key && r->site_id;
        if (print) {
            correlator_gid(r->site_id, r->fp_key, gid[j]);
            size_t ml = strlen(r->site_id) + strlen(r->fp_key) + 3;
            meta[j] = malloc(ml);
            if (meta[j])
                snprintf(meta[j], ml, "%s||%s", r->site_id, r->fp_key);
            else
                gid[j][0] = '\0';
        }
        snprintf(ts[j], sizeof ts[j], "%lld", r->ts_ms);
        argv[a++] = r->kind == SCORE_KIND_BEACON ? "b" : "e";
        argv[a++] = ts[j];
        argv[a++] = r->ip_hash;
        argv[a++] = r->visitor_id ? r->visitor_id : "";
        argv[a++] = gid[j];
        argv[a++] = meta[j] ? meta[j] : "";
        j++;
    }
    for (size_t i = 0; i < argc; i++)
        lens[i] = strlen(argv[i]);
    if (kv_pipe_argv((int)argc, argv, lens) == 0)
        q++;
out:
    if (meta)
        for (size_t i = 0; i < k; i++)
            free(meta[i]);
    free(meta);
    free(gid);
    free(ts);
    free(lens);
    free(argv);
    return q;
}

void score_ship_apply(score_ship_rec_t *recs, size_t n, kv_reply_t *const *replies,
                      size_t nreplies)
{
    /* reply 0 is SCRIPT LOAD's, reply 1 the script's flat array */
    const kv_reply_t *rep = nreplies >= 2 ? replies[1] : NULL;
    int ok = rep && kv_type(rep) == KV_ARR;
    if (rep && kv_type(rep) == KV_ERR)
        log_warn(MOD, "ship script: %s", kv_str(rep));
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        score_ship_rec_t *r = &recs[i];
        r->score.burst = 0;
        r->score.bot_ip = 0;
        if (r->ip_hash && *r->ip_hash) {
            if (ok && 2 * j + 1 < kv_nelem(rep)) {
                long long cnt = kv_int(kv_elem(rep, 2 * j));
                long long pts = kv_int(kv_elem(rep, 2 * j + 1));
                if (cnt > SCORE_BURST_LIMIT)
                    r->score.burst = 25;
                r->score.bot_ip = (int32_t)(pts == 50 || pts == 20 ? pts : 0);
            }
            j++;
        }
        r->total = score_total(&r->score);
        r->discard = score_discard(&r->score);
    }
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
