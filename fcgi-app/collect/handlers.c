/* handlers.c -- GET /b.gif (spec/10 §5) and POST /e (§6).
 *
 * Request path, CPU only (ARCHITECTURE.md "The life of a beacon"):
 *   client IP + hash (day key from collect/cache) -> published over-limit
 *   set -> origin check (/b.gif, restricted mode) -> known-bot UA -> parse ->
 *   site filter -> visitor id -> exclusion -> request-time score + PoW ->
 *   anonymise -> ONE spool append -> answer.
 * The shipper (collect/ship.c) later applies the rate limit, burst, bot-IP
 * tiers, the final score and discard, realtime counters and the INSERT.
 * Every path leaves exactly one spool record that counts toward the rate
 * limit (README decision 9: requests that store nothing still count). */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "collect/anon.h"
#include "collect/beacon.h"
#include "collect/cache.h"
#include "collect/collect.h"
#include "collect/events.h"
#include "collect/geo.h"
#include "collect/record.h"
#include "collect/referrer.h"
#include "collect/ship.h"
#include "collect/ua.h"
#include "collect/visitor.h"
#include "core/config.h"
#include "core/cors.h"
#include "core/log.h"
#include "defense/correlator.h"
#include "defense/pow.h"
#include "defense/score.h"
#include "store/shipper.h"
#include "store/spool.h"

/* spec/10 Appendix A */
const unsigned char collect_gif[COLLECT_GIF_LEN] = {
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0xFF, 0xFF,
    0xFF, 0x00, 0x00, 0x00, 0x21, 0xF9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2C, 0x00, 0x00,
    0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3B,
};

void collect_init(void)
{
    ship_init();
    cache_init();
}

static long long wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void collect_client(req_t *req, collect_client_t *c)
{
    memset(c, 0, sizeof *c);
    c->now_ms = wall_ms();
    /* headers the configuration does not trust are not even looked up */
    int cf = cfg->behind_cloudflare, proxy = cfg->trust_proxy;
    const char *xff = proxy ? req_header(req, "X-Forwarded-For") : NULL;
    c->ip = visitor_client_ip(req->arena, cf, proxy, cf ? req_header(req, "CF-Connecting-IP") : NULL,
                              xff, proxy && !(xff && *xff) ? req_header(req, "X-Real-IP") : NULL,
                              req_env(req, "REMOTE_ADDR"));
    c->ip_known = strcmp(c->ip, "unknown") != 0;
    /* "unknown" is one shared rate-limit bucket (§2.4), so it is hashed
     * too; defense/ only gets the hash of a known IP. */
    if (visitor_ip_hash(cache_day_key(c->now_ms), c->ip, c->ip_hash) != 0)
        c->ip_hash[0] = '\0';
}

int collect_over_limit(const collect_client_t *c)
{
    return cfg->rate_limit_max > 0 && c->ip_hash[0] && cache_over_limit(c->ip_hash);
}

_Static_assert(sizeof ((rec_t *)0)->ip_hash == sizeof ((collect_client_t *)0)->ip_hash,
               "the record copies the client's IP hash whole");

static void spool_rec(const rec_t *r)
{
    /* one buffer per worker, reused: no malloc/free per record; a rare
     * huge record (an event batch) does not keep its memory */
    static buf_t b;
    buf_reset(&b);
    rec_to_json(r, &b);
    if (spool_append(REC_SPOOL_TYPE, b.p, b.len) != SPOOL_OK &&
        shipper_ship_now(REC_SPOOL_TYPE, b.p, b.len) != SHIPPER_OK)
        log_err("collect", "record lost: spool and direct shipping both failed");
    if (b.cap > 65536) buf_free(&b);
}

/* A record of `kind` for this client, counted toward its rate limit. */
static void rec_begin(rec_t *r, int kind, const collect_client_t *c)
{
    memset(r, 0, sizeof *r);
    r->kind = kind;
    r->ts_ms = c->now_ms;
    r->rl = 1;
    memcpy(r->ip_hash, c->ip_hash, sizeof r->ip_hash);
    r->ip_known = c->ip_known;
}

