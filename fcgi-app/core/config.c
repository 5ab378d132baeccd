/* config.c -- settings from echelon.conf + ECHELON_* environment (see config.h).
 *
 * Lookup order for every variable: the environment, then the file. A
 * variable "set to the empty string" differs from "unset" (spec/40 §5.1):
 * lists such as ECHELON_SUSPECT_COUNTRIES become empty instead of taking
 * their default. */
#include "core/config.h"
#include "core/log.h"
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef ECHELON_SQL_DIR
#define ECHELON_SQL_DIR "/usr/local/share/echelon/sql"
#endif

static config_t the_cfg;
const config_t *cfg = &the_cfg;

/* ---- the file ---- */
typedef struct file_var { char *name, *value; } file_var_t;
static file_var_t *file_vars;
static size_t nfile_vars;

static char *xstrdup(const char *s)
{
    char *p = strdup(s ? s : "");
    if (!p) abort();
    return p;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s)) s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1])) *--e = '\0';
    return s;
}

static int load_file(const char *path, int required, char *err, size_t errsz)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        if (!required && errno == ENOENT) return 0;
        snprintf(err, errsz, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    char line[8192];
    while (fgets(line, sizeof line, f)) {
        char *s = trim(line);
        if (*s == '\0' || *s == '#') continue;
        if (strncmp(s, "export ", 7) == 0) s = trim(s + 7);
        char *eq = strchr(s, '=');
        if (!eq) continue;
        *eq = '\0';
        char *name = trim(s), *value = trim(eq + 1);
        size_t vl = strlen(value);
        if (vl >= 2 && (value[0] == '"' || value[0] == '\'') && value[vl - 1] == value[0]) {
            value[vl - 1] = '\0';
            value++;
        }
        file_vars = realloc(file_vars, (nfile_vars + 1) * sizeof *file_vars);
        if (!file_vars) abort();
        file_vars[nfile_vars].name = xstrdup(name);
        file_vars[nfile_vars].value = xstrdup(value);
        nfile_vars++;
    }
    fclose(f);
    return 0;
}

/* NULL when unset in both places. */
static const char *get(const char *name)
{
    const char *v = getenv(name);
    if (v) return v;
    for (size_t i = nfile_vars; i-- > 0;)
        if (strcmp(file_vars[i].name, name) == 0) return file_vars[i].value;
    return NULL;
}

/* ---- parsing rules (spec/40 §5.1) ---- */
int cfg_parse_bool(const char *s) { return s && strcmp(s, "true") == 0; }

int cfg_parse_int(const char *s, int base, long *out)
{
    if (!s) return -1;
    while (isspace((unsigned char)*s)) s++;
    const char *p = s;
    int neg = 0;
    if (*p == '+' || *p == '-') neg = *p++ == '-';
    int hex = base == 0 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X');
    if (hex) p += 2;
    if (hex ? !isxdigit((unsigned char)*p) : !isdigit((unsigned char)*p))
        return -1;                       /* no digits: "NaN" */
    errno = 0;
    long v = strtol(p, NULL, hex ? 16 : 10);
    if (errno == ERANGE) return -1;
    *out = neg ? -v : v;
    return 0;
}

static long int_or(const char *name, int base, long def)   /* int‖default */
{
    long v;
    if (cfg_parse_int(get(name), base, &v) != 0 || v == 0) return def;
    return v;
}

void cfg_list_free(cfg_list_t *l)
{
    for (size_t i = 0; i < l->n; i++) free(l->items[i]);
    free(l->items);
    l->items = NULL;
    l->n = 0;
}

void cfg_parse_list(const char *s, int fold, cfg_list_t *out)
{
    out->items = NULL;
    out->n = 0;
    if (!s) return;
    char *copy = xstrdup(s), *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *t = trim(tok);
        if (!*t) continue;
        for (char *c = t; *c; c++)
            *c = (char)(fold > 0 ? toupper((unsigned char)*c) : fold < 0 ? tolower((unsigned char)*c) : *c);
        out->items = realloc(out->items, (out->n + 1) * sizeof(char *));
        if (!out->items) abort();
        out->items[out->n++] = xstrdup(t);
    }
    free(copy);
}

int config_list_has(const cfg_list_t *l, const char *s)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->items[i], s) == 0) return 1;
    return 0;
}

