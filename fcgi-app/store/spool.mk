# fcgi-app/store/spool.mk: the spool (per-worker segment files) and its shipper.
libechelon_a_SOURCES += fcgi-app/store/spool.c fcgi-app/store/spool.h \
	fcgi-app/store/shipper.c fcgi-app/store/shipper.h
check_PROGRAMS += tests/unit/test_spool
TESTS += tests/unit/test_spool
tests_unit_test_spool_SOURCES = tests/unit/test_spool.c
tests_unit_test_spool_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_spool_LDADD = $(UNIT_LDADD)
