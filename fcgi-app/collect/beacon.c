/* beacon.c -- GET /b.gif parameters (spec/10 §5.2–§5.9).
 *
 * The query is already form-decoded by core/http.c ('+' became ' ', first
 * occurrence wins). `p` and `ref` get their '+' back (dec_plus_fix, spec/10
 * §11.1) before base64; the UTM parameters are percent-encoded by every
 * tracker version, so they are taken as decoded. */
#include <string.h>
#include "collect/beacon.h"
#include "collect/decode.h"
#include "collect/referrer.h"

/* The parameters read, found in ONE pass over the query (first occurrence
 * wins, names compared as C strings, as req_query_pair does); a lookup per
 * name scanned the pairs sixteen times. */
enum { Q_P, Q_S, Q_V, Q_SID, Q_SW, Q_SH, Q_REF, Q_PWA, Q_CK, Q_UC, Q_US, Q_UM, Q_UCT, Q_UT,
       Q_TOK, Q_N };
static const char *const qname[Q_N] = { "p", "s", "_v", "sid", "sw", "sh", "ref", "pwa", "ck",
                                        "uc", "us", "um", "uct", "ut", "tok" };

typedef struct qset {
    const http_pair_t *v[Q_N];
} qset_t;

static void q_collect(req_t *req, qset_t *qs)
{
    const http_pair_t *pairs;
    size_t n = req_query_all(req, &pairs);
    memset(qs, 0, sizeof *qs);
    for (size_t i = 0; i < n; i++) {
        const char *nm = pairs[i].name;
        for (int k = 0; k < Q_N; k++)
            if (!qs->v[k] && nm[0] == qname[k][0] && strcmp(nm, qname[k]) == 0) {
                qs->v[k] = &pairs[i];
                break;
            }
    }
}

static const char *qv(const qset_t *qs, int k, size_t *len)
{
    const http_pair_t *p = qs->v[k];
    if (!p) return NULL;
    if (len) *len = p->value_len;
    return p->value;
}

void beacon_parse(req_t *req, beacon_params_t *out)
{
    arena_t *a = req->arena;
    size_t n;
    const char *v;
    memset(out, 0, sizeof *out);
    qset_t qs;
    q_collect(req, &qs);

    if ((v = qv(&qs, Q_P, &n)) != NULL) {
        size_t pl;
        out->path = dec_path(a, dec_plus_fix(a, v, n), n, &pl);
    }
    out->site_id = dec_site_id(qv(&qs, Q_S, NULL));

    out->score_interaction = -1;
    v = qv(&qs, Q_V, NULL);
    if (v && strcmp(v, "spa") == 0) {
        out->v_valid = 1;
        out->is_spa = 1;
        out->interaction_ms = 0;
    } else {
        long long ms;
        if (dec_lint(v, &ms) == 0) {
            out->score_interaction = ms > 2147483647LL ? 2147483647L : ms < 0 ? -1 : (long)ms;
            if (ms >= 800 && ms <= 3600000) {
                out->v_valid = 1;
                out->interaction_ms = ms;
            }
        }
    }
    if ((v = qv(&qs, Q_SID, &n)) != NULL && dec_sid_valid(v, n)) out->sid = v;

    out->sw = qv(&qs, Q_SW, NULL);
    out->sh = qv(&qs, Q_SH, NULL);
    long long w, h;
    if (dec_lint(out->sw, &w) == 0 && w >= 1 && w <= 10000) {
        out->has_w = 1;
        out->w = w;
        /* §11.10: the height is not range-checked, but a missing or
         * non-numeric one is stored as NULL */
        if (dec_lint(out->sh, &h) == 0 && h >= -2147483648LL && h <= 2147483647LL) {
            out->has_h = 1;
            out->h = h;
        }
    }

    out->referrer = REF_DIRECT;
    if ((v = qv(&qs, Q_REF, &n)) != NULL) {
        unsigned char *bin = arena_alloc(a, n * 3 / 4 + 4);
        size_t bl;
        if (dec_b64_forgiving(dec_plus_fix(a, v, n), n, bin, &bl) == 0) {
            const char *o = ref_origin(a, (const char *)bin, bl);
            if (o) out->referrer = o;
        }
    }
    out->referrer_type = ref_type(out->referrer);

    v = qv(&qs, Q_PWA, NULL);
    out->is_pwa = v && strcmp(v, "1") == 0;
    v = qv(&qs, Q_CK, NULL);
    out->cookie_mode = v && strcmp(v, "1") == 0;

    if ((v = qv(&qs, Q_UC, &n)) != NULL) out->utm_campaign = dec_utm(a, v, n);
    out->utm_raw[0] = qv(&qs, Q_US, NULL);
    out->utm_raw[1] = qv(&qs, Q_UM, NULL);
    out->utm_raw[2] = qv(&qs, Q_UC, NULL);
    out->utm_raw[3] = qv(&qs, Q_UCT, NULL);
    out->utm_raw[4] = qv(&qs, Q_UT, NULL);
    out->tok = qv(&qs, Q_TOK, NULL);
}

void beacon_utm(arena_t *a, const beacon_params_t *p, const char *utm[5])
{
    for (int i = 0; i < 5; i++) {
        if (i == 2) {
            utm[i] = p->utm_campaign;
            continue;
        }
        const char *r = p->utm_raw[i];
        utm[i] = r ? dec_utm(a, r, strlen(r)) : NULL;
    }
}

int beacon_recordable(const beacon_params_t *p)
{
    return p->v_valid && p->path && p->path[0] == '/';
}
