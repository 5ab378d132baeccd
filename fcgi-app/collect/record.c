/* record.c -- spool payloads of collection (see record.h for the layout). */
#include <json-c/json.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include "collect/record.h"
#include "collect/visitor.h"
#include "core/http.h"

/* Record ids need only be unique (the UNIQUE key that makes shipping
 * idempotent), not secret. The first 8 bytes are the big-endian wall-clock
 * milliseconds, so the unique index takes new rows near its right edge
 * instead of at random pages (tests/bench/bench_insert.sh: ~10 % less
 * MariaDB CPU per row on a table of 2.5 M rows; more once the index
 * outgrows the buffer pool). The last 8 are a counter pushed through a keyed 64-bit
 * bijection (SplitMix64's finaliser): they never repeat within a process,
 * and the random key and start (getrandom(2)) keep processes apart. A
 * getrandom per record was one of the beacon's syscalls. A forked child
 * forgets the seed (pthread_atfork) so it cannot replay its parent's
 * sequence. */
static struct {
    uint64_t k0, k1, ctr;
    int seeded, atfork;
} idg;

static void idg_forget(void) { idg.seeded = 0; }

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

int rec_new_id(unsigned char id[REC_ID_LEN])
{
    if (!idg.seeded) {
        uint64_t s[3];
        if (getrandom(s, sizeof s, 0) != (ssize_t)sizeof s) return -1;
        if (!idg.atfork && pthread_atfork(NULL, NULL, idg_forget) != 0) return -1;
        idg.atfork = 1;
        idg.k0 = s[0];
        idg.k1 = s[1];
        idg.ctr = s[2];
        idg.seeded = 1;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t ms = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
    for (int i = 0; i < 8; i++) id[i] = (unsigned char)(ms >> (56 - 8 * i));
    uint64_t b = mix64(mix64(idg.ctr++ ^ idg.k0) ^ idg.k1);
    memcpy(id + 8, &b, 8);
    return 0;
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
 * the parsers below read it back (a direct one for exactly this layout,
 * json-c for anything else).
 * The writer keeps a raw cursor into the buffer and makes room once per
 * string (its worst case, every byte escaped as \u00XX) and once per batch
 * of fixed text, instead of a bounds check per byte. */
typedef struct jw {
    buf_t *b;
    char *o, *end;             /* cursor and the end of reserved room */
} jw_t;

#define JW_SLACK 64            /* room every fixed piece fits in */

static void jw_room(jw_t *w, size_t n)
{
    if ((size_t)(w->end - w->o) >= n) return;
    w->b->len = (size_t)(w->o - w->b->p);
    buf_reserve(w->b, n + 512);
    w->o = w->b->p + w->b->len;
    w->end = w->b->p + w->b->cap - 1;      /* keep a byte for the final NUL */
}

static void jw_begin(jw_t *w, buf_t *b)
{
    w->b = b;
    buf_reserve(b, 1024);
    w->o = b->p + b->len;
    w->end = b->p + b->cap - 1;
}

static void jw_end(jw_t *w)
{
    w->b->len = (size_t)(w->o - w->b->p);
    *w->o = '\0';
}

/* a literal of at most JW_SLACK bytes */
#define JW_LIT(w, s) do { jw_room((w), JW_SLACK); memcpy((w)->o, (s), sizeof(s) - 1); \
                          (w)->o += sizeof(s) - 1; } while (0)

/* Nonzero when one of the 8 bytes in v may need escaping (< 0x20, '"' or
 * '\\'); a false positive only sends those 8 bytes through the byte loop. */
static int swar_special(uint64_t v)
{
    const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
    uint64_t q = v ^ (ones * '"'), bs = v ^ (ones * '\\');
    return (((v - ones * 0x20) & ~v) | ((q - ones) & ~q) | ((bs - ones) & ~bs)) & high ? 1 : 0;
}

static void jw_str(jw_t *w, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    if (!s) {
        JW_LIT(w, "null");
        return;
    }
    size_t n = strlen(s), i = 0;
    jw_room(w, 6 * n + JW_SLACK);
    char *o = w->o;
    *o++ = '"';
    while (i < n) {
        if (n - i >= 8) {
            uint64_t v;
            memcpy(&v, s + i, 8);
            if (!swar_special(v)) {
                memcpy(o, &v, 8);
                o += 8;
                i += 8;
                continue;
            }
        }
        size_t stop = n - i >= 8 ? i + 8 : n;
        for (; i < stop; i++) {
            unsigned char c = (unsigned char)s[i];
            if (c >= 0x20 && c != '"' && c != '\\') {
                *o++ = (char)c;
                continue;
            }
            *o++ = '\\';
            switch (c) {
            case '"': *o++ = '"'; break;
            case '\\': *o++ = '\\'; break;
            case '\b': *o++ = 'b'; break;
            case '\f': *o++ = 'f'; break;
            case '\n': *o++ = 'n'; break;
            case '\r': *o++ = 'r'; break;
            case '\t': *o++ = 't'; break;
            default:
                memcpy(o, "u00", 3);
                o[3] = hex[c >> 4];
                o[4] = hex[c & 15];
                o += 5;
            }
        }
    }
    *o++ = '"';
    w->o = o;
}

static void jw_int(jw_t *w, long long v)
{
    if (v >= 0 && v <= 9) {                /* most score components are 0 */
        jw_room(w, JW_SLACK);
        *w->o++ = (char)('0' + v);
        return;
    }
    jw_room(w, JW_SLACK);
    w->o = buf_put_dec(w->o, v);
}

/* ,"key": and the value; `key` is a literal */
#define JW_KSTR(w, key, v) do { JW_LIT(w, ",\"" key "\":"); jw_str(w, v); } while (0)
#define JW_KINT(w, key, v) do { JW_LIT(w, ",\"" key "\":"); jw_int(w, v); } while (0)

static void jw_id(jw_t *w, const unsigned char id[REC_ID_LEN])
{
    jw_room(w, REC_ID_LEN * 2 + JW_SLACK);
    *w->o++ = '"';
    visitor_hex(id, REC_ID_LEN, w->o);
    w->o += REC_ID_LEN * 2;
    *w->o++ = '"';
}

static void score_put(jw_t *w, const score_t *s)
{
    const int32_t v[16] = { s->cf, s->timing, s->geo, s->geo_site, s->burst, s->headers,
                            s->screen, s->referrer, s->crawler_feed, s->ai_crawler_feed,
                            s->datacenter_ip, s->pow, s->bot_ip, s->geo_hit, s->geo_site_hit,
                            s->pow_result };
    JW_LIT(w, ",\"sc\":[");
    for (int i = 0; i < 16; i++) {
        if (i) *w->o++ = ',';              /* jw_int left JW_SLACK room */
        jw_int(w, v[i]);
    }
    JW_LIT(w, "]");
}

void rec_to_json(const rec_t *r, buf_t *b)
{
    jw_t w;
    jw_begin(&w, b);
    char k[2] = { (char)r->kind, 0 };
    JW_LIT(&w, "{\"k\":");
    jw_str(&w, k);
    JW_KINT(&w, "ts", r->ts_ms);
    JW_KSTR(&w, "ih", r->ip_hash);
    JW_KINT(&w, "rl", r->rl);
    JW_KINT(&w, "ik", r->ip_known);
    if (r->kind == REC_VIEW || r->kind == REC_EVENTS) {
        score_put(&w, &r->score);
        JW_KSTR(&w, "v0", r->vid0);
    }
    if (r->kind == REC_VIEW) {
        const rec_view_t *v = &r->view;
        JW_KSTR(&w, "fp", r->fp);
        JW_LIT(&w, ",\"row\":{\"id\":");
        jw_id(&w, v->id);
        JW_KSTR(&w, "visitor_id", v->visitor_id);
        JW_KSTR(&w, "path", v->path);
        JW_KSTR(&w, "site_id", v->site_id);
        JW_KSTR(&w, "session_id", v->session_id);
        JW_KINT(&w, "interaction_ms", v->interaction_ms);
        JW_LIT(&w, ",\"screen_width\":");
        if (v->has_w) jw_int(&w, v->w); else JW_LIT(&w, "null");
        JW_LIT(&w, ",\"screen_height\":");
        if (v->has_h) jw_int(&w, v->h); else JW_LIT(&w, "null");
        JW_KSTR(&w, "device_type", v->device_type);
        JW_KSTR(&w, "os_name", v->os_name);
        JW_KSTR(&w, "browser_name", v->browser_name);
        JW_KSTR(&w, "browser_version", v->browser_version);
        JW_KSTR(&w, "country_code", v->country_code);
        JW_KINT(&w, "is_returning", v->is_returning);
        JW_KSTR(&w, "referrer", v->referrer);
        JW_KSTR(&w, "referrer_type", v->referrer_type);
        JW_KINT(&w, "is_pwa", v->is_pwa);
        JW_KSTR(&w, "utm_source", v->utm[0]);
        JW_KSTR(&w, "utm_medium", v->utm[1]);
        JW_KSTR(&w, "utm_campaign", v->utm[2]);
        JW_KSTR(&w, "utm_content", v->utm[3]);
        JW_KSTR(&w, "utm_term", v->utm[4]);
        JW_LIT(&w, "}");
    } else if (r->kind == REC_EVENTS) {
        const rec_events_t *e = &r->events;
        JW_LIT(&w, ",\"ctx\":{\"site_id\":");
        jw_str(&w, e->site_id);
        JW_KSTR(&w, "visitor_id", e->visitor_id);
        JW_KSTR(&w, "device_type", e->device_type);
        JW_KSTR(&w, "referrer", e->referrer);
        JW_KINT(&w, "is_returning", e->is_returning);
        JW_KINT(&w, "hour", e->hour);
        JW_KINT(&w, "month", e->month);
        JW_KINT(&w, "day_of_week", e->day_of_week);
        JW_LIT(&w, "},\"ev\":[");
        for (size_t i = 0; i < e->n; i++) {
            const rec_event_t *x = &e->ev[i];
            if (i) JW_LIT(&w, ",");
            JW_LIT(&w, "{\"id\":");
            jw_id(&w, x->id);
            JW_KSTR(&w, "event_type", x->event_type);
            JW_KSTR(&w, "session_id", x->session_id);
            JW_KSTR(&w, "data", x->data);
            JW_KSTR(&w, "experiment_id", x->experiment_id);
            JW_KSTR(&w, "variant_id", x->variant_id);
            JW_KSTR(&w, "utm_campaign", x->utm_campaign);
            JW_LIT(&w, "}");
        }
        JW_LIT(&w, "]");
    }
    JW_LIT(&w, "}");
    jw_end(&w);
}

/* ---- parsing: json-c (any valid JSON with the record's keys) ---- */

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

int rec_parse_json(arena_t *a, const char *s, size_t n, rec_t *out)
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

/* ---- parsing: direct, for exactly the layout rec_to_json writes ----
 *
 * The shipper parses every record once; through json-c (a tokener, a hash
 * table per object, a copy of every string) that was about half of the
 * shipper child's CPU. Our own writer's output has one shape: keys in a fixed
 * order, no whitespace, strings with only the escapes jw_str emits, integers
 * that fit in 64 bits. This parser walks that shape with literal matches and
 * decodes strings straight into the arena.
 *
 * It only ever says "this is the record" or "not my layout" (REC_NOT_FAST):
 * anything it does not recognise byte for byte (older spool files, records
 * written by hand or by a future writer, whitespace, other escapes, "\u0000",
 * numbers json-c would read differently, ids that are not plain hex) and
 * every record the json-c path would reject on its meaning (kind, a missing
 * required string, too many events) goes to rec_parse_json, which decides.
 * So rec_parse accepts and rejects exactly what it did with json-c alone,
 * with the same result; tests/unit/test_collect_record.c checks both paths
 * against each other on generated and mutated records. */
typedef struct rp {
    arena_t *a;
    const char *p, *end;
} rp_t;

static int rp_lit(rp_t *r, const char *lit, size_t n)
{
    if ((size_t)(r->end - r->p) < n || memcmp(r->p, lit, n) != 0) return -1;
    r->p += n;
    return 0;
}
#define RP_LIT(r, s) rp_lit((r), (s), sizeof(s) - 1)

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* A JSON string or null (*out = NULL), decoded into the arena with its
 * length. Raw bytes >= 0x20 are copied as json-c copies them (it does not
 * validate UTF-8 by default); a raw control byte, "\/", "\u0000" and any
 * \u escape other than U+0001..U+001F are not our writer's and refused. */
static int rp_str(rp_t *r, const char **out, size_t *len)
{
    if (RP_LIT(r, "null") == 0) {
        *out = NULL;
        *len = 0;
        return 0;
    }
    if (r->p >= r->end || *r->p != '"') return -1;
    const char *s = r->p + 1, *p = s, *end = r->end;
    int esc = 0;
    for (;;) {
        while (end - p >= 8) {
            uint64_t v;
            memcpy(&v, p, 8);
            if (swar_special(v)) break;
            p += 8;
        }
        if (p >= end) return -1;
        unsigned char c = (unsigned char)*p;
        if (c == '"') break;
        if (c < 0x20) return -1;
        if (c == '\\') {
            if (end - p < 2) return -1;
            esc = 1;
            p += 2;                        /* the escaped byte may be '"' */
        } else {
            p++;
        }
    }
    r->p = p + 1;
    if (!esc) {
        *out = arena_strndup(r->a, s, (size_t)(p - s));
        *len = (size_t)(p - s);
        return 0;
    }
    char *d = arena_alloc(r->a, (size_t)(p - s) + 1), *o = d;
    for (const char *q = s; q < p;) {
        if (*q != '\\') {
            *o++ = *q++;
            continue;
        }
        switch (q[1]) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u': {
            if (p - q < 6 || q[2] != '0' || q[3] != '0') return -1;
            int hi = hexval((unsigned char)q[4]), lo = hexval((unsigned char)q[5]);
            if (hi < 0 || hi > 1 || lo < 0 || (hi == 0 && lo == 0)) return -1;
            *o++ = (char)(hi << 4 | lo);
            q += 6;
            continue;
        }
        default: return -1;
        }
        q += 2;
    }
    *o = '\0';
    *out = d;
    *len = (size_t)(o - d);
    return 0;
}

