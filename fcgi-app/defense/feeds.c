/* feeds: see feeds.h.
 *
 * Why two matchers for one crawler feed: about 1,460 of the ~1,500 crawler
 * patterns are plain words (`Googlebot\/`, `bingbot`), and a caseless
 * regular expression that is a plain word matches exactly where a caseless
 * substring search does. Those go into an Aho-Corasick automaton together
 * with the AI names, so one pass over the User-Agent answers both feeds; a
 * single 1,500-way alternation would cost one regex attempt per pattern per
 * start position. Only the ~40 real expressions are left to PCRE2. */
#define _GNU_SOURCE
#define PCRE2_CODE_UNIT_WIDTH 8
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <pcre2.h>
#include <json-c/json.h>
#include "core/config.h"
#include "core/log.h"
#include "core/memo.h"
#include "defense/feeds.h"
#include "defense/iprange.h"

#define MOD "feeds"
#define FEED_FILE_MAX (64L * 1024 * 1024)
#define REGEX_MATCH_LIMIT 200000
#define KEEP_VERSIONS 3

extern char **environ;

static const struct { const char *file, *url; } feed_src[FEEDS_NKINDS] = {
    { "crawler-user-agents.json",
      "https://raw.githubusercontent.com/monperrus/crawler-user-agents/master/crawler-user-agents.json" },
    { "ai-robots.json",
      "https://raw.githubusercontent.com/ai-robots-txt/ai.robots.txt/main/robots.json" },
    { "aws-ip-ranges.json", "https://ip-ranges.amazonaws.com/ip-ranges.json" },
    { "google-cloud-ip-ranges.json", "https://www.gstatic.com/ipranges/cloud.json" },
    { "digitalocean.csv", "https://digitalocean.com/geo/google.csv" },
    { "linode.txt", "https://geoip.linode.com/" },
    { "oracle-cloud-ip-ranges.json", "https://docs.oracle.com/iaas/tools/public_ip_ranges.json" },
};

const char *feeds_file(int kind)
{
    return kind >= 0 && kind < FEEDS_NKINDS ? feed_src[kind].file : NULL;
}

const char *feeds_url(int kind)
{
    return kind >= 0 && kind < FEEDS_NKINDS ? feed_src[kind].url : NULL;
}

int feeds_shrink_ok(size_t old, size_t fresh)
{
    /* fresh < 0.1 * old is refused; compare in integers: 10 * fresh < old */
    return old == 0 || fresh * 10 >= old;
}

/* ------------------------------------------------------------ components */

typedef struct strlist {
    char **s;
    size_t n, cap;
} strlist_t;

typedef struct ranges {
    iprange_v4_t *v4;
    size_t n4, cap4;
    iprange_v6_t *v6;
    size_t n6, cap6;
} ranges_t;

/* Caseless Aho-Corasick over byte classes: one dense row per state. */
typedef struct ac {
    uint8_t cls[256];
    unsigned ncls;
    uint32_t *delta;            /* nstates * ncls */
    uint8_t *out;               /* bit 1 crawler, bit 2 ai (fail-closed) */
    size_t nstates;
    uint8_t always;             /* an empty pattern matches every UA */
} ac_t;

struct feeds {
    strlist_t crawler;          /* valid patterns, as written */
    strlist_t ai;               /* names, as written */
    ranges_t prov[FEEDS_NKINDS];/* only the datacenter kinds are used */
    int have[FEEDS_NKINDS];
    /* compiled */
    ac_t ac;
    pcre2_code *re;
    pcre2_match_data *md;
    pcre2_match_context *mctx;
    size_t crawler_literal, crawler_regex;
    iprange_v4_t *m4;
    size_t nm4;
    iprange_v6_t *m6;
    size_t nm6;
};

static void sl_free(strlist_t *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->s[i]);
    free(l->s);
    memset(l, 0, sizeof *l);
}

static int sl_push(strlist_t *l, const char *s, size_t n)
{
    if (l->n == l->cap) {
        size_t c = l->cap ? l->cap * 2 : 64;
        char **p = realloc(l->s, c * sizeof *p);
        if (!p)
            return -1;
        l->s = p;
        l->cap = c;
    }
    char *d = malloc(n + 1);
    if (!d)
        return -1;
    memcpy(d, s, n);
    d[n] = '\0';
    l->s[l->n++] = d;
    return 0;
}

