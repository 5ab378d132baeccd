/* Unit tests for collect/visitor.c (spec/10 §2.7, §2.8, §5.5; reference
 * tests 22-27, 37, 38), the pure part of collect/geo.c (§2.9) and the day
 * key parser of collect/cache.c. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "collect/cache.h"
#include "collect/geo.h"
#include "collect/visitor.h"

static arena_t A;
static const unsigned char K[32] = "0123456789abcdef0123456789abcdef";

static int is_hex(const char *s, size_t n)
{
    if (strlen(s) != n) return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return 0;
    return 1;
}

static void hmac_matches_rfc4231_case_2(void **st)
{
    (void)st;
    unsigned char mac[32];
    char hex[65];
    assert_int_equal(visitor_hmac("Jefe", 4, "what do ya want for nothing?", 28, mac), 0);
    visitor_hex(mac, 32, hex);
    assert_string_equal(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

static void ip_hash_is_stable_hex_and_distinct(void **st)
{
    (void)st;
    char a[65], b[65], c[65];
    assert_int_equal(visitor_ip_hash(K, "10.0.0.1", a), 0);
    assert_int_equal(visitor_ip_hash(K, "10.0.0.1", b), 0);
    assert_int_equal(visitor_ip_hash(K, "10.0.0.2", c), 0);
    assert_true(is_hex(a, 64));
    assert_string_equal(a, b);
    assert_string_not_equal(a, c);
}

static void cookieless_id_changes_with_the_date(void **st)
{
    (void)st;
    char a[17], b[17], c[17], d[17];
    visitor_cookieless_id(K, "1.2.3.4", "Chrome/120", "mysite", "2024-01-01", a);
    visitor_cookieless_id(K, "1.2.3.4", "Chrome/120", "mysite", "2024-01-01", b);
    visitor_cookieless_id(K, "1.2.3.4", "Chrome/120", "mysite", "2024-01-02", c);
    visitor_cookieless_id(K, "1.2.3.4", "Chrome/120", "MySite", "2024-01-01", d);
    assert_true(is_hex(a, 16));
    assert_string_equal(a, b);
    assert_string_not_equal(a, c);
    assert_string_not_equal(a, d);                      /* site id case matters */
    /* the id is the first 8 bytes of HMAC(key, "ip|ua|site|date") */
    unsigned char mac[32];
    char hex[65];
    const char *msg = "1.2.3.4|Chrome/120|mysite|2024-01-01";
    visitor_hmac(K, 32, msg, strlen(msg), mac);
    visitor_hex(mac, 8, hex);
    assert_string_equal(a, hex);
    /* absent UA hashes as the empty string */
    visitor_cookieless_id(K, "1.2.3.4", NULL, "s", "2024-01-01", a);
    visitor_cookieless_id(K, "1.2.3.4", "", "s", "2024-01-01", b);
    assert_string_equal(a, b);
    /* the same definition around the 512-byte joined-message buffer (one
     * write below it, streamed above it), and with an absent UA */
    static char ua[700], joined[800];
    for (size_t ul = 0; ul < sizeof ua - 1; ul += (ul > 440 && ul < 520) ? 1 : 37) {
        memset(ua, 'u', ul);
        ua[ul] = '\0';
        int n = snprintf(joined, sizeof joined, "fd00::1|%s|site|2024-01-01", ua);
        visitor_hmac(K, 32, joined, (size_t)n, mac);
        visitor_hex(mac, 8, hex);
        assert_int_equal(visitor_cookieless_id(K, "fd00::1", ul ? ua : NULL, "site", "2024-01-01", a), 0);
        assert_string_equal(a, hex);
    }
}

static void random_ids_are_16_hex(void **st)
{
    (void)st;
    char a[17], b[17];
    assert_int_equal(visitor_random_id(a), 0);
    assert_int_equal(visitor_random_id(b), 0);
    assert_true(is_hex(a, 16));
    assert_string_not_equal(a, b);
}

static void cookie_header_rules(void **st)
{
    (void)st;
    const char *v;
    assert_true(visitor_cookie_get(&A, "foo=bar; baz=qux", "foo", &v));
    assert_string_equal(v, "bar");
    assert_true(visitor_cookie_get(&A, "foo=bar; baz=qux", "baz", &v));
    assert_string_equal(v, "qux");
    assert_false(visitor_cookie_get(&A, "foo=bar", "missing", &v));
    assert_false(visitor_cookie_get(&A, NULL, "foo", &v));
    assert_false(visitor_cookie_get(&A, "", "foo", &v));
    assert_true(visitor_cookie_get(&A, "token=abc=def=ghi", "token", &v));
    assert_string_equal(v, "abc=def=ghi");
    assert_true(visitor_cookie_get(&A, " foo = bar ; baz = qux ", "foo", &v));
    assert_string_equal(v, "bar");
    assert_true(visitor_cookie_get(&A, "session=abc123; theme=dark", "theme", &v));
    assert_string_equal(v, "dark");
    assert_true(visitor_cookie_get(&A, "a=\"q\"", "a", &v));
    assert_string_equal(v, "\"q\"");                    /* no unquoting */
    /* _ev: the first piece named _ev wins, valid only as 16 lowercase hex */
    assert_string_equal(visitor_cookie_ev(&A, "x=1; _ev=0123456789abcdef"), "0123456789abcdef");
    assert_null(visitor_cookie_ev(&A, "_ev=XYZ; _ev=0123456789abcdef"));
    assert_null(visitor_cookie_ev(&A, "_ev=0123456789ABCDEF"));
    assert_null(visitor_cookie_ev(&A, NULL));
}

