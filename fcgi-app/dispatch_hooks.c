/* dispatch_hooks.c -- which module provides each dispatcher seam (see .h).
 *
 * Worker start registers every deferred job (spool rotation and shipping,
 * per-worker caches, feeds reload, request statistics, maintenance and the
 * correlator sweep); nothing here runs on the request path except the cheap
 * per-request calls below. */
#include "dispatch_hooks.h"
#include <gcrypt.h>
#include <string.h>
#include "admin/admin.h"
#include "api/auth.h"
#include "api/maintain.h"
#include "api/stats.h"
#include "collect/collect.h"
#include "collect/tracker.h"
#include "core/log.h"
#include "defense/defense.h"
#include "store/db.h"
#include "store/jobs.h"
#include "store/secret.h"
#include "store/shipper.h"
#include "store/spool.h"

static int secret_job(long budget_ms)
{
    (void)budget_ms;
    return secret_ensure() == 0 ? 0 : -1;
}

void hook_worker_start(void)
{
    if (!gcry_control(GCRYCTL_INITIALIZATION_FINISHED_P)) {
        gcry_check_version(NULL);
        gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
        gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
    }
    /* Without a configured secret every worker must use the cluster's shared
     * one before it verifies a token; retry from a job while MariaDB is down. */
    if (secret_ensure() != 0) {
        log_warn("main", "no secret yet (MariaDB unreachable); retrying");
        jobs_register("secret", secret_job, 1000, JOB_LOCAL);
    }
    auth_startup_check();
    spool_init();
    shipper_init();
    defense_init();
    collect_init();
    tracker_init();
    stats_init();
    maintain_init();
}

void hook_worker_stop(void)
{
    /* Close the open spool segment so the shipper takes it at once. */
    spool_rotate(1);
}

/* Statistics reads (GET /api/stats/..., /api/bots/..., admin pages) go to
 * the read replica when ECHELON_DB_READ_HOST is set; everything else, and
 * every write, to the primary. */
static int reads_stats(const req_t *req)
{
    if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) return 0;
    const char *p = req->path;
    return strncmp(p, "/api/stats/", 11) == 0 || strncmp(p, "/api/bots/", 10) == 0 ||
           (strncmp(p, "/admin", 6) == 0 && strncmp(p, "/admin/login", 12) != 0);
}

void hook_before_route(req_t *req, resp_t *resp)
{
    (void)resp;
    db_use_replica(reads_stats(req));
    defense_note_request(req);
}

int hook_is_static_asset(const char *path) { return admin_is_static_asset(path); }

int hook_auth_api(req_t *req, resp_t *resp) { return auth_api(req, resp); }

int hook_auth_admin(req_t *req, resp_t *resp) { return auth_admin(req, resp); }

void hook_after_response(req_t *req, resp_t *resp, long duration_us)
{
    db_use_replica(0);
    stats_note_request(req, resp, (double)duration_us / 1000.0);
}
