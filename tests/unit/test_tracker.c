/* test_tracker.c -- GET /ea.js: template preparation, substitution, public
 * origin, refresh JSON, and the handler's answers (spec/10 §2.3, §2.6, §3;
 * spec/README decision 2). The served script of both variants is also
 * syntax-checked with node when it is installed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>
#include "collect/tracker.h"
#include "assets/assets.h"
#include "core/config.h"
#include "defense/pow.h"

static config_t test_cfg;

static const char *env_of(void *ctx, const char *name)
{
    const char **kv = ctx;
    for (; kv[0]; kv += 2)
        if (strcmp(kv[0], name) == 0) return kv[1];
    return NULL;
}

static char *render_str(const tracker_tmpl_t *t, const tracker_vals_t *v)
{
    buf_t b;
    buf_init(&b);
    tracker_render(t, v, &b);
    return b.p;   /* caller frees */
}

static void template_keeps_only_the_chosen_variant_without_comments(void **state)
{
    (void)state;
    const char *src =
        "// header comment\n"
        "var a = \"@@BASE@@\";\n"
        "\n"
        "    // indented comment\n"
        "    if (x) y();   \n"
        "//{consent\n"
        "var css = \"@@CSS@@\";\n"
        "//}consent\n"
        "//{plain\n"
        "ck = true;\n"
        "//}plain\n"
        "var d = @@DEBUG@@, w = @@WIN@@; // trailing comments stay\n";
    tracker_tmpl_t t;
    assert_int_equal(tracker_tmpl_build(src, strlen(src), 0, &t), 0);
    assert_int_equal(t.nph, 3);
    assert_int_equal(t.ph[0], TRACKER_PH_BASE);
    assert_int_equal(t.ph[1], TRACKER_PH_DEBUG);
    assert_int_equal(t.ph[2], TRACKER_PH_WIN);
    tracker_vals_t v = { .base = "https://s.example", .base_len = 17, .debug = 1, .window_min = 10 };
    char *out = render_str(&t, &v);
    assert_string_equal(out,
        "var a = \"https://s.example\";\n"
        "if (x) y();\n"
        "ck = true;\n"
        "var d = true, w = 10; // trailing comments stay\n");
    free(out);
    tracker_tmpl_free(&t);

    assert_int_equal(tracker_tmpl_build(src, strlen(src), 1, &t), 0);
    assert_int_equal(t.nph, 4);
    assert_int_equal(t.ph[1], TRACKER_PH_CSS);
    tracker_vals_t v2 = { .base = "b", .base_len = 1, .css = ".bar{x:1}", .css_len = 9 };
    out = render_str(&t, &v2);
    assert_string_equal(out,
        "var a = \"b\";\n"
        "if (x) y();\n"
        "var css = \".bar{x:1}\";\n"
        "var d = false, w = 0; // trailing comments stay\n");
    free(out);
    tracker_tmpl_free(&t);
}

static void template_rejects_unknown_or_unterminated_placeholders(void **state)
{
    (void)state;
    tracker_tmpl_t t;
    const char *bad1 = "var a = \"@@NOPE@@\";\n";
    const char *bad2 = "var a = \"@@BASE\";\n";
    const char *bad3 = "var a = \"@@BASE@\";\n";
    assert_int_equal(tracker_tmpl_build(bad1, strlen(bad1), 0, &t), -1);
    assert_int_equal(tracker_tmpl_build(bad2, strlen(bad2), 0, &t), -1);
    assert_int_equal(tracker_tmpl_build(bad3, strlen(bad3), 0, &t), -1);
    const char *none = "a@b\n";
    assert_int_equal(tracker_tmpl_build(none, strlen(none), 0, &t), 0);
    assert_int_equal(t.nph, 0);
    tracker_tmpl_free(&t);
}

static void strings_are_escaped_as_json_string_bodies(void **state)
{
    (void)state;
    buf_t b;
    buf_init(&b);
    const char in[] = "a\"b\\c/d\n\x01</script>";
    tracker_js_str(&b, in, sizeof in - 1);
    assert_string_equal(b.p, "a\\\"b\\\\c/d\\n\\u0001</script>");
    buf_reset(&b);
    tracker_js_str(&b, NULL, 0);
    assert_int_equal(b.len, 0);
    buf_free(&b);
}

