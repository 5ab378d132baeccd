# fcgi-app/defense/score.mk: bot scoring, threat feeds, correlator (spec/20 §1, §2, §5-§7).
libechelon_a_SOURCES += fcgi-app/defense/score.c fcgi-app/defense/score.h \
	fcgi-app/defense/feeds.c fcgi-app/defense/feeds.h \
	fcgi-app/defense/iprange.c fcgi-app/defense/iprange.h \
	fcgi-app/defense/correlator.c fcgi-app/defense/correlator.h \
	fcgi-app/defense/defense.c fcgi-app/defense/defense.h

# Unit tests read the feed snapshots from ../shared/data/feeds beside the
# checkout (FEEDS_SNAPSHOT_DIR); tests needing them skip when it is absent.
DEFENSE_TEST_CFLAGS = $(UNIT_CFLAGS) -DFEEDS_SNAPSHOT_DIR='"$(abs_top_srcdir)/../shared/data/feeds"'
check_PROGRAMS += tests/unit/test_score tests/unit/test_feeds tests/unit/test_correlator
TESTS += tests/unit/test_score tests/unit/test_feeds tests/unit/test_correlator
tests_unit_test_score_SOURCES = tests/unit/test_score.c
tests_unit_test_score_CFLAGS = $(DEFENSE_TEST_CFLAGS)
tests_unit_test_score_LDADD = $(UNIT_LDADD)
tests_unit_test_feeds_SOURCES = tests/unit/test_feeds.c
tests_unit_test_feeds_CFLAGS = $(DEFENSE_TEST_CFLAGS)
tests_unit_test_feeds_LDADD = $(UNIT_LDADD)
tests_unit_test_correlator_SOURCES = tests/unit/test_correlator.c
tests_unit_test_correlator_CFLAGS = $(DEFENSE_TEST_CFLAGS)
tests_unit_test_correlator_LDADD = $(UNIT_LDADD)

# Feed-matching microbenchmark: built by `make check`, not run.
#   make tests/bench/bench_feeds && ./tests/bench/bench_feeds
check_PROGRAMS += tests/bench/bench_feeds
tests_bench_bench_feeds_SOURCES = tests/bench/bench_feeds.c
tests_bench_bench_feeds_CFLAGS = $(DEFENSE_TEST_CFLAGS)
tests_bench_bench_feeds_LDADD = $(UNIT_LDADD)
