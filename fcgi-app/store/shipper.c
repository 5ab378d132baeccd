/* shipper.c -- spool segments -> batch handlers -> MariaDB (see shipper.h).
 *
 * One run: lock, list the spool dir, claim dead workers' open segments,
 * load the oldest segments (from their committed position to their last
 * complete line), merge them by arrival time, and ship batch after batch.
 * After each committed batch, every segment it touched either is deleted
 * (closed and fully shipped) or has its position written, so a crash
 * anywhere re-ships at most one batch (which INSERT IGNORE absorbs). */
#define _GNU_SOURCE
#include "store/shipper.h"
#include "store/spool.h"
#include "store/db.h"
#include "store/kv.h"
#include "store/jobs.h"
#include "core/log.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MOD "shipper"
#define MAX_TYPES 32
/* A run merges the oldest segment with those opened within MERGE_WINDOW_US
 * of it: a segment covers ~250 ms (an idle worker's up to ~1.25 s), so
 * younger ones cannot hold records that arrived earlier. */
#define MERGE_WINDOW_US 2000000LL
/* A run happens in a worker between two requests: a request routed to it
 * meanwhile waits, so one run stays short and says "more" instead. */
#define RUN_MAX_MS 50
#define IDLE_BUDGET_MS 400
#define LOAD_MAX_SEGS 64
#define BACKOFF_MAX_S 30
#define NEW_STALE_US (10LL * 1000000)
#define PUBLISH_EVERY_US 1000000LL
#define LOCK_NAME "shipper-run.lock"
#define STATE_NAME "shipper.state"
#define DEADLETTER_NAME "deadletter.log"

/* Registered spool types: a batch handler, a backlog row counter, or both. */
static struct {
    char type[SPOOL_TYPE_MAX + 1];
    size_t tlen;
    shipper_batch_fn fn;        /* NULL: no handler (yet) */
    shipper_count_fn count;     /* NULL: its lines count no rows */
} types[MAX_TYPES];
static size_t ntypes, ncounters;

static int (*test_db_alive)(void);
static int test_mode;

/* ---------------------------------------------------------------- helpers */

static long long mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

static int path_of(char *out, size_t outsz, const char *name, const char *sfx)
{
    const char *dir = spool_dir_path();
    if (!dir) return -1;
    int n = snprintf(out, outsz, "%s/%s%s", dir, name, sfx);
    return n < 0 || (size_t)n >= outsz ? -1 : 0;
}

/* Small files (positions, state) are replaced whole: write a temporary and
 * rename, so a reader sees the old or the new content, never a mix. */
