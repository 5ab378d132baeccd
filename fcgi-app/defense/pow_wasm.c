/* pow_wasm.c -- the PoW hash and the WebAssembly module that computes it.
 *
 * Implements spec/20 §3.2 (parameters from a seed), §3.3 (the hash, a SipHash
 * variant whose initial state and rotations come from the seed) and §3.4 (the
 * emitted module, byte-exact with the reference generator, so the §3.6 SHA-256
 * vectors hold). Pure functions: no globals, no allocation, no crypto library.
 *
 * The module is one function `solve(ptr, len, out)` over exported memory:
 *
 *   header | type (i32,i32,i32)->() | func | memory min 1 | export memory,solve
 *   | code: locals 5 x i64 (v0..v3, b), 2 x i32 (i, j)
 *         v = m; block-absorb loop (R R); tail loop; length fold (R R);
 *         v2 ^= 0xFF; R R R R; store v0^v1, v2^v3
 *
 * The round macro R is 82 bytes whose only variable bytes are r1..r5, so the
 * body length depends only on the sLEB sizes of the four magic constants:
 * body_len = 836 + sum(len(sleb(m_k))). The emitter below writes the body
 * first and then the section headers around it. */
#include <string.h>
#include "defense/pow.h"

/* ---------------------------------------------------------------- hash -- */

static uint64_t rd64le(const uint8_t *p)
{
    uint64_t v = 0;
    for (int k = 7; k >= 0; k--)
        v = (v << 8) | p[k];
    return v;
}

static void wr64le(uint8_t *p, uint64_t v)
{
    for (int k = 0; k < 8; k++) {
        p[k] = (uint8_t)v;
        v >>= 8;
    }
}

/* Masked like WebAssembly's i64.rotl, so hand-made parameters (r = 0 or 64)
 * behave like the module instead of being undefined behaviour. */
static uint64_t rotl64(uint64_t x, unsigned n)
{
    n &= 63;
    return n ? (x << n) | (x >> (64 - n)) : x;
}

void pow_params_from_seed(const uint8_t seed[POW_SEED_LEN], pow_params_t *out)
{
    for (int k = 0; k < 4; k++)
        out->m[k] = rd64le(seed + 8 * k);
    for (int k = 0; k < 5; k++)
        out->r[k] = 7u + (unsigned)(seed[32 + k] % 47u);
}

typedef struct { uint64_t v0, v1, v2, v3; } state_t;

static void round_(state_t *s, const unsigned r[5])
{
    s->v0 += s->v1;
    s->v1 = rotl64(s->v1, r[0]) ^ s->v0;
    s->v0 = rotl64(s->v0, 32);
    s->v2 += s->v3;
    s->v3 = rotl64(s->v3, r[1]) ^ s->v2;
    s->v0 += s->v3;
    s->v3 = rotl64(s->v3, r[2]) ^ s->v0;
    s->v2 += s->v1;
    s->v1 = rotl64(s->v1, r[3]) ^ s->v2;
    s->v2 = rotl64(s->v2, r[4]);
}

void pow_hash(const pow_params_t *p, const void *in, size_t len, uint8_t out[POW_HASH_LEN])
{
    const uint8_t *b8 = in;
    state_t s = { p->m[0], p->m[1], p->m[2], p->m[3] };
    size_t i = 0;
    uint64_t b;

    for (; len - i >= 8; i += 8) {
        b = rd64le(b8 + i);
        s.v3 ^= b;
        round_(&s, p->r);
        round_(&s, p->r);
        s.v0 ^= b;
    }
    b = (uint64_t)(len & 0xFF) << 56;
    for (size_t j = i; j < len; j++)
        b |= (uint64_t)b8[j] << (8 * (j - i));
    s.v3 ^= b;
    round_(&s, p->r);
    round_(&s, p->r);
    s.v0 ^= b;
    s.v2 ^= 0xFF;
    for (int k = 0; k < 4; k++)
        round_(&s, p->r);
    wr64le(out, s.v0 ^ s.v1);
    wr64le(out + 8, s.v2 ^ s.v3);
}

/* ------------------------------------------------------------- emitter -- */

/* A bounded writer; the size arithmetic above guarantees it never fills, the
 * check is what keeps a future edit of the byte tables from overflowing. */
typedef struct {
    uint8_t *p;
    size_t n, cap;
    int overflow;
} wbuf_t;

