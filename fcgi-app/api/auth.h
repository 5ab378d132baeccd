/* auth: who may call the /api routes and the /admin pages (spec/40 §2).
 *
 * Owns: the bearer-token check, password hashes (PBKDF2-HMAC-SHA256 via
 * libgcrypt), sessions and the per-IP login failure counter in Redis, the
 * CSRF rule for cookie-authenticated mutations, the public-mode gate, the
 * login page (GET/POST /admin/login) and logout (POST /admin/logout).
 * Promises: secrets and passwords are compared in constant time; session
 * tokens come from getrandom(2); no raw IP and no full token reaches Redis
 * keys or logs (the login counter is keyed by an HMAC of the IP). A request
 * that auth_api()/auth_admin() let through carries an auth_info_t on
 * req->user (arena memory) saying how it authenticated.
 * Never: writes a response on success, touches MariaDB, or answers 429 (a
 * rate-limited login is a 200 page, §2.5). */
#ifndef ECHELON_API_AUTH_H
#define ECHELON_API_AUTH_H
#include <stddef.h>
#include <stdint.h>
#include "core/http.h"

typedef enum auth_via {
    AUTH_VIA_NONE = 0,      /* not authenticated (only on the login page) */
    AUTH_VIA_OPEN,          /* no credential needed: /api/health, /admin/login */
    AUTH_VIA_PUBLIC,        /* public mode, read-only */
    AUTH_VIA_BEARER,        /* Authorization: Bearer <ECHELON_SECRET>; CSRF-exempt */
    AUTH_VIA_SESSION,       /* echelon_session cookie; CSRF applied to mutations */
} auth_via_t;

typedef struct auth_info {
    auth_via_t via;
    const char *username;   /* session user, or NULL */
    const char *token;      /* session token (arena copy), or NULL */
} auth_info_t;

/* ---- called by the dispatcher (fcgi-app/main.c) ---- */
/* AREA_API routes (§2.7): 0 = proceed (req->user set), non-zero = the
 * 401/403 response has been written into resp. */
int auth_api(req_t *req, resp_t *resp);
/* AREA_ADMIN routes (§2.8): 0 = proceed, non-zero = 303 redirect to the
 * login page (or the CSRF 403) has been written into resp. */
int auth_admin(req_t *req, resp_t *resp);
/* Worker start (dispatch_hooks.c hook_worker_start): logs the warning of
 * spec/40 §9 item 37 (ECHELON_USERNAME set, password hash unusable). */
void auth_startup_check(void);
/* The auth_info_t of an authenticated request, or NULL. */
const auth_info_t *auth_info(const req_t *req);

/* ---- echelon-ctl hash-password: reads one line (the password) from stdin
 * without echo when it is a terminal, prints the pbkdf2$... string. Returns
 * the process exit code (0 ok). ---- */
int auth_hash_password_cli(void);
/* The same as an echelon-ctl command row (ctl.c, api section). */
int auth_ctl_hash_password(int argc, char **argv);

/* ---- route handlers (routes.c, management section) ---- */
void auth_login_get(req_t *req, resp_t *resp);    /* GET  /admin/login */
void auth_login_post(req_t *req, resp_t *resp);   /* POST /admin/login */
void auth_logout(req_t *req, resp_t *resp);       /* POST /admin/logout */

/* ---- pure pieces, exposed for unit tests ---- */
#define AUTH_PBKDF2_ITERATIONS 600000UL
#define AUTH_PBKDF2_MAX_ITERATIONS 10000000UL
#define AUTH_HASH_MAX 128         /* longest hash string we produce, with NUL */
#define AUTH_TOKEN_LEN 36         /* canonical UUID v4 */

/* 1 iff equal: lengths differ -> 0 at once, else XOR-accumulate every byte. */
int auth_ct_equal(const char *a, size_t alen, const char *b, size_t blen);
/* Format a hash string from a given salt (16 bytes). 0 / -1. */
int auth_hash_format(const char *pw, size_t pwlen, const unsigned char salt[16],
                     unsigned long iterations, char *out, size_t outsz);
/* Fresh salt from the CSPRNG, AUTH_PBKDF2_ITERATIONS. 0 / -1. */
int auth_hash_make(const char *pw, size_t pwlen, char *out, size_t outsz);
/* 1 = the password matches the stored string, 0 = it does not or the string
 * is malformed (§2.3 verification algorithm). */
int auth_hash_verify(const char *stored, const char *pw, size_t pwlen);
/* Bearer check of §2.2 against `secret` (empty secret never matches). */
int auth_bearer_ok(const char *authorization, const char *secret);
/* WHATWG-style "host" of an absolute URL: lower-cased hostname plus ":port"
 * unless the port is the scheme's default. 0 / -1 when unparsable. */
int auth_url_host(const char *url, char *out, size_t outsz);
/* CSRF rule of §2.10 for a mutation: 1 = pass. origin/referer NULL when
 * absent; request_host is the raw Host value. */
int auth_csrf_pass(const char *request_host, const char *origin, const char *referer);
/* 1 iff the method is subject to CSRF (POST, PUT, PATCH, DELETE). */
int auth_method_mutates(const char *method);
/* Session expiry rule of §2.4 (strictly greater). 1 = expired. */
int auth_session_expired(long long created_ms, long long last_ms, long long now_ms,
                         long long ttl_ms, long long idle_ms);
/* Client IP of §2.5.1 (arena string; "unknown" when nothing is known). */
const char *auth_client_ip(req_t *req);
/* Random v4 UUID, lower case, into out[37]. 0 / -1. */
int auth_uuid4(char out[AUTH_TOKEN_LEN + 1]);

/* ---- sessions in Redis (exposed for tests and the admin UI) ---- */
/* Create a session for user (replacing the user's previous one). 0 / -1. */
int auth_session_create(const char *user, char token[AUTH_TOKEN_LEN + 1]);
/* 1 valid (user copied into user_out, activity refreshed), 0 invalid, -1 Redis down. */
int auth_session_check(const char *token, char *user_out, size_t user_sz);
void auth_session_delete(const char *token);
#endif