static int write_small(const char *name, const char *sfx, const char *text)
{
    char path[PATH_MAX], tmp[PATH_MAX + 16];
    if (path_of(path, sizeof path, name, sfx) != 0) return -1;
    snprintf(tmp, sizeof tmp, "%s.tmp%d", path, (int)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0664);
    if (fd < 0) return -1;
    size_t len = strlen(text);
    ssize_t n = write(fd, text, len);
    close(fd);
    if (n != (ssize_t)len || rename(tmp, path) != 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

static int read_small(const char *name, const char *sfx, char *out, size_t outsz)
{
    char path[PATH_MAX];
    if (path_of(path, sizeof path, name, sfx) != 0) return -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = read(fd, out, outsz - 1);
    close(fd);
    if (n < 0) return -1;
    out[n] = '\0';
    return 0;
}

/* NAME.pos = "<byte offset> <records consumed>". Missing = 0 0. */
static void read_pos(const char *base, size_t *off, long long *recs)
{
    char b[64];
    unsigned long long o = 0;
    long long r = 0;
    *off = 0;
    *recs = 0;
    if (read_small(base, ".pos", b, sizeof b) != 0) return;
    if (sscanf(b, "%llu %lld", &o, &r) == 2 && r >= 0) {
        *off = (size_t)o;
        *recs = r;
    }
}

static int db_alive(void)
{
    if (test_db_alive) return test_db_alive();
    return db_ping() == 0;
}

static void deadletter(const char *line, size_t len)
{
    char path[PATH_MAX];
    if (path_of(path, sizeof path, DEADLETTER_NAME, "") != 0) return;
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0660);
    if (fd < 0) {
        log_err(MOD, "cannot open %s: %s; record dropped", path, strerror(errno));
        return;
    }
    char *b = malloc(len + 1);
    if (b) {
        memcpy(b, line, len);
        b[len] = '\n';
        if (write(fd, b, len + 1) != (ssize_t)(len + 1))
            log_err(MOD, "cannot write %s; record dropped", path);
        free(b);
    }
    close(fd);
}

static void deadletter_rec(const shipper_rec_t *r)
{
    char prefix[SPOOL_TYPE_MAX + 32];
    int n = spool_format_prefix(prefix, sizeof prefix, r->type, r->arrival_us);
    if (n < 0) return;
    char *b = malloc((size_t)n + r->len);
    if (!b) return;
    memcpy(b, prefix, (size_t)n);
    memcpy(b + n, r->payload, r->len);
    deadletter(b, (size_t)n + r->len);
    free(b);
}

/* ---------------------------------------------------------------- registry */

static int type_find(const char *type, size_t tlen)
{
    for (size_t i = 0; i < ntypes; i++)
        if (types[i].tlen == tlen && memcmp(types[i].type, type, tlen) == 0)
            return (int)i;
    return -1;
}

/* The slot of type, added when new; -1 when invalid or the table is full. */
static int type_slot(const char *type)
{
    if (!spool_type_valid(type)) return -1;
    int i = type_find(type, strlen(type));
    if (i >= 0) return i;
    if (ntypes == MAX_TYPES) return -1;
    snprintf(types[ntypes].type, sizeof types[ntypes].type, "%s", type);
    types[ntypes].tlen = strlen(type);
    return (int)ntypes++;
}

int shipper_register(const char *type, shipper_batch_fn fn)
{
    int i = fn ? type_slot(type) : -1;
    if (i < 0) return SHIPPER_EINVAL;
    types[i].fn = fn;
    return SHIPPER_OK;
}

int shipper_register_counter(const char *type, shipper_count_fn fn)
{
    int i = fn ? type_slot(type) : -1;
    if (i < 0) return SHIPPER_EINVAL;
    if (!types[i].count) ncounters++;
    types[i].count = fn;
    return SHIPPER_OK;
}

static int find_handler(const char *type, size_t tlen)
{
    int i = type_find(type, tlen);
    return i >= 0 && types[i].fn ? i : -1;
}

/* Hand recs to handler h. On failure with MariaDB up, isolate poison
 * records one by one into the dead-letter file; with MariaDB down, fail. */
static int deliver(int h, shipper_rec_t *recs, size_t n)
{
    shipper_batch_fn fn = types[h].fn;
    if (fn(recs, n) == 0) return SHIPPER_OK;
    if (!db_alive()) return SHIPPER_EFAIL;
    for (size_t i = 0; i < n; i++) {
        if (fn(&recs[i], 1) == 0 || fn(&recs[i], 1) == 0) continue;
        if (!db_alive()) return SHIPPER_EFAIL;
        log_err(MOD, "record of type %s refused twice with MariaDB up: moved to %s",
                recs[i].type, DEADLETTER_NAME);
        deadletter_rec(&recs[i]);
    }
    return SHIPPER_OK;
}

int shipper_ship_now(const char *type, const char *payload, size_t len)
{
    if (!spool_type_valid(type) || !payload || memchr(payload, '\0', len))
        return SHIPPER_EINVAL;
    int h = find_handler(type, strlen(type));
    if (h < 0) return SHIPPER_ENOHANDLER;
    char *copy = malloc(len + 1);   /* the handler may rely on payload[len] == '\0' */
    if (!copy) return SHIPPER_EFAIL;
    memcpy(copy, payload, len);
    copy[len] = '\0';
    shipper_rec_t r = { types[h].type, copy, len, spool_now_us() };
    int rc = types[h].fn(&r, 1);
    free(copy);
    return rc == 0 ? SHIPPER_OK : SHIPPER_EFAIL;
}

/* ---------------------------------------------------------------- listing */

enum { K_NEW = 1, K_OPEN = 2, K_SEG = 4, K_POS = 8 };

typedef struct ent {
    char base[64];
    long long open_us;
    unsigned kinds;            /* K_* present */
} ent_t;

typedef struct named {
    char base[64];
    long long open_us;
    int kind;
} named_t;

static int cmp_named(const void *a, const void *b)
{
    return strcmp(((const named_t *)a)->base, ((const named_t *)b)->base);
}

/* All our files, grouped by base name, oldest first. */
static int list_spool(ent_t **out, size_t *nout)
{
    *out = NULL;
    *nout = 0;
    const char *dir = spool_dir_path();
    if (!dir) return SHIPPER_EIO;
    DIR *d = opendir(dir);
    if (!d) return SHIPPER_EIO;
    named_t *v = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        named_t x;
        long pid;
        int kind = spool_name_parse(de->d_name, x.base, sizeof x.base, &x.open_us, &pid);
        if (!kind) continue;
        x.kind = kind == SPOOL_SEG_NEW ? K_NEW : kind == SPOOL_SEG_OPEN ? K_OPEN
               : kind == SPOOL_SEG_CLOSED ? K_SEG : K_POS;
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 64;
            named_t *nv = realloc(v, nc * sizeof *nv);
            if (!nv) break;
            v = nv;
            cap = nc;
        }
        v[n++] = x;
    }
    closedir(d);
    if (n) qsort(v, n, sizeof *v, cmp_named);
    ent_t *e = n ? malloc(n * sizeof *e) : NULL;
    size_t m = 0;
    for (size_t i = 0; i < n && e; i++) {
        if (m && strcmp(e[m - 1].base, v[i].base) == 0) {
            e[m - 1].kinds |= (unsigned)v[i].kind;
            continue;
        }
        memcpy(e[m].base, v[i].base, sizeof e[m].base);
        e[m].open_us = v[i].open_us;
        e[m].kinds = (unsigned)v[i].kind;
        m++;
    }
    free(v);
    *out = e;
    *nout = m;
    return 0;
}

static int exists(const char *base, const char *sfx)
{
    char p[PATH_MAX];
    struct stat st;
    return path_of(p, sizeof p, base, sfx) == 0 && stat(p, &st) == 0;
}

/* Owner alive = it holds the flock. If we get the lock the owner is gone:
 * rename to .seg while holding it. Returns K_SEG (claimed or already
 * closed), K_OPEN (live), or 0 (vanished). */
static unsigned claim_open(const char *base)
{
    char po[PATH_MAX], ps[PATH_MAX];
    if (path_of(po, sizeof po, base, ".open") != 0 || path_of(ps, sizeof ps, base, ".seg") != 0)
        return 0;
    int fd = open(po, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return exists(base, ".seg") ? K_SEG : 0;
    unsigned k = K_OPEN;
    if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
        if (rename(po, ps) == 0) {
            log_info(MOD, "claimed segment %s of a worker that exited", base);
            k = K_SEG;
        } else {
            k = exists(base, ".seg") ? K_SEG : 0;
        }
    }
    close(fd);
    return k;
}

/* Remove debris: .new files whose creator died before publishing them
 * (they hold no record), .pos files whose segment is gone. */
