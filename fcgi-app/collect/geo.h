/* geo: the visitor's country (spec/10 §2.9 and the geo issue: trusted CDN
 * headers, then the web server's GeoIP variables, then a MaxMind database).
 *
 * Owns: the per-worker libmaxminddb handle for cfg->geoip_db, opened once
 * on first use (a missing file is logged once and never retried).
 * Promises: no network I/O; the result is upper-cased and at most
 * GEO_COUNTRY_MAX bytes (spec/10 §11.33), or NULL when unknown.
 * Never: logs or stores the IP it is given. */
#ifndef ECHELON_COLLECT_GEO_H
#define ECHELON_COLLECT_GEO_H
#include "core/http.h"

#define GEO_COUNTRY_MAX 32

/* Pure part: the first applicable source among the given raw values
 * (NULL = absent). Returns an arena string or NULL. */
const char *geo_from_headers(arena_t *a, int behind_cloudflare, int trust_geo_headers,
                             const char *cf_ipcountry, const char *cloudfront_country,
                             const char *x_country_code, const char *env_geoip,
                             const char *env_mm);
/* Everything: headers and environment of req, then the database (ip may be
 * NULL or "unknown"). */
const char *geo_country(const req_t *req, const char *ip);
#endif