static void put(wbuf_t *w, const uint8_t *b, size_t n)
{
    if (w->overflow || w->cap - w->n < n) {
        w->overflow = 1;
        return;
    }
    memcpy(w->p + w->n, b, n);
    w->n += n;
}

#define PUT(w, ...) do { \
        static const uint8_t b_[] = { __VA_ARGS__ }; \
        put((w), b_, sizeof b_); \
    } while (0)

static void put1(wbuf_t *w, uint8_t b)
{
    put(w, &b, 1);
}

static void uleb(wbuf_t *w, uint64_t v)
{
    do {
        uint8_t b = v & 0x7F;
        v >>= 7;
        put1(w, v ? (uint8_t)(b | 0x80) : b);
    } while (v);
}

/* §3.4 sLEB128: arithmetic shift written without relying on the
 * implementation-defined >> of a negative value. */
static void sleb(wbuf_t *w, int64_t v)
{
    for (;;) {
        uint8_t b = (uint8_t)((uint64_t)v & 0x7F);
        v = v < 0 ? ~(~v >> 7) : v >> 7;
        if ((v == 0 && !(b & 0x40)) || (v == -1 && (b & 0x40))) {
            put1(w, b);
            return;
        }
        put1(w, (uint8_t)(b | 0x80));
    }
}

static void i64_const(wbuf_t *w, uint64_t v)
{
    put1(w, 0x42);
    /* Two's-complement reinterpretation (magic >= 2^63 becomes negative),
     * done by memcpy so it is defined behaviour. */
    int64_t s;
    memcpy(&s, &v, sizeof s);
    sleb(w, s);
}

/* One rotation step: get a, i64.const r, rotl, get b, xor, set a. */
static void rot_xor(wbuf_t *w, uint8_t a, unsigned r, uint8_t b)
{
    put1(w, 0x20); put1(w, a);
    i64_const(w, r);
    put1(w, 0x89);
    put1(w, 0x20); put1(w, b);
    put1(w, 0x85);
    put1(w, 0x21); put1(w, a);
}

/* get a, get b, i64.add, set a */
static void add(wbuf_t *w, uint8_t a, uint8_t b)
{
    uint8_t seq[] = { 0x20, a, 0x20, b, 0x7C, 0x21, a };
    put(w, seq, sizeof seq);
}

/* get a, i64.const r, rotl, set a */
static void rot(wbuf_t *w, uint8_t a, unsigned r)
{
    put1(w, 0x20); put1(w, a);
    i64_const(w, r);
    put1(w, 0x89);
    put1(w, 0x21); put1(w, a);
}

/* The round macro R (82 bytes), locals v0..v3 = 3..6. */
static void emit_round(wbuf_t *w, const unsigned r[5])
{
    add(w, 3, 4);
    rot_xor(w, 4, r[0], 3);
    rot(w, 3, 32);
    add(w, 5, 6);
    rot_xor(w, 6, r[1], 5);
    add(w, 3, 6);
    rot_xor(w, 6, r[2], 3);
    add(w, 5, 4);
    rot_xor(w, 4, r[3], 5);
    rot(w, 5, r[4]);
}

