/* campaigns.c -- UTM campaigns: /api/campaigns and /api/campaigns/:id
 * (spec/40 §3.2; table utm_campaigns of spec/30 §1.2.7).
 *
 * Every successful mutation bumps the Redis generation counter
 * APIU_GEN_CAMPAIGNS so each worker reloads its active-campaign cache (the
 * beacon records utm_* only for active campaigns) within a second. */
#include "api/mgmt.h"
#include <string.h>
#include "api/apiutil.h"
#include "store/db.h"

#define ID_MAX 128
#define NAME_MAX_CP 256

static const char sql_list[] =
    "SELECT `id`,`name`,`utm_campaign`,`site_id`,`status`,`created_at` FROM `utm_campaigns` "
    "ORDER BY `created_at` DESC LIMIT 200";
static const char sql_one[] =
    "SELECT `id`,`name`,`utm_campaign`,`site_id`,`status`,`created_at` FROM `utm_campaigns` "
    "WHERE `id` = ?";
static const char sql_insert[] =
    "INSERT INTO `utm_campaigns` (`id`,`name`,`utm_campaign`,`site_id`,`status`,`created_at`) "
    "VALUES (?,?,?,?,'active',UTC_TIMESTAMP(3))";
static const char sql_status[] = "UPDATE `utm_campaigns` SET `status` = ? WHERE `id` = ?";
static const char sql_delete[] = "DELETE FROM `utm_campaigns` WHERE `id` = ?";

static json_object *row_json(db_res_t *r)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "id", apiu_json_str(db_str(r, 0)));
    json_object_object_add(o, "name", apiu_json_str(db_str(r, 1)));
    json_object_object_add(o, "utm_campaign", apiu_json_str(db_str(r, 2)));
    json_object_object_add(o, "site_id", apiu_json_str(db_str(r, 3)));
    json_object_object_add(o, "status", apiu_json_str(db_str(r, 4)));
    json_object_object_add(o, "created_at", apiu_json_ts(db_str(r, 5)));
    return o;
}

void api_campaigns_list(req_t *req, resp_t *resp)
{
    (void)req;
    db_res_t *r;
    if (db_query(&r, sql_list, "") < 0) {
        resp_error(resp, 500, "internal", "Database error");
        return;
    }
    json_object *arr = json_object_new_array();
    while (db_next(r)) json_object_array_add(arr, row_json(r));
    db_free(r);
    resp_json(resp, 200, arr);
}

/* First 256 code points of String(v), then U+0000..U+001F removed. */
static const char *clean_text(req_t *req, json_object *v, size_t *len)
{
    size_t n;
    const char *s = apiu_string(req->arena, v, &n);
    s = apiu_trunc(req->arena, s, n, NAME_MAX_CP, &n);
    char *o = arena_alloc(req->arena, n + 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] >= 0x20) o[k++] = s[i];
    o[k] = '\0';
    *len = k;
    return o;
}

void api_campaigns_create(req_t *req, resp_t *resp)
{
    json_object *body;
    if (apiu_body_json(req, &body) < 0) {
        resp_error(resp, 400, "invalid_payload", "Invalid JSON");
        return;
    }
    json_object *o = apiu_obj(body);
    json_object *jid = apiu_get(o, "id"), *jname = apiu_get(o, "name");
    json_object *jutm = apiu_get(o, "utm_campaign"), *jsite = apiu_get(o, "site_id");
    if (!apiu_truthy(jid) || !apiu_truthy(jname) || !apiu_truthy(jutm)) {
        json_object_put(body);
        resp_error(resp, 400, "invalid_payload", "Missing required fields: id, name, utm_campaign");
        return;
    }
    size_t idn, namen, utmn, siten = 7;
    const char *id = apiu_string(req->arena, jid, &idn);
    id = apiu_trunc(req->arena, id, idn, ID_MAX, &idn);
    if (!apiu_is_slug(id, idn)) {
        json_object_put(body);
        resp_error(resp, 400, "invalid_id", "ID must be alphanumeric with ._- only");
        return;
    }
    const char *name = clean_text(req, jname, &namen);
    const char *utm = clean_text(req, jutm, &utmn);
    const char *site = "default";
    if (apiu_truthy(jsite)) {
        size_t n;
        const char *s = apiu_string(req->arena, jsite, &n);
        if (apiu_is_site(s, n)) { site = s; siten = n; }
    }
    json_object_put(body);
    if (db_exec(sql_insert, "bbbb", id, idn, name, namen, utm, utmn, site, siten) < 0) {
        resp_error(resp, 409, "conflict", "Campaign creation failed (duplicate id or utm_campaign+site_id)");
        return;
    }
    apiu_bump_gen(APIU_GEN_CAMPAIGNS);
    apiu_reply_id(resp, 201, "created", id, idn);
}

void api_campaigns_get(req_t *req, resp_t *resp)
{
    const char *id;
    size_t idn;
    if (apiu_path_id_or_reply(req, resp, ID_MAX, &id, &idn) < 0) return;
    db_res_t *r;
    if (db_query(&r, sql_one, "b", id, idn) < 0) {
        resp_error(resp, 500, "internal", "Database error");
        return;
    }
    if (!db_next(r)) {
        db_free(r);
        resp_error(resp, 404, "not_found", "Campaign not found");
        return;
    }
    json_object *o = row_json(r);
    db_free(r);
    resp_json(resp, 200, o);
}

void api_campaigns_patch(req_t *req, resp_t *resp)
{
    const char *id;
    size_t idn;
    if (apiu_path_id_or_reply(req, resp, ID_MAX, &id, &idn) < 0) return;
    json_object *body;
    if (apiu_body_json(req, &body) < 0) {
        resp_error(resp, 400, "invalid_payload", "Invalid JSON");
        return;
    }
    json_object *js = apiu_get(apiu_obj(body), "status");
    const char *st = js && json_object_is_type(js, json_type_string) ? json_object_get_string(js) : NULL;
    static const char *const allowed[] = {"active", "paused", "archived"};
    const char *status = NULL;
    for (size_t i = 0; st && i < 3; i++)
        if (strcmp(st, allowed[i]) == 0 && (size_t)json_object_get_string_len(js) == strlen(allowed[i]))
            status = allowed[i];
    json_object_put(body);
    if (!status) {
        resp_error(resp, 400, "invalid_payload", "Invalid status. Must be one of: active, paused, archived");
        return;
    }
    long long n = db_exec(sql_status, "sb", status, id, idn);
    if (n < 0) {
        resp_error(resp, 500, "internal", "Database error");
        return;
    }
    if (n == 0) {
        resp_error(resp, 404, "not_found", "Campaign not found");
        return;
    }
    apiu_bump_gen(APIU_GEN_CAMPAIGNS);
    apiu_reply_id(resp, 200, "updated", id, idn);
}

void api_campaigns_delete(req_t *req, resp_t *resp)
{
    const char *id;
    size_t idn;
    if (apiu_path_id_or_reply(req, resp, ID_MAX, &id, &idn) < 0) return;
    long long n = db_exec(sql_delete, "b", id, idn);
    if (n < 0) {
        resp_error(resp, 500, "internal", "Database error");
        return;
    }
    if (n == 0) {
        resp_error(resp, 404, "not_found", "Campaign not found");
        return;
    }
    apiu_bump_gen(APIU_GEN_CAMPAIGNS);
    apiu_reply_id(resp, 200, "deleted", id, idn);
}