static void public_origin_follows_proxy_headers_only_when_trusted(void **state)
{
    (void)state;
    char o[128];
    cfg_list_t open = { 0 }, restricted;
    cfg_parse_list("shop.example,blog.example", -1, &restricted);
    assert_int_equal(tracker_public_origin("http", "stats.example:8080", "x", "https", "proxy.example",
                                           0, &open, o, sizeof o), 25);
    assert_string_equal(o, "http://stats.example:8080");
    tracker_public_origin("http", "stats.example", "x", "https", "proxy.example", 1, &open, o, sizeof o);
    assert_string_equal(o, "https://proxy.example");
    tracker_public_origin("http", "stats.example", "x", "", NULL, 1, &open, o, sizeof o);
    assert_string_equal(o, "http://stats.example");
    /* restricted: X-Forwarded-Host only when its hostname is allowed */
    tracker_public_origin("https", "stats.example", "x", NULL, "proxy.example", 1, &restricted, o, sizeof o);
    assert_string_equal(o, "https://stats.example");
    tracker_public_origin("https", "stats.example", "x", NULL, "Shop.Example:8443", 1, &restricted, o, sizeof o);
    assert_string_equal(o, "https://Shop.Example:8443");
    /* no Host header: the request's own authority */
    tracker_public_origin("http", NULL, "127.0.0.1:9000", NULL, NULL, 0, &open, o, sizeof o);
    assert_string_equal(o, "http://127.0.0.1:9000");
    assert_int_equal(tracker_public_origin("http", "a-very-long-host-name", "x", NULL, NULL, 0, &open, o, 10), -1);
    cfg_list_free(&restricted);
}

static void refresh_json_sends_the_module_only_for_a_new_generation(void **state)
{
    (void)state;
    json_object *o = tracker_refresh_json("c0ffee", "80555", 590, "AGFzbQ==", "80555");
    assert_string_equal(json_object_to_json_string_ext(o, HTTP_JSON_FLAGS),
                        "{\"c\":\"c0ffee\",\"g\":\"80555\",\"t\":590}");
    json_object_put(o);
    o = tracker_refresh_json("c0ffee", "80555", -3, "AGFzbQ==", "80554");
    assert_string_equal(json_object_to_json_string_ext(o, HTTP_JSON_FLAGS),
                        "{\"c\":\"c0ffee\",\"g\":\"80555\",\"t\":0,\"w\":\"AGFzbQ==\"}");
    json_object_put(o);
    o = tracker_refresh_json("c0ffee", "80555", 60, "AGFzbQ==", NULL);
    assert_non_null(json_object_object_get(o, "w"));
    json_object_put(o);
}

/* Syntax-check a script with node (skipped when node is missing). */
static void node_check(const char *js, size_t n)
{
    if (system("node --version >/dev/null 2>&1") != 0) return;
    char path[] = "/tmp/test_tracker_XXXXXX.js";
    int fd = mkstemps(path, 3);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, js, n), (ssize_t)n);
    close(fd);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "node --check %s", path);
    int rc = system(cmd);
    unlink(path);
    assert_int_equal(rc, 0);
}

