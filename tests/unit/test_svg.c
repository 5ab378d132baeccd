/* test_svg: the admin UI's SVG charts (fcgi-app/admin/svg.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include "admin/svg.h"

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle)) n++;
    return n;
}

static void trend_bar_width_follows_the_spec(void **state)
{
    (void)state;
    assert_true(svg_trend_bar_width(1) == 598.0);
    assert_true(svg_trend_bar_width(30) == 18.0);    /* (600-60)/30 */
    assert_true(svg_trend_bar_width(100) == 4.0);    /* 4 floor */
    assert_true(svg_trend_bar_width(365) == 4.0);
    assert_true(svg_trend_bar_width(0) == 0.0);
}

static void trend_bar_height_is_scaled_with_a_1px_floor(void **state)
{
    (void)state;
    assert_true(svg_trend_bar_height(100, 100) == 160.0);
    assert_true(svg_trend_bar_height(50, 100) == 80.0);
    assert_true(svg_trend_bar_height(0, 100) == 1.0);
    assert_true(svg_trend_bar_height(1, 1000) == 1.0);
    assert_true(svg_trend_bar_height(5, 0) == 1.0);
}

static void trend_labels_every_nth_bar(void **state)
{
    (void)state;
    assert_int_equal(svg_trend_label_step(1), 1);
    assert_int_equal(svg_trend_label_step(15), 1);
    assert_int_equal(svg_trend_label_step(16), 2);
    assert_int_equal(svg_trend_label_step(30), 3);
    assert_int_equal(svg_trend_label_step(365), 45);
}

static void trend_chart_draws_bars_labels_and_escapes(void **state)
{
    (void)state;
    buf_t b;
    buf_init(&b);
    svg_day_t d[] = {
        { "2026-03-01", 10, 4 }, { "2026-03-02", 20, 8 }, { "2026-03-03<x>", 5, 1 },
    };
    assert_int_equal(svg_trend_chart(&b, d, 3), 3);
    assert_int_equal(count(b.p, "<rect "), 3);
    assert_int_equal(count(b.p, "class=\"lbl\""), 3);
    assert_non_null(strstr(b.p, ">03-01</text>"));
    assert_non_null(strstr(b.p, "2026-03-02: 20 views, 8 visitors"));
    assert_non_null(strstr(b.p, "data-visits=\"20\""));
    assert_null(strstr(b.p, "<x>"));
    /* tallest bar: full 160 px from y=0; bar width (600-6)/3 = 198 */
    assert_non_null(strstr(b.p, "y=\"0\" width=\"198\" height=\"160\""));
    assert_non_null(strstr(b.p, "height=\"80\""));
    assert_non_null(strstr(b.p, "viewBox=\"0 0 600 190\""));
    buf_reset(&b);
    assert_int_equal(svg_trend_chart(&b, d, 0), 0);
    assert_int_equal(b.len, 0);
    buf_free(&b);
}

static void trend_chart_widens_when_bars_do_not_fit(void **state)
{
    (void)state;
    svg_day_t d[200];
    for (size_t i = 0; i < 200; i++) d[i] = (svg_day_t){ "2026-01-01", (long long)i, 1 };
    buf_t b;
    buf_init(&b);
    svg_trend_chart(&b, d, 200);
    assert_non_null(strstr(b.p, "viewBox=\"0 0 1200 190\""));   /* 200 * (4 + 2) */
    assert_int_equal(count(b.p, "class=\"lbl\""), 8);            /* step 25 */
    buf_free(&b);
}

static void line_geometry(void **state)
{
    (void)state;
    assert_true(svg_line_x(0, 5, 400) == 30.0);
    assert_true(svg_line_x(4, 5, 400) == 370.0);
    assert_true(svg_line_x(2, 5, 400) == 200.0);
    assert_true(svg_line_x(0, 1, 400) == 200.0);
    /* plot height 90 (120-30), top offset 10 */
    assert_true(svg_line_y(0, 10, 120) == 100.0);
    assert_true(svg_line_y(10, 10, 120) == 10.0);
    assert_true(svg_line_y(5, 10, 120) == 55.0);
    /* the scale never drops below 1 */
    assert_true(svg_line_y(0, 0, 120) == 100.0);
}

