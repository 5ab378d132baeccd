/* Unit tests for collect/decode.c: forgiving base64, the path and UTM
 * pipelines (spec/10 §5.3 table), leading-integer parse (§0), site id (§1,
 * reference test 35), sid (§5.2), UTF-8 helpers. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include "collect/decode.h"

static arena_t A;

static const char *b64(const char *s)
{
    static const char T[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = strlen(s), o = 0;
    char *out = arena_alloc(&A, n * 4 / 3 + 5);
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned char)s[i] << 16;
        if (i + 1 < n) v |= (unsigned char)s[i + 1] << 8;
        if (i + 2 < n) v |= (unsigned char)s[i + 2];
        out[o++] = T[v >> 18 & 63];
        out[o++] = T[v >> 12 & 63];
        out[o++] = i + 1 < n ? T[v >> 6 & 63] : '=';
        out[o++] = i + 2 < n ? T[v & 63] : '=';
    }
    out[o] = '\0';
    return out;
}

/* what core/http.c hands us after form decoding: '+' became ' ' */
static const char *form(const char *s)
{
    char *c = arena_strdup(&A, s);
    for (char *p = c; *p; p++) if (*p == '+') *p = ' ';
    return c;
}

static const char *path_of(const char *query_value)
{
    size_t n = strlen(query_value), ol;
    return dec_path(&A, dec_plus_fix(&A, query_value, n), n, &ol);
}

