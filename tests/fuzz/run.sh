#!/bin/sh
# tests/fuzz/run.sh -- build and run the collection fuzzers (libFuzzer).
# usage: tests/fuzz/run.sh [beacon|events] [seconds]   (default: both, 60 s)
# Builds outside automake with clang -fsanitize=fuzzer,address,undefined
# into ${FUZZ_OUT:-/tmp/echelon-fuzz}; crashes land there as crash-* files
# (turn each into a unit test case). Needs clang, json-c, libgcrypt.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
out=${FUZZ_OUT:-/tmp/echelon-fuzz}
secs=${2:-60}
mkdir -p "$out"
CFLAGS="-std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined -I$top/fcgi-app $(pkg-config --cflags json-c)"
LIBS="$(pkg-config --libs json-c) -lgcrypt"
common="$top/fcgi-app/collect/decode.c $top/fcgi-app/collect/referrer.c $top/fcgi-app/collect/ua.c \
 $top/fcgi-app/collect/jsout.c $top/fcgi-app/collect/events.c $top/fcgi-app/collect/anon.c \
 $top/fcgi-app/collect/visitor.c $top/fcgi-app/core/arena.c $top/fcgi-app/core/buf.c"
for f in ${1:-beacon events}; do
    clang $CFLAGS "$top/tests/fuzz/fuzz_$f.c" $common -o "$out/fuzz_$f" $LIBS
    mkdir -p "$out/corpus_$f"
    (cd "$out" && "./fuzz_$f" -max_total_time="$secs" -max_len=16384 "corpus_$f")
done