static void sweep(ent_t *e)
{
    char p[PATH_MAX];
    if ((e->kinds & K_NEW) && !(e->kinds & (K_OPEN | K_SEG)) &&
        spool_now_us() - e->open_us > NEW_STALE_US && path_of(p, sizeof p, e->base, ".new") == 0) {
        int fd = open(p, O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            if (flock(fd, LOCK_EX | LOCK_NB) == 0) unlink(p);
            close(fd);
        }
        e->kinds &= ~(unsigned)K_NEW;
    }
    /* readdir may miss a file renamed while it runs: look again before
     * deleting a position that may still be needed. */
    if (e->kinds == K_POS && !exists(e->base, ".open") && !exists(e->base, ".seg") &&
        !exists(e->base, ".new") && path_of(p, sizeof p, e->base, ".pos") == 0) {
        unlink(p);
        e->kinds = 0;
    }
}

/* ---------------------------------------------------------------- a run */

enum { SEG_CLOSED = 1, SEG_LIVE };

/* Each loaded segment is read through a window of complete lines, refilled
 * between batches, so a run holds about one batch per segment in memory
 * whatever the segment sizes (1 MB: ~1,300 beacon records; a window that
 * runs dry closes the batch early). Offsets named *_abs are file offsets. */
#define CHUNK (1024u << 10)
#define REFILL_LOW (512u << 10)

typedef struct seg {
    char base[64];
    int kind;
    int fd;
    size_t pos;                /* committed file offset before this run */
    long long pos_recs;        /* records consumed before this run */
    char *data;                /* file bytes [base_abs, base_abs + have) */
    size_t cap, have;
    size_t len;                /* bytes of complete lines in data (up to the last LF) */
    size_t base_abs;
    int eof;                   /* nothing more to read (for now, if live) */
    size_t cur;                /* next line to hand out (index in data) */
    size_t done_abs;           /* committed through here */
    long long done_recs;       /* records committed in this run */
    size_t batch_end_abs;      /* end (after LF) of its last line in the batch */
    long long batch_recs;
    int in_batch;
    int stalled;
    int gone;
    /* head line, parsed */
    int head;                  /* 1 = a line is available at cur */
    size_t h_end;              /* index of its LF */
    int h_bad;
    const char *h_type;
    size_t h_tlen, h_plen;
    long long h_ts;
    const char *h_payload;
} seg_t;

typedef struct bent {
    seg_t *seg;
    size_t start, end;         /* line [start, end) in seg->data; data[end] was LF */
    int bad;
    const char *type;
    size_t tlen;
    long long ts;
    const char *payload;
    size_t plen;
} bent_t;

static void seg_parse_head(seg_t *s)
{
    s->head = 0;
    if (s->stalled || s->cur >= s->len) return;
    char *nl = memchr(s->data + s->cur, '\n', s->len - s->cur);
    if (!nl) return;                    /* cannot happen: len ends after an LF */
    s->h_end = (size_t)(nl - s->data);
    s->h_bad = spool_parse_line(s->data + s->cur, s->h_end - s->cur, &s->h_type, &s->h_tlen,
                                &s->h_ts, &s->h_payload, &s->h_plen) != 0;
    if (s->h_bad && s->kind == SEG_LIVE) {
        s->stalled = 1;                 /* never skip in a file someone still writes */
        return;
    }
    s->head = 1;
}

/* Drop the consumed lines from the window and read on, until it holds at
 * least REFILL_LOW bytes of complete lines or the file ends. Only between
 * batches: it moves the bytes the previous batch pointed into. */
static int seg_refill(seg_t *s)
{
    if (s->eof || s->stalled || s->len - s->cur >= REFILL_LOW) return 0;
    if (s->cur) {
        memmove(s->data, s->data + s->cur, s->have - s->cur);
        s->base_abs += s->cur;
        s->have -= s->cur;
        s->len -= s->cur;
        s->cur = 0;
    }
    while (!s->eof && s->len < REFILL_LOW) {
        if (s->cap - s->have < CHUNK) {
            size_t nc = s->have + CHUNK + 1;
            char *nd = realloc(s->data, nc);
            if (!nd) return -1;
            s->data = nd;
            s->cap = nc;
        }
        ssize_t r = pread(s->fd, s->data + s->have, CHUNK, (off_t)(s->base_abs + s->have));
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return -1;
        if (r == 0) {
            s->eof = 1;
            break;
        }
        size_t from = s->len;
        s->have += (size_t)r;
        char *last = memrchr(s->data + from, '\n', s->have - from);
        if (last) s->len = (size_t)(last - s->data) + 1;
    }
    seg_parse_head(s);
    return 0;
}

static int seg_load(seg_t *s)
{
    char p[PATH_MAX];
    read_pos(s->base, &s->pos, &s->pos_recs);
    s->fd = -1;
    if (s->kind == SEG_LIVE && path_of(p, sizeof p, s->base, ".open") == 0)
        s->fd = open(p, O_RDONLY | O_CLOEXEC);
    if (s->fd < 0) {
        if (path_of(p, sizeof p, s->base, ".seg") != 0) return -1;
        s->fd = open(p, O_RDONLY | O_CLOEXEC);
        if (s->fd >= 0 && s->kind == SEG_LIVE) s->kind = SEG_CLOSED;  /* closed meanwhile */
    }
    if (s->fd < 0) return -1;
    s->base_abs = s->done_abs = s->pos;
    return seg_refill(s);
}

static void seg_free(seg_t *s)
{
    if (s->fd >= 0) close(s->fd);
    s->fd = -1;
    free(s->data);
    s->data = NULL;
}

