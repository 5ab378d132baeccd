/* config: every setting, read once at process start.
 *
 * Owns: the global, read-only `cfg` built from the optional file named by
 * ECHELON_CONF (default /etc/echelon/echelon.conf; lines `NAME=value`, `#`
 * comments) overlaid by ECHELON_* environment variables (environment wins),
 * parsed with the rules of spec/40 §5.1. Promises: after config_load()
 * returns 0 every field holds a valid value (defaults applied, lists
 * normalised); config_log() prints it without secrets.
 * Never: re-reads at runtime (the debug toggle lives in Redis, not here). */
#ifndef ECHELON_CORE_CONFIG_H
#define ECHELON_CORE_CONFIG_H
#include <stddef.h>

typedef struct cfg_list {
    char **items;              /* normalised (trimmed, case-folded), no empties */
    size_t n;
} cfg_list_t;

typedef struct cfg_site_countries {
    char *site;                /* lower-cased */
    cfg_list_t countries;      /* upper-cased */
} cfg_site_countries_t;

typedef struct config {
    /* spec/40 §5.2 */
    char *secret;              /* "" when unset (echelon-dev/ctl generate one) */
    char *username;
    char *password_hash;
    int public_mode;
    int debug;
    int trust_proxy;
    int behind_cloudflare;
    int trust_geo_headers;
    cfg_list_t allowed_origins;    /* lower-case hostnames */
    cfg_list_t allowed_sites;      /* lower-case */
    cfg_list_t ignored_sites;      /* lower-case, always contains "smoke-test" */
    long retention_days;           /* >= 1 */
    long bot_retention_days;       /* >= 1 */
    cfg_list_t suspect_countries;  /* upper-case */
    long suspect_points;
    cfg_site_countries_t *site_suspect; /* per-site extra suspect countries */
    size_t nsite_suspect;
    long bot_discard_threshold;    /* <= 0 disables discarding */
    cfg_list_t bot_ua_patterns;    /* lower-case substrings */
    long challenge_window_minutes;
    long rate_limit_max;           /* 0 disables (Decision) */
    long rate_limit_window_ms;
    long view_flush_ms;
    long event_flush_ms;
    long live_stats_minutes;
    char *display_timezone;
    int cookie_consent;
    cfg_list_t anonymize_sites;    /* lower-case */
    long shutdown_timeout_ms;
    long port;
    char *version;
    /* beyond the reference (spec/README decision 12) */
    char *conf_file;
    char *db_host;
    long db_port;
    char *db_socket;
    char *db_name;
    char *db_user;
    char *db_password;
    char *db_read_host;
    char *redis_url;               /* redis://host:port/db or unix:///path */
    char *spool_dir;
    char *feeds_dir;
    char *geoip_db;
    /* test and operations knobs (documented in the README) */
    long session_ttl_s;            /* ECHELON_SESSION_TTL_S, absolute, default 86400 */
    long session_idle_s;           /* ECHELON_SESSION_IDLE_S, default 1800 */
    char *sql_dir;                 /* ECHELON_SQL_DIR: migrations */
} config_t;

extern const config_t *cfg;

/* Load from file + environment. Returns 0, or -1 with a message in err. */
int config_load(char *err, size_t errsz);
void config_log(void);
int config_list_has(const cfg_list_t *l, const char *s);   /* exact match */
/* The one runtime change: a secret generated once for the cluster and shared
 * through MariaDB when none is configured (spec/README decision 3). */
void config_set_secret(const char *secret);

/* ---- the parsing rules of spec/40 §5.1, exposed for unit tests ---- */
int cfg_parse_bool(const char *s);                 /* true iff exactly "true" */
/* Leading-integer parse; base 10 or 0 (auto, 0x = hex). Returns 0 and *out,
 * or -1 when there are no digits ("NaN"). */
int cfg_parse_int(const char *s, int base, long *out);
/* Split on ',', trim, drop empties, fold case (+1 upper, -1 lower, 0 keep). */
void cfg_parse_list(const char *s, int fold, cfg_list_t *out);
void cfg_list_free(cfg_list_t *l);
/* Parse ECHELON_SITE_SUSPECT_COUNTRIES ("site:CC,CC;site:CC"). */
size_t cfg_parse_site_countries(const char *s, cfg_site_countries_t **out);
#endif
