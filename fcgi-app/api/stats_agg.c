/* stats_agg.c -- in-memory daily groups (see stats_agg.h).
 *
 * Three open-addressing hash tables, all keyed by 64-bit hashes with the
 * full key compared on a hash match:
 *   groups    (tally?, kind, site, day, parts) -> index into a->g
 *   visitors  visitor id bytes -> dense index
 *   pairs     (group index, visitor index): a new pair is a new distinct
 *             visitor of that group, which is all COUNT(DISTINCT) needs;
 *             each visitor remembers its last group of every kind, which
 *             answers most lookups without a probe.
 * Group keys and visitor ids are copied into a string pool, so the caller's
 * row buffers can be freed between batches (maintenance reads a day in
 * slices). */
#include "api/stats_agg.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define POOL_BLOCK 65536

typedef struct pool_block {
    struct pool_block *next;
    size_t used, cap;
    char data[];
} pool_block_t;

struct agg {
    agg_group_t *g;
    uint64_t *ghash;           /* hash of each group's key */
    unsigned char *gtally;     /* 1 = made by agg_tally */
    size_t ng, capg;
    uint32_t *gtab;            /* index + 1, 0 = empty */
    size_t gtabcap;

    agg_str_t *vis;
    uint64_t *vhash;
    uint32_t *vlast;           /* per visitor and kind: index + 1 of its last group */
    size_t nv, capv;
    uint32_t *vtab;
    size_t vtabcap;

    uint64_t *ptab;            /* pair + 1 keys, 0 = empty */
    size_t ptabcap, npairs;

    unsigned novisitors;       /* kinds (bits) whose distinct visitors are not counted */
    agg_str_t site;            /* pooled copy of the last row's site, and its hash */
    uint64_t site_h;
    pool_block_t *pool;
    char *scratch;             /* label building */
    size_t scratchcap;
};

static const char *const dim_names[AGG_NKINDS] = {
    NULL, "site", "path", "referrer", "os", "browser", "resolution", "country", "device",
};

const char *agg_dim_name(int kind)
{
    return kind > 0 && kind < AGG_NKINDS ? dim_names[kind] : NULL;
}

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) abort();
    return q;
}

static void *xcalloc(size_t n, size_t sz)
{
    void *q = calloc(n ? n : 1, sz);
    if (!q) abort();
    return q;
}

/* ---- hashing ----
 * A string is hashed once per row (8 bytes per step) and group keys combine
 * those hashes: a byte-at-a-time hash of the site and every label for
 * every group of every row was an eighth of an overview's time. Collisions
 * only cost a comparison: every probe compares the full key. */

static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    h *= 0xff51afd7ed558ccdULL;
    return h ^ (h >> 33);
}

#define HASH_NULL 0x6e756c6c6e756c6cULL   /* NULL differs from "" */

static uint64_t hash_str(agg_str_t s)
{
    if (!s.s) return HASH_NULL;
    const unsigned char *p = (const unsigned char *)s.s;
    uint64_t h = 0xcbf29ce484222325ULL ^ ((uint64_t)s.len * 0x9e3779b97f4a7c15ULL), w;
    size_t n = s.len;
    for (; n >= 8; p += 8, n -= 8) {
        memcpy(&w, p, 8);
        h = (h ^ w) * 0x9fb21c651e98df25ULL;
        h ^= h >> 29;
    }
    w = 0;
    if (n) memcpy(&w, p, n);
    h = (h ^ w) * 0x9fb21c651e98df25ULL;
    return h ^ (h >> 32);
}

static int str_eq(agg_str_t x, agg_str_t y)
{
    if (x.s == y.s) return x.len == y.len;      /* both NULL, or one pooled copy */
    if (!x.s || !y.s) return 0;
    return x.len == y.len && memcmp(x.s, y.s, x.len) == 0;
}

