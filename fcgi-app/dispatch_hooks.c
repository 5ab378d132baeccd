/* dispatch_hooks.c -- which module provides each dispatcher seam (see .h). */
#include "dispatch_hooks.h"
#include <string.h>

void hook_worker_start(void)
{
}

void hook_worker_stop(void)
{
}

void hook_before_route(req_t *req, resp_t *resp)
{
    (void)req; (void)resp;
}

int hook_is_static_asset(const char *path)
{
    (void)path;
    return 0;
}

int hook_auth_api(req_t *req, resp_t *resp)
{
    (void)req; (void)resp;
    return 0;
}

int hook_auth_admin(req_t *req, resp_t *resp)
{
    (void)req; (void)resp;
    return 0;
}

void hook_after_response(req_t *req, resp_t *resp, long duration_us)
{
    (void)req; (void)resp; (void)duration_us;
}
