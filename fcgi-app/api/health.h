/* health: GET /api/health (spec/40 §3.1, spec/README decision 11).
 * Answers quickly whatever the state of MariaDB and Redis: each component is
 * probed with a short timeout and reported "ok" or "down". */
#ifndef ECHELON_API_HEALTH_H
#define ECHELON_API_HEALTH_H
#include "core/http.h"
void api_health(req_t *req, resp_t *resp);
#endif
