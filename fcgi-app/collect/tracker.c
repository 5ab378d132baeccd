/* tracker.c -- GET /ea.js: the tracker script and its token refresh.
 *
 * Implements spec/10 §3 (server side of /ea.js) with §2.4 (every request
 * counts toward the rate limit; 429 for over-limit addresses), §2.6 (Referer check in restricted mode) and §2.3
 * (CORS), plus the refresh JSON of spec/README decision 2. The client side
 * is assets/ea.js (spec/10 §4).
 *
 * Design. The script is prepared once per worker: the embedded ea.js is cut
 * down to the configured variant (consent banner or not), comments and
 * indentation are dropped, and the text is split at its @@NAME@@
 * placeholders. A request then only concatenates those segments with its
 * values. Most requests of a worker ask for exactly the same script (same
 * public origin, same minute's challenge, same 6-hour module, same flags), so
 * the last rendered script is kept with the key it was built for and served
 * again when the key matches.
 *
 * Per-worker caches, refreshed off the request path by the local job
 * "tracker-cache" (every second, store/jobs.h):
 *   Redis  <kv_prefix>debug            "1" = runtime debug override (spec/40 §3.7)
 *          <kv_prefix>gen:consent_css  bumped by PATCH /api/sites/:id
 *   MariaDB site_settings(site_id, consent_css) rows with CSS, reloaded when
 *          the generation changed or 60 s passed (consent mode only).
 * When Redis or MariaDB are down the last values are kept (stale, never an
 * error for the visitor).
 *
 * Never: does network I/O while answering, trusts `s`, or logs IPs. */
#include "collect/tracker.h"
#include "assets/assets.h"
#include "collect/collect.h"
#include "core/cors.h"
#include "core/log.h"
#include "defense/pow.h"
#include "store/db.h"
#include "store/jobs.h"
#include "store/kv.h"
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <json-c/json.h>

#define MOD "tracker"
#define CSS_MAX_SITES 4096            /* rows kept in the consent-CSS cache */
#define CSS_TTL_MS 60000              /* spec/10 §3.4: reload when older than 60 s */
#define CSS_RETRY_MS 5000             /* after a failed load */
#define ORIGIN_MAX 512                /* public origin; a longer Host is cut off */
#define KEY_DEBUG "debug"             /* spec/40 §3.7 mapping (api/apiutil.h) */
#define KEY_GEN_CSS "gen:consent_css" /* spec/40 §3.5 mapping (api/apiutil.h) */

static const char *const ph_names[TRACKER_PH_COUNT] = {
    "BASE", "CHAL", "WASM", "GEN", "WIN", "DEBUG", "ANON", "CSS",
};

/* ------------------------------------------------------------------ */
/* Template preparation and rendering (pure)                            */
/* ------------------------------------------------------------------ */

static int starts(const char *s, size_t n, const char *lit)
{
    size_t k = strlen(lit);
    return n >= k && memcmp(s, lit, k) == 0;
}

/* Keep the chosen variant's lines, without comments, blank lines and
 * indentation. */
static void strip_lines(const char *src, size_t n, int consent, buf_t *out)
{
    const char *skip_open = consent ? "//{plain" : "//{consent";
    const char *skip_close = consent ? "//}plain" : "//}consent";
    int skipping = 0;
    size_t i = 0;
    while (i < n) {
        const char *nl = memchr(src + i, '\n', n - i);
        size_t end = nl ? (size_t)(nl - src) : n;
        const char *l = src + i;
        size_t len = end - i;
        i = nl ? end + 1 : n;
        while (len && (*l == ' ' || *l == '\t')) { l++; len--; }
        while (len && (l[len - 1] == ' ' || l[len - 1] == '\t' || l[len - 1] == '\r')) len--;
        if (starts(l, len, skip_open)) { skipping = 1; continue; }
        if (starts(l, len, skip_close)) { skipping = 0; continue; }
        if (skipping || len == 0 || starts(l, len, "//")) continue;
        buf_append(out, l, len);
        buf_putc(out, '\n');
    }
}

