/* kv: the worker's one Redis connection.
 *
 * Owns: connecting to cfg->redis_url (unix:///path or redis://host:port/db),
 * short timeouts (connect 200 ms, command 500 ms) so a hung Redis never hangs
 * a request, reconnect with a one-second backoff while down, and pipelining.
 * Promises: callers never see hiredis types: replies are the opaque kv_reply_t
 * read through accessors and freed with kv_free(). A NULL reply means Redis
 * was unreachable or timed out; callers degrade, they never fail the request.
 * Never: retries a command on its own (the caller decides). */
#ifndef ECHELON_STORE_KV_H
#define ECHELON_STORE_KV_H
#include <stddef.h>

typedef struct redisReply kv_reply_t;

enum { KV_NIL = 0, KV_STR, KV_INT, KV_ARR, KV_STATUS, KV_ERR, KV_OTHER };

int kv_connect(void);
int kv_is_down(void);
void kv_close(void);
void kv_forget_after_fork(void);   /* forked child: drop the parent's connection */
int kv_ping(void);                                   /* 0 if PONG now */

/* printf-style command (hiredis format: %s, %b with size_t, %d, %lld). */
kv_reply_t *kv_cmd(const char *fmt, ...);
kv_reply_t *kv_cmdargv(int argc, const char **argv, const size_t *lens);
/* Pipelining: queue commands, then read exactly as many replies. kv_pipe_read
 * returns NULL for every reply once the connection failed. */
int kv_pipe(const char *fmt, ...);
int kv_pipe_argv(int argc, const char **argv, const size_t *lens);
/* A pipelined command from ready strings: cmd, key and up to two more
 * arguments (NULL ends the list). Cheaper than printf-style formatting,
 * which cost a sixth of the shipper's CPU at a few commands per record. */
int kv_pipe_strs(const char *cmd, const char *key, const char *a1, const char *a2);
kv_reply_t *kv_pipe_read(void);
/* Send every queued command now and leave their replies unread, for
 * commands whose replies nobody needs: Redis works on them while the
 * caller goes on. The next command that reads a reply (kv_cmd, kv_pipe_read,
 * ...) first reads and drops them. 0, or -1 when Redis is unreachable. */
int kv_pipe_defer(void);
/* The command in the Redis protocol (RESP array of bulk strings), as
 * kv_pipe_argv sends it: kv_resp_max bounds its size, kv_resp writes it to
 * out (no NUL added) and returns its length. Pure; unit-tested. */
size_t kv_resp_max(int argc, const size_t *lens);
size_t kv_resp(char *out, int argc, const char **argv, const size_t *lens);

int kv_type(const kv_reply_t *r);
const char *kv_str(const kv_reply_t *r);             /* STR/STATUS/ERR text or NULL */
size_t kv_len(const kv_reply_t *r);
long long kv_int(const kv_reply_t *r);               /* INT, or a numeric STR; else 0 */
size_t kv_nelem(const kv_reply_t *r);
const kv_reply_t *kv_elem(const kv_reply_t *r, size_t i);
void kv_free(kv_reply_t *r);

/* Helpers for the common single-value cases; -1 / NULL when Redis is down. */
long long kv_int_cmd(const char *fmt, ...);
/* Copies a string reply into out (NUL-terminated). Returns length, -1 nil/down. */
long kv_str_cmd(char *out, size_t outsz, const char *fmt, ...);

/* Cluster-wide lock: SET key token NX PX ttl. Returns 1 acquired, 0 held
 * elsewhere, -1 Redis down. kv_unlock deletes only if we still own it. */
int kv_lock(const char *key, long ttl_ms, char token[33]);
void kv_unlock(const char *key, const char token[33]);

/* Key prefix for every key we write ("ech:"), so tests can share a server. */
extern const char *kv_prefix;
#endif
