/* Unit tests for collect/events.c and collect/jsout.c (spec/10 §6.1-§6.3;
 * the body-level parts of reference tests 9-21). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include "collect/events.h"
#include "collect/jsout.h"

static arena_t A;
static ev_body_t B;

static int parse(const char *s)
{
    return events_parse(&A, s, s ? strlen(s) : 0, &B);
}

static const char *num(double d)
{
    static char out[64];
    buf_t b;
    buf_init(&b);
    jsout_number(&b, d);
    snprintf(out, sizeof out, "%s", b.p);
    buf_free(&b);
    return out;
}

static void numbers_print_like_javascript(void **st)
{
    (void)st;
    assert_string_equal(num(1.0), "1");
    assert_string_equal(num(100), "100");
    assert_string_equal(num(0.1), "0.1");
    assert_string_equal(num(-2.5), "-2.5");
    assert_string_equal(num(1e21), "1e+21");
    assert_string_equal(num(123456789012345680000.0), "123456789012345680000");
    assert_string_equal(num(1.5e-7), "1.5e-7");
    assert_string_equal(num(0.000001), "0.000001");
    assert_string_equal(num(-0.0), "0");
    assert_string_equal(num(12345678901234567890.0), "12345678901234567000");
}

static void status_of_bodies(void **st)
{
    (void)st;
    assert_int_equal(parse("not json!!!"), 400);
    assert_int_equal(parse(""), 400);
    assert_int_equal(parse(NULL), 400);
    assert_int_equal(parse("   "), 400);
    assert_int_equal(parse("\xef\xbb\xbf"), 400);                 /* BOM only */
    assert_int_equal(parse("{\"events\":[]} x"), 400);            /* trailing garbage */
    assert_int_equal(parse("{\"events\":[],}"), 400);             /* strict JSON */
    assert_int_equal(parse("{'events':[]}"), 400);
    assert_int_equal(parse("{\"events\":[]}"), 0);
    assert_false(B.has_events);
    assert_int_equal(parse("{}"), 0);
    assert_false(B.has_events);
    assert_int_equal(parse("null"), 0);
    assert_false(B.has_events);
    assert_int_equal(parse("5"), 0);
    assert_int_equal(parse("[1]"), 0);
    assert_int_equal(parse("\"s\""), 0);
    assert_int_equal(parse("{\"events\":{\"a\":1}}"), 0);
    assert_false(B.has_events);
    assert_int_equal(parse("\xef\xbb\xbf {\"events\":[{\"type\":\"click\"}]} \n"), 0);
    assert_true(B.has_events);
    assert_int_equal(B.n, 1);
}

static void events_are_validated_one_by_one(void **st)
{
    (void)st;
    assert_int_equal(parse("{\"siteId\":\"test-site\",\"events\":[{\"type\":\"click\",\"data\":{\"target\":\"button\"}}]}"), 0);
    assert_string_equal(B.site_id, "test-site");
    assert_int_equal(B.n, 1);
    assert_string_equal(B.items[0].type, "click");
    assert_string_equal(B.items[0].data, "{\"target\":\"button\"}");
    assert_null(B.items[0].session_id);
    assert_null(B.tok);

    const char *types[] = { "bounce", "session_end", "session_resume", "scroll_depth", "click",
                            "ad_click", "form_focus", "form_blur", "form_submit", "hover",
                            "outbound", "download", "web_vital", "custom" };
    for (size_t i = 0; i < 14; i++) {
        char body[128];
        snprintf(body, sizeof body, "{\"events\":[{\"type\":\"%s\",\"data\":{}}]}", types[i]);
        assert_int_equal(parse(body), 0);
        assert_int_equal(B.n, 1);
    }
    assert_int_equal(parse("{\"events\":[{\"type\":\"unknown_event_type\"},null,5,{\"type\":\"click\",\"data\":null}]}"), 0);
    assert_true(B.has_events);
    assert_int_equal(B.n, 1);
    assert_string_equal(B.items[0].data, "{}");

    assert_int_equal(parse("{\"siteId\":5,\"tok\":\"\",\"events\":[{\"type\":\"click\",\"sessionId\":\"550e8400-e29b-41d4-a716-446655440000\"}]}"), 0);
    assert_string_equal(B.site_id, "default");
    assert_null(B.tok);
    assert_string_equal(B.items[0].session_id, "550e8400-e29b-41d4-a716-446655440000");
    assert_string_equal(B.pow_sid, "550e8400-e29b-41d4-a716-446655440000");

    assert_int_equal(parse("{\"siteId\":\"bad site\",\"tok\":\"abc\",\"events\":[{\"type\":\"click\",\"sessionId\":\"NOT-A-UUID\"}]}"), 0);
    assert_string_equal(B.site_id, "default");
    assert_string_equal(B.tok, "abc");
    assert_null(B.items[0].session_id);
    assert_string_equal(B.pow_sid, "NOT-A-UUID");                /* PoW uses the raw value */
}

