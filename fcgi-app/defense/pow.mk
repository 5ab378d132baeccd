# fcgi-app/defense/pow.mk: sources and unit tests (fragment included by Makefile.am)
# The WebAssembly proof-of-work: hash, emitter, challenges, verification (spec/20 §3, §4).
libechelon_a_SOURCES += fcgi-app/defense/pow.c fcgi-app/defense/pow_wasm.c fcgi-app/defense/pow.h

check_PROGRAMS += tests/unit/test_pow tests/unit/pow_dump
TESTS += tests/unit/test_pow tests/unit/test_pow_wasm.sh
EXTRA_DIST += tests/unit/test_pow_wasm.sh
tests_unit_test_pow_SOURCES = tests/unit/test_pow.c
tests_unit_test_pow_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_pow_LDADD = $(UNIT_LDADD)
# pow_dump prints modules and native hashes for the Node cross-check.
tests_unit_pow_dump_SOURCES = tests/unit/pow_dump.c
tests_unit_pow_dump_CFLAGS = $(UNIT_CFLAGS)
tests_unit_pow_dump_LDADD = $(UNIT_LDADD)

# Microbenchmark, built by `make check` but not run (not in TESTS):
#   make tests/bench/bench_pow && ./tests/bench/bench_pow
check_PROGRAMS += tests/bench/bench_pow
tests_bench_bench_pow_SOURCES = tests/bench/bench_pow.c
tests_bench_bench_pow_CFLAGS = $(UNIT_CFLAGS)
tests_bench_bench_pow_LDADD = $(UNIT_LDADD)
