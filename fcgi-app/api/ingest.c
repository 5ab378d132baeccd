/* ingest.c -- bulk ingest, POST /api/ingest (spec/40 §3.6 as amended by
 * product decision 1 of spec/README.md).
 *
 * One envelope carries `events` (protocol v1, validated exactly as §3.6)
 * and/or `views` (decision 1): at least one item, at most 100 of each kind.
 * Every item has a UUID (`event_id` / `view_id`) stored as the 16 raw bytes
 * of the row's `record_id`, whose UNIQUE key makes the endpoint idempotent:
 * a re-sent item inserts nothing (INSERT IGNORE affects 0 rows) and is
 * counted in `duplicate`. Each item's `ts` becomes `created_at` (and the
 * event's hour/month/day_of_week): backfill within the raw retention,
 * at most 5 minutes into the future. Rows take the item's `bot_score`
 * (0-100, default 0) with detail {"source":"api_ingest"}, so backfilled
 * history counts like live traffic.
 *
 * Ignored sites (ECHELON_IGNORED_SITES) drop items silently; anonymised sites
 * (ECHELON_ANONYMIZE_SITES) go through collect/anon.h with the key of the
 * item's own day, as live rows do. All rows go in one transaction. After the
 * commit every touched past day that maintenance already rolled up
 * (maintenance_log 'complete') is re-rolled through maintain_rollup_day(). */
#define _GNU_SOURCE
#include "api/mgmt.h"
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <gcrypt.h>
#include "api/apiutil.h"
#include "collect/anon.h"
#include "core/config.h"
#include "core/log.h"
#include "store/db.h"
#if defined(__has_include)
#if __has_include("api/maintain.h")
#include "api/maintain.h"
#define HAVE_MAINTAIN 1
#endif
#endif

#define MAX_ITEMS 100
#define FUTURE_MS (5LL * 60 * 1000)
#define DAY_MS 86400000LL

static const char sql_event[] =
    "INSERT IGNORE INTO `semantic_events` (`event_type`,`site_id`,`session_id`,`visitor_id`,`data`,"
    "`experiment_id`,`variant_id`,`utm_campaign`,`device_type`,`referrer`,`hour`,`month`,`day_of_week`,"
    "`is_returning`,`bot_score`,`bot_score_detail`,`created_at`,`record_id`) "
    "VALUES (?,?,?,?,?,?,?,NULL,?,?,?,?,?,0,?,'{\"source\":\"api_ingest\"}',?,?)";
static const char sql_view[] =
    "INSERT IGNORE INTO `visitor_views` (`visitor_id`,`path`,`site_id`,`session_id`,`interaction_ms`,"
    "`screen_width`,`screen_height`,`device_type`,`os_name`,`browser_name`,`browser_version`,`country_code`,"
    "`is_returning`,`referrer`,`referrer_type`,`bot_score`,`bot_score_detail`,`is_pwa`,`utm_source`,"
    "`utm_medium`,`utm_campaign`,`utm_content`,`utm_term`,`created_at`,`record_id`) "
    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,'{\"source\":\"api_ingest\"}',?,?,?,?,?,?,?,?)";
static const char sql_rolled[] =
    "SELECT 1 FROM `maintenance_log` WHERE `date` = ? AND `status` = 'complete'";

/* ------------------------------------------------------------------ */
/* pure helpers                                                        */

static long long now_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static void fmt_dt(long long ms, char *out, size_t outsz, struct tm *tm)
{
    time_t t = (time_t)(ms / 1000);
    gmtime_r(&t, tm);
    char base[32];
    strftime(base, sizeof base, "%Y-%m-%d %H:%M:%S", tm);
    snprintf(out, outsz, "%.19s.%03d", base, (int)(ms % 1000 + 1000) % 1000);
}

static void uuid_bytes(const char *u, unsigned char out[16])
{
    size_t o = 0;
    for (size_t i = 0; i < 36 && o < 16; i++) {
        if (u[i] == '-') continue;
        int hi = isdigit((unsigned char)u[i]) ? u[i] - '0' : tolower((unsigned char)u[i]) - 'a' + 10;
        int lo = isdigit((unsigned char)u[i + 1]) ? u[i + 1] - '0' : tolower((unsigned char)u[i + 1]) - 'a' + 10;
        out[o++] = (unsigned char)(hi << 4 | lo);
        i++;
    }
}

