/* Unit tests for store/kv's RESP writer (kv_resp), which every pipelined
 * command of the shipper goes through: exact bytes for small commands, empty
 * and binary arguments, multi-digit counts and lengths, the size bound, and
 * byte-for-byte agreement with hiredis's own formatter on random commands.
 * Then deferred replies (kv_pipe_defer) against a private redis-server on a
 * Unix socket in a temporary directory: whatever reads next gets its own
 * reply, never a deferred one. */
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <hiredis/hiredis.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
#include "core/config.h"
#include "store/kv.h"

static size_t fmt(char *out, size_t outsz, int argc, const char **argv, const size_t *lens)
{
    size_t max = kv_resp_max(argc, lens);
    assert_true(max <= outsz);
    size_t n = kv_resp(out, argc, argv, lens);
    assert_true(n <= max);
    return n;
}

static void test_small_commands(void **state)
{
    (void)state;
    char out[256];
    const char *a1[] = { "PING" };
    size_t l1[] = { 4 };
    size_t n = fmt(out, sizeof out, 1, a1, l1);
    assert_int_equal(n, strlen("*1\r\n$4\r\nPING\r\n"));
    assert_memory_equal(out, "*1\r\n$4\r\nPING\r\n", n);

    const char *a3[] = { "INCRBY", "ech:rl:ab", "17" };
    size_t l3[] = { 6, 9, 2 };
    static const char want[] = "*3\r\n$6\r\nINCRBY\r\n$9\r\nech:rl:ab\r\n$2\r\n17\r\n";
    n = fmt(out, sizeof out, 3, a3, l3);
    assert_int_equal(n, sizeof want - 1);
    assert_memory_equal(out, want, n);
}

static void test_empty_and_binary(void **state)
{
    (void)state;
    char out[256];
    const char *a[] = { "SET", "", "a\0\r\nb" };
    size_t l[] = { 3, 0, 5 };
    static const char want[] = "*3\r\n$3\r\nSET\r\n$0\r\n\r\n$5\r\na\0\r\nb\r\n";
    size_t n = fmt(out, sizeof out, 3, a, l);
    assert_int_equal(n, sizeof want - 1);
    assert_memory_equal(out, want, n);
}

static void test_many_and_long(void **state)
{
    (void)state;
    enum { ARGS = 1002 };
    static const char *argv[ARGS];
    static size_t lens[ARGS];
    static char big[123456];
    memset(big, 'x', sizeof big);
    argv[0] = "ZADD";
    lens[0] = 4;
    argv[1] = big;
    lens[1] = sizeof big;
    for (int i = 2; i < ARGS; i++) {
        argv[i] = "1795692968539";
        lens[i] = 13;
    }
    size_t max = kv_resp_max(ARGS, lens);
    char *out = malloc(max);
    assert_non_null(out);
    size_t n = kv_resp(out, ARGS, argv, lens);
    assert_true(n <= max);
    static const char head[] = "*1002\r\n$4\r\nZADD\r\n$123456\r\n", tail[] = "$13\r\n1795692968539\r\n";
    assert_memory_equal(out, head, sizeof head - 1);
    assert_memory_equal(out + n - (sizeof tail - 1), tail, sizeof tail - 1);
    assert_int_equal(n, (sizeof head - 1) + sizeof big + 2 + (ARGS - 2) * (sizeof tail - 1));
    free(out);
}

/* hiredis's redisFormatCommandArgv is the reference: same bytes. */
static void test_matches_hiredis(void **state)
{
    (void)state;
    srand(12345);
    for (int round = 0; round < 500; round++) {
        int argc = 1 + rand() % 12;
        const char *argv[12];
        size_t lens[12];
        char bufs[12][300];
        for (int i = 0; i < argc; i++) {
            lens[i] = (size_t)(rand() % 300);
            for (size_t k = 0; k < lens[i]; k++) bufs[i][k] = (char)(rand() % 256);
            argv[i] = bufs[i];
        }
        char *ref = NULL;
        int rn = redisFormatCommandArgv(&ref, argc, argv, lens);
        assert_true(rn > 0);
        char out[12 * 330 + 32];
        size_t n = fmt(out, sizeof out, argc, argv, lens);
        assert_int_equal(n, (size_t)rn);
        assert_memory_equal(out, ref, n);
        redisFreeCommand(ref);
    }
}

