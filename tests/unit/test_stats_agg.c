/* test_stats_agg: the in-memory daily groups of fcgi-app/api/stats_agg.c
 * against the SQL the rollup used to run (spec/30 §3.4, decision 6): the
 * label rules of every dimension (NULL kept, IFNULL defaults, the browser
 * CASE, the resolution CONCAT), COUNT(DISTINCT) per group and day, the
 * truncated positive-interaction mean, byte-exact labels, and the ranking
 * order of the overview lists. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include "api/stats_agg.h"

static agg_str_t S(const char *s)
{
    return (agg_str_t){ s, s ? strlen(s) : 0 };
}

/* A row with every column set; tests override what they check. */
static agg_row_t row(long day, const char *site, const char *visitor)
{
    agg_row_t r;
    memset(&r, 0, sizeof r);
    r.day = day;
    r.site = S(site);
    r.visitor = S(visitor);
    r.path = S("/");
    r.referrer_type = S("search");
    r.os_name = S("Linux");
    r.browser_name = S("Firefox");
    r.browser_version = S("120.0");
    r.screen_width = S("1920");
    r.screen_height = S("1080");
    r.device_type = S("desktop");
    r.country_code = S("NO");
    r.is_returning = S("0");
    r.interaction_ms = 1000;
    return r;
}

static const agg_group_t *find(const agg_t *a, int kind, long day, const char *site,
                               const char *label)
{
    for (size_t i = 0; i < agg_ngroups(a); i++) {
        const agg_group_t *g = agg_group(a, i);
        if (g->kind != kind || g->day != day || strcmp(g->site.s, site) != 0) continue;
        if (!label ? !g->part[0].s : (g->part[0].s && strcmp(g->part[0].s, label) == 0)) return g;
    }
    return NULL;
}

static size_t count_kind(const agg_t *a, int kind)
{
    size_t n = 0;
    for (size_t i = 0; i < agg_ngroups(a); i++) n += agg_group(a, i)->kind == kind;
    return n;
}

static void labels_follow_the_rollup_sql(void **state)
{
    (void)state;
    agg_t *a = agg_new();
    agg_row_t r = row(100, "s", "v1");
    agg_add_row(a, &r);
    r = row(100, "s", "v2");      /* NULLs: defaults and NULL labels */
    r.referrer_type = S(NULL);
    r.os_name = S(NULL);
    r.browser_version = S(NULL);
    r.screen_width = S(NULL);
    r.screen_height = S("24");
    r.device_type = S(NULL);
    r.country_code = S(NULL);
    agg_add_row(a, &r);
    r = row(100, "s", "v3");
    r.browser_name = S(NULL);
    r.screen_height = S(NULL);
    r.screen_width = S("-5");
    agg_add_row(a, &r);

    assert_non_null(find(a, AGG_BROWSER, 100, "s", "Firefox 120.0"));
    assert_non_null(find(a, AGG_BROWSER, 100, "s", "Firefox"));
    assert_non_null(find(a, AGG_BROWSER, 100, "s", "Unknown"));
    assert_non_null(find(a, AGG_RESOLUTION, 100, "s", "1920x1080"));
    assert_non_null(find(a, AGG_RESOLUTION, 100, "s", "0x24"));
    assert_non_null(find(a, AGG_RESOLUTION, 100, "s", "-5x0"));
    assert_non_null(find(a, AGG_REFERRER, 100, "s", NULL));
    assert_non_null(find(a, AGG_OS, 100, "s", NULL));
    assert_null(find(a, AGG_OS, 100, "s", "Unknown"));
    assert_non_null(find(a, AGG_DEVICE, 100, "s", "unknown"));
    assert_non_null(find(a, AGG_COUNTRY, 100, "s", "unknown"));
    const agg_group_t *site = find(a, AGG_SITE, 100, "s", "");
    assert_non_null(site);
    assert_int_equal(site->views, 3);
    assert_int_equal(site->visitors, 3);
    /* main groups: (desktop, NO, 0) x2 and (unknown, unknown, 0) */
    assert_int_equal(count_kind(a, AGG_MAIN), 2);
    int seen = 0;
    for (size_t i = 0; i < agg_ngroups(a); i++) {
        const agg_group_t *g = agg_group(a, i);
        if (g->kind != AGG_MAIN) continue;
        if (strcmp(g->part[0].s, "unknown") == 0) {
            assert_string_equal(g->part[1].s, "unknown");
            assert_int_equal(g->views, 1);
            seen |= 1;
        } else {
            assert_string_equal(g->part[0].s, "desktop");
            assert_string_equal(g->part[1].s, "NO");
            assert_string_equal(g->part[2].s, "0");
            assert_int_equal(g->views, 2);
            seen |= 2;
        }
    }
    assert_int_equal(seen, 3);
    assert_string_equal(agg_dim_name(AGG_RESOLUTION), "resolution");
    assert_null(agg_dim_name(AGG_MAIN));
    agg_free(a);
}

