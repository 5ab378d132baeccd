/* shipper: moves spooled records (store/spool.h) into Redis and MariaDB.
 *
 * Owns: the per-type registry of batch handlers, the "shipper" JOB_HOST job
 * (store/jobs.h), progress files and the dead-letter file in the spool dir,
 * the backlog figures and their publication in Redis.
 *
 * A run takes, under its own flock (spool_dir/shipper.lock, so one shipper
 * per host), the closed segments and the open segments of dead workers
 * (claimed: renamed to .seg), oldest first; merges their records in arrival
 * order (each segment keeps its file order); cuts batches of at most
 * SHIPPER_BATCH_MAX records and, per batch, calls the handler of each type
 * present with that type's records, in arrival order. A segment is deleted
 * only after every batch holding its records returned 0; partial progress
 * is kept in NAME.pos so a restarted run resumes after what committed.
 *
 * A handler does its ONE pipelined Redis exchange and ONE multi-row
 * INSERT IGNORE keyed by the records' unique ids, and returns 0 only after
 * COMMIT. Redis down: it still inserts and returns 0. It returns < 0 when
 * MariaDB refused the batch; then the shipper
 *   - if MariaDB answers a ping: retries the records one by one and moves a
 *     record that still fails (a "poison" record) to spool_dir/deadletter.log
 *     (the raw spool line) so it cannot block the spool forever;
 *   - else (MariaDB down): stops, keeps everything on disk, and backs off
 *     (2 s, 4 s, 8 s ... at most 30 s between attempts, shared by all
 *     workers through spool_dir/shipper.state). No busy loop.
 * Records are re-shipped after a crash between COMMIT and progress update:
 * handlers must be idempotent in MariaDB (INSERT IGNORE on the unique id).
 *
 * Backlog (records spooled, not yet committed: closed, dead and live open
 * segments) is published after every run, per host, in Redis:
 *     HASH  <kv_prefix>spool:backlog:<hostname>
 *           records     <n>
 *           views       <rows the backlog's records hold, by the counters
 *           events       registered with shipper_register_counter()>
 *           oldest_us   <arrival of the oldest unshipped record, 0 if none>
 *           failures    <consecutive failed cycles, 0 after a success>
 *           updated     <unix seconds of publication>
 *     (expires after SHIPPER_BACKLOG_TTL_S without a run)
 *     SET   <kv_prefix>spool:hosts   hostnames that published
 *
 * Never: runs on the request path (except shipper_ship_now(), the disk-full
 * fallback), sleeps between retries, deletes a record before its COMMIT. */
#ifndef ECHELON_STORE_SHIPPER_H
#define ECHELON_STORE_SHIPPER_H
#include <stddef.h>

/* Records per batch (one MariaDB transaction). The handler's fixed costs
 * per batch (its first chunk decided before any insert, segment positions,
 * the segment listing) weighed ~10 us per record at 500, ~3 at 2000. */
#define SHIPPER_BATCH_MAX 2000
#define SHIPPER_BACKLOG_TTL_S 600

/* One spooled record as a handler sees it. payload is NUL-terminated
 * (payload[len] == '\0') and valid only during the call. */
typedef struct shipper_rec {
    const char *type;
    const char *payload;
    size_t len;
    long long arrival_us;      /* when the worker spooled it (epoch us) */
} shipper_rec_t;

/* Handle n >= 1 records of one type, in arrival order. Return 0 only when
 * MariaDB committed them (or the type stores nothing in MariaDB), < 0
 * otherwise (nothing is assumed committed; the records come again). */
typedef int (*shipper_batch_fn)(const shipper_rec_t *recs, size_t n);

/* The backlog split by the rows its records will become (vitals "buffers"),
 * before any ship-time decision (rate limit, discard score) drops some. */
enum { SHIPPER_ROWS_VIEWS = 0, SHIPPER_ROWS_EVENTS = 1, SHIPPER_ROW_KINDS = 2 };

