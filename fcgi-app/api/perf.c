/* perf.c -- CI/benchmark metrics: POST /api/perf, GET /api/perf and
 * GET /api/perf/trends (spec/40 §3.8, spec/30 §2.13-2.15; table
 * perf_metrics).
 *
 * `since` is compared chronologically when it is an ISO-8601 date or
 * date-time prefix ("2025-06-01", "2025-06-01T12:00:00Z"); any other text
 * is compared as text against the canonical timestamp, as the reference
 * does (so a value starting with a letter matches nothing). Metadata is
 * stored once-encoded (spec/40 §9 item 20). */
#include "api/mgmt.h"
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "api/apiutil.h"
#include "store/db.h"

#define PERF_BODY_MAX 65536
#define PERF_MAX_ITEMS 100

static const char sql_insert[] =
    "INSERT INTO `perf_metrics` (`recorded_at`,`commit_hash`,`branch`,`category`,`metric`,`value`,`unit`,"
    "`metadata`) VALUES (UTC_TIMESTAMP(3),?,?,?,?,?,?,?)";

#define PERF_COLS "`id`,`recorded_at`,`commit_hash`,`branch`,`category`,`metric`,`value`,`unit`,`metadata`"
#define CANON_TS "CONCAT(DATE_FORMAT(`recorded_at`,'%Y-%m-%dT%H:%i:%s.'),LPAD(FLOOR(MICROSECOND(`recorded_at`)/1000),3,'0'),'Z')"

/* Filters: (? IS NULL OR category = ?), same for metric; since either as a
 * DATETIME (?) or as canonical text (?). */
#define PERF_WHERE \
    " WHERE (? IS NULL OR `category` = ?) AND (? IS NULL OR `metric` = ?)" \
    " AND (? IS NULL OR `recorded_at` >= ?) AND (? IS NULL OR " CANON_TS " >= ?)"

static const char sql_list[] =
    "SELECT " PERF_COLS " FROM `perf_metrics`" PERF_WHERE " ORDER BY `recorded_at` DESC, `id` DESC LIMIT ?";
static const char sql_trends[] =
    "SELECT " PERF_COLS " FROM (SELECT " PERF_COLS ", ROW_NUMBER() OVER (PARTITION BY `category`,`metric` "
    "ORDER BY `recorded_at` DESC, `id` DESC) AS `rn` FROM `perf_metrics`" PERF_WHERE ") `t` "
    "WHERE `rn` <= ? ORDER BY `category`,`metric`,`recorded_at`,`id`";

static json_object *row_json(db_res_t *r)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "id", json_object_new_int64(db_int(r, 0)));
    json_object_object_add(o, "recorded_at", apiu_json_ts(db_str(r, 1)));
    json_object_object_add(o, "commit_hash", apiu_json_str(db_str(r, 2)));
    json_object_object_add(o, "branch", apiu_json_str(db_str(r, 3)));
    json_object_object_add(o, "category", apiu_json_str(db_str(r, 4)));
    json_object_object_add(o, "metric", apiu_json_str(db_str(r, 5)));
    json_object_object_add(o, "value", apiu_json_double(db_dbl(r, 6)));
    json_object_object_add(o, "unit", apiu_json_str(db_str(r, 7)));
    json_object_object_add(o, "metadata", apiu_json_str(db_str(r, 8)));
    return o;
}

static int nonempty_str(json_object *v)
{
    return v && json_object_is_type(v, json_type_string) && json_object_get_string_len(v) > 0;
}

static const char *jtrunc(req_t *req, json_object *v, size_t max, size_t *n)
{
    return apiu_trunc(req->arena, json_object_get_string(v), (size_t)json_object_get_string_len(v), max, n);
}