/* "unknown" stored literally and NULL land in one device/country group
 * (IFNULL), but a literal "Unknown" OS and a NULL OS stay apart. */
static void ifnull_merges_but_null_labels_do_not(void **state)
{
    (void)state;
    agg_t *a = agg_new();
    agg_row_t r = row(5, "s", "v1");
    r.device_type = S("unknown");
    r.os_name = S("Unknown");
    agg_add_row(a, &r);
    r = row(5, "s", "v2");
    r.device_type = S(NULL);
    r.os_name = S(NULL);
    agg_add_row(a, &r);
    assert_int_equal(find(a, AGG_DEVICE, 5, "s", "unknown")->views, 2);
    assert_int_equal(count_kind(a, AGG_OS), 2);
    assert_int_equal(find(a, AGG_OS, 5, "s", "Unknown")->views, 1);
    assert_int_equal(find(a, AGG_OS, 5, "s", NULL)->views, 1);
    agg_free(a);
}

static void distinct_visitors_per_group_and_day(void **state)
{
    (void)state;
    agg_t *a = agg_new();
    const char *vis[] = { "a", "b", "a", "a", "c", "b" };
    for (size_t i = 0; i < 6; i++) {
        agg_row_t r = row(7, "s", vis[i]);
        r.path = S(i < 4 ? "/x" : "/y");
        r.is_returning = S(i % 2 ? "1" : "0");
        agg_add_row(a, &r);
    }
    agg_row_t r = row(8, "s", "a");        /* next day: counted again */
    r.path = S("/x");
    agg_add_row(a, &r);
    r = row(7, "t", "a");                  /* other site */
    r.path = S("/x");
    agg_add_row(a, &r);
    char site_copy[] = "s";                /* the same site in another buffer */
    r = row(7, site_copy, "c");
    r.path = S("/y");
    agg_add_row(a, &r);
    site_copy[0] = 'u';                    /* groups keep their own copy */
    r = row(7, "s", NULL);                 /* COUNT(DISTINCT) skips NULL */
    r.path = S("/x");
    agg_add_row(a, &r);

    const agg_group_t *g = find(a, AGG_PATH, 7, "s", "/x");
    assert_int_equal(g->views, 5);
    assert_int_equal(g->visitors, 2);      /* a, b */
    g = find(a, AGG_PATH, 7, "s", "/y");
    assert_int_equal(g->views, 3);
    assert_int_equal(g->visitors, 2);      /* c, b */
    assert_int_equal(find(a, AGG_SITE, 7, "s", "")->visitors, 3);
    assert_int_equal(find(a, AGG_SITE, 7, "s", "")->views, 8);
    assert_null(find(a, AGG_SITE, 7, "u", ""));
    assert_int_equal(find(a, AGG_PATH, 8, "s", "/x")->visitors, 1);
    assert_int_equal(find(a, AGG_PATH, 7, "t", "/x")->visitors, 1);
    /* is_returning splits the main groups: a visitor in both counts in both */
    long long uv = 0;
    for (size_t i = 0; i < agg_ngroups(a); i++) {
        const agg_group_t *x = agg_group(a, i);
        if (x->kind == AGG_MAIN && x->day == 7 && strcmp(x->site.s, "s") == 0) uv += x->visitors;
    }
    assert_int_equal(uv, 4);               /* returning 0: a, c (NULL skipped); 1: a, b */
    agg_free(a);
}

static void average_is_truncated_mean_of_positive_values(void **state)
{
    (void)state;
    agg_t *a = agg_new();
    long long ms[] = { 1000, 0, 2001, -3, 2000 };
    for (size_t i = 0; i < 5; i++) {
        agg_row_t r = row(1, "s", "v");
        r.interaction_ms = ms[i];
        agg_add_row(a, &r);
    }
    const agg_group_t *g = NULL;
    for (size_t i = 0; i < agg_ngroups(a); i++)
        if (agg_group(a, i)->kind == AGG_MAIN) g = agg_group(a, i);
    assert_non_null(g);
    assert_int_equal(g->views, 5);
    assert_int_equal(g->icnt, 3);
    assert_int_equal(agg_group_avg(g), 1667);   /* 5001 / 3 = 1667.0, truncated */
    agg_free(a);

    a = agg_new();
    agg_row_t r = row(1, "s", "v");
    r.interaction_ms = 0;
    agg_add_row(a, &r);
    for (size_t i = 0; i < agg_ngroups(a); i++)
        if (agg_group(a, i)->kind == AGG_MAIN) assert_int_equal(agg_group_avg(agg_group(a, i)), 0);
    agg_free(a);
}

