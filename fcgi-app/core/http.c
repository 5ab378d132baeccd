/* http.c -- request parsing and response writing (see http.h). */
#include "core/http.h"
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <stdint.h>

const char http_csp[] =
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; "
    "base-uri 'self'; form-action 'self'";

/* ------------------------------------------------------------------ */
/* pure parsers                                                        */

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

size_t http_pct_decode(const char *s, size_t n, char *out, int plus_space)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c != '%' && c != '+') {        /* the common byte: copied as is */
            out[o++] = c;
            continue;
        }
        if (c == '%' && i + 2 < n && hexval((unsigned char)s[i + 1]) >= 0 &&
            hexval((unsigned char)s[i + 2]) >= 0) {
            out[o++] = (char)(hexval((unsigned char)s[i + 1]) * 16 + hexval((unsigned char)s[i + 2]));
            i += 2;
        } else if (c == '+' && plus_space) {
            out[o++] = ' ';
        } else {
            out[o++] = c;
        }
    }
    out[o] = '\0';
    return o;
}

size_t http_parse_query(arena_t *a, const char *s, size_t n, http_pair_t *out, size_t max)
{
    size_t count = 0, i = 0;
    while (i < n && count < max) {
        size_t start = i;
        while (i < n && s[i] != '&') i++;
        size_t end = i;
        i++; /* skip '&' */
        if (end == start) continue;
        size_t eq = start;
        while (eq < end && s[eq] != '=') eq++;
        size_t nl = eq - start, vl = eq < end ? end - eq - 1 : 0;
        char *name = arena_alloc(a, nl + 1), *value = arena_alloc(a, vl + 1);
        out[count].name_len = http_pct_decode(s + start, nl, name, 1);
        out[count].value_len = eq < end ? http_pct_decode(s + eq + 1, vl, value, 1) : 0;
        if (eq >= end) value[0] = '\0';
        out[count].name = name;
        out[count].value = value;
        count++;
    }
    return count;
}

size_t http_parse_cookies(arena_t *a, const char *s, size_t n, http_pair_t *out, size_t max)
{
    size_t count = 0, i = 0;
    while (i < n && count < max) {
        while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == ';')) i++;
        size_t start = i;
        while (i < n && s[i] != ';') i++;
        size_t end = i;
        while (end > start && (s[end - 1] == ' ' || s[end - 1] == '\t')) end--;
        size_t eq = start;
        while (eq < end && s[eq] != '=') eq++;
        if (eq >= end || eq == start) continue;        /* no name or no '=' */
        size_t ne = eq;
        while (ne > start && s[ne - 1] == ' ') ne--;
        size_t vs = eq + 1;
        while (vs < end && s[vs] == ' ') vs++;
        size_t ve = end;
        if (ve - vs >= 2 && s[vs] == '"' && s[ve - 1] == '"') { vs++; ve--; }
        out[count].name = arena_strndup(a, s + start, ne - start);
        out[count].name_len = ne - start;
        out[count].value = arena_strndup(a, s + vs, ve - vs);
        out[count].value_len = ve - vs;
        count++;
    }
    return count;
}

size_t http_collapse_slashes(char *p, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '/' && o > 0 && p[o - 1] == '/') continue;
        p[o++] = p[i];
    }
    if (o < n) p[o] = '\0';
    return o;
}

/* The CGI form of a header name into out (outsz > 0); returns its length.
 * Content-Type and Content-Length have no HTTP_ prefix (CGI/1.1). */
static size_t cgi_name(const char *name, char *out, size_t outsz)
{
    size_t o = 0, n = strlen(name);
    if (!((n == 12 || n == 14) && (strcasecmp(name, "Content-Type") == 0 ||
                                   strcasecmp(name, "Content-Length") == 0))) {
        for (const char *pre = "HTTP_"; *pre && o + 1 < outsz; pre++) out[o++] = *pre;
    }
    for (; *name && o + 1 < outsz; name++) {
        char c = *name;
        out[o++] = c == '-' ? '_' : c >= 'a' && c <= 'z' ? (char)(c - 32) : c;
    }
    out[o] = '\0';
    return o;
}

void http_header_to_cgi(const char *name, char *out, size_t outsz)
{
    if (outsz) cgi_name(name, out, outsz);
}

/* ------------------------------------------------------------------ */
/* request                                                             */

