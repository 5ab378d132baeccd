/* iprange: IPv4/IPv6 address and CIDR parsing, merged interval tables and
 * their binary search (spec/20 §6.2 "Datacenter ranges", "CIDR parsing",
 * "IPv4/IPv6 parsing", "Matching a client IP").
 *
 * Promises: pure functions over (const char *, size_t); hostile text never
 * reads past n bytes; parse rules are exactly the reference's (leading zeros
 * are decimal, `::` forms, no embedded dotted quads or zone ids).
 * Never: allocates (callers own the arrays), does I/O. */
#ifndef ECHELON_DEFENSE_IPRANGE_H
#define ECHELON_DEFENSE_IPRANGE_H
#include <stddef.h>
#include <stdint.h>

typedef struct iprange_u128 { uint64_t hi, lo; } iprange_u128_t;
typedef struct iprange_v4 { uint32_t start, end; } iprange_v4_t;    /* inclusive */
typedef struct iprange_v6 { iprange_u128_t start, end; } iprange_v6_t;

/* 0 and *out, or -1 when not a valid address. */
int iprange_parse_v4(const char *s, size_t n, uint32_t *out);
int iprange_parse_v6(const char *s, size_t n, iprange_u128_t *out);
/* "addr/len": 0 and *out, or -1. Host bits are ignored. */
int iprange_cidr_v4(const char *s, size_t n, iprange_v4_t *out);
int iprange_cidr_v6(const char *s, size_t n, iprange_v6_t *out);

/* Sort and merge overlapping or adjacent ranges in place; returns the new
 * count. */
size_t iprange_merge_v4(iprange_v4_t *r, size_t n);
size_t iprange_merge_v6(iprange_v6_t *r, size_t n);
/* 1 if ip lies in one of the merged ranges r[0..n). */
int iprange_find_v4(const iprange_v4_t *r, size_t n, uint32_t ip);
int iprange_find_v6(const iprange_v6_t *r, size_t n, iprange_u128_t ip);

/* Client-IP text -> family per "Matching a client IP": strips `::ffff:` /
 * `::` before a dotted quad, tries IPv4, else IPv6 on the original text.
 * Returns 4 (with *v4), 6 (with *v6) or 0 (unparsable, e.g. "unknown"). */
int iprange_classify(const char *ip, uint32_t *v4, iprange_u128_t *v6);

int iprange_u128_cmp(iprange_u128_t a, iprange_u128_t b);
#endif
