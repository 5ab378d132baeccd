# fcgi-app/store: MariaDB and Redis clients, migrations, deferred jobs.
libechelon_a_SOURCES += fcgi-app/store/db.c fcgi-app/store/db.h \
	fcgi-app/store/kv.c fcgi-app/store/kv.h \
	fcgi-app/store/jobs.c fcgi-app/store/jobs.h \
	fcgi-app/store/migrate.c fcgi-app/store/migrate.h \
	fcgi-app/store/secret.c fcgi-app/store/secret.h
check_PROGRAMS += tests/unit/test_kv
TESTS += tests/unit/test_kv
tests_unit_test_kv_SOURCES = tests/unit/test_kv.c
tests_unit_test_kv_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_kv_LDADD = $(UNIT_LDADD)