void req_init(req_t *r, arena_t *a, http_env_fn env, void *env_ctx)
{
    memset(r, 0, sizeof *r);
    r->arena = a;
    r->env = env;
    r->env_ctx = env_ctx;
    const char *m = env(env_ctx, "REQUEST_METHOD");
    r->method = m ? m : "GET";
    r->is_head = strcmp(r->method, "HEAD") == 0;
    const char *uri = env(env_ctx, "REQUEST_URI");
    if (!uri) uri = env(env_ctx, "SCRIPT_NAME");
    if (!uri || !*uri) uri = "/";
    const char *q = strchr(uri, '?');
    size_t plen = q ? (size_t)(q - uri) : strlen(uri);
    char *path = arena_strndup(a, uri, plen);
    http_collapse_slashes(path, plen);
    if (path[0] != '/') path = arena_printf(a, "/%s", path);
    r->path = path;
    const char *qs = env(env_ctx, "QUERY_STRING");
    if (!qs) qs = q ? q + 1 : "";
    r->raw_query = qs;
}

/* The index's hash of a variable name: its length and its first and last
 * eight bytes (where CGI names differ: HTTP_USER_AGENT, HTTP_X_REAL_IP ...),
 * a few instructions instead of a multiply per byte. Collisions only cost a
 * compare. */
static uint32_t name_hash(const char *s, size_t n)
{
    uint64_t a = 0, b = 0;
    if (n >= 8) {
        memcpy(&a, s, 8);
        memcpy(&b, s + n - 8, 8);
    } else {
        for (size_t i = 0; i < n; i++) a |= (uint64_t)(unsigned char)s[i] << (8 * i);
    }
    uint64_t h = a * 0x9E3779B97F4A7C15ULL ^ (b + n) * 0xC2B2AE3D27D4EB4FULL;
    h ^= h >> 29;
    return (uint32_t)(h >> 32) ^ (uint32_t)h;
}

/* The envp index: open addressing over at least twice as many slots as
 * variables, so a probe ends at an empty slot after a step or two. */
typedef struct envx_slot {
    const char *s;             /* "NAME=value"; NULL = empty */
    uint32_t hash, nlen;
} envx_slot_t;

struct http_envx {
    envx_slot_t *slot;
    uint32_t mask;
};

static const char *envx_find(const struct http_envx *x, const char *name, size_t n, uint32_t h)
{
    for (uint32_t i = h & x->mask;; i = (i + 1) & x->mask) {
        const envx_slot_t *e = &x->slot[i];
        if (!e->s) return NULL;
        if (e->hash == h && e->nlen == n && memcmp(e->s, name, n) == 0) return e->s + n + 1;
    }
}

static const char *envx_get(void *ctx, const char *name)
{
    size_t n = strlen(name);
    return envx_find(ctx, name, n, name_hash(name, n));
}

void req_init_envp(req_t *r, arena_t *a, char *const *envp)
{
    size_t n = 0, cap = 64;
    while (envp && envp[n]) n++;
    while (cap < 2 * n) cap <<= 1;
    struct http_envx *x = arena_alloc(a, sizeof *x);
    x->slot = arena_calloc(a, cap * sizeof *x->slot);
    x->mask = (uint32_t)(cap - 1);
    for (size_t i = 0; i < n; i++) {
        const char *s = envp[i], *eq = strchr(s, '=');
        if (!eq || (size_t)(eq - s) > UINT32_MAX) continue;   /* a scan never matches it */
        size_t k = (size_t)(eq - s);
        uint32_t h = name_hash(s, k);
        uint32_t j = h & x->mask;
        while (x->slot[j].s && !(x->slot[j].hash == h && x->slot[j].nlen == k &&
                                 memcmp(x->slot[j].s, s, k) == 0))
            j = (j + 1) & x->mask;
        if (x->slot[j].s) continue;                 /* duplicate: the first one wins */
        x->slot[j] = (envx_slot_t){ s, h, (uint32_t)k };
    }
    req_init(r, a, envx_get, x);
}

const char *req_env(const req_t *r, const char *name) { return r->env(r->env_ctx, name); }

/* Header names come from a small set of literals, so their CGI forms and
 * hashes are remembered per process (slot by the name's address, checked by
 * content, so any caller's buffer is safe). */
typedef struct hname {
    char name[48];
    char var[48 + 6];
    size_t n;
    uint32_t h;
} hname_t;

