/* admin: the server-rendered admin UI (spec/40 §6), one handler per page.
 *
 * Owns: every GET /admin... page except /admin/login and /admin/logout
 * (api/auth.h), the admin stylesheet and script, favicon, logo and mascot
 * images (embedded in the binary, served with caching headers).
 * Promises: pages read the same tables and the same statistics handlers as
 * the API; all markup goes through admin/html.h; no inline script or event
 * handler, so the CSP of spec/40 §4.4 holds; public mode hides every
 * mutating control (§6.10).
 * Never: checks credentials (the dispatcher's auth_admin() ran before), or
 * mutates data itself: the buttons call the /api routes from admin.js. */
#ifndef ECHELON_ADMIN_ADMIN_H
#define ECHELON_ADMIN_ADMIN_H
#include "core/http.h"

/* dashboard.c */
void admin_dashboard_handler(req_t *req, resp_t *resp);     /* /admin */
void admin_realtime_handler(req_t *req, resp_t *resp);      /* /admin/realtime */
/* lists.c */
void admin_visitors_handler(req_t *req, resp_t *resp);      /* /admin/visitors */
void admin_pageviews_handler(req_t *req, resp_t *resp);     /* /admin/pageviews */
void admin_events_handler(req_t *req, resp_t *resp);        /* /admin/events */
/* bots.c */
void admin_bots_handler(req_t *req, resp_t *resp);          /* /admin/bots */
void admin_excluded_handler(req_t *req, resp_t *resp);      /* /admin/bots/excluded */
void admin_bot_detail_handler(req_t *req, resp_t *resp);    /* /admin/bots/:id */
void admin_visitor_detail_handler(req_t *req, resp_t *resp);/* /admin/visitors/:id */
/* experiments.c */
void admin_experiments_handler(req_t *req, resp_t *resp);   /* /admin/experiments */
void admin_experiment_handler(req_t *req, resp_t *resp);    /* /admin/experiments/:id */
/* campaigns.c */
void admin_campaigns_handler(req_t *req, resp_t *resp);     /* /admin/campaigns */
void admin_campaign_handler(req_t *req, resp_t *resp);      /* /admin/campaigns/:id */
/* settings.c */
void admin_perf_handler(req_t *req, resp_t *resp);          /* /admin/perf */
void admin_settings_handler(req_t *req, resp_t *resp);      /* /admin/settings */

/* static.c: /styles.css, /admin.js, /favicon.ico, /logo.svg, /img/mmm.webp,
 * /img/mmm-bw.webp (route table entries with AREA_NONE). */
void admin_static_handler(req_t *req, resp_t *resp);
/* 1 for the bundled static files of spec/40 §1 step 2 (/favicon.ico,
 * /logo.svg, /img/mmm.webp, /img/mmm-bw.webp): the dispatcher answers
 * OPTIONS on them with 405 (hook_is_static_asset). */
int admin_is_static_asset(const char *path);
#endif