static int ph_lookup(const char *s, size_t n)
{
    for (int i = 0; i < TRACKER_PH_COUNT; i++)
        if (strlen(ph_names[i]) == n && memcmp(ph_names[i], s, n) == 0) return i;
    return -1;
}

int tracker_tmpl_build(const char *src, size_t n, int consent, tracker_tmpl_t *t)
{
    memset(t, 0, sizeof *t);
    buf_init(&t->body);
    strip_lines(src, n, consent, &t->body);
    const char *b = t->body.p;
    size_t len = t->body.len, pos = 0, seg = 0;
    for (;;) {
        const char *at = NULL;
        for (size_t k = pos; k + 1 < len; k++)
            if (b[k] == '@' && b[k + 1] == '@') { at = b + k; break; }
        if (!at) break;
        size_t a = (size_t)(at - b), name = a + 2, e = name;
        while (e < len && (isupper((unsigned char)b[e]) || b[e] == '_')) e++;
        int ph = ph_lookup(b + name, e - name);
        if (ph < 0 || e + 1 >= len || b[e] != '@' || b[e + 1] != '@' || t->nph == TRACKER_MAX_SEGS) {
            tracker_tmpl_free(t);
            return -1;
        }
        t->off[seg] = pos;
        t->len[seg] = a - pos;
        t->ph[t->nph++] = ph;
        seg++;
        pos = e + 2;
    }
    t->off[seg] = pos;
    t->len[seg] = len - pos;
    return 0;
}

void tracker_tmpl_free(tracker_tmpl_t *t)
{
    buf_free(&t->body);
    memset(t, 0, sizeof *t);
}

void tracker_js_str(buf_t *out, const char *s, size_t n)
{
    json_object *o = json_object_new_string_len(s ? s : "", s ? (int)n : 0);
    size_t jl = 0;
    const char *j = o ? json_object_to_json_string_length(o, HTTP_JSON_FLAGS, &jl) : NULL;
    if (j && jl >= 2) buf_append(out, j + 1, jl - 2);   /* drop the quotes */
    json_object_put(o);
}

void tracker_render(const tracker_tmpl_t *t, const tracker_vals_t *v, buf_t *out)
{
    for (size_t i = 0; i <= t->nph; i++) {
        buf_append(out, t->body.p + t->off[i], t->len[i]);
        if (i == t->nph) break;
        switch (t->ph[i]) {
        case TRACKER_PH_BASE: tracker_js_str(out, v->base, v->base_len); break;
        case TRACKER_PH_CHAL: tracker_js_str(out, v->challenge, v->challenge ? strlen(v->challenge) : 0); break;
        case TRACKER_PH_WASM: tracker_js_str(out, v->module_b64, v->module_b64 ? strlen(v->module_b64) : 0); break;
        case TRACKER_PH_GEN: tracker_js_str(out, v->generation, v->generation ? strlen(v->generation) : 0); break;
        case TRACKER_PH_WIN: buf_printf(out, "%ld", v->window_min); break;
        case TRACKER_PH_DEBUG: buf_puts(out, v->debug ? "true" : "false"); break;
        case TRACKER_PH_ANON: buf_puts(out, v->anon ? "true" : "false"); break;
        case TRACKER_PH_CSS: tracker_js_str(out, v->css, v->css ? v->css_len : 0); break;
        default: break;
        }
    }
}

/* ------------------------------------------------------------------ */
/* Request helpers (pure)                                               */
/* ------------------------------------------------------------------ */

