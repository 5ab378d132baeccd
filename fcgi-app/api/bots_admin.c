/* bots_admin.c -- the bot exclusion list: POST /api/bots/exclude and
 * DELETE /api/bots/exclude/:id (spec/40 §3.4; table excluded_visitors).
 *
 * Excluding is insert-if-absent (an existing label is kept); including is an
 * idempotent delete that always answers 200. Both bump APIU_GEN_EXCLUDED so
 * every worker reloads its excluded-visitor cache within a second. */
#include "api/mgmt.h"
#include "api/apiutil.h"
#include "store/db.h"

static const char sql_exclude[] =
    "INSERT INTO `excluded_visitors` (`visitor_id`,`label`,`created_at`) VALUES (?,?,UTC_TIMESTAMP(3)) "
    "ON DUPLICATE KEY UPDATE `visitor_id` = `visitor_id`";
static const char sql_include[] = "DELETE FROM `excluded_visitors` WHERE `visitor_id` = ?";

void api_bots_exclude(req_t *req, resp_t *resp)
{
    json_object *body;
    if (apiu_body_json(req, &body) < 0) {
        resp_error(resp, 400, "invalid_payload", "Invalid JSON");
        return;
    }
    json_object *o = apiu_obj(body);
    json_object *jv = apiu_get(o, "visitor_id"), *jl = apiu_get(o, "label");
    if (!jv || !json_object_is_type(jv, json_type_string) || json_object_get_string_len(jv) == 0) {
        json_object_put(body);
        resp_error(resp, 400, "invalid_payload", "visitor_id required");
        return;
    }
    size_t vn, ln = 0;
    const char *vid = apiu_trunc(req->arena, json_object_get_string(jv), (size_t)json_object_get_string_len(jv),
                                 128, &vn);
    const char *label = NULL;
    if (jl && json_object_is_type(jl, json_type_string))
        label = apiu_trunc(req->arena, json_object_get_string(jl), (size_t)json_object_get_string_len(jl), 256,
                           &ln);
    json_object_put(body);
    if (db_exec(sql_exclude, "bb", vid, vn, label, ln) < 0) {
        resp_error(resp, 500, "internal", "Database error");
        return;
    }
    apiu_bump_gen(APIU_GEN_EXCLUDED);
    apiu_reply_id(resp, 201, "excluded", vid, vn);
}

void api_bots_include(req_t *req, resp_t *resp)
{
    const char *id;
    size_t idn;
    if (apiu_path_id_or_reply(req, resp, 128, &id, &idn) < 0) return;
    if (db_exec(sql_include, "b", id, idn) < 0) {
        resp_error(resp, 500, "internal", "Database error");
        return;
    }
    apiu_bump_gen(APIU_GEN_EXCLUDED);
    apiu_reply_id(resp, 200, "included", id, idn);
}
