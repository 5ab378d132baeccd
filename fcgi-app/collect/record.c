/* record.c -- spool payloads of collection (see record.h for the layout). */
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include "collect/record.h"
#include "collect/visitor.h"
#include "core/http.h"

int rec_new_id(unsigned char id[REC_ID_LEN])
{
    return getrandom(id, REC_ID_LEN, 0) == REC_ID_LEN ? 0 : -1;
}

void rec_datetime(long long ms, char out[24])
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    char d[20];
    strftime(d, sizeof d, "%Y-%m-%d %H:%M:%S", &tm);
    snprintf(out, 24, "%.19s.%03u", d, (unsigned)(ms % 1000) % 1000u);
}

/* Records are written by hand, not through json-c: this runs once per
 * accepted beacon and building a json-c tree cost a third of the beacon's
 * instructions. The output is what json-c would print (plain, no "\/"):
 * the parser below reads it with json-c. */
static void jw_str(buf_t *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    if (!s) {
        buf_append(b, "null", 4);
        return;
    }
    buf_putc(b, '"');
    const char *run = s;
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        buf_append(b, run, (size_t)(p - run));
        run = p + 1;
        switch (c) {
        case '"': buf_append(b, "\\\"", 2); break;
        case '\\': buf_append(b, "\\\\", 2); break;
        case '\b': buf_append(b, "\\b", 2); break;
        case '\f': buf_append(b, "\\f", 2); break;
        case '\n': buf_append(b, "\\n", 2); break;
        case '\r': buf_append(b, "\\r", 2); break;
        case '\t': buf_append(b, "\\t", 2); break;
        default: {
            char u[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
            buf_append(b, u, 6);
        }
        }
    }
    buf_append(b, run, strlen(run));
    buf_putc(b, '"');
}

static void jw_int(buf_t *b, long long v)
{
    char t[24];
    size_t i = sizeof t;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do t[--i] = (char)('0' + u % 10); while (u /= 10);
    if (v < 0) t[--i] = '-';
    buf_append(b, t + i, sizeof t - i);
}

/* ,"key": (the first member of an object passes first = 1) */
static void jw_key(buf_t *b, const char *key, int first)
{
    if (!first) buf_putc(b, ',');
    buf_putc(b, '"');
    buf_puts(b, key);
    buf_append(b, "\":", 2);
}

static void jw_kstr(buf_t *b, const char *key, const char *v)
{
    jw_key(b, key, 0);
    jw_str(b, v);
}

static void jw_kint(buf_t *b, const char *key, long long v)
{
    jw_key(b, key, 0);
    jw_int(b, v);
}

static void jw_id(buf_t *b, const char *key, const unsigned char id[REC_ID_LEN], int first)
{
    char hex[REC_ID_LEN * 2 + 1];
    visitor_hex(id, REC_ID_LEN, hex);
    jw_key(b, key, first);
    jw_str(b, hex);
}

static void score_put(buf_t *b, const score_t *s)
{
    const int32_t v[16] = { s->cf, s->timing, s->geo, s->geo_site, s->burst, s->headers,
                            s->screen, s->referrer, s->crawler_feed, s->ai_crawler_feed,
                            s->datacenter_ip, s->pow, s->bot_ip, s->geo_hit, s->geo_site_hit,
                            s->pow_result };
    jw_key(b, "sc", 0);
    buf_putc(b, '[');
    for (int i = 0; i < 16; i++) {
        if (i) buf_putc(b, ',');
        jw_int(b, v[i]);
    }
    buf_putc(b, ']');
}

