/* spool: the worker's local, crash-safe buffer between a request and MariaDB.
 *
 * Owns: this worker's current segment file in cfg->spool_dir and the on-disk
 * layout the shipper (store/shipper.h) reads. Each record is appended with
 * ONE write(2) on an O_APPEND descriptor, so a kill -9 loses nothing the
 * kernel accepted, and costs no network I/O. A record is one line
 *
 *     <type> TAB <arrival_us> TAB <payload> LF
 *
 * where type is a short name registered with shipper_register(), arrival_us
 * is the arrival time (CLOCK_REALTIME, microseconds since the epoch) added
 * here so the shipper can merge segments of all workers in arrival order,
 * and payload is the caller's serialized record (json-c output without
 * pretty-printing contains no raw LF). Records must carry their own unique
 * id: a segment can be shipped twice (crash between COMMIT and delete).
 *
 * Files in the spool dir (NAME = seg-<open_us, 16 digits>-<pid>-<seq>, so
 * names sort by opening time):
 *   NAME.new   being created (not yet locked by its owner; never read)
 *   NAME.open  the owner's current segment; the owner holds flock(LOCK_EX)
 *              on it for its whole life, so "lock obtainable" = owner dead
 *              (robust against pid reuse and kill -9)
 *   NAME.seg   closed (renamed from .open after ~250 ms or SPOOL_ROTATE_RECORDS)
 *   NAME.pos   shipper progress in that segment ("<offset> <records>")
 *
 * Promises: a record for which spool_append() returned 0 is complete on disk
 * (page cache) and ends with LF; a failed append leaves no partial record
 * behind except when even the rollback failed, and then the segment is
 * closed at once so the partial line is its unterminated tail, which the
 * shipper ignores. Never: opens a socket, blocks on a lock, fsyncs.
 *
 * Usage on the hot path:
 *     if (spool_append("v", line, len) != 0 &&
 *         shipper_ship_now("v", line, len) != 0)
 *         log_err(...);   // both failed: the record is lost, say so
 */
#ifndef ECHELON_STORE_SPOOL_H
#define ECHELON_STORE_SPOOL_H
#include <stddef.h>

#define SPOOL_TYPE_MAX 15              /* [a-z0-9_], 1..15 chars */
#define SPOOL_PAYLOAD_MAX (256 * 1024) /* larger payloads are refused */
#define SPOOL_ROTATE_MS 250            /* close a segment this old ... */
#define SPOOL_ROTATE_RECORDS 4096      /* ... or holding this many records */

enum {
    SPOOL_OK = 0,
    SPOOL_EINVAL = -1,  /* bad type, payload with LF/NUL or too long: caller bug */
    SPOOL_EIO = -2,     /* spool dir missing/unwritable, disk full: fall back */
};

/* Register the local "spool-rotate" job (store/jobs.h) that closes an idle
 * segment once it is SPOOL_ROTATE_MS old. Call once per worker after
 * config_load(). Appending works without it (segments then close on the
 * next append past the limits, or are claimed when the worker dies). */
void spool_init(void);

/* Append one record. Returns SPOOL_OK, SPOOL_EINVAL or SPOOL_EIO. */
int spool_append(const char *type, const char *payload, size_t len);

/* Close the current segment if it is old/full (force = 0) or now (force = 1).
 * Returns 0, or SPOOL_EIO when the rename failed (the segment stays open). */
int spool_rotate(int force);

/* ---- layout helpers, shared with the shipper and unit tests ---- */

/* 1 if type matches [a-z0-9_]{1,SPOOL_TYPE_MAX}. */
int spool_type_valid(const char *type);

/* Format the record prefix "<type>\t<arrival_us>\t" into out (capacity
 * outsz). Returns its length, or SPOOL_EINVAL. */
int spool_format_prefix(char *out, size_t outsz, const char *type, long long arrival_us);

/* Parse one line [line, line+len) WITHOUT its LF. On success points type /
 * payload into the line (not NUL-terminated) and returns 0; SPOOL_EINVAL
 * when malformed. */
int spool_parse_line(const char *line, size_t len,
                     const char **type, size_t *type_len,
                     long long *arrival_us,
                     const char **payload, size_t *payload_len);

enum { SPOOL_SEG_NEW = 1, SPOOL_SEG_OPEN, SPOOL_SEG_CLOSED, SPOOL_SEG_POS };
/* Classify a directory entry; writes the base NAME (without suffix) into
 * base (capacity >= 64) and its open time / pid when given. Returns one of
 * SPOOL_SEG_*, or 0 for a file that is not ours. */
int spool_name_parse(const char *fname, char *base, size_t basesz,
                     long long *open_us, long *pid);
/* Base name for a segment opened at open_us by pid, sequence seq. */
int spool_name_make(char *out, size_t outsz, long long open_us, long pid, unsigned seq);

/* The spool directory: the override if set, else cfg->spool_dir (NULL if
 * neither). spool_set_dir() is for tests and tools (copied; NULL clears). */
const char *spool_dir_path(void);
void spool_set_dir(const char *dir);

/* Microseconds since the epoch (CLOCK_REALTIME). */
long long spool_now_us(void);
#endif