static void rg_free(ranges_t *r)
{
    free(r->v4);
    free(r->v6);
    memset(r, 0, sizeof *r);
}

static int rg_add_text(ranges_t *r, const char *s, size_t n, int family)
{
    /* trim: geofeed fields may carry spaces */
    while (n && (*s == ' ' || *s == '\t'))
        s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        n--;
    iprange_v4_t a;
    iprange_v6_t b;
    if (family != 6 && iprange_cidr_v4(s, n, &a) == 0) {
        if (r->n4 == r->cap4) {
            size_t c = r->cap4 ? r->cap4 * 2 : 256;
            iprange_v4_t *p = realloc(r->v4, c * sizeof *p);
            if (!p)
                return -1;
            r->v4 = p;
            r->cap4 = c;
        }
        r->v4[r->n4++] = a;
        return 0;
    }
    if (family != 4 && iprange_cidr_v6(s, n, &b) == 0) {
        if (r->n6 == r->cap6) {
            size_t c = r->cap6 ? r->cap6 * 2 : 256;
            iprange_v6_t *p = realloc(r->v6, c * sizeof *p);
            if (!p)
                return -1;
            r->v6 = p;
            r->cap6 = c;
        }
        r->v6[r->n6++] = b;
        return 0;
    }
    return 1;   /* unparsable: skipped */
}

static json_object *parse_json(const char *text, size_t len)
{
    json_tokener *tok = json_tokener_new_ex(64);
    if (!tok)
        return NULL;
    json_object *o = json_tokener_parse_ex(tok, text, (int)(len > INT_MAX ? INT_MAX : len));
    if (json_tokener_get_error(tok) != json_tokener_success) {
        if (o)
            json_object_put(o);
        o = NULL;
    }
    json_tokener_free(tok);
    return o;
}

/* A pattern is literal when, after dropping backslashes before punctuation,
 * no regex metacharacter is left. Writes the unescaped, lower-cased text. */
static int literal_of(const char *p, char *out, size_t outsz, size_t *outn)
{
    size_t o = 0;
    for (size_t i = 0; p[i]; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == '\\') {
            unsigned char d = (unsigned char)p[i + 1];
            if (!d || (d >= '0' && d <= '9') || (d >= 'a' && d <= 'z') || (d >= 'A' && d <= 'Z') ||
                d >= 0x80)
                return 0;
            c = d;
            i++;
        } else if (strchr(".^$*+?()[]{}|", c)) {
            return 0;
        }
        if (o + 1 >= outsz)
            return 0;
        out[o++] = (char)((c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c);
    }
    out[o] = '\0';
    *outn = o;
    return 1;
}

static int parse_crawler(const char *text, size_t len, strlist_t *out)
{
    json_object *o = parse_json(text, len);
    if (!o || !json_object_is_type(o, json_type_array)) {
        if (o)
            json_object_put(o);
        return -1;
    }
    size_t n = json_object_array_length(o);
    for (size_t i = 0; i < n; i++) {
        json_object *e = json_object_array_get_idx(o, i), *p;
        if (!e || !json_object_is_type(e, json_type_object) ||
            !json_object_object_get_ex(e, "pattern", &p) || !json_object_is_type(p, json_type_string))
            continue;
        const char *ps = json_object_get_string(p);
        size_t pl = (size_t)json_object_get_string_len(p);
        int err;
        PCRE2_SIZE eoff;
        pcre2_code *c = pcre2_compile((PCRE2_SPTR)ps, pl, 0, &err, &eoff, NULL);
        if (!c)
            continue;   /* does not compile on its own: skipped, as the reference */
        pcre2_code_free(c);
        if (sl_push(out, ps, pl) != 0) {
            json_object_put(o);
            return -1;
        }
    }
    json_object_put(o);
    return out->n ? 0 : -1;
}

static int parse_ai(const char *text, size_t len, strlist_t *out)
{
    json_object *o = parse_json(text, len);
    if (!o || !json_object_is_type(o, json_type_object)) {
        if (o)
            json_object_put(o);
        return -1;
    }
    json_object_object_foreach(o, k, v) {
        (void)v;
        size_t kl = strlen(k);
        if (kl > 0 && sl_push(out, k, kl) != 0) {
            json_object_put(o);
            return -1;
        }
    }
    json_object_put(o);
    return out->n ? 0 : -1;
}