/* An integer as jw_int writes it: -?(0|[1-9][0-9]*) within int64. "-0",
 * leading zeros and anything larger are left to json-c (which reads them
 * its own way: uint64, clamping). A following '.', 'e' or digit cannot
 * slip through: the caller's next literal match fails on it. */
static int rp_int(rp_t *r, long long *out)
{
    const char *p = r->p, *end = r->end;
    int neg = 0;
    if (p < end && *p == '-') {
        neg = 1;
        p++;
    }
    if (p >= end || *p < '0' || *p > '9') return -1;
    if (*p == '0') {
        if (neg || (p + 1 < end && p[1] >= '0' && p[1] <= '9')) return -1;
        r->p = p + 1;
        *out = 0;
        return 0;
    }
    unsigned long long u = 0;
    int nd = 0;
    for (; p < end && *p >= '0' && *p <= '9'; p++) {
        if (++nd > 19) return -1;          /* 19 digits cannot overflow u64 */
        u = u * 10 + (unsigned)(*p - '0');
    }
    if (u > (neg ? (unsigned long long)INT64_MAX + 1 : (unsigned long long)INT64_MAX)) return -1;
    *out = neg ? -(long long)(u - 1) - 1 : (long long)u;
    r->p = p;
    return 0;
}

/* "<32 hex>" (gid's sscanf would also take signs, spaces and 0x: json-c's) */
static int rp_id(rp_t *r, unsigned char id[REC_ID_LEN])
{
    const char *p = r->p;
    if (r->end - p < REC_ID_LEN * 2 + 2 || p[0] != '"' || p[REC_ID_LEN * 2 + 1] != '"') return -1;
    for (int i = 0; i < REC_ID_LEN; i++) {
        int hi = hexval((unsigned char)p[1 + 2 * i]), lo = hexval((unsigned char)p[2 + 2 * i]);
        if (hi < 0 || lo < 0) return -1;
        id[i] = (unsigned char)(hi << 4 | lo);
    }
    r->p = p + REC_ID_LEN * 2 + 2;
    return 0;
}