static int is_uuid_str(json_object *v)
{
    return v && json_object_is_type(v, json_type_string) &&
           apiu_is_uuid(json_object_get_string(v), (size_t)json_object_get_string_len(v));
}

/* The bounded reflection of rule 10 (spec/40 §3.6 Decision). */
static const char *render_value(arena_t *a, json_object *v, int present)
{
    if (!present) return "undefined";
    if (!v) return "null";
    switch (json_object_get_type(v)) {
    case json_type_string:
        return apiu_trunc(a, json_object_get_string(v), (size_t)json_object_get_string_len(v), 64, NULL);
    case json_type_null: return "null";
    case json_type_boolean: return "boolean";
    case json_type_int:
    case json_type_double: return "number";
    case json_type_object: return "object";
    case json_type_array: return "array";
    }
    return "undefined";
}

/* ------------------------------------------------------------------ */
/* validated items                                                     */

typedef struct item {
    json_object *o;
    long long ts;
    long long bot_score;
    const char *id;
} item_t;

typedef struct batch {
    json_object *ctx;
    const char *session_id;
    const char *site_id;
    size_t site_len;
    item_t ev[MAX_ITEMS], vw[MAX_ITEMS];
    size_t nev, nvw;
} batch_t;

static int bad(resp_t *resp, const char *msg)
{
    resp_error(resp, 400, "invalid_payload", msg);
    return -1;
}

/* ts + bot_score of an item (shared by events and views). */
static int item_common(req_t *req, resp_t *resp, json_object *o, item_t *it, const char *missing_ts)
{
    json_object *jts = apiu_get(o, "ts");
    if (!jts || !json_object_is_type(jts, json_type_string)) return bad(resp, missing_ts);
    if (apiu_parse_ts(json_object_get_string(jts), (size_t)json_object_get_string_len(jts), &it->ts) < 0)
        return bad(resp, "Invalid ts");
    long long now = now_ms();
    if (it->ts > now + FUTURE_MS || it->ts < now - cfg->retention_days * DAY_MS)
        return bad(resp, "ts outside retention");
    it->bot_score = 0;
    json_object *jb = apiu_get(o, "bot_score");
    if (jb && !json_object_is_type(jb, json_type_null)) {
        double b = json_object_is_type(jb, json_type_int) || json_object_is_type(jb, json_type_double)
                       ? json_object_get_double(jb) : NAN;
        if (!(b >= 0 && b <= 100) || b != floor(b)) return bad(resp, "Invalid bot_score");
        it->bot_score = (long long)b;
    }
    (void)req;
    return 0;
}

