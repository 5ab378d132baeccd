/* visitor: hashing and visitor identity (spec/10 §2.7, §2.8, §5.5, §6.4).
 *
 * Owns: HMAC-SHA-256 (libgcrypt), the IP hash, the cookieless visitor id,
 * the `_ev` cookie rule, random cookie ids and client-IP derivation.
 * Promises: pure given the day's key (callers fetch it from collect/cache.h);
 * the key and IPs are never logged or stored. Never: talks to Redis. */
#ifndef ECHELON_COLLECT_VISITOR_H
#define ECHELON_COLLECT_VISITOR_H
#include <stddef.h>
#include "core/arena.h"

#define VISITOR_KEY_LEN 32
#define VISITOR_ID_LEN 16            /* hex chars */
#define VISITOR_IPHASH_LEN 64        /* hex chars */
#define VISITOR_COOKIE "_ev"
#define VISITOR_COOKIE_MAX_AGE 2592000

/* HMAC-SHA-256(key, msg) into out[32]. 0, or -1 on a crypto failure. */
int visitor_hmac(const void *key, size_t keylen, const void *msg, size_t msglen,
                 unsigned char out[32]);
/* Lowercase hex of n bytes into out (2n+1). */
void visitor_hex(const unsigned char *in, size_t n, char *out);

/* §2.8 IP hash: 64 hex + NUL. 0 / -1. */
int visitor_ip_hash(const unsigned char key[VISITOR_KEY_LEN], const char *ip, char out[65]);
/* §2.8 cookieless id: first 8 bytes of HMAC(key, ip|ua|site|date) as 16 hex.
 * ua may be NULL (empty); date is "YYYY-MM-DD". 0 / -1. */
int visitor_cookieless_id(const unsigned char key[VISITOR_KEY_LEN], const char *ip,
                          const char *ua, const char *site, const char *date, char out[17]);
/* 8 random bytes as 16 hex (cookie mode). 0 / -1. */
int visitor_random_id(char out[17]);

/* §5.5 cookie rule: split the Cookie header on ';', each piece on '=', name
 * and value trimmed, first piece whose name equals `name` wins (no
 * unquoting). Returns 1 and the value (arena copy) when found, else 0. */
int visitor_cookie_get(arena_t *a, const char *header, const char *name, const char **value);
/* The valid `_ev` value (16 lowercase hex) or NULL. */
const char *visitor_cookie_ev(arena_t *a, const char *cookie_header);

/* §2.7 client IP from the raw header values (NULL = absent) and flags.
 * Returns an arena string (may be "" from a leading comma) or "unknown". */
const char *visitor_client_ip(arena_t *a, int behind_cloudflare, int trust_proxy,
                              const char *cf_connecting_ip, const char *x_forwarded_for,
                              const char *x_real_ip, const char *remote_addr);

/* UTC "YYYY-MM-DD" of ms since the epoch into out[11]. */
void visitor_date(long long ms, char out[11]);
#endif