/* ,"key":<string or null> and ,"key":<integer>; `key` is a literal */
#define RP_KSTR(r, key, dst) \
    (RP_LIT(r, ",\"" key "\":") == 0 && rp_str(r, &(dst), &sl_) == 0)
#define RP_KINT(r, key, dst) \
    (RP_LIT(r, ",\"" key "\":") == 0 && rp_int(r, &(dst)) == 0)

/* json_object_get_int: an int64 outside int32 is clamped, not wrapped */
static int32_t clamp32(long long v)
{
    return v <= INT32_MIN ? INT32_MIN : v >= INT32_MAX ? INT32_MAX : (int32_t)v;
}

static int rp_view(rp_t *r, rec_t *out)
{
    rec_view_t *w = &out->view;
    size_t sl_;
    long long rt, pwa;
    if (!RP_KSTR(r, "fp", out->fp) || RP_LIT(r, ",\"row\":{\"id\":") || rp_id(r, w->id) ||
        !RP_KSTR(r, "visitor_id", w->visitor_id) || !RP_KSTR(r, "path", w->path) ||
        !RP_KSTR(r, "site_id", w->site_id) || !RP_KSTR(r, "session_id", w->session_id) ||
        !RP_KINT(r, "interaction_ms", w->interaction_ms))
        return -1;
    if (RP_LIT(r, ",\"screen_width\":")) return -1;
    if (RP_LIT(r, "null") != 0) {
        if (rp_int(r, &w->w)) return -1;
        w->has_w = 1;
    }
    if (RP_LIT(r, ",\"screen_height\":")) return -1;
    if (RP_LIT(r, "null") != 0) {
        if (rp_int(r, &w->h)) return -1;
        w->has_h = 1;
    }
    if (!RP_KSTR(r, "device_type", w->device_type) || !RP_KSTR(r, "os_name", w->os_name) ||
        !RP_KSTR(r, "browser_name", w->browser_name) ||
        !RP_KSTR(r, "browser_version", w->browser_version) ||
        !RP_KSTR(r, "country_code", w->country_code) || !RP_KINT(r, "is_returning", rt) ||
        !RP_KSTR(r, "referrer", w->referrer) || !RP_KSTR(r, "referrer_type", w->referrer_type) ||
        !RP_KINT(r, "is_pwa", pwa) || !RP_KSTR(r, "utm_source", w->utm[0]) ||
        !RP_KSTR(r, "utm_medium", w->utm[1]) || !RP_KSTR(r, "utm_campaign", w->utm[2]) ||
        !RP_KSTR(r, "utm_content", w->utm[3]) || !RP_KSTR(r, "utm_term", w->utm[4]) ||
        RP_LIT(r, "}"))
        return -1;
    w->is_returning = (int)rt;
    w->is_pwa = (int)pwa;
    return w->visitor_id && w->path && w->site_id ? 0 : -1;
}

