/* static.c -- the admin UI's embedded files (see admin.h).
 *
 * The bytes come from fcgi-app/assets/admin/ through tools/bin2c (rule in
 * admin/local.mk, generated admin/assets.inc in the build dir). Responses
 * carry Cache-Control: public, max-age=3600 (spec/40 §3.9 for /styles.css)
 * and an ETag made of the version and length, so a reload after an upgrade
 * fetches the new file. The three non-CSP security headers are still added
 * by resp_send (spec/40 §4.4 Decision). */
#include <stdio.h>
#include <string.h>
#include "admin/admin.h"
#include "core/config.h"

#include "admin/assets.inc"

typedef struct asset {
    const char *path;
    const char *type;
    const unsigned char *data;
    const size_t *len;
    int bundled;               /* spec/40 §1 step 2 static file */
} asset_t;

static const asset_t assets[] = {
    { "/styles.css", "text/css; charset=utf-8", admin_asset_styles_css, &admin_asset_styles_css_len, 0 },
    { "/admin.js", "application/javascript; charset=utf-8", admin_asset_admin_js, &admin_asset_admin_js_len, 0 },
    { "/favicon.ico", "image/x-icon", admin_asset_favicon_ico, &admin_asset_favicon_ico_len, 1 },
    { "/logo.svg", "image/svg+xml", admin_asset_logo_svg, &admin_asset_logo_svg_len, 1 },
    { "/img/mmm.webp", "image/webp", admin_asset_mmm_webp, &admin_asset_mmm_webp_len, 1 },
    { "/img/mmm-bw.webp", "image/webp", admin_asset_mmm_bw_webp, &admin_asset_mmm_bw_webp_len, 1 },
};

static const asset_t *find(const char *path)
{
    for (size_t i = 0; i < sizeof assets / sizeof assets[0]; i++)
        if (path && strcmp(assets[i].path, path) == 0) return &assets[i];
    return NULL;
}

int admin_is_static_asset(const char *path)
{
    const asset_t *a = find(path);
    return a && a->bundled;
}

void admin_static_handler(req_t *req, resp_t *resp)
{
    const asset_t *a = find(req->path);
    if (!a) {
        resp_text(resp, 404, "Not Found");
        return;
    }
    char etag[96];
    snprintf(etag, sizeof etag, "\"%s-%zu\"", cfg && cfg->version ? cfg->version : "dev", *a->len);
    for (char *p = etag + 1; p[1]; p++)          /* keep the ETag a plain token */
        if (*p == '"' || (unsigned char)*p < 0x21 || (unsigned char)*p > 0x7e) *p = '_';
    resp_header(resp, "Cache-Control", "public, max-age=3600");
    resp_header(resp, "ETag", etag);
    if (a->bundled) resp->no_security_headers = 1;
    const char *inm = req_header(req, "If-None-Match");
    if (inm && strcmp(inm, etag) == 0) {
        resp_set(resp, 304, NULL, NULL, 0);
        return;
    }
    resp_set(resp, 200, a->type, (const char *)a->data, *a->len);
}