static void client_ip_derivation(void **st)
{
    (void)st;
    assert_string_equal(visitor_client_ip(&A, 1, 1, " 9.9.9.9 ", "1.1.1.1", "2.2.2.2", "3.3.3.3"), "9.9.9.9");
    assert_string_equal(visitor_client_ip(&A, 0, 1, "9.9.9.9", " 1.1.1.1 , 5.5.5.5", "2.2.2.2", "3.3.3.3"), "1.1.1.1");
    assert_string_equal(visitor_client_ip(&A, 0, 1, NULL, ",5.5.5.5", NULL, "3.3.3.3"), "");
    assert_string_equal(visitor_client_ip(&A, 0, 1, NULL, "", "2.2.2.2", "3.3.3.3"), "2.2.2.2");
    assert_string_equal(visitor_client_ip(&A, 0, 0, "9.9.9.9", "1.1.1.1", "2.2.2.2", "3.3.3.3"), "3.3.3.3");
    assert_string_equal(visitor_client_ip(&A, 1, 0, "", NULL, NULL, NULL), "unknown");
}

static void country_sources_in_order(void **st)
{
    (void)st;
    assert_string_equal(geo_from_headers(&A, 1, 1, "no", "SE", "DK", "FI", "IS"), "NO");
    assert_string_equal(geo_from_headers(&A, 1, 1, "XX", "se", "DK", NULL, NULL), "SE");
    assert_string_equal(geo_from_headers(&A, 1, 0, "T1", "se", "DK", "fi", NULL), "FI");
    assert_string_equal(geo_from_headers(&A, 0, 1, "NO", "", "dk", NULL, NULL), "DK");
    assert_string_equal(geo_from_headers(&A, 0, 0, "NO", "SE", "DK", "fi", NULL), "FI");
    assert_string_equal(geo_from_headers(&A, 0, 0, NULL, NULL, NULL, NULL, "is"), "IS");
    assert_null(geo_from_headers(&A, 0, 0, "NO", "SE", "DK", NULL, NULL));
    char big[100];
    memset(big, 'a', 99);
    big[99] = '\0';
    assert_int_equal(strlen(geo_from_headers(&A, 1, 0, big, NULL, NULL, NULL, NULL)), 32);
}

static void day_key_values(void **st)
{
    (void)st;
    unsigned char k[32];
    const char *hex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
    assert_int_equal(cache_parse_day_key(hex, 64, k), 0);
    assert_int_equal(k[0], 0);
    assert_int_equal(k[31], 0x1f);
    assert_int_equal(cache_parse_day_key((const char *)K, 32, k), 0);
    assert_memory_equal(k, K, 32);
    assert_int_equal(cache_parse_day_key("zz", 2, k), -1);
    assert_int_equal(cache_parse_day_key("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1G", 64, k), -1);
    char d[11];
    visitor_date(1704067199999LL, d);
    assert_string_equal(d, "2023-12-31");
    visitor_date(1704067200000LL, d);
    assert_string_equal(d, "2024-01-01");
    /* the hand-made formatter agrees with gmtime + strftime everywhere:
     * every day boundary from 1969 to 2101 (leap years, 2000, 2100) */
    for (long long day = -400; day < 48000; day++) {
        for (int k = 0; k < 3; k++) {
            long long ms = day * 86400000LL + (k == 0 ? 0 : k == 1 ? 86399999LL : 43200123LL);
            char want[11];
            time_t t = (time_t)(ms / 1000);
            struct tm tm;
            gmtime_r(&t, &tm);
            strftime(want, sizeof want, "%Y-%m-%d", &tm);
            visitor_date(ms, d);
            assert_string_equal(d, want);
        }
    }
    visitor_date(-1, d);
    assert_string_equal(d, "1970-01-01");
}

int main(void)
{
    const struct CMUnitTest t[] = {
        cmocka_unit_test(hmac_matches_rfc4231_case_2),
        cmocka_unit_test(ip_hash_is_stable_hex_and_distinct),
        cmocka_unit_test(cookieless_id_changes_with_the_date),
        cmocka_unit_test(random_ids_are_16_hex),
        cmocka_unit_test(cookie_header_rules),
        cmocka_unit_test(client_ip_derivation),
        cmocka_unit_test(country_sources_in_order),
        cmocka_unit_test(day_key_values),
    };
    int rc = cmocka_run_group_tests(t, NULL, NULL);
    arena_free(&A);
    return rc;
}
