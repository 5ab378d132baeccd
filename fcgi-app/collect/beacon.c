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

static const char *q(req_t *req, const char *name, size_t *len)
{
    const http_pair_t *p = req_query_pair(req, name);
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

    if ((v = q(req, "p", &n)) != NULL) {
        size_t pl;
        out->path = dec_path(a, dec_plus_fix(a, v, n), n, &pl);
    }
    out->site_id = dec_site_id(q(req, "s", NULL));

    out->score_interaction = -1;
    v = q(req, "_v", NULL);
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
    if ((v = q(req, "sid", &n)) != NULL && dec_sid_valid(v, n)) out->sid = v;

    out->sw = q(req, "sw", NULL);
    out->sh = q(req, "sh", NULL);
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
    if ((v = q(req, "ref", &n)) != NULL) {
        unsigned char *bin = arena_alloc(a, n * 3 / 4 + 4);
        size_t bl;
        if (dec_b64_forgiving(dec_plus_fix(a, v, n), n, bin, &bl) == 0) {
            const char *o = ref_origin(a, (const char *)bin, bl);
            if (o) out->referrer = o;
        }
    }
    out->referrer_type = ref_type(out->referrer);

    v = q(req, "pwa", NULL);
    out->is_pwa = v && strcmp(v, "1") == 0;
    v = q(req, "ck", NULL);
    out->cookie_mode = v && strcmp(v, "1") == 0;

    if ((v = q(req, "uc", &n)) != NULL) out->utm_campaign = dec_utm(a, v, n);
    out->utm_raw[0] = q(req, "us", NULL);
    out->utm_raw[1] = q(req, "um", NULL);
    out->utm_raw[2] = q(req, "uc", NULL);
    out->utm_raw[3] = q(req, "uct", NULL);
    out->utm_raw[4] = q(req, "ut", NULL);
    out->tok = q(req, "tok", NULL);
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