int tracker_public_origin(const char *scheme, const char *host, const char *authority,
                          const char *xfp, const char *xfh, int trust_proxy,
                          const cfg_list_t *allowed, char *out, size_t outsz)
{
    if (trust_proxy && xfp && *xfp) scheme = xfp;
    if (!host) host = authority ? authority : "";
    if (trust_proxy && xfh) {
        if (!allowed || allowed->n == 0) {
            host = xfh;
        } else {
            /* hostname: drop a trailing ":digits", fold case */
            char hn[256];
            size_t l = strlen(xfh), k = l;
            while (k > 0 && isdigit((unsigned char)xfh[k - 1])) k--;
            if (k > 0 && k < l && xfh[k - 1] == ':') l = k - 1;
            if (l < sizeof hn) {
                for (size_t i = 0; i < l; i++) hn[i] = (char)tolower((unsigned char)xfh[i]);
                hn[l] = '\0';
                if (config_list_has(allowed, hn)) host = xfh;
            }
        }
    }
    int w = snprintf(out, outsz, "%s://%s", scheme, host);
    if (w < 0 || (size_t)w >= outsz) return -1;
    return w;
}

json_object *tracker_refresh_json(const char *challenge, const char *generation,
                                  long long seconds_left, const char *module_b64,
                                  const char *client_g)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "c", json_object_new_string(challenge));
    json_object_object_add(o, "g", json_object_new_string(generation));
    json_object_object_add(o, "t", json_object_new_int64(seconds_left < 0 ? 0 : seconds_left));
    if (!client_g || strcmp(client_g, generation) != 0)
        json_object_object_add(o, "w", json_object_new_string(module_b64));
    return o;
}

/* ------------------------------------------------------------------ */
/* Per-worker caches                                                    */
/* ------------------------------------------------------------------ */

typedef struct css_entry {
    char *site;
    char *css;
    size_t css_len;
} css_entry_t;

static struct {
    int inited;
    int tmpl_state;                 /* 0 not built, 1 ok, -1 failed */
    tracker_tmpl_t tmpl;
    int debug_override;             /* Redis "debug" == "1" */
    long long css_gen;              /* last seen generation, -1 unknown */
    long long css_loaded_ms;        /* monotonic; 0 = never */
    long long css_next_ms;          /* monotonic: next reload attempt */
    css_entry_t *css;
    size_t ncss;
    unsigned epoch;                 /* bumped when a cached input changes */
    /* the last rendered script and what it was built for */
    buf_t out;
    int out_valid;
    char key_base[ORIGIN_MAX];
    int64_t key_minute, key_gen;
    int key_debug, key_anon;
    const char *key_css;
    unsigned key_epoch;
} T = { .css_gen = -1 };

static long long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void css_free(void)
{
    for (size_t i = 0; i < T.ncss; i++) {
        free(T.css[i].site);
        free(T.css[i].css);
    }
    free(T.css);
    T.css = NULL;
    T.ncss = 0;
}

/* Reload the consent-CSS map. Returns 0, or -1 (old map kept). */
static int css_load(void)
{
    db_res_t *r = NULL;
    if (db_query(&r, "SELECT site_id, consent_css FROM site_settings "
                     "WHERE consent_css IS NOT NULL AND consent_css <> '' "
                     "ORDER BY site_id LIMIT 4096", "") != 0)
        return -1;
    size_t n = db_nrows(r), k = 0;
    css_entry_t *e = calloc(n ? n : 1, sizeof *e);
    if (!e) { db_free(r); return -1; }
    while (k < n && k < CSS_MAX_SITES && db_next(r)) {
        const char *s = db_str(r, 0), *c = db_str(r, 1);
        if (!s || !c) continue;
        e[k].site = strdup(s);
        e[k].css = malloc(db_len(r, 1) + 1);
        if (!e[k].site || !e[k].css) { free(e[k].site); free(e[k].css); continue; }
        memcpy(e[k].css, c, db_len(r, 1));
        e[k].css[db_len(r, 1)] = '\0';
        e[k].css_len = db_len(r, 1);
        k++;
    }
    db_free(r);
    css_free();
    T.css = e;
    T.ncss = k;
    T.epoch++;
    return 0;
}

static const css_entry_t *css_for(const char *site)
{
    for (size_t i = 0; i < T.ncss; i++)
        if (strcmp(T.css[i].site, site) == 0) return &T.css[i];
    return NULL;
}

