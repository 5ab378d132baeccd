/* beacon: the query parameters of GET /b.gif (spec/10 §5.2–§5.8).
 *
 * Owns: turning the query into typed values: path (§5.3), site id (§1),
 * interaction (§5.4), session id, screen (§5.8), referrer origin and type
 * (§5.6), pwa and cookie flags, the campaign value `uc` and the raw other
 * UTM parameters (decoded only when the campaign is active, §5.9).
 * Promises: pure over the request's query; strings in the request arena.
 * Never: consults caches, the clock or the network; answers nothing. */
#ifndef ECHELON_COLLECT_BEACON_H
#define ECHELON_COLLECT_BEACON_H
#include "core/http.h"

typedef struct beacon_params {
    const char *path;            /* decoded, NULL when absent/invalid */
    const char *site_id;         /* validated (case kept) */
    int v_valid;                 /* §5.4 gate */
    int is_spa;
    long long interaction_ms;    /* 0 for SPA */
    long score_interaction;      /* parsed _v for scoring; -1 unknown */
    const char *sid;             /* validated or NULL */
    const char *sw, *sh;         /* raw values, NULL absent (scoring, correlator) */
    int has_w, has_h;            /* §5.8 stored values */
    long long w, h;
    const char *referrer;        /* origin or "direct_or_unknown" (never NULL) */
    const char *referrer_type;
    int is_pwa, cookie_mode;
    const char *utm_campaign;    /* decoded uc, NULL when absent/undecodable */
    const char *utm_raw[5];      /* raw us, um, uc, uct, ut (index as rec_view_t.utm) */
    const char *tok;             /* raw tok, NULL absent */
} beacon_params_t;

void beacon_parse(req_t *req, beacon_params_t *out);
/* §5.9: decode source/medium/content/term once the campaign is known to be
 * active; utm[] in rec_view_t order (source, medium, campaign, content, term). */
void beacon_utm(arena_t *a, const beacon_params_t *p, const char *utm[5]);
/* 1 iff the view may be recorded (§5.1 step 8, before the exclusion check). */
int beacon_recordable(const beacon_params_t *p);
#endif