void collect_count(const collect_client_t *c)
{
    rec_t r;
    rec_begin(&r, REC_HIT, c);
    spool_rec(&r);
}

static void gif(req_t *req, resp_t *resp, int cors)
{
    resp_set(resp, 200, "image/gif", (const char *)collect_gif, COLLECT_GIF_LEN);
    resp_header(resp, "Cache-Control", "no-store");
    if (cors) cors_headers(req, resp);
}

static int header_allowed(const char *v)
{
    char host[256];
    return v && cors_origin_host(v, host, sizeof host) == 0 &&
           config_list_has(&cfg->allowed_origins, host);
}

/* §2.10 */
static int site_dropped(arena_t *a, const char *site)
{
    char *lower = arena_strdup(a, site);
    for (char *p = lower; *p; p++)
        if (*p >= 'A' && *p <= 'Z') *p = (char)(*p + 32);
    if (config_list_has(&cfg->ignored_sites, lower)) return 1;
    if (cfg->allowed_sites.n && !config_list_has(&cfg->allowed_sites, lower)) return 1;
    return 0;
}

static int pow_for(long long now, const char *tok, const char *sid, const char *site)
{
    pow_result_t pr = POW_MISSING;
    if (tok && *tok)
        pow_verify(now, tok, strlen(tok), sid, strlen(sid), site, strlen(site), &pr);
    return pr == POW_VALID ? SCORE_POW_VALID : pr == POW_MISSING ? SCORE_POW_MISSING
                                                                  : SCORE_POW_INVALID;
}

static int anonymized(const char *site)
{
    return anon_site(site, cfg->anonymize_sites.items, cfg->anonymize_sites.n);
}

static void anon_key_today(arena_t *a, anon_key_t *k, long long now)
{
    char date[11];
    visitor_date(now, date);
    const char *sec = cfg->secret ? cfg->secret : "";
    anon_key_init(a, k, sec, strlen(sec), date);
}

/* ------------------------------------------------------------- /b.gif */

