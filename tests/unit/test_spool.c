/* Unit tests for store/spool and store/shipper: record framing, segment
 * naming and rotation, claiming dead workers' segments, partial last lines,
 * arrival ordering, progress after a failed batch, backoff, dead letters.
 * Everything runs in a fresh temporary spool dir; MariaDB and Redis are not
 * used (shipper_test_mode) -- the handlers are fakes that "commit" by
 * counting each record id. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "store/spool.h"
#include "store/shipper.h"
#include "collect/record.h"
#include "collect/ship.h"
#include "core/buf.h"

/* ------------------------------------------------------------ fixtures */

static char dir[256];

#define MAXID 20000
static int seen[MAXID];            /* committed deliveries per record id */
static long long order[MAXID * 2]; /* ids in delivery order */
static size_t norder;
static int calls;
static int fail_calls_from = -1;   /* calls >= this fail (db down) */
static int db_up = 1;
static long long last_ts;
static int ts_out_of_order;

static int fake_db_alive(void) { return db_up; }

static long long id_of(const shipper_rec_t *r)
{
    const char *p = strstr(r->payload, "\"id\":");
    return p ? atoll(p + 5) : -1;
}

static int fake_handler(const shipper_rec_t *recs, size_t n)
{
    int call = calls++;
    if (fail_calls_from >= 0 && call >= fail_calls_from) return -1;
    for (size_t i = 0; i < n; i++) {
        if (recs[i].payload[recs[i].len] != '\0') return -1;   /* contract */
        if (strstr(recs[i].payload, "poison")) return -1;      /* a bad row fails its batch */
    }
    for (size_t i = 0; i < n; i++) {
        long long id = id_of(&recs[i]);
        if (id >= 0 && id < MAXID) seen[id]++;
        order[norder++] = id;
        if (recs[i].arrival_us < last_ts) ts_out_of_order = 1;
        last_ts = recs[i].arrival_us;
    }
    return 0;
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/test_spool.XXXXXX");
    assert_non_null(mkdtemp(dir));
    spool_set_dir(dir);
    shipper_test_mode(fake_db_alive);
    shipper_register("v", fake_handler);
    shipper_register("ev", fake_handler);
    memset(seen, 0, sizeof seen);
    norder = 0;
    calls = 0;
    fail_calls_from = -1;
    db_up = 1;
    last_ts = 0;
    ts_out_of_order = 0;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    spool_rotate(1);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) return -1;
    return 0;
}

/* Count files with this suffix in the spool dir. */
static int count_files(const char *sfx)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *de;
    size_t sl = strlen(sfx);
    while (d && (de = readdir(d)) != NULL) {
        size_t l = strlen(de->d_name);
        if (l >= sl && strcmp(de->d_name + l - sl, sfx) == 0 && strncmp(de->d_name, "seg-", 4) == 0)
            n++;
    }
    if (d) closedir(d);
    return n;
}

static int append_id(const char *type, long long id)
{
    char p[64];
    int n = snprintf(p, sizeof p, "{\"id\":%lld}", id);
    return spool_append(type, p, (size_t)n);
}

/* Write a closed segment by hand: lines given verbatim (each needs its LF). */
static void write_seg(long long open_us, long pid, const char *content)
{
    char base[64], path[512];
    assert_int_equal(spool_name_make(base, sizeof base, open_us, pid, 1), 0);
    snprintf(path, sizeof path, "%s/%s.seg", dir, base);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(content, f);
    fclose(f);
}

