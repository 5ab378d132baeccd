/* score: the heuristic bot score of spec/20 §5 and its bot_score_detail.
 *
 * Owns: the signal rules (conditions, points, cap, detail-key order), the
 * known-bot User-Agent test (spec/20 §2), and the ship-time half of scoring
 * (burst counter, suspected/confirmed bot-IP penalty, correlator print) that
 * needs other requests' history (spec/README decision 9).
 *
 * The score is split in two, as ARCHITECTURE.md "The life of a beacon" says:
 *   1. score_request(): pure, CPU-only, on the request path. Everything one
 *      request shows: cf, timing, geo, geo_site, headers, screen, referrer,
 *      crawler_feed, ai_crawler_feed, datacenter_ip, and the PoW result the
 *      caller verified. The result is a plain score_t (no pointers) that the
 *      caller puts into its spool record.
 *   2. score_ship_queue() + score_ship_apply(): called by the spool shipper
 *      for a batch of records in arrival order. queue appends the batch's
 *      Redis commands to the caller's open pipeline (kv_pipe*); the caller
 *      reads exactly the returned number of replies (kv_pipe_read) in order
 *      and hands them to apply, which adds `burst` and `bot_ip`, computes
 *      the total and the discard decision, and records the correlator print.
 *      Redis down (NULL replies): records keep their request-time score.
 *
 * Promises: no network I/O in score_request(); detail JSON is compact, keys
 * in the order of spec/20 §5.4, `{}` when nothing fired.
 * Never: stores anything in MariaDB, logs IPs. */
#ifndef ECHELON_DEFENSE_SCORE_H
#define ECHELON_DEFENSE_SCORE_H
#include <stddef.h>
#include <stdint.h>
#include "core/http.h"
#include "store/kv.h"

enum score_pow { SCORE_POW_VALID = 0, SCORE_POW_MISSING = 1, SCORE_POW_INVALID = 2 };
enum score_kind {
    SCORE_KIND_BEACON = 0,  /* /b.gif: timing/screen/referrer apply; increments burst */
    SCORE_KIND_EVENTS = 1,  /* /e: reads the burst count without incrementing */
};

/* Points of spec/20 §5.2 (geo/geo_site use cfg->suspect_points). */
#define SCORE_BURST_LIMIT 15            /* count > 15 -> +25 */
#define SCORE_BURST_WINDOW_MS 300000L
#define SCORE_BOTIP_SUSPECTED_TTL_S 1800
#define SCORE_BOTIP_CONFIRMED_TTL_S 3600
#define SCORE_DETAIL_MAX 384            /* longest detail JSON + NUL, with room */

/* What one request shows. Strings are NUL-terminated; NULL = absent. */
typedef struct score_input {
    int kind;                   /* SCORE_KIND_* */
    const char *site_id;        /* validated site id (case preserved); NULL unknown */
    const char *user_agent;     /* raw User-Agent; NULL absent */
    const char *client_ip;      /* spec/10 §2.7 result; "unknown"/NULL never matches */
    const char *country;        /* spec/10 §2.9 result, upper-cased; NULL unknown */
    /* spec/20 §5.8, filled by score_read_headers() when cfg->behind_cloudflare */
    int cf_score;               /* 1..99; 0 = absent or invalid */
    int cf_verified;            /* cf-verified-bot == "true" */
    /* header presence (an empty value is present) */
    int has_accept_language;
    int has_sec_ch_ua;
    int has_sec_fetch_site;
    /* beacon only (ignored for SCORE_KIND_EVENTS) */
    int is_spa;                 /* _v == "spa" */
    long interaction_ms;        /* parsed _v; < 0 = unknown */
    const char *sw, *sh;        /* raw sw / sh query values; NULL absent */
    const char *referrer;       /* origin of ref, "direct_or_unknown", or NULL */
    const char *path;           /* decoded p (query string included); NULL absent */
    int pow_result;             /* SCORE_POW_* from the PoW verifier */
} score_input_t;

