/* experiments.c -- A/B experiments: /api/experiments and the status state
 * machine of PATCH /api/experiments/:id (spec/40 §3.3; tables experiments
 * and experiment_variants of spec/30 §1.2.5-1.2.6).
 *
 * Creation is one transaction (experiment + up to 20 variants). A status
 * change is one guarded UPDATE (`... AND status = <current>`), so two admins
 * racing on the same experiment cannot both win: the loser gets 409.
 * started_at / ended_at are set only when still NULL, so resuming keeps the
 * first start and archiving keeps the completion time. */
#include "api/mgmt.h"
#include <math.h>
#include <string.h>
#include "api/apiutil.h"
#include "store/db.h"

#define ID_MAX 128
#define MAX_VARIANTS 20

static const char sql_list[] =
    "SELECT `experiment_id`,`name`,`description`,`status`,`metric_event_type`,`allocation_percent`,"
    "`created_at`,`started_at`,`ended_at` FROM `experiments` ORDER BY `created_at` DESC LIMIT 200";
static const char sql_insert[] =
    "INSERT INTO `experiments` (`experiment_id`,`name`,`description`,`status`,`metric_event_type`,"
    "`allocation_percent`,`created_at`) VALUES (?,?,?,'draft',?,?,UTC_TIMESTAMP(3))";
static const char sql_variant[] =
    "INSERT INTO `experiment_variants` (`experiment_id`,`variant_id`,`name`,`weight`,`is_control`,`config`) "
    "VALUES (?,?,?,?,?,?)";
static const char sql_status_of[] = "SELECT `status` FROM `experiments` WHERE `experiment_id` = ?";
static const char sql_to_active[] =
    "UPDATE `experiments` SET `status` = 'active', `started_at` = COALESCE(`started_at`, UTC_TIMESTAMP(3)) "
    "WHERE `experiment_id` = ? AND `status` = ?";
static const char sql_to_ended[] =
    "UPDATE `experiments` SET `status` = ?, `ended_at` = COALESCE(`ended_at`, UTC_TIMESTAMP(3)) "
    "WHERE `experiment_id` = ? AND `status` = ?";
static const char sql_to_paused[] =
    "UPDATE `experiments` SET `status` = 'paused' WHERE `experiment_id` = ? AND `status` = ?";

static const char *const statuses[] = {"draft", "active", "paused", "completed", "archived"};

int experiments_transition_ok(const char *from, const char *to)
{
    static const struct { const char *from, *to; } ok[] = {
        {"draft", "active"}, {"active", "paused"}, {"active", "completed"},
        {"paused", "active"}, {"completed", "archived"},
    };
    if (!from || !to) return 0;
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (!strcmp(ok[i].from, from) && !strcmp(ok[i].to, to)) return 1;
    return 0;
}

void api_experiments_list(req_t *req, resp_t *resp)
{
    (void)req;
    db_res_t *r;
    if (db_query(&r, sql_list, "") < 0) {
        resp_error(resp, 500, "internal", "Database error");
        return;
    }
    json_object *arr = json_object_new_array();
    while (db_next(r)) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "experiment_id", apiu_json_str(db_str(r, 0)));
        json_object_object_add(o, "name", apiu_json_str(db_str(r, 1)));
        json_object_object_add(o, "description", apiu_json_str(db_str(r, 2)));
        json_object_object_add(o, "status", apiu_json_str(db_str(r, 3)));
        json_object_object_add(o, "metric_event_type", apiu_json_str(db_str(r, 4)));
        json_object_object_add(o, "allocation_percent", apiu_json_double(db_dbl(r, 5)));
        json_object_object_add(o, "created_at", apiu_json_ts(db_str(r, 6)));
        json_object_object_add(o, "started_at", apiu_json_ts(db_str(r, 7)));
        json_object_object_add(o, "ended_at", apiu_json_ts(db_str(r, 8)));
        json_object_array_add(arr, o);
    }
    db_free(r);
    resp_json(resp, 200, arr);
}

static const char *str_trunc(req_t *req, json_object *v, size_t max, size_t *len)
{
    size_t n;
    const char *s = apiu_string(req->arena, v, &n);
    return apiu_trunc(req->arena, s, n, max, len);
}

/* Insert one variant. 0 ok, 400 bad weight, 409 anything else. */
static int insert_variant(req_t *req, const char *eid, size_t eidn, json_object *v)
{
    if (!v || json_object_is_type(v, json_type_null)) return 409;   /* null.weight throws */
    json_object *o = apiu_obj(v);
    double w = apiu_number(apiu_get(o, "weight"));
    if (!isfinite(w) || w <= 0) return 400;
    size_t vidn = 0, namen = 0, cfgn = 0;
    json_object *jvid = apiu_get(o, "variant_id"), *jname = apiu_get(o, "name");
    const char *vid = jvid ? str_trunc(req, jvid, 128, &vidn) : "";
    const char *name = jname ? str_trunc(req, jname, 256, &namen) : "";
    const char *config = NULL;
    json_object *jcfg = apiu_get(o, "config");
    if (apiu_truthy(jcfg)) {
        size_t n;
        const char *s = json_object_to_json_string_length(jcfg, HTTP_JSON_FLAGS, &n);
        config = apiu_trunc(req->arena, s, n, 4096, &cfgn);
    }
    long long is_control = apiu_truthy(apiu_get(o, "is_control")) ? 1 : 0;
    if (db_exec(sql_variant, "bbbdib", eid, eidn, vid, vidn, name, namen, w, is_control, config, cfgn) < 0)
        return 409;
    return 0;
}