static void add_json_str(ranges_t *r, json_object *obj, const char *key, int family)
{
    json_object *v;
    if (obj && json_object_is_type(obj, json_type_object) &&
        json_object_object_get_ex(obj, key, &v) && json_object_is_type(v, json_type_string))
        rg_add_text(r, json_object_get_string(v), (size_t)json_object_get_string_len(v), family);
}

static int parse_ranges(int kind, const char *text, size_t len, ranges_t *r)
{
    if (kind == FEEDS_DO || kind == FEEDS_LINODE) {
        /* RFC 8805 geofeed: cidr,country,region,city,postal; '#' comments */
        size_t i = 0;
        while (i < len) {
            size_t e = i;
            while (e < len && text[e] != '\n')
                e++;
            size_t fe = i;
            while (fe < e && text[fe] != ',')
                fe++;
            if (e > i && text[i] != '#')
                rg_add_text(r, text + i, fe - i, 0);
            i = e + 1;
        }
        return r->n4 + r->n6 ? 0 : -1;
    }
    json_object *o = parse_json(text, len), *a;
    if (!o || !json_object_is_type(o, json_type_object)) {
        if (o)
            json_object_put(o);
        return -1;
    }
    if (kind == FEEDS_AWS) {
        if (json_object_object_get_ex(o, "prefixes", &a) && json_object_is_type(a, json_type_array))
            for (size_t i = 0; i < json_object_array_length(a); i++)
                add_json_str(r, json_object_array_get_idx(a, i), "ip_prefix", 4);
        if (json_object_object_get_ex(o, "ipv6_prefixes", &a) && json_object_is_type(a, json_type_array))
            for (size_t i = 0; i < json_object_array_length(a); i++)
                add_json_str(r, json_object_array_get_idx(a, i), "ipv6_prefix", 6);
    } else if (kind == FEEDS_GCP) {
        if (json_object_object_get_ex(o, "prefixes", &a) && json_object_is_type(a, json_type_array))
            for (size_t i = 0; i < json_object_array_length(a); i++) {
                json_object *e = json_object_array_get_idx(a, i);
                add_json_str(r, e, "ipv4Prefix", 4);
                add_json_str(r, e, "ipv6Prefix", 6);
            }
    } else if (kind == FEEDS_ORACLE) {
        if (json_object_object_get_ex(o, "regions", &a) && json_object_is_type(a, json_type_array))
            for (size_t i = 0; i < json_object_array_length(a); i++) {
                json_object *reg = json_object_array_get_idx(a, i), *c;
                if (!reg || !json_object_is_type(reg, json_type_object) ||
                    !json_object_object_get_ex(reg, "cidrs", &c) || !json_object_is_type(c, json_type_array))
                    continue;
                for (size_t j = 0; j < json_object_array_length(c); j++)
                    add_json_str(r, json_object_array_get_idx(c, j), "cidr", 0);
            }
    }
    json_object_put(o);
    return r->n4 + r->n6 ? 0 : -1;
}

size_t feeds_parse_count(int kind, const char *text, size_t len)
{
    size_t n = 0;
    if (kind == FEEDS_CRAWLER || kind == FEEDS_AI) {
        strlist_t l = { 0 };
        if ((kind == FEEDS_CRAWLER ? parse_crawler : parse_ai)(text, len, &l) == 0)
            n = l.n;
        sl_free(&l);
    } else if (kind > FEEDS_AI && kind < FEEDS_NKINDS) {
        ranges_t r = { 0 };
        if (parse_ranges(kind, text, len, &r) == 0)
            n = r.n4 + r.n6;
        rg_free(&r);
    }
    return n;
}

/* ------------------------------------------------------------ Aho-Corasick */

static void ac_free(ac_t *a)
{
    free(a->delta);
    free(a->out);
    memset(a, 0, sizeof *a);
}

