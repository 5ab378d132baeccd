/* collect: the tracking endpoints GET /b.gif and POST /e (spec/10 §5, §6)
 * and the request-time gate they share with /ea.js.
 *
 * Owns: the two handlers, the 43-byte GIF, the client context (IP, IP hash
 * under the day's key), the over-limit check and the counting records of
 * README decision 9, and worker start-up of collection (caches, shipper
 * handler).
 * Promises: the hot path does no network I/O: one spool append per request
 * (store/spool.h) and the answer; every request to /b.gif and /e (and
 * /ea.js through collect_count) leaves exactly one record that counts toward
 * the rate limit. Redis/MariaDB down: requests are still answered and
 * accepted records still spooled.
 * Never: writes MariaDB or Redis on the request path, stores or logs IPs. */
#ifndef ECHELON_COLLECT_COLLECT_H
#define ECHELON_COLLECT_COLLECT_H
#include <stddef.h>
#include "core/http.h"

#define COLLECT_GIF_LEN 43
#define COLLECT_EVENTS_BODY_MAX 16384    /* spec/10 §6.1: larger -> 413 */
extern const unsigned char collect_gif[COLLECT_GIF_LEN];

typedef struct collect_client {
    long long now_ms;            /* request arrival, ms since the epoch */
    const char *ip;              /* spec/10 §2.7 (may be "unknown") */
    int ip_known;
    char ip_hash[65];            /* HMAC under the day's key; "" if unknown */
} collect_client_t;

/* Worker start (after config_load): caches, ship handler registration. */
void collect_init(void);

/* The request-time gate, also for /ea.js (the tracker's handler): */
void collect_client(req_t *req, collect_client_t *c);
/* 1 when the address is in the cluster's published over-limit set. */
int collect_over_limit(const collect_client_t *c);
/* Spool a counting-only record (a request that stores nothing). */
void collect_count(const collect_client_t *c);

void collect_beacon_handler(req_t *req, resp_t *resp);
void collect_events_handler(req_t *req, resp_t *resp);
#endif
