# fcgi-app/api/stats.mk: statistics read APIs, bot reads, rollups and
# maintenance (spec/30), with their unit tests. Fragment included by Makefile.am.
libechelon_a_SOURCES += fcgi-app/api/stats_util.c fcgi-app/api/stats_util.h \
	fcgi-app/api/maintain.c fcgi-app/api/maintain.h \
	fcgi-app/api/stats.h fcgi-app/api/stats_int.h fcgi-app/api/stats_common.c \
	fcgi-app/api/stats_agg.c fcgi-app/api/stats_agg.h \
	fcgi-app/api/stats_overview.c fcgi-app/api/stats_live.c fcgi-app/api/stats_reqs.c \
	fcgi-app/api/stats_campaigns.c fcgi-app/api/bots_read.c fcgi-app/api/bots_read.h

check_PROGRAMS += tests/unit/test_stats_util
TESTS += tests/unit/test_stats_util
tests_unit_test_stats_util_SOURCES = tests/unit/test_stats_util.c
tests_unit_test_stats_util_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_stats_util_LDADD = $(UNIT_LDADD)

check_PROGRAMS += tests/unit/test_stats_agg
TESTS += tests/unit/test_stats_agg
tests_unit_test_stats_agg_SOURCES = tests/unit/test_stats_agg.c
tests_unit_test_stats_agg_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_stats_agg_LDADD = $(UNIT_LDADD)