int agg_str_cmp(agg_str_t x, agg_str_t y)
{
    if (!x.s || !y.s) return (x.s != NULL) - (y.s != NULL);
    size_t n = x.len < y.len ? x.len : y.len;
    int c = n ? memcmp(x.s, y.s, n) : 0;
    if (c) return c < 0 ? -1 : 1;
    return (x.len > y.len) - (x.len < y.len);
}

/* ---- string pool ---- */

static agg_str_t pool_copy(agg_t *a, agg_str_t s)
{
    if (!s.s) return s;
    size_t need = s.len + 1;
    if (!a->pool || a->pool->cap - a->pool->used < need) {
        size_t cap = need > POOL_BLOCK ? need : POOL_BLOCK;
        pool_block_t *b = malloc(sizeof *b + cap);
        if (!b) abort();
        b->next = a->pool;
        b->used = 0;
        b->cap = cap;
        a->pool = b;
    }
    char *d = a->pool->data + a->pool->used;
    if (s.len) memcpy(d, s.s, s.len);
    d[s.len] = '\0';
    a->pool->used += need;
    return (agg_str_t){ d, s.len };
}

/* ---- tables ---- */

static size_t slot_of(uint64_t h, size_t cap)
{
    return (size_t)(h & (cap - 1));
}

static void gtab_grow(agg_t *a)
{
    size_t cap = a->gtabcap ? a->gtabcap * 2 : 256;
    uint32_t *t = xcalloc(cap, sizeof *t);
    for (size_t i = 0; i < a->ng; i++) {
        size_t s = slot_of(a->ghash[i], cap);
        while (t[s]) s = (s + 1) & (cap - 1);
        t[s] = (uint32_t)(i + 1);
    }
    free(a->gtab);
    a->gtab = t;
    a->gtabcap = cap;
}

static void vtab_grow(agg_t *a)
{
    size_t cap = a->vtabcap ? a->vtabcap * 2 : 1024;
    uint32_t *t = xcalloc(cap, sizeof *t);
    for (size_t i = 0; i < a->nv; i++) {
        size_t s = slot_of(a->vhash[i], cap);
        while (t[s]) s = (s + 1) & (cap - 1);
        t[s] = (uint32_t)(i + 1);
    }
    free(a->vtab);
    a->vtab = t;
    a->vtabcap = cap;
}

static uint64_t pair_hash(uint64_t k)
{
    return mix(k, 0x5bd1e995ULL);
}

static void ptab_grow(agg_t *a)
{
    size_t cap = a->ptabcap ? a->ptabcap * 2 : 4096;
    uint64_t *t = xcalloc(cap, sizeof *t);
    for (size_t i = 0; i < a->ptabcap; i++) {
        if (!a->ptab[i]) continue;
        size_t s = slot_of(pair_hash(a->ptab[i]), cap);
        while (t[s]) s = (s + 1) & (cap - 1);
        t[s] = a->ptab[i];
    }
    free(a->ptab);
    a->ptab = t;
    a->ptabcap = cap;
}

agg_t *agg_new(void)
{
    agg_t *a = xcalloc(1, sizeof(agg_t));
    a->site_h = HASH_NULL;     /* a->site starts as NULL */
    return a;
}

void agg_skip_visitors(agg_t *a, unsigned kinds)
{
    a->novisitors = kinds;
}

void agg_free(agg_t *a)
{
    if (!a) return;
    while (a->pool) {
        pool_block_t *n = a->pool->next;
        free(a->pool);
        a->pool = n;
    }
    free(a->g);
    free(a->ghash);
    free(a->gtally);
    free(a->gtab);
    free(a->vis);
    free(a->vhash);
    free(a->vlast);
    free(a->vtab);
    free(a->ptab);
    free(a->scratch);
    free(a);
}

/* Find the group with this key: its index, or SIZE_MAX with *slot = the
 * empty slot where it belongs. The table must have a free slot. */