/* The points of each signal, in detail-key order. Plain data: copy it into a
 * spool record as is (or as detail JSON, see score_from_detail()). */
typedef struct score {
    int32_t cf, timing, geo, geo_site, burst, headers, screen, referrer;
    int32_t crawler_feed, ai_crawler_feed, datacenter_ip, pow, bot_ip;
    uint8_t geo_hit;            /* geo / geo_site keys are written whenever they match */
    uint8_t geo_site_hit;
    uint8_t pow_result;         /* SCORE_POW_* */
    uint8_t pad_;
} score_t;

/* Known-bot list of spec/20 §2 (cfg->bot_ua_patterns): 1 if the lower-cased
 * UA contains any pattern. NULL or empty UA -> 0. */
int score_is_known_bot(const char *ua);

/* Fill user_agent, header presence and (only when cfg->behind_cloudflare)
 * cf_score / cf_verified from the request. Leaves the other fields alone,
 * so call it after zeroing/initialising the input. */
void score_read_headers(const req_t *req, score_input_t *in);

/* score_input_t with every field "absent" (interaction unknown, pow valid). */
void score_input_init(score_input_t *in, int kind);

/* The request-time half. Reads cfg and this worker's loaded feeds (feeds.h);
 * no I/O. burst and bot_ip stay 0 until the record ships. */
void score_request(const score_input_t *in, score_t *out);

/* min(sum of heuristic signals incl. burst, 100). */
int score_heuristic(const score_t *s);
/* min(heuristic + pow + bot_ip, 100): the stored bot_score. */
int score_total(const score_t *s);
/* 1 when cfg->bot_discard_threshold > 0 and total >= it. */
int score_discard(const score_t *s);

/* Compact detail JSON (json-c) into out. Returns its length, or -1 if outsz
 * is too small (SCORE_DETAIL_MAX always suffices). */
int score_detail_json(const score_t *s, char *out, size_t outsz);
/* Inverse of score_detail_json() for records that carry the JSON text.
 * Unknown keys are ignored. 0, or -1 if not a JSON object. */
int score_from_detail(const char *json, size_t len, score_t *out);

/* ---- ship time (called by the spool shipper, never on the request path) ---- */

typedef struct score_ship_rec {
    /* in */
    int kind;                   /* SCORE_KIND_*; beacons increment burst, events read it */
    const char *ip_hash;        /* 64 hex (spec/20 §5.10); NULL: no burst/bot-ip/print */
    const char *site_id;        /* for the correlator print */
    const char *visitor_id;     /* for the correlator print (before anonymisation) */
    const char *fp_key;         /* correlator_fp_key() text; NULL = no print (events) */
    long long ts_ms;            /* arrival time, ms since the epoch */
    /* in: request-time score; out: with burst and bot_ip added */
    score_t score;
    /* out */
    int total;                  /* score_total(&score) */
    int discard;                /* score_discard(&score): the shipper stores nothing */
} score_ship_rec_t;

/* Append the batch's commands to the caller's open pipeline (in record
 * order, so counters advance in arrival order). Returns the number of
 * replies the caller must read and pass to score_ship_apply(). */
size_t score_ship_queue(const score_ship_rec_t *recs, size_t n);
/* replies[0..nreplies) in the order read; any may be NULL (Redis down).
 * Fills burst, bot_ip, total and discard of every record. */
void score_ship_apply(score_ship_rec_t *recs, size_t n, kv_reply_t *const *replies,
                      size_t nreplies);
/* Convenience for callers without their own pipeline: queue, read, apply
 * (one round trip). Returns 0, or -1 when Redis was down (scores kept). */
int score_ship_batch(score_ship_rec_t *recs, size_t n);

/* ---- helpers shared with tests and other modules ---- */
/* JavaScript parseInt(s, 10): 0 and *out, -1 for NaN. Saturates. */
int score_parse_int(const char *s, long *out);
#endif
