/* sites.c -- per-site settings: GET/PATCH /api/sites/:id (spec/40 §3.5;
 * table site_settings).
 *
 * The consent-banner CSS is embedded by the tracker into visitors' pages, so
 * it passes the reference's sanitiser exactly (a security filter: spec/40
 * §9 item 19 forbids a narrower substitute without review). The reference is
 * three JavaScript regex replacements; sites_sanitize_css() is the same
 * automaton written out by hand, scanning left to right:
 *
 *   1. /\\/g                  -> ""
 *   2. /\/\*[\s\S]*?\*\//g    -> ""
 *   3. /(\burl|\bimage|\bimage-set|-webkit-image-set|\belement|\bpaint)[\s\S]*?\(
 *       |@import\b|@font-face\b|@keyframes\b|expression\s*\(|behavior\s*:
 *       |javascript\s*:|-moz-binding\s*:/gi -> "/" "* blocked *" "/"
 *
 * (\b and \s with JavaScript's meaning: word = [A-Za-z0-9_], \s includes
 * the Unicode spaces.) A successful PATCH bumps APIU_GEN_CONSENT_CSS. */
#include "api/mgmt.h"
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "api/apiutil.h"
#include "store/db.h"

static const char sql_get[] = "SELECT `consent_css` FROM `site_settings` WHERE `site_id` = ?";
static const char sql_upsert[] =
    "INSERT INTO `site_settings` (`site_id`,`consent_css`,`updated_at`) VALUES (?,?,UTC_TIMESTAMP(3)) "
    "ON DUPLICATE KEY UPDATE `consent_css` = VALUES(`consent_css`), `updated_at` = VALUES(`updated_at`)";

static const char blocked[] = "/* blocked */";

static int is_word(unsigned char c) { return isalnum(c) || c == '_'; }

/* Byte length of a JavaScript \s character at s, 0 if none. */
static size_t js_ws(const unsigned char *s, size_t n)
{
    if (n >= 1 && (s[0] == ' ' || (s[0] >= 9 && s[0] <= 13))) return 1;
    if (n >= 2 && s[0] == 0xC2 && s[1] == 0xA0) return 2;
    if (n >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF) return 3;
    if (n >= 3 && s[0] == 0xE1 && s[1] == 0x9A && s[2] == 0x80) return 3;
    if (n >= 3 && s[0] == 0xE2 && s[1] == 0x80 &&
        ((s[2] >= 0x80 && s[2] <= 0x8A) || s[2] == 0xA8 || s[2] == 0xA9 || s[2] == 0xAF)) return 3;
    if (n >= 3 && s[0] == 0xE2 && s[1] == 0x81 && s[2] == 0x9F) return 3;
    if (n >= 3 && s[0] == 0xE3 && s[1] == 0x80 && s[2] == 0x80) return 3;
    return 0;
}

static int ci_prefix(const char *s, size_t n, const char *lit)
{
    size_t l = strlen(lit);
    return n >= l && strncasecmp(s, lit, l) == 0;
}

/* Length of the match of pattern 3 at position i of s[0..n), 0 if none. */
static size_t match_at(const char *s, size_t n, size_t i)
{
    const char *p = s + i;
    size_t rest = n - i;
    int boundary = i == 0 || !is_word((unsigned char)s[i - 1]);
    /* group 1: a word (with \b before it, except -webkit-image-set) then the
     * shortest run up to and including the next '(' */
    static const char *const lazy[] = {"url", "image", "image-set", "-webkit-image-set", "element", "paint"};
    for (size_t k = 0; k < sizeof lazy / sizeof lazy[0]; k++) {
        if (lazy[k][0] != '-' && !boundary) continue;
        if (!ci_prefix(p, rest, lazy[k])) continue;
        const char *paren = memchr(p + strlen(lazy[k]), '(', rest - strlen(lazy[k]));
        if (paren) return (size_t)(paren - p) + 1;
    }
    static const char *const at[] = {"@import", "@font-face", "@keyframes"};
    for (size_t k = 0; k < 3; k++) {
        size_t l = strlen(at[k]);
        if (ci_prefix(p, rest, at[k]) && (rest == l || !is_word((unsigned char)p[l]))) return l;
    }
    static const struct { const char *w; char end; } ws_end[] = {
        {"expression", '('}, {"behavior", ':'}, {"javascript", ':'}, {"-moz-binding", ':'},
    };
    for (size_t k = 0; k < 4; k++) {
        if (!ci_prefix(p, rest, ws_end[k].w)) continue;
        size_t j = strlen(ws_end[k].w), w;
        while (j < rest && (w = js_ws((const unsigned char *)p + j, rest - j))) j += w;
        if (j < rest && p[j] == ws_end[k].end) return j + 1;
    }
    return 0;
}

