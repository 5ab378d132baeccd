/* debug.c -- the runtime debug-logging switch: GET/POST /api/debug
 * (spec/40 §3.7).
 *
 * The reference keeps the override in process memory; here it is the Redis
 * key kv_prefix + APIU_KEY_DEBUG ("1" when on, absent otherwise) so every
 * worker on every host logs alike. Workers read it through debug_enabled(),
 * cached for at most a second. "Resets on restart" becomes "resets when the
 * key is deleted" (the service start script deletes it). */
#include "api/mgmt.h"
#include <stdio.h>
#include <time.h>
#include "api/apiutil.h"
#include "core/config.h"
#include "store/kv.h"

static void key(char *out, size_t n) { snprintf(out, n, "%s%s", kv_prefix, APIU_KEY_DEBUG); }

/* 1 on, 0 off, -1 Redis down. */
static int override_now(void)
{
    char k[64];
    key(k, sizeof k);
    return (int)kv_int_cmd("EXISTS %s", k);
}

int debug_enabled(void)
{
    static time_t at;
    static int cached;
    if (cfg->debug) return 1;
    time_t now = time(NULL);
    if (now != at) {
        at = now;
        cached = override_now() == 1;
    }
    return cached;
}

static json_object *state(int with_env)
{
    int o = override_now();
    json_object *j = json_object_new_object();
    json_object_object_add(j, "debug", json_object_new_boolean(cfg->debug || o == 1));
    if (with_env) json_object_object_add(j, "envOverride", json_object_new_boolean(cfg->debug));
    return j;
}

void api_debug_get(req_t *req, resp_t *resp)
{
    (void)req;
    resp_json(resp, 200, state(1));
}

void api_debug_post(req_t *req, resp_t *resp)
{
    if (cfg->debug) {
        resp_error(resp, 409, "locked", "Debug is locked by ECHELON_DEBUG env variable");
        return;
    }
    json_object *body;
    if (apiu_body_json(req, &body) < 0) {
        resp_error(resp, 400, "invalid_body", "Invalid JSON body");
        return;
    }
    json_object *je = apiu_get(apiu_obj(body), "enabled");
    if (!je || !json_object_is_type(je, json_type_boolean)) {
        json_object_put(body);
        resp_error(resp, 400, "invalid_body", "Missing boolean 'enabled' field");
        return;
    }
    int on = json_object_get_boolean(je);
    json_object_put(body);
    char k[64];
    key(k, sizeof k);
    kv_reply_t *r = on ? kv_cmd("SET %s 1", k) : kv_cmd("DEL %s", k);
    int ok = r && kv_type(r) != KV_ERR;
    kv_free(r);
    if (!ok) {
        resp_error(resp, 500, "internal", "Could not store the debug flag");
        return;
    }
    resp_json(resp, 200, state(0));
}
