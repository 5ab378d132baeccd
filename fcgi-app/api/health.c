/* health.c -- GET /api/health (see health.h): status, then each component
 * (mariadb, redis: "ok"/"down"; spool: backlog and its oldest age). */
#include "api/health.h"
#include "store/db.h"
#include "store/kv.h"
#include "store/shipper.h"

void api_health(req_t *req, resp_t *resp)
{
    (void)req;
    int db_ok = db_ping() == 0;
    int kv_ok = kv_ping() == 0;
    json_object *o = json_object_new_object();
    json_object_object_add(o, "status", json_object_new_string(db_ok && kv_ok ? "ok" : "degraded"));
    json_object_object_add(o, "service", json_object_new_string("Echelon Analytics"));
    json_object *c = json_object_new_object();
    json_object_object_add(c, "mariadb", json_object_new_string(db_ok ? "ok" : "down"));
    json_object_object_add(c, "redis", json_object_new_string(kv_ok ? "ok" : "down"));
    /* The spool backlog: records accepted but not yet in MariaDB. */
    long long backlog = 0, age = 0;
    shipper_backlog(&backlog, &age);
    json_object *sp = json_object_new_object();
    json_object_object_add(sp, "backlog", json_object_new_int64(backlog));
    json_object_object_add(sp, "oldest_age_s", json_object_new_int64(age));
    json_object_object_add(c, "spool", sp);
    json_object_object_add(o, "components", c);
    resp_json(resp, 200, o);
}