static int ac_build(ac_t *a, const char *const *pats, const size_t *lens, const uint8_t *flags,
                    size_t np)
{
    memset(a, 0, sizeof *a);
    /* classes: every (lower-cased) byte used by a pattern gets one; its
     * upper-case twin shares it, so matching needs no case folding */
    a->ncls = 1;
    size_t total = 1;
    for (size_t i = 0; i < np; i++) {
        total += lens[i];
        if (lens[i] == 0)
            a->always |= flags[i];
        for (size_t j = 0; j < lens[i]; j++) {
            uint8_t c = (uint8_t)pats[i][j];
            if (!a->cls[c]) {
                if (a->ncls == 255)
                    return -1;
                a->cls[c] = (uint8_t)a->ncls++;
                if (c >= 'a' && c <= 'z')
                    a->cls[c - 'a' + 'A'] = a->cls[c];
            }
        }
    }
    a->delta = calloc(total * a->ncls, sizeof *a->delta);
    a->out = calloc(total, 1);
    uint32_t *fail = calloc(total, sizeof *fail);
    uint32_t *queue = calloc(total, sizeof *queue);
    if (!a->delta || !a->out || !fail || !queue) {
        free(fail);
        free(queue);
        ac_free(a);
        return -1;
    }
    size_t ns = 1;
    for (size_t i = 0; i < np; i++) {
        uint32_t s = 0;
        for (size_t j = 0; j < lens[i]; j++) {
            unsigned c = a->cls[(uint8_t)pats[i][j]];
            uint32_t *t = &a->delta[(size_t)s * a->ncls + c];
            if (!*t)
                *t = (uint32_t)ns++;
            s = *t;
        }
        if (lens[i])
            a->out[s] |= flags[i];
    }
    /* BFS: fail links, then complete the transition table */
    size_t qh = 0, qt = 0;
    for (unsigned c = 0; c < a->ncls; c++) {
        uint32_t t = a->delta[c];
        if (t) {
            fail[t] = 0;
            queue[qt++] = t;
        }
    }
    while (qh < qt) {
        uint32_t s = queue[qh++];
        a->out[s] |= a->out[fail[s]];
        for (unsigned c = 0; c < a->ncls; c++) {
            uint32_t *t = &a->delta[(size_t)s * a->ncls + c];
            uint32_t f = a->delta[(size_t)fail[s] * a->ncls + c];
            if (*t) {
                fail[*t] = f;
                queue[qt++] = *t;
            } else {
                *t = f;
            }
        }
    }
    free(fail);
    free(queue);
    a->nstates = ns;
    return 0;
}

static unsigned ac_scan(const ac_t *a, const char *s, size_t n, unsigned want)
{
    unsigned fl = a->always;
    if (!a->delta || (fl & want) == want)
        return fl;
    uint32_t st = 0;
    for (size_t i = 0; i < n; i++) {
        st = a->delta[(size_t)st * a->ncls + a->cls[(uint8_t)s[i]]];
        fl |= a->out[st];
        if ((fl & want) == want)
            break;
    }
    return fl;
}

/* ------------------------------------------------------------ build */

static char *read_file(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > FEED_FILE_MAX) {
        close(fd);
        return NULL;
    }
    size_t n = (size_t)st.st_size, got = 0;
    char *b = malloc(n + 1);
    if (!b) {
        close(fd);
        return NULL;
    }
    while (got < n) {
        ssize_t r = read(fd, b + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    b[got] = '\0';
    *len = got;
    return b;
}

static size_t comp_count(const feeds_t *f, int kind)
{
    if (!f || !f->have[kind])
        return 0;
    if (kind == FEEDS_CRAWLER)
        return f->crawler.n;
    if (kind == FEEDS_AI)
        return f->ai.n;
    return f->prov[kind].n4 + f->prov[kind].n6;
}

static void comp_free(feeds_t *f, int kind)
{
    if (kind == FEEDS_CRAWLER)
        sl_free(&f->crawler);
    else if (kind == FEEDS_AI)
        sl_free(&f->ai);
    else
        rg_free(&f->prov[kind]);
    f->have[kind] = 0;
}

static void comp_move(feeds_t *to, feeds_t *from, int kind)
{
    if (kind == FEEDS_CRAWLER) {
        to->crawler = from->crawler;
        memset(&from->crawler, 0, sizeof from->crawler);
    } else if (kind == FEEDS_AI) {
        to->ai = from->ai;
        memset(&from->ai, 0, sizeof from->ai);
    } else {
        to->prov[kind] = from->prov[kind];
        memset(&from->prov[kind], 0, sizeof from->prov[kind]);
    }
    to->have[kind] = from->have[kind];
    from->have[kind] = 0;
}

static int load_comp(feeds_t *f, int kind, const char *dir)
{
    char path[PATH_MAX];
    size_t len = 0;
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, feed_src[kind].file) >= sizeof path)
        return -1;
    char *text = read_file(path, &len);
    if (!text)
        return -1;
    int rc;
    if (kind == FEEDS_CRAWLER)
        rc = parse_crawler(text, len, &f->crawler);
    else if (kind == FEEDS_AI)
        rc = parse_ai(text, len, &f->ai);
    else
        rc = parse_ranges(kind, text, len, &f->prov[kind]);
    free(text);
    if (rc != 0) {
        comp_free(f, kind);
        return -1;
    }
    f->have[kind] = 1;
    return 0;
}