/* Nothing more to ship from it in this run (window empty, file ended). */
static int seg_drained(const seg_t *s)
{
    return s->eof && s->done_abs >= s->base_abs + s->len && !s->head;
}

/* After a committed batch (or when a closed segment holds nothing more). */
static void seg_commit(seg_t *s)
{
    char p[PATH_MAX], text[64];
    if (s->gone) return;
    if (s->kind == SEG_CLOSED && seg_drained(s)) {
        if (s->have > s->len)
            log_warn(MOD, "segment %s ended with %zu bytes of an unfinished record (a write "
                     "that failed or was cut by a crash): dropped", s->base, s->have - s->len);
        if (path_of(p, sizeof p, s->base, ".seg") == 0) unlink(p);
        if (path_of(p, sizeof p, s->base, ".pos") == 0) unlink(p);
        s->gone = 1;
        return;
    }
    if (s->done_abs <= s->pos) return;
    snprintf(text, sizeof text, "%zu %lld\n", s->done_abs, s->pos_recs + s->done_recs);
    if (write_small(s->base, ".pos", text) != 0)
        log_warn(MOD, "cannot record progress of %s: %s", s->base, strerror(errno));
}

/* Ship one batch. Returns SHIPPER_OK or an error (nothing advanced). */
static int ship_batch(bent_t *b, size_t nb, shipper_rec_t *recs, unsigned char *used)
{
    for (size_t i = 0; i < nb; i++) {
        used[i] = b[i].bad;
        if (!b[i].bad) b[i].seg->data[b[i].end] = '\0';   /* payload[len] == '\0' */
    }
    for (size_t i = 0; i < nb; i++) {
        if (used[i]) continue;
        int h = find_handler(b[i].type, b[i].tlen);
        if (h < 0) {
            log_err(MOD, "no handler for record type '%.*s' in this process: "
                    "shipping stops", (int)b[i].tlen, b[i].type);
            return SHIPPER_ENOHANDLER;
        }
        size_t k = 0;
        for (size_t j = i; j < nb; j++) {
            if (used[j] || b[j].tlen != b[i].tlen || memcmp(b[j].type, b[i].type, b[i].tlen) != 0)
                continue;
            used[j] = 1;
            recs[k++] = (shipper_rec_t){ types[h].type, b[j].payload, b[j].plen, b[j].ts };
        }
        int rc = deliver(h, recs, k);
        if (rc != SHIPPER_OK) return rc;
    }
    return SHIPPER_OK;
}

typedef struct run_result {
    long long shipped;
    int more;
    int rc;
} run_result_t;

static void run_segments(seg_t *segs, size_t nsegs, long long deadline, run_result_t *res)
{
    bent_t *b = malloc(SHIPPER_BATCH_MAX * sizeof *b);
    shipper_rec_t *recs = malloc(SHIPPER_BATCH_MAX * sizeof *recs);
    unsigned char *used = malloc(SHIPPER_BATCH_MAX);
    if (!b || !recs || !used) {
        res->rc = SHIPPER_EFAIL;
        goto out;
    }
    for (;;) {
        for (size_t i = 0; i < nsegs; i++)
            if (!segs[i].gone && seg_refill(&segs[i]) != 0) {
                log_warn(MOD, "cannot read segment %s: %s", segs[i].base, strerror(errno));
                segs[i].stalled = 1;
                segs[i].head = 0;
            }
        size_t nb = 0;
        while (nb < SHIPPER_BATCH_MAX) {
            seg_t *best = NULL;
            for (size_t i = 0; i < nsegs; i++) {
                seg_t *s = &segs[i];
                if (!s->head) continue;
                /* Malformed lines go first: they only need to be set aside (after the
                 * batch commits, with the positions). Ties keep the older segment. */
                if (!best || (s->h_bad && !best->h_bad) ||
                    (s->h_bad == best->h_bad && !s->h_bad && s->h_ts < best->h_ts))
                    best = s;
            }
            if (!best) break;
            /* A window ran dry mid-batch: close the batch here rather than
             * merge without that segment (the refill comes before the next). */
            bent_t *e = &b[nb++];
            *e = (bent_t){ best, best->cur, best->h_end, best->h_bad, best->h_type, best->h_tlen,
                           best->h_ts, best->h_payload, best->h_plen };
            if (!best->in_batch) {
                best->in_batch = 1;
                best->batch_recs = 0;
            }
            best->batch_end_abs = best->base_abs + best->h_end + 1;
            best->batch_recs++;
            best->cur = best->h_end + 1;
            seg_parse_head(best);
            if (!best->head && !best->eof && !best->stalled) break;
        }
        if (nb == 0) break;
        int rc = ship_batch(b, nb, recs, used);
        if (rc != SHIPPER_OK) {
            res->rc = rc;
            break;
        }
        for (size_t i = 0; i < nb; i++)
            if (b[i].bad) {
                log_warn(MOD, "malformed record in %s moved to %s", b[i].seg->base, DEADLETTER_NAME);
                deadletter(b[i].seg->data + b[i].start, b[i].end - b[i].start);
            } else {
                res->shipped++;
            }
        for (size_t i = 0; i < nsegs; i++) {
            seg_t *s = &segs[i];
            if (!s->in_batch) continue;
            s->in_batch = 0;
            s->done_abs = s->batch_end_abs;
            s->done_recs += s->batch_recs;
            seg_commit(s);
        }
        if (mono_us() > deadline) break;
    }
out:
    for (size_t i = 0; i < nsegs; i++) {
        seg_t *s = &segs[i];
        if (res->rc == SHIPPER_OK && s->kind == SEG_CLOSED && !s->gone && seg_drained(s))
            seg_commit(s);             /* a closed segment with nothing (more) to ship */
        if (!s->gone && !s->stalled && (s->head || !s->eof)) res->more = 1;
    }
    free(b);
    free(recs);
    free(used);
}

