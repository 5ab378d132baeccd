/* test_feeds.c -- unit tests for defense/iprange and defense/feeds
 * (spec/20 §6, §9.6): address and CIDR parsing at their edges, merge and
 * search, feed parsing and the shrink guard, matching against the real
 * snapshots in ../shared/data/feeds, and publishing a refreshed version. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>
#include "core/config.h"
#include "defense/feeds.h"
#include "defense/iprange.h"
#include "defense/score.h"

static config_t test_cfg;
const config_t *cfg = &test_cfg;
void log_msg(int level, const char *module, const char *fmt, ...)
{
    (void)level, (void)module, (void)fmt;
}

#define SNAP FEEDS_SNAPSHOT_DIR

static int have_snapshots(void)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/aws-ip-ranges.json", SNAP);
    return access(p, R_OK) == 0;
}

static iprange_u128_t u(uint64_t hi, uint64_t lo)
{
    return (iprange_u128_t){ hi, lo };
}

/* ---- IPv4 ---- */

static int v4(const char *s, uint32_t *out)
{
    return iprange_parse_v4(s, strlen(s), out);
}

static void test_ipv4(void **state)
{
    (void)state;
    uint32_t a;
    struct { const char *s; uint32_t v; } ok[] = {
        { "0.0.0.0", 0 }, { "255.255.255.255", 0xFFFFFFFFu }, { "10.0.0.1", 0x0A000001 },
        { "192.168.1.100", 0xC0A80164 },
        { "010.0.0.1", 0x0A000001 },        /* leading zeros are decimal, not octal */
        { "1.2.3.04", 0x01020304 }, { "000.000.000.000", 0 }, { "0255.1.1.1", 0xFF010101 },
        { "00000000001.2.3.4", 0x01020304 },
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        assert_int_equal(v4(ok[i].s, &a), 0);
        assert_int_equal(a, ok[i].v);
    }
    const char *bad[] = { "", "not-an-ip", "10.0.0", "10.0.0.0.0", "256.0.0.0", "10.0.0.-1",
                          "0x1.0.0.0", " 1.2.3.4", "1.2.3.4 ", "1..2.3", "1.2.3.", ".1.2.3",
                          "+1.2.3.4", "1.2.3.4/8", "99999999999999999999.1.1.1", "0256.1.1.1" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(v4(bad[i], &a), -1);
    /* length-bounded: a NUL-free prefix of a longer buffer */
    assert_int_equal(iprange_parse_v4("1.2.3.4xyz", 7, &a), 0);
    assert_int_equal(a, 0x01020304);
}

static void test_cidr_v4(void **state)
{
    (void)state;
    iprange_v4_t r;
    struct { const char *s; uint32_t a, b; } ok[] = {
        { "10.0.0.1/32", 0x0A000001, 0x0A000001 }, { "192.168.1.0/24", 0xC0A80100, 0xC0A801FF },
        { "10.0.0.0/8", 0x0A000000, 0x0AFFFFFF }, { "172.16.0.0/16", 0xAC100000, 0xAC10FFFF },
        { "0.0.0.0/0", 0, 0xFFFFFFFFu }, { "10.1.2.3/8", 0x0A000000, 0x0AFFFFFF },
        { "255.255.255.255/0", 0, 0xFFFFFFFFu }, { "10.0.0.1/31", 0x0A000000, 0x0A000001 },
        { "128.0.0.0/1", 0x80000000u, 0xFFFFFFFFu }, { "10.0.0.0/08", 0x0A000000, 0x0AFFFFFF },
        { "10.0.0.0/24abc", 0x0A000000, 0x0A0000FF },   /* lenient prefix parse */
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        assert_int_equal(iprange_cidr_v4(ok[i].s, strlen(ok[i].s), &r), 0);
        assert_int_equal(r.start, ok[i].a);
        assert_int_equal(r.end, ok[i].b);
    }
    const char *bad[] = { "not-a-cidr", "10.0.0.0", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/",
                          "10.0.0.0/x", "/8", "10.0.0/8", "2001:db8::/32" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(iprange_cidr_v4(bad[i], strlen(bad[i]), &r), -1);
}

static void test_merge_search_v4(void **state)
{
    (void)state;
    iprange_v4_t a[] = { { 1, 5 }, { 10, 15 }, { 20, 25 } };
    assert_int_equal(iprange_merge_v4(a, 3), 3);
    iprange_v4_t b[] = { { 1, 10 }, { 5, 20 }, { 15, 30 } };
    assert_int_equal(iprange_merge_v4(b, 3), 1);
    assert_int_equal(b[0].start, 1);
    assert_int_equal(b[0].end, 30);
    iprange_v4_t c[] = { { 1, 5 }, { 6, 10 } };         /* adjacent */
    assert_int_equal(iprange_merge_v4(c, 2), 1);
    assert_int_equal(c[0].end, 10);
    iprange_v4_t d[] = { { 1, 100 }, { 10, 50 } };
    assert_int_equal(iprange_merge_v4(d, 2), 1);
    assert_int_equal(d[0].end, 100);
    iprange_v4_t e[] = { { 20, 25 }, { 1, 5 }, { 10, 15 } };
    assert_int_equal(iprange_merge_v4(e, 3), 3);
    assert_int_equal(e[0].start, 1);
    assert_int_equal(e[1].start, 10);
    assert_int_equal(e[2].start, 20);
    assert_int_equal(iprange_merge_v4(NULL, 0), 0);
    iprange_v4_t f[] = { { 0, 0xFFFFFFFFu }, { 5, 6 } };    /* no overflow at the top */
    assert_int_equal(iprange_merge_v4(f, 2), 1);
    assert_int_equal(f[0].end, 0xFFFFFFFFu);
    iprange_v4_t g[] = { { 1, 5 }, { 7, 10 } };         /* gap of one: kept apart */
    assert_int_equal(iprange_merge_v4(g, 2), 2);

    iprange_v4_t s[] = { { 10, 20 }, { 30, 40 }, { 50, 60 } };
    const uint32_t in[] = { 15, 35, 55, 10, 20, 30, 40, 50, 60 };
    const uint32_t out[] = { 5, 25, 45, 65, 0, 9, 21, 61, 0xFFFFFFFFu };
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++)
        assert_int_equal(iprange_find_v4(s, 3, in[i]), 1);
    for (size_t i = 0; i < sizeof out / sizeof out[0]; i++)
        assert_int_equal(iprange_find_v4(s, 3, out[i]), 0);
    assert_int_equal(iprange_find_v4(NULL, 0, 15), 0);
}

/* ---- IPv6 ---- */

static int v6(const char *s, iprange_u128_t *out)
{
    return iprange_parse_v6(s, strlen(s), out);
}

static void test_ipv6(void **state)
{
    (void)state;
    iprange_u128_t a;
    struct { const char *s; uint64_t hi, lo; } ok[] = {
        { "::", 0, 0 }, { "::1", 0, 1 },
        { "2001:0db8:0000:0000:0000:0000:0000:0001", 0x20010DB800000000ull, 1 },
        { "2001:db8::1", 0x20010DB800000000ull, 1 },
        { "fe80::1", 0xFE80000000000000ull, 1 },
        { "::ffff:c0a8:1", 0, 0xFFFFC0A80001ull },
        { "FE80::ABCD", 0xFE80000000000000ull, 0xABCD },
        { "1::", 0x0001000000000000ull, 0 },
        { "1:2:3:4:5:6:7:8", 0x0001000200030004ull, 0x0005000600070008ull },
        { "1:2:3:4::5:6:7:8", 0x0001000200030004ull, 0x0005000600070008ull }, /* :: for zero groups */
        { "1:2:3:4:5:6:7::", 0x0001000200030004ull, 0x0005000600070000ull },
        { "::2:3:4:5:6:7:8", 0x0000000200030004ull, 0x0005000600070008ull },
        { "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", UINT64_MAX, UINT64_MAX },
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        assert_int_equal(v6(ok[i].s, &a), 0);
        assert_true(a.hi == ok[i].hi && a.lo == ok[i].lo);
    }
    const char *bad[] = { "", "not-an-ip", "10.0.0.1", ":::1", "2001:db8::1::2", "::ffff:1.2.3.4",
                          "fe80::1%eth0", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "12345::",
                          "1:2:3:4::5:6:7:8:9", ":1::", "1::2:", "1:2:3:4:5:6:7:8:", ":",
                          "g::1", "1: :2", "::-1" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(v6(bad[i], &a), -1);
}

static void test_cidr_v6(void **state)
{
    (void)state;
    iprange_v6_t r;
    assert_int_equal(iprange_cidr_v6("2001:db8::1/128", 15, &r), 0);
    assert_true(iprange_u128_cmp(r.start, u(0x20010DB800000000ull, 1)) == 0);
    assert_true(iprange_u128_cmp(r.end, r.start) == 0);
    assert_int_equal(iprange_cidr_v6("2600:1900:8000::/44", 19, &r), 0);
    assert_true(iprange_u128_cmp(r.start, u(0x2600190080000000ull, 0)) == 0);
    assert_true(iprange_u128_cmp(r.end, u(0x26001900800FFFFFull, UINT64_MAX)) == 0);
    assert_int_equal(iprange_cidr_v6("::/0", 4, &r), 0);
    assert_true(r.start.hi == 0 && r.start.lo == 0 && r.end.hi == UINT64_MAX && r.end.lo == UINT64_MAX);
    assert_int_equal(iprange_cidr_v6("2001:db8::ff/64", 15, &r), 0);     /* host bits ignored */
    assert_true(r.start.hi == 0x20010DB800000000ull && r.start.lo == 0 && r.end.lo == UINT64_MAX);
    assert_int_equal(iprange_cidr_v6("2001:db8::/65", 13, &r), 0);
    assert_true(r.end.lo == 0x7FFFFFFFFFFFFFFFull);
    assert_int_equal(iprange_cidr_v6("::/129", 6, &r), -1);
    assert_int_equal(iprange_cidr_v6("::/-1", 5, &r), -1);
    assert_int_equal(iprange_cidr_v6("::1", 3, &r), -1);
    assert_int_equal(iprange_cidr_v6("10.0.0.0/8", 10, &r), -1);

    iprange_v6_t m[] = { { u(0, 1), u(0, 10) }, { u(0, 5), u(0, 20) } };
    assert_int_equal(iprange_merge_v6(m, 2), 1);
    assert_true(m[0].end.lo == 20);
    iprange_v6_t n[] = { { u(0, 1), u(0, 5) }, { u(0, 10), u(0, 15) } };
    assert_int_equal(iprange_merge_v6(n, 2), 2);
    iprange_v6_t c[] = { { u(0, 6), u(0, UINT64_MAX) }, { u(1, 0), u(1, 3) } };   /* adjacent across the carry */
    assert_int_equal(iprange_merge_v6(c, 2), 1);
    assert_true(c[0].end.hi == 1 && c[0].end.lo == 3);
    iprange_v6_t s[] = { { u(0, 10), u(0, 20) }, { u(0, 30), u(0, 40) } };
    assert_int_equal(iprange_find_v6(s, 2, u(0, 15)), 1);
    assert_int_equal(iprange_find_v6(s, 2, u(0, 25)), 0);
    assert_int_equal(iprange_find_v6(s, 2, u(0, 35)), 1);
    assert_int_equal(iprange_find_v6(s, 2, u(1, 15)), 0);
    assert_int_equal(iprange_find_v6(NULL, 0, u(0, 15)), 0);
}

static void test_classify(void **state)
{
    (void)state;
    uint32_t a;
    iprange_u128_t b;
    assert_int_equal(iprange_classify("3.5.140.1", &a, &b), 4);
    assert_int_equal(a, 0x03058C01);
    assert_int_equal(iprange_classify("::ffff:3.5.140.1", &a, &b), 4);
    assert_int_equal(a, 0x03058C01);
    assert_int_equal(iprange_classify("::FFFF:3.5.140.1", &a, &b), 4);
    assert_int_equal(iprange_classify("::3.5.140.1", &a, &b), 4);   /* deprecated form */
    assert_int_equal(iprange_classify("::ffff:0305:8c01", &a, &b), 6);
    assert_int_equal(iprange_classify("2600:3c00::1", &a, &b), 6);
    assert_int_equal(iprange_classify("unknown", &a, &b), 0);
    assert_int_equal(iprange_classify("", &a, &b), 0);
    assert_int_equal(iprange_classify(NULL, &a, &b), 0);
    assert_int_equal(iprange_classify("1.2.3.4:8080", &a, &b), 0);
}

/* ---- feed parsing and the shrink guard ---- */

static void test_parse(void **state)
{
    (void)state;
    const char *cr = "[{\"pattern\":\"Googlebot\\\\/\"},{\"pattern\":\"(unclosed\"},{\"pattern\":7},"
                     "{\"url\":\"x\"},\"str\",{\"pattern\":\"[wW]get\"}]";
    assert_int_equal(feeds_parse_count(FEEDS_CRAWLER, cr, strlen(cr)), 2);
    assert_int_equal(feeds_parse_count(FEEDS_CRAWLER, "{}", 2), 0);        /* not an array */
    assert_int_equal(feeds_parse_count(FEEDS_CRAWLER, "[]", 2), 0);        /* empty */
    assert_int_equal(feeds_parse_count(FEEDS_CRAWLER, "[{\"pattern\":\"(\"}]", 16), 0);
    assert_int_equal(feeds_parse_count(FEEDS_CRAWLER, "not json", 8), 0);
    const char *ai = "{\"GPTBot\":{},\"\":{},\"Brightbot 1.0\":{\"x\":1}}";
    assert_int_equal(feeds_parse_count(FEEDS_AI, ai, strlen(ai)), 2);
    assert_int_equal(feeds_parse_count(FEEDS_AI, "[\"GPTBot\"]", 10), 0);
    assert_int_equal(feeds_parse_count(FEEDS_AI, "{}", 2), 0);
    const char *aws = "{\"prefixes\":[{\"ip_prefix\":\"3.5.140.0/22\"},{\"ip_prefix\":\"bad\"},"
                      "{\"ip_prefix\":\"2600::/32\"}],\"ipv6_prefixes\":[{\"ipv6_prefix\":\"2600:1f00::/24\"}]}";
    assert_int_equal(feeds_parse_count(FEEDS_AWS, aws, strlen(aws)), 2);
    const char *gcp = "{\"prefixes\":[{\"ipv4Prefix\":\"34.1.208.0/20\"},{\"ipv6Prefix\":\"2600:1900::/35\"},{}]}";
    assert_int_equal(feeds_parse_count(FEEDS_GCP, gcp, strlen(gcp)), 2);
    const char *csv = "# comment\n5.101.96.0/21,NL,NL-NH,Amsterdam,1098 XH\r\n\n2a03:b0c0::/32,NL,,,\nbad,US\n";
    assert_int_equal(feeds_parse_count(FEEDS_DO, csv, strlen(csv)), 2);
    assert_int_equal(feeds_parse_count(FEEDS_LINODE, csv, strlen(csv)), 2);
    const char *orc = "{\"regions\":[{\"cidrs\":[{\"cidr\":\"129.80.0.0/16\"},{\"cidr\":\"2603:c020::/35\"}]},{\"x\":1}]}";
    assert_int_equal(feeds_parse_count(FEEDS_ORACLE, orc, strlen(orc)), 2);
    assert_int_equal(feeds_parse_count(FEEDS_ORACLE, "{}", 2), 0);
}

static void test_shrink_guard(void **state)
{
    (void)state;
    assert_int_equal(feeds_shrink_ok(0, 1), 1);
    assert_int_equal(feeds_shrink_ok(100, 10), 1);     /* exactly 10 %: accepted */
    assert_int_equal(feeds_shrink_ok(100, 9), 0);
    assert_int_equal(feeds_shrink_ok(1498, 150), 1);
    assert_int_equal(feeds_shrink_ok(1498, 149), 0);
    assert_int_equal(feeds_shrink_ok(5, 1), 1);
    assert_int_equal(feeds_shrink_ok(11, 1), 0);
}

static void write_file(const char *dir, const char *name, const char *text)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static char *mktmp(void)
{
    char *t = strdup("/tmp/echelon-feeds-XXXXXX");
    assert_non_null(mkdtemp(t));
    return t;
}

static void rm_rf(const char *dir)
{
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

/* A feed that shrinks below 10 % keeps the previous data in a worker. */
static void test_build_keeps_previous(void **state)
{
    (void)state;
    char *d1 = mktmp(), *d2 = mktmp();
    char big[4096] = "[", ai[] = "{\"GPTBot\":{}}";
    for (int i = 0; i < 20; i++) {
        char e[64];
        snprintf(e, sizeof e, "%s{\"pattern\":\"bot%02d\"}", i ? "," : "", i);
        strcat(big, e);
    }
    strcat(big, "]");
    write_file(d1, "crawler-user-agents.json", big);
    write_file(d1, "ai-robots.json", ai);
    write_file(d1, "aws-ip-ranges.json", "{\"prefixes\":[{\"ip_prefix\":\"3.5.140.0/22\"}]}");
    feeds_t *f = feeds_build(d1, NULL);
    feeds_counts_t c;
    feeds_get_counts(f, &c);
    assert_int_equal(c.n[FEEDS_CRAWLER], 20);
    assert_int_equal(c.n[FEEDS_AI], 1);
    assert_int_equal(feeds_match_crawler(f, "Mozilla BOT07 x"), 1);
    assert_int_equal(feeds_match_datacenter(f, "3.5.140.1"), 1);
    /* d2: a one-pattern crawler feed (< 10 % of 20), no AI file, new ranges */
    write_file(d2, "crawler-user-agents.json", "[{\"pattern\":\"other\"}]");
    write_file(d2, "aws-ip-ranges.json", "{\"prefixes\":[{\"ip_prefix\":\"52.0.0.0/8\"}]}");
    f = feeds_build(d2, f);
    feeds_get_counts(f, &c);
    assert_int_equal(c.n[FEEDS_CRAWLER], 20);           /* refused: kept */
    assert_int_equal(feeds_match_crawler(f, "bot07"), 1);
    assert_int_equal(feeds_match_crawler(f, "other"), 0);
    assert_int_equal(feeds_match_ai(f, "gptbot/1.0"), 1);   /* missing file: kept */
    assert_int_equal(feeds_match_datacenter(f, "52.1.2.3"), 1);   /* replaced */
    assert_int_equal(feeds_match_datacenter(f, "3.5.140.1"), 0);
    feeds_free(f);
    rm_rf(d1);
    rm_rf(d2);
    free(d1);
    free(d2);
}

static void test_no_feeds(void **state)
{
    (void)state;
    assert_int_equal(feeds_match_crawler(NULL, "Googlebot/2.1"), 0);
    assert_int_equal(feeds_match_ai(NULL, "GPTBot/1.0"), 0);
    assert_int_equal(feeds_match_datacenter(NULL, "3.5.140.1"), 0);
    feeds_t *f = feeds_build("/nonexistent-dir", NULL);   /* loads nothing */
    assert_int_equal(feeds_match_crawler(f, "Googlebot/2.1"), 0);
    assert_int_equal(feeds_match_ai(f, "GPTBot/1.0"), 0);
    assert_int_equal(feeds_match_datacenter(f, "3.5.140.1"), 0);
    feeds_free(f);
}

/* ---- the real snapshots ---- */

static feeds_t *snap;

static void test_snapshot_counts(void **state)
{
    (void)state;
    if (!have_snapshots())
        skip();
    snap = feeds_build(SNAP, NULL);
    feeds_counts_t c;
    feeds_get_counts(snap, &c);
    assert_true(c.n[FEEDS_CRAWLER] >= 1400 && c.n[FEEDS_CRAWLER] <= 1498);
    assert_int_equal(c.crawler_literal + c.crawler_regex, c.n[FEEDS_CRAWLER]);
    assert_int_equal(c.n[FEEDS_AI], 166);
    assert_int_equal(c.n[FEEDS_AWS], 8971 + 4373);
    assert_int_equal(c.n[FEEDS_GCP], 782);
    assert_true(c.n[FEEDS_DO] > 1000);
    assert_true(c.n[FEEDS_LINODE] > 1000);
    assert_true(c.n[FEEDS_ORACLE] > 100);
    assert_true(c.v4 > 0 && c.v6 > 0);
}

static void test_snapshot_match(void **state)
{
    (void)state;
    if (!snap)
        skip();
    const char *chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
                         "Chrome/139.0.0.0 Safari/537.36";
    const char *safari = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
                         "(KHTML, like Gecko) Version/17.2.1 Safari/605.1.15";
    assert_int_equal(feeds_match_crawler(snap, chrome), 0);
    assert_int_equal(feeds_match_ai(snap, chrome), 0);
    assert_int_equal(feeds_match_crawler(snap, safari), 0);
    assert_int_equal(feeds_match_crawler(snap, "Googlebot/2.1"), 1);
    assert_int_equal(feeds_match_crawler(snap, "googlebot/2.1"), 1);    /* caseless */
    assert_int_equal(feeds_match_crawler(snap, "SeznamBot/3.2"), 1);
    assert_int_equal(feeds_match_crawler(snap, "WGET/1.21"), 1);        /* [wW]get, caseless */
    assert_int_equal(feeds_match_crawler(snap, "Mozilla/5.0 (compatible; Ahrefssiteaudit/6.1)"), 1);
    assert_int_equal(feeds_match_crawler(snap, "BlogTraffic/1.25 Feed-Fetcher"), 1);   /* \d regex */
    assert_int_equal(feeds_match_ai(snap, "Mozilla/5.0 (compatible; GPTBot/1.0)"), 1);
    assert_int_equal(feeds_match_ai(snap, "mozilla/5.0 gptbot"), 1);
    assert_int_equal(feeds_match_ai(snap, "Brightbot 1.0 test"), 1);    /* names with spaces/dots */
    int c, a;
    feeds_match_ua(snap, "Mozilla/5.0 (compatible; Bytespider; spider-feedback@bytedance.com)", &c, &a);
    assert_int_equal(c, 1);
    assert_int_equal(a, 1);
    /* datacenters: AWS, GCP, DigitalOcean, Linode, Oracle; v4 and v6 */
    const char *dc[] = { "3.5.140.1", "::ffff:3.5.140.1", "34.35.0.1", "5.101.96.1",
                         "24.144.64.1", "2600:3c00::1", "129.80.0.1" };
    for (size_t i = 0; i < sizeof dc / sizeof dc[0]; i++)
        assert_int_equal(feeds_match_datacenter(snap, dc[i]), 1);
    const char *not_dc[] = { "127.0.0.1", "192.168.1.1", "10.0.0.1", "unknown", "", "::1", "1.1.1.1" };
    for (size_t i = 0; i < sizeof not_dc / sizeof not_dc[0]; i++)
        assert_int_equal(feeds_match_datacenter(snap, not_dc[i]), 0);
}

/* Feed signals through score_request() with the snapshot loaded. */
static void test_score_signals(void **state)
{
    (void)state;
    if (!have_snapshots())
        skip();
    test_cfg.feeds_dir = SNAP;
    test_cfg.suspect_points = 30;
    assert_int_equal(feeds_reload(), 1);
    assert_non_null(feeds_current());
    score_input_t in;
    score_input_init(&in, SCORE_KIND_EVENTS);
    in.has_accept_language = in.has_sec_ch_ua = in.has_sec_fetch_site = 1;
    in.user_agent = "SeznamBot/3.2";
    in.client_ip = "3.5.140.1";
    score_t s;
    score_request(&in, &s);
    char buf[SCORE_DETAIL_MAX];
    score_detail_json(&s, buf, sizeof buf);
    assert_string_equal(buf, "{\"crawler_feed\":30,\"datacenter_ip\":15}");
    in.user_agent = "Mozilla/5.0 (compatible; GPTBot/1.0)";
    in.client_ip = "unknown";
    score_request(&in, &s);
    score_detail_json(&s, buf, sizeof buf);
    assert_int_equal(s.ai_crawler_feed, 40);
    assert_int_equal(s.datacenter_ip, 0);
    test_cfg.feeds_dir = NULL;
}

/* echelon-ctl feeds refresh --from: publish, pick up, refuse a shrink. */
static void test_refresh(void **state)
{
    (void)state;
    if (!have_snapshots())
        skip();
    char *dir = mktmp(), *bad = mktmp(), *upd = mktmp();
    test_cfg.feeds_dir = dir;
    /* an empty dir loads nothing new: a worker keeps what it had */
    assert_int_equal(feeds_reload(), 1);
    feeds_counts_t c;
    feeds_get_counts(feeds_current(), &c);
    assert_int_equal(c.n[FEEDS_AI], 166);
    assert_int_equal(feeds_refresh(SNAP), 0);
    char link[4200], tgt[256];
    snprintf(link, sizeof link, "%s/current", dir);
    ssize_t n = readlink(link, tgt, sizeof tgt - 1);
    assert_true(n > 1 && tgt[0] == 'v');
    tgt[n] = '\0';
    assert_int_equal(feeds_reload(), 1);            /* new version picked up */
    assert_int_equal(feeds_reload(), 0);            /* unchanged */
    assert_int_equal(feeds_match_crawler(feeds_current(), "Googlebot/2.1"), 1);
    /* only a shrunken crawler feed: nothing to publish, current unchanged */
    write_file(bad, "crawler-user-agents.json", "[{\"pattern\":\"x\"}]");
    assert_int_equal(feeds_refresh(bad), -1);
    char tgt2[256];
    n = readlink(link, tgt2, sizeof tgt2 - 1);
    tgt2[n > 0 ? n : 0] = '\0';
    assert_string_equal(tgt, tgt2);
    /* a new AI feed plus the shrunken crawler: the AI feed is published,
     * the crawler feed keeps the previous file */
    usleep(2000);
    write_file(upd, "crawler-user-agents.json", "[{\"pattern\":\"x\"}]");
    char ai[1024] = "{\"NewAgent\":{}";
    for (int i = 0; i < 19; i++) {
        char e[32];
        snprintf(e, sizeof e, ",\"Agent%02d\":{}", i);
        strcat(ai, e);
    }
    strcat(ai, "}");
    write_file(upd, "ai-robots.json", ai);      /* 20 names: >= 10 % of 166 */
    assert_int_equal(feeds_refresh(upd), 0);
    assert_int_equal(feeds_reload(), 1);
    const feeds_t *f = feeds_current();
    feeds_get_counts(f, &c);
    assert_true(c.n[FEEDS_CRAWLER] > 1000);
    assert_int_equal(c.n[FEEDS_AI], 20);
    assert_int_equal(feeds_match_ai(f, "NewAgent/1"), 1);
    assert_int_equal(c.n[FEEDS_AWS], 8971 + 4373);
    test_cfg.feeds_dir = NULL;
    rm_rf(dir);
    rm_rf(bad);
    rm_rf(upd);
    free(dir);
    free(bad);
    free(upd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ipv4),
        cmocka_unit_test(test_cidr_v4),
        cmocka_unit_test(test_merge_search_v4),
        cmocka_unit_test(test_ipv6),
        cmocka_unit_test(test_cidr_v6),
        cmocka_unit_test(test_classify),
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_shrink_guard),
        cmocka_unit_test(test_build_keeps_previous),
        cmocka_unit_test(test_no_feeds),
        cmocka_unit_test(test_snapshot_counts),
        cmocka_unit_test(test_snapshot_match),
        cmocka_unit_test(test_score_signals),
        cmocka_unit_test(test_refresh),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    feeds_free(snap);
    return rc;
}