static void data_serialisation_and_limits(void **st)
{
    (void)st;
    assert_int_equal(parse("{\"events\":[{\"type\":\"custom\",\"data\":{ \"b\" : 1.0, \"a\":[1e2, \"\\u00e9\\n\\/\"], \"b\": 2 }}]}"), 0);
    assert_string_equal(B.items[0].data, "{\"b\":2,\"a\":[100,\"\xc3\xa9\\n/\"]}");
    assert_int_equal(parse("{\"events\":[{\"type\":\"custom\",\"data\":\"text\"}]}"), 0);
    assert_string_equal(B.items[0].data, "\"text\"");
    assert_int_equal(parse("{\"events\":[{\"type\":\"custom\",\"data\":{\"experiment_id\":\"e1\",\"variant_id\":7}},{\"type\":\"click\",\"utmCampaign\":\"spring\"}]}"), 0);
    assert_string_equal(B.items[0].experiment_id, "e1");
    assert_null(B.items[0].variant_id);
    assert_string_equal(B.items[1].utm_campaign, "spring");

    /* 2048 characters of data are kept, 2049 dropped */
    static char body[4000];
    char fill[2100];
    memset(fill, 'x', sizeof fill);
    fill[2048 - 2] = '\0';                                         /* "\"" + 2046 + "\"" = 2048 */
    snprintf(body, 4000, "{\"events\":[{\"type\":\"custom\",\"data\":\"%s\"}]}", fill);
    assert_int_equal(parse(body), 0);
    assert_int_equal(B.n, 1);
    fill[2048 - 2] = 'x';
    fill[2048 - 1] = '\0';
    snprintf(body, 4000, "{\"events\":[{\"type\":\"custom\",\"data\":\"%s\"}]}", fill);
    assert_int_equal(parse(body), 0);
    assert_true(B.has_events);
    assert_int_equal(B.n, 0);

    /* only the first 20 elements are looked at */
    char *many = arena_alloc(&A, 2000);
    strcpy(many, "{\"events\":[");
    for (int i = 0; i < 25; i++) strcat(many, i ? ",{\"type\":\"click\"}" : "{\"type\":\"click\"}");
    strcat(many, "]}");
    assert_int_equal(parse(many), 0);
    assert_int_equal(B.n, 20);
    assert_true(events_type_allowed("web_vital"));
    assert_false(events_type_allowed("Click"));
}

int main(void)
{
    const struct CMUnitTest t[] = {
        cmocka_unit_test(numbers_print_like_javascript),
        cmocka_unit_test(status_of_bodies),
        cmocka_unit_test(events_are_validated_one_by_one),
        cmocka_unit_test(data_serialisation_and_limits),
    };
    int rc = cmocka_run_group_tests(t, NULL, NULL);
    arena_free(&A);
    return rc;
}
