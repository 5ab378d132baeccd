/* Unit tests for collect/anon.c (spec/10 §7, Appendix B; reference tests
 * 46-60). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include "collect/anon.h"
#include "collect/visitor.h"

static arena_t A;
static anon_key_t K;

static void key(const char *date)
{
    anon_key_init(&A, &K, "s3cret", 6, date);
}

static anon_view_t full_view(void)
{
    anon_view_t v = {
        .visitor_id = "0123456789abcdef", .session_id = "550e8400-e29b-41d4-a716-446655440000",
        .path = "/user/john@email.com/profile", .country_code = "NO", .device_type = "desktop",
        .os_name = "macOS 10.15", .browser_name = "Chrome", .browser_version = "120.0.0.0",
        .referrer = "https://www.google.com",
        .utm = { "newsletter", "email", "spring", "hero", "shoes" },
        .has_w = 1, .has_h = 1, .w = 1440, .h = 900,
    };
    return v;
}

static int is_hex16(const char *s)
{
    if (!s || strlen(s) != 16) return 0;
    for (int i = 0; i < 16; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return 0;
    return 1;
}

static void key_and_pick_are_as_specified(void **st)
{
    (void)st;
    key("2026-03-01");
    assert_int_equal(K.len, 6 + 13 + 10);
    assert_memory_equal(K.k, "s3cretechelon-anon-2026-03-01", K.len);
    char h[65], want[65];
    unsigned char mac[32];
    anon_h(&K, "x", 1, h);
    visitor_hmac("s3cretechelon-anon-2026-03-01", 29, "x", 1, mac);
    visitor_hex(mac, 32, want);
    assert_string_equal(h, want);
    assert_int_equal(anon_pick("ffffffff00", 40), 0xffffffffUL % 40);
    assert_int_equal(anon_pick("0000000a", 16), 10);
}

static void sites_are_matched_case_insensitively(void **st)
{
    (void)st;
    char *sites[] = { "secret-site" };
    assert_false(anon_site("test-site", NULL, 0));
    assert_false(anon_site("anything", NULL, 0));
    assert_true(anon_site("Secret-Site", sites, 1));
    assert_false(anon_site("secret-site2", sites, 1));
}

static void views_are_replaced_deterministically(void **st)
{
    (void)st;
    key("2026-03-01");
    anon_view_t a = full_view(), b = full_view();
    anon_view(&A, &K, &a);
    anon_view(&A, &K, &b);
    assert_true(is_hex16(a.visitor_id));
    assert_string_not_equal(a.visitor_id, "0123456789abcdef");
    assert_string_not_equal(a.country_code, "NO");
    assert_true(strncmp(a.referrer, "https://nsa-intranet.gov/ops/", 29) == 0);
    assert_string_not_equal(a.session_id, "550e8400-e29b-41d4-a716-446655440000");
    for (int i = 0; i < 5; i++) assert_true(strncmp(a.utm[i], "operation-", 10) == 0);
    assert_string_equal(a.visitor_id, b.visitor_id);
    assert_string_equal(a.session_id, b.session_id);
    assert_string_equal(a.country_code, b.country_code);
    assert_string_equal(a.referrer, b.referrer);
    assert_true(a.path[0] == '/');
    assert_string_not_equal(a.path, "/user/john@email.com/profile");
    assert_string_equal(a.path, b.path);
    assert_int_equal(strncmp(a.path, "/operation-", 11), 0);
    assert_true(a.w != 1440 || a.h != 900);
    assert_int_equal(a.w, b.w);
    assert_int_equal(a.h, b.h);
    assert_string_equal(a.device_type, "mothership");
    assert_string_not_equal(a.os_name, "macOS 10.15");
    assert_string_equal(a.os_name, b.os_name);
    assert_string_not_equal(a.browser_name, "Chrome");
    assert_string_equal(a.browser_name, b.browser_name);
    unsigned maj, min;
    char tail;
    assert_int_equal(sscanf(a.browser_version, "%u.%u%c", &maj, &min, &tail), 2);
    assert_true(maj >= 1 && maj <= 150 && min <= 9);
    assert_string_equal(a.browser_version, b.browser_version);
    /* the NSA suffix is the first 4 chars of H(referrer) */
    char h[65];
    anon_h(&K, "https://www.google.com", 22, h);
    assert_memory_equal(a.referrer + strlen(a.referrer) - 4, h, 4);
    /* a new day maps differently */
    key("2026-03-02");
    anon_view_t c = full_view();
    anon_view(&A, &K, &c);
    assert_string_not_equal(a.visitor_id, c.visitor_id);
}

static void view_nulls_stay_null_and_paths_collapse(void **st)
{
    (void)st;
    key("2026-03-01");
    anon_view_t v = { .visitor_id = "0123456789abcdef", .path = "//", .referrer = "direct_or_unknown" };
    anon_view(&A, &K, &v);
    assert_null(v.session_id);
    assert_null(v.country_code);
    assert_null(v.utm[0]);
    assert_null(v.browser_name);
    assert_null(v.browser_version);
    assert_null(v.device_type);
    assert_false(v.has_w || v.has_h);
    assert_string_equal(v.path, "/");
    assert_true(strncmp(v.referrer, "https://nsa-intranet.gov/ops/", 29) == 0);
    anon_view_t w = { .visitor_id = "x", .path = "/a//b/", .has_w = 1, .w = 1440 };
    anon_view_t w2 = { .visitor_id = "x", .path = "/a/b", .has_w = 1, .has_h = 1, .w = 1440, .h = 0 };
    anon_view(&A, &K, &w);
    anon_view(&A, &K, &w2);
    assert_string_equal(w.path, w2.path);                /* duplicate/trailing slashes vanish */
    assert_int_equal(w.w, w2.w);                         /* NULL height written as 0 */
    assert_true(w.has_h);
}