static size_t group_find(const agg_t *a, uint64_t h, int tally, int kind, agg_str_t site, long day,
                         const agg_str_t *parts, int nparts, size_t *slot)
{
    size_t s = slot_of(h, a->gtabcap);
    while (a->gtab[s]) {
        size_t i = a->gtab[s] - 1;
        const agg_group_t *g = &a->g[i];
        int same = a->ghash[i] == h && a->gtally[i] == tally && g->kind == kind &&
                   g->day == day && str_eq(g->site, site);
        for (int p = 0; same && p < nparts; p++) same = str_eq(g->part[p], parts[p]);
        if (same) return i;
        s = (s + 1) & (a->gtabcap - 1);
    }
    *slot = s;
    return SIZE_MAX;
}

/* A group's hash from the hashes of its site and parts. */
static uint64_t group_hash(int tally, int kind, uint64_t site_h, long day, const uint64_t *part_h,
                           int nparts)
{
    uint64_t h = mix(mix(site_h, (uint64_t)(kind * 2 + tally)), (uint64_t)day);
    for (int i = 0; i < nparts; i++) h = mix(h, part_h[i]);
    return h;
}

/* The index of the group with this key (h = its group_hash), created (zero
 * counts) if new. */
static size_t group_at(agg_t *a, uint64_t h, int tally, int kind, agg_str_t site, long day,
                       const agg_str_t *parts, int nparts)
{
    if ((a->ng + 1) * 2 > a->gtabcap) gtab_grow(a);
    size_t s;
    size_t found = group_find(a, h, tally, kind, site, day, parts, nparts, &s);
    if (found != SIZE_MAX) return found;
    if (a->ng == UINT32_MAX - 1) abort();
    if (a->ng == a->capg) {
        a->capg = a->capg ? a->capg * 2 : 256;
        a->g = xrealloc(a->g, a->capg * sizeof *a->g);
        a->ghash = xrealloc(a->ghash, a->capg * sizeof *a->ghash);
        a->gtally = xrealloc(a->gtally, a->capg);
    }
    size_t i = a->ng++;
    agg_group_t *g = &a->g[i];
    memset(g, 0, sizeof *g);
    g->kind = kind;
    g->day = day;
    g->site = site.s == a->site.s ? site : pool_copy(a, site);
    for (int p = 0; p < nparts; p++) g->part[p] = pool_copy(a, parts[p]);
    a->ghash[i] = h;
    a->gtally[i] = (unsigned char)tally;
    a->gtab[s] = (uint32_t)(i + 1);
    return i;
}

static size_t visitor_at(agg_t *a, agg_str_t v)
{
    uint64_t h = mix(hash_str(v), 0);
    if ((a->nv + 1) * 2 > a->vtabcap) vtab_grow(a);
    size_t s = slot_of(h, a->vtabcap);
    while (a->vtab[s]) {
        size_t i = a->vtab[s] - 1;
        if (a->vhash[i] == h && str_eq(a->vis[i], v)) return i;
        s = (s + 1) & (a->vtabcap - 1);
    }
    if (a->nv == UINT32_MAX - 1) abort();
    if (a->nv == a->capv) {
        a->capv = a->capv ? a->capv * 2 : 1024;
        a->vis = xrealloc(a->vis, a->capv * sizeof *a->vis);
        a->vhash = xrealloc(a->vhash, a->capv * sizeof *a->vhash);
        a->vlast = xrealloc(a->vlast, a->capv * AGG_NKINDS * sizeof *a->vlast);
    }
    memset(&a->vlast[a->nv * AGG_NKINDS], 0, AGG_NKINDS * sizeof *a->vlast);
    size_t i = a->nv++;
    a->vis[i] = pool_copy(a, v);
    a->vhash[i] = h;
    a->vtab[s] = (uint32_t)(i + 1);
    return i;
}

