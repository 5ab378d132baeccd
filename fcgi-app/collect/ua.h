/* ua: User-Agent and screen classifiers (spec/10 §2.5, §5.7, §5.8, §6.4).
 *
 * Owns: os_name, browser_name/browser_version, device_type (views: screen
 * width; events: client hint / UA) and the known-bot substring match.
 * Promises: pure, bounded by the input length; a result string is either a
 * static literal or written into the caller's arena. Never: reads cfg or
 * a request (callers pass the pattern list and header values). */
#ifndef ECHELON_COLLECT_UA_H
#define ECHELON_COLLECT_UA_H
#include <stddef.h>
#include "core/arena.h"

#define UA_VERSION_MAX 64            /* browser_version column (spec/10 §11.33) */

/* §5.7 os_name, or NULL. */
const char *ua_os(arena_t *a, const char *ua);
/* §5.7 browser; *name and *version both NULL when no rule matches. */
void ua_browser(arena_t *a, const char *ua, const char **name, const char **version);
/* §5.7 device from a valid screen width: mobile / tablet / desktop. */
const char *ua_device_from_width(long long width);
/* §6.4 event device: Sec-CH-UA-Mobile ?1 / ?0, else UA keywords. */
const char *ua_event_device(const char *ch_ua_mobile, const char *ua);
/* §2.5: 1 if the lower-cased ua contains any of the n lower-case patterns.
 * NULL or empty ua -> 0. */
int ua_is_known_bot(const char *ua, char *const *patterns, size_t n);
#endif
