/* cors.c -- CORS headers for preflights and tracking responses (see cors.h). */
#include "core/cors.h"
#include "core/config.h"
#include <ctype.h>
#include <string.h>

int cors_origin_host(const char *origin, char *out, size_t outsz)
{
    if (!origin || outsz == 0) return -1;
    const char *p = strstr(origin, "://");
    if (!p || p == origin) return -1;
    for (const char *s = origin; s < p; s++)
        if (!isalpha((unsigned char)*s) && !(s > origin && (isdigit((unsigned char)*s) || *s == '+' || *s == '-' || *s == '.')))
            return -1;
    p += 3;
    const char *at = NULL;
    for (const char *s = p; *s && *s != '/' && *s != '?' && *s != '#'; s++)
        if (*s == '@') at = s;
    if (at) p = at + 1;
    size_t n;
    if (*p == '[') {
        const char *close = strchr(p, ']');
        if (!close) return -1;
        n = (size_t)(close - p + 1);
    } else {
        n = strcspn(p, ":/?#");
    }
    if (n == 0 || n >= outsz) return -1;
    for (size_t i = 0; i < n; i++) out[i] = (char)tolower((unsigned char)p[i]);
    out[n] = '\0';
    return 0;
}

void cors_headers(const req_t *req, resp_t *resp)
{
    const char *path = req->path;
    int tracking = strcmp(path, "/b.gif") == 0 || strcmp(path, "/e") == 0 || strcmp(path, "/ea.js") == 0;
    const char *origin = req_header(req, "Origin");
    if (!tracking) {
        resp_header(resp, "Access-Control-Allow-Origin", "null");
    } else if (cfg->allowed_origins.n) {
        char host[256];
        if (origin && cors_origin_host(origin, host, sizeof host) == 0 &&
            config_list_has(&cfg->allowed_origins, host)) {
            resp_header(resp, "Access-Control-Allow-Origin", origin);
            resp_header(resp, "Access-Control-Allow-Credentials", "true");
            resp_header(resp, "Vary", "Origin");
        } else {
            resp_header(resp, "Access-Control-Allow-Origin", "null");
        }
    } else if (origin) {
        resp_header(resp, "Access-Control-Allow-Origin", origin);
        resp_header(resp, "Access-Control-Allow-Credentials", "true");
        resp_header(resp, "Vary", "Origin");
    } else {
        resp_header(resp, "Access-Control-Allow-Origin", "*");
    }
    /* the fixed part in one append (every beacon sends it) */
    static const char fixed[] =
        "Access-Control-Allow-Methods: GET, POST, PATCH, DELETE, OPTIONS\r\n"
        "Access-Control-Allow-Headers: Content-Type, Authorization\r\n"
        "Access-Control-Max-Age: 86400\r\n";
    buf_append(&resp->headers, fixed, sizeof fixed - 1);
}