void rec_to_json(const rec_t *r, buf_t *b)
{
    char k[2] = { (char)r->kind, 0 };
    buf_putc(b, '{');
    jw_key(b, "k", 1);
    jw_str(b, k);
    jw_kint(b, "ts", r->ts_ms);
    jw_kstr(b, "ih", r->ip_hash);
    jw_kint(b, "rl", r->rl);
    jw_kint(b, "ik", r->ip_known);
    if (r->kind == REC_VIEW || r->kind == REC_EVENTS) {
        score_put(b, &r->score);
        jw_kstr(b, "v0", r->vid0);
    }
    if (r->kind == REC_VIEW) {
        const rec_view_t *v = &r->view;
        jw_kstr(b, "fp", r->fp);
        jw_key(b, "row", 0);
        buf_putc(b, '{');
        jw_id(b, "id", v->id, 1);
        jw_kstr(b, "visitor_id", v->visitor_id);
        jw_kstr(b, "path", v->path);
        jw_kstr(b, "site_id", v->site_id);
        jw_kstr(b, "session_id", v->session_id);
        jw_kint(b, "interaction_ms", v->interaction_ms);
        jw_key(b, "screen_width", 0);
        if (v->has_w) jw_int(b, v->w); else buf_append(b, "null", 4);
        jw_key(b, "screen_height", 0);
        if (v->has_h) jw_int(b, v->h); else buf_append(b, "null", 4);
        jw_kstr(b, "device_type", v->device_type);
        jw_kstr(b, "os_name", v->os_name);
        jw_kstr(b, "browser_name", v->browser_name);
        jw_kstr(b, "browser_version", v->browser_version);
        jw_kstr(b, "country_code", v->country_code);
        jw_kint(b, "is_returning", v->is_returning);
        jw_kstr(b, "referrer", v->referrer);
        jw_kstr(b, "referrer_type", v->referrer_type);
        jw_kint(b, "is_pwa", v->is_pwa);
        static const char *const un[5] = { "utm_source", "utm_medium", "utm_campaign",
                                           "utm_content", "utm_term" };
        for (int i = 0; i < 5; i++) jw_kstr(b, un[i], v->utm[i]);
        buf_putc(b, '}');
    } else if (r->kind == REC_EVENTS) {
        const rec_events_t *e = &r->events;
        jw_key(b, "ctx", 0);
        buf_putc(b, '{');
        jw_key(b, "site_id", 1);
        jw_str(b, e->site_id);
        jw_kstr(b, "visitor_id", e->visitor_id);
        jw_kstr(b, "device_type", e->device_type);
        jw_kstr(b, "referrer", e->referrer);
        jw_kint(b, "is_returning", e->is_returning);
        jw_kint(b, "hour", e->hour);
        jw_kint(b, "month", e->month);
        jw_kint(b, "day_of_week", e->day_of_week);
        buf_putc(b, '}');
        jw_key(b, "ev", 0);
        buf_putc(b, '[');
        for (size_t i = 0; i < e->n; i++) {
            const rec_event_t *x = &e->ev[i];
            if (i) buf_putc(b, ',');
            buf_putc(b, '{');
            jw_id(b, "id", x->id, 1);
            jw_kstr(b, "event_type", x->event_type);
            jw_kstr(b, "session_id", x->session_id);
            jw_kstr(b, "data", x->data);
            jw_kstr(b, "experiment_id", x->experiment_id);
            jw_kstr(b, "variant_id", x->variant_id);
            jw_kstr(b, "utm_campaign", x->utm_campaign);
            buf_putc(b, '}');
        }
        buf_putc(b, ']');
    }
    buf_putc(b, '}');
}

/* ---- parsing ---- */

static const char *gstr(arena_t *a, json_object *o, const char *k)
{
    json_object *v;
    if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return arena_strndup(a, json_object_get_string(v), (size_t)json_object_get_string_len(v));
}

static long long gint(json_object *o, const char *k, int *present)
{
    json_object *v;
    if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_int)) {
        if (present) *present = 0;
        return 0;
    }
    if (present) *present = 1;
    return json_object_get_int64(v);
}

static int gid(json_object *o, unsigned char id[REC_ID_LEN])
{
    json_object *v;
    if (!json_object_object_get_ex(o, "id", &v) || json_object_get_string_len(v) != REC_ID_LEN * 2)
        return -1;
    const char *h = json_object_get_string(v);
    for (int i = 0; i < REC_ID_LEN; i++) {
        unsigned x;
        if (sscanf(h + 2 * i, "%2x", &x) != 1) return -1;
        id[i] = (unsigned char)x;
    }
    return 0;
}

