/* http: one request in, one response out.
 *
 * Owns: the parsed view of a FastCGI request (method, normalised path, query
 * pairs, headers, cookies, body) and the response being built (status,
 * headers, body). Promises: every string handed out lives in the request's
 * arena until the request ends; lookups never fail on hostile input (they
 * return NULL); the response is written to the client exactly once, by
 * resp_send(), with the security headers of spec/40 §4.4 added.
 * Never: talks to Redis or MariaDB, knows a route or a handler.
 *
 * The transport is abstracted by `http_env_fn` so unit tests build requests
 * without libfcgi. */
#ifndef ECHELON_CORE_HTTP_H
#define ECHELON_CORE_HTTP_H
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>
#include "core/arena.h"
#include "core/buf.h"

#define HTTP_MAX_PARAMS 4       /* ":id" captures per route */
#define HTTP_MAX_PAIRS 128      /* query pairs / cookies kept; the rest ignored */

typedef struct http_pair {
    const char *name;           /* decoded, NUL-terminated */
    const char *value;          /* decoded, NUL-terminated */
    size_t name_len, value_len; /* decoded lengths (values may contain NUL) */
} http_pair_t;

/* Returns the CGI/FastCGI variable `name` (e.g. "HTTP_USER_AGENT") or NULL. */
typedef const char *(*http_env_fn)(void *ctx, const char *name);

struct http_envx;

typedef struct req {
    arena_t *arena;
    http_env_fn env;
    void *env_ctx;
    const char *method;        /* "GET", "POST", ... ("HEAD" stays "HEAD") */
    const char *path;          /* decoded-as-sent path, runs of '/' collapsed, no query */
    const char *raw_query;     /* undecoded query string, "" when absent */
    http_pair_t *query;        /* parsed lazily by req_query(); form-decoding ('+' = space) */
    size_t nquery;
    int query_parsed;
    http_pair_t *cookies;
    size_t ncookies;
    int cookies_parsed;
    const char *body;          /* NUL-terminated copy, NULL when no body was read */
    size_t body_len;
    const char *params[HTTP_MAX_PARAMS]; /* route captures, in pattern order */
    int nparams;
    int is_head;               /* HEAD served by the GET handler: body suppressed */
    void *user;                /* for the dispatcher: auth result etc. */
    /* Body reader installed by the transport; see req_read_body(). */
    int (*body_reader)(struct req *r, size_t max);
    void *body_ctx;
    int body_read;
} req_t;

typedef struct resp {
    int status;
    buf_t headers;             /* "Name: value\r\n" lines, excluding Status/Content-Type */
    buf_t body;
    const char *content_type;  /* static or arena string; NULL = none */
    int no_security_headers;   /* static assets in the reference; we still add 3 (Decision) */
    int sent;
} resp_t;

/* ---- request ---- */
void req_init(req_t *r, arena_t *a, http_env_fn env, void *env_ctx);
/* The same over a transport's NULL-terminated "NAME=value" array (FastCGI
 * envp): the array is indexed once (a hash table in the arena), so every
 * req_env/req_header costs one probe instead of a scan over all variables.
 * The first of duplicate names wins, as with a scan. envp must outlive r. */
void req_init_envp(req_t *r, arena_t *a, char *const *envp);
const char *req_env(const req_t *r, const char *name);
/* Header by its HTTP name, case-insensitive ("User-Agent"); NULL if absent. */
const char *req_header(const req_t *r, const char *name);
/* First query value for `name` (decoded), NULL if absent. */
const char *req_query(req_t *r, const char *name);
const http_pair_t *req_query_pair(req_t *r, const char *name);
/* All query pairs in order (parsed once); returns their number. For a
 * handler that reads many parameters in one pass. */
size_t req_query_all(req_t *r, const http_pair_t **pairs);
const char *req_cookie(req_t *r, const char *name);
const char *req_param(const req_t *r, int i);  /* route capture i or NULL */
/* Read the body now (once), at most `max` bytes: 0, or 413 when the
 * declared length or the bytes actually received exceed max. Handlers of
 * routes with `lazy_body` call it after their own earlier checks. */
int req_read_body(req_t *r, size_t max);
/* Content-Length as sent (-1 when absent or unparsable). */
long long req_content_length(const req_t *r);

/* ---- pure parsers (unit-tested, fuzzable) ---- */
/* Percent-decode [s, s+n) into out (capacity >= n+1). plus_space: '+' -> ' '.
 * Malformed escapes are copied literally. Returns decoded length. */
size_t http_pct_decode(const char *s, size_t n, char *out, int plus_space);
/* Split an application/x-www-form-urlencoded string into decoded pairs.
 * At most `max` pairs are stored; returns the number stored. */
size_t http_parse_query(arena_t *a, const char *s, size_t n, http_pair_t *out, size_t max);
/* Parse a Cookie header ("a=1; b=2"). Values are not percent-decoded; a value
 * in double quotes loses its quotes. Returns the number stored. */
size_t http_parse_cookies(arena_t *a, const char *s, size_t n, http_pair_t *out, size_t max);
/* Collapse runs of '/' in place; returns the new length. */
size_t http_collapse_slashes(char *p, size_t n);
/* Header name to CGI variable name: "User-Agent" -> "HTTP_USER_AGENT" (out >= n+6). */
void http_header_to_cgi(const char *name, char *out, size_t outsz);

/* ---- response ---- */
void resp_init(resp_t *r);
void resp_free(resp_t *r);
void resp_reset(resp_t *r);
void resp_header(resp_t *r, const char *name, const char *value);
void resp_write(resp_t *r, const void *data, size_t n);
void resp_puts(resp_t *r, const char *s);
void resp_printf(resp_t *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Status + body + type in one call; the body is copied. */
void resp_set(resp_t *r, int status, const char *content_type, const char *body, size_t n);
/* Plain text (text/plain;charset=UTF-8), e.g. 404 "Not Found". */
void resp_text(resp_t *r, int status, const char *text);
/* JSON body from a json-c object (takes ownership, puts it). */
void resp_json(resp_t *r, int status, json_object *obj);
/* {"error":code,"message":message}; message NULL -> only "error". */
void resp_error(resp_t *r, int status, const char *code, const char *message);
/* 3xx with Location and empty body. */
void resp_redirect(resp_t *r, int status, const char *location);

/* Serialise status line, headers (+ security headers, + CSP for text/html)
 * and body (unless is_head) through `out`. Returns 0 or -1 on write error. */
typedef int (*http_out_fn)(void *ctx, const char *data, size_t n);
int resp_send(resp_t *r, const req_t *req, http_out_fn out, void *out_ctx);

/* JSON serialisation flags used everywhere (plain, no "\/"). */
#define HTTP_JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/* The CSP of spec/40 §4.4, sent with every text/html response. */
extern const char http_csp[];
#endif