/* The "tracker-cache" job: one pipelined Redis exchange, then MariaDB only
 * when the consent CSS must be reloaded. */
static int cache_job(long budget_ms)
{
    (void)budget_ms;
    long long gen = T.css_gen;
    int qd = kv_pipe("GET %s%s", kv_prefix, KEY_DEBUG) == 0;
    int qg = qd && kv_pipe("GET %s%s", kv_prefix, KEY_GEN_CSS) == 0;
    if (qd) {
        kv_reply_t *d = kv_pipe_read(), *g = qg ? kv_pipe_read() : NULL;
        if (d && (kv_type(d) == KV_STR || kv_type(d) == KV_NIL)) {
            int on = kv_type(d) == KV_STR && kv_len(d) == 1 && kv_str(d)[0] == '1';
            if (on != T.debug_override) { T.debug_override = on; T.epoch++; }
        }
        if (g && (kv_type(g) == KV_STR || kv_type(g) == KV_NIL))
            gen = kv_type(g) == KV_STR ? kv_int(g) : 0;
        kv_free(d);
        kv_free(g);
    }
    if (!cfg->cookie_consent) return 0;
    long long now = mono_ms();
    int due = T.css_loaded_ms == 0 || gen != T.css_gen || now - T.css_loaded_ms >= CSS_TTL_MS;
    if (!due || now < T.css_next_ms) return 0;
    if (css_load() == 0) {
        T.css_gen = gen;
        T.css_loaded_ms = now;
        T.css_next_ms = 0;
    } else {
        T.css_next_ms = now + CSS_RETRY_MS;
        log_warn(MOD, "consent CSS reload failed; serving the previous CSS");
    }
    return 0;
}

void tracker_init(void)
{
    if (T.inited) return;
    T.inited = 1;
    buf_init(&T.out);
    jobs_register("tracker-cache", cache_job, 1000, JOB_LOCAL);
}

static const tracker_tmpl_t *tmpl(void)
{
    if (T.tmpl_state == 0) {
        T.tmpl_state = tracker_tmpl_build((const char *)asset_ea_js, asset_ea_js_len,
                                          cfg->cookie_consent, &T.tmpl) == 0 ? 1 : -1;
        if (T.tmpl_state < 0) log_err(MOD, "assets/ea.js: bad placeholder; /ea.js answers 500");
    }
    return T.tmpl_state > 0 ? &T.tmpl : NULL;
}

/* ------------------------------------------------------------------ */
/* The handler                                                          */
/* ------------------------------------------------------------------ */

static const char *request_scheme(const req_t *req)
{
    const char *s = req_env(req, "REQUEST_SCHEME");
    if (s && (strcmp(s, "https") == 0 || strcmp(s, "http") == 0)) return s;
    s = req_env(req, "HTTPS");
    return s && (strcmp(s, "on") == 0 || strcmp(s, "1") == 0) ? "https" : "http";
}

static const char *request_authority(req_t *req)
{
    const char *name = req_env(req, "SERVER_NAME"), *port = req_env(req, "SERVER_PORT");
    if (!name) return "";
    if (!port || !*port || strcmp(port, "80") == 0 || strcmp(port, "443") == 0) return name;
    return arena_printf(req->arena, "%s:%s", name, port);
}

/* lowercase(s) in ECHELON_ANONYMIZE_SITES */
static int anonymized(const char *s)
{
    char low[128];
    size_t n = strlen(s);
    if (cfg->anonymize_sites.n == 0 || n >= sizeof low) return 0;
    for (size_t i = 0; i <= n; i++) low[i] = (char)tolower((unsigned char)s[i]);
    return config_list_has(&cfg->anonymize_sites, low);
}

static void refresh_reply(req_t *req, resp_t *resp, const pow_script_t *ps, int64_t now)
{
    long long left = (ps->challenge_expires_ms - now) / 1000;
    resp_json(resp, 200, tracker_refresh_json(ps->challenge, ps->generation_id, left,
                                              ps->module_b64, req_query(req, "g")));
    resp_header(resp, "Cache-Control", "no-store");
    cors_headers(req, resp);
}

