/* router: method + path pattern -> route, with the precedence of spec/40 §1.
 *
 * Owns: matching a normalised path against a static route table whose
 * patterns are literal segments and ":name" captures (exactly one segment).
 * Promises: fixed routes win over captures at the same position (the table
 * order decides otherwise); HEAD matches a route that serves GET.
 * Never: authenticates, calls a handler or writes a response. */
#ifndef ECHELON_CORE_ROUTER_H
#define ECHELON_CORE_ROUTER_H
#include "core/http.h"

enum {
    M_GET = 1, M_POST = 2, M_PATCH = 4, M_DELETE = 8, M_PUT = 16,
    /* Not a method: the handler reads the body itself with req_read_body()
     * after its own earlier checks (e.g. /e: rate limit, known bots, then 413). */
    M_LAZY_BODY = 1 << 8,
};

typedef enum route_area {
    AREA_NONE = 0,      /* public: tracking, health, robots, login page */
    AREA_API,           /* /api/...: bearer or session (spec/40 §2.7) */
    AREA_ADMIN,         /* /admin pages: session or redirect (spec/40 §2.8) */
} route_area_t;

typedef void (*route_fn)(req_t *req, resp_t *resp);

typedef struct route {
    unsigned methods;       /* M_* mask */
    const char *pattern;    /* "/api/campaigns/:id" */
    route_fn fn;
    route_area_t area;
    size_t body_max;        /* bytes; 0 = no body read */
    const char *body_413;   /* JSON message for 413, NULL = empty 413 body */
} route_t;

typedef enum router_result {
    ROUTER_FOUND = 0,
    ROUTER_NOT_FOUND,       /* 404 */
    ROUTER_BAD_METHOD,      /* 405 */
} router_result_t;

unsigned router_method_bit(const char *method);  /* HEAD -> M_GET; unknown -> 0 */
/* Find the route for method+path. On FOUND, *out is set and captures are
 * stored into req->params. */
router_result_t router_match(const route_t *table, size_t n, req_t *req, const route_t **out);
#endif