void api_perf_post(req_t *req, resp_t *resp)
{
    if (req->body_len > PERF_BODY_MAX || req_content_length(req) > PERF_BODY_MAX) {
        resp_error(resp, 413, "payload_too_large", "Max 64 KB");
        return;
    }
    json_object *body;
    if (apiu_body_json(req, &body) < 0) {
        resp_error(resp, 400, "invalid_payload", "Invalid JSON");
        return;
    }
    if (!body || !json_object_is_type(body, json_type_array) || json_object_array_length(body) > PERF_MAX_ITEMS) {
        json_object_put(body);
        resp_error(resp, 400, "invalid_payload", "Expected array of metrics (max 100)");
        return;
    }
    size_t n = json_object_array_length(body);
    for (size_t i = 0; i < n; i++) {
        json_object *m = apiu_obj(json_object_array_get_idx(body, i));
        json_object *v = apiu_get(m, "value");
        int num = v && (json_object_is_type(v, json_type_int) ||
                        (json_object_is_type(v, json_type_double) && isfinite(json_object_get_double(v))));
        if (!m || !nonempty_str(apiu_get(m, "category")) || !nonempty_str(apiu_get(m, "metric")) || !num ||
            !nonempty_str(apiu_get(m, "unit"))) {
            json_object_put(body);
            resp_error(resp, 400, "invalid_payload",
                       "Each metric requires category (string), metric (string), value (number), unit (string)");
            return;
        }
    }
    int fail = db_begin() < 0;
    for (size_t i = 0; i < n && !fail; i++) {
        json_object *m = json_object_array_get_idx(body, i);
        size_t cn, mn, un, hn = 0, bn = 0, mdn = 0;
        const char *cat = jtrunc(req, apiu_get(m, "category"), 128, &cn);
        const char *met = jtrunc(req, apiu_get(m, "metric"), 128, &mn);
        const char *unit = jtrunc(req, apiu_get(m, "unit"), 32, &un);
        json_object *jh = apiu_get(m, "commit_hash"), *jb = apiu_get(m, "branch"), *jm = apiu_get(m, "metadata");
        const char *hash = jh && json_object_is_type(jh, json_type_string) ? jtrunc(req, jh, 64, &hn) : NULL;
        const char *branch = jb && json_object_is_type(jb, json_type_string) ? jtrunc(req, jb, 128, &bn) : NULL;
        const char *meta = NULL;
        if (jm && !json_object_is_type(jm, json_type_null)) {
            size_t l;
            const char *s = json_object_to_json_string_length(jm, HTTP_JSON_FLAGS, &l);
            meta = apiu_trunc(req->arena, s, l, 2048, &mdn);
        }
        double value = json_object_get_double(apiu_get(m, "value"));
        if (db_exec(sql_insert, "bbbbdbb", hash, hn, branch, bn, cat, cn, met, mn, value, unit, un, meta, mdn) < 0)
            fail = 1;
    }
    json_object_put(body);
    if (!fail && db_commit() < 0) fail = 1;
    if (fail) {
        db_rollback();
        resp_error(resp, 500, "internal", "Ingest failed");
        return;
    }
    json_object *out = json_object_new_object();
    json_object_object_add(out, "inserted", json_object_new_int64((int64_t)n));
    resp_json(resp, 200, out);
}

/* "2025-06-01", "2025-06-01T12", "2025-06-01T12:00", "...:00", "...:00.5",
 * each optionally ending in Z -> "2025-06-01 12:00:00.500". 0 / -1. */
static int iso_prefix(const char *s, char *out, size_t outsz)
{
    int Y, M, D, h = 0, m = 0, sec = 0, ms = 0;
    size_t n = strlen(s);
    if (n && s[n - 1] == 'Z') n--;
    if (n < 10) return -1;
    for (size_t i = 0; i < 10; i++)
        if ((i == 4 || i == 7) ? s[i] != '-' : !isdigit((unsigned char)s[i])) return -1;
    Y = atoi(s);
    M = atoi(s + 5);
    D = atoi(s + 8);
    size_t i = 10;
    if (i < n) {
        if (s[i] != 'T' && s[i] != ' ') return -1;
        if (i + 3 > n || !isdigit((unsigned char)s[i + 1]) || !isdigit((unsigned char)s[i + 2])) return -1;
        h = atoi(s + i + 1);
        i += 3;
        if (i < n) {
            if (s[i] != ':' || i + 3 > n || !isdigit((unsigned char)s[i + 1]) || !isdigit((unsigned char)s[i + 2]))
                return -1;
            m = atoi(s + i + 1);
            i += 3;
        }
        if (i < n) {
            if (s[i] != ':' || i + 3 > n || !isdigit((unsigned char)s[i + 1]) || !isdigit((unsigned char)s[i + 2]))
                return -1;
            sec = atoi(s + i + 1);
            i += 3;
        }
        if (i < n) {
            if (s[i] != '.' || i + 1 >= n) return -1;
            int digits = 0;
            for (i++; i < n; i++, digits++) {
                if (!isdigit((unsigned char)s[i])) return -1;
                if (digits < 3) ms = ms * 10 + (s[i] - '0');
            }
            for (; digits < 3; digits++) ms *= 10;
        }
    }
    if (M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 59) return -1;
    snprintf(out, outsz, "%04d-%02d-%02d %02d:%02d:%02d.%03d", Y, M, D, h, m, sec, ms);
    return 0;
}