static hname_t hnames[32];

static const hname_t *header_cgi(const char *name)
{
    hname_t *e = &hnames[((uintptr_t)name >> 3) % (sizeof hnames / sizeof hnames[0])];
    if (e->name[0] && strcmp(e->name, name) == 0) return e;
    size_t nl = strlen(name);
    if (nl == 0 || nl >= sizeof e->name) return NULL;
    memcpy(e->name, name, nl + 1);
    e->n = cgi_name(name, e->var, sizeof e->var);
    e->h = name_hash(e->var, e->n);
    return e;
}

const char *req_header(const req_t *r, const char *name)
{
    const hname_t *e = header_cgi(name);
    if (e) {
        if (r->env == envx_get) return envx_find(r->env_ctx, e->var, e->n, e->h);
        return r->env(r->env_ctx, e->var);
    }
    char var[128];
    size_t n = cgi_name(name, var, sizeof var);
    if (r->env == envx_get) return envx_find(r->env_ctx, var, n, name_hash(var, n));
    return r->env(r->env_ctx, var);
}

static void parse_query_once(req_t *r)
{
    if (r->query_parsed) return;
    r->query_parsed = 1;
    r->query = arena_alloc(r->arena, sizeof(http_pair_t) * HTTP_MAX_PAIRS);
    r->nquery = http_parse_query(r->arena, r->raw_query, strlen(r->raw_query), r->query, HTTP_MAX_PAIRS);
}

const http_pair_t *req_query_pair(req_t *r, const char *name)
{
    parse_query_once(r);
    for (size_t i = 0; i < r->nquery; i++)
        if (strcmp(r->query[i].name, name) == 0) return &r->query[i];
    return NULL;
}

size_t req_query_all(req_t *r, const http_pair_t **pairs)
{
    parse_query_once(r);
    *pairs = r->query;
    return r->nquery;
}

const char *req_query(req_t *r, const char *name)
{
    const http_pair_t *p = req_query_pair(r, name);
    return p ? p->value : NULL;
}

const char *req_cookie(req_t *r, const char *name)
{
    if (!r->cookies_parsed) {
        r->cookies_parsed = 1;
        const char *h = req_header(r, "Cookie");
        r->cookies = arena_alloc(r->arena, sizeof(http_pair_t) * HTTP_MAX_PAIRS);
        r->ncookies = h ? http_parse_cookies(r->arena, h, strlen(h), r->cookies, HTTP_MAX_PAIRS) : 0;
    }
    for (size_t i = 0; i < r->ncookies; i++)
        if (strcmp(r->cookies[i].name, name) == 0) return r->cookies[i].value;
    return NULL;
}

const char *req_param(const req_t *r, int i)
{
    return i >= 0 && i < r->nparams ? r->params[i] : NULL;
}

int req_read_body(req_t *r, size_t max)
{
    if (r->body_read) return r->body ? 0 : 413;
    r->body_read = 1;
    if (!r->body_reader) return 0;
    return r->body_reader(r, max);
}

long long req_content_length(const req_t *r)
{
    const char *cl = r->env(r->env_ctx, "CONTENT_LENGTH");
    if (!cl || !*cl) return -1;
    char *end;
    long long v = strtoll(cl, &end, 10);
    if (*end || v < 0) return -1;
    return v;
}

/* ------------------------------------------------------------------ */
/* response                                                            */

void resp_init(resp_t *r)
{
    memset(r, 0, sizeof *r);
    buf_init(&r->headers);
    buf_init(&r->body);
    r->status = 200;
}

void resp_free(resp_t *r)
{
    buf_free(&r->headers);
    buf_free(&r->body);
}

void resp_reset(resp_t *r)
{
    buf_reset(&r->headers);
    buf_reset(&r->body);
    r->status = 200;
    r->content_type = NULL;
    r->no_security_headers = 0;
    r->sent = 0;
}

void resp_header(resp_t *r, const char *name, const char *value)
{
    /* Header values never carry CR/LF: drop them rather than split headers. */
    size_t nl = strlen(name), vl = strcspn(value, "\r\n");
    buf_reserve(&r->headers, nl + strlen(value) + 4);
    buf_append(&r->headers, name, nl);
    buf_append(&r->headers, ": ", 2);
    for (;;) {
        buf_append(&r->headers, value, vl);
        value += vl;
        if (!*value) break;
        value++;                                     /* the CR or LF */
        vl = strcspn(value, "\r\n");
    }
    buf_append(&r->headers, "\r\n", 2);
}