void api_experiments_create(req_t *req, resp_t *resp)
{
    json_object *body;
    if (apiu_body_json(req, &body) < 0) {
        resp_error(resp, 400, "invalid_payload", "Invalid JSON");
        return;
    }
    json_object *o = apiu_obj(body);
    json_object *jid = apiu_get(o, "experiment_id"), *jname = apiu_get(o, "name");
    json_object *jmet = apiu_get(o, "metric_event_type");
    if (!apiu_truthy(jid) || !apiu_truthy(jname) || !apiu_truthy(jmet)) {
        json_object_put(body);
        resp_error(resp, 400, "invalid_payload", "Missing required fields");
        return;
    }
    size_t idn, namen, metn, descn = 0;
    const char *id = str_trunc(req, jid, ID_MAX, &idn);
    if (!apiu_is_slug(id, idn)) {
        json_object_put(body);
        resp_error(resp, 400, "invalid_payload", "experiment_id must be alphanumeric (plus . _ -)");
        return;
    }
    const char *name = str_trunc(req, jname, 256, &namen);
    json_object *jdesc = apiu_get(o, "description");
    const char *desc = apiu_truthy(jdesc) ? str_trunc(req, jdesc, 1024, &descn) : NULL;
    const char *metric = str_trunc(req, jmet, 128, &metn);
    double alloc = apiu_number(apiu_get(o, "allocation_percent"));
    if (alloc == 0 || isnan(alloc)) alloc = 100;
    if (alloc < 1) alloc = 1;
    if (alloc > 100) alloc = 100;
    json_object *jvars = apiu_get(o, "variants");
    size_t nvars = jvars && json_object_is_type(jvars, json_type_array) ? json_object_array_length(jvars) : 0;
    if (nvars > MAX_VARIANTS) nvars = MAX_VARIANTS;

    int status = 0;
    if (db_begin() < 0) {
        status = 409;
    } else if (db_exec(sql_insert, "bbbbd", id, idn, name, namen, desc, descn, metric, metn, alloc) < 0) {
        status = 409;
    } else {
        for (size_t i = 0; i < nvars && !status; i++)
            status = insert_variant(req, id, idn, json_object_array_get_idx(jvars, i));
    }
    json_object_put(body);
    if (status == 0 && db_commit() < 0) status = 409;
    if (status) {
        db_rollback();
        if (status == 400)
            resp_error(resp, 400, "invalid_payload", "Variant weight must be a finite positive number");
        else
            resp_error(resp, 409, "conflict", "Experiment creation failed");
        return;
    }
    apiu_reply_id(resp, 201, "created", id, idn);
}

void api_experiments_patch(req_t *req, resp_t *resp)
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
    const char *target = NULL;
    if (js && json_object_is_type(js, json_type_string))
        for (size_t i = 0; i < 5; i++)
            if (strcmp(json_object_get_string(js), statuses[i]) == 0 &&
                (size_t)json_object_get_string_len(js) == strlen(statuses[i]))
                target = statuses[i];
    json_object_put(body);
    if (!target) {
        resp_error(resp, 400, "invalid_payload",
                   "Invalid status. Must be one of: draft, active, paused, completed, archived");
        return;
    }
    db_res_t *r;
    if (db_query(&r, sql_status_of, "b", id, idn) < 0) {
        resp_error(resp, 500, "internal", "Database error");
        return;
    }
    if (!db_next(r)) {
        db_free(r);
        resp_error(resp, 404, "not_found", "Experiment not found");
        return;
    }
    const char *cur = arena_strdup(req->arena, db_str(r, 0) ? db_str(r, 0) : "");
    db_free(r);
    if (!experiments_transition_ok(cur, target)) {
        const char *msg = arena_printf(req->arena, "Cannot transition from '%s' to '%s'", cur, target);
        resp_error(resp, 400, "invalid_transition", msg);
        return;
    }
    long long n;
    if (!strcmp(target, "active"))
        n = db_exec(sql_to_active, "bs", id, idn, cur);
    else if (!strcmp(target, "paused"))
        n = db_exec(sql_to_paused, "bs", id, idn, cur);
    else
        n = db_exec(sql_to_ended, "sbs", target, id, idn, cur);
    if (n < 0) {
        resp_error(resp, 500, "internal", "Database error");
        return;
    }
    if (n == 0) {
        resp_error(resp, 409, "conflict", "Experiment status was modified concurrently, retry");
        return;
    }
    apiu_reply_id(resp, 200, "updated", id, idn);
}
