/* tracker: GET /ea.js -- the tracker script and its token refresh
 * (spec/10 §3, §2.4, §2.6; spec/20 §3.5; spec/README decisions 2 and 3).
 *
 * Owns: turning the embedded assets/ea.js into the served script (the
 * variant for ECHELON_COOKIE_CONSENT, full-line comments and indentation
 * dropped, @@NAME@@ placeholders located) once per worker; filling in the
 * public origin, the PoW challenge and module, the window, the debug and
 * anonymize flags and the consent CSS per request; the refresh JSON of
 * decision 2 (`GET /ea.js?refresh=1&g=<generation>`); the per-worker caches
 * of the debug override and the consent CSS, refreshed by a local job.
 *
 * Promises: the request path does no Redis or MariaDB I/O (the caches are
 * refreshed by the "tracker-cache" job, at most once a second); a script
 * whose inputs did not change since the previous request of this worker is
 * served from one per-worker buffer (the challenge changes once a minute,
 * the module once per 6-hour period); every substituted string is escaped
 * as the body of a JSON string literal.
 *
 * Rate limit (spec/README decision 9): every /ea.js request, refreshes and
 * refused ones included, leaves one counting record (collect_count); an
 * address in the cluster's published over-limit set gets the 429 of §2.4.
 *
 * Never: validates `s` (spec/10 §3.1 step 3) or filters by User-Agent (bots
 * get the script, §2.5). */
#ifndef ECHELON_COLLECT_TRACKER_H
#define ECHELON_COLLECT_TRACKER_H
#include <stddef.h>
#include "core/buf.h"
#include "core/http.h"
#include "core/config.h"

/* The route handler of GET /ea.js (HEAD is served by it too). */
void tracker_handler(req_t *req, resp_t *resp);
/* Register the cache job; idempotent. Called at worker start (and lazily by
 * the handler, so a worker that was not told still converges). */
void tracker_init(void);


/* ---- pure pieces, exposed for unit tests ---- */

enum tracker_ph {
    TRACKER_PH_BASE = 0,   /* "…": public origin */
    TRACKER_PH_CHAL,       /* "…": current challenge */
    TRACKER_PH_WASM,       /* "…": Base64 module */
    TRACKER_PH_GEN,        /* "…": generation (period) id */
    TRACKER_PH_WIN,        /* number: challenge window, minutes */
    TRACKER_PH_DEBUG,      /* true / false */
    TRACKER_PH_ANON,       /* true / false */
    TRACKER_PH_CSS,        /* "…": consent CSS (consent variant only) */
    TRACKER_PH_COUNT
};

#define TRACKER_MAX_SEGS 32

/* The prepared script: text[0] ph[0] text[1] ph[1] … text[nph]. */
typedef struct tracker_tmpl {
    buf_t body;                         /* the prepared text */
    size_t off[TRACKER_MAX_SEGS + 1];   /* segment i = body[off[i], off[i]+len[i]) */
    size_t len[TRACKER_MAX_SEGS + 1];
    int ph[TRACKER_MAX_SEGS];
    size_t nph;
} tracker_tmpl_t;

/* Prepare src: keep the lines of the chosen variant, drop full-line `//`
 * comments, marker lines, blank lines and leading indentation, then split at
 * @@NAME@@. Returns 0, or -1 on an unknown or unterminated placeholder or
 * more than TRACKER_MAX_SEGS placeholders (t is then empty). */
int tracker_tmpl_build(const char *src, size_t n, int consent, tracker_tmpl_t *t);
void tracker_tmpl_free(tracker_tmpl_t *t);

typedef struct tracker_vals {
    const char *base; size_t base_len;
    const char *challenge;
    const char *module_b64;
    const char *generation;
    long window_min;
    int debug, anon;
    const char *css; size_t css_len;   /* NULL = "" */
} tracker_vals_t;

/* Append the script for v to out. */
void tracker_render(const tracker_tmpl_t *t, const tracker_vals_t *v, buf_t *out);
/* Append s[0..n) escaped as the body of a JSON string literal (json-c). */
void tracker_js_str(buf_t *out, const char *s, size_t n);

/* spec/10 §3.1 step 2: the public origin. scheme = the request's own
 * ("http"/"https"), host = Host header (may be NULL: then `authority`),
 * xfp / xfh = X-Forwarded-Proto / -Host (NULL when absent; used only when
 * trust_proxy). allowed = ECHELON_ALLOWED_ORIGINS (empty = open mode).
 * Writes "scheme://host" into out; returns its length, or -1 when it does
 * not fit. */
int tracker_public_origin(const char *scheme, const char *host, const char *authority,
                          const char *xfp, const char *xfh, int trust_proxy,
                          const cfg_list_t *allowed, char *out, size_t outsz);

/* The refresh answer: {"c":challenge,"g":generation,"t":seconds left in the
 * window[,"w":module]} -- "w" only when the client's generation `client_g`
 * (may be NULL) differs from `generation`. Returns a new json-c object. */
struct json_object *tracker_refresh_json(const char *challenge, const char *generation,
                                         long long seconds_left, const char *module_b64,
                                         const char *client_g);
#endif