/* ---------------------------------------------------------------- backoff */

static void state_read(long long *fails, long long *next_us)
{
    char b[96];
    *fails = 0;
    *next_us = 0;
    if (read_small(STATE_NAME, "", b, sizeof b) == 0 &&
        sscanf(b, "%lld %lld", fails, next_us) != 2) {
        *fails = 0;
        *next_us = 0;
    }
}

static void state_write(long long fails, long long next_us)
{
    char b[96];
    snprintf(b, sizeof b, "%lld %lld\n", fails, next_us);
    if (write_small(STATE_NAME, "", b) != 0)
        log_warn(MOD, "cannot write %s: %s", STATE_NAME, strerror(errno));
}

static long long backoff_s(long long fails)
{
    long long s = 1;
    for (long long i = 0; i < fails && s < BACKOFF_MAX_S; i++) s *= 2;
    return s > BACKOFF_MAX_S ? BACKOFF_MAX_S : s;
}

/* ---------------------------------------------------------------- backlog */

typedef struct cnt {
    char base[64];
    size_t bytes;              /* counted up to here (just after an LF) */
    long long lines;
    /* rows[] sums the counters over the lines starting at or after `from`,
     * the segment's committed offset when last counted: moving `from` up
     * re-reads only the lines committed since, not the whole backlog. */
    size_t from;
    long long rows[SHIPPER_ROW_KINDS];
} cnt_t;

static cnt_t *cnt_cache;
static size_t ncnt_cache;

static int cmp_cnt(const void *key, const void *elem)
{
    return strcmp((const char *)key, ((const cnt_t *)elem)->base);
}

/* Add sign * (the rows of one spool line) to rows. The prefix is checked
 * only as far as finding the payload: a damaged line counts nothing. */
static void count_line(const char *line, size_t len, long long rows[SHIPPER_ROW_KINDS], int sign)
{
    if (!ncounters) return;
    const char *tab = memchr(line, '\t', len < SPOOL_TYPE_MAX + 1 ? len : SPOOL_TYPE_MAX + 1);
    if (!tab) return;
    size_t tl = (size_t)(tab - line);
    int i = type_find(line, tl);
    shipper_count_fn fn = i >= 0 ? types[i].count : NULL;
    if (!fn) return;
    const char *p = tab + 1, *e = line + len;
    size_t lim = (size_t)(e - p) < 20 ? (size_t)(e - p) : 20;   /* arrival_us: < 19 digits */
    const char *tab2 = memchr(p, '\t', lim);
    if (!tab2) return;
    long long r[SHIPPER_ROW_KINDS] = { 0 };
    fn(tab2 + 1, (size_t)(e - tab2 - 1), r);
    for (int k = 0; k < SHIPPER_ROW_KINDS; k++) rows[k] += sign * r[k];
}

/* One buffer per process for counting, grown only for a line longer than
 * it (up to the longest valid record). */
#define SCAN_CHUNK (64u << 10)
#define SCAN_LINE_MAX ((size_t)SPOOL_PAYLOAD_MAX + SPOOL_TYPE_MAX + 64)
static char *scan_buf;
static size_t scan_cap;

/* Walk the complete lines of fd in [at, end): count them in *lines (when
 * given) and add sign * their rows to rows[] for those starting at or
 * after rows_from. Returns the offset just after the last LF seen. */
static size_t scan_lines(int fd, size_t at, size_t end, long long *lines, size_t rows_from,
                         long long rows[SHIPPER_ROW_KINDS], int sign)
{
    size_t done = at, want_cap = SCAN_CHUNK;
    int skipping = 0;          /* inside a line too long to be a record */
    int can_grow = 1;
    while (at < end) {
        if (scan_cap < want_cap) {
            char *nb = realloc(scan_buf, want_cap);
            if (nb) {
                scan_buf = nb;
                scan_cap = want_cap;
            } else if (!scan_cap) {
                return done;
            } else {
                can_grow = 0;                           /* count it unclassified */
            }
        }
        size_t want = end - at < scan_cap ? end - at : scan_cap;
        ssize_t r = pread(fd, scan_buf, want, (off_t)at);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        const char *b = scan_buf, *q = b, *e = b + r, *nl;
        while ((nl = memchr(q, '\n', (size_t)(e - q))) != NULL) {
            if (lines) (*lines)++;
            if (!skipping && at + (size_t)(q - b) >= rows_from)
                count_line(q, (size_t)(nl - q), rows, sign);
            skipping = 0;
            q = nl + 1;
        }
        size_t used = (size_t)(q - b);
        if (used == 0) {
            if ((size_t)r < scan_cap) break;            /* a partial last line */
            if (can_grow && scan_cap < SCAN_LINE_MAX) { /* read the line whole */
                want_cap = scan_cap * 2 < SCAN_LINE_MAX ? scan_cap * 2 : SCAN_LINE_MAX;
                if (want_cap > scan_cap) continue;
            }
            skipping = 1;                               /* not a record: skip to its LF */
            at += (size_t)r;
            continue;
        }
        at += used;
        done = at;
    }
    return done;
}