static int rp_events(rp_t *r, rec_t *out)
{
    rec_events_t *e = &out->events;
    size_t sl_;
    long long rt, hour, month, dow;
    if (RP_LIT(r, ",\"ctx\":{\"site_id\":") || rp_str(r, &e->site_id, &sl_) ||
        !RP_KSTR(r, "visitor_id", e->visitor_id) || !RP_KSTR(r, "device_type", e->device_type) ||
        !RP_KSTR(r, "referrer", e->referrer) || !RP_KINT(r, "is_returning", rt) ||
        !RP_KINT(r, "hour", hour) || !RP_KINT(r, "month", month) ||
        !RP_KINT(r, "day_of_week", dow) || RP_LIT(r, "},\"ev\":[") || !e->site_id)
        return -1;
    e->is_returning = (int)rt;
    e->hour = (int)hour;
    e->month = (int)month;
    e->day_of_week = (int)dow;
    if (RP_LIT(r, "]") == 0) return 0;
    for (size_t i = 0;; i++) {
        if (i == REC_MAX_EVENTS) return -1;
        rec_event_t *x = &e->ev[i];
        if (RP_LIT(r, "{\"id\":") || rp_id(r, x->id) ||
            !RP_KSTR(r, "event_type", x->event_type) || !RP_KSTR(r, "session_id", x->session_id) ||
            !RP_KSTR(r, "data", x->data) || !RP_KSTR(r, "experiment_id", x->experiment_id) ||
            !RP_KSTR(r, "variant_id", x->variant_id) ||
            !RP_KSTR(r, "utm_campaign", x->utm_campaign) || RP_LIT(r, "}") || !x->event_type)
            return -1;
        e->n = i + 1;
        if (RP_LIT(r, "]") == 0) return 0;
        if (RP_LIT(r, ",")) return -1;
    }
}

