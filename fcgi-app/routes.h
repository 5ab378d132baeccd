/* routes: the one table that ties core/ to the handlers (spec/40 §3.9).
 * Order matters only where a fixed segment and a capture compete at the same
 * position: list the fixed route first (e.g. /admin/bots/excluded before
 * /admin/bots/:id). */
#ifndef ECHELON_ROUTES_H
#define ECHELON_ROUTES_H
#include "core/router.h"
extern const route_t routes[];
extern const size_t nroutes;
#endif
