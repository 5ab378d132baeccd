/* livebar.c -- live-stats bar figures and in-process sub-requests (see
 * livebar.h; spec/30 §4.3, §4.6).
 *
 * Request timing: api/stats.h keeps one Redis hash per epoch second
 * (stats:s:<sec>: n, sum) and stats:boot (ms of the first request). The bar
 * sums the last 300 seconds in one pipelined exchange; that is the same data
 * /api/stats/vitals reads, so the two never disagree. */
#include "admin/livebar.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "api/stats_util.h"
#include "core/config.h"
#include "store/db.h"
#include "store/kv.h"
#include "store/shipper.h"

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void timing(admin_live_t *o)
{
    long long now = now_ms();
    long long boot = kv_int_cmd("GET %sstats:boot", kv_prefix);
    if (boot <= 0) return;
    double since_s = (double)(now - boot) / 1000.0;
    if (since_s < 0) since_s = 0;
    o->uptime_s = stats_round_int(since_s);
    long long sec = now / 1000;
    int queued = 0;
    for (long long s = sec - 299; s <= sec; s++)
        if (kv_pipe("HMGET %sstats:s:%lld n sum", kv_prefix, s) == 0) queued++;
    double n = 0, sum = 0;
    for (int i = 0; i < queued; i++) {
        kv_reply_t *r = kv_pipe_read();
        if (r && kv_type(r) == KV_ARR && kv_nelem(r) == 2) {
            const char *a = kv_str(kv_elem(r, 0)), *b = kv_str(kv_elem(r, 1));
            if (a) n += atof(a);
            if (b) sum += atof(b);
        }
        kv_free(r);
    }
    double w = since_s < 300 ? since_s : 300;
    o->avg_ms = n > 0 ? stats_round_int(sum / n) : 0;
    o->rps = w > 0 ? stats_round2(n / w) : 0;
}

void admin_live_stats(admin_live_t *o, int public_mode)
{
    memset(o, 0, sizeof *o);
    o->window_min = cfg ? cfg->live_stats_minutes : 10;
    if (o->window_min < 1) o->window_min = 10;
    db_res_t *r = NULL;
    /* UTC_TIMESTAMP() has whole seconds: the cutoff is truncated as §4.3 says */
    if (db_query(&r, "SELECT IFNULL(SUM(bot_score BETWEEN 0 AND 49),0), IFNULL(SUM(bot_score >= 50),0), "
                 "COUNT(DISTINCT visitor_id) FROM visitor_views "
                 "WHERE created_at >= UTC_TIMESTAMP() - INTERVAL ? MINUTE", "i",
                 (long long)o->window_min) == 0) {
        if (db_next(r)) {
            o->human = db_int(r, 0);
            o->bots = db_int(r, 1);
            o->unique = db_int(r, 2);
        }
        db_free(r);
    }
    if (public_mode) return;
    long long backlog = 0, age = 0, rows[SHIPPER_ROW_KINDS];
    if (shipper_backlog_rows(&backlog, &age, rows) == 0) {
        o->view_buf = rows[SHIPPER_ROWS_VIEWS];
        o->event_buf = rows[SHIPPER_ROWS_EVENTS];
    }
    timing(o);
}

/* ------------------------------------------------------------ sub-request */

typedef struct sub_env {
    req_t *parent;
    const char *uri, *query;
} sub_env_t;

static const char *sub_env_fn(void *ctx, const char *name)
{
    sub_env_t *e = ctx;
    if (strcmp(name, "REQUEST_METHOD") == 0) return "GET";
    if (strcmp(name, "REQUEST_URI") == 0 || strcmp(name, "SCRIPT_NAME") == 0) return e->uri;
    if (strcmp(name, "QUERY_STRING") == 0) return e->query;
    if (strcmp(name, "CONTENT_LENGTH") == 0 || strcmp(name, "CONTENT_TYPE") == 0) return NULL;
    return req_env(e->parent, name);
}

int admin_subrequest(req_t *req, route_fn fn, const char *path, const char *query,
                     json_object **out)
{
    *out = NULL;
    sub_env_t e = { req, NULL, query ? query : "" };
    e.uri = arena_printf(req->arena, "%s%s%s", path, *e.query ? "?" : "", e.query);
    req_t sub;
    req_init(&sub, req->arena, sub_env_fn, &e);
    sub.user = req->user;
    resp_t r;
    resp_init(&r);
    fn(&sub, &r);
    int status = r.status;
    if (status == 200 && r.body.p) {
        *out = json_tokener_parse(r.body.p);
        if (!*out) status = 500;
    }
    resp_free(&r);
    return status;
}