static void served_asset_builds_in_both_variants_and_parses(void **state)
{
    (void)state;
    for (int consent = 0; consent <= 1; consent++) {
        tracker_tmpl_t t;
        assert_int_equal(tracker_tmpl_build((const char *)asset_ea_js, asset_ea_js_len, consent, &t), 0);
        assert_true(t.nph >= 7);
        tracker_vals_t v = {
            .base = "https://stats.example", .base_len = 21,
            .challenge = "16883500da5aa84231a5569520d413f1", .module_b64 = "AGFzbQEAAAA=",
            .generation = "80555", .window_min = 10, .debug = 0, .anon = 1,
            .css = ".bar{color:red}\"", .css_len = 16,
        };
        buf_t b;
        buf_init(&b);
        tracker_render(&t, &v, &b);
        assert_null(strstr(b.p, "@@"));
        assert_null(strstr(b.p, "//{"));
        assert_null(strstr(b.p, "\n//"));
        assert_non_null(strstr(b.p, "\"https://stats.example\""));
        assert_non_null(strstr(b.p, "\"16883500da5aa84231a5569520d413f1\""));
        assert_non_null(strstr(b.p, "\"AGFzbQEAAAA=\""));
        assert_non_null(strstr(b.p, "ANON = true"));
        if (consent) {
            assert_non_null(strstr(b.p, "echelon-consent"));
            assert_non_null(strstr(b.p, "\".bar{color:red}\\\"\""));
        } else {
            assert_null(strstr(b.p, "echelon-consent"));
            assert_null(strstr(b.p, "color:red"));
        }
        assert_true(b.len < asset_ea_js_len);
        node_check(b.p, b.len);
        buf_free(&b);
        tracker_tmpl_free(&t);
    }
}

/* ---- the handler, against a config of our own ---- */

typedef struct answer {
    resp_t resp;
    req_t req;
    arena_t arena;
} answer_t;

static void call(answer_t *a, const char **env)
{
    memset(a, 0, sizeof *a);
    resp_init(&a->resp);
    req_init(&a->req, &a->arena, env_of, (void *)env);
    tracker_handler(&a->req, &a->resp);
}

static void done(answer_t *a)
{
    resp_free(&a->resp);
    arena_free(&a->arena);
}

static const char *header(answer_t *a, const char *name)
{
    static char v[512];
    const char *h = a->resp.headers.p;
    size_t nl = strlen(name);
    for (const char *p = h; p && *p; ) {
        const char *e = strstr(p, "\r\n");
        if (!e) break;
        if ((size_t)(e - p) > nl + 1 && strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
            size_t k = (size_t)(e - p) - nl - 2;
            if (k >= sizeof v) k = sizeof v - 1;
            memcpy(v, p + nl + 2, k);
            v[k] = '\0';
            return v;
        }
        p = e + 2;
    }
    return NULL;
}

static char spool_dir[] = "/tmp/test_tracker_spool_XXXXXX";

static int setup_cfg(void **state)
{
    (void)state;
    memset(&test_cfg, 0, sizeof test_cfg);
    test_cfg.secret = "test-secret";
    test_cfg.challenge_window_minutes = 10;
    test_cfg.rate_limit_max = 100;
    if (!mkdtemp(spool_dir)) return -1;
    test_cfg.spool_dir = spool_dir;
    cfg = &test_cfg;
    return 0;
}