/* Bring c (this segment's counts) up to date; off = its committed offset. */
static int count_file(const char *base, unsigned kinds, size_t off, cnt_t *c)
{
    char p[PATH_MAX];
    int fd = -1;
    if ((kinds & K_SEG) && path_of(p, sizeof p, base, ".seg") == 0)
        fd = open(p, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && path_of(p, sizeof p, base, ".open") == 0) fd = open(p, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && path_of(p, sizeof p, base, ".seg") == 0) fd = open(p, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    if (off != c->from) {
        if (off > c->from && off <= c->bytes) {
            scan_lines(fd, c->from, off, NULL, 0, c->rows, -1);
        } else {
            /* all counted lines committed, or (never expected: positions
             * only grow) a position moved back: count afresh */
            if (off < c->from) {
                c->bytes = 0;
                c->lines = 0;
            }
            memset(c->rows, 0, sizeof c->rows);
        }
        c->from = off;
    }
    struct stat st;
    if (fstat(fd, &st) == 0 && (size_t)st.st_size > c->bytes)
        c->bytes = scan_lines(fd, c->bytes, (size_t)st.st_size, &c->lines, c->from, c->rows, 1);
    close(fd);
    return 0;
}

static long long first_arrival(const char *base, unsigned kinds, size_t off)
{
    char p[PATH_MAX], line[128];
    int fd = -1;
    if ((kinds & K_SEG) && path_of(p, sizeof p, base, ".seg") == 0)
        fd = open(p, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && path_of(p, sizeof p, base, ".open") == 0) fd = open(p, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = pread(fd, line, sizeof line - 1, (off_t)off);
    close(fd);
    if (n <= 0) return -1;
    const char *t, *pl;
    size_t tl, pll;
    long long ts;
    /* Only the prefix matters: parse a cut line with a fake end. */
    line[n] = '\0';
    char *tab2 = NULL, *tab1 = memchr(line, '\t', (size_t)n);
    if (tab1) tab2 = memchr(tab1 + 1, '\t', (size_t)(line + n - tab1 - 1));
    if (!tab2) return -1;
    if (spool_parse_line(line, (size_t)(tab2 - line) + 1, &t, &tl, &ts, &pl, &pll) != 0) return -1;
    return ts;
}

int shipper_backlog_rows_local(long long *records, long long *oldest_age_s,
                               long long rows[SHIPPER_ROW_KINDS])
{
    long long oldest_us = 0;
    *records = 0;
    *oldest_age_s = 0;
    memset(rows, 0, SHIPPER_ROW_KINDS * sizeof *rows);
    ent_t *e;
    size_t n;
    if (list_spool(&e, &n) != 0) return -1;
    cnt_t *nc = n ? calloc(n, sizeof *nc) : NULL;
    size_t m = 0;
    long long total = 0;
    for (size_t i = 0; i < n && (nc || !n); i++) {
        if (!(e[i].kinds & (K_OPEN | K_SEG))) continue;
        cnt_t c = { .bytes = 0, .lines = 0, .from = 0, .rows = { 0 } };
        cnt_t *old = ncnt_cache ? bsearch(e[i].base, cnt_cache, ncnt_cache, sizeof *cnt_cache, cmp_cnt) : NULL;
        if (old) c = *old;
        memcpy(c.base, e[i].base, sizeof c.base);
        size_t off = 0;
        long long done = 0;
        if (e[i].kinds & K_POS) read_pos(e[i].base, &off, &done);
        if (count_file(e[i].base, e[i].kinds, off, &c) != 0) continue;
        nc[m++] = c;
        long long left = c.lines - done;
        if (left <= 0) continue;
        total += left;
        for (int k = 0; k < SHIPPER_ROW_KINDS; k++) rows[k] += c.rows[k];
        /* Records arrive after their segment opened: older segments cannot
         * be beaten by younger ones, so stop looking once past the best. */
        if (!oldest_us || e[i].open_us < oldest_us) {
            long long ts = first_arrival(e[i].base, e[i].kinds, off);
            if (ts <= 0) ts = e[i].open_us;
            if (!oldest_us || ts < oldest_us) oldest_us = ts;
        }
    }
    free(cnt_cache);
    cnt_cache = nc;
    ncnt_cache = m;
    free(e);
    *records = total;
    if (total > 0 && oldest_us > 0) {
        long long age = (spool_now_us() - oldest_us) / 1000000LL;
        *oldest_age_s = age > 0 ? age : 0;
    }
    return 0;
}

int shipper_backlog_local(long long *records, long long *oldest_age_s)
{
    long long rows[SHIPPER_ROW_KINDS];
    return shipper_backlog_rows_local(records, oldest_age_s, rows);
}

static void host_name(char *out, size_t outsz)
{
    if (gethostname(out, outsz) != 0 || !out[0]) snprintf(out, outsz, "localhost");
    out[outsz - 1] = '\0';
}

/* force: 0 = at most every PUBLISH_EVERY_US, 1 = at most every 250 ms
 * (after shipping), 2 = now. Counting reads the new bytes of every segment,
 * which at peak is the whole spool write rate: keep it rare. */
static void publish(long long fails, int force)
{
    static long long last;
    long long now = mono_us();
    if (test_mode) return;
    if (force < 2 && now - last < (force ? 250000LL : PUBLISH_EVERY_US)) return;
    last = now;
    long long recs, age, rows[SHIPPER_ROW_KINDS];
    if (shipper_backlog_rows_local(&recs, &age, rows) != 0 || kv_is_down()) return;
    char host[256];
    host_name(host, sizeof host);
    long long now_s = spool_now_us() / 1000000LL;
    long long oldest_us = recs > 0 ? spool_now_us() - age * 1000000LL : 0;
    kv_pipe("HSET %sspool:backlog:%s records %lld oldest_us %lld views %lld events %lld "
            "failures %lld updated %lld", kv_prefix, host, recs, oldest_us,
            rows[SHIPPER_ROWS_VIEWS], rows[SHIPPER_ROWS_EVENTS], fails, now_s);
    kv_pipe("EXPIRE %sspool:backlog:%s %d", kv_prefix, host, SHIPPER_BACKLOG_TTL_S);
    kv_pipe("SADD %sspool:hosts %s", kv_prefix, host);
    for (int i = 0; i < 3; i++) kv_free(kv_pipe_read());
}

int shipper_backlog_rows(long long *records, long long *oldest_age_s,
                         long long rows[SHIPPER_ROW_KINDS])
{
    *records = 0;
    *oldest_age_s = 0;
    memset(rows, 0, SHIPPER_ROW_KINDS * sizeof *rows);
    if (!test_mode && !kv_is_down()) {
        kv_reply_t *hosts = kv_cmd("SMEMBERS %sspool:hosts", kv_prefix);
        if (hosts && kv_type(hosts) == KV_ARR && kv_nelem(hosts) > 0) {
            size_t nh = kv_nelem(hosts);
            for (size_t i = 0; i < nh; i++)
                kv_pipe("HMGET %sspool:backlog:%s records oldest_us views events", kv_prefix,
                        kv_str(kv_elem(hosts, i)) ? kv_str(kv_elem(hosts, i)) : "");
            long long sum = 0, oldest = 0, rsum[SHIPPER_ROW_KINDS] = { 0 };
            int ok = 1, seen = 0;
            for (size_t i = 0; i < nh; i++) {
                kv_reply_t *r = kv_pipe_read();
                if (!r) {
                    ok = 0;
                    continue;
                }
                if (kv_type(r) == KV_ARR && kv_nelem(r) == 4 &&
                    kv_type(kv_elem(r, 0)) != KV_NIL) {
                    seen = 1;
                    sum += kv_int(kv_elem(r, 0));
                    long long o = kv_int(kv_elem(r, 1));
                    if (o > 0 && (!oldest || o < oldest)) oldest = o;
                    rsum[SHIPPER_ROWS_VIEWS] += kv_int(kv_elem(r, 2));    /* nil -> 0 */
                    rsum[SHIPPER_ROWS_EVENTS] += kv_int(kv_elem(r, 3));
                } else if (kv_type(r) == KV_ARR) {
                    /* expired: that host has not shipped for a long time */
                    const char *h = kv_str(kv_elem(hosts, i));
                    if (h) kv_free(kv_cmd("SREM %sspool:hosts %s", kv_prefix, h));
                }
                kv_free(r);
            }
            kv_free(hosts);
            if (ok && seen) {
                *records = sum;
                memcpy(rows, rsum, sizeof rsum);
                if (sum > 0 && oldest > 0) {
                    long long age = (spool_now_us() - oldest) / 1000000LL;
                    *oldest_age_s = age > 0 ? age : 0;
                }
                return 0;
            }
        } else {
            kv_free(hosts);
        }
    }
    return shipper_backlog_rows_local(records, oldest_age_s, rows) == 0 ? 0 : -1;
}

int shipper_backlog(long long *records, long long *oldest_age_s)
{
    long long rows[SHIPPER_ROW_KINDS];
    return shipper_backlog_rows(records, oldest_age_s, rows);
}

/* ---------------------------------------------------------------- driver */

static int take_lock(int wait)
{
    char p[PATH_MAX];
    if (path_of(p, sizeof p, LOCK_NAME, "") != 0) return -1;
    int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0660);
    if (fd < 0) return -1;
    int rc;
    do {
        rc = flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB));
    } while (rc != 0 && errno == EINTR);
    if (rc != 0) {
        close(fd);
        return -2;
    }
    return fd;
}

