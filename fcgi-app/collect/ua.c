/* ua.c -- User-Agent classification (spec/10 §5.7, §6.4) and the known-bot
 * list match (§2.5).
 *
 * The reference uses regular expressions; each rule here is a literal token
 * search followed by a hand-written match of the version grammar at that
 * position, retried at every later occurrence of the token, which gives the
 * same "first place in the UA where the rule matches" semantics without a
 * regex engine on the hot path. */
#include <stdlib.h>
#include <string.h>
#include "core/memo.h"
#include "collect/ua.h"

static int isdig(char c) { return c >= '0' && c <= '9'; }

/* digits ('_' or '.') digits [('_' or '.') digits]: returns matched length. */
static size_t ver_sep(const char *p, int allow_underscore, int max_groups)
{
    size_t i = 0;
    if (!isdig(p[i])) return 0;
    while (isdig(p[i])) i++;
    int groups = 1;
    while (groups < max_groups) {
        char s = p[i];
        if (!(s == '.' || (allow_underscore && s == '_')) || !isdig(p[i + 1])) break;
        i++;
        while (isdig(p[i])) i++;
        groups++;
    }
    return i;
}

static char *copy_us_dot(arena_t *a, const char *p, size_t n)
{
    char *v = arena_strndup(a, p, n);
    for (size_t i = 0; i < n; i++)
        if (v[i] == '_') v[i] = '.';
    return v;
}

static const char *os_of(arena_t *a, const char *ua)
{
    if (ua == NULL || *ua == '\0') return NULL;
    const char *p;
    /* 1: CPU OS <v> | CPU iPhone OS <v>, v = d+[_.]d+([_.]d+)? */
    for (p = strstr(ua, "CPU "); p; p = strstr(p + 1, "CPU ")) {
        const char *q = p + 4;
        if (strncmp(q, "iPhone ", 7) == 0) q += 7;
        if (strncmp(q, "OS ", 3) != 0) continue;
        q += 3;
        size_t n = ver_sep(q, 1, 3);
        if (n == 0 || ver_sep(q, 1, 1) == n) continue;   /* needs a separator */
        return arena_printf(a, "iOS %s", copy_us_dot(a, q, n));
    }
    /* 2: Android d+(.d+)? */
    for (p = strstr(ua, "Android "); p; p = strstr(p + 1, "Android ")) {
        size_t n = ver_sep(p + 8, 0, 2);
        if (n) return arena_printf(a, "Android %.*s", (int)n, p + 8);
    }
    /* 3: Windows NT d+.d+ */
    for (p = strstr(ua, "Windows NT "); p; p = strstr(p + 1, "Windows NT ")) {
        const char *q = p + 11;
        size_t n = ver_sep(q, 0, 2);
        if (n == 0 || ver_sep(q, 0, 1) == n) continue;
        if (n == 4 && strncmp(q, "10.0", 4) == 0) return "Windows 10/11";
        if (n == 3 && strncmp(q, "6.3", 3) == 0) return "Windows 8.1";
        if (n == 3 && strncmp(q, "6.1", 3) == 0) return "Windows 7";
        return arena_printf(a, "Windows NT %.*s", (int)n, q);
    }
    /* 4: Mac OS X d+[_.]d+([_.]d+)? */
    for (p = strstr(ua, "Mac OS X "); p; p = strstr(p + 1, "Mac OS X ")) {
        const char *q = p + 9;
        size_t n = ver_sep(q, 1, 3);
        if (n == 0 || ver_sep(q, 1, 1) == n) continue;
        char *v = copy_us_dot(a, q, n);
        long major = 0;
        for (const char *d = v; isdig(*d) && major < 100000; d++) major = major * 10 + (*d - '0');
        if (major >= 11) return arena_printf(a, "macOS %ld", major);
        return arena_printf(a, "macOS %s", v);
    }
    if (strstr(ua, "CrOS")) return "ChromeOS";
    if (strstr(ua, "Linux") && !strstr(ua, "Android")) return "Linux";
    return NULL;
}