size_t cfg_parse_site_countries(const char *s, cfg_site_countries_t **out)
{
    *out = NULL;
    if (!s) return 0;
    size_t n = 0;
    char *copy = xstrdup(s), *save = NULL;
    for (char *ent = strtok_r(copy, ";", &save); ent; ent = strtok_r(NULL, ";", &save)) {
        char *colon = strchr(ent, ':');
        if (!colon) continue;
        *colon = '\0';
        char *rest = colon + 1, *colon2 = strchr(rest, ':');
        if (colon2) *colon2 = '\0';   /* only the first two parts count */
        char *site = trim(ent);
        if (!*site) continue;
        for (char *c = site; *c; c++) *c = (char)tolower((unsigned char)*c);
        cfg_list_t countries;
        cfg_parse_list(rest, +1, &countries);
        if (countries.n == 0) continue;
        size_t i;
        for (i = 0; i < n; i++)
            if (strcmp((*out)[i].site, site) == 0) break;
        if (i < n) {                     /* a later entry replaces an earlier one */
            cfg_list_free(&(*out)[i].countries);
            (*out)[i].countries = countries;
            continue;
        }
        *out = realloc(*out, (n + 1) * sizeof **out);
        if (!*out) abort();
        (*out)[n].site = xstrdup(site);
        (*out)[n].countries = countries;
        n++;
    }
    free(copy);
    return n;
}

static const char default_bot_ua[] =
    "Googlebot, Bingbot, bingbot, Slurp, DuckDuckBot, Baiduspider, YandexBot, Sogou, "
    "Exabot, facebot, facebookexternalhit, ia_archiver, Applebot, AdsBot-Google, "
    "Mediapartners-Google, APIs-Google, AhrefsBot, SemrushBot, MJ12bot, DotBot, "
    "PetalBot, BLEXBot, GPTBot, ChatGPT-User, OAI-SearchBot, ClaudeBot, Claude-Web, "
    "Bytespider, CCBot, DataForSeoBot, Amazonbot, anthropic-ai, PerplexityBot, "
    "YouBot, Scrapy, curl, wget, python-requests, Go-http-client, HeadlessChrome, "
    "Amzn-SearchBot";

static char *str_or(const char *name, const char *def)
{
    const char *v = get(name);
    return xstrdup(v ? v : def);
}