int rec_parse(arena_t *a, const char *s, size_t n, rec_t *out)
{
    memset(out, 0, sizeof *out);
    json_tokener *tok = json_tokener_new();
    if (!tok) return -1;
    json_object *o = json_tokener_parse_ex(tok, s, (int)n);
    json_tokener_free(tok);
    if (!o || !json_object_is_type(o, json_type_object)) {
        json_object_put(o);
        return -1;
    }
    int rc = -1;
    const char *k = gstr(a, o, "k");
    const char *ih = gstr(a, o, "ih");
    if (!k || strlen(k) != 1 || !ih || strlen(ih) >= sizeof out->ip_hash) goto done;
    out->kind = k[0];
    out->ts_ms = gint(o, "ts", NULL);
    snprintf(out->ip_hash, sizeof out->ip_hash, "%s", ih);
    out->rl = (int)gint(o, "rl", NULL);
    out->ip_known = (int)gint(o, "ik", NULL);
    if (out->kind == REC_HIT) {
        rc = 0;
        goto done;
    }
    if (out->kind != REC_VIEW && out->kind != REC_EVENTS) goto done;
    json_object *sc;
    if (!json_object_object_get_ex(o, "sc", &sc) || json_object_array_length(sc) != 16) goto done;
    int32_t v[16];
    for (int i = 0; i < 16; i++) v[i] = json_object_get_int(json_object_array_get_idx(sc, (size_t)i));
    score_t *S = &out->score;
    S->cf = v[0]; S->timing = v[1]; S->geo = v[2]; S->geo_site = v[3]; S->burst = v[4];
    S->headers = v[5]; S->screen = v[6]; S->referrer = v[7]; S->crawler_feed = v[8];
    S->ai_crawler_feed = v[9]; S->datacenter_ip = v[10]; S->pow = v[11]; S->bot_ip = v[12];
    S->geo_hit = (uint8_t)v[13]; S->geo_site_hit = (uint8_t)v[14]; S->pow_result = (uint8_t)v[15];
    out->vid0 = gstr(a, o, "v0");
    if (out->kind == REC_VIEW) {
        json_object *row;
        out->fp = gstr(a, o, "fp");
        if (!json_object_object_get_ex(o, "row", &row) || gid(row, out->view.id) != 0) goto done;
        rec_view_t *w = &out->view;
        w->visitor_id = gstr(a, row, "visitor_id");
        w->path = gstr(a, row, "path");
        w->site_id = gstr(a, row, "site_id");
        w->session_id = gstr(a, row, "session_id");
        w->interaction_ms = gint(row, "interaction_ms", NULL);
        w->w = gint(row, "screen_width", &w->has_w);
        w->h = gint(row, "screen_height", &w->has_h);
        w->device_type = gstr(a, row, "device_type");
        w->os_name = gstr(a, row, "os_name");
        w->browser_name = gstr(a, row, "browser_name");
        w->browser_version = gstr(a, row, "browser_version");
        w->country_code = gstr(a, row, "country_code");
        w->is_returning = (int)gint(row, "is_returning", NULL);
        w->referrer = gstr(a, row, "referrer");
        w->referrer_type = gstr(a, row, "referrer_type");
        w->is_pwa = (int)gint(row, "is_pwa", NULL);
        static const char *const un[5] = { "utm_source", "utm_medium", "utm_campaign",
                                           "utm_content", "utm_term" };
        for (int i = 0; i < 5; i++) w->utm[i] = gstr(a, row, un[i]);
        if (!w->visitor_id || !w->path || !w->site_id) goto done;
        rc = 0;
    } else {
        json_object *ctx, *ev;
        if (!json_object_object_get_ex(o, "ctx", &ctx) || !json_object_object_get_ex(o, "ev", &ev) ||
            !json_object_is_type(ev, json_type_array))
            goto done;
        rec_events_t *e = &out->events;
        e->site_id = gstr(a, ctx, "site_id");
        e->visitor_id = gstr(a, ctx, "visitor_id");
        e->device_type = gstr(a, ctx, "device_type");
        e->referrer = gstr(a, ctx, "referrer");
        e->is_returning = (int)gint(ctx, "is_returning", NULL);
        e->hour = (int)gint(ctx, "hour", NULL);
        e->month = (int)gint(ctx, "month", NULL);
        e->day_of_week = (int)gint(ctx, "day_of_week", NULL);
        size_t n_ev = json_object_array_length(ev);
        if (n_ev > REC_MAX_EVENTS || !e->site_id) goto done;
        for (size_t i = 0; i < n_ev; i++) {
            json_object *j = json_object_array_get_idx(ev, i);
            rec_event_t *x = &e->ev[i];
            if (!json_object_is_type(j, json_type_object) || gid(j, x->id) != 0) goto done;
            x->event_type = gstr(a, j, "event_type");
            x->session_id = gstr(a, j, "session_id");
            x->data = gstr(a, j, "data");
            x->experiment_id = gstr(a, j, "experiment_id");
            x->variant_id = gstr(a, j, "variant_id");
            x->utm_campaign = gstr(a, j, "utm_campaign");
            if (!x->event_type) goto done;
        }
        e->n = n_ev;
        rc = 0;
    }
done:
    json_object_put(o);
    return rc;
}
