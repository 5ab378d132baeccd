/* Unit tests for collect/record.c (spool payload round trip), the GIF of
 * spec/10 Appendix A (reference test 1) and collect/beacon.c parameter
 * parsing (§5.2-§5.8) on requests built without FastCGI. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>
#include "collect/beacon.h"
#include "collect/collect.h"
#include "collect/record.h"

static arena_t A;

static void gif_is_the_43_byte_pixel(void **st)
{
    (void)st;
    assert_int_equal(sizeof collect_gif, 43);
    assert_memory_equal(collect_gif, "GIF89a", 6);
    assert_int_equal(collect_gif[42], 0x3B);
}

static void view_records_round_trip(void **st)
{
    (void)st;
    rec_t r, p;
    memset(&r, 0, sizeof r);
    r.kind = REC_VIEW;
    r.ts_ms = 1767225600123LL;
    r.rl = 1;
    r.ip_known = 1;
    strcpy(r.ip_hash, "ab12");
    r.score.headers = 10;
    r.score.pow = 50;
    r.score.pow_result = 1;
    r.score.geo_hit = 1;
    r.vid0 = "0123456789abcdef";
    r.fp = "Linux|Chrome|120|1920x1080|unknown|en";
    rec_new_id(r.view.id);
    r.view.visitor_id = "0123456789abcdef";
    r.view.path = "/caf\xc3\xa9?q=\"x\"\n";
    r.view.site_id = "s";
    r.view.interaction_ms = 2000;
    r.view.has_w = 1;
    r.view.w = 1920;
    r.view.referrer = "direct_or_unknown";
    r.view.utm[2] = "spring";
    buf_t b;
    buf_init(&b);
    rec_to_json(&r, &b);
    assert_null(memchr(b.p, '\n', b.len));
    assert_int_equal(rec_parse(&A, b.p, b.len, &p), 0);
    assert_int_equal(p.kind, REC_VIEW);
    assert_true(p.ts_ms == r.ts_ms);
    assert_string_equal(p.ip_hash, "ab12");
    assert_int_equal(p.ip_known, 1);
    assert_int_equal(p.score.headers, 10);
    assert_int_equal(p.score.pow, 50);
    assert_int_equal(p.score.pow_result, 1);
    assert_int_equal(p.score.geo_hit, 1);
    assert_memory_equal(p.view.id, r.view.id, REC_ID_LEN);
    assert_string_equal(p.view.path, r.view.path);
    assert_int_equal(p.view.has_w, 1);
    assert_int_equal(p.view.has_h, 0);
    assert_null(p.view.session_id);
    assert_null(p.view.utm[0]);
    assert_string_equal(p.view.utm[2], "spring");
    assert_string_equal(p.fp, r.fp);
    buf_free(&b);
}

/* The hand-written JSON must be what json-c prints, byte for byte, for any
 * string: every byte value, escapes at every offset of an 8-byte word. */
static void strings_are_written_as_json_c_prints_them(void **st)
{
    (void)st;
    char s[300];
    srand(7);
    for (int round = 0; round < 2000; round++) {
        size_t n = (size_t)(rand() % 40);
        for (size_t i = 0; i < n; i++) {
            int c = round < 255 && i == n / 2 ? round + 1 : 1 + rand() % 255;
            if (rand() % 2) c = "ab\"\\\n\x01\x1f /\x7f\xc3\xa9"[rand() % 13];
            s[i] = (char)c;
        }
        s[n] = '\0';
        rec_t r;
        memset(&r, 0, sizeof r);
        r.kind = REC_VIEW;
        r.fp = s;
        buf_t b;
        buf_init(&b);
        rec_to_json(&r, &b);
        json_object *o = json_object_new_string(s);
        const char *want = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                                              JSON_C_TO_STRING_NOSLASHESCAPE);
        char *at = strstr(b.p, ",\"fp\":");
        assert_non_null(at);
        assert_memory_equal(at + 6, want, strlen(want));
        assert_memory_equal(at + 6 + strlen(want), ",\"row\":", 7);
        assert_int_equal(b.p[b.len], '\0');
        assert_int_equal(strlen(b.p), b.len);
        json_object_put(o);
        buf_free(&b);
    }
}

static int cmp_id(const void *a, const void *b) { return memcmp(a, b, REC_ID_LEN); }

/* Ids are unique within a process and differ in a forked child (which must
 * not replay its parent's sequence). */