static void compile_matchers(feeds_t *f)
{
    /* literal crawler patterns + AI names -> Aho-Corasick */
    size_t np = f->crawler.n + f->ai.n;
    char **pats = calloc(np ? np : 1, sizeof *pats);
    size_t *lens = calloc(np ? np : 1, sizeof *lens);
    uint8_t *flags = calloc(np ? np : 1, 1);
    char *alt = NULL;
    size_t altn = 0, altcap = 0, k = 0;
    if (!pats || !lens || !flags)
        goto out;
    for (size_t i = 0; i < f->crawler.n; i++) {
        const char *p = f->crawler.s[i];
        size_t pl = strlen(p), ln;
        char *lit = malloc(pl + 1);
        if (!lit)
            goto out;
        if (literal_of(p, lit, pl + 1, &ln)) {
            pats[k] = lit;
            lens[k] = ln;
            flags[k++] = 1;
            f->crawler_literal++;
            continue;
        }
        free(lit);
        /* (?:p) keeps each alternative's own anchors and inline options */
        size_t need = altn + pl + 6;
        if (need > altcap) {
            size_t c = altcap ? altcap * 2 : 4096;
            while (c < need)
                c *= 2;
            char *na = realloc(alt, c);
            if (!na)
                goto out;
            alt = na;
            altcap = c;
        }
        if (altn)
            alt[altn++] = '|';
        memcpy(alt + altn, "(?:", 3);
        altn += 3;
        memcpy(alt + altn, p, pl);
        altn += pl;
        alt[altn++] = ')';
        f->crawler_regex++;
    }
    for (size_t i = 0; i < f->ai.n; i++) {
        const char *p = f->ai.s[i];
        size_t pl = strlen(p);
        char *lit = malloc(pl + 1);
        if (!lit)
            goto out;
        for (size_t j = 0; j <= pl; j++)
            lit[j] = (char)((p[j] >= 'A' && p[j] <= 'Z') ? p[j] - 'A' + 'a' : p[j]);
        pats[k] = lit;
        lens[k] = pl;
        flags[k++] = 2;
    }
    if (k && ac_build(&f->ac, (const char *const *)pats, lens, flags, k) != 0)
        log_err(MOD, "cannot build the name matcher (%zu patterns)", k);
    if (altn) {
        int err;
        PCRE2_SIZE eoff;
        f->re = pcre2_compile((PCRE2_SPTR)alt, altn, PCRE2_CASELESS | PCRE2_DOLLAR_ENDONLY,
                              &err, &eoff, NULL);
        if (!f->re) {
            log_err(MOD, "crawler alternation does not compile (error %d at %zu)", err, (size_t)eoff);
        } else {
            if (pcre2_jit_compile(f->re, PCRE2_JIT_COMPLETE) != 0)
                log_warn(MOD, "PCRE2 JIT unavailable, matching interpreted");
            f->md = pcre2_match_data_create_from_pattern(f->re, NULL);
            f->mctx = pcre2_match_context_create(NULL);
            if (f->mctx)
                pcre2_set_match_limit(f->mctx, REGEX_MATCH_LIMIT);
        }
    }
out:
    for (size_t i = 0; i < k; i++)
        free(pats[i]);
    free(pats);
    free(lens);
    free(flags);
    free(alt);
}

