/* test_html: the admin UI's escaping writer (fcgi-app/admin/html.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include "admin/html.h"

static buf_t out;
static html_t h;

static int setup(void **state)
{
    (void)state;
    buf_init(&out);
    html_init(&h, &out);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    buf_free(&out);
    return 0;
}

static const char *got(void) { return out.p ? out.p : ""; }

static void text_escapes_the_five_html_specials(void **state)
{
    (void)state;
    html_text(&h, "<a href=\"x\" onclick='y'>&amp;</a>");
    assert_string_equal(got(), "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;");
}

static void text_of_null_writes_nothing(void **state)
{
    (void)state;
    html_text(&h, NULL);
    html_textn(&h, NULL, 3);
    assert_int_equal(out.len, 0);
}

static void valid_utf8_passes_unchanged(void **state)
{
    (void)state;
    html_text(&h, "K\xc3\xb8" "benhavn \xe2\x80\x94 \xf0\x9f\xa9\xba");
    assert_string_equal(got(), "K\xc3\xb8" "benhavn \xe2\x80\x94 \xf0\x9f\xa9\xba");
}

static void invalid_utf8_and_controls_become_replacement_chars(void **state)
{
    (void)state;
    /* lone lead byte before a quote, overlong '<', surrogate, NUL, ESC */
    const char in[] = "a\xc3\"b\xc0\xbc" "c\xed\xa0\x80" "d\0e\x1b";
    html_textn(&h, in, sizeof in - 1);
    assert_string_equal(got(), "a\xef\xbf\xbd&quot;b\xef\xbf\xbd\xef\xbf\xbd" "c\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
                               "d\xef\xbf\xbd" "e\xef\xbf\xbd");
    assert_null(strchr(got(), '<'));
}

static void truncated_sequence_at_end_is_replaced(void **state)
{
    (void)state;
    html_textn(&h, "ok\xe2\x80", 4);
    assert_string_equal(got(), "ok\xef\xbf\xbd\xef\xbf\xbd");
}

static void url_component_is_percent_encoded(void **state)
{
    (void)state;
    html_url(&h, "a b&c=\"d\"/<e>~_.-\xc3\xa9");
    assert_string_equal(got(), "a%20b%26c%3D%22d%22%2F%3Ce%3E~_.-%C3%A9");
}

static void format_escapes_s_and_encodes_u(void **state)
{
    (void)state;
    html_f(&h, "<a href=\"/v/%u\" title=\"%s\">%s</a> %d %l %z %% %r %q", "x/y?z", "\"q\"", "<b>",
           -7, 1234567890123LL, (size_t)42, "<i>ok</i>");
    assert_string_equal(got(), "<a href=\"/v/x%2Fy%3Fz\" title=\"&quot;q&quot;\">&lt;b&gt;</a> -7 "
                               "1234567890123 42 % <i>ok</i> %q");
}

static void format_with_trailing_percent_is_literal(void **state)
{
    (void)state;
    html_f(&h, "100%");
    assert_string_equal(got(), "100%");
}

static void thousands_separators(void **state)
{
    (void)state;
    long long v[] = { 0, 7, 999, 1000, 12345, 999999, 1000000, -1234567 };
    const char *want[] = { "0", "7", "999", "1,000", "12,345", "999,999", "1,000,000", "-1,234,567" };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        buf_reset(&out);
        html_int_sep(&h, v[i]);
        assert_string_equal(got(), want[i]);
    }
}

static void truncation_counts_code_points_and_never_splits(void **state)
{
    (void)state;
    html_text_trunc(&h, "\xc3\xa6\xc3\xb8\xc3\xa5xyz", 3);
    assert_string_equal(got(), "\xc3\xa6\xc3\xb8\xc3\xa5...");
    buf_reset(&out);
    html_text_trunc(&h, "<ab>", 10);
    assert_string_equal(got(), "&lt;ab&gt;");
    buf_reset(&out);
    html_text_trunc(&h, "<abc>", 2);
    assert_string_equal(got(), "&lt;a...");
}

static void login_shell_is_a_document_with_escaped_title(void **state)
{
    (void)state;
    html_login_begin(&h, "Login <x>");
    html_login_end(&h);
    assert_non_null(strstr(got(), "<!DOCTYPE html>"));
    assert_non_null(strstr(got(), "<title>Login &lt;x&gt;</title>"));
    assert_non_null(strstr(got(), "noindex, nofollow"));
    assert_non_null(strstr(got(), "/styles.css"));
    assert_non_null(strstr(got(), "</html>"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(text_escapes_the_five_html_specials, setup, teardown),
        cmocka_unit_test_setup_teardown(text_of_null_writes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(valid_utf8_passes_unchanged, setup, teardown),
        cmocka_unit_test_setup_teardown(invalid_utf8_and_controls_become_replacement_chars, setup, teardown),
        cmocka_unit_test_setup_teardown(truncated_sequence_at_end_is_replaced, setup, teardown),
        cmocka_unit_test_setup_teardown(url_component_is_percent_encoded, setup, teardown),
        cmocka_unit_test_setup_teardown(format_escapes_s_and_encodes_u, setup, teardown),
        cmocka_unit_test_setup_teardown(format_with_trailing_percent_is_literal, setup, teardown),
        cmocka_unit_test_setup_teardown(thousands_separators, setup, teardown),
        cmocka_unit_test_setup_teardown(truncation_counts_code_points_and_never_splits, setup, teardown),
        cmocka_unit_test_setup_teardown(login_shell_is_a_document_with_escaped_title, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
