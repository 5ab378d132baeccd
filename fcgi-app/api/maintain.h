/* maintain: the daily rollups, retention purges and `maintenance_log`
 * (spec/30 §3, product decisions 5 and 6).
 *
 * Owns: `visitor_views_daily`, `visitor_views_daily_dim` and
 * `maintenance_log` (their only writer), the retention DELETEs of the raw
 * tables and `perf_metrics`, the MariaDB named lock `echelon_maint` that
 * serializes every run on every host, and the "maintain" JOB_CLUSTER job.
 *
 * Promises:
 *   - a day D counts as rolled up exactly when its `maintenance_log` row is
 *     'complete'; readers (api/stats_overview.c) take rolled-up days from the
 *     rollup tables and every other day from raw rows, so no day is ever
 *     missing or counted twice;
 *   - rolling D up replaces all of D's groups in one transaction (re-running
 *     is idempotent; groups that vanished are removed);
 *   - never loses a day: a run re-rolls every non-complete row (retry pass)
 *     and rolls up every day of the raw retention window that has no row
 *     (catch-up), then yesterday once it is past 03:00 UTC;
 *   - runs are serialized by GET_LOCK('echelon_maint'), held on the
 *     connection for the whole run (released if the process dies).
 * Never: runs on the request path (except maintain_mark_stale, one UPDATE),
 * rolls up today or a future day (an incomplete day would freeze). */
#ifndef ECHELON_API_MAINTAIN_H
#define ECHELON_API_MAINTAIN_H
#include <stddef.h>
#include "api/stats_agg.h"

enum {
    MAINTAIN_OK = 0,
    MAINTAIN_EINVAL = -1,      /* bad date text, or a date not in the past */
    MAINTAIN_EBUSY = -2,       /* another run holds the lock */
    MAINTAIN_EDB = -3,         /* MariaDB refused or is down */
};

/* Count into `a` (api/stats_agg.h) the clean rows of `visitor_views` with
 * from <= created_at < to ("YYYY-MM-DD HH:MM:SS.mmm") whose visitor is not
 * excluded, of one site (NULL: every site) -- exactly the rows the rollup of
 * spec/30 §3.4 counts, grouped as it groups them. The overview counts its
 * raw days with this, so a raw day and its later rollup agree.
 * MAINTAIN_OK or MAINTAIN_EDB. */
int maintain_scan(agg_t *a, const char *site, const char *from, const char *to);

typedef struct maintain_report {
    int target_done;           /* yesterday was rolled up and purged in this run */
    long days_rolled;          /* days rolled up (retry + catch-up + target) */
    long long rollup_rows;     /* groups written for the target day */
    long long views_deleted, events_deleted;
    long long bot_views_deleted, bot_events_deleted;
    long long daily_deleted, perf_deleted;
    int more;                  /* budget ran out; call again */
} maintain_report_t;

/* Flags for maintain_run. */
enum {
    MAINTAIN_FORCE = 1,        /* redo yesterday even if complete (echelon-ctl maintain --force) */
    MAINTAIN_WAIT = 2,         /* wait up to 10 minutes for the lock instead of EBUSY */
    MAINTAIN_ANYHOUR = 4,      /* do yesterday even before 03:00 UTC */
};

/* The run sequence of spec/30 §3.3 with the catch-up of §3.8, as of now_ms
 * (epoch milliseconds; 0 = the clock). budget_ms > 0 stops between days once
 * exceeded (rep->more = 1). Returns MAINTAIN_OK or a negative code. */
int maintain_run(long long now_ms, int flags, long budget_ms, maintain_report_t *rep);

/* Roll up one day ("YYYY-MM-DD", strictly before today UTC) under the lock
 * (waits up to 30 s), and mark it complete. *groups = the
 * `visitor_views_daily` groups written (may be NULL). For echelon-ctl and
 * for ingest backfills that touched an already rolled-up day. */
int maintain_rollup_day(const char *date, long long *groups);

/* Cheap alternative for the request path: mark a rolled-up day stale (its
 * row leaves 'complete'), so readers use its raw rows at once and the next
 * maintenance job re-rolls it. 0 (also when the day was not rolled up) or
 * MAINTAIN_EINVAL / MAINTAIN_EDB. */
int maintain_mark_stale(const char *date);

/* The purge of spec/30 §3.5 alone, as of now_ms (0 = the clock), with the
 * retention days given (<= 0: from cfg). Fills the *_deleted fields. */
int maintain_purge(long long now_ms, long retention, long bot_retention, maintain_report_t *rep);

/* Register the "maintain" JOB_CLUSTER job (every 10 minutes; it does
 * nothing when no day is due). Call once per worker. */
void maintain_init(void);
/* The job body (store/jobs.h job_fn). */
int maintain_job(long budget_ms);

/* echelon-ctl commands (argv after the command name; exit status):
 *   maintain [--force]              the run now, any hour; prints a JSON report
 *   rollup YYYY-MM-DD...            re-roll past days; prints "date groups"
 *   purge [RETENTION [BOT_RET]]     the purge alone; prints a JSON report */
int maintain_ctl_maintain(int argc, char **argv);
int maintain_ctl_rollup(int argc, char **argv);
int maintain_ctl_purge(int argc, char **argv);
#endif