static void build_tables(feeds_t *f)
{
    size_t n4 = 0, n6 = 0;
    for (int k = FEEDS_AWS; k < FEEDS_NKINDS; k++) {
        n4 += f->prov[k].n4;
        n6 += f->prov[k].n6;
    }
    if (n4) {
        f->m4 = malloc(n4 * sizeof *f->m4);
        if (f->m4) {
            size_t w = 0;
            for (int k = FEEDS_AWS; k < FEEDS_NKINDS; k++) {
                if (f->prov[k].n4)
                    memcpy(f->m4 + w, f->prov[k].v4, f->prov[k].n4 * sizeof *f->m4);
                w += f->prov[k].n4;
            }
            f->nm4 = iprange_merge_v4(f->m4, n4);
        }
    }
    if (n6) {
        f->m6 = malloc(n6 * sizeof *f->m6);
        if (f->m6) {
            size_t w = 0;
            for (int k = FEEDS_AWS; k < FEEDS_NKINDS; k++) {
                if (f->prov[k].n6)
                    memcpy(f->m6 + w, f->prov[k].v6, f->prov[k].n6 * sizeof *f->m6);
                w += f->prov[k].n6;
            }
            f->nm6 = iprange_merge_v6(f->m6, n6);
        }
    }
}

feeds_t *feeds_build(const char *dir, feeds_t *prev)
{
    feeds_t *f = calloc(1, sizeof *f);
    if (!f) {
        return prev;
    }
    for (int k = 0; k < FEEDS_NKINDS; k++) {
        size_t old = comp_count(prev, k);
        int ok = dir && load_comp(f, k, dir) == 0;
        if (ok && !feeds_shrink_ok(old, comp_count(f, k))) {
            log_warn(MOD, "%s: %zu items after %zu, refused (shrink guard)", feed_src[k].file,
                     comp_count(f, k), old);
            comp_free(f, k);
            ok = 0;
        }
        if (!ok && prev && prev->have[k])
            comp_move(f, prev, k);   /* a failing feed keeps what it had */
    }
    feeds_free(prev);
    compile_matchers(f);
    build_tables(f);
    return f;
}

void feeds_free(feeds_t *f)
{
    if (!f)
        return;
    sl_free(&f->crawler);
    sl_free(&f->ai);
    for (int k = 0; k < FEEDS_NKINDS; k++)
        rg_free(&f->prov[k]);
    ac_free(&f->ac);
    if (f->md)
        pcre2_match_data_free(f->md);
    if (f->mctx)
        pcre2_match_context_free(f->mctx);
    if (f->re)
        pcre2_code_free(f->re);
    free(f->m4);
    free(f->m6);
    free(f);
}

void feeds_get_counts(const feeds_t *f, feeds_counts_t *out)
{
    memset(out, 0, sizeof *out);
    if (!f)
        return;
    for (int k = 0; k < FEEDS_NKINDS; k++)
        out->n[k] = comp_count(f, k);
    out->v4 = f->nm4;
    out->v6 = f->nm6;
    out->crawler_literal = f->crawler_literal;
    out->crawler_regex = f->crawler_regex;
}

/* ------------------------------------------------------------ matching */

void feeds_match_ua(const feeds_t *f, const char *ua, int *crawler, int *ai)
{
    *crawler = *ai = 0;
    if (!f || !ua)
        return;
    size_t n = strlen(ua);
    static memo_t memo;         /* the same browser sends the same UA on every hit */
    int v;
    if (memo_get(&memo, f, ua, n, &v)) {
        *crawler = v & 1;
        *ai = (v & 2) != 0;
        return;
    }
    unsigned fl = ac_scan(&f->ac, ua, n, 3);
    *ai = (fl & 2) != 0;
    *crawler = (fl & 1) != 0;
    if (!*crawler && f->re && f->md) {
        int rc = pcre2_match(f->re, (PCRE2_SPTR)ua, n, 0, 0, f->md, f->mctx);
        *crawler = rc >= 0;
    }
    memo_put(&memo, f, ua, n, *crawler | (*ai << 1));
}

int feeds_match_crawler(const feeds_t *f, const char *ua)
{
    int c, a;
    feeds_match_ua(f, ua, &c, &a);
    return c;
}

int feeds_match_ai(const feeds_t *f, const char *ua)
{
    if (!f || !ua)
        return 0;
    return (ac_scan(&f->ac, ua, strlen(ua), 2) & 2) != 0;
}

int feeds_match_datacenter(const feeds_t *f, const char *ip)
{
    uint32_t v4;
    iprange_u128_t v6;
    if (!f || !ip)
        return 0;
    switch (iprange_classify(ip, &v4, &v6)) {
    case 4: return iprange_find_v4(f->m4, f->nm4, v4);
    case 6: return iprange_find_v6(f->m6, f->nm6, v6);
    default: return 0;
    }
}

