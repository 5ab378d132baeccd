/* dispatch_hooks: the seams between the worker's dispatcher (main.c) and the
 * handler modules: the per-request global middleware (known-bot side effect),
 * area authentication, static assets, the after-response statistics hook and
 * worker start/stop (job registration). Implemented in dispatch_hooks.c, the
 * only place that knows which module provides each. */
#ifndef ECHELON_DISPATCH_HOOKS_H
#define ECHELON_DISPATCH_HOOKS_H
#include "core/http.h"
void hook_worker_start(void);
void hook_worker_stop(void);
void hook_before_route(req_t *req, resp_t *resp);
int hook_is_static_asset(const char *path);
int hook_auth_api(req_t *req, resp_t *resp);
int hook_auth_admin(req_t *req, resp_t *resp);
void hook_after_response(req_t *req, resp_t *resp, long duration_us);
#endif
