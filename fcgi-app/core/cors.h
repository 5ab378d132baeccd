/* cors: the one function that produces CORS headers (spec/40 §4.5,
 * spec/10 §2.3). Tracking paths (/b.gif, /e, /ea.js) reflect allowed
 * origins; every other path answers preflights with "null". */
#ifndef ECHELON_CORE_CORS_H
#define ECHELON_CORE_CORS_H
#include "core/http.h"
void cors_headers(const req_t *req, resp_t *resp);
/* Lower-cased hostname of an Origin/URL value into out; -1 if it does not parse. */
int cors_origin_host(const char *origin, char *out, size_t outsz);
#endif
