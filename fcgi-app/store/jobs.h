/* jobs: deferred work run by a worker after it finished a response, or when
 * it wakes up idle (at most every second).
 *
 * Owns: a small registry of jobs (name, period, scope) and running those that
 * are due. A job of scope JOB_HOST runs in one worker per host at a time
 * (a flock on a file in the spool dir); JOB_CLUSTER runs in one worker of
 * the whole cluster (a Redis lock with TTL, and a Redis "next due" time so
 * hosts agree when it last ran). Promises: a job never runs while a request
 * is being answered; a failing job is logged and retried at its next period.
 * Never: runs jobs on the request path. */
#ifndef ECHELON_STORE_JOBS_H
#define ECHELON_STORE_JOBS_H

typedef enum job_scope { JOB_LOCAL, JOB_HOST, JOB_CLUSTER } job_scope_t;

/* A job returns 0 when done, 1 when it has more work (run again soon), -1 on
 * failure. `budget_ms` is a soft limit: long work stops and resumes later. */
typedef int (*job_fn)(long budget_ms);

void jobs_register(const char *name, job_fn fn, long period_ms, job_scope_t scope);
/* Like jobs_register, but the job runs in a forked child of the worker (with
 * its own MariaDB and Redis connections) so the worker goes straight back to
 * answering requests: for work that waits on the network or runs long
 * (spool shipping, maintenance, correlator sweeps). JOB_HOST and
 * JOB_CLUSTER only. The child runs the job until it returns 0/-1 or
 * `bg_budget_ms` passes. */
void jobs_register_bg(const char *name, job_fn fn, long period_ms, job_scope_t scope, long bg_budget_ms);
/* A cheap check run before a background job forks (after its own lock):
 * 0 = nothing it could do now (say, another process holds the resource it
 * needs), so no child is forked for it this period. */
void jobs_set_gate(const char *name, int (*gate)(void));
/* Worker start-up: remember whether we are the worker (fork allowed). */
void jobs_set_background_allowed(int allowed);
/* Run due jobs; returns after at most ~budget_ms of work. */
void jobs_run_due(long budget_ms);
/* Run one job by name now, ignoring its period (echelon-ctl). Returns its result. */
int jobs_run_now(const char *name, long budget_ms);
#endif