static void line_labels_every_fifth_and_the_last(void **state)
{
    (void)state;
    size_t n = 12, labels = 0;
    for (size_t i = 0; i < n; i++) labels += (size_t)svg_line_has_label(i, n);
    /* step 2: 0,2,4,6,8,10 plus the last (11) */
    assert_int_equal(labels, 7);
    assert_true(svg_line_has_label(11, 12));
    assert_false(svg_line_has_label(1, 12));
    assert_true(svg_line_has_label(0, 3) && svg_line_has_label(1, 3) && svg_line_has_label(2, 3));
}

static void line_chart_draws_grid_area_and_line(void **state)
{
    (void)state;
    buf_t b;
    buf_init(&b);
    svg_pt_t p[] = { { "09:14", 2 }, { "09:15", 8 }, { "09:16", 4 } };
    assert_int_equal(svg_line_chart(&b, p, 3, 400, 120, "#ff6600"), 3);
    assert_int_equal(count(b.p, "class=\"grid\""), 5);
    assert_non_null(strstr(b.p, ">8</text>"));     /* top grid label = max */
    assert_non_null(strstr(b.p, ">2</text>"));     /* quarter of 8 */
    assert_int_equal(count(b.p, "<polyline"), 1);
    assert_non_null(strstr(b.p, "fill-opacity=\"0.1\""));
    assert_non_null(strstr(b.p, "stroke-width=\"1.5\""));
    assert_non_null(strstr(b.p, "points=\"30,77.5 200,10 370,55\""));
    assert_non_null(strstr(b.p, ">09:16</text>"));
    buf_free(&b);
}

static void line_chart_without_points_says_no_data(void **state)
{
    (void)state;
    buf_t b;
    buf_init(&b);
    assert_int_equal(svg_line_chart(&b, NULL, 0, 400, 80, "#ff6600"), 0);
    assert_non_null(strstr(b.p, "No data"));
    assert_null(strstr(b.p, "<polyline"));
    buf_free(&b);
}

static void line_chart_escapes_colour_and_labels(void **state)
{
    (void)state;
    buf_t b;
    buf_init(&b);
    svg_pt_t p[] = { { "<script>", 1 } };
    svg_line_chart(&b, p, 1, 400, 80, "\"><script>");
    assert_null(strstr(b.p, "<script>"));
    buf_free(&b);
}

static void sparkline_heights(void **state)
{
    (void)state;
    assert_true(svg_spark_height(5, 5, 5) == 12.0);
    assert_true(svg_spark_height(10, 0, 10) == 24.0);
    assert_true(svg_spark_height(0, 0, 10) == 2.0);
    assert_true(svg_spark_height(5, 0, 10) == 12.0);
    buf_t b;
    buf_init(&b);
    svg_spark_t v[] = { { 1, "1.00 (2026-01-01)" }, { 3, "3.00 (2026-01-02)" } };
    assert_int_equal(svg_sparkline(&b, v, 2), 2);
    assert_int_equal(count(b.p, "<rect "), 2);
    assert_non_null(strstr(b.p, "x=\"50\""));
    assert_non_null(strstr(b.p, "<title>3.00 (2026-01-02)</title>"));
    assert_non_null(strstr(b.p, "#ff6600"));
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(trend_bar_width_follows_the_spec),
        cmocka_unit_test(trend_bar_height_is_scaled_with_a_1px_floor),
        cmocka_unit_test(trend_labels_every_nth_bar),
        cmocka_unit_test(trend_chart_draws_bars_labels_and_escapes),
        cmocka_unit_test(trend_chart_widens_when_bars_do_not_fit),
        cmocka_unit_test(line_geometry),
        cmocka_unit_test(line_labels_every_fifth_and_the_last),
        cmocka_unit_test(line_chart_draws_grid_area_and_line),
        cmocka_unit_test(line_chart_without_points_says_no_data),
        cmocka_unit_test(line_chart_escapes_colour_and_labels),
        cmocka_unit_test(sparkline_heights),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