static int validate(req_t *req, resp_t *resp, json_object *body, batch_t *b)
{
    if (!body || (!json_object_is_type(body, json_type_object) && !json_object_is_type(body, json_type_array)))
        return bad(resp, "Body must be a JSON object");
    json_object *o = apiu_obj(body);
    json_object *v = apiu_get(o, "v");
    int v1 = v && ((json_object_is_type(v, json_type_int) && json_object_get_int64(v) == 1) ||
                   (json_object_is_type(v, json_type_double) && json_object_get_double(v) == 1.0));
    if (!v1) return bad(resp, "Unsupported protocol version");
    if (!is_uuid_str(apiu_get(o, "batch_id"))) return bad(resp, "Invalid batch_id");
    json_object *ctx = apiu_get(o, "context");
    if (!ctx || (!json_object_is_type(ctx, json_type_object) && !json_object_is_type(ctx, json_type_array)))
        return bad(resp, "Missing context");
    b->ctx = apiu_obj(ctx);
    json_object *sid = apiu_get(b->ctx, "session_id");
    if (!is_uuid_str(sid)) return bad(resp, "Invalid session_id");
    b->session_id = json_object_get_string(sid);
    b->site_id = "default";
    b->site_len = 7;
    if (apiu_has(b->ctx, "site_id")) {
        json_object *s = apiu_get(b->ctx, "site_id");
        if (!s || !json_object_is_type(s, json_type_string) ||
            !apiu_is_site(json_object_get_string(s), (size_t)json_object_get_string_len(s)))
            return bad(resp, "Invalid site_id");
        b->site_id = json_object_get_string(s);
        b->site_len = (size_t)json_object_get_string_len(s);
    }
    json_object *evs = apiu_get(o, "events"), *vws = apiu_get(o, "views");
    int ev_arr = evs && json_object_is_type(evs, json_type_array);
    int vw_arr = vws && json_object_is_type(vws, json_type_array);
    size_t nev = ev_arr ? json_object_array_length(evs) : 0;
    size_t nvw = vw_arr ? json_object_array_length(vws) : 0;
    int ev_absent = !evs || json_object_is_type(evs, json_type_null);
    int vw_absent = !vws || json_object_is_type(vws, json_type_null);
    if ((!ev_arr && !ev_absent) || (nev == 0 && nvw == 0)) return bad(resp, "Events array is empty or missing");
    if (!vw_arr && !vw_absent) return bad(resp, "Views must be an array");
    if (nev > MAX_ITEMS) return bad(resp, "Too many events (max 100)");
    if (nvw > MAX_ITEMS) return bad(resp, "Too many views (max 100)");

    for (size_t i = 0; i < nev; i++) {
        json_object *e = json_object_array_get_idx(evs, i);
        if (!e || !json_object_is_type(e, json_type_object)) return bad(resp, "Invalid event object");
        json_object *eid = apiu_get(e, "event_id");
        if (!is_uuid_str(eid)) {
            const char *val = render_value(req->arena, eid, apiu_has(e, "event_id"));
            return bad(resp, arena_printf(req->arena, "Invalid event_id: %s", val));
        }
        json_object *ty = apiu_get(e, "type");
        if (!ty || !json_object_is_type(ty, json_type_string) || json_object_get_string_len(ty) == 0)
            return bad(resp, "Event missing type");
        if (!apiu_is_event_type(json_object_get_string(ty), (size_t)json_object_get_string_len(ty))) {
            const char *t32 = apiu_trunc(req->arena, json_object_get_string(ty),
                                         (size_t)json_object_get_string_len(ty), 32, NULL);
            return bad(resp, arena_printf(req->arena, "Invalid event type: %s", t32));
        }
        b->ev[i].o = e;
        b->ev[i].id = json_object_get_string(eid);
        if (item_common(req, resp, e, &b->ev[i], "Event missing ts") < 0) return -1;
    }
    for (size_t i = 0; i < nvw; i++) {
        json_object *w = json_object_array_get_idx(vws, i);
        if (!w || !json_object_is_type(w, json_type_object)) return bad(resp, "Invalid view object");
        json_object *vid = apiu_get(w, "view_id");
        if (!is_uuid_str(vid)) {
            const char *val = render_value(req->arena, vid, apiu_has(w, "view_id"));
            return bad(resp, arena_printf(req->arena, "Invalid view_id: %s", val));
        }
        json_object *p = apiu_get(w, "path");
        if (!p || !json_object_is_type(p, json_type_string) || json_object_get_string_len(p) == 0)
            return bad(resp, "View missing path");
        b->vw[i].o = w;
        b->vw[i].id = json_object_get_string(vid);
        if (item_common(req, resp, w, &b->vw[i], "View missing ts") < 0) return -1;
    }
    b->nev = nev;
    b->nvw = nvw;
    return 0;
}

/* ------------------------------------------------------------------ */
/* row building                                                        */

static const char *jstr(req_t *req, json_object *o, const char *key, size_t max)
{
    json_object *v = apiu_get(o, key);
    if (!v || !json_object_is_type(v, json_type_string)) return NULL;
    return apiu_trunc(req->arena, json_object_get_string(v), (size_t)json_object_get_string_len(v), max, NULL);
}

static int jint(json_object *o, const char *key, long long lo, long long hi, long long *out)
{
    json_object *v = apiu_get(o, key);
    if (!v) return 0;
    double d;
    if (json_object_is_type(v, json_type_int)) d = (double)json_object_get_int64(v);
    else if (json_object_is_type(v, json_type_double)) d = json_object_get_double(v);
    else return 0;
    if (!(d >= (double)lo && d <= (double)hi)) return 0;
    *out = (long long)d;
    return 1;
}

