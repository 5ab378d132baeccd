/* cache: the per-worker copies of shared collection state (spec/10 §2.4,
 * §2.8, §5.9, §5.10; README decisions 3 and 9).
 *
 * Owns: the day's visitor/IP-hash key (today's and, shortly before midnight,
 * tomorrow's), the active-campaign set, the excluded-visitor set and the
 * cluster's published over-limit set.
 * Promises: lookups never do I/O (they read this worker's memory); the
 * "collect-caches" JOB_LOCAL job refreshes them at most once a second, off
 * the request path: generation counters in Redis (gen:campaigns,
 * gen:excluded) or a 60-s age trigger a reload from MariaDB, swapped in
 * whole. Redis or MariaDB down: the previous copy stays in use; with no
 * key for today at all (Redis down since start) a per-worker random key is
 * used and logged, so beacons are still stored (their visitor ids then
 * differ per worker until Redis is back).
 * Never: writes MariaDB; writes Redis only to create a missing day key
 * (SET NX). Key names: collect/live_keys.h. */
#ifndef ECHELON_COLLECT_CACHE_H
#define ECHELON_COLLECT_CACHE_H
#include <stddef.h>
#include "collect/visitor.h"

#define CACHE_TTL_MS 60000            /* reload even without a generation change */
#define CACHE_EXCLUDED_MAX 100000
#define CACHE_NEXT_DAY_LEAD_MS 600000 /* fetch tomorrow's key 10 min before midnight */

/* Load everything once (worker start, before accepting) and register the
 * refresh job. Never fails: missing sources are retried by the job. */
void cache_init(void);
/* The job body (store/jobs.h job_fn). */
int cache_refresh_job(long budget_ms);
/* Force a reload of everything now (tests, echelon-ctl). */
void cache_reload_all(void);

/* The HMAC key for the UTC date (YYYY-MM-DD) of ms; never NULL. */
const unsigned char *cache_day_key(long long now_ms);
int cache_campaign_active(const char *site_id, const char *campaign);
int cache_excluded(const char *visitor_id);
int cache_over_limit(const char *ip_hash);

/* ---- pure helpers, exposed for unit tests ---- */
/* A Redis value of the day key: 64 hex or 32 raw bytes -> key. 0 / -1. */
int cache_parse_day_key(const char *v, size_t n, unsigned char key[VISITOR_KEY_LEN]);
#endif
