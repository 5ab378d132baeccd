/* misc.c -- robots.txt, sitemap.xml, llms.txt and "/" (spec/40 §4.8).
 *
 * The documents change only with ECHELON_PUBLIC_MODE and the request origin.
 * The origin is https when the request arrived over TLS (HTTPS=on) or, with
 * ECHELON_TRUST_PROXY=true, when X-Forwarded-Proto is https; the host is the
 * Host header (the reference uses the listener's scheme, wrong behind a TLS
 * proxy: spec/40 §9 item 28). The host is the client's and is reflected,
 * so it is restricted to host syntax before use. */
#include "api/mgmt.h"
#include <ctype.h>
#include <string.h>
#include <strings.h>
#include "core/config.h"

static const char *const pages[][2] = {
    {"/admin", "Dashboard overview: visitors, pageviews, top pages, referrers, devices, countries"},
    {"/admin/realtime", "Live activity of the last minutes, auto-refreshing"},
    {"/admin/visitors", "Paginated visitors with filtering and sorting"},
    {"/admin/events", "Semantic events (clicks, scroll depth, web vitals, custom events)"},
    {"/admin/bots", "Suspicious visitors scored 0\xE2\x80\x93" "100"},
    {"/admin/bots/excluded", "Manually excluded visitors"},
    {"/admin/experiments", "A/B experiments and their results"},
    {"/admin/campaigns", "UTM campaigns with source, medium and landing-page breakdowns"},
    {"/admin/perf", "Performance and CI metrics"},
    {"/admin/settings", "Site settings"},
};

static const char *origin(req_t *req)
{
    const char *https = req_env(req, "HTTPS");
    int tls = https && !strcasecmp(https, "on");
    if (!tls && cfg->trust_proxy) {
        const char *p = req_header(req, "X-Forwarded-Proto");
        tls = p && !strcasecmp(p, "https");
    }
    const char *host = req_header(req, "Host");
    if (!host || !*host) host = req_env(req, "SERVER_NAME");
    if (!host) host = "localhost";
    for (const char *p = host; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr(".-:[]_", *p)) { host = "localhost"; break; }
    return arena_printf(req->arena, "%s://%s", tls ? "https" : "http", host);
}

void misc_root(req_t *req, resp_t *resp)
{
    (void)req;
    resp_redirect(resp, 303, "/admin");
}

void misc_robots(req_t *req, resp_t *resp)
{
    resp_set(resp, 200, "text/plain; charset=utf-8", NULL, 0);
    if (!cfg->public_mode) {
        resp_puts(resp, "User-agent: *\nDisallow: /\n");
        return;
    }
    resp_printf(resp, "User-agent: *\nAllow: /\nSitemap: %s/sitemap.xml\n", origin(req));
}

void misc_sitemap(req_t *req, resp_t *resp)
{
    resp_set(resp, 200, "application/xml; charset=utf-8", NULL, 0);
    resp_puts(resp, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                    "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
    if (cfg->public_mode) {
        const char *o = origin(req);
        for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++)
            resp_printf(resp, "  <url><loc>%s%s</loc><changefreq>daily</changefreq></url>\n", o, pages[i][0]);
    } else {
        resp_puts(resp, "\n");
    }
    resp_puts(resp, "</urlset>");
}

void misc_llms(req_t *req, resp_t *resp)
{
    if (!cfg->public_mode) {
        resp_text(resp, 404, "Not Found");
        return;
    }
    const char *o = origin(req);
    resp_set(resp, 200, "text/plain; charset=utf-8", NULL, 0);
    resp_puts(resp,
        "# Echelon Analytics \xE2\x80\x94 Public Dashboard\n\n"
        "> This is a live public instance of Echelon Analytics, a privacy-first, cookieless web "
        "analytics product.\n\n"
        "## What This Is\n\n"
        "A read-only public dashboard. Data cannot be modified here. All data is anonymised: no "
        "personally identifiable information, no cookies, no cross-site tracking. Visitor IDs are "
        "daily-rotating HMAC hashes. Countries shown for anonymised sites are fictional.\n\n"
        "## Pages\n\n");
    for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++)
        resp_printf(resp, "- %s%s \xE2\x80\x94 %s\n", o, pages[i][0], pages[i][1]);
    resp_puts(resp,
        "\n## Data Policy\n\n"
        "- No cookies by default.\n"
        "- Visitor identity is an HMAC of IP + User-Agent + site + date, rotated daily; IP addresses "
        "are never stored.\n"
        "- Anonymised sites get fictional countries and hashed identifiers.\n"
        "- Bots are filtered by proof-of-work, heuristics and User-Agent lists.\n"
        "- Data is retained for 90 days (configurable).\n\n"
        "## Links\n\n"
        "- https://ea.js.org/\n"
        "- https://github.com/janit/ea\n"
        "- https://ea.js.org/installation.html\n"
        "- https://ea.js.org/llms-full.txt\n");
}