/* ------------------------------------------------------------ this worker */

static feeds_t *g_cur;
static char g_ver[PATH_MAX];    /* directory the current set was loaded from */
static int g_loaded;
static struct timespec g_last;

static int current_target(const char *dir, char *out, size_t outsz)
{
    char link[PATH_MAX];
    if ((size_t)snprintf(link, sizeof link, "%s/current", dir) >= sizeof link)
        return -1;
    ssize_t n = readlink(link, out, outsz - 1);
    if (n < 0) {
        out[0] = '\0';
        return 0;
    }
    out[n] = '\0';
    return 1;
}

int feeds_reload(void)
{
    if (!cfg || !cfg->feeds_dir || !*cfg->feeds_dir)
        return -1;
    char tgt[PATH_MAX], path[PATH_MAX];
    current_target(cfg->feeds_dir, tgt, sizeof tgt);
    /* load the resolved version directory, so a refresh switching the link
     * meanwhile cannot mix two versions; the path is the version identity */
    if (!tgt[0])
        snprintf(path, sizeof path, "%s", cfg->feeds_dir);
    else if (tgt[0] == '/')
        snprintf(path, sizeof path, "%s", tgt);
    else if ((size_t)snprintf(path, sizeof path, "%s/%s", cfg->feeds_dir, tgt) >= sizeof path)
        return -1;
    if (g_loaded && strcmp(path, g_ver) == 0)
        return 0;
    g_cur = feeds_build(path, g_cur);
    g_loaded = 1;
    snprintf(g_ver, sizeof g_ver, "%s", path);
    feeds_counts_t c;
    feeds_get_counts(g_cur, &c);
    log_info(MOD, "loaded %s: crawler %zu (%zu regex), ai %zu, datacenter v4 %zu v6 %zu",
             tgt[0] ? tgt : "snapshot", c.n[FEEDS_CRAWLER], c.crawler_regex, c.n[FEEDS_AI], c.v4,
             c.v6);
    return 1;
}

const feeds_t *feeds_current(void)
{
    if (!g_loaded)
        feeds_reload();   /* first use in this process: load once */
    return g_cur;
}

int feeds_job(long budget_ms)
{
    (void)budget_ms;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (g_loaded && now.tv_sec == g_last.tv_sec)
        return 0;   /* at most once a second, whatever the job period */
    g_last = now;
    return feeds_reload() < 0 ? -1 : 0;
}

/* ------------------------------------------------------------ refresh */

static int copy_file(const char *from, const char *to)
{
    size_t len;
    char *b = read_file(from, &len);
    if (!b)
        return -1;
    int fd = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int rc = -1;
    if (fd >= 0) {
        size_t off = 0;
        while (off < len) {
            ssize_t w = write(fd, b + off, len - off);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                break;
            off += (size_t)w;
        }
        rc = (off == len && close(fd) == 0) ? 0 : -1;
        if (rc != 0 && fd >= 0)
            unlink(to);
    }
    free(b);
    return rc;
}

static int download(const char *url, const char *to)
{
    char *argv[] = { "curl", "-fsSL", "--max-time", "30", "-o", (char *)to, (char *)url, NULL };
    pid_t pid;
    if (posix_spawnp(&pid, "curl", NULL, NULL, argv, environ) != 0)
        return -1;
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static size_t count_file(const char *dir, int kind)
{
    char path[PATH_MAX];
    size_t len;
    if (!dir || (size_t)snprintf(path, sizeof path, "%s/%s", dir, feed_src[kind].file) >= sizeof path)
        return 0;
    char *t = read_file(path, &len);
    if (!t)
        return 0;
    size_t n = feeds_parse_count(kind, t, len);
    free(t);
    return n;
}

static void rm_tree_flat(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        char p[PATH_MAX];
        while ((e = readdir(d)))
            if (e->d_name[0] != '.' &&
                (size_t)snprintf(p, sizeof p, "%s/%s", dir, e->d_name) < sizeof p)
                unlink(p);
        closedir(d);
    }
    rmdir(dir);
}

