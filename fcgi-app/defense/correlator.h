/* correlator: finds bot farms after the fact (spec/20 §7).
 *
 * Owns: the device fingerprint key (§7.2), the per-group print sets in Redis
 * (`corr:ip:<gid>`, `corr:vid:<gid>`, `corr:taint:<gid>`, `corr:meta:<gid>`,
 * `corr:groups`; written by score_ship_*() when a beacon's record ships),
 * and the sweep: the no-event penalty (§7.6), clustering (§7.4), the
 * retroactive MariaDB update (§7.5) and confirmed bot IPs (§7.7).
 * Promises: one sweep at a time in the whole cluster (Redis lock
 * `corr:lock`); each flagged cluster is updated in its own transaction and
 * its IPs are confirmed only after that transaction committed; re-running a
 * sweep changes nothing twice (the "correlated" / "no_events" markers).
 * Never: runs on the request path. */
#ifndef ECHELON_DEFENSE_CORRELATOR_H
#define ECHELON_DEFENSE_CORRELATOR_H
#include <stddef.h>

#define CORR_WINDOW_MS 1200000LL        /* prints older than 20 min are dropped */
#define CORR_KEY_TTL_S 1500             /* every print key lives ~25 min */
#define CORR_SWEEP_PERIOD_MS 120000L
#define CORR_FP_MAX 512                 /* fingerprint key buffer (bounded A-L) */
#define CORR_GID_LEN 32                 /* hex(SHA-256(groupKey))[0..31] */

/* Fingerprint key `os|browser|version|WxH|country|acceptLanguage` (§7.2).
 * os/browser/version/country: NULL -> "unknown"; sw/sh: raw beacon values
 * (WxH only when the width is 1..10000, else 0x0; an unparsable height is 0);
 * accept_language: raw header, NULL -> "unknown". A very long header is cut
 * so the key fits in outsz. Returns the length written. */
size_t correlator_fp_key(const char *os, const char *browser, const char *version,
                         const char *sw, const char *sh, const char *country,
                         const char *accept_language, char *out, size_t outsz);

/* Group id of siteId || "||" || fp_key: hex(SHA-256)[0..31] into gid[33]. */
void correlator_gid(const char *site_id, const char *fp_key, char gid[CORR_GID_LEN + 1]);

/* §7.4: returns the penalty (30 or 50) when a group with `nips` distinct IPs
 * is flagged, else 0. */
int correlator_penalty(size_t nips, int tainted);

/* Detail object of §7.5 (compact JSON) into out; returns length or -1. */
int correlator_detail_json(int penalty, size_t cluster_size, int tainted,
                           const char *fingerprint, char *out, size_t outsz);

/* One sweep now (job body and `echelon-ctl correlate`). Returns 0 when done,
 * 1 when another sweep holds the lock (nothing done), -1 on failure
 * (Redis/MariaDB down, a cluster's transaction failed). *flagged and *rows
 * (may be NULL) receive the number of flagged clusters and of rows raised
 * (views + events + no-event penalties). */
int correlator_sweep_ex(size_t *flagged, long long *rows);
int correlator_sweep(void);
/* jobs.h job_fn wrapper around correlator_sweep(). */
int correlator_job(long budget_ms);
#endif