/* 1 if (group, visitor) was not seen before. */
static int pair_add(agg_t *a, size_t gi, size_t vi)
{
    uint64_t k = (((uint64_t)gi << 32) | (uint64_t)vi) + 1;
    if ((a->npairs + 1) * 2 > a->ptabcap) ptab_grow(a);
    size_t s = slot_of(pair_hash(k), a->ptabcap);
    while (a->ptab[s]) {
        if (a->ptab[s] == k) return 0;
        s = (s + 1) & (a->ptabcap - 1);
    }
    a->ptab[s] = k;
    a->npairs++;
    return 1;
}

/* ---- rows ---- */

/* The row being counted: its site, day and visitor, their hashes. */
typedef struct rowctx {
    const agg_row_t *r;
    uint64_t site_h;
    int has_visitor;
    size_t vi;
} rowctx_t;

static void count(agg_t *a, const rowctx_t *c, int kind, const agg_str_t *parts,
                  const uint64_t *part_h, int nparts)
{
    const agg_row_t *r = c->r;
    uint64_t h = group_hash(0, kind, c->site_h, r->day, part_h, nparts);
    size_t gi = group_at(a, h, 0, kind, r->site, r->day, parts, nparts);
    agg_group_t *g = &a->g[gi];
    g->views++;
    if (r->interaction_ms > 0) {
        g->isum += r->interaction_ms;
        g->icnt++;
    }
    if (!c->has_visitor || (a->novisitors & AGG_BIT(kind))) return;
    /* A visitor's rows mostly repeat its last group of a kind (same site,
     * device, OS, browser, country): that pair is known without probing
     * the pair table, whose probes are cache misses. */
    uint32_t *last = &a->vlast[c->vi * AGG_NKINDS + (size_t)kind];
    if (*last == gi + 1) return;
    *last = (uint32_t)(gi + 1);
    if (pair_add(a, gi, c->vi)) g->visitors++;
}

/* A dim group: one part. */
static void count1(agg_t *a, const rowctx_t *c, int kind, agg_str_t label, uint64_t label_h)
{
    count(a, c, kind, &label, &label_h, 1);
}

static char *scratch(agg_t *a, size_t n)
{
    if (n > a->scratchcap) {
        a->scratchcap = n > 256 ? n : 256;
        a->scratch = xrealloc(a->scratch, a->scratchcap);
    }
    return a->scratch;
}

static const agg_str_t S_UNKNOWN_LC = { "unknown", 7 };
static const agg_str_t S_UNKNOWN = { "Unknown", 7 };
static const agg_str_t S_ZERO = { "0", 1 };
static const agg_str_t S_EMPTY = { "", 0 };
#define H_EMPTY hash_str(S_EMPTY)

static agg_str_t or_else(agg_str_t s, agg_str_t dflt)
{
    return s.s ? s : dflt;
}

