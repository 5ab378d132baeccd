/* router.c -- route matching with spec/40 §1 precedence (see router.h). */
#include "core/router.h"
#include <string.h>

unsigned router_method_bit(const char *m)
{
    if (strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0) return M_GET;
    if (strcmp(m, "POST") == 0) return M_POST;
    if (strcmp(m, "PATCH") == 0) return M_PATCH;
    if (strcmp(m, "DELETE") == 0) return M_DELETE;
    if (strcmp(m, "PUT") == 0) return M_PUT;
    return 0;
}

/* Match path against pattern; on success store captures (arena copies,
 * percent-decoded) and return 1. Captures never match an empty segment. */
static int match(const char *pat, const char *path, req_t *req, int store)
{
    int np = 0;
    while (*pat && *path) {
        if (*pat == ':') {
            while (*pat && *pat != '/') pat++;
            const char *seg = path;
            while (*path && *path != '/') path++;
            if (path == seg) return 0;
            if (store && np < HTTP_MAX_PARAMS) {
                size_t n = (size_t)(path - seg);
                char *d = arena_alloc(req->arena, n + 1);
                http_pct_decode(seg, n, d, 0);
                req->params[np] = d;
            }
            np++;
            continue;
        }
        if (*pat != *path) return 0;
        pat++;
        path++;
    }
    if (*pat || *path) return 0;
    if (store) req->nparams = np < HTTP_MAX_PARAMS ? np : HTTP_MAX_PARAMS;
    return 1;
}

/* Fixed segments beat captures: among patterns matching the path, prefer the
 * one with fewer captures (then table order). */
static int ncaptures(const char *pat)
{
    int n = 0;
    for (; *pat; pat++) n += *pat == ':';
    return n;
}

/* The last answer, per process: the result depends only on the (static)
 * table, the method bit and the path, and one path (/b.gif) dominates the
 * traffic, so a repeat costs a string compare instead of matching every
 * pattern. Captures are still stored by match(). */
static struct {
    const route_t *table, *best;
    size_t n;
    unsigned bit;
    char path[64];
} last;

router_result_t router_match(const route_t *table, size_t n, req_t *req, const route_t **out)
{
    unsigned bit = router_method_bit(req->method);
    if (last.best && last.table == table && last.n == n && last.bit == bit &&
        strcmp(last.path, req->path) == 0) {
        match(last.best->pattern, req->path, req, 1);
        *out = last.best;
        return ROUTER_FOUND;
    }
    const route_t *best = NULL;
    int path_known = 0;
    for (size_t i = 0; i < n; i++) {
        if (!match(table[i].pattern, req->path, req, 0)) continue;
        path_known = 1;
        if (!(table[i].methods & bit)) continue;
        if (!best || ncaptures(table[i].pattern) < ncaptures(best->pattern)) best = &table[i];
    }
    if (!best) return path_known ? ROUTER_BAD_METHOD : ROUTER_NOT_FOUND;
    match(best->pattern, req->path, req, 1);
    *out = best;
    size_t pl = strlen(req->path);
    if (pl < sizeof last.path) {
        last.table = table;
        last.n = n;
        last.bit = bit;
        last.best = best;
        memcpy(last.path, req->path, pl + 1);
    }
    return ROUTER_FOUND;
}