void collect_beacon_handler(req_t *req, resp_t *resp)
{
    arena_t *a = req->arena;
    collect_client_t c;
    collect_client(req, &c);

    if (collect_over_limit(&c)) {
        collect_count(&c);
        gif(req, resp, 0);
        return;
    }
    if (cfg->allowed_origins.n && !header_allowed(req_header(req, "Origin")) &&
        !header_allowed(req_header(req, "Referer"))) {
        collect_count(&c);
        gif(req, resp, 0);
        return;
    }
    const char *ua = req_header(req, "User-Agent");
    if (ua_is_known_bot(ua, cfg->bot_ua_patterns.items, cfg->bot_ua_patterns.n)) {
        collect_count(&c);
        gif(req, resp, 1);
        return;
    }
    beacon_params_t p;
    beacon_parse(req, &p);
    if (site_dropped(a, p.site_id)) {
        collect_count(&c);
        gif(req, resp, 1);
        return;
    }

    /* §5.5 identity */
    const char *vid;
    int returning = 0;
    char idbuf[17];
    if (p.cookie_mode) {
        const char *ev = visitor_cookie_ev(a, req_header(req, "Cookie"));
        if (ev) {
            vid = ev;
            returning = 1;
        } else {
            if (visitor_random_id(idbuf) != 0) idbuf[0] = '\0';
            vid = arena_strdup(a, idbuf);
        }
    } else {
        char date[11];
        visitor_date(c.now_ms, date);
        if (visitor_cookieless_id(cache_day_key(c.now_ms), c.ip, ua, p.site_id, date, idbuf) != 0)
            idbuf[0] = '\0';
        vid = arena_strdup(a, idbuf);
    }

    gif(req, resp, 1);
    if (p.cookie_mode && *vid)
        resp_header(resp, "Set-Cookie",
                    arena_printf(a, "_ev=%s; Path=/; HttpOnly; SameSite=None; Secure; "
                                    "Partitioned; Max-Age=%d", vid, VISITOR_COOKIE_MAX_AGE));

    if (!beacon_recordable(&p) || !*vid || cache_excluded(vid)) {
        collect_count(&c);
        return;
    }

    rec_t r;
    rec_begin(&r, REC_VIEW, &c);
    rec_view_t *v = &r.view;
    if (rec_new_id(v->id) != 0) {
        collect_count(&c);
        return;
    }
    const char *country = geo_country(req, c.ip);
    v->visitor_id = vid;
    v->path = p.path;
    v->site_id = p.site_id;
    v->session_id = p.sid;
    v->interaction_ms = p.interaction_ms;
    v->has_w = p.has_w;
    v->w = p.w;
    v->has_h = p.has_h;
    v->h = p.h;
    v->device_type = p.has_w ? ua_device_from_width(p.w) : NULL;
    v->os_name = ua_os(a, ua);
    ua_browser(a, ua, &v->browser_name, &v->browser_version);
    v->country_code = country;
    v->is_returning = returning;
    v->referrer = p.referrer;
    v->referrer_type = p.referrer_type;
    v->is_pwa = p.is_pwa;
    if (p.utm_campaign && *p.utm_campaign && cache_campaign_active(p.site_id, p.utm_campaign))
        beacon_utm(a, &p, v->utm);

    /* request-time half of the score (spec/20 §1.2 steps 6-7) */
    score_input_t in;
    score_input_init(&in, SCORE_KIND_BEACON);
    score_read_headers(req, &in);
    in.site_id = p.site_id;
    in.client_ip = c.ip_known ? c.ip : NULL;
    in.country = country;
    in.is_spa = p.is_spa;
    in.interaction_ms = p.score_interaction;
    in.sw = p.sw;
    in.sh = p.sh;
    in.referrer = p.referrer;
    in.path = p.path;
    in.pow_result = pow_for(c.now_ms, p.tok, p.sid ? p.sid : "", p.site_id);
    score_request(&in, &r.score);

    char fp[CORR_FP_MAX];
    correlator_fp_key(v->os_name, v->browser_name, v->browser_version, p.sw, p.sh, country,
                      req_header(req, "Accept-Language"), fp, sizeof fp);
    r.fp = fp;
    r.vid0 = vid;

    if (anonymized(p.site_id)) {
        anon_key_t k;
        anon_key_today(a, &k, c.now_ms);
        anon_view_t av = {
            .visitor_id = v->visitor_id, .session_id = v->session_id, .path = v->path,
            .country_code = v->country_code, .device_type = v->device_type,
            .os_name = v->os_name, .browser_name = v->browser_name,
            .browser_version = v->browser_version, .referrer = v->referrer,
            .utm = { v->utm[0], v->utm[1], v->utm[2], v->utm[3], v->utm[4] },
            .has_w = v->has_w, .has_h = v->has_h, .w = v->w, .h = v->h,
        };
        anon_view(a, &k, &av);
        v->visitor_id = av.visitor_id;
        v->session_id = av.session_id;
        v->path = av.path;
        v->country_code = av.country_code;
        v->device_type = av.device_type;
        v->os_name = av.os_name;
        v->browser_name = av.browser_name;
        v->browser_version = av.browser_version;
        v->referrer = av.referrer;
        for (int i = 0; i < 5; i++) v->utm[i] = av.utm[i];
        v->has_w = av.has_w;
        v->has_h = av.has_h;
        v->w = av.w;
        v->h = av.h;
    }
    /* the shipper makes the discard decision (burst and bot-IP tiers need
     * history), and it records the correlator print even for discarded
     * views (spec/20 §1.2 step 10), so the record is spooled regardless */
    spool_rec(&r);
}

/* ---------------------------------------------------------------- /e */