static pid_t redis_pid;
static char redis_dir[] = "/tmp/echelon-kvtest.XXXXXX";

static int redis_up(void **state)
{
    (void)state;
    char sock[256], url[300], err[256];
    if (!mkdtemp(redis_dir)) return -1;
    snprintf(sock, sizeof sock, "%s/redis.sock", redis_dir);
    redis_pid = fork();
    if (redis_pid == 0) {
        freopen("/dev/null", "w", stdout);
        execlp("redis-server", "redis-server", "--port", "0", "--unixsocket", sock, "--save", "",
               "--appendonly", "no", "--dir", redis_dir, (char *)NULL);
        _exit(127);
    }
    snprintf(url, sizeof url, "unix://%s", sock);
    setenv("ECHELON_CONF", "/dev/null", 1);
    setenv("ECHELON_REDIS_URL", url, 1);
    if (config_load(err, sizeof err) != 0) return -1;
    for (int i = 0; i < 100; i++) {               /* up to 5 s */
        if (access(sock, F_OK) == 0 && kv_ping() == 0) return 0;
        usleep(50000);
    }
    fprintf(stderr, "redis-server did not start (is it installed?)\n");
    return -1;
}

static int redis_down(void **state)
{
    (void)state;
    kv_close();
    if (redis_pid > 0) {
        kill(redis_pid, SIGTERM);
        waitpid(redis_pid, NULL, 0);
    }
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", redis_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void expect_str(kv_reply_t *r, const char *want)
{
    assert_non_null(r);
    assert_non_null(kv_str(r));
    assert_string_equal(kv_str(r), want);
    kv_free(r);
}

static void test_deferred_replies(void **state)
{
    (void)state;
    kv_free(kv_cmd("DEL t:a t:b t:c"));
    /* many replies deferred (more than one socket read's worth) */
    for (int i = 0; i < 5000; i++) assert_int_equal(kv_pipe_strs("INCRBY", "t:a", "2", NULL), 0);
    assert_int_equal(kv_pipe_defer(), 0);
    expect_str(kv_cmd("GET t:a"), "10000");
    /* deferred, then a pipeline of the caller's own */
    assert_int_equal(kv_pipe_strs("SET", "t:b", "x", NULL), 0);
    assert_int_equal(kv_pipe_defer(), 0);
    assert_int_equal(kv_pipe_strs("GET", "t:b", NULL, NULL), 0);
    assert_int_equal(kv_pipe_strs("INCRBY", "t:c", "7", NULL), 0);
    expect_str(kv_pipe_read(), "x");
    kv_reply_t *r = kv_pipe_read();
    assert_int_equal(kv_type(r), KV_INT);
    assert_int_equal(kv_int(r), 7);
    kv_free(r);
    assert_null(kv_pipe_read());                  /* nothing more was queued */
    /* the helpers read their own reply too */
    assert_int_equal(kv_pipe_strs("SET", "t:b", "y", NULL), 0);
    assert_int_equal(kv_pipe_defer(), 0);
    assert_int_equal(kv_int_cmd("INCRBY t:c 1"), 8);
    char out[16];
    assert_int_equal(kv_str_cmd(out, sizeof out, "GET t:b"), 1);
    assert_string_equal(out, "y");
    /* a deferral with nothing queued changes nothing */
    assert_int_equal(kv_pipe_defer(), 0);
    expect_str(kv_cmd("GET t:b"), "y");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_commands),
        cmocka_unit_test(test_empty_and_binary),
        cmocka_unit_test(test_many_and_long),
        cmocka_unit_test(test_matches_hiredis),
    };
    const struct CMUnitTest live[] = {
        cmocka_unit_test(test_deferred_replies),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    return failed + cmocka_run_group_tests(live, redis_up, redis_down);
}