/* Labels compare byte for byte: case, trailing spaces and embedded bytes
 * all make different groups (utf8mb4_nopad_bin). */
static void labels_are_exact_bytes(void **state)
{
    (void)state;
    agg_t *a = agg_new();
    const char *paths[] = { "/About", "/about", "/about ", "/about" };
    for (size_t i = 0; i < 4; i++) {
        agg_row_t r = row(1, "s", "v");
        r.path = S(paths[i]);
        agg_add_row(a, &r);
    }
    agg_row_t r = row(1, "s", "v");
    r.path = (agg_str_t){ "/a\0b", 4 };
    agg_add_row(a, &r);
    r.path = (agg_str_t){ "/a\0c", 4 };
    agg_add_row(a, &r);
    assert_int_equal(count_kind(a, AGG_PATH), 5);
    assert_int_equal(find(a, AGG_PATH, 1, "s", "/about")->views, 2);
    agg_free(a);
}

static void tally_merges_and_ranks(void **state)
{
    (void)state;
    agg_t *t = agg_new();
    agg_tally(t, AGG_PATH, S("/b"), 5, 2);
    agg_tally(t, AGG_PATH, S("/a"), 3, 1);
    agg_tally(t, AGG_PATH, S("/b"), 1, 1);     /* merged: 6, 3 */
    agg_tally(t, AGG_PATH, S("/c"), 6, 6);
    agg_tally(t, AGG_PATH, S(NULL), 6, 1);     /* NULL sorts first among equals */
    agg_tally(t, AGG_PATH, S("/ab"), 3, 3);    /* "/a" before "/ab" */
    agg_tally(t, AGG_OS, S("/a"), 100, 1);     /* another list */
    const agg_group_t *g[8];
    size_t n = agg_ranked(t, AGG_PATH, g, 8);
    assert_int_equal(n, 5);
    assert_null(g[0]->part[0].s);
    assert_string_equal(g[1]->part[0].s, "/b");
    assert_int_equal(g[1]->views, 6);
    assert_int_equal(g[1]->visitors, 3);
    assert_string_equal(g[2]->part[0].s, "/c");
    assert_string_equal(g[3]->part[0].s, "/a");
    assert_string_equal(g[4]->part[0].s, "/ab");
    assert_int_equal(agg_ranked(t, AGG_PATH, g, 2), 2);
    assert_null(g[0]->part[0].s);
    assert_int_equal(agg_ranked(t, AGG_OS, g, 8), 1);
    assert_int_equal(agg_ranked(t, AGG_BROWSER, g, 8), 0);
    assert_int_equal(agg_tallied(t, AGG_PATH, S("/b"))->visitors, 3);
    assert_non_null(agg_tallied(t, AGG_PATH, S(NULL)));
    assert_null(agg_tallied(t, AGG_PATH, S("/zz")));
    assert_null(agg_tallied(t, AGG_BROWSER, S("/b")));
    agg_free(t);
    t = agg_new();
    assert_null(agg_tallied(t, AGG_PATH, S("/b")));
    agg_row_t r = row(0, "", "v");             /* row groups are not tallies */
    r.path = S("/b");
    agg_add_row(t, &r);
    assert_null(agg_tallied(t, AGG_PATH, S("/b")));
    agg_free(t);
}

static void str_cmp_orders_like_binary_collation(void **state)
{
    (void)state;
    assert_true(agg_str_cmp(S(NULL), S("")) < 0);
    assert_true(agg_str_cmp(S(""), S(NULL)) > 0);
    assert_int_equal(agg_str_cmp(S(NULL), S(NULL)), 0);
    assert_true(agg_str_cmp(S("a"), S("a ")) < 0);
    assert_true(agg_str_cmp(S("B"), S("a")) < 0);
    assert_true(agg_str_cmp(S("\xc3\xa9"), S("z")) > 0);    /* bytes above ASCII sort last */
    assert_int_equal(agg_str_cmp(S("x"), S("x")), 0);
}

