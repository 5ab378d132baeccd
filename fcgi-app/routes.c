/* routes.c -- the route table (see routes.h). One section per area; keep
 * each section's lines together so owners edit only their own block. */
#include "routes.h"
#include "api/health.h"
#include "collect/tracker.h"
#include "collect/collect.h"
#include "api/auth.h"
#include "api/mgmt.h"
#include "api/stats.h"
#include "api/bots_read.h"
#include "admin/admin.h"

#define KB 1024
#define MB (1024 * 1024)

const route_t routes[] = {
    /* == core (owner: lead) == */
    { M_GET, "/api/health", api_health, AREA_NONE, 0, NULL },
    /* == end core == */

    /* == collection (owners: tracker, collect) == */
    { M_GET, "/ea.js", tracker_handler, AREA_NONE, 0, NULL },
    { M_GET, "/b.gif", collect_beacon_handler, AREA_NONE, 0, NULL },
    { M_POST | M_LAZY_BODY, "/e", collect_events_handler, AREA_NONE, COLLECT_EVENTS_BODY_MAX, NULL },
    /* == end collection == */

    /* == management API and auth (owner: api) == */
#define J413 "Body exceeds 1MB limit"
    { M_GET, "/", misc_root, AREA_NONE, 0, NULL },
    { M_GET, "/robots.txt", misc_robots, AREA_NONE, 0, NULL },
    { M_GET, "/sitemap.xml", misc_sitemap, AREA_NONE, 0, NULL },
    { M_GET, "/llms.txt", misc_llms, AREA_NONE, 0, NULL },
    { M_GET, "/admin/login", auth_login_get, AREA_ADMIN, 0, NULL },
    { M_POST, "/admin/login", auth_login_post, AREA_ADMIN, 64 * KB, NULL },
    { M_POST, "/admin/logout", auth_logout, AREA_ADMIN, 64 * KB, NULL },
    { M_GET, "/api/campaigns", api_campaigns_list, AREA_API, 0, NULL },
    { M_POST, "/api/campaigns", api_campaigns_create, AREA_API, MB, J413 },
    { M_GET, "/api/campaigns/:id", api_campaigns_get, AREA_API, 0, NULL },
    { M_PATCH, "/api/campaigns/:id", api_campaigns_patch, AREA_API, MB, J413 },
    { M_DELETE, "/api/campaigns/:id", api_campaigns_delete, AREA_API, MB, J413 },
    { M_GET, "/api/experiments", api_experiments_list, AREA_API, 0, NULL },
    { M_POST, "/api/experiments", api_experiments_create, AREA_API, MB, J413 },
    { M_PATCH, "/api/experiments/:id", api_experiments_patch, AREA_API, MB, J413 },
    { M_POST, "/api/bots/exclude", api_bots_exclude, AREA_API, MB, J413 },
    { M_DELETE, "/api/bots/exclude/:id", api_bots_include, AREA_API, MB, J413 },
    { M_GET, "/api/sites/:id", api_sites_get, AREA_API, 0, NULL },
    { M_PATCH, "/api/sites/:id", api_sites_patch, AREA_API, MB, J413 },
    { M_POST, "/api/ingest", api_ingest, AREA_API, MB, J413 },
    { M_GET, "/api/debug", api_debug_get, AREA_API, 0, NULL },
    { M_POST, "/api/debug", api_debug_post, AREA_API, MB, J413 },
    { M_GET, "/api/perf", api_perf_get, AREA_API, 0, NULL },
    { M_POST, "/api/perf", api_perf_post, AREA_API, 64 * KB, "Max 64 KB" },
    { M_GET, "/api/perf/trends", api_perf_trends, AREA_API, 0, NULL },
#undef J413
    /* == end management == */

    /* == statistics and bot reads (owner: stats) == */
    { M_GET, "/api/stats/overview", stats_overview_handler, AREA_API, 0, NULL },
    { M_GET, "/api/stats/dashboard", stats_dashboard_handler, AREA_API, 0, NULL },
    { M_GET, "/api/stats/realtime", stats_realtime_handler, AREA_API, 0, NULL },
    { M_GET, "/api/stats/summary", stats_summary_handler, AREA_API, 0, NULL },
    { M_GET, "/api/stats/vitals", stats_vitals_handler, AREA_API, 0, NULL },
    { M_GET, "/api/stats/campaigns", stats_campaigns_handler, AREA_API, 0, NULL },
    { M_GET, "/api/stats/campaign-events", stats_campaign_events_handler, AREA_API, 0, NULL },
    { M_GET, "/api/stats/experiments", stats_experiments_handler, AREA_API, 0, NULL },
    { M_GET, "/api/bots/suspicious", bots_suspicious_handler, AREA_API, 0, NULL },
    { M_GET, "/api/bots/excluded", bots_excluded_handler, AREA_API, 0, NULL },
    { M_GET, "/api/bots/visitor/:id", bots_visitor_handler, AREA_API, 0, NULL },
    { M_GET, "/api/bots/score-detail", bots_score_detail_handler, AREA_API, 0, NULL },
    /* == end statistics == */

    /* == admin UI (owner: admin) == */
    { M_GET, "/styles.css", admin_static_handler, AREA_NONE, 0, NULL },
    { M_GET, "/admin.js", admin_static_handler, AREA_NONE, 0, NULL },
    { M_GET, "/favicon.ico", admin_static_handler, AREA_NONE, 0, NULL },
    { M_GET, "/logo.svg", admin_static_handler, AREA_NONE, 0, NULL },
    { M_GET, "/img/mmm.webp", admin_static_handler, AREA_NONE, 0, NULL },
    { M_GET, "/img/mmm-bw.webp", admin_static_handler, AREA_NONE, 0, NULL },
    { M_GET, "/admin", admin_dashboard_handler, AREA_ADMIN, 0, NULL },
    { M_GET, "/admin/realtime", admin_realtime_handler, AREA_ADMIN, 0, NULL },
    { M_GET, "/admin/visitors", admin_visitors_handler, AREA_ADMIN, 0, NULL },
    { M_GET, "/admin/visitors/:id", admin_visitor_detail_handler, AREA_ADMIN, 0, NULL },
    { M_GET, "/admin/pageviews", admin_pageviews_handler, AREA_ADMIN, 0, NULL },
    { M_GET, "/admin/events", admin_events_handler, AREA_ADMIN, 0, NULL },
    { M_GET, "/admin/bots", admin_bots_handler, AREA_ADMIN, 0, NULL },
    { M_GET, "/admin/bots/excluded", admin_excluded_handler, AREA_ADMIN, 0, NULL },
    { M_GET, "/admin/bots/:id", admin_bot_detail_handler, AREA_ADMIN, 0, NULL },
    { M_GET, "/admin/experiments", admin_experiments_handler, AREA_ADMIN, 0, NULL },
    { M_GET, "/admin/experiments/:id", admin_experiment_handler, AREA_ADMIN, 0, NULL },
    { M_GET, "/admin/campaigns", admin_campaigns_handler, AREA_ADMIN, 0, NULL },
    { M_GET, "/admin/campaigns/:id", admin_campaign_handler, AREA_ADMIN, 0, NULL },
    { M_GET, "/admin/perf", admin_perf_handler, AREA_ADMIN, 0, NULL },
    { M_GET, "/admin/settings", admin_settings_handler, AREA_ADMIN, 0, NULL },
    /* == end admin == */
};

const size_t nroutes = sizeof(routes) / sizeof(routes[0]);
