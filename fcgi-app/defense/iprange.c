/* iprange: see iprange.h. Parsers follow spec/20 §6.2 to the letter; every
 * loop is bounded by n, never by a NUL. */
#include <stdlib.h>
#include <string.h>
#include "defense/iprange.h"

int iprange_u128_cmp(iprange_u128_t a, iprange_u128_t b)
{
    if (a.hi != b.hi)
        return a.hi < b.hi ? -1 : 1;
    if (a.lo != b.lo)
        return a.lo < b.lo ? -1 : 1;
    return 0;
}

static iprange_u128_t u128_inc(iprange_u128_t a)
{
    if (++a.lo == 0)
        a.hi++;
    return a;
}

static int u128_is_max(iprange_u128_t a)
{
    return a.hi == UINT64_MAX && a.lo == UINT64_MAX;
}

int iprange_parse_v4(const char *s, size_t n, uint32_t *out)
{
    uint32_t v = 0;
    size_t i = 0;
    for (int part = 0; part < 4; part++) {
        if (part > 0) {
            if (i >= n || s[i] != '.')
                return -1;
            i++;
        }
        size_t start = i;
        unsigned long oct = 0;
        /* leading zeros are decimal; cap the digit run so huge runs cannot overflow */
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            if (oct <= 255)
                oct = oct * 10 + (unsigned long)(s[i] - '0');
            i++;
        }
        if (i == start || oct > 255)
            return -1;
        v = (v << 8) | (uint32_t)oct;
    }
    if (i != n)
        return -1;
    *out = v;
    return 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Parse ':'-separated groups of [s, s+n) into g; an empty span has none.
 * Returns the number of groups or -1. */
static int parse_groups(const char *s, size_t n, uint16_t *g, int max)
{
    if (n == 0)
        return 0;
    int cnt = 0;
    size_t i = 0;
    for (;;) {
        size_t start = i;
        unsigned v = 0;
        while (i < n && s[i] != ':') {
            int h = hexval(s[i]);
            if (h < 0)
                return -1;
            v = (v << 4) | (unsigned)h;
            i++;
            if (i - start > 4)
                return -1;
        }
        if (i == start)
            return -1;          /* empty group (":::" or a leading/trailing ':') */
        if (cnt >= max)
            return -1;
        g[cnt++] = (uint16_t)v;
        if (i == n)
            return cnt;
        i++;                    /* the ':' */
        if (i == n)
            return -1;          /* trailing single ':' */
    }
}

/* "Looks like a dotted quad": four dot-separated runs of digits. */
static int dotted_quad(const char *s, size_t n)
{
    uint32_t v;
    size_t dots = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '.')
            dots++;
        else if (s[i] < '0' || s[i] > '9')
            return 0;
    }
    return dots == 3 && iprange_parse_v4(s, n, &v) == 0;
}

int iprange_parse_v6(const char *s, size_t n, iprange_u128_t *out)
{
    uint16_t g[8] = { 0 };
    if (n == 0 || dotted_quad(s, n))
        return -1;
    const char *dc = NULL;
    for (size_t i = 0; i + 1 < n; i++) {
        if (s[i] == ':' && s[i + 1] == ':') {
            if (dc)
                return -1;      /* more than one "::" */
            dc = s + i;
            i++;
        }
    }
    if (dc) {
        /* ":::" would leave an empty group on one side: caught below */
        size_t ln = (size_t)(dc - s), rn = n - ln - 2;
        uint16_t L[8], R[8];
        int nl = parse_groups(s, ln, L, 8);
        int nr = parse_groups(dc + 2, rn, R, 8);
        if (nl < 0 || nr < 0 || nl + nr > 8)
            return -1;
        for (int i = 0; i < nl; i++)
            g[i] = L[i];
        for (int i = 0; i < nr; i++)
            g[8 - nr + i] = R[i];
    } else {
        if (parse_groups(s, n, g, 8) != 8)
            return -1;
    }
    out->hi = ((uint64_t)g[0] << 48) | ((uint64_t)g[1] << 32) | ((uint64_t)g[2] << 16) | g[3];
    out->lo = ((uint64_t)g[4] << 48) | ((uint64_t)g[5] << 32) | ((uint64_t)g[6] << 16) | g[7];
    return 0;
}

/* Split at the first '/' and parse the prefix length (lenient integer). */
static int split_prefix(const char *s, size_t n, size_t *addr_len, long *plen)
{
    const char *slash = memchr(s, '/', n);
    if (!slash)
        return -1;
    *addr_len = (size_t)(slash - s);
    size_t i = *addr_len + 1;
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r' ||
                     s[i] == '\f' || s[i] == '\v'))
        i++;
    int neg = 0;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        neg = s[i++] == '-';
    if (i >= n || s[i] < '0' || s[i] > '9')
        return -1;
    long v = 0;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
        if (v < 1000)
            v = v * 10 + (s[i] - '0');
    *plen = neg ? -v : v;
    return 0;
}