static void clear_backoff(void)
{
    char path[512];
    snprintf(path, sizeof path, "%s/shipper.state", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("1 0\n", f);   /* one failure on record, but due now */
    fclose(f);
}

static int dupes(void)
{
    int d = 0;
    for (int i = 0; i < MAXID; i++) if (seen[i] > 1) d++;
    return d;
}

/* ------------------------------------------------------------ framing */

static void test_type_valid(void **state)
{
    (void)state;
    assert_true(spool_type_valid("v"));
    assert_true(spool_type_valid("ev_1"));
    assert_true(spool_type_valid("abcdefghijklmno"));       /* 15 */
    assert_false(spool_type_valid("abcdefghijklmnop"));     /* 16 */
    assert_false(spool_type_valid(""));
    assert_false(spool_type_valid(NULL));
    assert_false(spool_type_valid("V"));
    assert_false(spool_type_valid("a-b"));
    assert_false(spool_type_valid("a\tb"));
}

static void test_prefix_roundtrip(void **state)
{
    (void)state;
    char line[256];
    int n = spool_format_prefix(line, sizeof line, "ev", 1700000000123456LL);
    assert_int_equal(n, (int)strlen("ev\t1700000000123456\t"));
    strcat(line, "{\"a\":\"x\\ty\"}\tmore");
    const char *t, *p;
    size_t tl, pl;
    long long ts;
    assert_int_equal(spool_parse_line(line, strlen(line), &t, &tl, &ts, &p, &pl), 0);
    assert_int_equal(tl, 2);
    assert_memory_equal(t, "ev", 2);
    assert_true(ts == 1700000000123456LL);
    assert_int_equal(pl, strlen("{\"a\":\"x\\ty\"}\tmore"));   /* tabs in payload are fine */
    assert_memory_equal(p, "{\"a\":\"x\\ty\"}\tmore", pl);
    /* empty payload */
    assert_int_equal(spool_parse_line("v\t1\t", 4, &t, &tl, &ts, &p, &pl), 0);
    assert_int_equal(pl, 0);
    /* too small a buffer, bad type, negative time */
    assert_int_equal(spool_format_prefix(line, 5, "ev", 1), SPOOL_EINVAL);
    assert_int_equal(spool_format_prefix(line, sizeof line, "E", 1), SPOOL_EINVAL);
    assert_int_equal(spool_format_prefix(line, sizeof line, "e", -1), SPOOL_EINVAL);
}

static void test_parse_malformed(void **state)
{
    (void)state;
    const char *t, *p;
    size_t tl, pl;
    long long ts;
    static const char *bad[] = {
        "", "v", "v\t", "v\t1", "v\t\tx", "v\tx\tp", "V\t1\tp", "\t1\tp",
        "abcdefghijklmnop\t1\tp",                /* type too long */
        "v\t1234567890123456789\tp",             /* 19 digits: overflow guard */
        "v 1 p", "v\t1 p",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(spool_parse_line(bad[i], strlen(bad[i]), &t, &tl, &ts, &p, &pl), SPOOL_EINVAL);
    assert_int_equal(spool_parse_line("v\t1\ta\nb", 7, &t, &tl, &ts, &p, &pl), SPOOL_EINVAL);
    assert_int_equal(spool_parse_line("v\t1\ta\0b", 7, &t, &tl, &ts, &p, &pl), SPOOL_EINVAL);
    assert_int_equal(spool_parse_line("v\t123456789012345678\tp", 22, &t, &tl, &ts, &p, &pl), 0);
}

static void test_names(void **state)
{
    (void)state;
    char b1[64], b2[64], base[64];
    long long t;
    long pid;
    assert_int_equal(spool_name_make(b1, sizeof b1, 999999LL, 42, 7), 0);
    assert_string_equal(b1, "seg-0000000000999999-42-7");
    assert_int_equal(spool_name_make(b2, sizeof b2, 1000000LL, 3, 1), 0);
    assert_true(strcmp(b1, b2) < 0);                        /* names sort by time */
    static const struct { const char *sfx; int kind; } k[] = {
        { ".new", SPOOL_SEG_NEW }, { ".open", SPOOL_SEG_OPEN },
        { ".seg", SPOOL_SEG_CLOSED }, { ".pos", SPOOL_SEG_POS },
    };
    for (size_t i = 0; i < 4; i++) {
        char f[80];
        snprintf(f, sizeof f, "%s%s", b1, k[i].sfx);
        assert_int_equal(spool_name_parse(f, base, sizeof base, &t, &pid), k[i].kind);
        assert_string_equal(base, b1);
        assert_true(t == 999999LL);
        assert_int_equal(pid, 42);
    }
    static const char *notours[] = {
        "seg-0000000000999999-42-7", "seg-0000000000999999-42-7.seg.tmp1",
        "seg-000000000099999-42-7.seg", "seg-0000000000999999--7.seg",
        "seg-0000000000999999-42-.seg", ".lock-shipper", "shipper.state",
        "deadletter.log", "seg-0000000000999999-42-7.pos.tmp99",
    };
    for (size_t i = 0; i < sizeof notours / sizeof notours[0]; i++)
        assert_int_equal(spool_name_parse(notours[i], base, sizeof base, &t, &pid), 0);
    assert_int_equal(spool_name_parse("seg-0000000000999999-42-7.seg", base, 10, &t, &pid), 0);
}

/* ------------------------------------------------------------ appending */

static void test_append_rejects(void **state)
{
    (void)state;
    assert_int_equal(spool_append("v", "a\nb", 3), SPOOL_EINVAL);
    assert_int_equal(spool_append("v", "a\0b", 3), SPOOL_EINVAL);
    assert_int_equal(spool_append("Bad", "x", 1), SPOOL_EINVAL);
    assert_int_equal(spool_append("v", NULL, 0), SPOOL_EINVAL);
    char *big = malloc(SPOOL_PAYLOAD_MAX + 1);
    memset(big, 'x', SPOOL_PAYLOAD_MAX + 1);
    assert_int_equal(spool_append("v", big, SPOOL_PAYLOAD_MAX + 1), SPOOL_EINVAL);
    free(big);
    assert_int_equal(count_files(".open"), 0);              /* nothing was created */
    /* An unwritable/missing spool dir is an I/O error the caller falls back on. */
    spool_set_dir("/nonexistent/spool");
    assert_int_equal(spool_append("v", "x", 1), SPOOL_EIO);
    spool_set_dir(dir);
    assert_int_equal(spool_append("v", "x", 1), SPOOL_OK);
    assert_int_equal(count_files(".open"), 1);
}

static void test_append_framing_on_disk(void **state)
{
    (void)state;
    long long before = spool_now_us();
    assert_int_equal(spool_append("v", "{\"id\":1}", 8), SPOOL_OK);
    assert_int_equal(spool_append("ev", "{\"id\":2}", 8), SPOOL_OK);
    assert_int_equal(spool_rotate(1), 0);
    assert_int_equal(count_files(".seg"), 1);
    assert_int_equal(count_files(".open"), 0);
    DIR *d = opendir(dir);
    struct dirent *de;
    char path[600] = "";
    while ((de = readdir(d)) != NULL)
        if (strstr(de->d_name, ".seg")) snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
    closedir(d);
    FILE *f = fopen(path, "r");
    char l1[128], l2[128];
    assert_non_null(fgets(l1, sizeof l1, f));
    assert_non_null(fgets(l2, sizeof l2, f));
    assert_null(fgets(l2 + 100, 20, f));
    fclose(f);
    const char *t, *p;
    size_t tl, pl;
    long long ts;
    assert_int_equal(l1[strlen(l1) - 1], '\n');
    assert_int_equal(spool_parse_line(l1, strlen(l1) - 1, &t, &tl, &ts, &p, &pl), 0);
    assert_memory_equal(t, "v", 1);
    assert_true(ts >= before && ts <= spool_now_us());
    assert_memory_equal(p, "{\"id\":1}", 8);
    assert_int_equal(spool_parse_line(l2, strlen(l2) - 1, &t, &tl, &ts, &p, &pl), 0);
    assert_memory_equal(t, "ev", 2);
}

static void test_rotate_by_count(void **state)
{
    (void)state;
    for (int i = 0; i < SPOOL_ROTATE_RECORDS; i++) assert_int_equal(append_id("v", i), SPOOL_OK);
    assert_int_equal(count_files(".seg"), 0);
    assert_int_equal(count_files(".open"), 1);
    assert_int_equal(append_id("v", SPOOL_ROTATE_RECORDS), SPOOL_OK);   /* one past the limit */
    assert_int_equal(count_files(".seg"), 1);
    assert_int_equal(count_files(".open"), 1);
    long long recs, age;
    assert_int_equal(shipper_backlog_local(&recs, &age), 0);
    assert_true(recs == SPOOL_ROTATE_RECORDS + 1);          /* open segments count too */
}

static void test_rotate_by_age(void **state)
{
    (void)state;
    assert_int_equal(append_id("v", 1), SPOOL_OK);
    assert_int_equal(spool_rotate(0), 0);
    assert_int_equal(count_files(".open"), 1);              /* too young */
    struct timespec ts = { 0, (SPOOL_ROTATE_MS + 20) * 1000000L };
    nanosleep(&ts, NULL);
    assert_int_equal(spool_rotate(0), 0);
    assert_int_equal(count_files(".open"), 0);
    assert_int_equal(count_files(".seg"), 1);
    /* no empty segment is created by rotating without records */
    assert_int_equal(spool_rotate(1), 0);
    assert_int_equal(count_files(".seg"), 1);
    /* an append after the age limit starts a new segment by itself */
    assert_int_equal(append_id("v", 2), SPOOL_OK);
    nanosleep(&ts, NULL);
    assert_int_equal(append_id("v", 3), SPOOL_OK);
    assert_int_equal(count_files(".seg"), 2);
    assert_int_equal(count_files(".open"), 1);
}

/* ------------------------------------------------------------ shipping */

static void test_ship_merges_by_arrival(void **state)
{
    (void)state;
    /* Two workers' segments overlapping in time, plus a later one. */
    write_seg(1000, 1, "v\t1000\t{\"id\":1}\nv\t1003\t{\"id\":4}\nv\t1005\t{\"id\":6}\n");
    write_seg(1001, 2, "v\t1001\t{\"id\":2}\nv\t1002\t{\"id\":3}\nv\t1004\t{\"id\":5}\n");
    write_seg(2000, 1, "v\t2000\t{\"id\":7}\n");
    assert_int_equal(shipper_run(1000), 0);
    assert_int_equal(norder, 7);
    for (size_t i = 0; i < 7; i++) assert_int_equal(order[i], (long long)i + 1);
    assert_false(ts_out_of_order);
    assert_int_equal(count_files(".seg"), 0);
    assert_int_equal(count_files(".pos"), 0);
    assert_int_equal(shipper_run(1000), 0);                  /* nothing twice */
    assert_int_equal(norder, 7);
}

static void test_ship_types_grouped_per_batch(void **state)
{
    (void)state;
    write_seg(1000, 1, "v\t1\t{\"id\":1}\nev\t2\t{\"id\":2}\nv\t3\t{\"id\":3}\nev\t4\t{\"id\":4}\n");
    assert_int_equal(shipper_run(1000), 0);
    assert_int_equal(norder, 4);
    /* one call per type per batch: v(1,3) then ev(2,4) */
    assert_int_equal(calls, 2);
    assert_int_equal(order[0], 1);
    assert_int_equal(order[1], 3);
    assert_int_equal(order[2], 2);
    assert_int_equal(order[3], 4);
}

static void test_partial_last_line(void **state)
{
    (void)state;
    /* A crash (or a failed write that could not be rolled back) left an
     * unterminated record at the end: the complete ones ship once, the
     * partial one (never acknowledged) is dropped, the segment is deleted. */
    write_seg(1000, 9, "v\t1000\t{\"id\":1}\nv\t1001\t{\"id\":2}\nv\t1002\t{\"id\":3");
    assert_int_equal(shipper_run(1000), 0);
    assert_int_equal(norder, 2);
    assert_int_equal(seen[1], 1);
    assert_int_equal(seen[2], 1);
    assert_int_equal(seen[3], 0);
    assert_int_equal(count_files(".seg"), 0);
    long long recs, age;
    assert_int_equal(shipper_backlog_local(&recs, &age), 0);
    assert_true(recs == 0);
}

static void test_dead_worker_segment_claimed(void **state)
{
    (void)state;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        for (int i = 1; i <= 3; i++) append_id("v", i);
        raise(SIGKILL);            /* no chance to close its segment */
        _exit(1);
    }
    int st;
    waitpid(pid, &st, 0);
    assert_true(WIFSIGNALED(st));
    assert_int_equal(count_files(".open"), 1);
    long long recs, age;
    assert_int_equal(shipper_backlog_local(&recs, &age), 0);
    assert_true(recs == 3);
    assert_int_equal(shipper_run(1000), 0);
    assert_int_equal(norder, 3);
    assert_int_equal(dupes(), 0);
    assert_int_equal(count_files(".open"), 0);
    assert_int_equal(count_files(".seg"), 0);
}

static void test_live_worker_segment_left_alone_until_flush(void **state)
{
    (void)state;
    int go[2], ready[2];
    assert_int_equal(pipe(go), 0);
    assert_int_equal(pipe(ready), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char c;
        append_id("v", 1);
        append_id("v", 2);
        if (write(ready[1], "r", 1) != 1) _exit(1);
        if (read(go[0], &c, 1) != 1) _exit(1);
        append_id("v", 3);            /* after the flush */
        spool_rotate(1);
        _exit(0);
    }
    char c;
    assert_int_equal(read(ready[0], &c, 1), 1);
    /* a normal run must not touch a live worker's open segment */
    assert_int_equal(shipper_run(1000), 0);
    assert_int_equal(norder, 0);
    assert_int_equal(count_files(".open"), 1);
    /* flush ships its complete records and remembers where it stopped */
    assert_int_equal(shipper_flush_all(), SHIPPER_OK);
    assert_int_equal(norder, 2);
    assert_int_equal(count_files(".open"), 1);
    assert_int_equal(count_files(".pos"), 1);
    assert_int_equal(write(go[1], "g", 1), 1);
    int st;
    waitpid(pid, &st, 0);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    assert_int_equal(count_files(".seg"), 1);
    assert_int_equal(shipper_run(1000), 0);
    assert_int_equal(norder, 3);                             /* only the new one */
    assert_int_equal(seen[3], 1);
    assert_int_equal(dupes(), 0);
    assert_int_equal(count_files(".seg"), 0);
    assert_int_equal(count_files(".pos"), 0);
    close(go[0]); close(go[1]); close(ready[0]); close(ready[1]);
}

static void test_db_down_keeps_segments_and_backs_off(void **state)
{
    (void)state;
    for (int i = 0; i < 10; i++) append_id("v", i);
    spool_rotate(1);
    db_up = 0;
    fail_calls_from = 0;
    assert_int_equal(shipper_run(1000), -1);
    assert_int_equal(count_files(".seg"), 1);
    assert_int_equal(norder, 0);
    int before = calls;
    assert_int_equal(shipper_run(1000), 0);                  /* backing off: no attempt */
    assert_int_equal(calls, before);
    long long recs, age;
    assert_int_equal(shipper_backlog_local(&recs, &age), 0);
    assert_true(recs == 10);
    /* MariaDB is back and the backoff has expired */
    db_up = 1;
    fail_calls_from = -1;
    clear_backoff();
    assert_int_equal(shipper_run(1000), 0);
    assert_int_equal(norder, 10);
    assert_int_equal(dupes(), 0);
    assert_int_equal(count_files(".seg"), 0);
    char b[64] = "";
    char path[512];
    snprintf(path, sizeof path, "%s/shipper.state", dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(b, sizeof b, f));
    fclose(f);
    assert_string_equal(b, "0 0\n");                       /* counter reset on success */
}

static void test_progress_survives_failed_batch(void **state)
{
    (void)state;
    /* TOTAL records: batches of SHIPPER_BATCH_MAX, SHIPPER_BATCH_MAX, 200.
     * The second batch fails with MariaDB down; the first must not be
     * delivered again. */
    enum { TOTAL = 2 * SHIPPER_BATCH_MAX + 200 };
    _Static_assert(TOTAL <= MAXID, "seen[] holds every id");
    for (int i = 0; i < TOTAL; i++) append_id("v", i);
    spool_rotate(1);
    db_up = 0;
    fail_calls_from = 1;
    assert_int_equal(shipper_run(1000), -1);
    assert_int_equal(norder, SHIPPER_BATCH_MAX);
    assert_int_equal(count_files(".pos"), 1);
    long long recs, age;
    assert_int_equal(shipper_backlog_local(&recs, &age), 0);
    assert_true(recs == TOTAL - SHIPPER_BATCH_MAX);
    db_up = 1;
    fail_calls_from = -1;
    clear_backoff();
    assert_int_equal(shipper_run(1000), 0);
    assert_int_equal(norder, TOTAL);
    assert_int_equal(dupes(), 0);
    for (int i = 0; i < TOTAL; i++) assert_int_equal(seen[i], 1);
    for (size_t i = 1; i < norder; i++) assert_true(order[i] == order[i - 1] + 1);
    assert_int_equal(count_files(".seg"), 0);
    assert_int_equal(count_files(".pos"), 0);
}

static void test_poison_record_dead_lettered(void **state)
{
    (void)state;
    write_seg(1000, 1, "v\t1\t{\"id\":1}\nv\t2\t{\"id\":2,\"poison\":1}\nv\t3\t{\"id\":3}\n"
                       "garbage line without tabs\nv\t4\t{\"id\":4}\n");
    assert_int_equal(shipper_run(1000), 0);
    assert_int_equal(seen[1], 1);
    assert_int_equal(seen[2], 0);
    assert_int_equal(seen[3], 1);
    assert_int_equal(seen[4], 1);
    assert_int_equal(count_files(".seg"), 0);
    char path[512], l1[128] = "", l2[128] = "";
    snprintf(path, sizeof path, "%s/deadletter.log", dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(l1, sizeof l1, f));
    assert_non_null(fgets(l2, sizeof l2, f));
    fclose(f);
    /* the poison record is isolated while its batch is retried; the
     * malformed line is set aside once the batch around it committed */
    assert_string_equal(l1, "v\t2\t{\"id\":2,\"poison\":1}\n");
    assert_string_equal(l2, "garbage line without tabs\n");
}

static void test_unknown_type_blocks_without_loss(void **state)
{
    (void)state;
    write_seg(1000, 1, "zz\t1\t{\"id\":1}\nv\t2\t{\"id\":2}\n");
    assert_int_equal(shipper_run(1000), -1);
    assert_int_equal(count_files(".seg"), 1);
    shipper_register("zz", fake_handler);
    clear_backoff();
    assert_int_equal(shipper_run(1000), 0);
    assert_int_equal(seen[1], 1);
    assert_int_equal(seen[2], 1);
    assert_int_equal(count_files(".seg"), 0);
}

static void test_ship_now(void **state)
{
    (void)state;
    assert_int_equal(shipper_ship_now("v", "{\"id\":77}xyz", 9), SHIPPER_OK);
    assert_int_equal(seen[77], 1);
    assert_int_equal(shipper_ship_now("nope", "{}", 2), SHIPPER_ENOHANDLER);
    assert_int_equal(shipper_ship_now("Bad", "{}", 2), SHIPPER_EINVAL);
    fail_calls_from = 0;
    assert_int_equal(shipper_ship_now("v", "{\"id\":78}", 9), SHIPPER_EFAIL);
    assert_int_equal(seen[78], 0);
    assert_int_equal(shipper_register("Bad", fake_handler), SHIPPER_EINVAL);
    assert_int_equal(shipper_register("v", NULL), SHIPPER_EINVAL);
}

static void test_backlog_oldest_age(void **state)
{
    (void)state;
    long long recs, age;
    assert_int_equal(shipper_backlog_local(&recs, &age), 0);
    assert_true(recs == 0 && age == 0);
    long long t = spool_now_us() - 90LL * 1000000;           /* 90 s ago */
    char content[128];
    snprintf(content, sizeof content, "v\t%lld\t{\"id\":1}\nv\t%lld\t{\"id\":2}\n", t, t + 1000000);
    write_seg(t - 5000000, 1, content);
    assert_int_equal(shipper_backlog_local(&recs, &age), 0);
    assert_true(recs == 2);
    assert_true(age >= 89 && age <= 91);
    assert_int_equal(append_id("v", 3), SPOOL_OK);
    assert_int_equal(shipper_backlog_local(&recs, &age), 0);
    assert_true(recs == 3);
    assert_true(age >= 89 && age <= 91);
    assert_int_equal(shipper_run(1000), 0);                  /* the open one stays */
    assert_int_equal(shipper_backlog_local(&recs, &age), 0);
    assert_true(recs == 1);
    assert_true(age <= 1);
}

static void test_large_segments_stream_in_order(void **state)
{
    (void)state;
    /* Two segments of 1.5 batches each of ~600-byte payloads (megabytes,
     * far more than one read window) with interleaved arrival times; the
     * third batch fails once with MariaDB down. Every record arrives exactly
     * once, in arrival order, across window refills and the resumed run. */
    enum { N = 3 * SHIPPER_BATCH_MAX / 2 };
    _Static_assert(2 * N <= MAXID, "seen[] holds every id");
    char pad[601];
    memset(pad, 'x', 600);
    pad[600] = '\0';
    for (int w = 0; w < 2; w++) {
        char base[64], path[512];
        assert_int_equal(spool_name_make(base, sizeof base, 1000 + w, 10 + w, 1), 0);
        snprintf(path, sizeof path, "%s/%s.seg", dir, base);
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        for (int i = 0; i < N; i++) {
            int id = 2 * i + w;                 /* arrival = id: the merge interleaves */
            fprintf(f, "v\t%d\t{\"id\":%d,\"pad\":\"%s\"}\n", 100000 + id, id, pad);
        }
        fclose(f);
    }
    db_up = 0;
    fail_calls_from = 2;
    assert_int_equal(shipper_run(1000), -1);
    assert_int_equal(norder, 2 * SHIPPER_BATCH_MAX);
    db_up = 1;
    fail_calls_from = -1;
    clear_backoff();
    int rc;
    do rc = shipper_run(1000); while (rc == 1);
    assert_int_equal(rc, 0);
    assert_int_equal(norder, 2 * N);
    for (size_t i = 0; i < norder; i++) assert_int_equal(order[i], (long long)i);
    assert_int_equal(dupes(), 0);
    assert_int_equal(count_files(".seg"), 0);
    assert_int_equal(count_files(".pos"), 0);
}

static void test_many_workers_killed_no_loss(void **state)
{
    (void)state;
    /* 8 children append records as fast as they can and are killed with
     * SIGKILL at different moments while the parent ships concurrently.
     * Every record a child acknowledged (through a pipe, after spool_append
     * returned 0 -- the moment a worker would answer 200) ships exactly once;
     * nothing ships twice. */
    enum { KIDS = 8, PER = 1000 };
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t kids[KIDS];
    for (int k = 0; k < KIDS; k++) {
        kids[k] = fork();
        assert_true(kids[k] >= 0);
        if (kids[k] == 0) {
            close(p[0]);
            for (int i = 0; i < PER; i++) {
                int id = k * PER + i;
                if (append_id("v", id) == SPOOL_OK && write(p[1], &id, sizeof id) != sizeof id)
                    _exit(1);
                if (i % 50 == 0) spool_rotate(1);
            }
            pause();
            _exit(0);
        }
    }
    close(p[1]);
    static int acked[KIDS * PER];
    memset(acked, 0, sizeof acked);
    int id, nack = 0, killed = 0;
    while (killed < KIDS && read(p[0], &id, sizeof id) == sizeof id) {
        acked[id] = 1;
        nack++;
        if (nack % 97 == 0) assert_true(shipper_run(1000) >= 0);
        if (nack >= (killed + 1) * (PER * 3 / 4)) {
            kill(kids[killed], SIGKILL);
            waitpid(kids[killed], NULL, 0);
            killed++;
        }
    }
    for (; killed < KIDS; killed++) {
        kill(kids[killed], SIGKILL);
        waitpid(kids[killed], NULL, 0);
    }
    while (read(p[0], &id, sizeof id) == sizeof id) acked[id] = 1;   /* late acks */
    close(p[0]);
    int rc;
    do rc = shipper_run(5000); while (rc == 1);
    assert_int_equal(rc, 0);
    int nacked = 0;
    for (int i = 0; i < KIDS * PER; i++) {
        if (acked[i]) {
            nacked++;
            assert_int_equal(seen[i], 1);
        }
        assert_true(seen[i] <= 1);
    }
    assert_true(nacked > 0);
    assert_int_equal(dupes(), 0);
    assert_int_equal(count_files(".open") + count_files(".seg"), 0);
}

/* ------------------------------------------------------------ row split */

/* Fake counter: "v" is one view; "ev" holds "n" events (1 when absent). */
static void fake_count(const char *p, size_t len, long long rows[SHIPPER_ROW_KINDS])
{
    char b[64];
    size_t k = len < sizeof b - 1 ? len : sizeof b - 1;
    memcpy(b, p, k);
    b[k] = '\0';
    if (strncmp(b, "{\"v\"", 4) == 0) {
        rows[SHIPPER_ROWS_VIEWS]++;
        return;
    }
    const char *n = strstr(b, "\"n\":");
    rows[SHIPPER_ROWS_EVENTS] += n ? atoll(n + 4) : 1;
}

static void write_pos(long long open_us, long pid, size_t off, long long recs)
{
    char base[64], path[512];
    assert_int_equal(spool_name_make(base, sizeof base, open_us, pid, 1), 0);
    snprintf(path, sizeof path, "%s/%s.pos", dir, base);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "%zu %lld", off, recs);
    fclose(f);
}

