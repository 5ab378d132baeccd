/* kv.c -- one Redis connection per process (see kv.h).
 *
 * Timeouts are short on purpose: Redis holds live counters and locks, never
 * the only copy of data, so giving up after 500 ms and degrading is always
 * better than holding a request or the shipper. */
#include "store/kv.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/log.h"
#include <hiredis/hiredis.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

const char *kv_prefix = "ech:";

static redisContext *ctx;
static time_t down_until;
static int pending;            /* pipelined commands not yet read */
static int deferred;           /* replies kv_pipe_defer() left unread */

void kv_close(void)
{
    if (ctx) redisFree(ctx);
    ctx = NULL;
    pending = 0;
    deferred = 0;
}

void kv_forget_after_fork(void)
{
    ctx = NULL;          /* the parent keeps using that socket */
    pending = 0;
    deferred = 0;
    down_until = 0;
}

int kv_is_down(void) { return !ctx && time(NULL) < down_until; }

static void went_down(const char *why)
{
    log_warn("kv", "redis unavailable: %s", why);
    kv_close();
    down_until = time(NULL) + 1;
}

int kv_connect(void)
{
    if (ctx) return 0;
    if (time(NULL) < down_until) return -1;
    struct timeval ct = { 0, 200000 }, rt = { 0, 500000 };
    const char *url = cfg->redis_url;
    int db = 0;
    if (strncmp(url, "unix://", 7) == 0) {
        ctx = redisConnectUnixWithTimeout(url + 7, ct);
    } else {
        char host[256] = "127.0.0.1";
        int port = 6379;
        const char *p = strncmp(url, "redis://", 8) == 0 ? url + 8 : url;
        const char *at = strrchr(p, '@');      /* ignore credentials part for now */
        if (at) p = at + 1;
        size_t hl = strcspn(p, ":/");
        if (hl && hl < sizeof host) {
            memcpy(host, p, hl);
            host[hl] = '\0';
        }
        p += hl;
        if (*p == ':') port = atoi(p + 1);
        const char *slash = strchr(p, '/');
        if (slash) db = atoi(slash + 1);
        ctx = redisConnectWithTimeout(host, port, ct);
    }
    if (!ctx || ctx->err) {
        went_down(ctx ? ctx->errstr : "out of memory");
        return -1;
    }
    redisSetTimeout(ctx, rt);
    /* Workers fork-exec nothing, but keep the socket out of any child. */
    fcntl(ctx->fd, F_SETFD, FD_CLOEXEC);
    if (db) {
        redisReply *r = redisCommand(ctx, "SELECT %d", db);
        if (!r) { went_down(ctx->errstr); return -1; }
        freeReplyObject(r);
    }
    down_until = 0;
    return 0;
}

/* Connected, and the next reply on the connection is the caller's: the
 * replies of deferred commands are read and dropped first. */
static int ready(void)
{
    if (kv_connect() != 0) return -1;
    while (deferred > 0) {
        void *r = NULL;
        deferred--;
        if (redisGetReply(ctx, &r) != REDIS_OK) {
            went_down(ctx->errstr);
            return -1;
        }
        freeReplyObject(r);
    }
    return 0;
}

int kv_pipe_defer(void)
{
    if (!ctx) {
        pending = 0;
        return -1;
    }
    int done = 0;
    while (!done) {
        if (redisBufferWrite(ctx, &done) != REDIS_OK) {
            went_down(ctx->errstr);
            return -1;
        }
    }
    deferred += pending;
    pending = 0;
    return 0;
}

static redisReply *checked(redisReply *r)
{
    if (!r && ctx) went_down(ctx->errstr[0] ? ctx->errstr : "no reply");
    return r;
}

kv_reply_t *kv_cmd(const char *fmt, ...)
{
    if (ready() != 0) return NULL;
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = redisvCommand(ctx, fmt, ap);
    va_end(ap);
    return checked(r);
}

kv_reply_t *kv_cmdargv(int argc, const char **argv, const size_t *lens)
{
    if (ready() != 0) return NULL;
    return checked(redisCommandArgv(ctx, argc, argv, lens));
}

int kv_pipe(const char *fmt, ...)
{
    if (kv_connect() != 0) return -1;
    va_list ap;
    va_start(ap, fmt);
    int rc = redisvAppendCommand(ctx, fmt, ap);
    va_end(ap);
    if (rc == REDIS_OK) pending++;
    return rc == REDIS_OK ? 0 : -1;
}

/* "<c><decimal v>\r\n" at p; returns the end. */
static char *put_head(char *p, char c, size_t v)
{
    *p++ = c;
    p = buf_put_dec(p, (long long)v);
    *p++ = '\r';
    *p++ = '\n';
    return p;
}

size_t kv_resp_max(int argc, const size_t *lens)
{
    size_t need = 24;                      /* "*<argc>\r\n" */
    for (int i = 0; i < argc; i++) need += lens[i] + 26;   /* "$<len>\r\n" <arg> "\r\n" */
    return need;
}

size_t kv_resp(char *out, int argc, const char **argv, const size_t *lens)
{
    char *p = put_head(out, '*', (size_t)(argc > 0 ? argc : 0));
    for (int i = 0; i < argc; i++) {
        p = put_head(p, '$', lens[i]);
        memcpy(p, argv[i], lens[i]);
        p += lens[i];
        *p++ = '\r';
        *p++ = '\n';
    }
    return (size_t)(p - out);
}