int rec_parse_fast(arena_t *a, const char *s, size_t n, rec_t *out)
{
    memset(out, 0, sizeof *out);
    rp_t r = { a, s, s + n };
    const char *k, *ih;
    size_t kl, ihl;
    long long rl, ik;
    if (RP_LIT(&r, "{\"k\":") || rp_str(&r, &k, &kl) || !k || kl != 1 ||
        (k[0] != REC_HIT && k[0] != REC_VIEW && k[0] != REC_EVENTS) ||
        RP_LIT(&r, ",\"ts\":") || rp_int(&r, &out->ts_ms) ||
        RP_LIT(&r, ",\"ih\":") || rp_str(&r, &ih, &ihl) || !ih || ihl >= sizeof out->ip_hash ||
        RP_LIT(&r, ",\"rl\":") || rp_int(&r, &rl) || RP_LIT(&r, ",\"ik\":") || rp_int(&r, &ik))
        return REC_NOT_FAST;
    out->kind = k[0];
    memcpy(out->ip_hash, ih, ihl + 1);
    out->rl = (int)rl;
    out->ip_known = (int)ik;
    if (out->kind != REC_HIT) {
        long long v[16];
        size_t sl_;
        if (RP_LIT(&r, ",\"sc\":[")) return REC_NOT_FAST;
        for (int i = 0; i < 16; i++)
            if ((i && RP_LIT(&r, ",")) || rp_int(&r, &v[i])) return REC_NOT_FAST;
        if (RP_LIT(&r, "]") || !RP_KSTR(&r, "v0", out->vid0)) return REC_NOT_FAST;
        score_t *S = &out->score;
        S->cf = clamp32(v[0]); S->timing = clamp32(v[1]); S->geo = clamp32(v[2]);
        S->geo_site = clamp32(v[3]); S->burst = clamp32(v[4]); S->headers = clamp32(v[5]);
        S->screen = clamp32(v[6]); S->referrer = clamp32(v[7]); S->crawler_feed = clamp32(v[8]);
        S->ai_crawler_feed = clamp32(v[9]); S->datacenter_ip = clamp32(v[10]);
        S->pow = clamp32(v[11]); S->bot_ip = clamp32(v[12]);
        S->geo_hit = (uint8_t)clamp32(v[13]); S->geo_site_hit = (uint8_t)clamp32(v[14]);
        S->pow_result = (uint8_t)clamp32(v[15]);
        if ((out->kind == REC_VIEW ? rp_view(&r, out) : rp_events(&r, out)) != 0)
            return REC_NOT_FAST;
    }
    if (RP_LIT(&r, "}") || r.p != r.end) return REC_NOT_FAST;
    return 0;
}

int rec_parse(arena_t *a, const char *s, size_t n, rec_t *out)
{
    if (rec_parse_fast(a, s, n, out) == 0) return 0;
    return rec_parse_json(a, s, n, out);
}
