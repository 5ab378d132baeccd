/* test_auth: the pure logic of fcgi-app/api/auth.c (spec/40 §2 and the
 * "Behaviors the reference tests check" of §8). Redis-backed sessions and
 * the login limiter are covered by tests/integration/test_auth.py. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include "api/auth.h"

#define EQ(a, b) auth_ct_equal(a, strlen(a), b, strlen(b))

static void ct_equal_matches_reference_cases(void **state)
{
    (void)state;
    assert_true(EQ("hello", "hello"));
    assert_true(EQ("test-secret-123", "test-secret-123"));
    assert_false(EQ("hello", "world"));
    assert_false(EQ("abc", "abd"));
    assert_false(EQ("short", "much-longer-string"));
    assert_false(EQ("a", "ab"));
    assert_true(EQ("", ""));
    assert_false(EQ("", "nonempty"));
    assert_false(EQ("nonempty", ""));
    assert_true(EQ("my-secret-token-123", "my-secret-token-123"));
    assert_false(EQ("my-secret-token-123", "wrong-token"));
    /* embedded NUL bytes count */
    assert_false(auth_ct_equal("a\0b", 3, "a\0c", 3));
}

static void bearer_requires_exact_prefix_and_secret(void **state)
{
    (void)state;
    assert_true(auth_bearer_ok("Bearer s3cret", "s3cret"));
    assert_true(auth_bearer_ok("  Bearer s3cret  ", "s3cret"));     /* header trimmed */
    assert_false(auth_bearer_ok("bearer s3cret", "s3cret"));        /* case-sensitive */
    assert_false(auth_bearer_ok("Bearer  s3cret", "s3cret"));       /* token not trimmed */
    assert_false(auth_bearer_ok("Bearer s3cre", "s3cret"));
    assert_false(auth_bearer_ok("Basic s3cret", "s3cret"));
    assert_false(auth_bearer_ok(NULL, "s3cret"));
    assert_false(auth_bearer_ok("Bearer ", ""));                    /* empty secret never matches */
    assert_false(auth_bearer_ok("Bearer x", ""));
}

static void hash_verify_known_vectors(void **state)
{
    (void)state;
    const char *h1000 = "pbkdf2$1000$AAECAwQFBgcICQoLDA0ODw==$9VUOiRGfWTzTZixtfaW9P3qQ4lzS3CIfWKYWbHcnU9M=";
    assert_true(auth_hash_verify(h1000, "hunter2", 7));
    assert_false(auth_hash_verify(h1000, "hunter3", 7));
    assert_false(auth_hash_verify(h1000, "", 0));
    const char *utf8 = "pbkdf2$1$AAECAwQFBgcICQoLDA0ODw==$SHuaovLQx5JBGsiY8YHd+5gpNfGav7IgpKAiGJ8FItE=";
    assert_true(auth_hash_verify(utf8, "p\xc3\xa4ssw\xc3\xb6rd", 10));
}

static void hash_verify_rejects_malformed(void **state)
{
    (void)state;
    static const char *bad[] = {
        "",
        "pbkdf2$1000$AAECAwQFBgcICQoLDA0ODw==",                                   /* 3 parts */
        "pbkdf2$1000$AAECAwQFBgcICQoLDA0ODw==$9VUOiRGfWTzTZixtfaW9P3qQ4lzS3CIfWKYWbHcnU9M=$x", /* 5 */
        "sha256$1000$AAECAwQFBgcICQoLDA0ODw==$9VUOiRGfWTzTZixtfaW9P3qQ4lzS3CIfWKYWbHcnU9M=",
        "pbkdf2$0$AAECAwQFBgcICQoLDA0ODw==$9VUOiRGfWTzTZixtfaW9P3qQ4lzS3CIfWKYWbHcnU9M=",
        "pbkdf2$10000001$AAECAwQFBgcICQoLDA0ODw==$9VUOiRGfWTzTZixtfaW9P3qQ4lzS3CIfWKYWbHcnU9M=",
        "pbkdf2$abc$AAECAwQFBgcICQoLDA0ODw==$9VUOiRGfWTzTZixtfaW9P3qQ4lzS3CIfWKYWbHcnU9M=",
        "pbkdf2$1000$!!!$9VUOiRGfWTzTZixtfaW9P3qQ4lzS3CIfWKYWbHcnU9M=",           /* bad base64 */
        "pbkdf2$1000$AAECAwQFBgcICQoLDA0ODw==$9VUOiRGfWTzTZixt",                 /* short key */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) assert_false(auth_hash_verify(bad[i], "hunter2", 7));
    assert_false(auth_hash_verify(NULL, "hunter2", 7));
}

static void hash_make_roundtrips(void **state)
{
    (void)state;
    unsigned char salt[16] = {0};
    char out[AUTH_HASH_MAX];
    assert_int_equal(auth_hash_format("pw", 2, salt, 1000, out, sizeof out), 0);
    assert_true(strncmp(out, "pbkdf2$1000$AAAAAAAAAAAAAAAAAAAAAA==$", 37) == 0);
    assert_int_equal(strlen(out), 37 + 44);
    assert_true(auth_hash_verify(out, "pw", 2));
    assert_int_equal(auth_hash_make("pw", 2, out, sizeof out), 0);  /* 600000 rounds */
    assert_true(strncmp(out, "pbkdf2$600000$", 14) == 0);
    assert_int_equal(strlen(out), 14 + 24 + 1 + 44);
    assert_true(auth_hash_verify(out, "pw", 2));
    assert_false(auth_hash_verify(out, "px", 2));
}

