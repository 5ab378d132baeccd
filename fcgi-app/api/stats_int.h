/* stats_int: helpers shared by the stats and bot-read handlers (api/stats_*.c,
 * api/bots_read.c). Not used outside those files.
 *
 * Owns: the common parameter checks and the JSON building blocks that map
 * MariaDB text results to the typed JSON of spec/30 §0.7. Helpers ending in
 * _or_reply have written the error response when they return NULL/-1. */
#ifndef ECHELON_API_STATS_INT_H
#define ECHELON_API_STATS_INT_H
#include <json-c/json.h>
#include "core/http.h"
#include "store/db.h"

/* A query parameter, or NULL when absent or empty (spec/30 §0.4). */
const char *stats_param(req_t *req, const char *name);
/* The required strict site_id, or NULL after answering the common 400. */
const char *stats_site_or_reply(req_t *req, resp_t *resp);
/* 500 {"error":"internal","message":"Database error"}. */
void stats_db_error(resp_t *resp);

/* Column c of the current row as JSON: string (NULL -> null), integer from
 * its decimal text (NULL -> null, or 0 when zero_null), canonical timestamp. */
json_object *stats_col_str(const db_res_t *r, size_t c);
json_object *stats_col_int(const db_res_t *r, size_t c, int zero_null);
json_object *stats_col_ts(const db_res_t *r, size_t c);
/* A json-c string that may be NULL -> JSON null. */
json_object *stats_jstr(const char *s);

/* Epoch milliseconds now, and "YYYY-MM-DD 00:00:00.000"-style SQL text of
 * day starts / instants for bound parameters. */
long long stats_now_ms(void);
void stats_day_sql(long day, char *out, size_t outsz);   /* "YYYY-MM-DD 00:00:00.000" */

/* last_24h of spec/30 §2.4 (all sites, cutoff truncated to whole seconds);
 * NULL when MariaDB failed. */
json_object *stats_last24h_json(void);
/* buffers of spec/30 §2.4: the deployment-wide spool backlog. */
json_object *stats_buffers_json(void);
#endif