static void append_seg(long long open_us, long pid, const char *content)
{
    char base[64], path[512];
    assert_int_equal(spool_name_make(base, sizeof base, open_us, pid, 1), 0);
    snprintf(path, sizeof path, "%s/%s.seg", dir, base);
    FILE *f = fopen(path, "a");
    assert_non_null(f);
    fputs(content, f);
    fclose(f);
}

static void rows_now(long long *recs, long long *views, long long *events)
{
    long long age, rows[SHIPPER_ROW_KINDS] = { -1, -1 };
    assert_int_equal(shipper_backlog_rows_local(recs, &age, rows), 0);
    *views = rows[SHIPPER_ROWS_VIEWS];
    *events = rows[SHIPPER_ROWS_EVENTS];
}

static void test_backlog_rows_split(void **state)
{
    (void)state;
    long long recs, views, events;
    rows_now(&recs, &views, &events);
    assert_true(recs == 0 && views == 0 && events == 0);
    assert_int_equal(shipper_register_counter("v", fake_count), SHIPPER_OK);
    assert_int_equal(shipper_register_counter("ev", fake_count), SHIPPER_OK);
    assert_int_equal(shipper_register_counter("Bad type", fake_count), SHIPPER_EINVAL);
    assert_int_equal(shipper_register_counter("ev", NULL), SHIPPER_EINVAL);
    /* Segment names unique to this test: the counts are cached per name. */
    const char *l1 = "v\t7000001\t{\"v\":1}\n", *l2 = "v\t7000002\t{\"v\":2}\n";
    write_seg(7000000, 71, "");
    append_seg(7000000, 71, l1);
    append_seg(7000000, 71, l2);
    append_seg(7000000, 71, "ev\t7000003\t{\"e\":3,\"n\":3}\n"
               "sighting\t7000004\tabcdef\n"        /* no counter: a record, no rows */
               "garbage without tabs\n"              /* damaged: a line, no rows */
               "v\t7000006\t{\"v\":6}\n");
    rows_now(&recs, &views, &events);
    assert_true(recs == 6);
    assert_true(views == 3);
    assert_true(events == 3);
    /* The shipper committed the first two lines: they leave the split. */
    write_pos(7000000, 71, strlen(l1) + strlen(l2), 2);
    rows_now(&recs, &views, &events);
    assert_true(recs == 4 && views == 1 && events == 3);
    /* New lines are counted incrementally, partial ones not yet. */
    append_seg(7000000, 71, "ev\t7000007\t{\"e\":7,\"n\":2}\nv\t7000008\t{\"v\"");
    rows_now(&recs, &views, &events);
    assert_true(recs == 5 && views == 1 && events == 5);
    append_seg(7000000, 71, ":8}\n");
    rows_now(&recs, &views, &events);
    assert_true(recs == 6 && views == 2 && events == 5);
    /* A second segment whose progress exists before it is first counted. */
    write_seg(7100000, 72, "ev\t7100001\t{\"e\":1,\"n\":4}\nev\t7100002\t{\"e\":2,\"n\":20}\n");
    write_pos(7100000, 72, strlen("ev\t7100001\t{\"e\":1,\"n\":4}\n"), 1);
    rows_now(&recs, &views, &events);
    assert_true(recs == 7 && views == 2 && events == 25);
    /* Re-registering replaces the counter. */
    assert_int_equal(shipper_register_counter("ev", fake_count), SHIPPER_OK);
    /* Shipped: nothing left, whatever the kind. */
    assert_int_equal(shipper_register("sighting", fake_handler), SHIPPER_OK);
    assert_int_equal(shipper_run(1000), 0);
    rows_now(&recs, &views, &events);
    assert_true(recs == 0 && views == 0 && events == 0);
}