/* One pass. flush: also read live workers' open segments and ignore the
 * backoff. Returns 0 (spool empty), 1 (more), or a negative SHIPPER_E*. */
static int ship_pass(long budget_ms, int flush, long long *shipped)
{
    long long start = mono_us();
    long long deadline = start + (budget_ms > 0 ? budget_ms : 1) * 1000LL;
    long long fails, next_us;
    state_read(&fails, &next_us);
    if (!flush && fails > 0 && spool_now_us() < next_us) {
        publish(fails, 0);
        return 0;                       /* backing off: not a new failure */
    }
    ent_t *e;
    size_t n;
    if (list_spool(&e, &n) != 0) return SHIPPER_EIO;

    seg_t *segs = calloc(n ? n : 1, sizeof *segs);
    size_t ns = 0;
    long long t0 = 0;
    int unloaded = 0;
    for (size_t i = 0; i < n && segs; i++) {
        sweep(&e[i]);
        unsigned k = e[i].kinds;
        if ((k & K_OPEN) && !(k & K_SEG)) k = claim_open(e[i].base);
        int kind = (k & K_SEG) ? SEG_CLOSED : (k & K_OPEN) ? SEG_LIVE : 0;
        if (!kind || (kind == SEG_LIVE && !flush)) continue;
        if (ns >= LOAD_MAX_SEGS || (ns > 0 && e[i].open_us > t0 + MERGE_WINDOW_US)) {
            unloaded = 1;
            continue;
        }
        seg_t *s = &segs[ns];
        memcpy(s->base, e[i].base, sizeof s->base);
        s->kind = kind;
        if (seg_load(s) != 0) {
            seg_free(s);
            memset(s, 0, sizeof *s);
            continue;
        }
        if (ns == 0) t0 = e[i].open_us;
        ns++;
    }
    free(e);
    if (!segs) return SHIPPER_EFAIL;

    run_result_t res = { 0, 0, SHIPPER_OK };
    run_segments(segs, ns, deadline, &res);
    for (size_t i = 0; i < ns; i++) seg_free(&segs[i]);
    free(segs);
    *shipped += res.shipped;

    if (res.rc == SHIPPER_ENOHANDLER && flush) {
        /* echelon-ctl without the handlers: its own bug, not a reason to
         * make the workers back off. */
        log_err(MOD, "flush: this process has no handler for a spooled record type");
        return res.rc;
    }
    if (res.rc == SHIPPER_EFAIL || res.rc == SHIPPER_ENOHANDLER) {
        fails++;
        long long wait = backoff_s(fails);
        state_write(fails, spool_now_us() + wait * 1000000LL);
        log_warn(MOD, "shipping failed (%s, %lld consecutive): %lld records shipped this run; "
                 "next attempt in %lld s", res.rc == SHIPPER_EFAIL ? "MariaDB" : "no handler",
                 fails, res.shipped, wait);
        publish(fails, 1);
        return res.rc;
    }
    if (fails > 0) {
        log_info(MOD, "shipping recovered after %lld failed cycles", fails);
        state_write(0, 0);
    }
    publish(0, res.shipped > 0);
    if (res.rc != SHIPPER_OK) return res.rc;
    return (res.more || unloaded) ? 1 : 0;
}

