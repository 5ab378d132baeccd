/* stats_agg: daily pageview groups counted in memory (spec/30 §3.4, product
 * decision 6).
 *
 * Owns: grouping clean raw rows exactly as the daily rollup groups them --
 * the `visitor_views_daily` groups (site, day, device, country, returning)
 * and the `visitor_views_daily_dim` groups (site, dimension, day, label) --
 * with per-group views, distinct visitors and the positive-interaction sum
 * for the truncated average; and a label tally that merges such groups with
 * rollup rows and ranks them.
 * Why in C: one read of the day's rows replaces one GROUP BY per dimension
 * (nine scans per rolled-up day, seven per overview), and maintenance and
 * the overview then count a raw day with the same code.
 * Promises: labels compare byte for byte (the binary no-pad collation of
 * every grouped column), SQL NULL is a label of its own that sorts first,
 * distinct visitors are exact; labels are built as maintain_dims[] builds
 * them in SQL. Pure: no I/O, no globals; memory is owned by the agg_t and
 * released by agg_free (out-of-memory aborts, as everywhere in the worker).
 * Never: applies the clean/excluded filters (the caller's SELECT does). */
#ifndef ECHELON_API_STATS_AGG_H
#define ECHELON_API_STATS_AGG_H
#include <stddef.h>

/* Group kinds. The dims are named as in `visitor_views_daily_dim.dim`. */
enum agg_kind {
    AGG_MAIN = 0,              /* visitor_views_daily: device, country, is_returning */
    AGG_SITE,                  /* 'site': label "" */
    AGG_PATH,                  /* 'path' */
    AGG_REFERRER,              /* 'referrer': referrer_type, NULL kept */
    AGG_OS,                    /* 'os': os_name, NULL kept */
    AGG_BROWSER,               /* 'browser': "name version" / name / "Unknown" */
    AGG_RESOLUTION,            /* 'resolution': "<w>x<h>", NULL sides as 0 */
    AGG_COUNTRY,               /* 'country': country_code or "unknown" */
    AGG_DEVICE,                /* 'device': device_type or "unknown" */
    AGG_NKINDS
};
/* The `dim` text of a kind (NULL for AGG_MAIN). */
const char *agg_dim_name(int kind);

/* A byte string; s == NULL is SQL NULL. */
typedef struct agg_str {
    const char *s;
    size_t len;
} agg_str_t;

/* One clean, non-excluded `visitor_views` row: the columns the groups need,
 * as MariaDB text (integers as their decimal text). */
typedef struct agg_row {
    long day;                  /* UTC epoch day of created_at */
    agg_str_t site, visitor, path, referrer_type, os_name, browser_name,
        browser_version, screen_width, screen_height, device_type, country_code,
        is_returning;
    long long interaction_ms;  /* <= 0 or NULL (pass 0): not averaged */
} agg_row_t;

/* One group. For AGG_MAIN, part[0..2] = device ("unknown" for NULL),
 * country ("unknown" for NULL), is_returning text; for a dim, part[0] is
 * the label. */
typedef struct agg_group {
    int kind;
    long day;
    agg_str_t site;
    agg_str_t part[3];
    long long views;           /* rows */
    long long visitors;        /* distinct visitor ids of the group */
    long long isum, icnt;      /* sum and count of positive interaction_ms */
} agg_group_t;

typedef struct agg agg_t;

agg_t *agg_new(void);
void agg_free(agg_t *a);

/* Bit of a kind in a kinds mask; every kind. */
#define AGG_BIT(kind) (1u << (kind))
#define AGG_ALL_KINDS (AGG_BIT(AGG_NKINDS) - 1u)
/* Leave the distinct visitors of these kinds uncounted (visitors stays 0)
 * from now on: a reader that never shows them saves a third of the
 * counting. Default: every kind counted (the rollup writes them all). */
void agg_skip_visitors(agg_t *a, unsigned kinds);

/* Count one row into its AGG_MAIN group and every dim group. */
void agg_add_row(agg_t *a, const agg_row_t *row);

/* The groups in first-seen order (a pointer stays valid until the next
 * agg_add_row or agg_tally). */
size_t agg_ngroups(const agg_t *a);
const agg_group_t *agg_group(const agg_t *a, size_t i);
/* The truncated mean of a group's positive interaction_ms, 0 if none
 * (MariaDB's IFNULL(TRUNCATE(AVG(...), 0), 0)). */
long long agg_group_avg(const agg_group_t *g);

/* ---- label tally: merge counts by label, then rank ---- */

/* Add views and visitors under a label of a kind (site and day ignored:
 * one tally per response list). */
void agg_tally(agg_t *a, int kind, agg_str_t label, long long views, long long visitors);
/* The tallied group of kind and label, or NULL if none was tallied. */
const agg_group_t *agg_tallied(const agg_t *a, int kind, agg_str_t label);
/* The tallied groups of a kind ordered by views descending, then label
 * ascending (NULL first, then bytes, a prefix before longer labels); at
 * most max entries. Fills out (caller's array) and returns the count; the
 * pointers stay valid until the next agg_add_row or agg_tally. */
size_t agg_ranked(const agg_t *a, int kind, const agg_group_t **out, size_t max);

/* Three-way byte comparison of labels in that order. */
int agg_str_cmp(agg_str_t x, agg_str_t y);
#endif