static const char *dim(req_t *req, json_object *ctx, const char *wk, const char *hk)
{
    json_object *w = apiu_get(ctx, wk), *h = apiu_get(ctx, hk);
    int wn = w && (json_object_is_type(w, json_type_int) || json_object_is_type(w, json_type_double));
    int hn = h && (json_object_is_type(h, json_type_int) || json_object_is_type(h, json_type_double));
    if (!wn || !hn) return NULL;
    char a[40], b[40];
    apiu_fmt_double(json_object_get_double(w), a, sizeof a);
    apiu_fmt_double(json_object_get_double(h), b, sizeof b);
    return arena_printf(req->arena, "%sx%s", a, b);
}

/* The event's data JSON of spec/40 §3.6 (arena string). */
static const char *event_data(req_t *req, json_object *ctx, json_object *e)
{
    json_object *d = json_object_new_object();
    json_object *src = apiu_get(e, "data");
    if (src && json_object_is_type(src, json_type_object)) {
        json_object_object_foreach(src, k, val) json_object_object_add(d, k, json_object_get(val));
    }
    json_object *ex = apiu_get(e, "experiments");
    json_object *x0 = ex && json_object_is_type(ex, json_type_array) && json_object_array_length(ex) > 0
                          ? json_object_array_get_idx(ex, 0) : NULL;
    if (x0 && apiu_truthy(apiu_get(x0, "experiment_id"))) {
        json_object_object_add(d, "experiment_id", json_object_get(apiu_get(x0, "experiment_id")));
        json_object *vid = apiu_get(x0, "variant_id");
        json_object_object_add(d, "variant_id", vid ? json_object_get(vid) : NULL);
    }
    json_object *sc = json_object_new_object();
    if (apiu_has(ctx, "device_class"))
        json_object_object_add(sc, "device_class", json_object_get(apiu_get(ctx, "device_class")));
    const char *vp = dim(req, ctx, "viewport_width", "viewport_height");
    if (vp) json_object_object_add(sc, "viewport", json_object_new_string(vp));
    const char *scr = dim(req, ctx, "screen_width", "screen_height");
    if (scr) json_object_object_add(sc, "screen", json_object_new_string(scr));
    if (apiu_has(ctx, "language"))
        json_object_object_add(sc, "language", json_object_get(apiu_get(ctx, "language")));
    json_object_object_add(d, "session_context", sc);
    size_t n;
    const char *s = json_object_to_json_string_length(d, HTTP_JSON_FLAGS, &n);
    const char *out = arena_strndup(req->arena, s, n);
    json_object_put(d);
    return out;
}

/* A stable 16-hex visitor id for a view without one: SHA-256 of its session. */
static const char *visitor_from_session(req_t *req, const char *session)
{
    unsigned char h[32];
    char *in = arena_printf(req->arena, "api_ingest:%s", session ? session : "");
    gcry_md_hash_buffer(GCRY_MD_SHA256, h, in, strlen(in));
    char *o = arena_alloc(req->arena, 17);
    for (int i = 0; i < 8; i++) snprintf(o + 2 * i, 3, "%02x", h[i]);
    return o;
}

typedef struct days {
    char d[2 * MAX_ITEMS][11];
    size_t n;
} days_t;

static void touch_day(days_t *ds, const struct tm *tm)
{
    char d[11];
    strftime(d, sizeof d, "%Y-%m-%d", tm);
    for (size_t i = 0; i < ds->n; i++)
        if (!strcmp(ds->d[i], d)) return;
    if (ds->n < 2 * MAX_ITEMS) memcpy(ds->d[ds->n++], d, sizeof d);
}

static void anon_key_for(req_t *req, anon_key_t *k, const struct tm *tm)
{
    char date[11];
    strftime(date, sizeof date, "%Y-%m-%d", tm);
    anon_key_init(req->arena, k, cfg->secret ? cfg->secret : "", cfg->secret ? strlen(cfg->secret) : 0, date);
}

