/* arena: per-request bump allocator.
 *
 * Owns: memory handed out for one request (parsed query pairs, decoded
 * strings, scratch buffers). Promises: everything allocated from an arena is
 * released at once by arena_reset(); allocation never returns NULL (it aborts
 * on out-of-memory, as a worker cannot answer without memory anyway).
 * Never: frees individual allocations. */
#ifndef ECHELON_CORE_ARENA_H
#define ECHELON_CORE_ARENA_H
#include <stddef.h>

typedef struct arena_block arena_block_t;
typedef struct arena {
    arena_block_t *head;
} arena_t;

void *arena_alloc(arena_t *a, size_t n) __attribute__((returns_nonnull, malloc)); /* 16-byte aligned */
void *arena_calloc(arena_t *a, size_t n);
char *arena_strndup(arena_t *a, const char *s, size_t n); /* NUL-terminated copy */
char *arena_strdup(arena_t *a, const char *s);
char *arena_printf(arena_t *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void arena_reset(arena_t *a);                        /* keeps the first block for reuse */
void arena_free(arena_t *a);
#endif
