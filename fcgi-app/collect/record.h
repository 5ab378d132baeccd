/* record: the spool records of collection (one line each, store/spool.h).
 *
 * Owns: the in-memory shape of an accepted pageview (a future
 * `visitor_views` row), an accepted event batch (future `semantic_events`
 * rows) and a counting-only hit, and their JSON payload text.
 * All three travel as ONE spool type, REC_SPOOL_TYPE, so the shipper hands
 * them to collect/ship.c together in arrival order and the rate-limit
 * counters advance in the order the requests arrived.
 *
 * Payload (compact JSON as json-c prints it; keys short because every beacon
 * writes one):
 *   {"k":"v"|"e"|"h", "ts":<request ms>, "ih":"<ip hash hex or empty>",
 *    "rl":0|1 (counts toward the rate limit), "ik":0|1 (IP known),
 *    "sc":[cf,timing,geo,geo_site,burst,headers,screen,referrer,crawler_feed,
 *          ai_crawler_feed,datacenter_ip,pow,bot_ip,geo_hit,geo_site_hit,
 *          pow_result]            (v and e: the request-time score_t),
 *    "v0":"<visitor id before anonymisation>", "fp":"<correlator key>",
 *    "row":{...}  (v: visitor_views columns by name, "id" = 32-hex record id),
 *    "ctx":{...}, "ev":[{...},...]  (e: batch columns and per-event columns,
 *                                    each event with its own 32-hex "id")}
 * Promises: rec_*_to_json output never contains LF or NUL (spool rule);
 * rec_parse restores exactly what was written (strings in the arena), and
 * reads any JSON object with these keys as json-c reads it (older spool files).
 * Never: does I/O. */
#ifndef ECHELON_COLLECT_RECORD_H
#define ECHELON_COLLECT_RECORD_H
#include <stddef.h>
#include "core/arena.h"
#include "core/buf.h"
#include "defense/score.h"

#define REC_SPOOL_TYPE "collect"
#define REC_ID_LEN 16                  /* bytes: record_id BINARY(16) */
#define REC_MAX_EVENTS 20              /* spec/10 §6.2 */

enum rec_kind { REC_HIT = 'h', REC_VIEW = 'v', REC_EVENTS = 'e' };

typedef struct rec_view {
    unsigned char id[REC_ID_LEN];
    const char *visitor_id, *path, *site_id, *session_id;
    long long interaction_ms;
    int has_w, has_h;
    long long w, h;
    const char *device_type, *os_name, *browser_name, *browser_version, *country_code;
    int is_returning;
    const char *referrer, *referrer_type;
    int is_pwa;
    const char *utm[5];                /* source, medium, campaign, content, term */
} rec_view_t;

typedef struct rec_event {
    unsigned char id[REC_ID_LEN];
    const char *event_type, *session_id, *data, *experiment_id, *variant_id, *utm_campaign;
} rec_event_t;

typedef struct rec_events {
    const char *site_id, *visitor_id, *device_type, *referrer;
    int is_returning, hour, month, day_of_week;
    rec_event_t ev[REC_MAX_EVENTS];
    size_t n;
} rec_events_t;

typedef struct rec {
    int kind;                          /* enum rec_kind */
    long long ts_ms;
    char ip_hash[65];                  /* "" when the client IP is unknown */
    int rl;                            /* counts toward the rate limit */
    int ip_known;                      /* the IP was not "unknown" (bot-IP state) */
    score_t score;
    const char *vid0;                  /* pre-anonymisation visitor id */
    const char *fp;                    /* correlator fingerprint key (views) */
    rec_view_t view;
    rec_events_t events;
} rec_t;

/* Serialise r as the payload into b (appended). */
void rec_to_json(const rec_t *r, buf_t *b);
/* Parse a payload. 0, or -1 when malformed (the shipper's dead-letter).
 * Tries rec_parse_fast, then rec_parse_json: same results as the latter. */
int rec_parse(arena_t *a, const char *s, size_t n, rec_t *out);
/* The two halves, public for the equivalence test and the benchmark.
 * rec_parse_fast reads only rec_to_json's exact layout of a record the json
 * path would accept: 0, or REC_NOT_FAST (not an error: ask rec_parse_json;
 * *out and some arena bytes are then scrap). rec_parse_json: json-c. */
#define REC_NOT_FAST 1
int rec_parse_fast(arena_t *a, const char *s, size_t n, rec_t *out);
int rec_parse_json(arena_t *a, const char *s, size_t n, rec_t *out);
/* 16 bytes unique across processes (seeded from getrandom once per process
 * and again in a forked child; not secret). 0 / -1. */
int rec_new_id(unsigned char id[REC_ID_LEN]);
/* UTC "YYYY-MM-DD HH:MM:SS.mmm" for DATETIME(3) into out[24]. */
void rec_datetime(long long ms, char out[24]);
#endif
