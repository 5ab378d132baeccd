/* Unit tests for collect/referrer.c and collect/ua.c: origins (spec/10
 * §5.3), referrer_type (§5.6, reference test 40), device (41), OS (42),
 * browser (43), known bots (36), event device (§6.4). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>
#include <stdlib.h>
#include <stdio.h>
#include "collect/referrer.h"
#include "collect/ua.h"

static arena_t A;

static const char *origin(const char *u) { return ref_origin(&A, u, strlen(u)); }

static void origins_follow_the_url_standard(void **st)
{
    (void)st;
    static const struct { const char *in, *out; } T[] = {
        { "https://www.google.com/search?q=x", "https://www.google.com" },
        { "HTTPS://Example.COM:443/a", "https://example.com" },
        { "http://example.com:8080/", "http://example.com:8080" },
        { "http://example.com:80", "http://example.com" },
        { "https://user:pw@example.com/", "https://example.com" },
        { "https:example.com/x", "https://example.com" },
        { "https:\\\\example.com\\x", "https://example.com" },
        { "http://0x7f.1/", "http://127.0.0.1" },
        { "http://[2001:DB8:0:0:0:0:0:1]:80/", "http://[2001:db8::1]" },
        { "https://b\xc3\xbc" "cher.de/", "https://xn--bcher-kva.de" },
        { "android-app://com.google.android.gm/", "null" },
        { "file:///etc/passwd", "null" },
        { "data:text/html,hi", "null" },
        { "blob:https://example.com/uuid", "https://example.com" },
        { "  https://example.com  ", "https://example.com" },
    };
    for (size_t i = 0; i < sizeof T / sizeof T[0]; i++) {
        const char *o = origin(T[i].in);
        assert_non_null(o);
        assert_string_equal(o, T[i].out);
    }
    const char *bad[] = { "not-a-url", "", "https://", "http://exa mple.com/", "http://a:99999/",
                          "http://a:8x/", "http://1.2.3.256/", "http://[::1/", "//example.com" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) assert_null(origin(bad[i]));
}

static void referrer_types_of_the_reference_tests(void **st)
{
    (void)st;
    const char *search[] = { "https://www.google.com/search", "https://bing.com/",
                             "https://duckduckgo.com/?q=test", "https://news.google.com" };
    for (size_t i = 0; i < 4; i++) assert_string_equal(ref_type(search[i]), "search");
    const char *social[] = { "https://facebook.com/post/123", "https://t.co/abc123",
                             "https://www.reddit.com/r/test" };
    for (size_t i = 0; i < 3; i++) assert_string_equal(ref_type(social[i]), "social");
    const char *ai[] = { "https://perplexity.ai/search", "https://chatgpt.com/c/abc",
                         "https://claude.ai/chat", "https://gemini.google.com" };
    for (size_t i = 0; i < 4; i++) assert_string_equal(ref_type(ai[i]), "ai");
    const char *direct[] = { "", "direct_or_unknown", "not-a-url", "https://example.com",
                             "null", "https://google.ca", "https://notgoogle.com",
                             "https://www.www.google.com.evil" };
    for (size_t i = 0; i < 8; i++) assert_string_equal(ref_type(direct[i]), "direct_or_unknown");
    assert_string_equal(ref_type(NULL), "direct_or_unknown");
}

static void device_from_screen_width(void **st)
{
    (void)st;
    assert_string_equal(ua_device_from_width(375), "mobile");
    assert_string_equal(ua_device_from_width(767), "mobile");
    assert_string_equal(ua_device_from_width(768), "tablet");
    assert_string_equal(ua_device_from_width(1024), "tablet");
    assert_string_equal(ua_device_from_width(1025), "desktop");
    assert_string_equal(ua_device_from_width(1920), "desktop");
}

#define CHROME_LINUX "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"
#define SAFARI_MAC "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_2_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2.1 Safari/605.1.15"

static void os_names(void **st)
{
    (void)st;
    static const struct { const char *ua, *os; } T[] = {
        { "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit", "iOS 17.2" },
        { "Mozilla/5.0 (iPad; CPU OS 16_6_1 like Mac OS X)", "iOS 16.6.1" },
        { "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit", "Android 14" },
        { "Mozilla/5.0 (Linux; Android 8.1.0; X)", "Android 8.1" },
        { "Mozilla/5.0 (Windows NT 10.0; Win64; x64)", "Windows 10/11" },
        { "Mozilla/5.0 (Windows NT 6.3)", "Windows 8.1" },
        { "Mozilla/5.0 (Windows NT 6.1)", "Windows 7" },
        { "Mozilla/5.0 (Windows NT 6.0)", "Windows NT 6.0" },
        { SAFARI_MAC, "macOS 14" },
        { "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7)", "macOS 10.15.7" },
        { "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0)", "ChromeOS" },
        { CHROME_LINUX, "Linux" },
    };
    for (size_t i = 0; i < sizeof T / sizeof T[0]; i++) {
        const char *os = ua_os(&A, T[i].ua);
        assert_non_null(os);
        assert_string_equal(os, T[i].os);
    }
    assert_null(ua_os(&A, NULL));
    assert_null(ua_os(&A, ""));
    assert_null(ua_os(&A, "SomeWeirdBot/1.0"));
}

static void browsers(void **st)
{
    (void)st;
    static const struct { const char *ua, *name, *ver; } T[] = {
        { CHROME_LINUX, "Chrome", "120.0.0.0" },
        { CHROME_LINUX " Edg/120.0.0.0", "Edge", "120.0.0.0" },
        { "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0", "Firefox", "121.0" },
        { SAFARI_MAC, "Safari", "17.2.1" },
        { CHROME_LINUX " OPR/106.0.0.0", "Opera", "106.0.0.0" },
        { "Mozilla/5.0 (Linux; Android 14) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile", "Samsung Browser", "23.0" },
        { "Mozilla/5.0 UCBrowser/13.4.0.1306 Mobile", "UC Browser", "13.4.0.1306" },
        { "Mozilla/5.0 (iPhone) CriOS/120.0.6099.109 Mobile", "Chrome", "120.0.6099.109" },
    };
    for (size_t i = 0; i < sizeof T / sizeof T[0]; i++) {
        const char *n, *v;
        ua_browser(&A, T[i].ua, &n, &v);
        assert_non_null(n);
        assert_string_equal(n, T[i].name);
        assert_string_equal(v, T[i].ver);
    }
    char big[10001];
    memset(big, 'a', 10000);
    big[10000] = '\0';
    const char *none[] = { NULL, "", "SomeWeirdBot/1.0", "\xf0\x9f\x92\x80", big, "Edg/",
                           "Chrome/", "Version/ Safari", "\x01\x02", "OPR/abc" };
    for (size_t i = 0; i < sizeof none / sizeof none[0]; i++) {
        const char *n, *v;
        ua_browser(&A, none[i], &n, &v);
        assert_null(n);
        assert_null(v);
    }
}

/* The per-worker answer cache gives what a fresh computation gives: the
 * same UAs again after hundreds of others (evictions, collisions), with
 * answers still valid after the arena they were copied into is gone. */
