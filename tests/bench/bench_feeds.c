/* bench_feeds.c -- per-request cost of threat-feed matching (spec/20 §6)
 * and of the whole request-time score, with the real snapshots loaded
 * (~1,500 crawler patterns, 166 AI names, all datacenter ranges).
 * Prints figures; not part of the pass/fail suite.
 *   make tests/bench/bench_feeds && ./tests/bench/bench_feeds [feeds-dir] */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "core/config.h"
#include "defense/feeds.h"
#include "defense/score.h"

static config_t test_cfg;
const config_t *cfg = &test_cfg;
void log_msg(int level, const char *module, const char *fmt, ...)
{
    (void)level, (void)module, (void)fmt;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static const char *uas[] = {
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/139.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
    "Mozilla/5.0 (compatible; SeznamBot/3.2; +http://napoveda.seznam.cz/en/seznambot-intro/)",
};
static const char *ips[] = { "203.0.113.7", "3.5.140.1", "2a02:1234:5678::1", "2600:3c00::1" };

int main(int argc, char **argv)
{
    char *dir = argc > 1 ? argv[1] : (char *)FEEDS_SNAPSHOT_DIR;
    static char *bots[] = { "googlebot", "bingbot", "curl", "wget", "headlesschrome" };
    static char *cn[] = { "CN" };
    test_cfg.feeds_dir = dir;
    test_cfg.suspect_points = 30;
    test_cfg.bot_discard_threshold = 50;
    test_cfg.suspect_countries.items = cn;
    test_cfg.suspect_countries.n = 1;
    test_cfg.bot_ua_patterns.items = bots;
    test_cfg.bot_ua_patterns.n = 5;
    double t0 = now_s();
    if (feeds_reload() != 1 || !feeds_current()) {
        fprintf(stderr, "no feeds in %s\n", dir);
        return 1;
    }
    double load = now_s() - t0;
    feeds_counts_t c;
    feeds_get_counts(feeds_current(), &c);
    printf("load: %.1f ms (crawler %zu = %zu literal + %zu regex, ai %zu, v4 %zu, v6 %zu intervals)\n",
           load * 1e3, c.n[FEEDS_CRAWLER], c.crawler_literal, c.crawler_regex, c.n[FEEDS_AI], c.v4, c.v6);
    const feeds_t *f = feeds_current();
    const long N = 200000;
    volatile int sink = 0;
    for (size_t u = 0; u < sizeof uas / sizeof uas[0]; u++) {
        t0 = now_s();
        for (long i = 0; i < N; i++) {
            int cr, ai;
            feeds_match_ua(f, uas[u], &cr, &ai);
            sink += cr + ai;
        }
        printf("UA match  %-48.48s %7.3f us\n", uas[u], (now_s() - t0) / N * 1e6);
    }
    for (size_t k = 0; k < sizeof ips / sizeof ips[0]; k++) {
        t0 = now_s();
        for (long i = 0; i < N; i++)
            sink += feeds_match_datacenter(f, ips[k]);
        printf("IP match  %-48s %7.3f us\n", ips[k], (now_s() - t0) / N * 1e6);
    }
    score_input_t in;
    score_input_init(&in, SCORE_KIND_BEACON);
    in.user_agent = uas[0];
    in.client_ip = ips[0];
    in.site_id = "example.com";
    in.has_accept_language = in.has_sec_ch_ua = in.has_sec_fetch_site = 1;
    in.interaction_ms = 2000;
    in.sw = "1920";
    in.sh = "1080";
    in.path = "/a/b";
    in.referrer = "https://google.com";
    score_t s;
    t0 = now_s();
    for (long i = 0; i < N; i++) {
        sink += score_is_known_bot(in.user_agent);
        score_request(&in, &s);
        sink += score_total(&s);
    }
    printf("known-bot test + score_request (browser UA): %.3f us per request\n", (now_s() - t0) / N * 1e6);
    return sink == -1;
}
