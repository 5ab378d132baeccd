/* test_core: parsers and pure logic of fcgi-app/core. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "core/arena.h"
#include "core/config.h"
#include "core/cors.h"
#include "core/http.h"
#include "core/router.h"

static void test_pct_decode(void **state)
{
    (void)state;
    char out[64];
    assert_int_equal(http_pct_decode("a%20b+c", 7, out, 1), 5);
    assert_string_equal(out, "a b c");
    http_pct_decode("a+b", 3, out, 0);
    assert_string_equal(out, "a+b");
    /* malformed escapes stay literal, including at the very end */
    http_pct_decode("%zz%4", 5, out, 1);
    assert_string_equal(out, "%zz%4");
    http_pct_decode("%", 1, out, 1);
    assert_string_equal(out, "%");
    assert_int_equal(http_pct_decode("%00x", 4, out, 1), 2);
    assert_int_equal(out[0], 0);
    http_pct_decode("%C3%A9", 6, out, 0);
    assert_string_equal(out, "\xc3\xa9");
}

static void test_query(void **state)
{
    (void)state;
    arena_t a = { 0 };
    http_pair_t p[8];
    size_t n = http_parse_query(&a, "a=1&&b=x%20y&c&=v&a=2", 21, p, 8);
    assert_int_equal(n, 5);
    assert_string_equal(p[0].name, "a");
    assert_string_equal(p[0].value, "1");
    assert_string_equal(p[1].name, "b");
    assert_string_equal(p[1].value, "x y");
    assert_string_equal(p[2].name, "c");
    assert_string_equal(p[2].value, "");
    assert_string_equal(p[3].name, "");
    assert_string_equal(p[3].value, "v");
    /* the cap is enforced */
    assert_int_equal(http_parse_query(&a, "a=1&b=2&c=3", 11, p, 2), 2);
    assert_int_equal(http_parse_query(&a, "", 0, p, 8), 0);
    arena_free(&a);
}

static void test_cookies(void **state)
{
    (void)state;
    arena_t a = { 0 };
    http_pair_t p[8];
    const char *h = "a=1; echelon_session=abc ; q=\"quoted\";bad; =x; e=";
    size_t n = http_parse_cookies(&a, h, strlen(h), p, 8);
    assert_int_equal(n, 4);
    assert_string_equal(p[0].name, "a");
    assert_string_equal(p[1].name, "echelon_session");
    assert_string_equal(p[1].value, "abc");
    assert_string_equal(p[2].value, "quoted");
    assert_string_equal(p[3].name, "e");
    assert_string_equal(p[3].value, "");
    arena_free(&a);
}

static void test_slashes_and_headers(void **state)
{
    (void)state;
    char p[] = "//admin///x/";
    size_t n = http_collapse_slashes(p, strlen(p));
    assert_int_equal(n, 9);
    assert_string_equal(p, "/admin/x/");
    char v[64];
    http_header_to_cgi("User-Agent", v, sizeof v);
    assert_string_equal(v, "HTTP_USER_AGENT");
    http_header_to_cgi("content-type", v, sizeof v);
    assert_string_equal(v, "CONTENT_TYPE");
    http_header_to_cgi("X-Forwarded-For", v, 8);
    assert_string_equal(v, "HTTP_X_");
}