void tracker_handler(req_t *req, resp_t *resp)
{
    tracker_init();
    /* §2.4: every request counts; over-limit addresses get the JS comment,
     * no CORS */
    collect_client_t cc;
    collect_client(req, &cc);
    collect_count(&cc);
    if (collect_over_limit(&cc)) {
        resp_set(resp, 429, "application/javascript", "// rate limited", 15);
        resp_header(resp, "Cache-Control", "no-store");
        return;
    }
    /* §2.6: in restricted mode a present Referer must name an allowed host
     * (the reserved site id "ea" is not exempt: §11.24) */
    if (cfg->allowed_origins.n) {
        const char *ref = req_header(req, "Referer");
        char host[256];
        if (ref && (cors_origin_host(ref, host, sizeof host) != 0 ||
                    !config_list_has(&cfg->allowed_origins, host))) {
            resp_set(resp, 403, "application/javascript", "// blocked", 10);
            return;
        }
    }

    int64_t now = cc.now_ms;
    pow_script_t ps;
    int pow_ok = pow_script(now, &ps) == 0;
    if (!pow_ok) log_err(MOD, "no PoW challenge/module: serving the script without them");

    const char *refresh = req_query(req, "refresh");
    if (refresh && strcmp(refresh, "1") == 0) {
        if (pow_ok) refresh_reply(req, resp, &ps, now);
        else {
            resp_error(resp, 503, "unavailable", "Challenge unavailable");
            resp_header(resp, "Cache-Control", "no-store");
            cors_headers(req, resp);
        }
        return;
    }

    const tracker_tmpl_t *t = tmpl();
    if (!t) {
        resp_text(resp, 500, "Internal server error");
        return;
    }
    char base[ORIGIN_MAX];
    const char *xfh = req_header(req, "X-Forwarded-Host");
    int bl = tracker_public_origin(request_scheme(req), req_header(req, "Host"),
                                   request_authority(req), req_header(req, "X-Forwarded-Proto"),
                                   xfh, cfg->trust_proxy, &cfg->allowed_origins, base, sizeof base);
    if (bl < 0) bl = (int)strnlen(base, sizeof base - 1);   /* cut: a hostile Host */

    const char *s = req_query(req, "s");
    if (!s) s = "default";
    const css_entry_t *css = cfg->cookie_consent ? css_for(s) : NULL;
    int debug = cfg->debug || T.debug_override;
    int anon = anonymized(s);
    int64_t minute = pow_ok ? ps.minute : -1, gen = pow_ok ? ps.generation : -1;
    const char *css_text = css ? css->css : NULL;

    if (!(T.out_valid && T.key_minute == minute && T.key_gen == gen && T.key_debug == debug &&
          T.key_anon == anon && T.key_css == css_text && T.key_epoch == T.epoch &&
          strcmp(T.key_base, base) == 0)) {
        tracker_vals_t v = {
            .base = base, .base_len = (size_t)bl,
            .challenge = pow_ok ? ps.challenge : "",
            .module_b64 = pow_ok ? ps.module_b64 : "",
            .generation = pow_ok ? ps.generation_id : "",
            .window_min = cfg->challenge_window_minutes,
            .debug = debug, .anon = anon,
            .css = css_text, .css_len = css ? css->css_len : 0,
        };
        buf_reset(&T.out);
        tracker_render(t, &v, &T.out);
        memcpy(T.key_base, base, (size_t)bl + 1);
        T.key_minute = minute;
        T.key_gen = gen;
        T.key_debug = debug;
        T.key_anon = anon;
        T.key_css = css_text;
        T.key_epoch = T.epoch;
        T.out_valid = pow_ok;   /* without PoW data, try again next time */
    }
    resp_set(resp, 200, "application/javascript; charset=utf-8", T.out.p, T.out.len);
    resp_header(resp, "Cache-Control", "public, max-age=300");
    cors_headers(req, resp);
}
