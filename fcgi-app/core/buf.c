/* buf.c -- growable byte buffer (see buf.h). */
#include "core/buf.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_init(buf_t *b)
{
    b->p = NULL;
    b->len = b->cap = 0;
}

void buf_reserve(buf_t *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap) return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1) cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) abort();
    b->p = p;
    b->cap = cap;
}

void buf_append(buf_t *b, const void *data, size_t n)
{
    buf_reserve(b, n);
    if (n) memcpy(b->p + b->len, data, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void buf_puts(buf_t *b, const char *s) { buf_append(b, s, strlen(s)); }


void buf_printf(buf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n <= 0) return;
    buf_reserve(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

char *buf_put_dec(char *o, long long v)
{
    char t[24];
    size_t n = 0;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do t[n++] = (char)('0' + u % 10); while (u /= 10);
    if (v < 0) *o++ = '-';
    while (n) *o++ = t[--n];
    return o;
}

const char *buf_dec(char *out, long long v)
{
    *buf_put_dec(out, v) = '\0';
    return out;
}

void buf_reset(buf_t *b)
{
    b->len = 0;
    if (b->p) b->p[0] = '\0';
}

void buf_free(buf_t *b)
{
    free(b->p);
    buf_init(b);
}