void collect_events_handler(req_t *req, resp_t *resp)
{
    arena_t *a = req->arena;
    collect_client_t c;
    collect_client(req, &c);

    if (collect_over_limit(&c)) {
        collect_count(&c);
        resp_set(resp, 429, NULL, NULL, 0);
        return;
    }
    cors_headers(req, resp);
    resp->status = 204;
    const char *ua = req_header(req, "User-Agent");
    if (ua_is_known_bot(ua, cfg->bot_ua_patterns.items, cfg->bot_ua_patterns.n)) {
        collect_count(&c);
        return;
    }
    /* Rate limit and known bots come before the size check (spec/10 §6.1). */
    if (req_read_body(req, COLLECT_EVENTS_BODY_MAX) == 413) {
        resp->status = 413;
        return;
    }
    ev_body_t body;
    int st = events_parse(a, req->body, req->body ? req->body_len : 0, &body);
    if (st != 0 || !body.has_events || site_dropped(a, body.site_id)) {
        if (st != 0) resp->status = st;
        collect_count(&c);
        return;
    }
    /* §6.4 batch context */
    const char *vid = visitor_cookie_ev(a, req_header(req, "Cookie"));
    int returning = vid != NULL;
    if (!vid) {
        char date[11], idbuf[17];
        visitor_date(c.now_ms, date);
        if (visitor_cookieless_id(cache_day_key(c.now_ms), c.ip, ua, body.site_id, date, idbuf) != 0) {
            collect_count(&c);
            return;
        }
        vid = arena_strdup(a, idbuf);
    }
    if (cache_excluded(vid)) {
        collect_count(&c);
        return;
    }

    rec_t r;
    rec_begin(&r, REC_EVENTS, &c);
    const char *country = geo_country(req, c.ip);
    score_input_t in;
    score_input_init(&in, SCORE_KIND_EVENTS);
    score_read_headers(req, &in);
    in.site_id = body.site_id;
    in.client_ip = c.ip_known ? c.ip : NULL;
    in.country = country;
    in.pow_result = pow_for(c.now_ms, body.tok, body.pow_sid, body.site_id);
    score_request(&in, &r.score);
    /* the score only grows at ship time: a batch already at the threshold
     * is dropped now (events leave no correlator print) */
    if (score_discard(&r.score) || body.n == 0) {
        collect_count(&c);
        return;
    }
    r.vid0 = vid;

    rec_events_t *e = &r.events;
    time_t t = (time_t)(c.now_ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    e->site_id = body.site_id;
    e->visitor_id = vid;
    e->is_returning = returning;
    e->device_type = ua_event_device(req_header(req, "Sec-CH-UA-Mobile"), ua);
    const char *referer = req_header(req, "Referer");
    e->referrer = referer ? ref_origin(a, referer, strlen(referer)) : NULL;
    e->hour = tm.tm_hour;
    e->month = tm.tm_mon + 1;
    e->day_of_week = tm.tm_wday;

    int anon = anonymized(body.site_id);
    anon_key_t k;
    if (anon) anon_key_today(a, &k, c.now_ms);
    for (size_t i = 0; i < body.n; i++) {
        const ev_item_t *it = &body.items[i];
        rec_event_t *x = &e->ev[e->n];
        if (rec_new_id(x->id) != 0) continue;
        x->event_type = it->type;
        x->session_id = it->session_id;
        x->data = it->data;
        x->experiment_id = it->experiment_id;
        x->variant_id = it->variant_id;
        x->utm_campaign = (it->utm_campaign && cache_campaign_active(body.site_id, it->utm_campaign))
                              ? it->utm_campaign : NULL;
        e->n++;
    }
    if (anon) {
        /* batch columns once, then the per-event ones */
        anon_event_t be = { .visitor_id = e->visitor_id, .device_type = e->device_type,
                            .referrer = e->referrer };
        anon_event(a, &k, &be);
        e->visitor_id = be.visitor_id;
        e->device_type = be.device_type;
        e->referrer = be.referrer;
        for (size_t i = 0; i < e->n; i++) {
            rec_event_t *x = &e->ev[i];
            anon_event_t ae = { .event_type = x->event_type, .session_id = x->session_id,
                                .experiment_id = x->experiment_id, .variant_id = x->variant_id,
                                .utm_campaign = x->utm_campaign, .data = x->data };
            anon_event(a, &k, &ae);
            x->session_id = ae.session_id;
            x->experiment_id = ae.experiment_id;
            x->variant_id = ae.variant_id;
            x->utm_campaign = ae.utm_campaign;
            x->data = ae.data;
        }
    }
    spool_rec(&r);
}