char *sites_sanitize_css(const char *css, size_t n, size_t *outlen)
{
    /* 1. backslashes */
    char *a = malloc(n + 1);
    if (!a) return NULL;
    size_t an = 0;
    for (size_t i = 0; i < n; i++)
        if (css[i] != '\\') a[an++] = css[i];
    /* 2. comments (an unterminated one stays) */
    char *b = malloc(an + 1);
    if (!b) { free(a); return NULL; }
    size_t bn = 0;
    for (size_t i = 0; i < an;) {
        if (i + 1 < an && a[i] == '/' && a[i + 1] == '*') {
            size_t j = i + 2;
            while (j + 1 < an && !(a[j] == '*' && a[j + 1] == '/')) j++;
            if (j + 1 < an) { i = j + 2; continue; }
        }
        b[bn++] = a[i++];
    }
    free(a);
    /* 3. blocked constructs; each match grows the text by at most 13 bytes
     * and consumes at least 1, so 14x bounds the output */
    size_t cap = bn * (sizeof blocked) + 1;
    char *c = malloc(cap);
    if (!c) { free(b); return NULL; }
    size_t cn = 0;
    for (size_t i = 0; i < bn;) {
        size_t m = match_at(b, bn, i);
        if (m) {
            memcpy(c + cn, blocked, sizeof blocked - 1);
            cn += sizeof blocked - 1;
            i += m;
        } else {
            c[cn++] = b[i++];
        }
    }
    c[cn] = '\0';
    free(b);
    if (outlen) *outlen = cn;
    return c;
}

static int site_or_reply(req_t *req, resp_t *resp, const char **site, size_t *n)
{
    if (apiu_path_id_or_reply(req, resp, 0, site, n) < 0) return -1;
    if (!apiu_is_site(*site, *n)) {
        resp_error(resp, 400, "invalid_site_id", "Invalid site ID");
        return -1;
    }
    return 0;
}

void api_sites_get(req_t *req, resp_t *resp)
{
    const char *site;
    size_t sn;
    if (site_or_reply(req, resp, &site, &sn) < 0) return;
    db_res_t *r;
    if (db_query(&r, sql_get, "b", site, sn) < 0) {
        resp_error(resp, 500, "internal", "Database error");
        return;
    }
    json_object *o = json_object_new_object();
    json_object_object_add(o, "site_id", json_object_new_string_len(site, (int)sn));
    const char *css = db_next(r) ? db_str(r, 0) : NULL;
    json_object_object_add(o, "consent_css", css ? json_object_new_string_len(css, (int)db_len(r, 0)) : NULL);
    db_free(r);
    resp_json(resp, 200, o);
}

void api_sites_patch(req_t *req, resp_t *resp)
{
    const char *site;
    size_t sn;
    if (site_or_reply(req, resp, &site, &sn) < 0) return;
    json_object *body;
    if (apiu_body_json(req, &body) < 0) {
        resp_error(resp, 400, "invalid_payload", "Invalid JSON");
        return;
    }
    json_object *jc = apiu_get(apiu_obj(body), "consent_css");
    char *clean = NULL;
    size_t cn = 0;
    if (jc && json_object_is_type(jc, json_type_string) && json_object_get_string_len(jc) > 0) {
        size_t rn;
        const char *raw = apiu_trunc(req->arena, json_object_get_string(jc),
                                     (size_t)json_object_get_string_len(jc), 4096, &rn);
        clean = sites_sanitize_css(raw, rn, &cn);
        if (!clean) {
            json_object_put(body);
            resp_error(resp, 500, "internal", "Out of memory");
            return;
        }
    }
    json_object_put(body);
    long long rc = db_exec(sql_upsert, "bb", site, sn, clean, cn);
    free(clean);
    if (rc < 0) {
        resp_error(resp, 500, "internal", "Database error");
        return;
    }
    apiu_bump_gen(APIU_GEN_CONSENT_CSS);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "updated", json_object_new_string_len(site, (int)sn));
    resp_json(resp, 200, o);
}
