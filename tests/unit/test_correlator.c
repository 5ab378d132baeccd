/* test_correlator.c -- unit tests for the pure parts of defense/correlator
 * (spec/20 §7.2, §7.4, §7.5): the fingerprint key, the group id, the
 * clustering thresholds and the detail object. The sweep itself runs
 * against MariaDB and Redis in tests/integration/test_defense.py. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <gcrypt.h>
#include "core/config.h"
#include "defense/correlator.h"

static config_t test_cfg;
const config_t *cfg = &test_cfg;
void log_msg(int level, const char *module, const char *fmt, ...)
{
    (void)level, (void)module, (void)fmt;
}

#define FP "Linux|Chrome|139.0.0.0|1920x1080|US|en-US,en;q=0.9"

static void test_fp_key(void **state)
{
    (void)state;
    char k[CORR_FP_MAX];
    correlator_fp_key("Linux", "Chrome", "139.0.0.0", "1920", "1080", "US", "en-US,en;q=0.9", k, sizeof k);
    assert_string_equal(k, FP);
    correlator_fp_key(NULL, NULL, NULL, NULL, NULL, NULL, NULL, k, sizeof k);
    assert_string_equal(k, "unknown|unknown|unknown|0x0|unknown|unknown");
    correlator_fp_key("Linux", "Chrome", "1", "0", "1080", "US", "", k, sizeof k);
    assert_string_equal(k, "Linux|Chrome|1|0x0|US|");          /* empty A-L stays empty */
    correlator_fp_key("Linux", "Chrome", "1", "10000", "x", "US", "de", k, sizeof k);
    assert_string_equal(k, "Linux|Chrome|1|10000x0|US|de");    /* only the width is validated */
    correlator_fp_key("Linux", "Chrome", "1", "10001", "1080", "US", "de", k, sizeof k);
    assert_string_equal(k, "Linux|Chrome|1|0x0|US|de");
    correlator_fp_key("Linux", "Chrome", "1", "1920abc", "20000", "US", "de", k, sizeof k);
    assert_string_equal(k, "Linux|Chrome|1|1920x20000|US|de");
    /* bounded: a huge Accept-Language is cut to the buffer */
    char big[4000];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    size_t n = correlator_fp_key("Linux", "Chrome", "1", "1", "1", "US", big, k, sizeof k);
    assert_int_equal(n, sizeof k - 1);
    assert_int_equal(strlen(k), sizeof k - 1);
}

static void test_gid(void **state)
{
    (void)state;
    char a[CORR_GID_LEN + 1], b[CORR_GID_LEN + 1], c[CORR_GID_LEN + 1];
    correlator_gid("south-africa.afroute.com", FP, a);
    correlator_gid("south-africa.afroute.com", FP, b);
    correlator_gid("site-b.com", FP, c);
    assert_int_equal(strlen(a), 32);
    assert_string_equal(a, b);
    assert_string_not_equal(a, c);
    for (int i = 0; i < 32; i++)
        assert_true((a[i] >= '0' && a[i] <= '9') || (a[i] >= 'a' && a[i] <= 'f'));
    /* = hex(SHA-256("site||fp"))[0..31] */
    unsigned char d[32];
    const char *msg = "s||f";
    gcry_md_hash_buffer(GCRY_MD_SHA256, d, msg, strlen(msg));
    char want[33];
    for (int i = 0; i < 16; i++)
        snprintf(want + 2 * i, 3, "%02x", d[i]);
    correlator_gid("s", "f", a);
    assert_string_equal(a, want);
}

static void test_thresholds(void **state)
{
    (void)state;
    /* tainted: 4 IPs and up -> 50 */
    assert_int_equal(correlator_penalty(3, 1), 0);
    assert_int_equal(correlator_penalty(4, 1), 50);
    assert_int_equal(correlator_penalty(6, 1), 50);
    /* untainted: 6 -> 30, 8 -> 50 */
    assert_int_equal(correlator_penalty(0, 0), 0);
    assert_int_equal(correlator_penalty(4, 0), 0);
    assert_int_equal(correlator_penalty(5, 0), 0);
    assert_int_equal(correlator_penalty(6, 0), 30);
    assert_int_equal(correlator_penalty(7, 0), 30);
    assert_int_equal(correlator_penalty(8, 0), 50);
    assert_int_equal(correlator_penalty(500, 0), 50);
}

static void test_detail(void **state)
{
    (void)state;
    char buf[1024];
    int n = correlator_detail_json(30, 6, 0, FP, buf, sizeof buf);
    assert_int_equal(n, (int)strlen(buf));
    assert_string_equal(buf, "{\"reason\":\"correlated\",\"penalty\":30,\"cluster_size\":6,"
                             "\"tainted\":false,\"fingerprint\":\"" FP "\"}");
    correlator_detail_json(50, 4, 1, "a\"b/c", buf, sizeof buf);
    assert_string_equal(buf, "{\"reason\":\"correlated\",\"penalty\":50,\"cluster_size\":4,"
                             "\"tainted\":true,\"fingerprint\":\"a\\\"b/c\"}");
    assert_int_equal(correlator_detail_json(30, 6, 0, FP, buf, 16), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fp_key),
        cmocka_unit_test(test_gid),
        cmocka_unit_test(test_thresholds),
        cmocka_unit_test(test_detail),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
