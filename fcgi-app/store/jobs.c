/* jobs.c -- deferred work after responses and on idle wake-ups (see jobs.h).
 *
 * The cheap path matters: jobs_run_due() runs after every response, so when
 * nothing is due it only compares a few monotonic timestamps. Cluster-scoped
 * jobs consult Redis only when their local timer fires.
 *
 * Background jobs run in a forked child. A worker that ships or rolls up
 * inline stops answering for that long, and the web server keeps queueing
 * requests on its socket (measured: p99 over a second at peak while one
 * worker shipped). The child holds the job's lock: for JOB_HOST the flock'd
 * descriptor it inherits (the parent closes its copy, the lock lives until
 * the child exits), for JOB_CLUSTER the Redis lock it releases itself. */
#include "store/jobs.h"
#include "store/db.h"
#include "store/kv.h"
#include "core/config.h"
#include "core/log.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_JOBS 32
#define BG_NICE 10

typedef struct job {
    const char *name;
    job_fn fn;
    long period_ms;
    job_scope_t scope;
    long long next_ms;         /* monotonic */
    long bg_budget_ms;         /* > 0: run in a forked child */
    pid_t child;               /* running child, 0 when none */
    int (*gate)(void);         /* NULL, or 0 = skip this period (bg only) */
} job_t;

static job_t jobs[MAX_JOBS];
static int njobs;
static int bg_allowed;

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

void jobs_set_background_allowed(int allowed) { bg_allowed = allowed; }

static void add(const char *name, job_fn fn, long period_ms, job_scope_t scope, long bg)
{
    for (int i = 0; i < njobs; i++)
        if (strcmp(jobs[i].name, name) == 0) return;
    if (njobs == MAX_JOBS) {
        log_err("jobs", "too many jobs; %s not registered", name);
        return;
    }
    /* Spread first runs so workers started together do not all fire at once. */
    long jitter = period_ms > 1000 ? (long)((unsigned)getpid() % (unsigned)(period_ms / 4 + 1)) : 0;
    jobs[njobs++] = (job_t){ name, fn, period_ms, scope, mono_ms() + jitter, bg, 0, NULL };
}

void jobs_register(const char *name, job_fn fn, long period_ms, job_scope_t scope)
{
    add(name, fn, period_ms, scope, 0);
}

void jobs_register_bg(const char *name, job_fn fn, long period_ms, job_scope_t scope, long bg_budget_ms)
{
    add(name, fn, period_ms, scope == JOB_LOCAL ? JOB_HOST : scope, bg_budget_ms > 0 ? bg_budget_ms : 1000);
}

void jobs_set_gate(const char *name, int (*gate)(void))
{
    for (int i = 0; i < njobs; i++)
        if (strcmp(jobs[i].name, name) == 0) jobs[i].gate = gate;
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

/* Run fn until it reports no more work or the budget is spent. */
static int drain(job_t *j, long budget_ms)
{
    long long end = mono_ms() + budget_ms;
    int rc;
    do {
        long left = (long)(end - mono_ms());
        rc = j->fn(left > 50 ? left : 50);
    } while (rc == 1 && mono_ms() < end);
    return rc;
}

/* Fork a child that runs the job; returns 1 when the child started (it owns
 * the lock from now on), 0 when the job ran inline instead. */
static int spawn(job_t *j, int lock_fd, const char *cluster_lock, const char *tok,
                 const char *next_key, long long now)
{
    pid_t pid = fork();
    if (pid < 0) {
        log_warn("jobs", "%s: fork failed (%s); running inline", j->name, strerror(errno));
        return 0;
    }
    if (pid > 0) {
        j->child = pid;
        return 1;
    }
    /* child */
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    signal(SIGALRM, SIG_DFL);
    alarm(0);
    db_forget_after_fork();
    kv_forget_after_fork();
    /* Background work yields to requests when the host is saturated; it
     * catches up as soon as there is idle CPU. */
    errno = 0;
    if (nice(BG_NICE) == -1 && errno) log_warn("jobs", "%s: nice failed", j->name);
    int rc = drain(j, j->bg_budget_ms);
    if (cluster_lock) {
        if (rc >= 0) kv_free(kv_cmd("SET %s%s %lld", kv_prefix, next_key, rc == 1 ? now : now + j->period_ms));
        kv_unlock(cluster_lock, tok);
    }
    if (lock_fd >= 0) close(lock_fd);
    db_close();
    kv_close();
    _exit(rc < 0 ? 1 : 0);
}

static int child_running(job_t *j)
{
    if (!j->child) return 0;
    int st;
    pid_t r = waitpid(j->child, &st, WNOHANG);
    if (r == 0) return 1;
    j->child = 0;
    return 0;
}

static int run_job(job_t *j, long budget_ms, int force)
{
    int rc = 0;
    int bg = j->bg_budget_ms > 0 && bg_allowed && !force;
    if (bg && child_running(j)) return 0;
    if (j->scope == JOB_LOCAL) return j->fn(budget_ms);
    if (j->scope == JOB_HOST) {
        int fd = host_lock(j->name);
        if (fd < 0) return 0;               /* another worker on this host has it */
        if (bg && j->gate && !j->gate()) {  /* a fork would find nothing to do */
            close(fd);
            return 0;
        }
        if (bg && spawn(j, fd, NULL, NULL, NULL, 0)) {
            close(fd);                      /* the child's copy keeps the lock */
            return 0;
        }
        rc = force ? drain(j, budget_ms) : j->fn(budget_ms);
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
    long longest = bg ? j->bg_budget_ms : budget_ms;
    long ttl = longest * 4 > 60000 ? longest * 4 : 60000;
    if (kv_lock(lockname, ttl, tok) != 1) return 0;
    if (bg && spawn(j, -1, lockname, tok, key, now)) return 0;
    rc = j->fn(budget_ms);
    if (rc >= 0) kv_free(kv_cmd("SET %s%s %lld", kv_prefix, key, rc == 1 ? now : now + j->period_ms));
    kv_unlock(lockname, tok);
    return rc;
}

void jobs_run_due(long budget_ms)
{
    long long start = mono_ms();
    /* Reap finished children now and then, not only when their job is next
     * due (minutes for cluster jobs). At most once a second: this runs after
     * every request, and a waitpid(2) per live child each time would put a
     * syscall on the hot path. */
    static long long last_reap;
    if (start - last_reap >= 1000) {
        last_reap = start;
        for (int i = 0; i < njobs; i++) child_running(&jobs[i]);
    }
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