static void test_config_values(void **state)
{
    (void)state;
    long v = 0;
    assert_true(cfg_parse_bool("true"));
    assert_false(cfg_parse_bool("TRUE"));
    assert_false(cfg_parse_bool("1"));
    assert_false(cfg_parse_bool(NULL));
    assert_int_equal(cfg_parse_int("15s", 10, &v), 0);
    assert_int_equal(v, 15);
    assert_int_equal(cfg_parse_int("  -7", 10, &v), 0);
    assert_int_equal(v, -7);
    assert_int_equal(cfg_parse_int("abc", 10, &v), -1);
    assert_int_equal(cfg_parse_int("", 10, &v), -1);
    assert_int_equal(cfg_parse_int("0x10", 0, &v), 0);
    assert_int_equal(v, 16);
    assert_int_equal(cfg_parse_int("0x10", 10, &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(cfg_parse_int("010", 0, &v), 0);
    assert_int_equal(v, 10);
    cfg_list_t l;
    cfg_parse_list(" CN, ,ru ,", +1, &l);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.items[0], "CN");
    assert_string_equal(l.items[1], "RU");
    cfg_list_free(&l);
    cfg_parse_list("", -1, &l);
    assert_int_equal(l.n, 0);
    cfg_site_countries_t *sc;
    size_t n = cfg_parse_site_countries(" Shop:cn, ru;bad;blog:;shop:us:xx;x:de", &sc);
    assert_int_equal(n, 2);
    assert_string_equal(sc[0].site, "shop");
    assert_int_equal(sc[0].countries.n, 1);
    assert_string_equal(sc[0].countries.items[0], "US");
    assert_string_equal(sc[1].site, "x");
}

static void test_config_file_and_env(void **state)
{
    (void)state;
    char path[] = "/tmp/echelon-conf-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char body[] = "# comment\nECHELON_RETENTION_DAYS=30\nECHELON_SUSPECT_COUNTRIES=\n"
                        "export ECHELON_DB_NAME=\"fromfile\"\nECHELON_RATE_LIMIT_MAX=0\n"
                        "ECHELON_VIEW_FLUSH_MS=5\nECHELON_BOT_DISCARD_THRESHOLD=abc\n";
    assert_int_equal(write(fd, body, sizeof body - 1), (long)sizeof body - 1);
    close(fd);
    setenv("ECHELON_CONF", path, 1);
    setenv("ECHELON_DB_NAME", "fromenv", 1);
    setenv("ECHELON_IGNORED_SITES", "A, b", 1);
    char err[128];
    assert_int_equal(config_load(err, sizeof err), 0);
    assert_int_equal(cfg->retention_days, 30);
    assert_int_equal(cfg->bot_retention_days, 30);          /* follows retention */
    assert_int_equal(cfg->suspect_countries.n, 0);           /* set-but-empty: none */
    assert_string_equal(cfg->db_name, "fromenv");            /* environment wins */
    assert_int_equal(cfg->rate_limit_max, 0);                /* 0 disables (Decision) */
    assert_int_equal(cfg->view_flush_ms, 1000);              /* at least 1000 */
    assert_int_equal(cfg->bot_discard_threshold, 0);         /* non-numeric disables */
    assert_int_equal(cfg->ignored_sites.n, 3);
    assert_true(config_list_has(&cfg->ignored_sites, "smoke-test"));
    assert_true(config_list_has(&cfg->ignored_sites, "a"));
    assert_int_equal(cfg->bot_ua_patterns.n, 41);            /* default list, lower-cased */
    assert_true(config_list_has(&cfg->bot_ua_patterns, "headlesschrome"));
    assert_int_equal(cfg->challenge_window_minutes, 10);
    unlink(path);
    setenv("ECHELON_CONF", "/nonexistent/echelon.conf", 1);
    assert_int_equal(config_load(err, sizeof err), -1);      /* a named file must exist */
    unsetenv("ECHELON_CONF");
    unsetenv("ECHELON_DB_NAME");
    unsetenv("ECHELON_IGNORED_SITES");
}

static void route_a(req_t *r, resp_t *s) { (void)r; (void)s; }
static void route_b(req_t *r, resp_t *s) { (void)r; (void)s; }

static const char *env_of(void *ctx, const char *name)
{
    const char **kv = ctx;
    for (; kv[0]; kv += 2)
        if (strcmp(kv[0], name) == 0) return kv[1];
    return NULL;
}

static void test_router(void **state)
{
    (void)state;
    static const route_t t[] = {
        { M_GET, "/admin/bots/:id", route_b, AREA_ADMIN, 0, NULL },
        { M_GET, "/admin/bots/excluded", route_a, AREA_ADMIN, 0, NULL },
        { M_PATCH | M_DELETE, "/api/campaigns/:id", route_a, AREA_API, 0, NULL },
        { M_GET | M_POST, "/api/campaigns", route_b, AREA_API, 0, NULL },
    };
    arena_t a = { 0 };
    const route_t *rt;
    req_t r;
    const char *e1[] = { "REQUEST_METHOD", "GET", "REQUEST_URI", "//admin/bots/excluded?x=1", NULL };
    req_init(&r, &a, env_of, e1);
    assert_string_equal(r.path, "/admin/bots/excluded");
    assert_string_equal(r.raw_query, "x=1");
    assert_int_equal(router_match(t, 4, &r, &rt), ROUTER_FOUND);
    assert_ptr_equal(rt->fn, route_a);
    const char *e2[] = { "REQUEST_METHOD", "HEAD", "REQUEST_URI", "/admin/bots/v%41", NULL };
    req_init(&r, &a, env_of, e2);
    assert_int_equal(router_match(t, 4, &r, &rt), ROUTER_FOUND);
    assert_string_equal(req_param(&r, 0), "vA");
    const char *e3[] = { "REQUEST_METHOD", "DELETE", "REQUEST_URI", "/api/campaigns", NULL };
    req_init(&r, &a, env_of, e3);
    assert_int_equal(router_match(t, 4, &r, &rt), ROUTER_BAD_METHOD);
    const char *e4[] = { "REQUEST_METHOD", "GET", "REQUEST_URI", "/api/campaigns/", NULL };
    req_init(&r, &a, env_of, e4);
    assert_int_equal(router_match(t, 4, &r, &rt), ROUTER_NOT_FOUND);
    const char *e5[] = { "REQUEST_METHOD", "GET", "REQUEST_URI", "/admin/bots/x/y", NULL };
    req_init(&r, &a, env_of, e5);
    assert_int_equal(router_match(t, 4, &r, &rt), ROUTER_NOT_FOUND);
    arena_free(&a);
}

/* req_init_envp answers exactly what a scan of the envp answers (libfcgi's
 * FCGX_GetParam: the first NAME= match), for present, absent, duplicate and
 * many variables (the table grows past 64 slots). */
static const char *scan_envp(char *const *envp, const char *name)
{
    size_t n = strlen(name);
    for (; *envp; envp++)
        if (strncmp(*envp, name, n) == 0 && (*envp)[n] == '=') return *envp + n + 1;
    return NULL;
}

static void test_env_index(void **state)
{
    (void)state;
    static char vars[200][48];
    char *envp[202];
    size_t n = 0;
    envp[n++] = "REQUEST_METHOD=POST";
    envp[n++] = "REQUEST_URI=/b.gif?s=x";
    envp[n++] = "HTTP_USER_AGENT=Mozilla/5.0 (X11)";
    envp[n++] = "HTTP_USER_AGENT=second";
    envp[n++] = "CONTENT_TYPE=text/plain";
    envp[n++] = "HTTP_CONTENT_TYPE=spoofed";
    envp[n++] = "HTTP_X_EMPTY=";
    envp[n++] = "NOEQUALS";
    for (int i = 0; i < 150; i++) {
        snprintf(vars[i], sizeof vars[i], "HTTP_X_H%d=v%d", i, i);
        envp[n++] = vars[i];
    }
    envp[n] = NULL;
    arena_t a = { 0 };
    req_t r;
    req_init_envp(&r, &a, envp);
    assert_string_equal(r.method, "POST");
    assert_string_equal(r.path, "/b.gif");
    assert_string_equal(req_query(&r, "s"), "x");
    assert_string_equal(req_header(&r, "User-Agent"), "Mozilla/5.0 (X11)");
    assert_string_equal(req_header(&r, "user-agent"), "Mozilla/5.0 (X11)");
    assert_string_equal(req_header(&r, "Content-Type"), "text/plain");
    assert_string_equal(req_header(&r, "X-Empty"), "");
    assert_null(req_header(&r, "Cookie"));
    assert_null(req_env(&r, "NOEQUALS"));
    assert_null(req_env(&r, "REQUEST"));
    assert_string_equal(req_header(&r, "X-H149"), "v149");
    char name[32], var[40];
    for (int i = 0; i < 160; i++) {
        snprintf(name, sizeof name, "X-H%d", i);
        snprintf(var, sizeof var, "HTTP_X_H%d", i);
        const char *want = scan_envp(envp, var), *got = req_header(&r, name);
        if (!want) assert_null(got);
        else assert_string_equal(got, want);
        assert_ptr_equal(req_env(&r, var), want);
    }
    arena_free(&a);
}

static int collect_out(void *ctx, const char *d, size_t n)
{
    buf_append(ctx, d, n);
    return 0;
}

static void test_response(void **state)
{
    (void)state;
    resp_t r;
    resp_init(&r);
    resp_error(&r, 400, "invalid_payload", "Bad \"x\"");
    assert_string_equal(r.body.p, "{\"error\":\"invalid_payload\",\"message\":\"Bad \\\"x\\\"\"}");
    resp_header(&r, "X-Test", "a\r\nInjected: 1");
    buf_t out;
    buf_init(&out);
    resp_send(&r, NULL, collect_out, &out);
    assert_non_null(strstr(out.p, "Status: 400 Bad Request\r\n"));
    assert_non_null(strstr(out.p, "X-Test: aInjected: 1\r\n"));
    assert_non_null(strstr(out.p, "X-Frame-Options: DENY\r\n"));
    assert_null(strstr(out.p, "Content-Security-Policy"));
    resp_reset(&r);
    buf_reset(&out);
    resp_set(&r, 200, "text/html; charset=utf-8", "<p>", 3);
    resp_send(&r, NULL, collect_out, &out);
    assert_non_null(strstr(out.p, "Content-Security-Policy: default-src 'self'"));
    buf_free(&out);
    resp_free(&r);
}

/* The exact bytes of a response: small ones in one write, large ones with
 * the body separately; HEAD and 204 without a body; CR/LF dropped. */
static void test_response_bytes(void **state)
{
    (void)state;
    resp_t r;
    resp_init(&r);
    buf_t out;
    buf_init(&out);
    resp_set(&r, 200, "image/gif", "GIF", 3);
    resp_header(&r, "Cache-Control", "no-store");
    resp_header(&r, "X-A", "\r\nb\nc\r");
    assert_int_equal(resp_send(&r, NULL, collect_out, &out), 0);
    assert_string_equal(out.p, "Status: 200 OK\r\nContent-Type: image/gif\r\nCache-Control: no-store\r\n"
                               "X-A: bc\r\nX-Frame-Options: DENY\r\nX-Content-Type-Options: nosniff\r\n"
                               "Referrer-Policy: strict-origin-when-cross-origin\r\n"
                               "Content-Length: 3\r\n\r\nGIF");
    assert_int_equal(resp_send(&r, NULL, collect_out, &out), 0);      /* sent once */
    assert_int_equal(out.len, strlen(out.p));
    size_t once = out.len;
    assert_int_equal(out.len, once);
    resp_reset(&r);
    buf_reset(&out);
    resp_set(&r, 204, NULL, NULL, 0);
    resp_send(&r, NULL, collect_out, &out);
    assert_string_equal(out.p, "Status: 204 No Content\r\nX-Frame-Options: DENY\r\n"
                               "X-Content-Type-Options: nosniff\r\n"
                               "Referrer-Policy: strict-origin-when-cross-origin\r\n\r\n");
    resp_reset(&r);
    buf_reset(&out);
    static char big[5000];
    memset(big, 'x', sizeof big);
    resp_set(&r, 599, "text/plain", big, sizeof big);
    resp_send(&r, NULL, collect_out, &out);
    assert_non_null(strstr(out.p, "Status: 599 Status\r\n"));
    assert_non_null(strstr(out.p, "Content-Length: 5000\r\n\r\nxxx"));
    assert_int_equal(out.len, (size_t)(strstr(out.p, "\r\n\r\n") - out.p) + 4 + sizeof big);
    arena_t a = { 0 };
    req_t q;
    const char *e[] = { "REQUEST_METHOD", "HEAD", "REQUEST_URI", "/", NULL };
    req_init(&q, &a, env_of, e);
    resp_reset(&r);
    buf_reset(&out);
    resp_set(&r, 200, "image/gif", "GIF", 3);
    resp_send(&r, &q, collect_out, &out);
    assert_non_null(strstr(out.p, "Content-Length: 3\r\n\r\n"));
    assert_int_equal(out.p[out.len - 1], '\n');
    arena_free(&a);
    buf_free(&out);
    resp_free(&r);
}

static void test_origin_host(void **state)
{
    (void)state;
    char h[64];
    assert_int_equal(cors_origin_host("https://Example.COM:8443", h, sizeof h), 0);
    assert_string_equal(h, "example.com");
    assert_int_equal(cors_origin_host("http://[::1]:80", h, sizeof h), 0);
    assert_string_equal(h, "[::1]");
    assert_int_equal(cors_origin_host("null", h, sizeof h), -1);
    assert_int_equal(cors_origin_host("://x", h, sizeof h), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pct_decode),   cmocka_unit_test(test_query),
        cmocka_unit_test(test_cookies),      cmocka_unit_test(test_slashes_and_headers),
        cmocka_unit_test(test_config_values), cmocka_unit_test(test_router),
        cmocka_unit_test(test_config_file_and_env),
        cmocka_unit_test(test_response),     cmocka_unit_test(test_origin_host),
        cmocka_unit_test(test_env_index),    cmocka_unit_test(test_response_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