int iprange_cidr_v4(const char *s, size_t n, iprange_v4_t *out)
{
    size_t al;
    long len;
    uint32_t a;
    if (split_prefix(s, n, &al, &len) != 0 || len < 0 || len > 32)
        return -1;
    if (iprange_parse_v4(s, al, &a) != 0)
        return -1;
    uint32_t mask = len == 0 ? 0 : (uint32_t)(0xFFFFFFFFu << (32 - len));
    out->start = a & mask;
    out->end = out->start | ~mask;
    return 0;
}

int iprange_cidr_v6(const char *s, size_t n, iprange_v6_t *out)
{
    size_t al;
    long len;
    iprange_u128_t a;
    if (split_prefix(s, n, &al, &len) != 0 || len < 0 || len > 128)
        return -1;
    if (iprange_parse_v6(s, al, &a) != 0)
        return -1;
    uint64_t mhi, mlo;
    if (len == 0) {
        mhi = 0; mlo = 0;
    } else if (len <= 64) {
        mhi = len == 64 ? UINT64_MAX : ~(UINT64_MAX >> len);
        mlo = 0;
    } else {
        mhi = UINT64_MAX;
        mlo = len == 128 ? UINT64_MAX : ~(UINT64_MAX >> (len - 64));
    }
    out->start.hi = a.hi & mhi;
    out->start.lo = a.lo & mlo;
    out->end.hi = out->start.hi | ~mhi;
    out->end.lo = out->start.lo | ~mlo;
    return 0;
}

static int cmp_v4(const void *a, const void *b)
{
    const iprange_v4_t *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    if (x->end != y->end)
        return x->end < y->end ? -1 : 1;
    return 0;
}

static int cmp_v6(const void *a, const void *b)
{
    const iprange_v6_t *x = a, *y = b;
    int c = iprange_u128_cmp(x->start, y->start);
    return c ? c : iprange_u128_cmp(x->end, y->end);
}

size_t iprange_merge_v4(iprange_v4_t *r, size_t n)
{
    if (n == 0)
        return 0;
    qsort(r, n, sizeof *r, cmp_v4);
    size_t w = 0;
    for (size_t i = 1; i < n; i++) {
        /* overlapping or adjacent (start <= prev end + 1, without overflow) */
        if (r[w].end == UINT32_MAX || r[i].start <= r[w].end + 1) {
            if (r[i].end > r[w].end)
                r[w].end = r[i].end;
        } else {
            r[++w] = r[i];
        }
    }
    return w + 1;
}

size_t iprange_merge_v6(iprange_v6_t *r, size_t n)
{
    if (n == 0)
        return 0;
    qsort(r, n, sizeof *r, cmp_v6);
    size_t w = 0;
    for (size_t i = 1; i < n; i++) {
        if (u128_is_max(r[w].end) ||
            iprange_u128_cmp(r[i].start, u128_inc(r[w].end)) <= 0) {
            if (iprange_u128_cmp(r[i].end, r[w].end) > 0)
                r[w].end = r[i].end;
        } else {
            r[++w] = r[i];
        }
    }
    return w + 1;
}

int iprange_find_v4(const iprange_v4_t *r, size_t n, uint32_t ip)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ip < r[mid].start)
            hi = mid;
        else if (ip > r[mid].end)
            lo = mid + 1;
        else
            return 1;
    }
    return 0;
}

int iprange_find_v6(const iprange_v6_t *r, size_t n, iprange_u128_t ip)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (iprange_u128_cmp(ip, r[mid].start) < 0)
            hi = mid;
        else if (iprange_u128_cmp(ip, r[mid].end) > 0)
            lo = mid + 1;
        else
            return 1;
    }
    return 0;
}

static int prefix_ci(const char *s, const char *lower_prefix, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != lower_prefix[i])
            return 0;
    }
    return 1;
}

int iprange_classify(const char *ip, uint32_t *v4, iprange_u128_t *v6)
{
    if (!ip)
        return 0;
    size_t n = strlen(ip);
    const char *t = ip;
    size_t tn = n;
    if (n > 7 && prefix_ci(ip, "::ffff:", 7) && dotted_quad(ip + 7, n - 7)) {
        t = ip + 7;
        tn = n - 7;
    } else if (n > 2 && ip[0] == ':' && ip[1] == ':' && dotted_quad(ip + 2, n - 2)) {
        t = ip + 2;
        tn = n - 2;
    }
    if (iprange_parse_v4(t, tn, v4) == 0)
        return 4;
    if (iprange_parse_v6(ip, n, v6) == 0)
        return 6;
    return 0;
}