int config_load(char *err, size_t errsz)
{
    config_t *c = &the_cfg;
    const char *conf = getenv("ECHELON_CONF");
    if (load_file(conf ? conf : "/etc/echelon/echelon.conf", conf != NULL, err, errsz) != 0)
        return -1;
    c->conf_file = xstrdup(conf ? conf : "/etc/echelon/echelon.conf");

    c->secret = str_or("ECHELON_SECRET", "");
    c->username = str_or("ECHELON_USERNAME", "");
    c->password_hash = str_or("ECHELON_PASSWORD_HASH", "");
    c->public_mode = cfg_parse_bool(get("ECHELON_PUBLIC_MODE"));
    c->debug = cfg_parse_bool(get("ECHELON_DEBUG"));
    c->trust_proxy = cfg_parse_bool(get("ECHELON_TRUST_PROXY"));
    c->behind_cloudflare = cfg_parse_bool(get("ECHELON_BEHIND_CLOUDFLARE"));
    c->trust_geo_headers = cfg_parse_bool(get("ECHELON_TRUST_GEO_HEADERS"));
    cfg_parse_list(get("ECHELON_ALLOWED_ORIGINS"), -1, &c->allowed_origins);
    cfg_parse_list(get("ECHELON_ALLOWED_SITES"), -1, &c->allowed_sites);
    cfg_parse_list(get("ECHELON_IGNORED_SITES"), -1, &c->ignored_sites);
    if (!config_list_has(&c->ignored_sites, "smoke-test")) {
        c->ignored_sites.items = realloc(c->ignored_sites.items, (c->ignored_sites.n + 1) * sizeof(char *));
        if (!c->ignored_sites.items) abort();
        c->ignored_sites.items[c->ignored_sites.n++] = xstrdup("smoke-test");
    }

    c->retention_days = int_or("ECHELON_RETENTION_DAYS", 0, 90);
    if (c->retention_days < 1) {
        log_warn("config", "ECHELON_RETENTION_DAYS < 1 ignored; using 90");
        c->retention_days = 90;
    }
    c->bot_retention_days = int_or("ECHELON_BOT_RETENTION_DAYS", 0, c->retention_days);
    if (c->bot_retention_days < 1) {
        log_warn("config", "ECHELON_BOT_RETENTION_DAYS < 1 ignored; using %ld", c->retention_days);
        c->bot_retention_days = c->retention_days;
    }
    const char *sc = get("ECHELON_SUSPECT_COUNTRIES");
    cfg_parse_list(sc ? sc : "CN", +1, &c->suspect_countries);
    c->suspect_points = int_or("ECHELON_SUSPECT_POINTS", 10, 30);
    c->nsite_suspect = cfg_parse_site_countries(get("ECHELON_SITE_SUSPECT_COUNTRIES"), &c->site_suspect);
    const char *dt = get("ECHELON_BOT_DISCARD_THRESHOLD");
    long v;
    if (!dt) c->bot_discard_threshold = 50;
    else if (cfg_parse_int(dt, 10, &v) == 0) c->bot_discard_threshold = v;
    else c->bot_discard_threshold = 0;               /* non-numeric disables */
    const char *ua = get("ECHELON_BOT_UA_PATTERNS");
    cfg_parse_list(ua ? ua : default_bot_ua, -1, &c->bot_ua_patterns);
    if (cfg_parse_int(get("ECHELON_CHALLENGE_WINDOW_MINUTES"), 0, &v) == 0) c->challenge_window_minutes = v;
    else c->challenge_window_minutes = 10;
    if (cfg_parse_int(get("ECHELON_RATE_LIMIT_MAX"), 10, &v) == 0) c->rate_limit_max = v < 0 ? 100 : v;
    else c->rate_limit_max = 100;                    /* 0 disables (Decision) */
    c->rate_limit_window_ms = int_or("ECHELON_RATE_LIMIT_WINDOW_MS", 10, 60000);
    c->view_flush_ms = int_or("ECHELON_VIEW_FLUSH_MS", 0, 15000);
    if (c->view_flush_ms < 1000) c->view_flush_ms = 1000;
    c->event_flush_ms = int_or("ECHELON_EVENT_FLUSH_MS", 0, 10000);
    if (c->event_flush_ms < 1000) c->event_flush_ms = 1000;
    if (cfg_parse_int(get("ECHELON_LIVE_STATS_MINUTES"), 0, &v) == 0 && v >= 1) c->live_stats_minutes = v;
    else c->live_stats_minutes = 10;
    c->display_timezone = str_or("ECHELON_DISPLAY_TIMEZONE", "UTC");
    c->cookie_consent = cfg_parse_bool(get("ECHELON_COOKIE_CONSENT"));
    cfg_parse_list(get("ECHELON_ANONYMIZE_SITES"), -1, &c->anonymize_sites);
    if (cfg_parse_int(get("ECHELON_SHUTDOWN_TIMEOUT_MS"), 0, &v) == 0) c->shutdown_timeout_ms = v;
    else c->shutdown_timeout_ms = 60000;
    c->port = int_or("ECHELON_PORT", 0, 1947);
    c->version = str_or("VERSION", "dev");

    c->db_host = str_or("ECHELON_DB_HOST", "localhost");
    c->db_port = int_or("ECHELON_DB_PORT", 10, 3306);
    c->db_socket = str_or("ECHELON_DB_SOCKET", "");
    c->db_name = str_or("ECHELON_DB_NAME", "echelon");
    c->db_user = str_or("ECHELON_DB_USER", "echelon");
    c->db_password = str_or("ECHELON_DB_PASSWORD", "");
    c->db_read_host = str_or("ECHELON_DB_READ_HOST", "");
    c->redis_url = str_or("ECHELON_REDIS_URL", "redis://127.0.0.1:6379/0");
    c->spool_dir = str_or("ECHELON_SPOOL_DIR", "/var/spool/echelon");
    c->feeds_dir = str_or("ECHELON_FEEDS_DIR", "/var/lib/echelon/feeds");
    c->geoip_db = str_or("ECHELON_GEOIP_DB", "");
    c->session_ttl_s = int_or("ECHELON_SESSION_TTL_S", 10, 86400);
    c->session_idle_s = int_or("ECHELON_SESSION_IDLE_S", 10, 1800);
    c->sql_dir = str_or("ECHELON_SQL_DIR", ECHELON_SQL_DIR);

    if (c->debug) log_set_level(LOG_DEBUG);
    if (!*c->secret && !*c->username)
        log_warn("config", "no authentication configured: set ECHELON_SECRET and/or "
                 "ECHELON_USERNAME + ECHELON_PASSWORD_HASH");
    return 0;
}

void config_set_secret(const char *secret)
{
    free(the_cfg.secret);
    the_cfg.secret = xstrdup(secret);
}

void config_log(void)
{
    const config_t *c = cfg;
    log_info("config", "secret=%s username=%s public_mode=%d trust_proxy=%d cloudflare=%d "
             "retention=%ld/%ld discard=%ld rate=%ld/%ldms window=%ldmin db=%s%s/%s redis=%s spool=%s feeds=%s",
             *c->secret ? "set" : "unset", *c->username ? "set" : "unset", c->public_mode,
             c->trust_proxy, c->behind_cloudflare, c->retention_days, c->bot_retention_days,
             c->bot_discard_threshold, c->rate_limit_max, c->rate_limit_window_ms,
             c->challenge_window_minutes, *c->db_socket ? "unix:" : "", *c->db_socket ? c->db_socket : c->db_host,
             c->db_name, c->redis_url, c->spool_dir, c->feeds_dir);
}
