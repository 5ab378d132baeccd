/* test_api_util: pure pieces of the management API -- JavaScript coercions
 * (apiutil.c), the consent-CSS sanitiser (sites.c), the experiment state
 * machine (experiments.c) and timestamps. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "api/apiutil.h"
#include "api/mgmt.h"

static arena_t A;

static json_object *J(const char *s)
{
    json_object *o = NULL;
    assert_int_equal(apiu_parse_json(s, strlen(s), &o), 0);
    return o;
}

static void parse_json_whole_body_only(void **state)
{
    (void)state;
    json_object *o;
    assert_int_equal(apiu_parse_json("", 0, &o), -1);
    assert_int_equal(apiu_parse_json("  ", 2, &o), -1);
    assert_int_equal(apiu_parse_json("{} x", 4, &o), -1);
    assert_int_equal(apiu_parse_json("{\"a\":1", 6, &o), -1);
    assert_int_equal(apiu_parse_json("null", 4, &o), 0);
    assert_null(apiu_obj(o));
    assert_int_equal(apiu_parse_json(" [1] \n", 6, &o), 0);
    assert_null(apiu_obj(o));
    json_object_put(o);
    /* nesting deeper than the limit is refused, not recursed into */
    char deep[200];
    memset(deep, '[', 100);
    memset(deep + 100, ']', 100);
    assert_int_equal(apiu_parse_json(deep, 200, &o), -1);
}

static void truthiness_is_javascripts(void **state)
{
    (void)state;
    const char *falsy[] = {"null", "false", "0", "0.0", "\"\""};
    const char *truthy[] = {"true", "1", "-1", "\"0\"", "\" \"", "[]", "{}"};
    assert_false(apiu_truthy(NULL));
    for (size_t i = 0; i < 5; i++) {
        json_object *o = J(falsy[i]);
        assert_false(apiu_truthy(o));
        json_object_put(o);
    }
    for (size_t i = 0; i < 7; i++) {
        json_object *o = J(truthy[i]);
        assert_true(apiu_truthy(o));
        json_object_put(o);
    }
}

static void string_and_number_coercions(void **state)
{
    (void)state;
    static const struct { const char *json, *str; } S[] = {
        {"\"abc\"", "abc"}, {"42", "42"}, {"1.5", "1.5"}, {"0.1", "0.1"}, {"true", "true"},
        {"{\"a\":1}", "[object Object]"}, {"[1,[2,3],null,\"x\"]", "1,2,3,,x"},
        {"1e21", "1e+21"}, {"1e-7", "1e-7"}, {"123456789012", "123456789012"}, {"-0.000001", "-0.000001"},
    };
    for (size_t i = 0; i < sizeof S / sizeof S[0]; i++) {
        json_object *o = J(S[i].json);
        size_t n;
        assert_string_equal(apiu_string(&A, o, &n), S[i].str);
        json_object_put(o);
    }
    assert_string_equal(apiu_string(&A, NULL, NULL), "undefined");
    static const struct { const char *json; double v; } N[] = {
        {"50", 50}, {"\"30\"", 30}, {"\" 7 \"", 7}, {"\"\"", 0}, {"true", 1},
        {"\"0x10\"", 16}, {"\"1e2\"", 100}, {"-5", -5}, {"250", 250}, {"[]", 0}, {"[\"4\"]", 4},
        {"0.4", 0.4}, {"\"-Infinity\"", -INFINITY},
    };
    for (size_t i = 0; i < sizeof N / sizeof N[0]; i++) {
        json_object *o = J(N[i].json);
        assert_true(apiu_number(o) == N[i].v);
        json_object_put(o);
    }
    const char *nan[] = {"\"abc\"", "{}", "[1,2]", "\"1x\"", "\"0x\"", "\"-0x10\"", "\"inf\""};
    for (size_t i = 0; i < 7; i++) {
        json_object *o = J(nan[i]);
        assert_true(isnan(apiu_number(o)));
        json_object_put(o);
    }
    assert_true(isnan(apiu_number(NULL)));
    char buf[64];
    apiu_fmt_double(142.5, buf, sizeof buf);
    assert_string_equal(buf, "142.5");
    apiu_fmt_double(100, buf, sizeof buf);
    assert_string_equal(buf, "100");
    apiu_fmt_double(0.15121951219512195, buf, sizeof buf);
    assert_string_equal(buf, "0.15121951219512195");
}

