/* referrer: URL origins and the referrer classification (spec/10 §5.3, §5.6,
 * §6.4).
 *
 * Owns: a WHATWG-URL subset sufficient to serialise an origin
 * (`scheme://host[:port]`, lower-case host, default port dropped, IPv4 and
 * IPv6 hosts canonicalised, non-ASCII labels in punycode, opaque origins as
 * the literal `null`), and the ai/search/social domain lists.
 * Promises: pure; NULL means "not an absolute URL" (the caller stores
 * `direct_or_unknown` or NULL). Never: resolves names or touches a request.
 *
 * Known deviation: non-ASCII hosts are lower-cased only in ASCII and
 * Latin-1 and not NFC-normalised before punycode (full UTS #46 mapping is
 * out of proportion for a referrer origin). */
#ifndef ECHELON_COLLECT_REFERRER_H
#define ECHELON_COLLECT_REFERRER_H
#include <stddef.h>
#include "core/arena.h"

#define REF_DIRECT "direct_or_unknown"
#define REF_HOST_MAX 1024            /* longer hosts are refused */

/* Origin of an absolute URL, or NULL when it does not parse. */
char *ref_origin(arena_t *a, const char *url, size_t n);

/* "ai", "search", "social" or "direct_or_unknown" for a referrer (an origin
 * or any URL; NULL, "", "direct_or_unknown" -> "direct_or_unknown"). */
const char *ref_type(const char *referrer);
#endif