/* Insert one event; 1 inserted, 0 duplicate, -1 error. */
static int put_event(req_t *req, batch_t *b, item_t *it, int anon, days_t *ds)
{
    char dt[32];
    struct tm tm;
    fmt_dt(it->ts, dt, sizeof dt, &tm);
    unsigned char rid[16];
    uuid_bytes(it->id, rid);
    anon_event_t e = {0};
    e.event_type = json_object_get_string(apiu_get(it->o, "type"));
    e.session_id = b->session_id;
    e.device_type = jstr(req, b->ctx, "device_class", 32);
    e.referrer = jstr(req, it->o, "referrer", 2048);
    e.data = event_data(req, b->ctx, it->o);
    if (anon) {
        anon_key_t k;
        anon_key_for(req, &k, &tm);
        anon_event(req->arena, &k, &e);
    }
    long long n = db_exec(sql_event, "sbsssssssiiiisb", e.event_type, b->site_id, b->site_len, e.session_id,
                          e.visitor_id, e.data, e.experiment_id, e.variant_id, e.device_type, e.referrer,
                          (long long)tm.tm_hour, (long long)(tm.tm_mon + 1), (long long)tm.tm_wday,
                          it->bot_score, dt, (const char *)rid, (size_t)16);
    if (n < 0) return -1;
    if (n > 0) touch_day(ds, &tm);
    return n > 0;
}

static void bind_s(db_param_t *p, const char *s)
{
    p->type = 's';
    p->s = s;
}

static void bind_i(db_param_t *p, int has, long long v)
{
    if (has) { p->type = 'i'; p->i = v; }
    else p->type = 'n';
}

/* Insert one view; 1 inserted, 0 duplicate, -1 error. */
static int put_view(req_t *req, batch_t *b, item_t *it, int anon, days_t *ds)
{
    json_object *o = it->o;
    char dt[32];
    struct tm tm;
    fmt_dt(it->ts, dt, sizeof dt, &tm);
    unsigned char rid[16];
    uuid_bytes(it->id, rid);
    anon_view_t v = {0};
    v.session_id = jstr(req, o, "session_id", 64);
    if (!v.session_id) v.session_id = b->session_id;
    v.visitor_id = jstr(req, o, "visitor_id", 128);
    if (!v.visitor_id || !*v.visitor_id) v.visitor_id = visitor_from_session(req, v.session_id);
    v.path = jstr(req, o, "path", 2048);
    v.device_type = jstr(req, o, "device_type", 32);
    if (!v.device_type) v.device_type = jstr(req, b->ctx, "device_class", 32);
    v.os_name = jstr(req, o, "os_name", 64);
    v.browser_name = jstr(req, o, "browser_name", 64);
    v.browser_version = jstr(req, o, "browser_version", 64);
    const char *cc = jstr(req, o, "country_code", 32);
    if (cc) {
        char *u = arena_strdup(req->arena, cc);
        for (char *p = u; *p; p++) *p = (char)toupper((unsigned char)*p);
        cc = u;
    }
    v.country_code = cc;
    v.referrer = jstr(req, o, "referrer", 2048);
    const char *rtype = jstr(req, o, "referrer_type", 32);
    if (!v.referrer) {
        v.referrer = "direct_or_unknown";
        if (!rtype) rtype = "direct_or_unknown";
    }
    static const char *const utm_keys[5] = {"utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term"};
    for (int i = 0; i < 5; i++) v.utm[i] = jstr(req, o, utm_keys[i], 256);
    long long w = 0, h = 0, ims = 0;
    v.has_w = jint(o, "screen_width", 1, 10000, &w);
    v.has_h = v.has_w && jint(o, "screen_height", 0, 1000000, &h);
    v.w = w;
    v.h = h;
    int has_ims = jint(o, "interaction_ms", 0, 2147483647LL, &ims);
    int ret = apiu_truthy(apiu_get(o, "is_returning")), pwa = apiu_truthy(apiu_get(o, "is_pwa"));
    if (anon) {
        anon_key_t k;
        anon_key_for(req, &k, &tm);
        anon_view(req->arena, &k, &v);
    }
    db_param_t p[24];
    memset(p, 0, sizeof p);
    bind_s(&p[0], v.visitor_id);
    bind_s(&p[1], v.path);
    p[2].type = 'b'; p[2].s = b->site_id; p[2].len = b->site_len;
    bind_s(&p[3], v.session_id);
    bind_i(&p[4], has_ims, ims);
    bind_i(&p[5], v.has_w, v.w);
    bind_i(&p[6], v.has_h, v.h);
    bind_s(&p[7], v.device_type);
    bind_s(&p[8], v.os_name);
    bind_s(&p[9], v.browser_name);
    bind_s(&p[10], v.browser_version);
    bind_s(&p[11], v.country_code);
    bind_i(&p[12], 1, ret);
    bind_s(&p[13], v.referrer);
    bind_s(&p[14], rtype);
    bind_i(&p[15], 1, it->bot_score);
    bind_i(&p[16], 1, pwa);
    for (int i = 0; i < 5; i++) bind_s(&p[17 + i], v.utm[i]);
    bind_s(&p[22], dt);
    p[23].type = 'b'; p[23].s = (const char *)rid; p[23].len = 16;
    long long n = db_execv(sql_view, p, 24);
    if (n < 0) return -1;
    if (n > 0) touch_day(ds, &tm);
    return n > 0;
}