/* Bind the 8 filter parameters of PERF_WHERE into p[0..7]. */
static void bind_filters(req_t *req, db_param_t *p, char *since_dt, size_t dtsz)
{
    const char *cat = req_query(req, "category"), *met = req_query(req, "metric");
    const char *since = req_query(req, "since");
    if (cat && !*cat) cat = NULL;
    if (met && !*met) met = NULL;
    if (since && !*since) since = NULL;
    const char *dt = NULL, *txt = NULL;
    if (since) {
        if (iso_prefix(since, since_dt, dtsz) == 0) dt = since_dt;
        else txt = since;
    }
    const char *v[4] = {cat, met, dt, txt};
    for (int i = 0; i < 4; i++) {
        p[2 * i].type = p[2 * i + 1].type = 's';
        p[2 * i].s = p[2 * i + 1].s = v[i];
    }
}

void api_perf_get(req_t *req, resp_t *resp)
{
    db_param_t p[9];
    char dt[96];
    memset(p, 0, sizeof p);
    bind_filters(req, p, dt, sizeof dt);
    p[8].type = 'i';
    p[8].i = apiu_lint_clamp(req_query(req, "limit"), 100, 1, 1000);
    db_res_t *r;
    if (db_queryv(&r, sql_list, p, 9) < 0) {
        resp_error(resp, 500, "internal", "Database error");
        return;
    }
    json_object *arr = json_object_new_array();
    while (db_next(r)) json_object_array_add(arr, row_json(r));
    db_free(r);
    resp_json(resp, 200, arr);
}

typedef struct trend {
    char *key;
    json_object *rows;
} trend_t;

static int trend_cmp(const void *a, const void *b)
{
    return strcmp(((const trend_t *)a)->key, ((const trend_t *)b)->key);
}

void api_perf_trends(req_t *req, resp_t *resp)
{
    db_param_t p[9];
    char dt[96];
    memset(p, 0, sizeof p);
    bind_filters(req, p, dt, sizeof dt);
    /* trends take no category/metric filter */
    for (int i = 0; i < 4; i++) p[i].s = NULL;
    p[8].type = 'i';
    p[8].i = apiu_lint_clamp(req_query(req, "limit"), 30, 1, 1000);
    db_res_t *r;
    if (db_queryv(&r, sql_trends, p, 9) < 0) {
        resp_error(resp, 500, "internal", "Database error");
        return;
    }
    size_t cap = db_nrows(r) + 1, nt = 0;
    trend_t *t = arena_calloc(req->arena, cap * sizeof *t);
    while (db_next(r)) {
        const char *key = arena_printf(req->arena, "%s/%s", db_str(r, 4) ? db_str(r, 4) : "",
                                       db_str(r, 5) ? db_str(r, 5) : "");
        if (nt == 0 || strcmp(t[nt - 1].key, key) != 0) {
            t[nt].key = (char *)key;
            t[nt].rows = json_object_new_array();
            nt++;
        }
        json_object_array_add(t[nt - 1].rows, row_json(r));
    }
    db_free(r);
    qsort(t, nt, sizeof *t, trend_cmp);
    json_object *o = json_object_new_object();
    for (size_t i = 0; i < nt; i++) json_object_object_add(o, t[i].key, t[i].rows);
    resp_json(resp, 200, o);
}
