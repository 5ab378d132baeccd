# fcgi-app/core: request/response, router, config, logging, allocation.
libechelon_a_SOURCES += fcgi-app/core/arena.c fcgi-app/core/arena.h \
	fcgi-app/core/buf.c fcgi-app/core/buf.h \
	fcgi-app/core/config.c fcgi-app/core/config.h \
	fcgi-app/core/cors.c fcgi-app/core/cors.h \
	fcgi-app/core/http.c fcgi-app/core/http.h \
	fcgi-app/core/log.c fcgi-app/core/log.h fcgi-app/core/memo.h \
	fcgi-app/core/router.c fcgi-app/core/router.h

check_PROGRAMS += tests/unit/test_core
TESTS += tests/unit/test_core
tests_unit_test_core_SOURCES = tests/unit/test_core.c
tests_unit_test_core_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_core_LDADD = $(UNIT_LDADD)
