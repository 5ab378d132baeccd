/* bots_read: the bot-management read endpoints (spec/30 §2.9-§2.12).
 *
 * Owns: GET /api/bots/suspicious, /api/bots/excluded, /api/bots/visitor/:id,
 * /api/bots/score-detail. Promises: read-only, exact shapes and limits of
 * the spec; ids from the path are decoded once and truncated to 128.
 * Never: writes (exclude/include are api/bots_admin.c). */
#ifndef ECHELON_API_BOTS_READ_H
#define ECHELON_API_BOTS_READ_H
#include "core/http.h"
void bots_suspicious_handler(req_t *req, resp_t *resp);
void bots_excluded_handler(req_t *req, resp_t *resp);
void bots_visitor_handler(req_t *req, resp_t *resp);
void bots_score_detail_handler(req_t *req, resp_t *resp);
#endif
