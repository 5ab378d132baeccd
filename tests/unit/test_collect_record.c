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
    const struct CMUnitTest t[] = {
        cmocka_unit_test(gif_is_the_43_byte_pixel),
        cmocka_unit_test(view_records_round_trip),
        cmocka_unit_test(event_and_hit_records_round_trip),
        cmocka_unit_test(strings_are_written_as_json_c_prints_them),
        cmocka_unit_test(record_ids_are_unique_also_after_fork),
        cmocka_unit_test(beacon_parameters),
    };
    int rc = cmocka_run_group_tests(t, NULL, NULL);
    arena_free(&A);
    return rc;
}
