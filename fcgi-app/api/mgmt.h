/* mgmt: the management API handlers (spec/40 §3, §4.8), one file each.
 *
 * Owns: campaigns.c, experiments.c, bots_admin.c (exclude/include),
 * sites.c (consent CSS), perf.c, debug.c, ingest.c, misc.c (robots.txt,
 * sitemap.xml, llms.txt, "/"). Promises: every status code, error body and
 * JSON key order of spec/40 §3; authentication, CSRF and public mode have
 * already been applied by auth_api() before any of these runs. Never: talks
 * to a socket or library directly (store/db.h, store/kv.h only). */
#ifndef ECHELON_API_MGMT_H
#define ECHELON_API_MGMT_H
#include <stddef.h>
#include "core/http.h"

/* campaigns.c -- spec/40 §3.2 */
void api_campaigns_list(req_t *req, resp_t *resp);
void api_campaigns_create(req_t *req, resp_t *resp);
void api_campaigns_get(req_t *req, resp_t *resp);
void api_campaigns_patch(req_t *req, resp_t *resp);
void api_campaigns_delete(req_t *req, resp_t *resp);

/* experiments.c -- spec/40 §3.3 */
void api_experiments_list(req_t *req, resp_t *resp);
void api_experiments_create(req_t *req, resp_t *resp);
void api_experiments_patch(req_t *req, resp_t *resp);
/* The state machine of §3.3 step 5: 1 when from -> to is allowed. */
int experiments_transition_ok(const char *from, const char *to);

/* bots_admin.c -- spec/40 §3.4 (the read endpoints belong to bots_read.c) */
void api_bots_exclude(req_t *req, resp_t *resp);
void api_bots_include(req_t *req, resp_t *resp);

/* sites.c -- spec/40 §3.5 */
void api_sites_get(req_t *req, resp_t *resp);
void api_sites_patch(req_t *req, resp_t *resp);
/* The consent-CSS sanitiser of §3.5 step 4 (input already truncated).
 * Returns a malloc'd NUL-terminated string (caller frees), *outlen its
 * length; NULL on allocation failure. */
char *sites_sanitize_css(const char *css, size_t n, size_t *outlen);

/* perf.c -- spec/40 §3.8, spec/30 §2.13-2.15 */
void api_perf_post(req_t *req, resp_t *resp);
void api_perf_get(req_t *req, resp_t *resp);
void api_perf_trends(req_t *req, resp_t *resp);

/* debug.c -- spec/40 §3.7 */
void api_debug_get(req_t *req, resp_t *resp);
void api_debug_post(req_t *req, resp_t *resp);
/* Effective debug flag (ECHELON_DEBUG or the Redis override), cached <= 1 s. */
int debug_enabled(void);

/* ingest.c -- spec/40 §3.6 + product decision 1 */
void api_ingest(req_t *req, resp_t *resp);

/* misc.c -- spec/40 §4.8 */
void misc_root(req_t *req, resp_t *resp);
void misc_robots(req_t *req, resp_t *resp);
void misc_sitemap(req_t *req, resp_t *resp);
void misc_llms(req_t *req, resp_t *resp);
#endif
