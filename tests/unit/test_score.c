/* test_score.c -- unit tests for defense/score (spec/20 §2, §5, §9.2, §9.3).
 *
 * Every signal is pinned at its boundaries; the ship-time half is driven
 * with hand-made Redis replies (burst counters and bot-IP tiers in the order
 * score_ship_queue() asks for them) so they are tested without a server. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <hiredis/hiredis.h>
#include "core/config.h"
#include "defense/score.h"
#include "defense/correlator.h"

static config_t test_cfg;
const config_t *cfg = &test_cfg;
void log_msg(int level, const char *module, const char *fmt, ...)
{
    (void)level, (void)module, (void)fmt;
}

static char *default_bots[] = {
    "googlebot", "bingbot", "slurp", "duckduckbot", "baiduspider", "yandexbot", "sogou",
    "exabot", "facebot", "facebookexternalhit", "ia_archiver", "applebot", "adsbot-google",
    "mediapartners-google", "apis-google", "ahrefsbot", "semrushbot", "mj12bot", "dotbot",
    "petalbot", "blexbot", "gptbot", "chatgpt-user", "oai-searchbot", "claudebot", "claude-web",
    "bytespider", "ccbot", "dataforseobot", "amazonbot", "anthropic-ai", "perplexitybot",
    "youbot", "scrapy", "curl", "wget", "python-requests", "go-http-client", "headlesschrome",
    "amzn-searchbot",
};
static char *cn[] = { "CN" };
static char *ru[] = { "RU" };
static char *de[] = { "DE" };
static cfg_site_countries_t sites[2];

static int setup(void **state)
{
    (void)state;
    memset(&test_cfg, 0, sizeof test_cfg);
    test_cfg.suspect_countries.items = cn;
    test_cfg.suspect_countries.n = 1;
    test_cfg.suspect_points = 30;
    test_cfg.bot_discard_threshold = 50;
    test_cfg.bot_ua_patterns.items = default_bots;
    test_cfg.bot_ua_patterns.n = sizeof default_bots / sizeof default_bots[0];
    sites[0].site = "mysite.com";
    sites[0].countries.items = ru;
    sites[0].countries.n = 1;
    sites[1].site = "other.com";
    sites[1].countries.items = cn;
    sites[1].countries.n = 1;
    test_cfg.site_suspect = sites;
    test_cfg.nsite_suspect = 2;
    test_cfg.feeds_dir = NULL;      /* no feeds: feed signals never fire here */
    return 0;
}

/* §9.3 baseline: interaction 2000 ms, all headers, 1920x1080, referrer
 * https://google.com, path /, no country, no Cloudflare, valid PoW. */
static void baseline(score_input_t *in)
{
    score_input_init(in, SCORE_KIND_BEACON);
    in->site_id = "mysite.com";
    in->user_agent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0.0.0 Safari/537.36";
    in->client_ip = "192.0.2.1";
    in->has_accept_language = in->has_sec_ch_ua = in->has_sec_fetch_site = 1;
    in->interaction_ms = 2000;
    in->sw = "1920";
    in->sh = "1080";
    in->referrer = "https://google.com";
    in->path = "/";
}

static int total_of(const score_input_t *in)
{
    score_t s;
    score_request(in, &s);
    return score_total(&s);
}

static const char *detail_of(const score_input_t *in)
{
    static char buf[SCORE_DETAIL_MAX];
    score_t s;
    score_request(in, &s);
    assert_true(score_detail_json(&s, buf, sizeof buf) >= 0);
    return buf;
}

static void test_baseline(void **state)
{
    (void)state;
    score_input_t in;
    baseline(&in);
    assert_int_equal(total_of(&in), 0);
    assert_string_equal(detail_of(&in), "{}");
}

static void test_headers(void **state)
{
    (void)state;
    score_input_t in;
    baseline(&in);
    in.has_accept_language = 0;
    assert_int_equal(total_of(&in), 10);
    assert_string_equal(detail_of(&in), "{\"headers\":10}");
    baseline(&in);
    in.has_sec_ch_ua = 0;               /* one of the two present: nothing */
    assert_int_equal(total_of(&in), 0);
    in.has_sec_fetch_site = 0;
    assert_int_equal(total_of(&in), 10);
    in.has_accept_language = 0;
    assert_string_equal(detail_of(&in), "{\"headers\":20}");
}