static void cached_answers_equal_fresh_ones(void **st)
{
    (void)st;
    static const char *const uas[] = {
        CHROME_LINUX, CHROME_LINUX " Edg/120.0.0.0", SAFARI_MAC, "SomeWeirdBot/1.0",
        "Mozilla/5.0 (Linux; Android 8.1.0; X) Chrome/99.1 Mobile",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit Version/17.2 Safari/1",
    };
    const size_t n = sizeof uas / sizeof uas[0];
    const char *os0[6], *name0[6], *ver0[6];
    arena_t first = { 0 };
    for (size_t i = 0; i < n; i++) {
        os0[i] = ua_os(&first, uas[i]);
        ua_browser(&first, uas[i], &name0[i], &ver0[i]);
        os0[i] = os0[i] ? strdup(os0[i]) : NULL;
        ver0[i] = ver0[i] ? strdup(ver0[i]) : NULL;
    }
    arena_free(&first);
    char other[160];
    for (int round = 0; round < 3; round++) {
        for (int k = 0; k < 300; k++) {
            snprintf(other, sizeof other, "Mozilla/5.0 (Windows NT 6.%d) Firefox/%d.%d", k % 7, k, round);
            const char *nm, *v;
            assert_non_null(ua_os(&A, other));
            ua_browser(&A, other, &nm, &v);
            assert_string_equal(nm, "Firefox");
        }
        for (size_t i = 0; i < n; i++) {
            const char *os = ua_os(&A, uas[i]), *nm, *v;
            ua_browser(&A, uas[i], &nm, &v);
            if (os0[i]) assert_string_equal(os, os0[i]); else assert_null(os);
            if (name0[i]) assert_string_equal(nm, name0[i]); else assert_null(nm);
            if (ver0[i]) assert_string_equal(v, ver0[i]); else assert_null(v);
        }
    }
    for (size_t i = 0; i < n; i++) {
        free((void *)os0[i]);
        free((void *)ver0[i]);
    }
}