static void truncation_counts_code_points(void **state)
{
    (void)state;
    size_t n;
    assert_string_equal(apiu_trunc(&A, "abcdef", 6, 3, &n), "abc");
    assert_int_equal(n, 3);
    /* "äöü" = 6 bytes, 3 code points: never split a sequence */
    assert_string_equal(apiu_trunc(&A, "\xc3\xa4\xc3\xb6\xc3\xbc", 6, 2, &n), "\xc3\xa4\xc3\xb6");
    assert_int_equal(n, 4);
    assert_string_equal(apiu_trunc(&A, "\xf0\x9f\x98\x80x", 5, 1, &n), "\xf0\x9f\x98\x80");
    assert_string_equal(apiu_trunc(&A, "ab", 2, 128, &n), "ab");
}

static void id_syntaxes(void **state)
{
    (void)state;
#define S(x) x, strlen(x)
    assert_true(apiu_is_slug(S("autumn-sale_2.0")));
    assert_false(apiu_is_slug(S("")));
    assert_false(apiu_is_slug(S("has space")));
    assert_false(apiu_is_slug(S("a/b")));
    assert_true(apiu_is_site(S("my-site")) && apiu_is_site(S("site.example.com")) && apiu_is_site(S("site_v2")) &&
                apiu_is_site(S("ABC123")));
    assert_false(apiu_is_site(S("has spaces")) || apiu_is_site(S("has/slash")) || apiu_is_site(S("<script>")) ||
                 apiu_is_site(S("")));
    char s65[66];
    memset(s65, 'a', 65);
    s65[65] = 0;
    assert_false(apiu_is_site(s65, 65));
    assert_true(apiu_is_site(s65, 64));
    assert_true(apiu_is_uuid(S("0b8f6a52-3c1e-4d7a-9e2f-5a6b7c8d9e01")));
    assert_true(apiu_is_uuid(S("0B8F6A52-3C1E-0D7A-0E2F-5A6B7C8D9E01")));  /* no version check */
    assert_false(apiu_is_uuid(S("0b8f6a52-3c1e-4d7a-9e2f-5a6b7c8d9e0")));
    assert_false(apiu_is_uuid(S("0b8f6a52x3c1e-4d7a-9e2f-5a6b7c8d9e01")));
    assert_false(apiu_is_uuid(S("gb8f6a52-3c1e-4d7a-9e2f-5a6b7c8d9e01")));
    assert_true(apiu_is_event_type(S("trial_started")) && apiu_is_event_type(S("_x")));
    assert_false(apiu_is_event_type(S("9lives")) || apiu_is_event_type(S("a-b")) || apiu_is_event_type(S("")));
    char t65[66];
    memset(t65, 'e', 65);
    assert_false(apiu_is_event_type(t65, 65));
    assert_true(apiu_is_event_type(t65, 64));
    assert_false(apiu_utf8_valid(S("\xc3")));
    assert_false(apiu_utf8_valid(S("\xc0\xaf")));     /* overlong */
    assert_true(apiu_utf8_valid(S("caf\xc3\xa9")));
#undef S
}

static void timestamps_and_lint(void **state)
{
    (void)state;
    char out[32];
    assert_int_equal(apiu_ts_canon("2026-04-02 09:15:07.123", out, sizeof out), 0);
    assert_string_equal(out, "2026-04-02T09:15:07.123Z");
    assert_int_equal(apiu_ts_canon("2026-04-02 09:15:07", out, sizeof out), 0);
    assert_string_equal(out, "2026-04-02T09:15:07.000Z");
    assert_int_equal(apiu_ts_canon("2026-04-02 09:15:07.123456", out, sizeof out), 0);
    assert_string_equal(out, "2026-04-02T09:15:07.123Z");
    assert_int_equal(apiu_ts_canon("garbage", out, sizeof out), -1);
    assert_int_equal(apiu_lint_clamp(NULL, 100, 1, 1000), 100);
    assert_int_equal(apiu_lint_clamp("0", 100, 1, 1000), 100);
    assert_int_equal(apiu_lint_clamp("abc", 100, 1, 1000), 100);
    assert_int_equal(apiu_lint_clamp("7days", 100, 1, 1000), 7);
    assert_int_equal(apiu_lint_clamp("0x10", 100, 1, 1000), 16);
    assert_int_equal(apiu_lint_clamp("-5", 100, 1, 1000), 1);
    assert_int_equal(apiu_lint_clamp("5000", 100, 1, 1000), 1000);
    long long ms;
    assert_int_equal(apiu_parse_ts("2026-03-01T12:00:00Z", 20, &ms), 0);
    assert_true(ms == 1772366400000LL);
    assert_int_equal(apiu_parse_ts("2026-03-01T12:00:00.5Z", 22, &ms), 0);
    assert_true(ms == 1772366400500LL);
    assert_int_equal(apiu_parse_ts("2026-03-01T12:00:00.123Z", 24, &ms), 0);
    assert_true(ms == 1772366400123LL);
    assert_int_equal(apiu_parse_ts("2026-03-01T12:00:00", 19, &ms), -1);       /* no Z */
    assert_int_equal(apiu_parse_ts("2026-02-30T12:00:00Z", 20, &ms), -1);
    assert_int_equal(apiu_parse_ts("2026-03-01 12:00:00Z", 20, &ms), -1);
    assert_int_equal(apiu_parse_ts("2026-03-01T24:00:00Z", 20, &ms), -1);
    assert_int_equal(apiu_parse_ts("2026-03-01T12:00:00.Z", 21, &ms), -1);
    assert_int_equal(apiu_parse_ts("yesterday", 9, &ms), -1);
}