static char *line_of(const char *type, long long ts, long long n, size_t pad)
{
    char *l = malloc(pad + 128);
    assert_non_null(l);
    int k = snprintf(l, 128, "%s\t%lld\t{\"e\":%lld,\"n\":%lld,\"pad\":\"", type, ts, ts, n);
    memset(l + k, 'x', pad);
    strcpy(l + k + pad, "\"}\n");
    return l;
}

static void test_backlog_rows_long_lines(void **state)
{
    (void)state;
    shipper_register_counter("ev", fake_count);
    write_seg(7200000, 73, "");
    /* Lines across the 64 KiB read boundaries, one longer than a read,
     * and one longer than any valid record (a line, but no rows). */
    for (int i = 0; i < 5; i++) {
        char *l = line_of("ev", 7200001 + i, 2, 30000);
        append_seg(7200000, 73, l);
        free(l);
    }
    char *l = line_of("ev", 7200010, 4, 100000);
    append_seg(7200000, 73, l);
    free(l);
    l = line_of("ev", 7200011, 9, SPOOL_PAYLOAD_MAX + 1000);
    append_seg(7200000, 73, l);
    free(l);
    l = line_of("ev", 7200012, 1, 10);
    append_seg(7200000, 73, l);
    free(l);
    long long recs, views, events;
    rows_now(&recs, &views, &events);
    assert_true(recs == 8);
    assert_true(views == 0);
    assert_true(events == 15);
}

