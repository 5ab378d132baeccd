/* buf: growable byte buffer (heap), for response bodies and SQL text.
 *
 * Promises: contents are always NUL-terminated; appends never truncate
 * (they abort on out-of-memory). The owner calls buf_free(). */
#ifndef ECHELON_CORE_BUF_H
#define ECHELON_CORE_BUF_H
#include <stddef.h>

typedef struct buf {
    char *p;
    size_t len, cap;
} buf_t;

void buf_init(buf_t *b);
void buf_reserve(buf_t *b, size_t extra);
void buf_append(buf_t *b, const void *data, size_t n);
void buf_puts(buf_t *b, const char *s);
/* One byte; the common case (room left) is inline, the rest goes to
 * buf_append. Writers that emit JSON or HTML byte by byte rely on it. */
static inline void buf_putc(buf_t *b, char c)
{
    if (b->len + 2 <= b->cap) {
        b->p[b->len++] = c;
        b->p[b->len] = '\0';
        return;
    }
    buf_append(b, &c, 1);
}
void buf_printf(buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The decimal digits of v (and a leading '-') at o, no NUL; returns the end.
 * At most 20 bytes. */
char *buf_put_dec(char *o, long long v);
/* Decimal text of v into out (room for 21 bytes); returns out. */
const char *buf_dec(char *out, long long v);
void buf_reset(buf_t *b);          /* length 0, keeps memory */
void buf_free(buf_t *b);
#endif
