/* test_stats_util: the pure helpers of fcgi-app/api/stats_util.c, at the
 * boundaries spec/30 gives (§0.3 LINT, §0.5 site ids, §0.7 doubles, §2.8
 * z-test, §4.2 rounding, §5.3 terminal labels). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <limits.h>
#include <math.h>
#include <string.h>
#include "api/stats_util.h"
#include "core/http.h"

static void lint_reads_leading_integers_like_the_reference(void **state)
{
    (void)state;
    static const struct { const char *in; int ok; long long v; int line; } t[] = {
        { "7days", 0, 7, __LINE__ },
        { "1.9", 0, 1, __LINE__ },
        { "1e3", 0, 1, __LINE__ },
        { "0x10", 0, 16, __LINE__ },
        { "0XfF", 0, 255, __LINE__ },
        { "  \t-5", 0, -5, __LINE__ },
        { "+12", 0, 12, __LINE__ },
        { "-0x1", 0, -1, __LINE__ },
        { "0", 0, 0, __LINE__ },
        { "", -1, 0, __LINE__ },
        { "abc", -1, 0, __LINE__ },
        { "-", -1, 0, __LINE__ },
        { "0x", -1, 0, __LINE__ },
        { " +x1", -1, 0, __LINE__ },
        { "99999999999999999999999", 0, LLONG_MAX, __LINE__ },
        { "-99999999999999999999999", 0, -LLONG_MAX, __LINE__ },
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        long long v = 12345;
        int rc = stats_lint(t[i].in, &v);
        if (rc != t[i].ok || (rc == 0 && v != t[i].v))
            fail_msg("line %d: '%s' -> rc %d v %lld", t[i].line, t[i].in, rc, v);
    }
    long long v;
    assert_int_equal(stats_lint(NULL, &v), -1);
}

static void lint_or_falls_back_on_nan_and_zero_but_not_negatives(void **state)
{
    (void)state;
    assert_int_equal(stats_lint_or(NULL, 30), 30);
    assert_int_equal(stats_lint_or("", 30), 30);
    assert_int_equal(stats_lint_or("0", 30), 30);
    assert_int_equal(stats_lint_or("x", 30), 30);
    assert_int_equal(stats_lint_or("-5", 30), -5);
    assert_int_equal(stats_clamp(stats_lint_or("-5", 30), 1, 730), 1);
    assert_int_equal(stats_clamp(stats_lint_or("731", 30), 1, 730), 730);
    assert_int_equal(stats_clamp(stats_lint_or("730", 30), 1, 730), 730);
    assert_int_equal(stats_clamp(stats_lint_or("0x5a", 30), 1, 90), 90);
    assert_int_equal(stats_clamp(stats_lint_or("1", 30), 1, 90), 1);
}

static void site_id_is_strict(void **state)
{
    (void)state;
    char s64[65], s65[66];
    memset(s64, 'a', 64); s64[64] = 0;
    memset(s65, 'a', 65); s65[65] = 0;
    assert_true(stats_site_valid("shop.example"));
    assert_true(stats_site_valid("A-b_c.9"));
    assert_true(stats_site_valid(s64));
    assert_false(stats_site_valid(s65));
    assert_false(stats_site_valid(""));
    assert_false(stats_site_valid(NULL));
    assert_false(stats_site_valid("a b"));
    assert_false(stats_site_valid("a/b"));
    assert_false(stats_site_valid("caf\xc3\xa9"));
}

static void doubles_print_in_shortest_round_trip_form(void **state)
{
    (void)state;
    static const struct { double v; const char *s; } t[] = {
        { 0.1, "0.1" }, { 0.15121951219512195, "0.15121951219512195" }, { 12.47, "12.47" },
        { 0, "0" }, { 1, "1" }, { 0.5121951219512194, "0.5121951219512194" },
        { 0.12499999999999997, "0.12499999999999997" }, { 0.45161290322580644, "0.45161290322580644" },
        { 1.7741935483870968, "1.7741935483870968" }, { 0.6, "0.6" }, { -0.0, "0" },
    };
    char b[40];
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        stats_fmt_double(t[i].v, b, sizeof b);
        assert_string_equal(b, t[i].s);
    }
    stats_fmt_double(NAN, b, sizeof b);
    assert_string_equal(b, "0");
    json_object *o = json_object_new_object();
    json_object_object_add(o, "r", stats_json_double(0.1));
    json_object_object_add(o, "z", stats_json_double(0));
    assert_string_equal(json_object_to_json_string_ext(o, HTTP_JSON_FLAGS), "{\"r\":0.1,\"z\":0}");
    json_object_put(o);
}

static void dates_round_trip_and_reject_bad_text(void **state)
{
    (void)state;
    long d;
    char b[32];
    assert_int_equal(stats_parse_date("1970-01-01", &d), 0);
    assert_int_equal(d, 0);
    assert_int_equal(stats_parse_date("2024-02-29", &d), 0);
    stats_fmt_date(d, b, sizeof b);
    assert_string_equal(b, "2024-02-29");
    stats_fmt_date(d + 1, b, sizeof b);
    assert_string_equal(b, "2024-03-01");
    assert_int_equal(stats_parse_date("2025-02-29", &d), -1);
    assert_int_equal(stats_parse_date("2025-13-01", &d), -1);
    assert_int_equal(stats_parse_date("2025-1-01", &d), -1);
    assert_int_equal(stats_parse_date("2025-01-01 ", &d), -1);
    assert_int_equal(stats_parse_date("2025/01/01", &d), -1);
    assert_int_equal(stats_parse_date(NULL, &d), -1);
    stats_fmt_sql_ms(1749045807512LL, b, sizeof b);
    assert_string_equal(b, "2025-06-04 14:03:27.512");
    stats_fmt_sql_ms(0, b, sizeof b);
    assert_string_equal(b, "1970-01-01 00:00:00.000");
}

static void timestamps_become_canonical_text(void **state)
{
    (void)state;
    char b[64];
    assert_int_equal(stats_ts_iso("2025-06-04 14:03:27.512", b, sizeof b), 0);
    assert_string_equal(b, "2025-06-04T14:03:27.512Z");
    assert_int_equal(stats_ts_iso("2025-06-04 14:03:27.512000", b, sizeof b), 0);
    assert_string_equal(b, "2025-06-04T14:03:27.512Z");
    assert_int_equal(stats_ts_iso("2025-06-04 14:03:27", b, sizeof b), 0);
    assert_string_equal(b, "2025-06-04T14:03:27.000Z");
    assert_int_equal(stats_ts_iso("2025-06-04 14:03:27.5", b, sizeof b), 0);
    assert_string_equal(b, "2025-06-04T14:03:27.500Z");
    assert_int_equal(stats_ts_iso("garbage", b, sizeof b), -1);
    assert_string_equal(b, "garbage");
    assert_null(stats_json_ts(NULL));
}

static void terminal_resolutions_get_display_labels(void **state)
{
    (void)state;
    assert_string_equal(stats_resolution_label("80x24"), "80\xc3\x97" "24 (VT100)");
    assert_string_equal(stats_resolution_label("40x24"), "40\xc3\x97" "24 (Commodore 64)");
    assert_string_equal(stats_resolution_label("80x30"), "80\xc3\x97" "30 (xterm)");
    assert_string_equal(stats_resolution_label("120x50"), "120\xc3\x97" "50 (DEC VT320)");
    assert_string_equal(stats_resolution_label("1920x1080"), "1920x1080");
    assert_string_equal(stats_resolution_label("0x0"), "0x0");
    assert_string_equal(stats_resolution_label("80X24"), "80X24");
}

static void ztest_follows_the_worked_example_and_thresholds(void **state)
{
    (void)state;
    char b[96];
    assert_string_equal(stats_ztest(40, 400, 62, 410, b, sizeof b), "Statistically significant at 95%");
    assert_string_equal(stats_ztest(40, 400, 9, 80, b, sizeof b),
                        "Not yet \xe2\x80\x94 need more data (80 < 100 impressions)");
    assert_string_equal(stats_ztest(9, 99, 40, 400, b, sizeof b),
                        "Not yet \xe2\x80\x94 need more data (99 < 100 impressions)");
    assert_string_equal(stats_ztest(0, 100, 0, 100, b, sizeof b), "No variance");
    assert_string_equal(stats_ztest(100, 100, 100, 100, b, sizeof b), "No variance");
    assert_string_equal(stats_ztest(10, 100, 10, 100, b, sizeof b), "Not statistically significant");
    assert_string_equal(stats_ztest(10, 1000, 40, 1000, b, sizeof b), "Statistically significant at 99%");
    /* z = 1.645..1.96: 100/1000 vs 126/1000 gives z ~ 1.83 */
    assert_string_equal(stats_ztest(100, 1000, 126, 1000, b, sizeof b), "Marginally significant at 90%");
    /* two-sided: direction does not matter */
    assert_string_equal(stats_ztest(62, 410, 40, 400, b, sizeof b), "Statistically significant at 95%");
}

