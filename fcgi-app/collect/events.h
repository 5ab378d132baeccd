/* events: the body of POST /e (spec/10 §6.1 orders 5–7, §6.2, §6.3).
 *
 * Owns: decoding the body (UTF-8 with replacement, BOM dropped), strict JSON
 * parsing, the envelope members and per-event validation: allowed type,
 * `data` re-serialised as JSON.stringify would (≤ 2048 code points, else the
 * event is skipped), sessionId validation, experiment/variant ids.
 * Promises: pure; strings in the arena; at most EV_MAX events examined.
 * Never: consults caches (campaign check, exclusion) or the request. */
#ifndef ECHELON_COLLECT_EVENTS_H
#define ECHELON_COLLECT_EVENTS_H
#include <stddef.h>
#include "core/arena.h"

#define EV_MAX 20                    /* first 20 array elements only */
#define EV_DATA_MAX_CHARS 2048
#define EV_ID_MAX_CHARS 128          /* experiment_id / variant_id */
#define EV_UTM_MAX_CHARS 256
#define EV_JSON_DEPTH 1000           /* 16 KiB of body cannot nest deeper than ~8k */

typedef struct ev_item {
    const char *type;                /* one of the 14 allowed types */
    const char *data;                /* compact JSON text */
    const char *session_id;          /* validated or NULL */
    const char *experiment_id, *variant_id;  /* truncated or NULL */
    const char *utm_campaign;        /* the raw string truncated to 256, or NULL */
} ev_item_t;

typedef struct ev_body {
    int has_events;                  /* 0: no non-empty events array -> 204 */
    const char *site_id;             /* validated ("default" when not a string) */
    const char *tok;                 /* NULL when missing, non-string or "" */
    const char *pow_sid;             /* events[0].sessionId when a string, else "" */
    ev_item_t items[EV_MAX];
    size_t n;                        /* accepted items (types checked, data fits) */
} ev_body_t;

/* Returns 0 (inspect has_events / n) or 400 (empty after decoding, or not
 * JSON). */
int events_parse(arena_t *a, const char *body, size_t len, ev_body_t *out);
/* 1 if t is one of the 14 allowed event types. */
int events_type_allowed(const char *t);
#endif
