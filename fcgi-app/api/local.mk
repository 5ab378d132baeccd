# fcgi-app/api: authentication and the management API.
libechelon_a_SOURCES += fcgi-app/api/health.c fcgi-app/api/health.h \
	fcgi-app/api/auth.c fcgi-app/api/auth.h \
	fcgi-app/api/apiutil.c fcgi-app/api/apiutil.h \
	fcgi-app/api/mgmt.h \
	fcgi-app/api/campaigns.c fcgi-app/api/experiments.c fcgi-app/api/bots_admin.c \
	fcgi-app/api/sites.c fcgi-app/api/perf.c fcgi-app/api/debug.c \
	fcgi-app/api/ingest.c fcgi-app/api/misc.c

check_PROGRAMS += tests/unit/test_auth tests/unit/test_api_util
TESTS += tests/unit/test_auth tests/unit/test_api_util
tests_unit_test_auth_SOURCES = tests/unit/test_auth.c
tests_unit_test_auth_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_auth_LDADD = $(UNIT_LDADD)
tests_unit_test_api_util_SOURCES = tests/unit/test_api_util.c
tests_unit_test_api_util_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_api_util_LDADD = $(UNIT_LDADD)

EXTRA_DIST += tests/integration/test_auth.py tests/integration/test_api_mgmt.py \
	tests/integration/test_api_ingest.py
