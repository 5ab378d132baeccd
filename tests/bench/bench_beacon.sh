#!/usr/bin/env bash
# bench_beacon.sh: instructions and microseconds per /b.gif in-process.
#   tools/echelon-dev up && tests/bench/bench_beacon.sh [N]
# Needs the stack only for the day's visitor key (Redis) and the secret.
# BENCH_PERF=FILE: also a perf profile of 50,000 warm beacons (a cold-cache
# run's profile is mostly the loop that chills the caches); BENCH_KEEP=FILE
# keeps the callgrind output; BENCH_CG_OPTS adds callgrind options (e.g.
# --toggle-collect=dispatch to count only the beacons).
set -euo pipefail
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
set -a; . "${ECHELON_STACK_ENV:-$TOP/var/stack.env}"; set +a
export ECHELON_TRUST_PROXY=true
N=${1:-20000}
W=$(mktemp -d /tmp/echelon-bb.XXXXXX)
trap '[ -n "${BENCH_KEEP:-}" ] && cp "$W/cg.out" "$BENCH_KEEP" 2>/dev/null; rm -rf "$W"' EXIT
B="$TOP/build"
gcc -O2 -std=gnu11 -I"$TOP/fcgi-app" -I"$B/fcgi-app" $(pkg-config --cflags json-c libmariadb hiredis) \
    "$TOP/tests/bench/bench_beacon.c" "$TOP/fcgi-app/routes.c" "$TOP/fcgi-app/dispatch_hooks.c" \
    -o "$W/bench" "$B/libechelon.a" -lfcgi $(pkg-config --libs libmariadb json-c hiredis libpcre2-8 libmaxminddb) -lgcrypt -lm
python3 - "$TOP/tests/bench" "$ECHELON_SECRET" bench-inproc > "$W/uris.txt" <<'PY'
import base64, sys, urllib.parse, uuid
sys.path.insert(0, sys.argv[1])
import powtok
secret, site = sys.argv[2], sys.argv[3]
for i in range(4096):
    sid = str(uuid.uuid4())
    q = urllib.parse.urlencode({"p": base64.b64encode(("/bench-%d" % i).encode()).decode(), "s": site,
                                "_v": "2400", "sid": sid, "sw": "1920", "sh": "1080",
                                "tok": powtok.token(secret, site, sid)})
    print("/b.gif?%s" % q)
PY
mkdir -p "$W/spool"
export ECHELON_SPOOL_DIR="$W/spool"
"$W/bench" "$W/uris.txt" "$N" 2>&1 | tail -1
for mb in ${BENCH_COLD_MB:-2 64}; do BENCH_COLD=$mb "$W/bench" "$W/uris.txt" 5000 2>&1 | tail -1; done
[ -n "${BENCH_PERF:-}" ] && perf record -F 5000 -o "$BENCH_PERF" "$W/bench" "$W/uris.txt" 50000 >/dev/null 2>&1
if command -v valgrind >/dev/null; then
    valgrind --tool=callgrind --callgrind-out-file="$W/cg.out" ${BENCH_CG_OPTS:-} "$W/bench" "$W/uris.txt" 2000 >/dev/null 2>&1
    # awk exits at the first match: the pipe's SIGPIPE must not end the script.
    total=$(callgrind_annotate --inclusive=yes "$W/cg.out" 2>/dev/null | awk '/:dispatch /{gsub(",","",$1); print $1}' | head -1 || true)
    echo "instructions per beacon (dispatch, callgrind): $((total / 2000))"
fi