/* Keep the newest KEEP_VERSIONS version directories (names v<ms>). */
static void prune_versions(const char *dir, const char *keep)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    long long v[256];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 256) {
        char *end;
        if (e->d_name[0] != 'v')
            continue;
        long long x = strtoll(e->d_name + 1, &end, 10);
        if (*end == '\0' && x > 0)
            v[n++] = x;
    }
    closedir(d);
    for (size_t i = 0; i < n; i++) {
        size_t newer = 0;
        for (size_t j = 0; j < n; j++)
            newer += v[j] > v[i];
        char name[32], p[PATH_MAX];
        snprintf(name, sizeof name, "v%lld", v[i]);
        if (newer >= KEEP_VERSIONS && strcmp(name, keep) != 0 &&
            (size_t)snprintf(p, sizeof p, "%s/%s", dir, name) < sizeof p)
            rm_tree_flat(p);
    }
}

int feeds_refresh(const char *from_dir)
{
    if (!cfg || !cfg->feeds_dir || !*cfg->feeds_dir) {
        fprintf(stderr, "feeds: ECHELON_FEEDS_DIR is not set\n");
        return -1;
    }
    const char *dir = cfg->feeds_dir;
    char tgt[PATH_MAX], cur[PATH_MAX], stage[PATH_MAX], name[32], final[PATH_MAX];
    mkdir(dir, 0755);
    if (current_target(dir, tgt, sizeof tgt) == 1)
        snprintf(cur, sizeof cur, tgt[0] == '/' ? "%s" : "%s/%s", tgt[0] == '/' ? tgt : dir, tgt);
    else
        snprintf(cur, sizeof cur, "%s", dir);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    long long ms = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    snprintf(name, sizeof name, "v%lld", ms);
    if ((size_t)snprintf(stage, sizeof stage, "%s/.stage-%ld", dir, (long)getpid()) >= sizeof stage ||
        (size_t)snprintf(final, sizeof final, "%s/%s", dir, name) >= sizeof final)
        return -1;
    rm_tree_flat(stage);
    if (mkdir(stage, 0755) != 0) {
        fprintf(stderr, "feeds: cannot write in %s: %s\n", dir, strerror(errno));
        return -1;
    }
    int fresh = 0, kept = 0;
    for (int k = 0; k < FEEDS_NKINDS; k++) {
        char src[PATH_MAX], dst[PATH_MAX + 64], old[PATH_MAX + 64];
        snprintf(dst, sizeof dst, "%s/%s", stage, feed_src[k].file);
        snprintf(old, sizeof old, "%s/%s", cur, feed_src[k].file);
        int got;
        if (from_dir) {
            snprintf(src, sizeof src, "%s/%s", from_dir, feed_src[k].file);
            got = copy_file(src, dst) == 0;
        } else {
            got = download(feed_src[k].url, dst) == 0;
        }
        size_t n = got ? count_file(stage, k) : 0;
        size_t was = count_file(cur, k);
        const char *why = NULL;
        if (!got)
            why = from_dir ? "missing" : "download failed";
        else if (n == 0)
            why = "invalid";
        else if (!feeds_shrink_ok(was, n))
            why = "shrink guard";
        if (why) {
            unlink(dst);
            if (was > 0 && copy_file(old, dst) == 0)
                kept++;
            printf("  %-30s %s: kept previous (%zu)\n", feed_src[k].file, why, was);
            if (got)
                log_warn(MOD, "%s refused (%s): %zu items, previous %zu", feed_src[k].file, why, n, was);
        } else {
            fresh++;
            printf("  %-30s %zu items (previous %zu)\n", feed_src[k].file, n, was);
        }
    }
    if (fresh == 0) {
        rm_tree_flat(stage);
        printf("feeds: nothing new to publish\n");
        return -1;
    }
    char link_tmp[PATH_MAX], link[PATH_MAX];
    snprintf(link_tmp, sizeof link_tmp, "%s/.current-%ld", dir, (long)getpid());
    snprintf(link, sizeof link, "%s/current", dir);
    unlink(link_tmp);
    if (rename(stage, final) != 0 || symlink(name, link_tmp) != 0 || rename(link_tmp, link) != 0) {
        fprintf(stderr, "feeds: cannot publish in %s: %s\n", dir, strerror(errno));
        rm_tree_flat(stage);
        unlink(link_tmp);
        return -1;
    }
    prune_versions(dir, name);
    printf("feeds: published %s (%d fresh, %d kept)\n", name, fresh, kept);
    log_info(MOD, "published feed version %s (%d fresh, %d kept)", name, fresh, kept);
    return 0;
}
