/* apiutil: small shared pieces of the management API handlers (spec/40 §0, §3.0).
 *
 * Owns: reading a JSON body the way the reference does (whole body, any
 * Content-Type; a parsed non-object treated as {}), JavaScript-style
 * truthiness / String(x) / Number(x) on json-c values, truncation by code
 * points, the ID syntaxes of spec/40 §0, strict path-parameter decoding,
 * canonical timestamps and shortest round-trip doubles, and the Redis
 * generation counters that tell workers to refresh their caches.
 * Promises: pure functions over their arguments (except apiu_bump_gen, which
 * talks to Redis through store/kv and ignores failures); returned strings
 * live in the request arena. Never: writes a response unless its name ends
 * in _or_reply. */
#ifndef ECHELON_API_APIUTIL_H
#define ECHELON_API_APIUTIL_H
#include <stddef.h>
#include <json-c/json.h>
#include "core/http.h"

/* Generation counters bumped by mutations (full key = kv_prefix + name),
 * read by the collection workers to refresh their per-worker caches. */
#define APIU_GEN_CAMPAIGNS "gen:campaigns"
#define APIU_GEN_EXCLUDED "gen:excluded"
#define APIU_GEN_CONSENT_CSS "gen:consent_css"
/* Runtime debug override (spec/40 §3.7): kv_prefix + this = "1" when on. */
#define APIU_KEY_DEBUG "debug"

#define APIU_JSON_DEPTH 64

/* Parse buf as one JSON document (surrounding whitespace allowed).
 * 0 and *out (caller puts), or -1 when empty/invalid. */
int apiu_parse_json(const char *buf, size_t n, json_object **out);
/* The request body as JSON; -1 when invalid (caller answers its 400). */
int apiu_body_json(req_t *req, json_object **out);
/* The object to read fields from: obj itself when it is an object, else NULL
 * (every field then reads as missing, the "treat as {}" decision). */
json_object *apiu_obj(json_object *v);
json_object *apiu_get(json_object *obj, const char *key);  /* NULL when missing */
int apiu_has(json_object *obj, const char *key);           /* key present (even null) */

/* json-c represents a JSON null as a NULL object, so a null value and a
 * missing key both arrive here as NULL (read as missing); callers that must
 * tell them apart use apiu_has(). */
int apiu_truthy(json_object *v);            /* JS truthiness; missing = NULL = falsy */
/* JS String(v) (missing -> "undefined"); *len receives the byte length. */
const char *apiu_string(arena_t *a, json_object *v, size_t *len);
/* JS Number(v): missing -> NaN, null -> 0, "" -> 0, "abc" -> NaN, "0x10" -> 16. */
double apiu_number(json_object *v);
/* Shortest decimal text that parses back to d ("0.1", "142.5", "100"). */
void apiu_fmt_double(double d, char *out, size_t outsz);
json_object *apiu_json_double(double d);

/* Keep the first max code points of s[0..n) (never splitting a UTF-8
 * sequence); returns an arena copy, *outlen its length. */
const char *apiu_trunc(arena_t *a, const char *s, size_t n, size_t max, size_t *outlen);

int apiu_is_slug(const char *s, size_t n);       /* [A-Za-z0-9._-]+ */
int apiu_is_site(const char *s, size_t n);       /* 1..64 of the slug chars */
int apiu_is_uuid(const char *s, size_t n);       /* 8-4-4-4-12 hex */
int apiu_is_event_type(const char *s, size_t n); /* [A-Za-z_][A-Za-z0-9_]{0,63} */
int apiu_utf8_valid(const char *s, size_t n);

/* Decode the last path segment (the route's :id) exactly once. On a
 * malformed escape or invalid UTF-8 writes 400 invalid_payload and returns
 * -1. Otherwise 0, *out truncated to max code points (0 = no limit). */
int apiu_path_id_or_reply(req_t *req, resp_t *resp, size_t max, const char **out, size_t *outlen);

/* MariaDB DATETIME text ("2026-05-10 10:00:00.123[456]") -> canonical
 * "2026-05-10T10:00:00.123Z" (out >= 25). 0, or -1 when unparsable. */
int apiu_ts_canon(const char *db, char *out, size_t outsz);
json_object *apiu_json_ts(const char *db);        /* NULL/unparsable -> json null */
json_object *apiu_json_str(const char *s);        /* NULL -> json null */

/* ISO-8601 UTC "YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z" -> ms since the epoch
 * (the ingest `ts`, spec/README decision 1). 0 / -1 when malformed. */
int apiu_parse_ts(const char *s, size_t n, long long *ms_out);

/* Lenient integer parse of spec/30 §0.3; -1 (NaN) or 0 with *out. */
int apiu_lint(const char *s, long long *out);
/* LINT(s) || def, then clamp to [lo, hi]. */
long long apiu_lint_clamp(const char *s, long long def, long long lo, long long hi);

/* INCR kv_prefix+name; failures are logged and ignored (caches still expire). */
void apiu_bump_gen(const char *name);
/* The management API's mutation answer: {"<key>":"<id>"} with `status`
 * ({"created":"spring-2026"}, {"deleted":…}, {"excluded":…}, …). */
void apiu_reply_id(resp_t *resp, int status, const char *key, const char *id, size_t idn);
#endif