/* Many rows and groups: the tables grow without losing a count. */
static void grows_without_losing_counts(void **state)
{
    (void)state;
    agg_t *a = agg_new();
    char v[32], p[32];
    for (int i = 0; i < 60000; i++) {
        snprintf(v, sizeof v, "%016x", i % 7919);
        snprintf(p, sizeof p, "/p/%d", i % 3001);
        agg_row_t r = row(i % 3, "s", v);
        r.path = S(p);
        agg_add_row(a, &r);
    }
    long long views = 0, vis = 0;
    size_t paths = 0;
    for (size_t i = 0; i < agg_ngroups(a); i++) {
        const agg_group_t *g = agg_group(a, i);
        if (g->kind == AGG_SITE) {
            views += g->views;
            vis += g->visitors;
        }
        paths += g->kind == AGG_PATH;
    }
    assert_int_equal(views, 60000);
    assert_int_equal(vis, 3 * 7919);       /* 7919 and 3 are coprime: all visitors each day */
    assert_int_equal(paths, 3 * 3001);
    agg_free(a);
}

/* A visitor coming back to a group after other groups of the same kind
 * (A, B, A) is still one visitor of A; interleaved visitors too. */
static void returning_to_a_group_counts_once(void **state)
{
    (void)state;
    agg_t *a = agg_new();
    const char *paths[] = { "/a", "/b", "/a", "/b", "/c", "/a" };
    const char *vis[] = { "v1", "v1", "v1", "v2", "v1", "v2" };
    for (size_t i = 0; i < 6; i++) {
        agg_row_t r = row(3, "s", vis[i]);
        r.path = S(paths[i]);
        r.os_name = S(i % 2 ? "Linux" : "Mac");    /* Mac: v1 only */
        agg_add_row(a, &r);
    }
    assert_int_equal(find(a, AGG_PATH, 3, "s", "/a")->visitors, 2);
    assert_int_equal(find(a, AGG_PATH, 3, "s", "/a")->views, 3);
    assert_int_equal(find(a, AGG_PATH, 3, "s", "/b")->visitors, 2);
    assert_int_equal(find(a, AGG_PATH, 3, "s", "/c")->visitors, 1);
    assert_int_equal(find(a, AGG_OS, 3, "s", "Mac")->visitors, 1);
    assert_int_equal(find(a, AGG_OS, 3, "s", "Linux")->visitors, 2);
    assert_int_equal(find(a, AGG_SITE, 3, "s", "")->visitors, 2);
    agg_free(a);
}

/* Skipped kinds keep their views and averages but count no visitors; the
 * others are unaffected. */
static void skipped_kinds_count_views_only(void **state)
{
    (void)state;
    agg_t *a = agg_new();
    agg_skip_visitors(a, AGG_BIT(AGG_MAIN) | AGG_BIT(AGG_DEVICE) | AGG_BIT(AGG_REFERRER));
    const char *vis[] = { "v1", "v2", "v1" };
    for (size_t i = 0; i < 3; i++) {
        agg_row_t r = row(4, "s", vis[i]);
        agg_add_row(a, &r);
    }
    assert_int_equal(find(a, AGG_DEVICE, 4, "s", "desktop")->views, 3);
    assert_int_equal(find(a, AGG_DEVICE, 4, "s", "desktop")->visitors, 0);
    assert_int_equal(find(a, AGG_REFERRER, 4, "s", "search")->visitors, 0);
    assert_int_equal(find(a, AGG_COUNTRY, 4, "s", "NO")->visitors, 2);
    assert_int_equal(find(a, AGG_PATH, 4, "s", "/")->visitors, 2);
    assert_int_equal(find(a, AGG_SITE, 4, "s", "")->visitors, 2);
    for (size_t i = 0; i < agg_ngroups(a); i++) {
        const agg_group_t *g = agg_group(a, i);
        if (g->kind != AGG_MAIN) continue;
        assert_int_equal(g->views, 3);
        assert_int_equal(g->visitors, 0);
        assert_int_equal(agg_group_avg(g), 1000);
    }
    agg_free(a);
    a = agg_new();                         /* every kind skipped: no visitor table */
    agg_skip_visitors(a, AGG_ALL_KINDS);
    agg_row_t r = row(4, "s", "v1");
    agg_add_row(a, &r);
    assert_int_equal(find(a, AGG_SITE, 4, "s", "")->views, 1);
    assert_int_equal(find(a, AGG_SITE, 4, "s", "")->visitors, 0);
    agg_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(labels_follow_the_rollup_sql),
        cmocka_unit_test(ifnull_merges_but_null_labels_do_not),
        cmocka_unit_test(distinct_visitors_per_group_and_day),
        cmocka_unit_test(average_is_truncated_mean_of_positive_values),
        cmocka_unit_test(labels_are_exact_bytes),
        cmocka_unit_test(tally_merges_and_ranks),
        cmocka_unit_test(str_cmp_orders_like_binary_collation),
        cmocka_unit_test(grows_without_losing_counts),
        cmocka_unit_test(returning_to_a_group_counts_once),
        cmocka_unit_test(skipped_kinds_count_views_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
