/* jobs.c -- deferred work after responses and on idle wake-ups (see jobs.h).
 *
 * The cheap path matters: jobs_run_due() runs after every response, so when
 * nothing is due it only compares a few monotonic timestamps. Cluster-scoped
 * jobs consult Redis only when their local timer fires. */
#include "store/jobs.h"
#include "store/kv.h"
#include "core/config.h"
#include "core/log.h"
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#define MAX_JOBS 32

typedef struct job {
    const char *name;
    job_fn fn;
    long period_ms;
    job_scope_t scope;
    long long next_ms;         /* monotonic */
} job_t;

static job_t jobs[MAX_JOBS];
static int njobs;

static long long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long long wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void jobs_register(const char *name, job_fn fn, long period_ms, job_scope_t scope)
{
    for (int i = 0; i < njobs; i++)
        if (strcmp(jobs[i].name, name) == 0) return;
    if (njobs == MAX_JOBS) {
        log_err("jobs", "too many jobs; %s not registered", name);
        return;
    }
    /* Spread first runs so workers started together do not all fire at once. */
    long jitter = period_ms > 1000 ? (long)((unsigned)getpid() % (unsigned)(period_ms / 4 + 1)) : 0;
    jobs[njobs++] = (job_t){ name, fn, period_ms, scope, mono_ms() + jitter };
}

static int host_lock(const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/.lock-%s", cfg->spool_dir, name);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0660);
    if (fd < 0) return -1;
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int run_job(job_t *j, long budget_ms, int force)
{
    int rc = 0;
    if (j->scope == JOB_LOCAL) return j->fn(budget_ms);
    if (j->scope == JOB_HOST) {
        int fd = host_lock(j->name);
        if (fd < 0) return 0;               /* another worker on this host has it */
        rc = j->fn(budget_ms);
        flock(fd, LOCK_UN);
        close(fd);
        return rc;
    }
    /* JOB_CLUSTER: one runner in the cluster, and hosts agree on "last ran". */
    char key[160], tok[33];
    snprintf(key, sizeof key, "job:%s:next", j->name);
    long long now = wall_ms();
    if (!force) {
        kv_reply_t *r = kv_cmd("GET %s%s", kv_prefix, key);
        if (!r) return 0;                   /* Redis down: cluster jobs wait */
        long long next = kv_int(r);
        kv_free(r);
        if (next > now) return 0;
    }
    char lockname[160];
    snprintf(lockname, sizeof lockname, "job:%s:lock", j->name);
    long ttl = budget_ms * 4 > 60000 ? budget_ms * 4 : 60000;
    if (kv_lock(lockname, ttl, tok) != 1) return 0;
    rc = j->fn(budget_ms);
    if (rc >= 0) {
        kv_reply_t *r = kv_cmd("SET %s%s %lld", kv_prefix, key, rc == 1 ? now : now + j->period_ms);
        kv_free(r);
    }
    kv_unlock(lockname, tok);
    return rc;
}

void jobs_run_due(long budget_ms)
{
    long long start = mono_ms();
    for (int i = 0; i < njobs; i++) {
        job_t *j = &jobs[i];
        long long now = mono_ms();
        if (now < j->next_ms) continue;
        if (now - start > budget_ms) break;
        int rc = run_job(j, budget_ms, 0);
        if (rc < 0) log_warn("jobs", "%s failed; retrying in %ld ms", j->name, j->period_ms);
        j->next_ms = mono_ms() + (rc == 1 ? 0 : j->period_ms);
    }
}

int jobs_run_now(const char *name, long budget_ms)
{
    for (int i = 0; i < njobs; i++)
        if (strcmp(jobs[i].name, name) == 0) return run_job(&jobs[i], budget_ms, 1);
    return -1;
}