/* digits(.digits)* at p, greedy. */
static size_t ver_dots(const char *p)
{
    size_t i = 0;
    if (!isdig(p[0])) return 0;
    while (isdig(p[i])) i++;
    while (p[i] == '.' && isdig(p[i + 1])) {
        i++;
        while (isdig(p[i])) i++;
    }
    return i;
}

/* Earliest position where one of the tokens is followed by a version. */
static const char *find_tok_ver(const char *ua, const char *const *toks, size_t nt, size_t *vlen,
                                const char **vstart)
{
    const char *best = NULL;
    for (size_t t = 0; t < nt; t++) {
        size_t tl = strlen(toks[t]);
        for (const char *p = strstr(ua, toks[t]); p; p = strstr(p + 1, toks[t])) {
            if (best && p >= best) break;
            size_t n = ver_dots(p + tl);
            if (n) {
                best = p;
                *vlen = n;
                *vstart = p + tl;
                break;
            }
        }
    }
    return best;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static void browser_of(arena_t *a, const char *ua, const char **name, const char **version)
{
    static const char *const edge[] = { "Edg/", "Edge/", "EdgA/", "EdgiOS/" };
    static const char *const opera[] = { "OPR/", "Opera/" };
    static const char *const samsung[] = { "SamsungBrowser/" };
    static const char *const uc[] = { "UCBrowser/" };
    static const char *const chrome[] = { "Chrome/", "CriOS/" };
    static const char *const firefox[] = { "Firefox/", "FxiOS/" };
    static const struct { const char *const *toks; size_t n; const char *name; } rules[] = {
        { edge, 4, "Edge" }, { opera, 2, "Opera" }, { samsung, 1, "Samsung Browser" },
        { uc, 1, "UC Browser" }, { chrome, 2, "Chrome" }, { firefox, 2, "Firefox" },
    };
    *name = NULL;
    *version = NULL;
    if (ua == NULL || *ua == '\0') return;
    for (size_t r = 0; r < sizeof rules / sizeof rules[0]; r++) {
        if (rules[r].toks == chrome && (strstr(ua, "Edg") || strstr(ua, "OPR"))) continue;
        size_t vl = 0;
        const char *vs = NULL;
        if (find_tok_ver(ua, rules[r].toks, rules[r].n, &vl, &vs)) {
            *name = rules[r].name;
            *version = arena_strndup(a, vs, vl < UA_VERSION_MAX ? vl : UA_VERSION_MAX);
            return;
        }
    }
    /* 7: Version/<v> whitespace ... Safari */
    for (const char *p = strstr(ua, "Version/"); p; p = strstr(p + 1, "Version/")) {
        size_t n = ver_dots(p + 8);
        if (n == 0 || !is_space(p[8 + n])) continue;
        if (strstr(p + 8 + n + 1, "Safari") == NULL) continue;
        *name = "Safari";
        *version = arena_strndup(a, p + 8, n < UA_VERSION_MAX ? n : UA_VERSION_MAX);
        return;
    }
}

const char *ua_device_from_width(long long width)
{
    if (width < 768) return "mobile";
    if (width <= 1024) return "tablet";
    return "desktop";
}

static const char *ci_find(const char *hay, size_t hn, const char *needle)
{
    size_t nl = strlen(needle);
    if (nl == 0 || nl > hn) return NULL;
    for (size_t i = 0; i + nl <= hn; i++) {
        size_t k = 0;
        while (k < nl) {
            char c = hay[i + k];
            if (c >= 'A' && c <= 'Z') c = (char)(c + 32);
            if (c != needle[k]) break;
            k++;
        }
        if (k == nl) return hay + i;
    }
    return NULL;
}

const char *ua_event_device(const char *ch_ua_mobile, const char *ua)
{
    if (ch_ua_mobile && strcmp(ch_ua_mobile, "?1") == 0) return "mobile";
    if (ch_ua_mobile && strcmp(ch_ua_mobile, "?0") == 0) return "desktop";
    if (ua) {
        size_t n = strlen(ua);
        if (ci_find(ua, n, "mobile") || ci_find(ua, n, "android") || ci_find(ua, n, "iphone") ||
            ci_find(ua, n, "ipad"))
            return "mobile";
    }
    return "desktop";
}

/* ua_os and ua_browser are pure functions of the UA, and a few browser
 * builds send most of the traffic, so each worker remembers the answers
 * for recent UAs in a small direct-mapped table (a hit costs a hash of a
 * few bytes and a compare instead of a dozen substring searches). Answers
 * are handed out as arena copies, like a fresh computation. */
#define UA_CACHE_SLOTS 32
#define UA_CACHE_UA_MAX 320

typedef struct ua_entry {
    size_t n;                          /* 0 = empty */
    char ua[UA_CACHE_UA_MAX];
    int has_os, has_version;
    char os[96];
    const char *name;                  /* static literal or NULL */
    char version[UA_VERSION_MAX + 1];
} ua_entry_t;

static ua_entry_t ua_cache[UA_CACHE_SLOTS];

static size_t ua_slot(const char *ua, size_t n)
{
    /* length and a few bytes where browser builds differ (the version
     * tokens sit near the end); collisions only evict */
    size_t h = n * 2654435761u;
    h ^= (unsigned char)ua[n - 1] | (unsigned char)ua[n / 2] << 8 |
         (unsigned char)ua[n - n / 4 - 1] << 16 | (size_t)(unsigned char)ua[n - n / 8 - 1] << 24;
    h ^= h >> 15;
    h *= 2246822519u;
    return (h ^ (h >> 13)) % UA_CACHE_SLOTS;
}

/* The entry for ua, computed on a miss; NULL when ua cannot be cached. */
static const ua_entry_t *ua_classified(arena_t *a, const char *ua)
{
    size_t n = strlen(ua);
    if (n >= UA_CACHE_UA_MAX) return NULL;
    ua_entry_t *e = &ua_cache[ua_slot(ua, n)];
    if (e->n == n && memcmp(e->ua, ua, n) == 0) return e;
    const char *os = os_of(a, ua), *name, *version;
    browser_of(a, ua, &name, &version);
    if ((os && strlen(os) >= sizeof e->os) || (version && strlen(version) >= sizeof e->version)) {
        e->n = 0;
        return NULL;
    }
    memcpy(e->ua, ua, n);
    e->n = n;
    e->has_os = os != NULL;
    if (os) strcpy(e->os, os);
    e->name = name;
    e->has_version = version != NULL;
    if (version) strcpy(e->version, version);
    return e;
}

const char *ua_os(arena_t *a, const char *ua)
{
    if (ua == NULL || *ua == '\0') return NULL;
    const ua_entry_t *e = ua_classified(a, ua);
    if (!e) return os_of(a, ua);
    return e->has_os ? arena_strdup(a, e->os) : NULL;
}

void ua_browser(arena_t *a, const char *ua, const char **name, const char **version)
{
    const ua_entry_t *e = ua && *ua ? ua_classified(a, ua) : NULL;
    if (!e) {
        browser_of(a, ua, name, version);
        return;
    }
    *name = e->name;
    *version = e->has_version ? arena_strdup(a, e->version) : NULL;
}

/* The known-bot check runs on every request (twice on a beacon: the
 * any-route side effect and the drop list), so it is on the hot path:
 * lower-case the UA once, then let strstr() (vectorised in glibc) look for
 * each already lower-cased pattern. */
int ua_is_known_bot(const char *ua, char *const *patterns, size_t n)
{
    if (ua == NULL || *ua == '\0' || n == 0) return 0;
    size_t ul = strlen(ua);
    static memo_t memo;
    int hit = 0;
    if (memo_get(&memo, patterns, ua, ul, &hit)) return hit;
    char small[512];
    char *low = ul < sizeof small ? small : malloc(ul + 1);
    if (!low) return 0;
    for (size_t i = 0; i < ul; i++) {
        char c = ua[i];
        low[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
    }
    low[ul] = '\0';
    for (size_t i = 0; i < n && !hit; i++)
        if (patterns[i] && patterns[i][0] && strstr(low, patterns[i])) hit = 1;
    if (low != small) free(low);
    memo_put(&memo, patterns, ua, ul, hit);
    return hit;
}
