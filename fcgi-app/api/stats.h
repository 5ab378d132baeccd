/* stats: the statistics read API (spec/30 §2.1-§2.8) and the cluster-wide
 * request statistics (spec/30 §4, product decision 11).
 *
 * Owns: the handlers of GET /api/stats/{overview,dashboard,realtime,summary,
 * vitals,campaigns,campaign-events,experiments}; the per-worker request
 * counters and their once-a-second flush to Redis (keys below).
 * Promises: handlers only read (MariaDB through store/db, Redis through
 * store/kv) and answer exactly the shapes of spec/30 §2; Redis down degrades
 * the live parts to MariaDB, never to an error; stats_note_request() costs
 * no I/O.
 * Never: writes rows, or talks to Redis on the request path of other
 * handlers (stats_note_request only updates memory).
 *
 * Redis keys (kv_prefix + name), written by the "stats-flush" job:
 *   stats:boot         STRING  ms of the first recorded request (SET NX)
 *   stats:tot          HASH    n, err: requests / responses >= 500 since boot
 *   stats:s:<sec>      HASH    per epoch second (EXPIRE 310 s):
 *                                n, sum (ms, float), max (ms, float),
 *                                h:<bucket> latency histogram (5 % buckets),
 *                                pn:<path> / ps:<path> per-path count / sum */
#ifndef ECHELON_API_STATS_H
#define ECHELON_API_STATS_H
#include "core/http.h"

void stats_overview_handler(req_t *req, resp_t *resp);
void stats_dashboard_handler(req_t *req, resp_t *resp);
void stats_realtime_handler(req_t *req, resp_t *resp);
void stats_summary_handler(req_t *req, resp_t *resp);
void stats_vitals_handler(req_t *req, resp_t *resp);
void stats_campaigns_handler(req_t *req, resp_t *resp);
void stats_campaign_events_handler(req_t *req, resp_t *resp);
void stats_experiments_handler(req_t *req, resp_t *resp);

/* Register the request-statistics flush job (and the maintenance job). Call
 * once per worker after config_load(). */
void stats_init(void);

/* Record one finished request (spec/30 §4.1): its path (no query), status
 * and duration in ms. Memory only; the flush job ships it to Redis. Called
 * by the dispatcher after each response. */
void stats_note_request(const req_t *req, const resp_t *resp, double duration_ms);
/* The same with explicit values (echelon-ctl, tests). */
void stats_note(const char *path, int status, double duration_ms);
/* Flush the recorded requests now (the job body). 0, or -1 when Redis is down
 * (the counts are kept and retried). */
int stats_flush(long budget_ms);
#endif