static void record_ids_are_unique_also_after_fork(void **st)
{
    (void)st;
    enum { N = 20000 };
    static unsigned char ids[N + 1][REC_ID_LEN];
    for (int i = 0; i < N; i++) assert_int_equal(rec_new_id(ids[i]), 0);
    int fd[2];
    assert_int_equal(pipe(fd), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        unsigned char c[REC_ID_LEN];
        _exit(rec_new_id(c) == 0 && write(fd[1], c, sizeof c) == (ssize_t)sizeof c ? 0 : 1);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_int_equal(status, 0);
    assert_int_equal(read(fd[0], ids[N], REC_ID_LEN), REC_ID_LEN);
    unsigned char next[REC_ID_LEN];
    assert_int_equal(rec_new_id(next), 0);
    assert_memory_not_equal(next, ids[N], REC_ID_LEN);  /* the child's is not the parent's next */
    close(fd[0]);
    close(fd[1]);
    qsort(ids, N + 1, REC_ID_LEN, cmp_id);
    for (int i = 1; i <= N; i++) assert_memory_not_equal(ids[i - 1], ids[i], REC_ID_LEN);
}

/* Ids start with the big-endian wall-clock milliseconds: one made later
 * sorts after (the unique index then grows at its right edge), and the
 * prefix is the time it was made. */
static void record_ids_sort_by_time(void **st)
{
    (void)st;
    struct timespec t0, t1;
    unsigned char a[REC_ID_LEN], b[REC_ID_LEN];
    clock_gettime(CLOCK_REALTIME, &t0);
    assert_int_equal(rec_new_id(a), 0);
    struct timespec pause = { 0, 3 * 1000000L };
    nanosleep(&pause, NULL);
    assert_int_equal(rec_new_id(b), 0);
    clock_gettime(CLOCK_REALTIME, &t1);
    assert_true(memcmp(a, b, REC_ID_LEN) < 0);
    unsigned long long ms = 0;
    for (int i = 0; i < 8; i++) ms = ms << 8 | a[i];
    unsigned long long lo = (unsigned long long)t0.tv_sec * 1000 + (unsigned long long)t0.tv_nsec / 1000000;
    unsigned long long hi = (unsigned long long)t1.tv_sec * 1000 + (unsigned long long)t1.tv_nsec / 1000000;
    assert_true(ms >= lo && ms <= hi);
    assert_memory_not_equal(a + 8, b + 8, 8);
}

static void event_and_hit_records_round_trip(void **st)
{
    (void)st;
    rec_t r, p;
    memset(&r, 0, sizeof r);
    r.kind = REC_EVENTS;
    r.events.site_id = "s";
    r.events.visitor_id = "v";
    r.events.hour = 23;
    r.events.day_of_week = 6;
    r.events.n = 2;
    for (int i = 0; i < 2; i++) {
        rec_new_id(r.events.ev[i].id);
        r.events.ev[i].event_type = i ? "scroll_depth" : "click";
        r.events.ev[i].data = "{\"a\":1}";
    }
    buf_t b;
    buf_init(&b);
    rec_to_json(&r, &b);
    assert_int_equal(rec_parse(&A, b.p, b.len, &p), 0);
    assert_int_equal(p.events.n, 2);
    assert_string_equal(p.events.ev[1].event_type, "scroll_depth");
    assert_memory_not_equal(p.events.ev[0].id, p.events.ev[1].id, REC_ID_LEN);
    assert_int_equal(p.events.hour, 23);
    assert_null(p.events.referrer);
    buf_reset(&b);
    memset(&r, 0, sizeof r);
    r.kind = REC_HIT;
    r.rl = 1;
    rec_to_json(&r, &b);
    assert_int_equal(rec_parse(&A, b.p, b.len, &p), 0);
    assert_int_equal(p.kind, REC_HIT);
    assert_int_equal(p.rl, 1);
    assert_int_equal(rec_parse(&A, "{\"k\":\"v\"}", 9, &p), -1);
    assert_int_equal(rec_parse(&A, "nope", 4, &p), -1);
    buf_free(&b);
    char dt[24];
    rec_datetime(1767225600123LL, dt);
    assert_string_equal(dt, "2026-01-01 00:00:00.123");
}

/* ---- the direct parser against the json-c one ---- */

static int str_eq(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* Field by field; says which field differs so a failure points at it. */
static const char *rec_diff(const rec_t *x, const rec_t *y)
{
#define F(c, name) do { if (!(c)) return name; } while (0)
#define S(f) F(str_eq(x->f, y->f), #f)
#define I(f) F(x->f == y->f, #f)
    I(kind); I(ts_ms); F(strcmp(x->ip_hash, y->ip_hash) == 0, "ip_hash"); I(rl); I(ip_known);
    I(score.cf); I(score.timing); I(score.geo); I(score.geo_site); I(score.burst);
    I(score.headers); I(score.screen); I(score.referrer); I(score.crawler_feed);
    I(score.ai_crawler_feed); I(score.datacenter_ip); I(score.pow); I(score.bot_ip);
    I(score.geo_hit); I(score.geo_site_hit); I(score.pow_result);
    S(vid0); S(fp);
    F(memcmp(x->view.id, y->view.id, REC_ID_LEN) == 0, "view.id");
    S(view.visitor_id); S(view.path); S(view.site_id); S(view.session_id);
    I(view.interaction_ms); I(view.has_w); I(view.has_h); I(view.w); I(view.h);
    S(view.device_type); S(view.os_name); S(view.browser_name); S(view.browser_version);
    S(view.country_code); I(view.is_returning); S(view.referrer); S(view.referrer_type);
    I(view.is_pwa);
    for (int i = 0; i < 5; i++) S(view.utm[i]);
    S(events.site_id); S(events.visitor_id); S(events.device_type); S(events.referrer);
    I(events.is_returning); I(events.hour); I(events.month); I(events.day_of_week);
    I(events.n);
    for (size_t i = 0; i < x->events.n && i < REC_MAX_EVENTS; i++) {
        F(memcmp(x->events.ev[i].id, y->events.ev[i].id, REC_ID_LEN) == 0, "ev.id");
        S(events.ev[i].event_type); S(events.ev[i].session_id); S(events.ev[i].data);
        S(events.ev[i].experiment_id); S(events.ev[i].variant_id); S(events.ev[i].utm_campaign);
    }
    return NULL;
#undef F
#undef S
#undef I
}

/* Parse with rec_parse and with json-c alone: same return, same record.
 * Returns what rec_parse_fast said, so callers can check which path ran. */
static int parse_alike(const char *line, size_t n, int *rc)
{
    static rec_t x, y;
    char *s = malloc(n ? n : 1);        /* exactly n bytes: ASan sees a read past them */
    assert_non_null(s);
    memcpy(s, line, n);
    int want = rec_parse_json(&A, s, n, &y);
    int got = rec_parse(&A, s, n, &x);
    if (got != want) fail_msg("rec_parse %d, json-c %d on [%.*s]", got, want, (int)n, s);
    const char *d = got == 0 ? rec_diff(&x, &y) : NULL;
    if (d) fail_msg("field %s differs on [%.*s]", d, (int)n, s);
    int fast = rec_parse_fast(&A, s, n, &x);
    if (fast == 0 && ((d = rec_diff(&x, &y)) != NULL || want != 0))
        fail_msg("fast path took [%.*s] (json-c %d, field %s)", (int)n, s, want, d ? d : "-");
    if (fast != 0 && fast != REC_NOT_FAST) fail_msg("fast path returned %d", fast);
    free(s);
    if (rc) *rc = want;
    return fast;
}

static unsigned long long rnd64(void)
{
    return (unsigned long long)rand() << 42 ^ (unsigned long long)rand() << 21 ^
           (unsigned long long)rand();
}

static long long rand_ll(void)
{
    static const long long edge[] = { 0, 1, -1, 9, 10, -10, 2147483647LL, 2147483648LL,
                                      -2147483648LL, -2147483649LL, 9223372036854775807LL,
                                      -9223372036854775807LL - 1, 1767225600123LL };
    switch (rand() % 4) {
    case 0: return edge[rand() % (int)(sizeof edge / sizeof *edge)];
    case 1: return rand() % 200 - 100;
    case 2: return (long long)rnd64();
    default: return (long long)(rnd64() >> (rand() % 64)) * (rand() % 2 ? 1 : -1);
    }
}

/* NULL now and then; otherwise bytes that need every escape json-c writes,
 * high bytes (not valid UTF-8 on purpose), '/', and plain text. */
static const char *rand_str(int may_be_null)
{
    if (may_be_null && rand() % 6 == 0) return NULL;
    static const char pal[] = "aZ09 \"\\/\b\f\n\r\t\x01\x1f\x7f\x80\xc3\xa9\xff{}[]:,u";
    size_t n = (size_t)(rand() % 3 ? rand() % 12 : rand() % 60);
    char *s = arena_alloc(&A, n + 1);
    for (size_t i = 0; i < n; i++)
        s[i] = (char)(rand() % 3 ? pal[rand() % (int)(sizeof pal - 1)] : 1 + rand() % 255);
    s[n] = '\0';
    return s;
}

static void rand_id(unsigned char id[REC_ID_LEN])
{
    for (int i = 0; i < REC_ID_LEN; i++) id[i] = (unsigned char)rand();
}

static void rand_rec(rec_t *r)
{
    static const char kinds[] = "vvveeh";
    memset(r, 0, sizeof *r);
    r->kind = kinds[rand() % 6];
    r->ts_ms = rand_ll();
    const char *ih = rand_str(0);
    snprintf(r->ip_hash, sizeof r->ip_hash, "%s", rand() % 4 ? ih : "");
    if (rand() % 3 == 0) memset(r->ip_hash, 'f', 64);
    r->rl = (int)rand_ll();
    r->ip_known = rand() % 2;
    int32_t *sc[] = { &r->score.cf, &r->score.timing, &r->score.geo, &r->score.geo_site,
                      &r->score.burst, &r->score.headers, &r->score.screen, &r->score.referrer,
                      &r->score.crawler_feed, &r->score.ai_crawler_feed,
                      &r->score.datacenter_ip, &r->score.pow, &r->score.bot_ip };
    for (size_t i = 0; i < sizeof sc / sizeof *sc; i++) *sc[i] = (int32_t)rand_ll();
    r->score.geo_hit = (uint8_t)rand();
    r->score.geo_site_hit = (uint8_t)rand();
    r->score.pow_result = (uint8_t)rand();
    r->vid0 = rand_str(1);
    if (r->kind == REC_VIEW) {
        rec_view_t *v = &r->view;
        r->fp = rand_str(1);
        rand_id(v->id);
        /* required: absent now and then, so both paths must refuse it */
        v->visitor_id = rand() % 30 ? rand_str(0) : NULL;
        v->path = rand() % 30 ? rand_str(0) : NULL;
        v->site_id = rand() % 30 ? rand_str(0) : NULL;
        v->session_id = rand_str(1);
        v->interaction_ms = rand_ll();
        v->has_w = rand() % 2;
        v->has_h = rand() % 2;
        v->w = v->has_w ? rand_ll() : 0;
        v->h = v->has_h ? rand_ll() : 0;
        v->device_type = rand_str(1);
        v->os_name = rand_str(1);
        v->browser_name = rand_str(1);
        v->browser_version = rand_str(1);
        v->country_code = rand_str(1);
        v->is_returning = (int)rand_ll();
        v->referrer = rand_str(1);
        v->referrer_type = rand_str(1);
        v->is_pwa = rand() % 2;
        for (int i = 0; i < 5; i++) v->utm[i] = rand_str(1);
    } else if (r->kind == REC_EVENTS) {
        rec_events_t *e = &r->events;
        e->site_id = rand() % 30 ? rand_str(0) : NULL;
        e->visitor_id = rand_str(1);
        e->device_type = rand_str(1);
        e->referrer = rand_str(1);
        e->is_returning = (int)rand_ll();
        e->hour = (int)rand_ll();
        e->month = rand() % 13;
        e->day_of_week = rand() % 7;
        e->n = (size_t)(rand() % (REC_MAX_EVENTS + 1));
        for (size_t i = 0; i < e->n; i++) {
            rec_event_t *x = &e->ev[i];
            rand_id(x->id);
            x->event_type = rand() % 60 ? rand_str(0) : NULL;
            x->session_id = rand_str(1);
            x->data = rand_str(1);
            x->experiment_id = rand_str(1);
            x->variant_id = rand_str(1);
            x->utm_campaign = rand_str(1);
        }
    }
}

/* Every record our writer produces that json-c accepts, the direct parser
 * takes itself, with the same fields; the others both refuse. */
static void generated_records_parse_alike_on_both_paths(void **st)
{
    (void)st;
    srand(11);
    buf_t b;
    buf_init(&b);
    int taken = 0, refused = 0;
    for (int round = 0; round < 20000; round++) {
        rec_t r;
        rand_rec(&r);
        buf_reset(&b);
        rec_to_json(&r, &b);
        int rc, fast = parse_alike(b.p, b.len, &rc);
        if (rc == 0) {
            if (fast != 0) fail_msg("fast path declined a record of our writer: [%s]", b.p);
            taken++;
        } else {
            refused++;
        }
        if (round % 500 == 499) arena_reset(&A);
    }
    assert_true(taken > 15000);
    assert_true(refused > 100);
    buf_free(&b);
    arena_reset(&A);
}

/* Damage written records a byte at a time: whatever the direct parser still
 * takes, json-c reads the same way (and the rest goes to json-c anyway). */
static void damaged_records_parse_alike_on_both_paths(void **st)
{
    (void)st;
    static const char pal[] = "0123456789abcdefgABCDEF\"\\/ nul.e-+,:{}[]tbfnr\x01\x7f\xe9";
    srand(12);
    buf_t b;
    buf_init(&b);
    char *m = malloc(1 << 16);
    assert_non_null(m);
    int fast_taken = 0;
    for (int round = 0; round < 30000; round++) {
        rec_t r;
        rand_rec(&r);
        buf_reset(&b);
        rec_to_json(&r, &b);
        if (b.len + 16 > 1 << 16) continue;
        size_t n = b.len, at = (size_t)rand() % n;
        memcpy(m, b.p, n);
        char c = rand() % 4 ? pal[rand() % (int)(sizeof pal - 1)] : (char)rand();
        switch (rand() % 5) {
        case 0: case 1: m[at] = c; break;                                   /* replace */
        case 2: memmove(m + at, m + at + 1, n - at - 1); n--; break;        /* delete */
        case 3: memmove(m + at + 1, m + at, n - at); m[at] = c; n++; break; /* insert */
        default: n = at; break;                                             /* truncate */
        }
        fast_taken += parse_alike(m, n, NULL) == 0;
        if (round % 500 == 499) arena_reset(&A);
    }
    assert_true(fast_taken > 1000);     /* changed digits, hex and text bytes */
    free(m);
    buf_free(&b);
    arena_reset(&A);
}

/* Lines the direct parser must leave to json-c, and what json-c says of
 * them: rejected exactly as before (or read as before, where json-c reads). */
static void malformed_and_foreign_lines_are_decided_as_before(void **st)
{
    (void)st;
    rec_t r;
    memset(&r, 0, sizeof r);
    r.kind = REC_VIEW;
    r.ts_ms = 1767225600123LL;
    strcpy(r.ip_hash, "ab12");
    memset(r.view.id, 0xab, REC_ID_LEN);
    r.view.visitor_id = "v";
    r.view.path = "/p";
    r.view.site_id = "s";
    buf_t b;
    buf_init(&b);
    rec_to_json(&r, &b);
    char view[2048];
    assert_true(b.len < sizeof view);
    memcpy(view, b.p, b.len + 1);
    int rc;
    /* every proper prefix is refused, by both */
    for (size_t n = 0; n < b.len; n++) {
        assert_int_equal(parse_alike(view, n, &rc), REC_NOT_FAST);
        assert_int_equal(rc, -1);
    }
    assert_int_equal(parse_alike(view, b.len, &rc), 0);

    struct { const char *from, *to; int fast, rc; } c[] = {
        /* refused by both */
        { "\"/p\"", "null", REC_NOT_FAST, -1 },                  /* path required */
        { "abababababababababababababababab", "gbababababababababababababababab",
          REC_NOT_FAST, -1 },                                     /* id not hex */
        { "abababababababababababababababab\"", "ababab\"", REC_NOT_FAST, -1 },
        { "{\"k\":\"v\"", "{\"k\":\"x\"", REC_NOT_FAST, -1 },     /* unknown kind */
        { "{\"k\":\"v\"", "{\"k\":\"vv\"", REC_NOT_FAST, -1 },
        { "\"ih\":\"ab12\"", "\"ih\":null", REC_NOT_FAST, -1 },
        { ",\"ts\":1767225600123", "", REC_NOT_FAST, 0 },         /* json-c: ts 0 */
        { "\"sc\":[0,", "\"sc\":[", REC_NOT_FAST, -1 },           /* 15 scores */
        /* read by json-c, not our layout: json-c's reading stands */
        { "1767225600123", "1767225600123.5", REC_NOT_FAST, 0 },
        { "1767225600123", "01767225600123", REC_NOT_FAST, 0 },
        { "1767225600123", "-0", REC_NOT_FAST, 0 },
        { "1767225600123", "9223372036854775808", REC_NOT_FAST, 0 },
        { "1767225600123", "-9223372036854775809", REC_NOT_FAST, 0 }, /* a double: ts 0 */
        { "\"/p\"", "\"\\/p\"", REC_NOT_FAST, 0 },
        { "\"/p\"", "\"/p\\u00e9\"", REC_NOT_FAST, 0 },           /* U+00E9 as UTF-8 */
        { "\"/p\"", "\"/p\\u0000x\"", REC_NOT_FAST, 0 },
        { "\"/p\"", "\"/p\\u001F\"", 0, 0 },                      /* upper-case hex */
        { "\"/p\"", "\"/p\\u0020\"", REC_NOT_FAST, 0 },
        { "\"/p\"", "\"/\tp\"", REC_NOT_FAST, 0 },                /* raw control byte */
        { "{\"k\"", "{ \"k\"", REC_NOT_FAST, 0 },
        { "\"ts\":", "\"ts\" : ", REC_NOT_FAST, 0 },
        { "\"ik\":0", "\"ik\":0,\"zz\":1", REC_NOT_FAST, 0 },
        { "\"screen_width\":null", "\"screen_width\":\"1\"", REC_NOT_FAST, 0 },
        { "abababababababababababababababab", "ABABABABABABABABABABABABABABABAB", 0, 0 },
        /* json-c's sscanf("%2x") reads "ag" as 0x0a; the quirk is kept */
        { "abababababababababababababababab", "abababababababababababababababag",
          REC_NOT_FAST, 0 },
        /* our layout, values json-c clamps into the int32 score */
        { "\"sc\":[0,0", "\"sc\":[99999999999,-99999999999", 0, 0 },
        { "\"sc\":[0,0,0", "\"sc\":[2147483647,-2147483648,300", 0, 0 },
    };
    char line[4096];
    for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
        const char *at = strstr(view, c[i].from);
        assert_non_null(at);
        int k = snprintf(line, sizeof line, "%.*s%s%s", (int)(at - view), view, c[i].to,
                         at + strlen(c[i].from));
        if (parse_alike(line, (size_t)k, &rc) != c[i].fast || rc != c[i].rc)
            fail_msg("case %zu [%s]: expected fast %d rc %d, got rc %d", i, line, c[i].fast,
                     c[i].rc, rc);
    }
    /* trailing bytes: json-c stops after the object and so did rec_parse */
    memcpy(line, view, b.len);
    memcpy(line + b.len, "xyz", 3);
    assert_int_equal(parse_alike(line, b.len + 3, &rc), REC_NOT_FAST);
    assert_int_equal(rc, 0);
    const char *odd[] = { "", "nope", "{}", "[]", "{\"k\":\"v\"}", "{\"k\":\"h\"}",
                          "{\"k\":\"h\",\"ih\":\"\"}", "{\"k\":\"h\",\"ts\":1,\"ih\":\"\",\"rl\":0,\"ik\":0}" };
    int odd_rc[] = { -1, -1, -1, -1, -1, -1, 0, 0 };
    int odd_fast[] = { 1, 1, 1, 1, 1, 1, 1, 0 };
    for (size_t i = 0; i < sizeof odd / sizeof *odd; i++) {
        assert_int_equal(parse_alike(odd[i], strlen(odd[i]), &rc), odd_fast[i] ? REC_NOT_FAST : 0);
        assert_int_equal(rc, odd_rc[i]);
    }

    /* 21 events: the writer cannot, an edited line can; both refuse it */
    memset(&r, 0, sizeof r);
    r.kind = REC_EVENTS;
    r.events.site_id = "s";
    r.events.n = REC_MAX_EVENTS;
    for (int i = 0; i < REC_MAX_EVENTS; i++) r.events.ev[i].event_type = "click";
    buf_reset(&b);
    rec_to_json(&r, &b);
    assert_int_equal(parse_alike(b.p, b.len, &rc), 0);
    const char *ev = strstr(b.p, "[{");
    assert_non_null(ev);
    const char *one_end = strstr(ev, "},{");
    int k = snprintf(line, sizeof line, "%.*s%.*s,%s", (int)(ev + 1 - b.p), b.p,
                     (int)(one_end + 1 - (ev + 1)), ev + 1, ev + 1);
    assert_int_equal(parse_alike(line, (size_t)k, &rc), REC_NOT_FAST);
    assert_int_equal(rc, -1);
    buf_free(&b);
    arena_reset(&A);
}

/* ---- microbenchmark (REC_BENCH=N ./tests/unit/test_collect_record) ---- */

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void bench(long n)
{
    rec_t v, e;
    memset(&v, 0, sizeof v);
    v.kind = REC_VIEW;
    v.ts_ms = 1767225600123LL;
    v.rl = v.ip_known = 1;
    memset(v.ip_hash, 'c', 64);
    v.score.headers = 10;
    v.score.pow = 50;
    v.score.pow_result = 1;
    v.vid0 = "0123456789abcdef0123456789abcdef";
    v.fp = "Linux|Chrome|120|1920x1080|unknown|en";
    rec_new_id(v.view.id);
    v.view.visitor_id = "9f86d081884c7d659a2feaa0c55ad015";
    v.view.path = "/blog/2026/03/self-hosted-analytics?ref=newsletter";
    v.view.site_id = "example-blog";
    v.view.session_id = "550e8400-e29b-41d4-a716-446655440000";
    v.view.interaction_ms = 15230;
    v.view.has_w = v.view.has_h = 1;
    v.view.w = 1920;
    v.view.h = 1080;
    v.view.device_type = "desktop";
    v.view.os_name = "Linux";
    v.view.browser_name = "Chrome";
    v.view.browser_version = "120";
    v.view.country_code = "DE";
    v.view.referrer = "https://www.google.com";
    v.view.referrer_type = "search";
    v.view.utm[2] = "spring-2026";
    memset(&e, 0, sizeof e);
    e.kind = REC_EVENTS;
    memcpy(e.ip_hash, v.ip_hash, sizeof e.ip_hash);
    e.vid0 = v.vid0;
    e.events.site_id = "example-blog";
    e.events.visitor_id = v.view.visitor_id;
    e.events.device_type = "desktop";
    e.events.referrer = "https://www.google.com";
    e.events.hour = 14;
    e.events.month = 3;
    e.events.day_of_week = 2;
    e.events.n = 3;
    static const char *const et[] = { "scroll_depth", "click", "outbound" };
    static const char *const ed[] = { "{\"depth\":75}", "{\"el\":\"button#buy\",\"x\":320}",
                                      "{\"url\":\"https://example.org/a?b=1\"}" };
    for (int i = 0; i < 3; i++) {
        rec_new_id(e.events.ev[i].id);
        e.events.ev[i].event_type = et[i];
        e.events.ev[i].session_id = v.view.session_id;
        e.events.ev[i].data = ed[i];
    }
    buf_t bv, be;
    buf_init(&bv);
    buf_init(&be);
    rec_to_json(&v, &bv);
    rec_to_json(&e, &be);
    struct { const char *name; buf_t *b; } in[] = { { "view", &bv }, { "events(3)", &be } };
    int (*fn[2])(arena_t *, const char *, size_t, rec_t *) = { rec_parse_json, rec_parse };
    const char *fname[2] = { "json-c", "rec_parse" };
    printf("parse %ld records each (arena reset every 1000, as a shipper batch):\n", n);
    for (int i = 0; i < 2; i++) {
        double t[2];
        for (int f = 0; f < 2; f++) {
            rec_t out;
            double best = 1e9;
            for (int rep = 0; rep < 3; rep++) {
                double t0 = now_s();
                for (long j = 0; j < n; j++) {
                    if (fn[f](&A, in[i].b->p, in[i].b->len, &out) != 0) abort();
                    if (j % 1000 == 999) arena_reset(&A);
                }
                double dt = now_s() - t0;
                if (dt < best) best = dt;
            }
            t[f] = best / (double)n * 1e9;
            arena_reset(&A);
        }
        printf("  %-10s %4zu bytes: %-9s %7.0f ns/record, %-9s %7.0f ns/record (%.1fx)\n",
               in[i].name, in[i].b->len, fname[0], t[0], fname[1], t[1], t[0] / t[1]);
    }
    buf_free(&bv);
    buf_free(&be);
}

/* ---- beacon parameters through a fake CGI environment ---- */
static const char *qs;
static const char *env(void *ctx, const char *name)
{
    (void)ctx;
    if (strcmp(name, "QUERY_STRING") == 0) return qs;
    if (strcmp(name, "REQUEST_URI") == 0) return "/b.gif";
    return NULL;
}

static void parse_beacon(const char *query, beacon_params_t *p)
{
    req_t req;
    qs = query;
    req_init(&req, &A, env, NULL);
    beacon_parse(&req, p);
}

static void beacon_parameters(void **st)
{
    (void)st;
    beacon_params_t p;
    parse_beacon("p=L3Rlc3QtcGFnZQ==&_v=2000&sw=1920&sh=1080&s=test-site&sid=550e8400-e29b-41d4-a716-446655440000"
                 "&ref=aHR0cHM6Ly93d3cuZ29vZ2xlLmNvbS8=&pwa=1&ck=1&tok=abc", &p);
    assert_string_equal(p.path, "/test-page");
    assert_string_equal(p.site_id, "test-site");
    assert_true(p.v_valid && !p.is_spa);
    assert_int_equal(p.interaction_ms, 2000);
    assert_string_equal(p.sid, "550e8400-e29b-41d4-a716-446655440000");
    assert_true(p.has_w && p.has_h);
    assert_int_equal(p.w, 1920);
    assert_string_equal(p.referrer, "https://www.google.com");
    assert_string_equal(p.referrer_type, "search");
    assert_true(p.is_pwa && p.cookie_mode);
    assert_string_equal(p.tok, "abc");
    assert_true(beacon_recordable(&p));

    parse_beacon("_v=100&s=x", &p);                 /* no p, _v too small */
    assert_null(p.path);
    assert_false(p.v_valid);
    assert_false(beacon_recordable(&p));
    assert_string_equal(p.referrer, "direct_or_unknown");

    parse_beacon("p=L3Rlc3QtcGFnZQ==&_v=spa&sw=0&sh=10&pwa=true&ck=yes", &p);
    assert_true(p.v_valid && p.is_spa);
    assert_int_equal(p.interaction_ms, 0);
    assert_false(p.has_w || p.has_h);
    assert_false(p.is_pwa || p.cookie_mode);
    assert_string_equal(p.site_id, "default");

    parse_beacon("p=L3g=&_v=800&sw=10000&sh=abc", &p);
    assert_true(p.v_valid);
    assert_true(p.has_w);
    assert_false(p.has_h);                          /* §11.10: NULL height */
    parse_beacon("p=L3g=&_v=3600001&sw=10001", &p);
    assert_false(p.v_valid);
    assert_false(p.has_w);
    parse_beacon("p=eA==&_v=3600000", &p);          /* "x" does not start with '/' */
    assert_true(p.v_valid);
    assert_false(beacon_recordable(&p));

    /* UTM: decoded only through beacon_utm once the campaign is active */
    parse_beacon("uc=c3ByaW5nLTIwMjY%3D&us=bmV3c2xldHRlcg%3D%3D&um=&ut=!!", &p);
    assert_string_equal(p.utm_campaign, "spring-2026");
    const char *u[5];
    beacon_utm(&A, &p, u);
    assert_string_equal(u[0], "newsletter");
    assert_null(u[1]);
    assert_string_equal(u[2], "spring-2026");
    assert_null(u[3]);
    assert_null(u[4]);
}

int main(void)
{
    const char *nb = getenv("REC_BENCH");
    if (nb) {
        bench(atol(nb) > 0 ? atol(nb) : 100000);
        arena_free(&A);
        return 0;
    }
    const struct CMUnitTest t[] = {
        cmocka_unit_test(gif_is_the_43_byte_pixel),
        cmocka_unit_test(view_records_round_trip),
        cmocka_unit_test(event_and_hit_records_round_trip),
        cmocka_unit_test(record_ids_sort_by_time),
        cmocka_unit_test(strings_are_written_as_json_c_prints_them),
        cmocka_unit_test(generated_records_parse_alike_on_both_paths),
        cmocka_unit_test(damaged_records_parse_alike_on_both_paths),
        cmocka_unit_test(malformed_and_foreign_lines_are_decided_as_before),
        cmocka_unit_test(record_ids_are_unique_also_after_fork),
        cmocka_unit_test(beacon_parameters),
    };
    int rc = cmocka_run_group_tests(t, NULL, NULL);
    arena_free(&A);
    return rc;
}
