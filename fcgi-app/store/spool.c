/* spool.c -- per-worker append-only segment files (see spool.h).
 *
 * The hot path is one clock read, one writev(2) and, four times a second,
 * a rename. A segment's life: created as NAME.new, locked, renamed to
 * NAME.open (so the shipper can never mistake a file whose owner has not yet
 * locked it for a dead worker's), appended to, renamed to NAME.seg, closed. */
#define _GNU_SOURCE
#include "store/spool.h"
#include "store/jobs.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/log.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define MOD "spool"

static struct {
    int fd;                    /* current segment, -1 when none */
    pid_t pid;                 /* owner of fd (a forked child must not share it) */
    char base[64];
    long long open_us;
    unsigned nrec;
    unsigned seq;
    off_t size;                /* bytes we wrote: the file size (we are its only writer) */
    char dir[PATH_MAX];        /* override; "" = cfg->spool_dir */
} S = { .fd = -1 };

long long spool_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

static long long mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

const char *spool_dir_path(void)
{
    if (S.dir[0]) return S.dir;
    return cfg && cfg->spool_dir && cfg->spool_dir[0] ? cfg->spool_dir : NULL;
}

void spool_set_dir(const char *dir)
{
    if (!dir) {
        S.dir[0] = '\0';
        return;
    }
    snprintf(S.dir, sizeof S.dir, "%s", dir);
}

int spool_type_valid(const char *type)
{
    if (!type) return 0;
    size_t i = 0;
    for (; type[i]; i++) {
        char c = type[i];
        if (i >= SPOOL_TYPE_MAX) return 0;
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return 0;
    }
    return i > 0;
}

int spool_format_prefix(char *out, size_t outsz, const char *type, long long arrival_us)
{
    if (!spool_type_valid(type) || arrival_us < 0) return SPOOL_EINVAL;
    /* by hand: snprintf was most of an append's instructions */
    char digits[24];
    size_t nd = (size_t)(buf_put_dec(digits, arrival_us) - digits), tl = strlen(type);
    size_t n = tl + 1 + nd + 1;
    if (n >= outsz) return SPOOL_EINVAL;
    memcpy(out, type, tl);
    out[tl] = '\t';
    memcpy(out + tl + 1, digits, nd);
    out[n - 1] = '\t';
    out[n] = '\0';
    return (int)n;
}

int spool_parse_line(const char *line, size_t len,
                     const char **type, size_t *type_len,
                     long long *arrival_us,
                     const char **payload, size_t *payload_len)
{
    size_t i = 0;
    while (i < len && i <= SPOOL_TYPE_MAX) {
        char c = line[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) break;
        i++;
    }
    if (i == 0 || i > SPOOL_TYPE_MAX || i >= len || line[i] != '\t') return SPOOL_EINVAL;
    *type = line;
    *type_len = i;
    i++;
    size_t d0 = i;
    long long ts = 0;
    while (i < len && line[i] >= '0' && line[i] <= '9') {
        if (i - d0 >= 18) return SPOOL_EINVAL;  /* no overflow: < 10^18 */
        ts = ts * 10 + (line[i] - '0');
        i++;
    }
    if (i == d0 || i >= len || line[i] != '\t') return SPOOL_EINVAL;
    i++;
    if (memchr(line + i, '\n', len - i) || memchr(line + i, '\0', len - i)) return SPOOL_EINVAL;
    *arrival_us = ts;
    *payload = line + i;
    *payload_len = len - i;
    return 0;
}

int spool_name_make(char *out, size_t outsz, long long open_us, long pid, unsigned seq)
{
    if (open_us < 0 || pid < 0) return SPOOL_EINVAL;
    int n = snprintf(out, outsz, "seg-%016lld-%ld-%u", open_us, pid, seq);
    return n < 0 || (size_t)n >= outsz ? SPOOL_EINVAL : 0;
}

/* Parses "seg-<16 digits>-<digits>-<digits>" followed by a known suffix. */
int spool_name_parse(const char *fname, char *base, size_t basesz,
                     long long *open_us, long *pid)
{
    static const struct { const char *sfx; int kind; } sfx[] = {
        { ".new", SPOOL_SEG_NEW }, { ".open", SPOOL_SEG_OPEN },
        { ".seg", SPOOL_SEG_CLOSED }, { ".pos", SPOOL_SEG_POS },
    };
    if (strncmp(fname, "seg-", 4) != 0) return 0;
    const char *p = fname + 4;
    long long ts = 0;
    for (int k = 0; k < 16; k++, p++) {
        if (*p < '0' || *p > '9') return 0;
        ts = ts * 10 + (*p - '0');
    }
    if (*p++ != '-') return 0;
    long pd = 0;
    const char *d = p;
    while (*p >= '0' && *p <= '9' && p - d < 10) pd = pd * 10 + (*p++ - '0');
    if (p == d || *p++ != '-') return 0;
    d = p;
    while (*p >= '0' && *p <= '9' && p - d < 10) p++;
    if (p == d) return 0;
    size_t blen = (size_t)(p - fname);
    for (size_t i = 0; i < sizeof sfx / sizeof sfx[0]; i++) {
        if (strcmp(p, sfx[i].sfx) != 0) continue;
        if (blen + 1 > basesz) return 0;
        memcpy(base, fname, blen);
        base[blen] = '\0';
        if (open_us) *open_us = ts;
        if (pid) *pid = pd;
        return sfx[i].kind;
    }
    return 0;
}