static void css(const char *in, const char *want)
{
    size_t n;
    char *out = sites_sanitize_css(in, strlen(in), &n);
    assert_non_null(out);
    assert_string_equal(out, want);
    assert_int_equal(n, strlen(want));
    free(out);
}

static void consent_css_sanitiser(void **state)
{
    (void)state;
    css(".bar{background:url(https://x.example/a.png)}", ".bar{background:/* blocked */https://x.example/a.png)}");
    css(".bar{color:red}", ".bar{color:red}");
    css("a\\75rl(x)", "a75rl(x)");                              /* backslashes go first */
    css("\\75rl(x)", "75rl(x)");
    css("x{} /* c */ y{}", "x{}  y{}");
    css("x{} /* unterminated", "x{} /* unterminated");
    css("u/* */rl(x)", "/* blocked */x)");                      /* comments removed before */
    css("URL (x)", "/* blocked */x)");
    css("aurl(x)", "aurl(x)");                                  /* needs a boundary before */
    css("-url(x)", "-/* blocked */x)");
    css(".url-box{} :not(.a)", "./* blocked */.a)");            /* reference over-breadth */
    css("urls(", "/* blocked */");
    css("background-image:image-set(a)", "background-/* blocked */a)");
    css("x:-webkit-image-set(a)", "x:/* blocked */a)");
    css("@import 'x';", "/* blocked */ 'x';");
    css("@importx", "@importx");
    css("@FONT-FACE{}", "/* blocked */{}");
    css("@keyframes a{}", "/* blocked */ a{}");
    css("width:expression (1)", "width:/* blocked */1)");
    css("behavior : url(x)", "/* blocked */ /* blocked */x)");
    css("a{b:javascript:1}", "a{b:/* blocked */1}");
    css("-moz-binding:x", "/* blocked */x");
    css("element(#a)", "/* blocked */#a)");
    css("paint(x)", "/* blocked */x)");
    css("url", "url");                                          /* no '(' anywhere: no match */
    css("expression\xc2\xa0(", "/* blocked */");                /* JS \s includes NBSP */
}

static void experiment_state_machine_all_25_pairs(void **state)
{
    (void)state;
    const char *st[] = {"draft", "active", "paused", "completed", "archived"};
    int allowed = 0;
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 5; j++) {
            int ok = experiments_transition_ok(st[i], st[j]);
            int want = (i == 0 && j == 1) || (i == 1 && (j == 2 || j == 3)) || (i == 2 && j == 1) ||
                       (i == 3 && j == 4);
            assert_int_equal(ok, want);
            allowed += ok;
        }
    assert_int_equal(allowed, 5);
    assert_false(experiments_transition_ok("bogus", "active"));
    assert_false(experiments_transition_ok(NULL, "active"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parse_json_whole_body_only),
        cmocka_unit_test(truthiness_is_javascripts),
        cmocka_unit_test(string_and_number_coercions),
        cmocka_unit_test(truncation_counts_code_points),
        cmocka_unit_test(id_syntaxes),
        cmocka_unit_test(timestamps_and_lint),
        cmocka_unit_test(consent_css_sanitiser),
        cmocka_unit_test(experiment_state_machine_all_25_pairs),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    arena_free(&A);
    return rc;
}