/* The command goes out preformatted (kv_resp): hiredis's own argv formatter
 * (sdscatfmt per argument, a reallocation per piece) was a third of the
 * shipper's instructions per record. */
int kv_pipe_argv(int argc, const char **argv, const size_t *lens)
{
    if (kv_connect() != 0) return -1;
    static char *buf;
    static size_t cap;
    size_t need = kv_resp_max(argc, lens);
    if (need > cap) {
        size_t ncap = cap ? cap : 4096;
        while (ncap < need) ncap *= 2;
        char *nb = realloc(buf, ncap);
        if (!nb) return -1;
        buf = nb;
        cap = ncap;
    }
    size_t len = kv_resp(buf, argc, argv, lens);
    if (redisAppendFormattedCommand(ctx, buf, len) != REDIS_OK) return -1;
    pending++;
    return 0;
}

int kv_pipe_strs(const char *cmd, const char *key, const char *a1, const char *a2)
{
    const char *argv[4] = { cmd, key, a1, a2 };
    size_t lens[4];
    int n = a1 ? (a2 ? 4 : 3) : 2;
    for (int i = 0; i < n; i++) lens[i] = strlen(argv[i]);
    return kv_pipe_argv(n, argv, lens);
}

kv_reply_t *kv_pipe_read(void)
{
    if (!ctx || pending <= 0) return NULL;
    if (deferred > 0 && ready() != 0) return NULL;
    void *r = NULL;
    pending--;
    if (redisGetReply(ctx, &r) != REDIS_OK) {
        went_down(ctx->errstr);
        return NULL;
    }
    return r;
}

int kv_ping(void)
{
    redisReply *r = kv_cmd("PING");
    int ok = r && r->type == REDIS_REPLY_STATUS;
    if (r) freeReplyObject(r);
    return ok ? 0 : -1;
}

int kv_type(const kv_reply_t *r)
{
    if (!r) return KV_NIL;
    switch (r->type) {
    case REDIS_REPLY_STRING: return KV_STR;
    case REDIS_REPLY_INTEGER: return KV_INT;
    case REDIS_REPLY_ARRAY: return KV_ARR;
    case REDIS_REPLY_STATUS: return KV_STATUS;
    case REDIS_REPLY_ERROR: return KV_ERR;
    case REDIS_REPLY_NIL: return KV_NIL;
    default: return KV_OTHER;
    }
}

const char *kv_str(const kv_reply_t *r)
{
    if (!r) return NULL;
    if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS || r->type == REDIS_REPLY_ERROR)
        return r->str;
    return NULL;
}

size_t kv_len(const kv_reply_t *r) { return kv_str(r) ? r->len : 0; }

long long kv_int(const kv_reply_t *r)
{
    if (!r) return 0;
    if (r->type == REDIS_REPLY_INTEGER) return r->integer;
    if (r->type == REDIS_REPLY_STRING) return strtoll(r->str, NULL, 10);
    return 0;
}

size_t kv_nelem(const kv_reply_t *r) { return r && r->type == REDIS_REPLY_ARRAY ? r->elements : 0; }

const kv_reply_t *kv_elem(const kv_reply_t *r, size_t i)
{
    return r && r->type == REDIS_REPLY_ARRAY && i < r->elements ? r->element[i] : NULL;
}

void kv_free(kv_reply_t *r)
{
    if (r) freeReplyObject(r);
}

long long kv_int_cmd(const char *fmt, ...)
{
    if (ready() != 0) return -1;
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = checked(redisvCommand(ctx, fmt, ap));
    va_end(ap);
    if (!r) return -1;
    long long v = r->type == REDIS_REPLY_ERROR ? -1 : kv_int(r);
    freeReplyObject(r);
    return v;
}

long kv_str_cmd(char *out, size_t outsz, const char *fmt, ...)
{
    if (ready() != 0) return -1;
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = checked(redisvCommand(ctx, fmt, ap));
    va_end(ap);
    if (!r) return -1;
    long n = -1;
    if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS) {
        size_t len = r->len < outsz - 1 ? r->len : outsz - 1;
        memcpy(out, r->str, len);
        out[len] = '\0';
        n = (long)len;
    }
    freeReplyObject(r);
    return n;
}

int kv_lock(const char *key, long ttl_ms, char token[33])
{
    unsigned char rnd[16];
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0 || read(fd, rnd, sizeof rnd) != (ssize_t)sizeof rnd) {
        if (fd >= 0) close(fd);
        return -1;
    }
    close(fd);
    for (int i = 0; i < 16; i++) snprintf(token + 2 * i, 3, "%02x", rnd[i]);
    redisReply *r = kv_cmd("SET %s%s %s NX PX %ld", kv_prefix, key, token, ttl_ms);
    if (!r) return -1;
    int ok = r->type == REDIS_REPLY_STATUS;
    freeReplyObject(r);
    return ok ? 1 : 0;
}

void kv_unlock(const char *key, const char token[33])
{
    static const char lua[] =
        "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";
    char k[256];
    snprintf(k, sizeof k, "%s%s", kv_prefix, key);
    redisReply *r = kv_cmd("EVAL %s 1 %s %s", lua, k, token);
    kv_free(r);
}
