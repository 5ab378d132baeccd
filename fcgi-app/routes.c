/* routes.c -- the route table (see routes.h). One section per area; keep
 * each section's lines together so owners edit only their own block. */
#include "routes.h"
#include "api/health.h"
#include "collect/tracker.h"

#define KB 1024
#define MB (1024 * 1024)

const route_t routes[] = {
    /* == core (owner: lead) == */
    { M_GET, "/api/health", api_health, AREA_NONE, 0, NULL },
    /* == end core == */

    /* == collection (owners: tracker, collect) == */
    { M_GET, "/ea.js", tracker_handler, AREA_NONE, 0, NULL },
    /* == end collection == */

    /* == management API and auth (owner: api) == */
    /* == end management == */

    /* == statistics and bot reads (owner: stats) == */
    /* == end statistics == */

    /* == admin UI (owner: admin) == */
    /* == end admin == */
};

const size_t nroutes = sizeof(routes) / sizeof(routes[0]);