static void test_timing(void **state)
{
    (void)state;
    score_input_t in;
    baseline(&in);
    const long ms[] = { 100, 800, 849, 850, 999, 1000, 3600000 };
    const int want[] = { 20, 20, 20, 8, 8, 0, 0 };
    for (size_t i = 0; i < sizeof ms / sizeof ms[0]; i++) {
        in.interaction_ms = ms[i];
        assert_int_equal(total_of(&in), want[i]);
    }
    in.interaction_ms = 849;
    assert_string_equal(detail_of(&in), "{\"timing\":20}");
    in.is_spa = 1;                      /* SPA navigations never get timing */
    assert_int_equal(total_of(&in), 0);
    in.is_spa = 0;
    in.interaction_ms = -1;             /* unknown */
    assert_int_equal(total_of(&in), 0);
    in.interaction_ms = 100;
    in.kind = SCORE_KIND_EVENTS;        /* no timing on /e */
    assert_int_equal(total_of(&in), 0);
}

static void test_screen(void **state)
{
    (void)state;
    score_input_t in;
    baseline(&in);
    struct { const char *w, *h; int pts; } v[] = {
        { "0", "0", 10 }, { "10000", "10000", 0 }, { "10001", "1080", 10 },
        { "1920", "10001", 10 }, { "1", "1", 0 }, { "-5", "1080", 10 },
        { "1920", NULL, 10 },           /* the absent one counts as 0 */
        { NULL, "1080", 10 },
        { NULL, NULL, 0 },              /* neither supplied: no signal */
        { "abc", "1080", 0 },           /* NaN fails every comparison */
        { "abc", "abc", 0 },
        { "abc", "0", 10 },
        { "1920abc", "1080", 0 },       /* lenient: 1920 */
        { " 0", "1080", 10 },
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        in.sw = v[i].w;
        in.sh = v[i].h;
        assert_int_equal(total_of(&in), v[i].pts);
    }
    in.sw = "0";
    in.sh = "0";
    assert_string_equal(detail_of(&in), "{\"screen\":10}");
    in.kind = SCORE_KIND_EVENTS;
    assert_int_equal(total_of(&in), 0);
}

static void test_referrer(void **state)
{
    (void)state;
    score_input_t in;
    baseline(&in);
    in.path = "/a/b";
    assert_int_equal(total_of(&in), 0);     /* has a referrer */
    in.referrer = NULL;
    assert_int_equal(total_of(&in), 5);
    assert_string_equal(detail_of(&in), "{\"referrer\":5}");
    in.referrer = "direct_or_unknown";
    assert_int_equal(total_of(&in), 5);
    const char *paths[] = { "/", "/a", "/a/", "//a//", "/a//b", "/a?x=/b", "", NULL };
    const int want[] = { 0, 0, 0, 0, 5, 5, 0, 0 };
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        in.path = paths[i];
        assert_int_equal(total_of(&in), want[i]);
    }
    in.path = "/a/b";
    in.kind = SCORE_KIND_EVENTS;
    assert_int_equal(total_of(&in), 0);
}

static void test_cloudflare(void **state)
{
    (void)state;
    score_input_t in;
    baseline(&in);
    struct { int score, verified, pts; } v[] = {
        { 1, 0, 50 }, { 2, 0, 50 }, { 3, 0, 30 }, { 29, 0, 30 }, { 30, 0, 10 },
        { 50, 0, 10 }, { 51, 0, 0 }, { 99, 0, 0 }, { 50, 1, 15 }, { 99, 1, 15 },
        { 0, 1, 0 },                    /* verified flag without a score */
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        in.cf_score = v[i].score;
        in.cf_verified = v[i].verified;
        assert_int_equal(total_of(&in), v[i].pts);
    }
    in.cf_score = 1;
    in.cf_verified = 0;
    assert_string_equal(detail_of(&in), "{\"cf\":50}");
}

