/* stats_common.c -- helpers shared by the stats and bot-read handlers (see
 * stats_int.h). */
#include "api/stats_int.h"
#include "api/stats_util.h"
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

const char *stats_param(req_t *req, const char *name)
{
    const char *v = req_query(req, name);
    return v && *v ? v : NULL;
}

const char *stats_site_or_reply(req_t *req, resp_t *resp)
{
    const char *s = stats_param(req, "site_id");
    if (!s || !stats_site_valid(s)) {
        resp_error(resp, 400, "missing_param", "site_id required");
        return NULL;
    }
    return s;
}

void stats_db_error(resp_t *resp)
{
    resp_error(resp, 500, "internal", "Database error");
}

json_object *stats_jstr(const char *s)
{
    return s ? json_object_new_string(s) : NULL;
}

json_object *stats_col_str(const db_res_t *r, size_t c)
{
    const char *s = db_str(r, c);
    return s ? json_object_new_string_len(s, (int)db_len(r, c)) : NULL;
}

json_object *stats_col_int(const db_res_t *r, size_t c, int zero_null)
{
    const char *s = db_str(r, c);
    if (!s) return zero_null ? json_object_new_int64(0) : NULL;
    /* SUM() arrives as DECIMAL text ("100" or "100.0000"): integral by
     * construction, emitted as a plain JSON integer (spec/30 §0.7). */
    return json_object_new_int64(strtoll(s, NULL, 10));
}

json_object *stats_col_ts(const db_res_t *r, size_t c)
{
    return stats_json_ts(db_str(r, c));
}

long long stats_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void stats_day_sql(long day, char *out, size_t outsz)
{
    char d[16];
    stats_fmt_date(day, d, sizeof d);
    snprintf(out, outsz, "%s 00:00:00.000", d);
}