void resp_write(resp_t *r, const void *data, size_t n) { buf_append(&r->body, data, n); }
void resp_puts(resp_t *r, const char *s) { buf_puts(&r->body, s); }

void resp_printf(resp_t *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char small[512];
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n < sizeof small) {
        buf_append(&r->body, small, (size_t)n);
        return;
    }
    buf_reserve(&r->body, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(r->body.p + r->body.len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    r->body.len += (size_t)n;
}

void resp_set(resp_t *r, int status, const char *content_type, const char *body, size_t n)
{
    r->status = status;
    r->content_type = content_type;
    buf_reset(&r->body);
    if (body && n) buf_append(&r->body, body, n);
}

void resp_text(resp_t *r, int status, const char *text)
{
    resp_set(r, status, "text/plain;charset=UTF-8", text, strlen(text));
}

void resp_json(resp_t *r, int status, json_object *obj)
{
    size_t n = 0;
    const char *s = json_object_to_json_string_length(obj, HTTP_JSON_FLAGS, &n);
    resp_set(r, status, "application/json", s, n);
    json_object_put(obj);
}

void resp_error(resp_t *r, int status, const char *code, const char *message)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "error", json_object_new_string(code));
    if (message) json_object_object_add(o, "message", json_object_new_string(message));
    resp_json(r, status, o);
}

void resp_redirect(resp_t *r, int status, const char *location)
{
    resp_set(r, status, NULL, NULL, 0);
    resp_header(r, "Location", location);
}

static const char *status_text(int s)
{
    switch (s) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Status";
    }
}

static char *put(char *o, const char *s, size_t n)
{
    memcpy(o, s, n);
    return o + n;
}

#define PUT_LIT(o, s) put((o), (s), sizeof(s) - 1)

static const char security_headers[] =
    "X-Frame-Options: DENY\r\nX-Content-Type-Options: nosniff\r\n"
    "Referrer-Policy: strict-origin-when-cross-origin\r\n";

int resp_send(resp_t *r, const req_t *req, http_out_fn out, void *out_ctx)
{
    if (r->sent) return 0;
    r->sent = 1;
    /* One block (on the stack when it fits: a tracking response does),
     * written with one call when the body fits too. */
    const char *st = status_text(r->status);
    size_t stl = strlen(st), ctl = r->content_type ? strlen(r->content_type) : 0;
    int csp = r->content_type && strstr(r->content_type, "text/html");
    int has_body = r->status != 204 && r->status != 304;
    int send_body = !(req && req->is_head) && r->body.len && has_body;
    size_t need = 128 + stl + ctl + r->headers.len + sizeof security_headers +
                  (csp ? sizeof http_csp + 32 : 0);
    size_t with_body = need + (send_body ? r->body.len : 0);
    char small[2048], *h = small;
    if (with_body > sizeof small) {
        h = malloc(need);
        if (!h) return -1;
    }
    char *o = PUT_LIT(h, "Status: ");
    o = buf_put_dec(o, r->status);
    *o++ = ' ';
    o = put(o, st, stl);
    o = PUT_LIT(o, "\r\n");
    if (r->content_type) {
        o = PUT_LIT(o, "Content-Type: ");
        o = put(o, r->content_type, ctl);
        o = PUT_LIT(o, "\r\n");
    }
    if (r->headers.len) o = put(o, r->headers.p, r->headers.len);
    o = PUT_LIT(o, security_headers);
    if (csp) {
        o = PUT_LIT(o, "Content-Security-Policy: ");
        o = PUT_LIT(o, http_csp);
        o = PUT_LIT(o, "\r\n");
    }
    if (has_body) {
        o = PUT_LIT(o, "Content-Length: ");
        o = buf_put_dec(o, (long long)r->body.len);
        o = PUT_LIT(o, "\r\n");
    }
    o = PUT_LIT(o, "\r\n");
    int rc;
    if (h == small) {
        if (send_body) o = put(o, r->body.p, r->body.len);
        rc = out(out_ctx, h, (size_t)(o - h));
    } else {
        rc = out(out_ctx, h, (size_t)(o - h));
        if (rc == 0 && send_body) rc = out(out_ctx, r->body.p, r->body.len);
        free(h);
    }
    return rc;
}