/* Add to rows[] what ONE record of the type will become. payload is the
 * record's payload, NOT NUL-terminated. It runs on every new spool line the
 * backlog count reads (about once a second, at peak the whole write rate):
 * look at as few bytes as possible; never allocate on the common layout. */
typedef void (*shipper_count_fn)(const char *payload, size_t len,
                                 long long rows[SHIPPER_ROW_KINDS]);

enum {
    SHIPPER_OK = 0,
    SHIPPER_EINVAL = -1,       /* bad type / payload */
    SHIPPER_ENOHANDLER = -2,   /* type not registered in this process */
    SHIPPER_EFAIL = -3,        /* a handler failed (MariaDB down ...) */
    SHIPPER_EBUSY = -4,        /* another shipper holds the lock */
    SHIPPER_EIO = -5,          /* spool dir unreadable */
};

/* Register the handler of a record type (spool_type_valid() names). Call at
 * process start, in every process that ships: the workers AND echelon-ctl.
 * Re-registering a type replaces its handler. Returns 0 or SHIPPER_EINVAL. */
int shipper_register(const char *type, shipper_batch_fn fn);
/* Register the row counter of a record type (optional; records of a type
 * without one count in the record total only). Call where the handler is
 * registered; re-registering replaces. Returns 0 or SHIPPER_EINVAL. */
int shipper_register_counter(const char *type, shipper_count_fn fn);

/* Register the "shipper" job (JOB_HOST, every 250 ms) and the local
 * "spool-backlog" job (every second: republish this host's backlog when the
 * publication is older than 3 s, e.g. while the shipper hangs on a stopped
 * MariaDB). Call once per worker after the handlers are registered. */
void shipper_init(void);

/* The job itself: ship for about budget_ms. Returns 0 when the spool is
 * empty, 1 when more work remains, -1 on failure or backoff. */
int shipper_run(long budget_ms);

/* Disk-full fallback on the request path: hand one record synchronously to
 * its handler. Returns SHIPPER_OK, SHIPPER_EINVAL, SHIPPER_ENOHANDLER or
 * SHIPPER_EFAIL. */
int shipper_ship_now(const char *type, const char *payload, size_t len);

/* echelon-ctl flush: ship everything now, including the complete records of
 * live workers' open segments, ignoring the backoff; waits for a running
 * shipper to finish first. A process lacking the handler of a spooled type
 * instead waits (up to 30 s) for the workers to ship it. Returns 0 when the
 * spool is empty afterwards, or a SHIPPER_E* code. */
int shipper_flush_all(void);

/* The `echelon-ctl flush` command (a row of ctl.c's command table): runs
 * shipper_flush_all(), prints what is left, exits 0 when the spool is empty. */
int shipper_ctl_flush(int argc, char **argv);

/* Backlog for /api/health and /api/stats/vitals: summed over every host's
 * Redis publication when Redis answers, else computed from the local spool
 * dir. *oldest_age_s is 0 when the backlog is empty. Returns 0, or -1 when
 * neither source is readable (then both outputs are 0). */
int shipper_backlog(long long *records, long long *oldest_age_s);
/* Local spool only (this host), never touches Redis. */
int shipper_backlog_local(long long *records, long long *oldest_age_s);
/* The same with the row split (rows[SHIPPER_ROWS_*]; zeros when neither
 * source is readable). A host publishing no split (older build) adds 0. */
int shipper_backlog_rows(long long *records, long long *oldest_age_s,
                         long long rows[SHIPPER_ROW_KINDS]);
int shipper_backlog_rows_local(long long *records, long long *oldest_age_s,
                               long long rows[SHIPPER_ROW_KINDS]);

/* Unit tests only: never touch Redis, and ask db_alive_fn (1 = up) instead
 * of pinging MariaDB when a handler fails. */
void shipper_test_mode(int (*db_alive_fn)(void));
#endif
