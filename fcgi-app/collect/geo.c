/* geo.c -- visitor country (spec/10 §2.9 + the GeoIP issue).
 *
 * Order: Cloudflare's CF-IPCountry (when ECHELON_BEHIND_CLOUDFLARE), the
 * trusted CDN headers (ECHELON_TRUST_GEO_HEADERS), the variables a web
 * server GeoIP module sets for FastCGI (GEOIP_COUNTRY_CODE from mod_geoip,
 * MM_COUNTRY_CODE from mod_maxminddb; these are server-set, never client
 * headers, so they need no trust flag), then a lookup in the MaxMind-format
 * database at ECHELON_GEOIP_DB. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <maxminddb.h>
#include <string.h>
#include "collect/geo.h"
#include "core/config.h"
#include "core/log.h"

static const char *up(arena_t *a, const char *s)
{
    size_t n = strlen(s);
    if (n > GEO_COUNTRY_MAX) n = GEO_COUNTRY_MAX;
    /* never split a UTF-8 sequence when cutting */
    while (n > 0 && n < strlen(s) && ((unsigned char)s[n] & 0xC0) == 0x80) n--;
    char *o = arena_strndup(a, s, n);
    for (size_t i = 0; i < n; i++)
        if (o[i] >= 'a' && o[i] <= 'z') o[i] = (char)(o[i] - 32);
    return o;
}

const char *geo_from_headers(arena_t *a, int behind_cloudflare, int trust_geo_headers,
                             const char *cf_ipcountry, const char *cloudfront_country,
                             const char *x_country_code, const char *env_geoip,
                             const char *env_mm)
{
    if (behind_cloudflare && cf_ipcountry && *cf_ipcountry && strcmp(cf_ipcountry, "XX") != 0 &&
        strcmp(cf_ipcountry, "T1") != 0)
        return up(a, cf_ipcountry);
    if (trust_geo_headers) {
        if (cloudfront_country && *cloudfront_country) return up(a, cloudfront_country);
        if (x_country_code && *x_country_code) return up(a, x_country_code);
    }
    if (env_geoip && *env_geoip && strcmp(env_geoip, "--") != 0) return up(a, env_geoip);
    if (env_mm && *env_mm) return up(a, env_mm);
    return NULL;
}

static MMDB_s mmdb;
static int mmdb_state;               /* 0 untried, 1 open, -1 unavailable */

static const char *db_lookup(arena_t *a, const char *ip)
{
    if (mmdb_state == 0) {
        mmdb_state = -1;
        if (cfg && cfg->geoip_db && *cfg->geoip_db) {
            int rc = MMDB_open(cfg->geoip_db, MMDB_MODE_MMAP, &mmdb);
            if (rc == MMDB_SUCCESS)
                mmdb_state = 1;
            else
                log_warn("geo", "cannot open GeoIP database %s: %s", cfg->geoip_db,
                         MMDB_strerror(rc));
        }
    }
    if (mmdb_state != 1 || ip == NULL || *ip == '\0' || strcmp(ip, "unknown") == 0) return NULL;
    /* inet_pton + lookup_sockaddr: lookup_string goes through getaddrinfo
     * (an allocation and a few hundred instructions per beacon). Forms
     * inet_pton refuses (an IPv6 scope id ...) still get getaddrinfo. */
    int gai = 0, err = 0;
    struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 };
    struct sockaddr_in s4 = { .sin_family = AF_INET };
    MMDB_lookup_result_s r;
    if (inet_pton(AF_INET, ip, &s4.sin_addr) == 1)
        r = MMDB_lookup_sockaddr(&mmdb, (const struct sockaddr *)&s4, &err);
    else if (inet_pton(AF_INET6, ip, &s6.sin6_addr) == 1)
        r = MMDB_lookup_sockaddr(&mmdb, (const struct sockaddr *)&s6, &err);
    else
        r = MMDB_lookup_string(&mmdb, ip, &gai, &err);
    if (gai != 0 || err != MMDB_SUCCESS || !r.found_entry) return NULL;
    MMDB_entry_data_s d;
    if (MMDB_get_value(&r.entry, &d, "country", "iso_code", NULL) != MMDB_SUCCESS || !d.has_data ||
        d.type != MMDB_DATA_TYPE_UTF8_STRING) {
        if (MMDB_get_value(&r.entry, &d, "registered_country", "iso_code", NULL) != MMDB_SUCCESS ||
            !d.has_data || d.type != MMDB_DATA_TYPE_UTF8_STRING)
            return NULL;
    }
    char *s = arena_strndup(a, d.utf8_string, d.data_size);
    return up(a, s);
}

const char *geo_country(const req_t *req, const char *ip)
{
    /* headers the configuration does not trust are not even looked up */
    int cf = cfg->behind_cloudflare, geo = cfg->trust_geo_headers;
    const char *c = geo_from_headers(req->arena, cf, geo,
                                     cf ? req_header(req, "CF-IPCountry") : NULL,
                                     geo ? req_header(req, "CloudFront-Viewer-Country") : NULL,
                                     geo ? req_header(req, "X-Country-Code") : NULL,
                                     req_env(req, "GEOIP_COUNTRY_CODE"),
                                     req_env(req, "MM_COUNTRY_CODE"));
    if (c) return c;
    return db_lookup(req->arena, ip);
}