static void emit_body(wbuf_t *w, const pow_params_t *p)
{
    PUT(w, 0x03, 0x05, 0x7E, 0x01, 0x7F, 0x01, 0x7F);       /* locals */
    for (uint8_t k = 0; k < 4; k++) {
        i64_const(w, p->m[k]);
        put1(w, 0x21); put1(w, (uint8_t)(3 + k));
    }
    PUT(w, 0x41, 0x00, 0x21, 0x08);                         /* i = 0 */
    PUT(w, 0x02, 0x40, 0x03, 0x40);                         /* block loop */
    PUT(w, 0x20, 0x01, 0x20, 0x08, 0x41, 0x08, 0x6A, 0x49, 0x0D, 0x01);
    PUT(w, 0x20, 0x00, 0x20, 0x08, 0x6A, 0x29, 0x00, 0x00, 0x21, 0x07);
    PUT(w, 0x20, 0x06, 0x20, 0x07, 0x85, 0x21, 0x06);       /* v3 ^= b */
    emit_round(w, p->r);
    emit_round(w, p->r);
    PUT(w, 0x20, 0x03, 0x20, 0x07, 0x85, 0x21, 0x03);       /* v0 ^= b */
    PUT(w, 0x20, 0x08, 0x41, 0x08, 0x6A, 0x21, 0x08);       /* i += 8 */
    PUT(w, 0x0C, 0x00, 0x0B, 0x0B);
    /* b = ((u64)len & 0xFF) << 56 */
    PUT(w, 0x20, 0x01, 0xAD, 0x42, 0xFF, 0x01, 0x83, 0x42, 0x38, 0x86, 0x21, 0x07);
    PUT(w, 0x20, 0x08, 0x21, 0x09);                         /* j = i */
    PUT(w, 0x02, 0x40, 0x03, 0x40);
    /* 0x4E (i32.ge_s) as the reference emits, see spec/20 §3.4 note. */
    PUT(w, 0x20, 0x09, 0x20, 0x01, 0x4E, 0x0D, 0x01);
    PUT(w, 0x20, 0x07, 0x20, 0x00, 0x20, 0x09, 0x6A, 0x2D, 0x00, 0x00, 0xAD);
    PUT(w, 0x20, 0x09, 0x20, 0x08, 0x6B, 0x41, 0x03, 0x74, 0xAD, 0x86, 0x84, 0x21, 0x07);
    PUT(w, 0x20, 0x09, 0x41, 0x01, 0x6A, 0x21, 0x09);       /* j += 1 */
    PUT(w, 0x0C, 0x00, 0x0B, 0x0B);
    PUT(w, 0x20, 0x06, 0x20, 0x07, 0x85, 0x21, 0x06);       /* v3 ^= b */
    emit_round(w, p->r);
    emit_round(w, p->r);
    PUT(w, 0x20, 0x03, 0x20, 0x07, 0x85, 0x21, 0x03);       /* v0 ^= b */
    PUT(w, 0x20, 0x05, 0x42, 0xFF, 0x01, 0x85, 0x21, 0x05); /* v2 ^= 0xFF */
    for (int k = 0; k < 4; k++)
        emit_round(w, p->r);
    PUT(w, 0x20, 0x02, 0x20, 0x03, 0x20, 0x04, 0x85, 0x37, 0x00, 0x00);
    PUT(w, 0x20, 0x02, 0x41, 0x08, 0x6A, 0x20, 0x05, 0x20, 0x06, 0x85, 0x37, 0x00, 0x00);
    PUT(w, 0x0B);
}

int pow_emit(const pow_params_t *p, uint8_t *out, size_t cap, size_t *out_len)
{
    uint8_t body[POW_MODULE_MAX];
    wbuf_t b = { body, 0, sizeof body, 0 };
    wbuf_t w = { out, 0, cap, 0 };

    if (!out || cap < POW_MODULE_MAX)
        return -1;
    emit_body(&b, p);
    if (b.overflow)
        return -1;

    PUT(&w, 0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00);
    PUT(&w, 0x01, 0x07, 0x01, 0x60, 0x03, 0x7F, 0x7F, 0x7F, 0x00);
    PUT(&w, 0x03, 0x02, 0x01, 0x00);
    PUT(&w, 0x05, 0x03, 0x01, 0x00, 0x01);
    PUT(&w, 0x07, 0x12, 0x02,
        0x06, 'm', 'e', 'm', 'o', 'r', 'y', 0x02, 0x00,
        0x05, 's', 'o', 'l', 'v', 'e', 0x00, 0x00);
    /* code section: count (1) + uLEB(body_len) (2) + body */
    uint8_t tmp[8];
    wbuf_t t = { tmp, 0, sizeof tmp, 0 };
    uleb(&t, b.n);
    put1(&w, 0x0A);
    uleb(&w, 1 + t.n + b.n);
    put1(&w, 0x01);
    put(&w, tmp, t.n);
    put(&w, body, b.n);
    if (w.overflow)
        return -1;
    *out_len = w.n;
    return 0;
}

/* -------------------------------------------------------------- base64 -- */

int pow_base64(const uint8_t *in, size_t n, char *out, size_t cap, size_t *out_len)
{
    static const char al[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t need = (n / 3 + (n % 3 != 0)) * 4;
    size_t o = 0;

    if (n > (SIZE_MAX - 1) / 4 * 3 - 3 || cap < need + 1)
        return -1;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        size_t rem = n - i;
        if (rem > 1)
            v |= (uint32_t)in[i + 1] << 8;
        if (rem > 2)
            v |= in[i + 2];
        out[o++] = al[(v >> 18) & 63];
        out[o++] = al[(v >> 12) & 63];
        out[o++] = rem > 1 ? al[(v >> 6) & 63] : '=';
        out[o++] = rem > 2 ? al[v & 63] : '=';
    }
    out[o] = '\0';
    if (out_len)
        *out_len = o;
    return 0;
}