static void test_geo(void **state)
{
    (void)state;
    score_input_t in;
    baseline(&in);
    in.country = "CN";
    assert_int_equal(total_of(&in), 30);
    assert_string_equal(detail_of(&in), "{\"geo\":30}");
    in.country = "cn";
    assert_int_equal(total_of(&in), 30);
    in.country = "RU";                  /* mysite.com's own list */
    assert_string_equal(detail_of(&in), "{\"geo_site\":30}");
    in.site_id = "MySite.COM";          /* site id lower-cased */
    assert_int_equal(total_of(&in), 30);
    in.site_id = "other.com";           /* in both lists: 2 x points */
    in.country = "CN";
    assert_int_equal(total_of(&in), 60);
    assert_string_equal(detail_of(&in), "{\"geo\":30,\"geo_site\":30}");
    in.country = "DE";
    assert_int_equal(total_of(&in), 0);
    in.country = NULL;
    assert_int_equal(total_of(&in), 0);
    /* negative points are used as-is and the key is still written */
    test_cfg.suspect_points = -5;
    in.country = "CN";
    in.site_id = "mysite.com";
    in.has_accept_language = 0;
    assert_int_equal(total_of(&in), 5);
    assert_string_equal(detail_of(&in), "{\"geo\":-5,\"headers\":10}");
    /* later entry for the same site replaces the earlier one */
    test_cfg.suspect_points = 30;
    cfg_site_countries_t two[2] = { { "mysite.com", { ru, 1 } }, { "mysite.com", { de, 1 } } };
    test_cfg.site_suspect = two;
    in.has_accept_language = 1;
    in.country = "RU";
    assert_int_equal(total_of(&in), 0);
    in.country = "DE";
    assert_int_equal(total_of(&in), 30);
    in.kind = SCORE_KIND_EVENTS;        /* geo applies to events too */
    assert_int_equal(total_of(&in), 30);
    test_cfg.site_suspect = sites;
}

static void test_pow_and_discard(void **state)
{
    (void)state;
    score_input_t in;
    baseline(&in);
    in.pow_result = SCORE_POW_MISSING;
    score_t s;
    score_request(&in, &s);
    assert_int_equal(score_total(&s), 50);
    assert_int_equal(score_discard(&s), 1);
    assert_string_equal(detail_of(&in), "{\"pow\":50,\"pow_result\":\"missing\"}");
    in.pow_result = SCORE_POW_INVALID;
    assert_string_equal(detail_of(&in), "{\"pow\":50,\"pow_result\":\"invalid\"}");
    test_cfg.bot_discard_threshold = 0;
    score_request(&in, &s);
    assert_int_equal(score_discard(&s), 0);
    test_cfg.bot_discard_threshold = -3;
    assert_int_equal(score_discard(&s), 0);
    test_cfg.bot_discard_threshold = 51;
    assert_int_equal(score_discard(&s), 0);
    test_cfg.bot_discard_threshold = 50;
    in.pow_result = SCORE_POW_VALID;
    in.has_accept_language = 0;
    in.interaction_ms = 100;
    in.sw = "0";
    score_request(&in, &s);             /* 10 + 20 + 10 = 40 */
    assert_int_equal(score_discard(&s), 0);
    in.cf_score = 40;                   /* + 10 = 50 */
    score_request(&in, &s);
    assert_int_equal(score_discard(&s), 1);
}

/* Full key order of §5.4 and the example given there. */
static void test_detail_order(void **state)
{
    (void)state;
    score_t s;
    memset(&s, 0, sizeof s);
    s.headers = 10;
    s.screen = 10;
    s.pow = 50;
    s.pow_result = SCORE_POW_INVALID;
    s.bot_ip = 20;
    char buf[SCORE_DETAIL_MAX];
    int n = score_detail_json(&s, buf, sizeof buf);
    assert_int_equal(n, (int)strlen(buf));
    assert_string_equal(buf, "{\"headers\":10,\"screen\":10,\"pow\":50,\"pow_result\":\"invalid\",\"bot_ip\":20}");
    assert_int_equal(score_total(&s), 90);
    s = (score_t){ .cf = 50, .timing = 20, .geo = 30, .geo_site = 30, .burst = 25, .headers = 20,
                   .screen = 10, .referrer = 5, .crawler_feed = 30, .ai_crawler_feed = 40,
                   .datacenter_ip = 15, .pow = 50, .bot_ip = 50, .geo_hit = 1, .geo_site_hit = 1,
                   .pow_result = SCORE_POW_MISSING };
    assert_true(score_detail_json(&s, buf, sizeof buf) > 0);
    assert_string_equal(buf, "{\"cf\":50,\"timing\":20,\"geo\":30,\"geo_site\":30,\"burst\":25,"
                             "\"headers\":20,\"screen\":10,\"referrer\":5,\"crawler_feed\":30,"
                             "\"ai_crawler_feed\":40,\"datacenter_ip\":15,\"pow\":50,"
                             "\"pow_result\":\"missing\",\"bot_ip\":50}");
    assert_int_equal(score_heuristic(&s), 100);
    assert_int_equal(score_total(&s), 100);
    assert_int_equal(score_detail_json(&s, buf, 20), -1);   /* too small */
    score_t back;
    assert_int_equal(score_from_detail(buf, strlen(buf), &back), 0);
    assert_memory_equal(&back, &s, sizeof s);
    assert_int_equal(score_from_detail("[1]", 3, &back), -1);
    assert_int_equal(score_from_detail("{\"x\":1,\"headers\":10}", 20, &back), 0);
    assert_int_equal(back.headers, 10);
}