static void rounding_is_half_up_and_ranks_are_nearest(void **state)
{
    (void)state;
    assert_true(stats_round2(2.465) == 2.47 || stats_round2(2.465) == 2.46); /* binary repr */
    assert_true(stats_round2(0.125) == 0.13);
    assert_true(stats_round2(3.04) == 3.04);
    assert_true(stats_round2(0) == 0);
    assert_int_equal(stats_round_int(2.5), 3);
    assert_int_equal(stats_round_int(2.49), 2);
    assert_int_equal(stats_rank_index(50, 1), 0);
    assert_int_equal(stats_rank_index(50, 10), 4);
    assert_int_equal(stats_rank_index(95, 10), 9);
    assert_int_equal(stats_rank_index(99, 100), 98);
    assert_int_equal(stats_rank_index(0, 10), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lint_reads_leading_integers_like_the_reference),
        cmocka_unit_test(lint_or_falls_back_on_nan_and_zero_but_not_negatives),
        cmocka_unit_test(site_id_is_strict),
        cmocka_unit_test(doubles_print_in_shortest_round_trip_form),
        cmocka_unit_test(dates_round_trip_and_reject_bad_text),
        cmocka_unit_test(timestamps_become_canonical_text),
        cmocka_unit_test(terminal_resolutions_get_display_labels),
        cmocka_unit_test(ztest_follows_the_worked_example_and_thresholds),
        cmocka_unit_test(rounding_is_half_up_and_ranks_are_nearest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