int shipper_run(long budget_ms)
{
    int fd = take_lock(0);
    if (fd == -2) return 0;            /* another process on this host ships */
    if (fd < 0) return -1;
    long long shipped = 0;
    /* main.c passes 500 ms on an idle wake-up, 200 ms after a response. After
     * a response the next request may already wait for this worker: keep the
     * run short. Idle (nothing was waiting), drain for the whole budget. */
    long eff = budget_ms >= IDLE_BUDGET_MS ? budget_ms : budget_ms < RUN_MAX_MS ? budget_ms : RUN_MAX_MS;
    int rc = ship_pass(eff, 0, &shipped);
    close(fd);
    return rc < 0 ? -1 : rc;
}

/* The job's gate: while another process holds the run lock (echelon-ctl
 * flush, or a long pass of another shipper), a forked shipper would only
 * find it taken and exit; workers check before forking (several times a
 * second each) instead. */
static int run_lock_free(void)
{
    int fd = take_lock(0);
    if (fd < 0) return fd == -2 ? 0 : 1;    /* an I/O error: let the run report it */
    close(fd);
    return 1;
}

/* A process without the handlers (echelon-ctl built without a module's
 * registration) cannot ship: let the workers do it, which they do within
 * about a second of being idle (rotate job, then the shipper job). */
static int wait_for_workers(long timeout_ms)
{
    long long end = mono_us() + timeout_ms * 1000LL;
    long long recs = 0, age = 0;
    while (mono_us() < end) {
        if (shipper_backlog_local(&recs, &age) == 0 && recs == 0) return SHIPPER_OK;
        struct timespec ts = { 0, 100 * 1000000L };
        nanosleep(&ts, NULL);
    }
    log_err(MOD, "flush: %lld records still spooled after %ld ms", recs, timeout_ms);
    return SHIPPER_EFAIL;
}

int shipper_flush_all(void)
{
    int fd = take_lock(1);
    if (fd < 0) return SHIPPER_EIO;
    long long shipped = 0;
    int rc = 1;
    /* Live workers keep appending: each pass ships what exists when it
     * reads; a bounded number of passes catches what arrived meanwhile. */
    for (int pass = 0; pass < 1000 && rc == 1; pass++) rc = ship_pass(60000, 1, &shipped);
    close(fd);
    log_info(MOD, "flush: %lld records shipped", shipped);
    if (rc == SHIPPER_ENOHANDLER) {
        log_warn(MOD, "flush: no handler here for a spooled type; waiting for the workers");
        return wait_for_workers(30000);
    }
    return rc < 0 ? rc : rc == 0 ? SHIPPER_OK : SHIPPER_EFAIL;
}

int shipper_ctl_flush(int argc, char **argv)
{
    (void)argc; (void)argv;
    int rc = shipper_flush_all();
    long long recs = 0, age = 0;
    shipper_backlog_local(&recs, &age);
    if (rc != SHIPPER_OK) {
        fprintf(stderr, "echelon-ctl flush: %s; %lld records still spooled\n",
                rc == SHIPPER_ENOHANDLER ? "no handler registered for a spooled record type"
                : rc == SHIPPER_EIO ? "spool directory unreadable"
                : "MariaDB refused the records (down?)", recs);
        return 1;
    }
    publish(0, 2);
    printf("flushed; %lld records spooled after the flush\n", recs);
    return 0;
}

static int shipper_job(long budget_ms)
{
    return shipper_run(budget_ms);
}

/* While a shipper hangs (MariaDB stopped mid-insert: up to the read
 * timeout), nobody else on the host may ship, so nobody would publish the
 * growing backlog. Every worker therefore checks once a second whether its
 * host's publication is stale and refreshes it from the local spool. */
static int backlog_job(long budget_ms)
{
    (void)budget_ms;
    char host[256];
    host_name(host, sizeof host);
    kv_reply_t *r = kv_cmd("HGET %sspool:backlog:%s updated", kv_prefix, host);
    if (!r) return 0;                  /* Redis down: nothing to publish to */
    long long updated = kv_type(r) == KV_NIL ? 0 : kv_int(r);
    kv_free(r);
    if (spool_now_us() / 1000000LL - updated < 3) return 0;
    long long fails, next_us;
    state_read(&fails, &next_us);
    publish(fails, 2);
    return 0;
}

void shipper_init(void)
{
    /* In a forked child: a worker that ships stops answering meanwhile. */
    jobs_register_bg("shipper", shipper_job, 250, JOB_HOST, 3000);
    jobs_set_gate("shipper", run_lock_free);
    jobs_register("spool-backlog", backlog_job, 1000, JOB_LOCAL);
}

void shipper_test_mode(int (*db_alive_fn)(void))
{
    test_mode = 1;
    test_db_alive = db_alive_fn;
}
