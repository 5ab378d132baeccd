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

static json_object *jstr(const char *s)
{
    return s ? json_object_new_string(s) : NULL;   /* NULL serialises as null */
}

static json_object *jid(const unsigned char id[REC_ID_LEN])
{
    char hex[REC_ID_LEN * 2 + 1];
    visitor_hex(id, REC_ID_LEN, hex);
    return json_object_new_string(hex);
}

static void score_put(json_object *o, const score_t *s)
{
    const int32_t v[16] = { s->cf, s->timing, s->geo, s->geo_site, s->burst, s->headers,
                            s->screen, s->referrer, s->crawler_feed, s->ai_crawler_feed,
                            s->datacenter_ip, s->pow, s->bot_ip, s->geo_hit, s->geo_site_hit,
                            s->pow_result };
    json_object *a = json_object_new_array_ext(16);
    for (int i = 0; i < 16; i++) json_object_array_add(a, json_object_new_int(v[i]));
    json_object_object_add(o, "sc", a);
}

void rec_to_json(const rec_t *r, buf_t *b)
{
    json_object *o = json_object_new_object();
    char k[2] = { (char)r->kind, 0 };
    json_object_object_add(o, "k", json_object_new_string(k));
    json_object_object_add(o, "ts", json_object_new_int64(r->ts_ms));
    json_object_object_add(o, "ih", json_object_new_string(r->ip_hash));
    json_object_object_add(o, "rl", json_object_new_int(r->rl));
    json_object_object_add(o, "ik", json_object_new_int(r->ip_known));
    if (r->kind == REC_VIEW || r->kind == REC_EVENTS) {
        score_put(o, &r->score);
        json_object_object_add(o, "v0", jstr(r->vid0));
    }
    if (r->kind == REC_VIEW) {
        const rec_view_t *v = &r->view;
        json_object *row = json_object_new_object();
        json_object_object_add(o, "fp", jstr(r->fp));
        json_object_object_add(row, "id", jid(v->id));
        json_object_object_add(row, "visitor_id", jstr(v->visitor_id));
        json_object_object_add(row, "path", jstr(v->path));
        json_object_object_add(row, "site_id", jstr(v->site_id));
        json_object_object_add(row, "session_id", jstr(v->session_id));
        json_object_object_add(row, "interaction_ms", json_object_new_int64(v->interaction_ms));
        json_object_object_add(row, "screen_width", v->has_w ? json_object_new_int64(v->w) : NULL);
        json_object_object_add(row, "screen_height", v->has_h ? json_object_new_int64(v->h) : NULL);
        json_object_object_add(row, "device_type", jstr(v->device_type));
        json_object_object_add(row, "os_name", jstr(v->os_name));
        json_object_object_add(row, "browser_name", jstr(v->browser_name));
        json_object_object_add(row, "browser_version", jstr(v->browser_version));
        json_object_object_add(row, "country_code", jstr(v->country_code));
        json_object_object_add(row, "is_returning", json_object_new_int(v->is_returning));
        json_object_object_add(row, "referrer", jstr(v->referrer));
        json_object_object_add(row, "referrer_type", jstr(v->referrer_type));
        json_object_object_add(row, "is_pwa", json_object_new_int(v->is_pwa));
        static const char *const un[5] = { "utm_source", "utm_medium", "utm_campaign",
                                           "utm_content", "utm_term" };
        for (int i = 0; i < 5; i++) json_object_object_add(row, un[i], jstr(v->utm[i]));
        json_object_object_add(o, "row", row);
    } else if (r->kind == REC_EVENTS) {
        const rec_events_t *e = &r->events;
        json_object *ctx = json_object_new_object();
        json_object_object_add(ctx, "site_id", jstr(e->site_id));
        json_object_object_add(ctx, "visitor_id", jstr(e->visitor_id));
        json_object_object_add(ctx, "device_type", jstr(e->device_type));
        json_object_object_add(ctx, "referrer", jstr(e->referrer));
        json_object_object_add(ctx, "is_returning", json_object_new_int(e->is_returning));
        json_object_object_add(ctx, "hour", json_object_new_int(e->hour));
        json_object_object_add(ctx, "month", json_object_new_int(e->month));
        json_object_object_add(ctx, "day_of_week", json_object_new_int(e->day_of_week));
        json_object_object_add(o, "ctx", ctx);
        json_object *arr = json_object_new_array_ext((int)e->n);
        for (size_t i = 0; i < e->n; i++) {
            const rec_event_t *x = &e->ev[i];
            json_object *j = json_object_new_object();
            json_object_object_add(j, "id", jid(x->id));
            json_object_object_add(j, "event_type", jstr(x->event_type));
            json_object_object_add(j, "session_id", jstr(x->session_id));
            json_object_object_add(j, "data", jstr(x->data));
            json_object_object_add(j, "experiment_id", jstr(x->experiment_id));
            json_object_object_add(j, "variant_id", jstr(x->variant_id));
            json_object_object_add(j, "utm_campaign", jstr(x->utm_campaign));
            json_object_array_add(arr, j);
        }
        json_object_object_add(o, "ev", arr);
    }
    size_t len;
    const char *s = json_object_to_json_string_length(o, HTTP_JSON_FLAGS, &len);
    buf_append(b, s, len);
    json_object_put(o);
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