static char *defaults[] = {
    "googlebot", "bingbot", "bingbot", "slurp", "duckduckbot", "baiduspider", "yandexbot",
    "sogou", "exabot", "facebot", "facebookexternalhit", "ia_archiver", "applebot",
    "adsbot-google", "mediapartners-google", "apis-google", "ahrefsbot", "semrushbot",
    "mj12bot", "dotbot", "petalbot", "blexbot", "gptbot", "chatgpt-user", "oai-searchbot",
    "claudebot", "claude-web", "bytespider", "ccbot", "dataforseobot", "amazonbot",
    "anthropic-ai", "perplexitybot", "youbot", "scrapy", "curl", "wget", "python-requests",
    "go-http-client", "headlesschrome", "amzn-searchbot",
};

static void known_bots(void **st)
{
    (void)st;
    size_t n = sizeof defaults / sizeof defaults[0];
    const char *bots[] = { "Googlebot/2.1", "Mozilla/5.0 (compatible; GPTBot/1.0)", "ClaudeBot",
                           "python-requests/2.28.0", "curl/7.88.1", "wget/1.21.4",
                           "Go-http-client/1.1", "HeadlessChrome/120.0.0.0" };
    for (size_t i = 0; i < 8; i++) assert_true(ua_is_known_bot(bots[i], defaults, n));
    assert_false(ua_is_known_bot(CHROME_LINUX, defaults, n));
    assert_false(ua_is_known_bot(SAFARI_MAC, defaults, n));
    assert_false(ua_is_known_bot(NULL, defaults, n));
    assert_false(ua_is_known_bot("", defaults, n));
    assert_false(ua_is_known_bot("Googlebot", defaults, 0));    /* empty list: nothing drops */
}

static void event_device_from_hints(void **st)
{
    (void)st;
    assert_string_equal(ua_event_device("?1", CHROME_LINUX), "mobile");
    assert_string_equal(ua_event_device("?0", "iPhone"), "desktop");
    assert_string_equal(ua_event_device(NULL, "Mozilla (iPad)"), "mobile");
    assert_string_equal(ua_event_device("?2", "x Android y"), "mobile");
    assert_string_equal(ua_event_device(NULL, CHROME_LINUX), "desktop");
    assert_string_equal(ua_event_device(NULL, NULL), "desktop");
}

int main(void)
{
    const struct CMUnitTest t[] = {
        cmocka_unit_test(origins_follow_the_url_standard),
        cmocka_unit_test(referrer_types_of_the_reference_tests),
        cmocka_unit_test(device_from_screen_width),
        cmocka_unit_test(os_names),
        cmocka_unit_test(browsers),
        cmocka_unit_test(cached_answers_equal_fresh_ones),
        cmocka_unit_test(known_bots),
        cmocka_unit_test(event_device_from_hints),
    };
    int rc = cmocka_run_group_tests(t, NULL, NULL);
    arena_free(&A);
    return rc;
}