static void reroll(const days_t *ds)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    char today[11];
    strftime(today, sizeof today, "%Y-%m-%d", &tm);
    for (size_t i = 0; i < ds->n; i++) {
        if (strcmp(ds->d[i], today) >= 0) continue;
        if (db_scalar_int(sql_rolled, "s", ds->d[i]) != 1) continue;   /* not rolled up yet: catch-up does it */
#ifdef HAVE_MAINTAIN
        int rc = maintain_rollup_day(ds->d[i], NULL);
        if (rc == MAINTAIN_OK) {
            log_info("ingest", "re-rolled %s after backfill", ds->d[i]);
        } else {
            /* lock busy or DB trouble: readers fall back to raw rows and the
             * next maintenance run re-rolls the day */
            log_warn("ingest", "re-roll of %s deferred (%d)", ds->d[i], rc);
            maintain_mark_stale(ds->d[i]);
        }
#else
        log_warn("ingest", "backfill touched rolled-up day %s: no maintain_rollup_day() to re-roll it", ds->d[i]);
#endif
    }
}

void api_ingest(req_t *req, resp_t *resp)
{
    if (req->body_len > 1048576 || req_content_length(req) > 1048576) {
        resp_error(resp, 413, "payload_too_large", "Body exceeds 1MB limit");
        return;
    }
    json_object *body;
    if (apiu_body_json(req, &body) < 0) {
        resp_error(resp, 400, "invalid_payload", "Invalid JSON");
        return;
    }
    batch_t *b = arena_calloc(req->arena, sizeof *b);
    if (validate(req, resp, body, b) < 0) {
        json_object_put(body);
        return;
    }
    char site_lc[65];
    size_t sl = b->site_len < 64 ? b->site_len : 64;
    for (size_t i = 0; i < sl; i++) site_lc[i] = (char)tolower((unsigned char)b->site_id[i]);
    site_lc[sl] = '\0';
    long long accepted = 0, duplicate = 0;
    if (config_list_has(&cfg->ignored_sites, site_lc)) {
        /* silently dropped, as the tracking endpoints do */
        json_object_put(body);
        json_object *out = json_object_new_object();
        json_object_object_add(out, "accepted", json_object_new_int64(0));
        json_object_object_add(out, "duplicate", json_object_new_int64(0));
        resp_json(resp, 200, out);
        return;
    }
    int anon = anon_site(site_lc, cfg->anonymize_sites.items, cfg->anonymize_sites.n);
    days_t *ds = arena_calloc(req->arena, sizeof *ds);
    int fail = db_begin() < 0;
    for (size_t i = 0; i < b->nev && !fail; i++) {
        int r = put_event(req, b, &b->ev[i], anon, ds);
        if (r < 0) fail = 1;
        else if (r) accepted++;
        else duplicate++;
    }
    for (size_t i = 0; i < b->nvw && !fail; i++) {
        int r = put_view(req, b, &b->vw[i], anon, ds);
        if (r < 0) fail = 1;
        else if (r) accepted++;
        else duplicate++;
    }
    json_object_put(body);
    if (!fail && db_commit() < 0) fail = 1;
    if (fail) {
        db_rollback();
        resp_error(resp, 500, "internal", "Ingest failed");
        return;
    }
    reroll(ds);
    json_object *out = json_object_new_object();
    json_object_object_add(out, "accepted", json_object_new_int64(accepted));
    json_object_object_add(out, "duplicate", json_object_new_int64(duplicate));
    resp_json(resp, 200, out);
}
