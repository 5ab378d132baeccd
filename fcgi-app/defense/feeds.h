/* feeds: the threat-intelligence feeds of spec/20 §6.
 *
 * Owns: parsing and validating the feed snapshots (crawler UA regexes, AI
 * crawler names, datacenter CIDRs of AWS, GCP, DigitalOcean, Linode and
 * Oracle), this worker's compiled matchers, the published feed version in
 * cfg->feeds_dir, and `echelon-ctl feeds refresh`.
 *
 * Layout of cfg->feeds_dir: either the snapshot files themselves (as in
 * ../shared/data/feeds), or, once a refresh published something, a symlink
 * `current` -> `v<N>/` holding the same file names. A worker loads
 * `current/` when it exists, else the directory itself, and re-checks the
 * symlink at most once a second (a JOB_LOCAL job): a new version is picked
 * up without restart. Publishing is an atomic rename of the symlink.
 *
 * Matchers: the crawler patterns that are plain text (after removing
 * escapes of punctuation) and the AI names go into one caseless
 * Aho-Corasick automaton (one pass over the UA); the few real regular
 * expressions are validated one by one and joined into one PCRE2
 * alternation compiled caseless with JIT. Datacenter ranges are merged
 * interval tables searched by binary search (iprange.h).
 *
 * Promises: matching is CPU-only and bounded (PCRE2 match limit); a feed
 * that fails to load keeps the previous data (shrink guard: fewer than 10 %
 * of the previous count is refused); before any load everything answers
 * "no match". Never: downloads on a worker. */
#ifndef ECHELON_DEFENSE_FEEDS_H
#define ECHELON_DEFENSE_FEEDS_H
#include <stddef.h>

enum feeds_kind {
    FEEDS_CRAWLER = 0, FEEDS_AI,
    FEEDS_AWS, FEEDS_GCP, FEEDS_DO, FEEDS_LINODE, FEEDS_ORACLE,
    FEEDS_NKINDS
};

typedef struct feeds feeds_t;

typedef struct feeds_counts {
    size_t n[FEEDS_NKINDS];     /* valid patterns / names / ranges (v4 + v6) */
    size_t v4, v6;              /* merged datacenter intervals */
    size_t crawler_literal, crawler_regex;
} feeds_counts_t;

/* File name of each feed in a feeds directory, and its download URL. */
const char *feeds_file(int kind);
const char *feeds_url(int kind);

/* ---- pure parsers (unit-tested): count the valid items of a feed text ----
 * Returns the number of valid items (0 = the feed is unusable). */
size_t feeds_parse_count(int kind, const char *text, size_t len);

/* Shrink guard: 1 if `fresh` items may replace `old` (old == 0, or fresh >=
 * 0.1 * old), else 0. */
int feeds_shrink_ok(size_t old, size_t fresh);

/* Build a feed set from a directory. `prev` (may be NULL) is consumed: a feed
 * that fails to load or shrinks below the guard keeps prev's data. Returns
 * a new set (never NULL unless out of memory). */
feeds_t *feeds_build(const char *dir, feeds_t *prev);
void feeds_free(feeds_t *f);
void feeds_get_counts(const feeds_t *f, feeds_counts_t *out);

/* Matching against a set (NULL set = no feeds loaded = no match). */
int feeds_match_crawler(const feeds_t *f, const char *ua);
int feeds_match_ai(const feeds_t *f, const char *ua);
/* Both in one pass: *crawler and *ai set to 0/1. */
void feeds_match_ua(const feeds_t *f, const char *ua, int *crawler, int *ai);
int feeds_match_datacenter(const feeds_t *f, const char *ip);

/* ---- this worker's current set ---- */
/* Load from cfg->feeds_dir if never loaded (or the version changed).
 * Returns 1 when a new set was loaded, 0 unchanged, -1 no feeds dir. */
int feeds_reload(void);
const feeds_t *feeds_current(void);   /* NULL before the first load */
/* jobs.h job_fn: feeds_reload() at most once a second. */
int feeds_job(long budget_ms);

/* `echelon-ctl feeds refresh [--from DIR]`: fetch every feed (from DIR, or
 * by downloading with curl(1) when from_dir is NULL), validate each with
 * the rules above and the shrink guard against the published version, and
 * publish a new version (feeds that failed keep the previous file). Writes
 * a summary to stdout. Returns 0 when a version was published, -1 if
 * nothing usable was fetched or the directory is not writable. */
int feeds_refresh(const char *from_dir);
#endif
