/* ship: turns collection's spool records into rows (spec/10 §8.2, README
 * decisions 4 and 9).
 *
 * Owns: the batch handler of spool type REC_SPOOL_TYPE (collect/record.h):
 * rate-limit counting and the published over-limit set, the ship-time score
 * (defense/score.h: burst, bot-IP tiers, correlator print, total, discard),
 * realtime and dashboard counters (collect/live_keys.h), and the multi-row
 * INSERT IGNORE into visitor_views / semantic_events keyed by record_id,
 * with created_at = the request time.
 * Promises: records are judged in arrival order; a batch commits in one
 * MariaDB transaction; a re-shipped record inserts nothing twice (its
 * Redis counters, being increments, may count twice: accepted, rare).
 * Redis down: rows are inserted with their request-time score.
 * Never: runs on the request path (except the shipper's disk-full
 * fallback). */
#ifndef ECHELON_COLLECT_SHIP_H
#define ECHELON_COLLECT_SHIP_H
#include <stddef.h>
#include "store/shipper.h"

#define SHIP_ROWS_PER_INSERT 50        /* spec/10 §8.1 statement size */

/* Register the handler with the shipper (workers and echelon-ctl). */
void ship_init(void);
/* The handler (exposed for tests). */
int ship_batch(const shipper_rec_t *recs, size_t n);
#endif