static int seg_path(char *out, size_t outsz, const char *base, const char *sfx)
{
    const char *dir = spool_dir_path();
    if (!dir) return -1;
    int n = snprintf(out, outsz, "%s/%s%s", dir, base, sfx);
    return n < 0 || (size_t)n >= outsz ? -1 : 0;
}

/* After fork the child shares the parent's descriptor and flock: it must
 * never write or rename the parent's segment. The pid is asked of the kernel
 * once per process (a getpid(2) per record was a syscall on the hot path);
 * a forked child forgets it through pthread_atfork. */
static pid_t pid_known;

static void pid_forget(void) { pid_known = 0; }

static void check_owner(void)
{
    static int atfork;
    if (!atfork) atfork = pthread_atfork(NULL, NULL, pid_forget) == 0;
    pid_t me = pid_known;
    if (!me || !atfork) me = pid_known = getpid();
    if (S.fd >= 0 && S.pid != me) {
        close(S.fd);           /* the parent's lock survives: it keeps its own fd */
        S.fd = -1;
    }
    S.pid = me;
}

static int open_segment(void)
{
    char pnew[PATH_MAX], popen_[PATH_MAX];
    long long now = spool_now_us();
    char base[64];
    if (spool_name_make(base, sizeof base, now, (long)S.pid, ++S.seq) != 0 ||
        seg_path(pnew, sizeof pnew, base, ".new") != 0 ||
        seg_path(popen_, sizeof popen_, base, ".open") != 0)
        return SPOOL_EIO;
    int fd = open(pnew, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0660);
    if (fd < 0) {
        static long long last_log;
        long long m = mono_us();
        if (m - last_log > 10000000LL) {   /* once per 10 s: it fails per request */
            log_err(MOD, "cannot create segment in %s: %s", spool_dir_path(), strerror(errno));
            last_log = m;
        }
        return SPOOL_EIO;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0 || rename(pnew, popen_) != 0) {
        log_err(MOD, "cannot lock/publish segment %s: %s", base, strerror(errno));
        unlink(pnew);
        close(fd);
        return SPOOL_EIO;
    }
    S.fd = fd;
    memcpy(S.base, base, sizeof base);
    S.open_us = mono_us();
    S.nrec = 0;
    S.size = 0;
    return SPOOL_OK;
}

/* Rename while still holding the lock, then close. If the rename fails the
 * file stays NAME.open, unlocked once closed: the shipper claims it as a
 * dead worker's, so nothing is lost either way. */
static int close_segment(void)
{
    int rc = 0;
    char po[PATH_MAX], ps[PATH_MAX];
    if (S.fd < 0) return 0;
    if (S.nrec == 0 && S.size == 0) {
        if (seg_path(po, sizeof po, S.base, ".open") == 0) unlink(po);
    } else if (seg_path(po, sizeof po, S.base, ".open") != 0 ||
               seg_path(ps, sizeof ps, S.base, ".seg") != 0 || rename(po, ps) != 0) {
        log_warn(MOD, "cannot close segment %s: %s", S.base, strerror(errno));
        rc = SPOOL_EIO;
    }
    close(S.fd);
    S.fd = -1;
    return rc;
}

int spool_rotate(int force)
{
    check_owner();
    if (S.fd < 0) return 0;
    if (!force && S.nrec < SPOOL_ROTATE_RECORDS &&
        mono_us() - S.open_us < SPOOL_ROTATE_MS * 1000LL)
        return 0;
    return close_segment();
}

int spool_append(const char *type, const char *payload, size_t len)
{
    char prefix[SPOOL_TYPE_MAX + 32];
    if (!payload || len > SPOOL_PAYLOAD_MAX ||
        memchr(payload, '\n', len) || memchr(payload, '\0', len))
        return SPOOL_EINVAL;
    int plen = spool_format_prefix(prefix, sizeof prefix, type, spool_now_us());
    if (plen < 0) return SPOOL_EINVAL;

    check_owner();
    if (S.fd >= 0 && (S.nrec >= SPOOL_ROTATE_RECORDS ||
                      mono_us() - S.open_us >= SPOOL_ROTATE_MS * 1000LL))
        close_segment();
    if (S.fd < 0 && open_segment() != SPOOL_OK) return SPOOL_EIO;

    struct iovec iov[3] = {
        { prefix, (size_t)plen },
        { (void *)payload, len },
        { "\n", 1 },
    };
    size_t total = (size_t)plen + len + 1;
    ssize_t n;
    do {
        n = writev(S.fd, iov, 3);
    } while (n < 0 && errno == EINTR);
    if (n == (ssize_t)total) {
        S.nrec++;
        S.size += (off_t)total;
        return SPOOL_OK;
    }
    int err = n < 0 ? errno : ENOSPC;
    static long long last_log;
    long long m = mono_us();
    if (m - last_log > 10000000LL) {
        log_err(MOD, "append to %s failed (%s): falling back", S.base, strerror(err));
        last_log = m;
    }
    /* A short write left a partial record: cut it off so the next record
     * starts on a line boundary. If even that fails, close the segment so
     * the partial record is its unterminated tail, which the shipper drops
     * (the caller falls back, so the record is not lost). */
    if (n > 0 && ftruncate(S.fd, S.size) != 0)
        close_segment();
    else if (err != ENOSPC && err != EDQUOT)
        close_segment();       /* EIO, EBADF ...: start afresh next time */
    return SPOOL_EIO;
}

static int rotate_job(long budget_ms)
{
    (void)budget_ms;
    spool_rotate(0);
    return 0;
}

void spool_init(void)
{
    jobs_register("spool-rotate", rotate_job, SPOOL_ROTATE_MS, JOB_LOCAL);
}
