/* defense: the bot-defense module's entry points for the worker and ctl.
 *
 * Owns: start-up of the defense state (threat feeds, ship handler, jobs) and
 * the known-bot side effect of spec/40 §1 step 4.1 / spec/20 §1.1: any
 * routed request whose User-Agent is on the known-bot list marks its IP hash
 * as a suspected bot IP (Redis `botip:s:<hash>`, 30 min).
 * Promises: defense_note_request() does no network I/O: it appends one small
 * sighting record to the spool; the shipper writes the Redis key when the
 * record ships (spec/README decision 9).
 * Never: answers or alters the request. */
#ifndef ECHELON_DEFENSE_DEFENSE_H
#define ECHELON_DEFENSE_DEFENSE_H
#include "core/http.h"

/* Worker/ctl start-up: load the feeds, register the ship handler and the
 * jobs (feed version check every second, correlator sweep every 2 min).
 * Idempotent. Returns 0 (feed load failures are logged, not fatal). */
int defense_init(void);

/* For the dispatcher: call for every routed request (before rate limiting,
 * after the bundled static files). Cheap when the UA is not a known bot. */
void defense_note_request(req_t *req);

/* echelon-ctl commands (rows in ctl.c's defense section):
 *   correlate                     one correlator sweep now
 *   feeds refresh [--from DIR]    fetch, validate, publish a feed version
 *   feeds status                  counts of the loaded feeds */
int defense_ctl_correlate(int argc, char **argv);
int defense_ctl_feeds(int argc, char **argv);
#endif
