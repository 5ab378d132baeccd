/* livebar: the figures of the admin live-stats bar (spec/30 §4.3, spec/40
 * §6.1) and the sub-request seam that lets pages read the statistics API's
 * own answers.
 *
 * Owns: counting the window's human/bot/unique views (MariaDB, index
 * (created_at, bot_score)), reading the cluster-wide request buckets and
 * boot time that api/stats.h publishes in Redis, the spool backlog
 * (store/shipper.h), and running a GET handler in-process for a page.
 * Promises: never fails a page: Redis or MariaDB down yields zeros; in public
 * mode buffers, ms, rps and uptime are 0 (§2.11).
 * Never: writes to Redis or MariaDB. */
#ifndef ECHELON_ADMIN_LIVEBAR_H
#define ECHELON_ADMIN_LIVEBAR_H
#include <json-c/json.h>
#include "core/router.h"

typedef struct admin_live {
    long long window_min;      /* ECHELON_LIVE_STATS_MINUTES */
    long long human, bots, unique;
    long long view_buf, event_buf;
    long long avg_ms;          /* rounded */
    double rps;                /* 2 decimals */
    long long uptime_s;
} admin_live_t;

void admin_live_stats(admin_live_t *out, int public_mode);

/* Run the GET handler `fn` for "path?query" as a sub-request of req (same
 * headers and auth) and parse its JSON answer. Returns the HTTP status, with
 * *out set (caller puts) when the status is 200 and the body parsed. */
int admin_subrequest(req_t *req, route_fn fn, const char *path, const char *query,
                     json_object **out);
#endif