void agg_add_row(agg_t *a, const agg_row_t *r)
{
    /* Rows come in runs of one site: new groups share one pooled copy of
     * it, and comparing a group's site is then a pointer comparison. */
    agg_row_t rs;
    if (!str_eq(r->site, a->site)) {
        a->site = pool_copy(a, r->site);
        a->site_h = hash_str(a->site);
    }
    if (r->site.s != a->site.s) {
        rs = *r;
        rs.site = a->site;
        r = &rs;
    }
    rowctx_t c = { r, a->site_h, r->visitor.s != NULL, 0 };  /* COUNT(DISTINCT) skips NULL */
    if (c.has_visitor && (a->novisitors & AGG_ALL_KINDS) != AGG_ALL_KINDS)
        c.vi = visitor_at(a, r->visitor);
    else c.has_visitor = 0;
    agg_str_t dev = or_else(r->device_type, S_UNKNOWN_LC);
    agg_str_t cc = or_else(r->country_code, S_UNKNOWN_LC);
    uint64_t dev_h = hash_str(dev), cc_h = hash_str(cc);

    agg_str_t main[3] = { dev, cc, r->is_returning };
    uint64_t main_h[3] = { dev_h, cc_h, hash_str(r->is_returning) };
    count(a, &c, AGG_MAIN, main, main_h, 3);
    count1(a, &c, AGG_SITE, S_EMPTY, H_EMPTY);
    count1(a, &c, AGG_PATH, r->path, hash_str(r->path));
    count1(a, &c, AGG_REFERRER, r->referrer_type, hash_str(r->referrer_type));
    count1(a, &c, AGG_OS, r->os_name, hash_str(r->os_name));

    /* CASE WHEN name IS NULL THEN 'Unknown' WHEN version IS NULL THEN name
     *      ELSE CONCAT(name, ' ', version) END */
    agg_str_t br;
    if (!r->browser_name.s) br = S_UNKNOWN;
    else if (!r->browser_version.s) br = r->browser_name;
    else {
        size_t n = r->browser_name.len + 1 + r->browser_version.len;
        char *b = scratch(a, n);
        memcpy(b, r->browser_name.s, r->browser_name.len);
        b[r->browser_name.len] = ' ';
        memcpy(b + r->browser_name.len + 1, r->browser_version.s, r->browser_version.len);
        br = (agg_str_t){ b, n };
    }
    count1(a, &c, AGG_BROWSER, br, hash_str(br));

    /* CONCAT(IFNULL(screen_width, 0), 'x', IFNULL(screen_height, 0)) */
    agg_str_t w = or_else(r->screen_width, S_ZERO), h = or_else(r->screen_height, S_ZERO);
    size_t n = w.len + 1 + h.len;
    char *b = scratch(a, n);
    memcpy(b, w.s, w.len);
    b[w.len] = 'x';
    memcpy(b + w.len + 1, h.s, h.len);
    agg_str_t res = { b, n };
    count1(a, &c, AGG_RESOLUTION, res, hash_str(res));

    count1(a, &c, AGG_COUNTRY, cc, cc_h);
    count1(a, &c, AGG_DEVICE, dev, dev_h);
}

size_t agg_ngroups(const agg_t *a)
{
    return a->ng;
}

const agg_group_t *agg_group(const agg_t *a, size_t i)
{
    return i < a->ng ? &a->g[i] : NULL;
}

long long agg_group_avg(const agg_group_t *g)
{
    return g->icnt > 0 ? g->isum / g->icnt : 0;      /* C division truncates toward zero */
}

/* ---- tallies ---- */

void agg_tally(agg_t *a, int kind, agg_str_t label, long long views, long long visitors)
{
    uint64_t lh = hash_str(label);
    size_t gi = group_at(a, group_hash(1, kind, H_EMPTY, 0, &lh, 1), 1, kind, S_EMPTY, 0, &label, 1);
    a->g[gi].views += views;
    a->g[gi].visitors += visitors;
}

const agg_group_t *agg_tallied(const agg_t *a, int kind, agg_str_t label)
{
    if (!a->gtabcap) return NULL;
    size_t s;
    uint64_t lh = hash_str(label);
    size_t i = group_find(a, group_hash(1, kind, H_EMPTY, 0, &lh, 1), 1, kind, S_EMPTY, 0,
                          &label, 1, &s);
    return i == SIZE_MAX ? NULL : &a->g[i];
}

static int cmp_ranked(const void *x, const void *y)
{
    const agg_group_t *a = *(const agg_group_t *const *)x, *b = *(const agg_group_t *const *)y;
    if (a->views != b->views) return a->views > b->views ? -1 : 1;
    return agg_str_cmp(a->part[0], b->part[0]);
}

size_t agg_ranked(const agg_t *a, int kind, const agg_group_t **out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < a->ng; i++)
        if (a->gtally[i] && a->g[i].kind == kind) n++;
    const agg_group_t **all = xcalloc(n, sizeof *all);
    n = 0;
    for (size_t i = 0; i < a->ng; i++)
        if (a->gtally[i] && a->g[i].kind == kind) all[n++] = &a->g[i];
    qsort(all, n, sizeof *all, cmp_ranked);
    if (n > max) n = max;
    if (n) memcpy(out, all, n * sizeof *all);
    free(all);
    return n;
}