static int teardown_cfg(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", spool_dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Counting records ("k":"h", spec/README decision 9) in the spool so far. */
static int counted(void)
{
    char cmd[160];
    snprintf(cmd, sizeof cmd, "cat %s/*.open %s/*.seg 2>/dev/null | grep -c '\"k\":\"h\"'", spool_dir, spool_dir);
    FILE *f = popen(cmd, "r");
    int n = -1;
    if (f) {
        if (fscanf(f, "%d", &n) != 1) n = -1;
        pclose(f);
    }
    return n;
}

static void handler_serves_the_script_with_current_values(void **state)
{
    (void)state;
    pow_script_t ps;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    assert_int_equal(pow_script((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000, &ps), 0);
    const char *env[] = { "REQUEST_METHOD", "GET", "REQUEST_URI", "/ea.js", "HTTP_HOST", "stats.example:8080",
                          "HTTP_ORIGIN", "https://mysite.com", NULL };
    answer_t a;
    call(&a, env);
    assert_int_equal(a.resp.status, 200);
    assert_string_equal(a.resp.content_type, "application/javascript; charset=utf-8");
    assert_string_equal(header(&a, "Cache-Control"), "public, max-age=300");
    assert_string_equal(header(&a, "Access-Control-Allow-Origin"), "https://mysite.com");
    assert_string_equal(header(&a, "Access-Control-Allow-Credentials"), "true");
    assert_string_equal(header(&a, "Vary"), "Origin");
    assert_non_null(strstr(a.resp.body.p, "\"http://stats.example:8080\""));
    if (ps.minute == pow_minute((int64_t)time(NULL) * 1000))   /* not across a minute boundary */
        assert_non_null(strstr(a.resp.body.p, ps.challenge));
    assert_non_null(strstr(a.resp.body.p, ps.module_b64));
    assert_non_null(strstr(a.resp.body.p, "DBG = false"));
    assert_non_null(strstr(a.resp.body.p, "WIN = 10"));
    done(&a);

    /* the per-worker cache must not leak one origin or flag into another */
    test_cfg.debug = 1;
    const char *env2[] = { "REQUEST_METHOD", "GET", "REQUEST_URI", "/ea.js", "HTTP_HOST", "other.example", NULL };
    call(&a, env2);
    assert_non_null(strstr(a.resp.body.p, "\"http://other.example\""));
    assert_null(strstr(a.resp.body.p, "stats.example"));
    assert_non_null(strstr(a.resp.body.p, "DBG = true"));
    assert_string_equal(header(&a, "Access-Control-Allow-Origin"), "*");
    done(&a);
    test_cfg.debug = 0;
}

static void handler_flags_anonymized_sites_by_lowercased_s(void **state)
{
    (void)state;
    cfg_parse_list("secret-site", -1, &test_cfg.anonymize_sites);
    const char *env[] = { "REQUEST_METHOD", "GET", "REQUEST_URI", "/ea.js?s=Secret-Site", "HTTP_HOST", "h", NULL };
    answer_t a;
    call(&a, env);
    assert_non_null(strstr(a.resp.body.p, "ANON = true"));
    done(&a);
    const char *env2[] = { "REQUEST_METHOD", "GET", "REQUEST_URI", "/ea.js?s=other", "HTTP_HOST", "h", NULL };
    call(&a, env2);
    assert_non_null(strstr(a.resp.body.p, "ANON = false"));
    done(&a);
    cfg_list_free(&test_cfg.anonymize_sites);
    memset(&test_cfg.anonymize_sites, 0, sizeof test_cfg.anonymize_sites);
}

static void handler_answers_refresh_with_uncacheable_json(void **state)
{
    (void)state;
    pow_script_t ps;
    assert_int_equal(pow_script((int64_t)time(NULL) * 1000, &ps), 0);
    char uri[96];
    snprintf(uri, sizeof uri, "/ea.js?refresh=1&g=%s", ps.generation_id);
    const char *env[] = { "REQUEST_METHOD", "GET", "REQUEST_URI", uri, "HTTP_HOST", "h", NULL };
    answer_t a;
    call(&a, env);
    assert_int_equal(a.resp.status, 200);
    assert_string_equal(a.resp.content_type, "application/json");
    assert_string_equal(header(&a, "Cache-Control"), "no-store");
    assert_string_equal(header(&a, "Access-Control-Allow-Origin"), "*");
    json_object *o = json_tokener_parse(a.resp.body.p);
    assert_non_null(o);
    const char *c = json_object_get_string(json_object_object_get(o, "c"));
    assert_int_equal(strlen(c), 32);
    assert_string_equal(json_object_get_string(json_object_object_get(o, "g")), ps.generation_id);
    long long t = json_object_get_int64(json_object_object_get(o, "t"));
    assert_true(t >= 600 && t <= 660);   /* W = 10: (minute + 11) * 60 s - now */
    assert_null(json_object_object_get(o, "w"));
    json_object_put(o);
    done(&a);

    const char *env2[] = { "REQUEST_METHOD", "GET", "REQUEST_URI", "/ea.js?refresh=1&g=1", "HTTP_HOST", "h", NULL };
    call(&a, env2);
    o = json_tokener_parse(a.resp.body.p);
    assert_string_equal(json_object_get_string(json_object_object_get(o, "w")), ps.module_b64);
    json_object_put(o);
    done(&a);
}

static void handler_blocks_foreign_referers_in_restricted_mode(void **state)
{
    (void)state;
    cfg_parse_list("mysite.com", -1, &test_cfg.allowed_origins);
    answer_t a;
    const char *bad[] = { "REQUEST_METHOD", "GET", "REQUEST_URI", "/ea.js?s=ea", "HTTP_HOST", "h",
                          "HTTP_REFERER", "https://evil.example/page", NULL };
    call(&a, bad);
    assert_int_equal(a.resp.status, 403);
    assert_string_equal(a.resp.content_type, "application/javascript");
    assert_string_equal(a.resp.body.p, "// blocked");
    assert_null(header(&a, "Access-Control-Allow-Origin"));
    assert_null(header(&a, "Cache-Control"));
    done(&a);
    const char *junk[] = { "REQUEST_METHOD", "GET", "REQUEST_URI", "/ea.js", "HTTP_HOST", "h",
                           "HTTP_REFERER", "not-a-url", NULL };
    call(&a, junk);
    assert_int_equal(a.resp.status, 403);
    done(&a);
    const char *good[] = { "REQUEST_METHOD", "GET", "REQUEST_URI", "/ea.js", "HTTP_HOST", "h",
                           "HTTP_REFERER", "https://MySite.com/x", "HTTP_ORIGIN", "https://mysite.com", NULL };
    call(&a, good);
    assert_int_equal(a.resp.status, 200);
    assert_string_equal(header(&a, "Access-Control-Allow-Origin"), "https://mysite.com");
    done(&a);
    const char *none[] = { "REQUEST_METHOD", "GET", "REQUEST_URI", "/ea.js", "HTTP_HOST", "h",
                           "HTTP_ORIGIN", "https://other.com", NULL };
    call(&a, none);
    assert_int_equal(a.resp.status, 200);
    assert_string_equal(header(&a, "Access-Control-Allow-Origin"), "null");
    done(&a);
    cfg_list_free(&test_cfg.allowed_origins);
    memset(&test_cfg.allowed_origins, 0, sizeof test_cfg.allowed_origins);
}

static void every_request_counts_toward_the_rate_limit(void **state)
{
    (void)state;
    int before = counted();
    answer_t a;
    const char *e1[] = { "REQUEST_METHOD", "GET", "REQUEST_URI", "/ea.js", "HTTP_HOST", "h",
                         "REMOTE_ADDR", "192.0.2.7", NULL };
    const char *e2[] = { "REQUEST_METHOD", "GET", "REQUEST_URI", "/ea.js?refresh=1&g=1", "HTTP_HOST", "h",
                         "REMOTE_ADDR", "192.0.2.7", NULL };
    call(&a, e1);
    done(&a);
    call(&a, e2);
    done(&a);
    cfg_parse_list("mysite.com", -1, &test_cfg.allowed_origins);
    const char *e3[] = { "REQUEST_METHOD", "GET", "REQUEST_URI", "/ea.js", "HTTP_HOST", "h",
                         "REMOTE_ADDR", "192.0.2.7", "HTTP_REFERER", "https://evil.example/", NULL };
    call(&a, e3);
    assert_int_equal(a.resp.status, 403);
    done(&a);
    cfg_list_free(&test_cfg.allowed_origins);
    memset(&test_cfg.allowed_origins, 0, sizeof test_cfg.allowed_origins);
    assert_int_equal(counted(), before + 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(template_keeps_only_the_chosen_variant_without_comments),
        cmocka_unit_test(template_rejects_unknown_or_unterminated_placeholders),
        cmocka_unit_test(strings_are_escaped_as_json_string_bodies),
        cmocka_unit_test(public_origin_follows_proxy_headers_only_when_trusted),
        cmocka_unit_test(refresh_json_sends_the_module_only_for_a_new_generation),
        cmocka_unit_test(served_asset_builds_in_both_variants_and_parses),
        cmocka_unit_test(handler_serves_the_script_with_current_values),
        cmocka_unit_test(handler_flags_anonymized_sites_by_lowercased_s),
        cmocka_unit_test(handler_answers_refresh_with_uncacheable_json),
        cmocka_unit_test(handler_blocks_foreign_referers_in_restricted_mode),
        cmocka_unit_test(every_request_counts_toward_the_rate_limit),
    };
    return cmocka_run_group_tests(tests, setup_cfg, teardown_cfg);
}
