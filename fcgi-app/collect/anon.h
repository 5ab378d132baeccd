/* anon: pre-storage anonymisation (spec/10 §7, Appendix B).
 *
 * Owns: the day's anonymisation key (secret || "echelon-anon-" || date), the
 * H/pick primitives, the codename tables and the view/event transforms.
 * Promises: deterministic for a (secret, date) pair, so every worker maps a
 * value the same way; NULL stays NULL unless the spec says otherwise; output
 * strings live in the caller's arena. Never: logs inputs or the key. */
#ifndef ECHELON_COLLECT_ANON_H
#define ECHELON_COLLECT_ANON_H
#include <stddef.h>
#include "core/arena.h"

typedef struct anon_key {
    unsigned char *k;               /* arena: secret bytes + "echelon-anon-" + date */
    size_t len;
} anon_key_t;

/* Screen dimensions: has_* = 0 means SQL NULL. */
typedef struct anon_view {
    const char *visitor_id, *session_id, *path, *country_code, *device_type;
    const char *os_name, *browser_name, *browser_version, *referrer;
    const char *utm[5];             /* source, medium, campaign, content, term */
    int has_w, has_h;
    long long w, h;
} anon_view_t;

typedef struct anon_event {
    const char *event_type;         /* unchanged; selects the data allow-list */
    const char *visitor_id, *session_id, *device_type, *referrer;
    const char *experiment_id, *variant_id, *utm_campaign;
    const char *data;               /* JSON text */
} anon_event_t;

void anon_key_init(arena_t *a, anon_key_t *k, const char *secret, size_t secret_len,
                   const char *date);
/* H(x): 64 hex + NUL. */
void anon_h(const anon_key_t *k, const char *x, size_t n, char out[65]);
/* pick(hex, n): first 8 hex chars as big-endian uint32, mod n. */
size_t anon_pick(const char *hex, size_t n);

/* §7.2 in place. */
void anon_view(arena_t *a, const anon_key_t *k, anon_view_t *v);
/* §7.3 in place (data sanitised, form_blur value scrambled). */
void anon_event(arena_t *a, const anon_key_t *k, anon_event_t *e);
/* The vessel mapping; NULL in -> NULL out. */
const char *anon_device(const char *device);
/* 1 if the lower-cased site id is in the list (cfg->anonymize_sites). */
int anon_site(const char *site_id, char *const *sites, size_t n);
#endif
