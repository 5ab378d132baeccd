/* memo: a one-entry memory of "string -> small int" for per-request checks
 * whose input repeats from request to request (a User-Agent string: one
 * browser build sends the same one on every hit). A hit costs a length
 * check and a memcmp instead of a scan over dozens of patterns.
 * `tag` names what the answer depends on besides the string (e.g. the feed
 * table it was computed from): a different tag is a miss. Strings longer
 * than the memo's buffer are never remembered. Per process; not thread-safe
 * (workers are single-threaded). */
#ifndef ECHELON_CORE_MEMO_H
#define ECHELON_CORE_MEMO_H
#include <stddef.h>
#include <string.h>

typedef struct memo {
    const void *tag;
    size_t n;
    int value;
    int valid;
    char s[512];
} memo_t;

static inline int memo_get(const memo_t *m, const void *tag, const char *s, size_t n, int *value)
{
    if (!m->valid || m->tag != tag || m->n != n || memcmp(m->s, s, n) != 0) return 0;
    *value = m->value;
    return 1;
}

static inline void memo_put(memo_t *m, const void *tag, const char *s, size_t n, int value)
{
    if (n > sizeof m->s) {
        m->valid = 0;
        return;
    }
    memcpy(m->s, s, n);
    m->n = n;
    m->tag = tag;
    m->value = value;
    m->valid = 1;
}
#endif
