# fcgi-app/collect: /b.gif and /e (spec/10 §2, §5–§8), except tracker.c
# (listed by fcgi-app/assets/local.mk with the tracker it serves).
libechelon_a_SOURCES += \
	fcgi-app/collect/decode.c fcgi-app/collect/decode.h \
	fcgi-app/collect/referrer.c fcgi-app/collect/referrer.h \
	fcgi-app/collect/ua.c fcgi-app/collect/ua.h \
	fcgi-app/collect/visitor.c fcgi-app/collect/visitor.h \
	fcgi-app/collect/jsout.c fcgi-app/collect/jsout.h \
	fcgi-app/collect/anon.c fcgi-app/collect/anon.h \
	fcgi-app/collect/events.c fcgi-app/collect/events.h \
	fcgi-app/collect/beacon.c fcgi-app/collect/beacon.h \
	fcgi-app/collect/geo.c fcgi-app/collect/geo.h \
	fcgi-app/collect/cache.c fcgi-app/collect/cache.h \
	fcgi-app/collect/record.c fcgi-app/collect/record.h \
	fcgi-app/collect/ship.c fcgi-app/collect/ship.h \
	fcgi-app/collect/handlers.c fcgi-app/collect/collect.h \
	fcgi-app/collect/live_keys.h

COLLECT_UNIT_TESTS = tests/unit/test_collect_decode tests/unit/test_collect_classify \
	tests/unit/test_collect_visitor tests/unit/test_collect_anon \
	tests/unit/test_collect_events tests/unit/test_collect_record
check_PROGRAMS += $(COLLECT_UNIT_TESTS)
TESTS += $(COLLECT_UNIT_TESTS)
tests_unit_test_collect_decode_SOURCES = tests/unit/test_collect_decode.c
tests_unit_test_collect_decode_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_collect_decode_LDADD = $(UNIT_LDADD)
tests_unit_test_collect_classify_SOURCES = tests/unit/test_collect_classify.c
tests_unit_test_collect_classify_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_collect_classify_LDADD = $(UNIT_LDADD)
tests_unit_test_collect_visitor_SOURCES = tests/unit/test_collect_visitor.c
tests_unit_test_collect_visitor_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_collect_visitor_LDADD = $(UNIT_LDADD)
tests_unit_test_collect_anon_SOURCES = tests/unit/test_collect_anon.c
tests_unit_test_collect_anon_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_collect_anon_LDADD = $(UNIT_LDADD)
tests_unit_test_collect_events_SOURCES = tests/unit/test_collect_events.c
tests_unit_test_collect_events_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_collect_events_LDADD = $(UNIT_LDADD)
tests_unit_test_collect_record_SOURCES = tests/unit/test_collect_record.c
tests_unit_test_collect_record_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_collect_record_LDADD = $(UNIT_LDADD)

EXTRA_DIST += tests/fuzz/fuzz_beacon.c tests/fuzz/fuzz_events.c tests/fuzz/run.sh