static void url_host_follows_whatwg(void **state)
{
    (void)state;
    char h[128];
    assert_int_equal(auth_url_host("https://Analytics.Example.com/admin", h, sizeof h), 0);
    assert_string_equal(h, "analytics.example.com");
    assert_int_equal(auth_url_host("https://a.example:443", h, sizeof h), 0);
    assert_string_equal(h, "a.example");
    assert_int_equal(auth_url_host("http://a.example:80/x", h, sizeof h), 0);
    assert_string_equal(h, "a.example");
    assert_int_equal(auth_url_host("http://a.example:443/x", h, sizeof h), 0);
    assert_string_equal(h, "a.example:443");
    assert_int_equal(auth_url_host("https://user:pw@a.example:8443?q", h, sizeof h), 0);
    assert_string_equal(h, "a.example:8443");
    assert_int_equal(auth_url_host("http://[::1]:8080/", h, sizeof h), 0);
    assert_string_equal(h, "[::1]:8080");
    assert_int_equal(auth_url_host("null", h, sizeof h), -1);
    assert_int_equal(auth_url_host("not-a-url", h, sizeof h), -1);
    assert_int_equal(auth_url_host("https://", h, sizeof h), -1);
    assert_int_equal(auth_url_host("https://a.example:99999", h, sizeof h), -1);
}

static void csrf_matches_reference_cases(void **state)
{
    (void)state;
    const char *host = "analytics.example.com";
    assert_true(auth_csrf_pass(host, "https://analytics.example.com", NULL));
    assert_false(auth_csrf_pass(host, "https://evil.com", NULL));
    assert_false(auth_csrf_pass(host, "https://attacker.com", NULL));
    assert_true(auth_csrf_pass(host, "http://analytics.example.com", NULL));
    assert_true(auth_csrf_pass("analytics.example.com:8443", "https://analytics.example.com:8443", NULL));
    assert_true(auth_csrf_pass(host, NULL, "https://analytics.example.com/admin/settings"));
    assert_true(auth_csrf_pass(host, NULL, "https://analytics.example.com/admin"));
    assert_false(auth_csrf_pass(host, NULL, NULL));
    /* Origin present wins, even when unparsable */
    assert_false(auth_csrf_pass(host, "null", "https://analytics.example.com/admin"));
    assert_false(auth_csrf_pass(host, "https://evil.com", "https://analytics.example.com/admin"));
    /* raw Host compared exactly */
    assert_false(auth_csrf_pass("Analytics.example.com", "https://analytics.example.com", NULL));
    assert_false(auth_csrf_pass("analytics.example.com:443", "https://analytics.example.com", NULL));
    assert_true(auth_method_mutates("POST") && auth_method_mutates("PUT") && auth_method_mutates("PATCH") &&
                auth_method_mutates("DELETE"));
    assert_false(auth_method_mutates("GET") || auth_method_mutates("HEAD") || auth_method_mutates("OPTIONS"));
}

static void session_expiry_is_strict(void **state)
{
    (void)state;
    const long long H = 3600000, M = 60000, TTL = 24 * H, IDLE = 30 * M;
    assert_false(auth_session_expired(0, 0, 0, TTL, IDLE));
    assert_false(auth_session_expired(0, 0, 30 * M, TTL, IDLE));       /* exactly 30 min: valid */
    assert_true(auth_session_expired(0, 0, 30 * M + 1, TTL, IDLE));
    assert_false(auth_session_expired(0, 29 * M, 58 * M, TTL, IDLE));  /* 29 + 29 min */
    assert_true(auth_session_expired(0, 58 * M, 89 * M, TTL, IDLE));   /* then 31 min idle */
    assert_false(auth_session_expired(0, 24 * H - 1, 24 * H, TTL, IDLE));
    assert_true(auth_session_expired(0, 24 * H, 24 * H + 1, TTL, IDLE)); /* absolute cap */
    assert_true(auth_session_expired(0, 25 * H, 25 * H, TTL, IDLE));
}

static void tokens_are_v4_uuids(void **state)
{
    (void)state;
    char a[AUTH_TOKEN_LEN + 1], b[AUTH_TOKEN_LEN + 1];
    assert_int_equal(auth_uuid4(a), 0);
    assert_int_equal(auth_uuid4(b), 0);
    assert_int_equal(strlen(a), 36);
    assert_string_not_equal(a, b);
    assert_int_equal(a[14], '4');
    assert_true(strchr("89ab", a[19]) != NULL);
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) assert_int_equal(a[i], '-');
        else assert_true(strchr("0123456789abcdef", a[i]) != NULL);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ct_equal_matches_reference_cases),
        cmocka_unit_test(bearer_requires_exact_prefix_and_secret),
        cmocka_unit_test(hash_verify_known_vectors),
        cmocka_unit_test(hash_verify_rejects_malformed),
        cmocka_unit_test(hash_make_roundtrips),
        cmocka_unit_test(url_host_follows_whatwg),
        cmocka_unit_test(csrf_matches_reference_cases),
        cmocka_unit_test(session_expiry_is_strict),
        cmocka_unit_test(tokens_are_v4_uuids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