static void device_vessels(void **st)
{
    (void)st;
    assert_string_equal(anon_device("desktop"), "mothership");
    assert_string_equal(anon_device("Tablet"), "shuttle");
    assert_string_equal(anon_device("mobile"), "probe");
    assert_string_equal(anon_device("toaster"), "unknown-vessel");
    assert_null(anon_device(NULL));
    key("2026-03-01");
    anon_event_t e = { .event_type = "click", .device_type = "mobile" };
    anon_event(&A, &K, &e);
    assert_string_equal(e.device_type, "probe");
    anon_event_t n = { .event_type = "click" };
    anon_event(&A, &K, &n);
    assert_string_equal(n.device_type, "unknown-vessel");
}

static const char *data_of(const char *type, const char *data)
{
    anon_event_t e = { .event_type = type, .data = data };
    anon_event(&A, &K, &e);
    return e.data;
}

static void event_fields_and_data_allow_lists(void **st)
{
    (void)st;
    key("2026-03-01");
    anon_event_t e = { .event_type = "click", .visitor_id = "0123456789abcdef",
                       .session_id = "550e8400-e29b-41d4-a716-446655440000",
                       .referrer = "https://shop.example", .experiment_id = "exp1",
                       .variant_id = "b", .utm_campaign = "spring", .data = "{}" };
    anon_event(&A, &K, &e);
    assert_true(is_hex16(e.visitor_id));
    assert_string_not_equal(e.visitor_id, "0123456789abcdef");
    assert_string_not_equal(e.session_id, "550e8400-e29b-41d4-a716-446655440000");
    assert_true(strncmp(e.referrer, "https://nsa-intranet.gov/ops/", 29) == 0);
    assert_true(strncmp(e.experiment_id, "experiment-", 11) == 0 && strlen(e.experiment_id) == 19);
    assert_true(strncmp(e.variant_id, "variant-", 8) == 0 && strlen(e.variant_id) == 16);
    assert_true(strncmp(e.utm_campaign, "operation-", 10) == 0);

    assert_string_equal(data_of("click", "{\"target\":\"button\",\"tag\":\"A\",\"path\":\"/about\"}"),
                        "{\"tag\":\"A\",\"path\":\"/about\"}");
    assert_string_equal(data_of("scroll_depth", "{\"depth\":75,\"path\":\"/page\",\"secret\":\"x\"}"),
                        "{\"depth\":75,\"path\":\"/page\"}");
    assert_string_equal(data_of("custom", "{\"foo\":\"bar\"}"), "{}");
    assert_string_equal(data_of("bounce", "{\"path\":\"/p\",\"dwell\":3}"), "{\"dwell\":3,\"path\":\"/p\"}");
    assert_string_equal(data_of("click", "[1,2]"), "{}");
    assert_string_equal(data_of("click", "not json"), "{}");

    const char *fb = data_of("form_blur", "{\"value\":\"hello world\",\"field_name\":\"q\","
                                           "\"value_length\":11,\"path\":\"/search\"}");
    const char *fb2 = data_of("form_blur", "{\"value\":\"hello world\",\"field_name\":\"q\","
                                            "\"value_length\":11,\"path\":\"/search\"}");
    assert_string_equal(fb, fb2);
    char val[64];
    assert_int_equal(sscanf(fb, "{\"field_name\":\"q\",\"value\":\"%63[^\"]\"", val), 1);
    assert_int_equal(strlen(val), 11);
    assert_string_not_equal(val, "hello world");
    assert_int_equal(val[5], ' ');
    for (int i = 0; i < 11; i++) if (i != 5) assert_true(val[i] >= 'a' && val[i] <= 'z');
    assert_non_null(strstr(fb, "\"value_length\":11,\"path\":\"/search\"}"));
    assert_string_equal(data_of("form_blur", "{\"field_name\":\"q\"}"), "{\"field_name\":\"q\"}");

    anon_event_t nul = { .event_type = "click", .data = "{}" };
    anon_event(&A, &K, &nul);
    assert_null(nul.visitor_id);
    assert_null(nul.session_id);
    assert_null(nul.referrer);
    assert_null(nul.experiment_id);
    assert_null(nul.variant_id);
    assert_null(nul.utm_campaign);
}

int main(void)
{
    const struct CMUnitTest t[] = {
        cmocka_unit_test(key_and_pick_are_as_specified),
        cmocka_unit_test(sites_are_matched_case_insensitively),
        cmocka_unit_test(views_are_replaced_deterministically),
        cmocka_unit_test(view_nulls_stay_null_and_paths_collapse),
        cmocka_unit_test(device_vessels),
        cmocka_unit_test(event_fields_and_data_allow_lists),
    };
    int rc = cmocka_run_group_tests(t, NULL, NULL);
    arena_free(&A);
    return rc;
}