static void base64_is_forgiving_about_space_and_padding(void **st)
{
    (void)st;
    unsigned char out[64];
    size_t n;
    assert_int_equal(dec_b64_forgiving("aGk=", 4, out, &n), 0);
    assert_int_equal(n, 2);
    assert_memory_equal(out, "hi", 2);
    assert_int_equal(dec_b64_forgiving("aGk", 3, out, &n), 0);        /* no padding */
    assert_int_equal(n, 2);
    assert_int_equal(dec_b64_forgiving(" a G\tk\n= ", 9, out, &n), 0);  /* spaces dropped */
    assert_int_equal(n, 2);
    assert_int_equal(dec_b64_forgiving("aGk==", 5, out, &n), -1);     /* len%4 == 1 after strip? no: 5 */
    assert_int_equal(dec_b64_forgiving("a", 1, out, &n), -1);         /* length mod 4 == 1 */
    assert_int_equal(dec_b64_forgiving("a*Gk", 4, out, &n), -1);      /* outside the alphabet */
    assert_int_equal(dec_b64_forgiving("aG=k", 4, out, &n), -1);      /* '=' inside */
    assert_int_equal(dec_b64_forgiving("", 0, out, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(dec_b64_forgiving("aGVsbG8=", 8, out, &n), 0);
    assert_memory_equal(out, "hello", 5);
}

static void path_examples_of_the_spec_table(void **st)
{
    (void)st;
    assert_string_equal(path_of("L3ByaWNpbmc/cGxhbj1wcm8="), "/pricing?plan=pro");
    assert_string_equal(path_of(b64("/caf%C3%A9")), "/caf\xc3\xa9");
    assert_string_equal(path_of(b64("/a%2Fb")), "/a/b");
    assert_null(path_of(b64("/100%")));
    assert_null(path_of(b64("/%zz")));
    assert_null(path_of(b64("/%C3")));                /* truncated UTF-8 escape */
    assert_null(path_of(b64("/%C0%80")));             /* overlong */
    assert_null(path_of(b64("/%ED%A0%80")));          /* surrogate */
    assert_null(path_of(b64("/a%00b")));              /* NUL refused */
    /* §11.1: '+' restored, so '~' paths survive */
    assert_string_equal(path_of(form("L2F+")), "/a~");
    assert_string_equal(path_of(form("L3Rlc3R+cGFnZQ==")), "/test~page");
    /* a literal '+' in the page query stays '+' */
    assert_string_equal(path_of(b64("/s?q=a+b")), "/s?q=a+b");
    /* raw byte >= 0x80 passes through as Latin-1 */
    assert_string_equal(path_of(b64("/\xe9")), "/\xc3\xa9");
}

static void path_is_truncated_to_2048_code_points(void **st)
{
    (void)st;
    char big[3000];
    big[0] = '/';
    memset(big + 1, 'x', 2999 - 1);
    big[2999] = '\0';
    const char *p = path_of(b64(big));
    assert_non_null(p);
    assert_int_equal(strlen(p), 2048);
    /* multibyte: 2047 x "é" after '/', cut at a code-point boundary */
    char *m = arena_alloc(&A, 1 + 2100 * 6 + 1);
    m[0] = '/';
    size_t o = 1;
    for (int i = 0; i < 2100; i++) { memcpy(m + o, "%C3%A9", 6); o += 6; }
    m[o] = '\0';
    p = path_of(b64(m));
    assert_non_null(p);
    assert_int_equal(dec_utf8_count(p, strlen(p)), 2048);
    assert_int_equal(strlen(p), 1 + 2047 * 2);
}

static void utm_values_decode_as_utf8_and_truncate(void **st)
{
    (void)st;
    const char *v = b64("spring-2026");
    assert_string_equal(dec_utm(&A, v, strlen(v)), "spring-2026");
    v = b64("caf\xc3\xa9");                               /* §11.2: UTF-8, no mojibake */
    assert_string_equal(dec_utm(&A, v, strlen(v)), "caf\xc3\xa9");
    v = b64("50%off");                                    /* '%' kept, no percent-decoding */
    assert_string_equal(dec_utm(&A, v, strlen(v)), "50%off");
    assert_null(dec_utm(&A, "", 0));
    assert_null(dec_utm(&A, NULL, 0));
    assert_null(dec_utm(&A, "a", 1));                     /* bad base64 */
    v = b64("\xff\xfe");
    assert_null(dec_utm(&A, v, strlen(v)));               /* invalid UTF-8 */
    char big[300];
    memset(big, 'u', 299);
    big[299] = '\0';
    v = b64(big);
    assert_int_equal(strlen(dec_utm(&A, v, strlen(v))), 256);
}

static void leading_integer_parse_follows_parseInt(void **st)
{
    (void)st;
    long long v;
    assert_int_equal(dec_lint("2000abc", &v), 0); assert_int_equal(v, 2000);
    assert_int_equal(dec_lint("1e3", &v), 0); assert_int_equal(v, 1);
    assert_int_equal(dec_lint("0x10", &v), 0); assert_int_equal(v, 0);
    assert_int_equal(dec_lint("  -42", &v), 0); assert_int_equal(v, -42);
    assert_int_equal(dec_lint("+7", &v), 0); assert_int_equal(v, 7);
    assert_int_equal(dec_lint("", &v), -1);
    assert_int_equal(dec_lint("abc", &v), -1);
    assert_int_equal(dec_lint("-", &v), -1);
    assert_int_equal(dec_lint(NULL, &v), -1);
    assert_int_equal(dec_lint("99999999999999999999999", &v), 0);
    assert_true(v == 9223372036854775807LL);
}

static void site_ids_are_validated_like_the_reference(void **st)
{
    (void)st;
    const char *ok[] = { "my-site", "site.example.com", "site_v2", "ABC123" };
    for (size_t i = 0; i < 4; i++) assert_string_equal(dec_site_id(ok[i]), ok[i]);
    const char *bad[] = { "has spaces", "has/slash", "<script>", "" };
    for (size_t i = 0; i < 4; i++) assert_string_equal(dec_site_id(bad[i]), "default");
    assert_string_equal(dec_site_id(NULL), "default");
    char a64[65], a65[66];
    memset(a64, 'a', 64); a64[64] = '\0';
    memset(a65, 'a', 65); a65[65] = '\0';
    assert_string_equal(dec_site_id(a64), a64);
    assert_string_equal(dec_site_id(a65), "default");
}

static void session_ids_and_cookie_ids(void **st)
{
    (void)st;
    const char *u = "550e8400-e29b-41d4-a716-446655440000";
    assert_true(dec_sid_valid(u, strlen(u)));
    assert_false(dec_sid_valid("550E8400-e29b-41d4-a716-446655440000", 36));  /* upper case */
    assert_false(dec_sid_valid(u, 35));
    assert_true(dec_sid_valid("------------------------------------", 36));  /* dashes unchecked */
    assert_true(dec_hex16_valid("0123456789abcdef", 16));
    assert_false(dec_hex16_valid("0123456789abcdeF", 16));
    assert_false(dec_hex16_valid("0123456789abcde", 15));
}

static void body_decoding_replaces_invalid_utf8_and_drops_bom(void **st)
{
    (void)st;
    size_t n;
    char *s = dec_utf8_sanitize(&A, "\xef\xbb\xbf{}", 5, &n);
    assert_int_equal(n, 2);
    assert_string_equal(s, "{}");
    s = dec_utf8_sanitize(&A, "a\xffz", 3, &n);
    assert_string_equal(s, "a\xef\xbf\xbdz");
    s = dec_utf8_sanitize(&A, "\xe2\x82", 2, &n);          /* one maximal subpart */
    assert_string_equal(s, "\xef\xbf\xbd");
    assert_true(dec_utf8_valid("caf\xc3\xa9", 5));
    assert_false(dec_utf8_valid("\xc3", 1));
    assert_int_equal(dec_utf8_prefix("\xc3\xa9\xc3\xa9", 4, 1), 2);
}

int main(void)
{
    const struct CMUnitTest t[] = {
        cmocka_unit_test(base64_is_forgiving_about_space_and_padding),
        cmocka_unit_test(path_examples_of_the_spec_table),
        cmocka_unit_test(path_is_truncated_to_2048_code_points),
        cmocka_unit_test(utm_values_decode_as_utf8_and_truncate),
        cmocka_unit_test(leading_integer_parse_follows_parseInt),
        cmocka_unit_test(site_ids_are_validated_like_the_reference),
        cmocka_unit_test(session_ids_and_cookie_ids),
        cmocka_unit_test(body_decoding_replaces_invalid_utf8_and_drops_bom),
    };
    int rc = cmocka_run_group_tests(t, NULL, NULL);
    arena_free(&A);
    return rc;
}