/* collect/ship.c's counter on rec_to_json's real output and on json-c's
 * spaced layout: views are pageview records, events the events each batch
 * holds, counting-only records nothing. */
static void put_rec(buf_t *b, const rec_t *r, long long ts)
{
    char pre[64];
    int n = spool_format_prefix(pre, sizeof pre, REC_SPOOL_TYPE, ts);
    assert_true(n > 0);
    buf_append(b, pre, (size_t)n);
    rec_to_json(r, b);
    buf_append(b, "\n", 1);
}

static void test_backlog_rows_collect(void **state)
{
    (void)state;
    ship_init();
    rec_t r;
    buf_t b;
    buf_init(&b);
    memset(&r, 0, sizeof r);
    r.kind = REC_VIEW;
    r.view.site_id = "s";
    r.view.path = "/{\"id\":1}";
    r.fp = "{\"id\":";
    for (int i = 0; i < 3; i++) put_rec(&b, &r, 7300001 + i);
    memset(&r, 0, sizeof r);
    r.kind = REC_EVENTS;
    r.events.site_id = "s";
    r.events.n = 2;
    r.events.ev[0].event_type = "click";
    r.events.ev[0].data = "{\"id\":{\"id\":1}}";     /* escaped inside a string */
    r.events.ev[1].event_type = "custom";
    put_rec(&b, &r, 7300004);
    r.events.n = REC_MAX_EVENTS;
    for (int i = 0; i < REC_MAX_EVENTS; i++) r.events.ev[i].event_type = "click";
    put_rec(&b, &r, 7300005);
    memset(&r, 0, sizeof r);
    r.kind = REC_HIT;
    r.rl = 1;
    put_rec(&b, &r, 7300006);
    buf_puts(&b, "collect\t7300007\t{ \"k\": \"e\", \"ev\": [ { \"id\": \"a\" }, { \"id\": \"b\" } ] }\n"
                 "collect\t7300008\t{ \"k\": \"v\", \"row\": { } }\n"
                 "collect\t7300009\t{\"k\":\"e\"\n");       /* damaged: no rows */
    buf_append(&b, "", 1);
    write_seg(7300000, 74, b.p);
    buf_free(&b);
    long long recs, views, events;
    rows_now(&recs, &views, &events);
    assert_true(recs == 9);
    assert_true(views == 4);
    assert_true(events == 2 + REC_MAX_EVENTS + 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_type_valid),
        cmocka_unit_test(test_prefix_roundtrip),
        cmocka_unit_test(test_parse_malformed),
        cmocka_unit_test(test_names),
        cmocka_unit_test_setup_teardown(test_append_rejects, setup, teardown),
        cmocka_unit_test_setup_teardown(test_append_framing_on_disk, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rotate_by_count, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rotate_by_age, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ship_merges_by_arrival, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ship_types_grouped_per_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_partial_last_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dead_worker_segment_claimed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_live_worker_segment_left_alone_until_flush, setup, teardown),
        cmocka_unit_test_setup_teardown(test_db_down_keeps_segments_and_backs_off, setup, teardown),
        cmocka_unit_test_setup_teardown(test_progress_survives_failed_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_poison_record_dead_lettered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_type_blocks_without_loss, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ship_now, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backlog_oldest_age, setup, teardown),
        cmocka_unit_test_setup_teardown(test_large_segments_stream_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_workers_killed_no_loss, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backlog_rows_split, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backlog_rows_long_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backlog_rows_collect, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