/* The two composite rows of §9.3 (burst supplied as the ship would). */
static void test_composites(void **state)
{
    (void)state;
    score_input_t in;
    score_t s;
    baseline(&in);
    in.interaction_ms = 100;
    in.has_accept_language = in.has_sec_ch_ua = in.has_sec_fetch_site = 0;
    in.sw = "0";
    in.sh = "0";
    in.path = "/deep/nested/path";
    in.referrer = NULL;
    score_request(&in, &s);
    s.burst = 25;                       /* burst 100 */
    assert_int_equal(score_total(&s), 80);
    baseline(&in);
    in.interaction_ms = 100;
    in.has_accept_language = in.has_sec_ch_ua = in.has_sec_fetch_site = 0;
    score_request(&in, &s);
    s.burst = 25;                       /* burst 20 */
    assert_int_equal(score_total(&s), 65);
}

static void test_known_bot(void **state)
{
    (void)state;
    const char *yes[] = { "Googlebot/2.1", "Mozilla/5.0 (compatible; GPTBot/1.0)", "ClaudeBot",
                          "python-requests/2.28.0", "curl/7.88.1", "wget/1.21.4",
                          "Go-http-client/1.1", "HeadlessChrome/120.0.0.0", "BINGBOT",
                          "Mozilla/5.0 (compatible; Amzn-SearchBot/0.1)" };
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        assert_int_equal(score_is_known_bot(yes[i]), 1);
    assert_int_equal(score_is_known_bot(
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0.0.0 Safari/537.36"), 0);
    assert_int_equal(score_is_known_bot(
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) Safari/605.1.15"), 0);
    assert_int_equal(score_is_known_bot(NULL), 0);
    assert_int_equal(score_is_known_bot(""), 0);
    assert_int_equal(score_is_known_bot("YandexImages/3.0"), 0);   /* §10.7 */
    cfg_list_t saved = test_cfg.bot_ua_patterns;
    test_cfg.bot_ua_patterns.n = 0;     /* set but empty: nothing is a bot */
    assert_int_equal(score_is_known_bot("Googlebot/2.1"), 0);
    test_cfg.bot_ua_patterns = saved;
}

static void test_parse_int(void **state)
{
    (void)state;
    long v;
    assert_int_equal(score_parse_int("1920abc", &v), 0);
    assert_int_equal(v, 1920);
    assert_int_equal(score_parse_int("1e5", &v), 0);
    assert_int_equal(v, 1);
    assert_int_equal(score_parse_int("0x10", &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(score_parse_int("  -7", &v), 0);
    assert_int_equal(v, -7);
    assert_int_equal(score_parse_int("+3", &v), 0);
    assert_int_equal(v, 3);
    assert_int_equal(score_parse_int("99999999999999999999999", &v), 0);
    assert_true(v > 10000);
    assert_int_equal(score_parse_int("abc", &v), -1);
    assert_int_equal(score_parse_int("", &v), -1);
    assert_int_equal(score_parse_int("-", &v), -1);
    assert_int_equal(score_parse_int(NULL, &v), -1);
}

/* ---- ship time, with hand-made replies in the order score_ship_queue()
 * sends its commands: per distinct IP with beacons INCRBY + PEXPIRE, one
 * MGET of botip:c/botip:s per IP, one MGET of burst:<ip> for IPs with
 * events only ---- */

static redisReply *rep_int(long long v)
{
    redisReply *r = calloc(1, sizeof *r);
    r->type = REDIS_REPLY_INTEGER;
    r->integer = v;
    return r;
}

/* Array of bulk strings; NULL entries are nil. */
static redisReply *rarr(const char *const *v, size_t n)
{
    redisReply *r = calloc(1, sizeof *r), **e = calloc(n ? n : 1, sizeof *e);
    for (size_t i = 0; i < n; i++) {
        e[i] = calloc(1, sizeof **e);
        if (v[i]) {
            e[i]->type = REDIS_REPLY_STRING;
            e[i]->str = (char *)v[i];
            e[i]->len = strlen(v[i]);
        } else {
            e[i]->type = REDIS_REPLY_NIL;
        }
    }
    r->type = REDIS_REPLY_ARRAY;
    r->elements = n;
    r->element = e;
    return r;
}

static void free_rep(redisReply *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->elements; i++)
        free(r->element[i]);
    free(r->element);
    free(r);
}

#define HA "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define HC "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
#define HD "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"

static void ship_recs(score_ship_rec_t *r)
{
    memset(r, 0, 7 * sizeof *r);
    /* arrival order: A event, A beacon, (no IP), A beacon, C beacon,
     * D event (its IP sends no beacon in the batch), A event */
    const char *ip[7] = { HA, HA, NULL, HA, HC, HD, HA };
    const int ev[7] = { 1, 0, 0, 0, 0, 1, 1 };
    for (int i = 0; i < 7; i++) {
        r[i].kind = ev[i] ? SCORE_KIND_EVENTS : SCORE_KIND_BEACON;
        r[i].ip_hash = ip[i];
    }
    r[5].score.pow = 50;
    r[5].score.pow_result = SCORE_POW_MISSING;
}

static void test_ship_apply(void **state)
{
    (void)state;
    score_ship_rec_t r[7];
    ship_recs(r);
    /* A: 2 beacons, INCRBY -> 16 (14 before the batch); C: 1 beacon -> 1;
     * tiers: A none, C suspected, D confirmed; D's burst count is 20 */
    const char *tiers[6] = { NULL, NULL, NULL, "1", "1", NULL };
    const char *dburst[1] = { "20" };
    kv_reply_t *rep[6] = { rep_int(16), rep_int(1), rep_int(1), rep_int(1), rarr(tiers, 6), rarr(dburst, 1) };
    score_ship_apply(r, 7, rep, 6);
    assert_int_equal(r[0].score.burst, 0);      /* event before A's beacons: 14 */
    assert_int_equal(r[0].total, 0);
    assert_int_equal(r[1].score.burst, 0);      /* 15: not over */
    assert_int_equal(r[2].total, 0);
    assert_int_equal(r[3].score.burst, 25);     /* 16 */
    assert_int_equal(r[3].total, 25);
    assert_int_equal(r[3].discard, 0);
    assert_int_equal(r[4].score.burst, 0);
    assert_int_equal(r[4].score.bot_ip, 20);
    assert_int_equal(r[4].total, 20);
    assert_int_equal(r[5].score.burst, 25);     /* read, not incremented */
    assert_int_equal(r[5].score.bot_ip, 50);
    assert_int_equal(r[5].total, 100);
    assert_int_equal(r[5].discard, 1);
    char buf[SCORE_DETAIL_MAX];
    score_detail_json(&r[5].score, buf, sizeof buf);
    assert_string_equal(buf, "{\"burst\":25,\"pow\":50,\"pow_result\":\"missing\",\"bot_ip\":50}");
    assert_int_equal(r[6].score.burst, 25);     /* event after both beacons: 16 */
    for (int i = 0; i < 6; i++)
        free_rep(rep[i]);

    /* Redis down: NULL replies, records keep their request-time score */
    ship_recs(r);
    r[0].score.headers = 20;
    kv_reply_t *none[6] = { NULL };
    score_ship_apply(r, 7, none, 6);
    assert_int_equal(r[0].total, 20);
    assert_int_equal(r[3].score.burst, 0);
    assert_int_equal(r[5].score.bot_ip, 0);
    /* too few replies, or an MGET of the wrong size: no points, no reads past */
    ship_recs(r);
    kv_reply_t *rep2[6] = { rep_int(16), rep_int(1), rep_int(1), rep_int(1), rarr(tiers, 4), rarr(dburst, 1) };
    score_ship_apply(r, 7, rep2, 6);
    assert_int_equal(r[3].score.burst, 0);
    assert_int_equal(r[4].score.bot_ip, 0);
    score_ship_apply(r, 7, rep2, 5);
    assert_int_equal(r[5].score.burst, 0);
    for (int i = 0; i < 6; i++)
        free_rep(rep2[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_baseline, setup),
        cmocka_unit_test_setup(test_headers, setup),
        cmocka_unit_test_setup(test_timing, setup),
        cmocka_unit_test_setup(test_screen, setup),
        cmocka_unit_test_setup(test_referrer, setup),
        cmocka_unit_test_setup(test_cloudflare, setup),
        cmocka_unit_test_setup(test_geo, setup),
        cmocka_unit_test_setup(test_pow_and_discard, setup),
        cmocka_unit_test_setup(test_detail_order, setup),
        cmocka_unit_test_setup(test_composites, setup),
        cmocka_unit_test_setup(test_known_bot, setup),
        cmocka_unit_test_setup(test_parse_int, setup),
        cmocka_unit_test_setup(test_ship_apply, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
