#!/usr/bin/env bash
# beacon.sh: how much of a bare FastCGI responder's throughput /b.gif keeps.
#
#   tools/echelon-dev up            # a running stack (var/stack.env)
#   tests/bench/beacon.sh [WORKERS] [SECONDS]
#
# Starts its own lighttpd with two ports and WORKERS FastCGI processes each:
# echelon.fcgi (the stack's configuration, MariaDB, Redis and spool) and
# trivial_gif (built here from trivial_gif.c: answers the same GIF and headers,
# does nothing else). Both get the same requests from wrk: valid, stored
# pageview beacons (solved PoW token, distinct session ids, a random IPv6
# client address per request through X-Forwarded-For, so no rate-limit,
# burst or bot-IP rule drops them).
# Runs BENCH_ROUNDS (default 5) rounds; each round, on a quiet box (it waits
# up to 2 minutes for leftovers of earlier runs -- InnoDB flushing, correlator
# sweeps, AOF rewrites -- to finish before each run):
#   the trivial responder's peak req/s
#   /b.gif's peak req/s while the shipper ships into Redis and MariaDB on the
#   same cores: its ratio to the trivial run, rows/s shipped meanwhile, the
#   spool backlog each second (it must not keep growing), time to drain
#   /b.gif's peak req/s with the shipper paused (the hot path alone), its
#   ratio, then the shipping rate alone and the CPU it takes
#   for each run, the CPU each program used (cpushare.py), in cores
# then the median of each figure and ratio over the rounds (one round's
# ratios compare runs a few seconds apart: the box's drift between rounds
# cancels out), p99 latency of /b.gif at half its median peak rate (wrk with
# a per-connection delay), worker RSS, /ea.js size raw and gzipped.
# Figures only: not part of the pass/fail suite. BENCH_WORKER_LOG=FILE keeps
# the workers' stderr; BENCH_CONNECTIONS / BENCH_THREADS tune wrk;
# BENCH_PAIRS (default 10; 0 skips) paired short runs of BENCH_PAIR_SECONDS
# (default 3) measure the hot path's ratio again as a median with quartiles,
# and the workers' CPU per request. BENCH_PROFILE=FILE records a
# system-wide perf profile of round 1's shipping run (BENCH_PROFILE_RUN=hot or trivial: of that run instead).
# BENCH_TRIVIAL_CLOSE=at-once makes the trivial responder end its
# connections as echelon.fcgi does (closing at once instead of stock
# libfcgi's lingering close; trivial_gif.c): the ratio is then the cost of
# the beacon handler alone, with the same FastCGI frame on both sides.
set -uo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
STACK_ENV=${ECHELON_STACK_ENV:-$TOP/var/stack.env}
die() { echo "beacon.sh: $*" >&2; exit 1; }
[ -f "$STACK_ENV" ] || die "no stack: run tools/echelon-dev up first (or set ECHELON_STACK_ENV)"
set -a; . "$STACK_ENV"; set +a
# Addresses come from X-Forwarded-For so each beacon looks like its own visitor.
export ECHELON_TRUST_PROXY=true

WORKERS=${1:-${ECHELON_WORKERS:-4}}
DUR=${2:-10}
CONNS=${BENCH_CONNECTIONS:-32}
THREADS=${BENCH_THREADS:-2}
FCGI=${ECHELON_FCGI:-$TOP/build/echelon.fcgi}
SITE=bench
command -v wrk >/dev/null || die "wrk is not installed (apt-get install wrk)"
command -v lighttpd >/dev/null || die "lighttpd is not installed"
[ -x "$FCGI" ] || die "no $FCGI: build first (tools/echelon-dev up)"

WORK=$(mktemp -d /tmp/echelon-bench.XXXXXX)
LPID=""
HOLD=""
cleanup() {
    # an interrupted run must not leave the shipper paused
    if [ -n "$HOLD" ]; then pkill -P "$HOLD" 2>/dev/null; kill "$HOLD" 2>/dev/null; fi
    if [ -n "$LPID" ] && kill -0 "$LPID" 2>/dev/null; then
        kill "$LPID" 2>/dev/null
        for _ in $(seq 50); do kill -0 "$LPID" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
sql() { MYSQL_PWD="$ECHELON_DB_PASSWORD" mariadb --socket="$ECHELON_DB_SOCKET" -u"$ECHELON_DB_USER" "$ECHELON_DB_NAME" -N -B -e "$1"; }
rows() { sql "SELECT COUNT(*) FROM visitor_views WHERE site_id='$SITE'"; }
# Records spooled and not yet shipped on this host (lines minus shipped positions).
# The interpreter itself, not a version-manager shim (pyenv's run several
# shell scripts per start, which showed up in the runs' CPU).
PY=$(python3 -c 'import sys; print(sys.executable)')
backlog() { "$PY" "$TOP/tests/bench/backlog.py" "$ECHELON_SPOOL_DIR" "$@"; }

gcc -O2 -o "$WORK/trivial_gif" "$TOP/tests/bench/trivial_gif.c" -lfcgi || die "cannot build trivial_gif"

# Requests: 4096 beacons with distinct session ids and tokens valid for the
# challenge window (10 minutes by default: keep runs shorter than that).
python3 - "$TOP/tests/bench" "$ECHELON_SECRET" "$SITE" >"$WORK/urls.lua" <<'PY'
import base64, sys, urllib.parse, uuid
sys.path.insert(0, sys.argv[1])
import powtok
secret, site = sys.argv[2], sys.argv[3]
print("return {")
for i in range(4096):
    sid = str(uuid.uuid4())
    q = urllib.parse.urlencode({"p": base64.b64encode(("/bench-%d" % i).encode()).decode(), "s": site,
                                "_v": "2400", "sid": sid, "sw": "1920", "sh": "1080",
                                "tok": powtok.token(secret, site, sid)})
    print('"/b.gif?%s",' % q)
print("}")
PY
cat >"$WORK/beacon.lua" <<EOF
local paths = dofile("$WORK/urls.lua")
local i = 0
local pause = tonumber(os.getenv("BENCH_DELAY_MS") or "0")
local hdr = {
  ["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
  ["Accept-Language"] = "en-US,en;q=0.9",
  ["Sec-Fetch-Site"] = "same-origin",
  ["Sec-CH-UA"] = '"Chromium";v="131"',
}
function init(args)
  math.randomseed(math.floor(os.clock() * 1000000) + tonumber(tostring({}):match("0x(%x+)") or "0", 16) % 100000)
  i = math.random(1, #paths)
end
function request()
  i = i + 1
  -- random IPv6 (2^64 space): the correlator confirms addresses of this
  -- uniform traffic as bot IPs, so reused addresses would be discarded
  hdr["X-Forwarded-For"] = string.format("fd00:%x:%x:%x::%x", math.random(0, 65535), math.random(0, 65535),
                                         math.random(0, 65535), math.random(1, 65535))
  return wrk.format("GET", paths[(i % #paths) + 1], hdr)
end
if pause > 0 then
  function delay() return pause end
end
EOF

PE=$(free_port); PT=$(free_port)
cat >"$WORK/lighttpd.conf" <<EOF
server.document-root = "$WORK"
server.port = $PE
server.bind = "127.0.0.1"
server.pid-file = "$WORK/lighttpd.pid"
server.errorlog = "$WORK/lighttpd.err"
server.breakagelog = "${BENCH_WORKER_LOG:-$WORK/workers.log}"
server.modules = ( "mod_fastcgi" )
server.max-connections = 2048
server.max-fds = 8192
server.tag = "echelon-bench"
\$SERVER["socket"] == "127.0.0.1:$PE" {
  fastcgi.server = ( "/" => (( "bin-path" => "$FCGI", "socket" => "$WORK/echelon.sock",
    "max-procs" => $WORKERS, "check-local" => "disable" )))
}
\$SERVER["socket"] == "127.0.0.1:$PT" {
  fastcgi.server = ( "/" => (( "bin-path" => "$WORK/trivial_gif", "socket" => "$WORK/trivial.sock",
    "bin-environment" => ( "TRIVIAL_CLOSE" => "${BENCH_TRIVIAL_CLOSE:-lingering}" ),
    "max-procs" => $WORKERS, "check-local" => "disable" )))
}
EOF
lighttpd -f "$WORK/lighttpd.conf" || die "lighttpd did not start: $(cat "$WORK/lighttpd.err" 2>/dev/null)"
for _ in $(seq 100); do [ -s "$WORK/lighttpd.pid" ] && break; sleep 0.1; done
LPID=$(cat "$WORK/lighttpd.pid")
for p in $PE $PT; do
    for _ in $(seq 100); do curl -fsS -o /dev/null "http://127.0.0.1:$p/b.gif" && break; sleep 0.1; done
done
# A beacon from the generated set must be stored, else the figures mean nothing.
# From a fresh address: the correlator confirms the addresses of earlier runs'
# uniform traffic as bot IPs (discarded), so a fixed one would fail later runs.
first=$(sed -n 2p "$WORK/urls.lua" | sed -E 's/^"(.*)",$/\1/')
r0=$(rows)
curl -fsS -o /dev/null -H "X-Forwarded-For: fd01:$(printf '%x:%x:%x' $RANDOM $RANDOM $RANDOM)::1" -H "Accept-Language: en" -H "Sec-Fetch-Site: same-origin" \
    -A "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36" \
    "http://127.0.0.1:$PE$first" || die "the probe beacon failed"
"$TOP/build/echelon-ctl" flush >/dev/null 2>&1
r1=$(rows)
[ "$r1" -gt "$r0" ] || echo "beacon.sh: WARNING: the probe beacon was not stored (rows $r0 -> $r1): figures below measure a path that stores nothing" >&2

wrk_run() {  # PORT SECONDS CONNS [DELAY_MS] -> wrk output (+ CPU per program)
    [ "$2" -ge 4 ] && "$PY" "$TOP/tests/bench/cpushare.py" $(($2 - 2)) 1 >>"$WORK/cpu.txt" &
    BENCH_DELAY_MS=${4:-0} wrk -t"$THREADS" -c"$3" -d"$2"s --latency -s "$WORK/beacon.lua" "http://127.0.0.1:$1/"
}
# The FastCGI processes this lighttpd spawned whose command line names COMM
# (the stack's own workers run the same binary).
workers() { local p; for p in $(pgrep -P "$LPID"); do grep -q "$1" "/proc/$p/cmdline" 2>/dev/null && echo "$p"; done; }
rps() { awk '/^Requests\/sec:/ {print $2}'; }
p99() { awk '$1 == "99%" {print $2}'; }
non2xx() { awk '/Non-2xx/ {print $NF} END {}' | tail -1; }

ROUNDS=${BENCH_ROUNDS:-5}
echo "== /b.gif vs trivial FastCGI GIF: lighttpd, $WORKERS workers each, wrk -t$THREADS -c$CONNS -d${DUR}s, $ROUNDS rounds"
echo "   trivial responder's close: ${BENCH_TRIVIAL_CLOSE:-lingering} (stock libfcgi: lingering; BENCH_TRIVIAL_CLOSE=at-once: as echelon.fcgi)"
echo "   each round, on a quiet box: trivial; /b.gif while shipping; /b.gif with the shipper paused (hot path); drain"
wrk_run "$PT" 2 "$CONNS" >/dev/null; wrk_run "$PE" 2 "$CONNS" >/dev/null      # warm-up
"$TOP/build/echelon-ctl" flush >/dev/null 2>&1
quiet() { "$PY" "$TOP/tests/bench/cpushare.py" --wait-quiet 120 >/dev/null; }
ratio() { python3 -c "import sys; e,t=float(sys.argv[1]),float(sys.argv[2]); print('%.3f' % (e/t if t else 0))" "$1" "$2"; }
cpu_last() { tail -1 "$WORK/cpu.txt" 2>/dev/null; }
: >"$WORK/rounds.txt"
# profile RUN: a system-wide perf profile of round 1's RUN when asked for.
profile() {
    [ -n "${BENCH_PROFILE:-}" ] && [ "$round" = 1 ] && [ "${BENCH_PROFILE_RUN:-shipping}" = "$1" ] || return 0
    ( sleep 1; perf record -a -g -F 499 -o "$BENCH_PROFILE" -- sleep $((DUR - 2)) >/dev/null 2>&1 ) &
}
for round in $(seq "$ROUNDS"); do
    echo "-- round $round"
    quiet
    profile trivial
    out_t=$(wrk_run "$PT" "$DUR" "$CONNS"); T_RPS=$(echo "$out_t" | rps)
    printf '  trivial responder     %8.0f req/s  p99 %s\n' "$T_RPS" "$(echo "$out_t" | p99)"; cpu_last

    quiet
    b0=$(backlog); n0=$(rows)
    backlog "$DUR" >"$WORK/backlog.txt" &
    SAMPLER=$!
    profile shipping
    out_e=$(wrk_run "$PE" "$DUR" "$CONNS"); E_RPS=$(echo "$out_e" | rps)
    wait "$SAMPLER"
    n1=$(rows)
    drained=$(backlog --drain 60)
    printf '  /b.gif, shipping      %8.0f req/s  p99 %s  non-2xx %s  ratio %s\n' "$E_RPS" "$(echo "$out_e" | p99)" \
        "$(echo "$out_e" | non2xx)" "$(ratio "$E_RPS" "$T_RPS")"; cpu_last
    "$PY" - "$n0" "$n1" "$DUR" "$E_RPS" "$drained" "$WORK/backlog.txt" <<'PY'
import sys
n0, n1, dur, rps = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
drained = float(sys.argv[5])
bl = [int(x) for x in open(sys.argv[6]).read().split()]
half = len(bl) // 2
grow = (sum(bl[half:]) / max(1, len(bl) - half)) - (sum(bl[:half]) / max(1, half)) if bl else 0
print("    shipped %.0f rows/s meanwhile; backlog each second: %s" % ((n1 - n0) / dur, " ".join(map(str, bl))))
print("    backlog trend (2nd half - 1st half mean) %+.0f records %s; drained %.1f s after the run"
      % (grow, "(stable)" if grow < rps * 0.5 else "(GROWING: shipping is slower than collection)", drained))
PY

    quiet
    flock -o "$ECHELON_SPOOL_DIR/shipper-run.lock" sleep $((DUR + 1)) &
    HOLD=$!
    sleep 0.3
    profile hot
    out_p=$(wrk_run "$PE" "$DUR" "$CONNS"); P_RPS=$(echo "$out_p" | rps)
    wait "$HOLD"
    printf '  /b.gif, hot path      %8.0f req/s  p99 %s  ratio %s\n' "$P_RPS" "$(echo "$out_p" | p99)" "$(ratio "$P_RPS" "$T_RPS")"
    cpu_last
    # The backlog's fall is the shipping rate (a record leaves it when its
    # batch is committed); a COUNT(*) over millions of bench rows would take
    # most of a second of MariaDB's CPU itself.
    bk=$(backlog)
    "$PY" "$TOP/tests/bench/cpushare.py" 3 0.5 >"$WORK/cpu-drain.txt" &
    secs=$(backlog --drain 120); wait
    S_RPS=$(python3 -c "import sys; print('%.0f' % (float(sys.argv[1]) / max(float(sys.argv[2]), 0.1)))" "$bk" "$secs")
    printf '  then shipping alone: %d records in %s s, %s rows/s, with\n' "$bk" "$secs" "$S_RPS"
    sed 's/^  //' "$WORK/cpu-drain.txt"
    echo "$T_RPS $E_RPS $P_RPS $S_RPS" >>"$WORK/rounds.txt"
done
echo "== summary over $ROUNDS rounds (median; each ratio against the same round's trivial run)"
python3 - "$WORK/rounds.txt" <<'PY'
import statistics, sys
R = [tuple(map(float, l.split())) for l in open(sys.argv[1]) if l.strip()]
med = lambda xs: statistics.median(xs) if xs else 0
t = [r[0] for r in R]; e = [r[1] for r in R]; p = [r[2] for r in R]
re_ = [r[1] / r[0] for r in R if r[0]]; rp = [r[2] / r[0] for r in R if r[0]]
print("  trivial responder   %8.0f req/s  (%s)" % (med(t), " ".join("%.0f" % x for x in t)))
print("  /b.gif, shipping    %8.0f req/s  ratio %.3f  (per round %s)" % (med(e), med(re_), " ".join("%.3f" % x for x in re_)))
print("  /b.gif, hot path    %8.0f req/s  ratio %.3f  (per round %s)  target >= 0.8" % (med(p), med(rp), " ".join("%.3f" % x for x in rp)))
sh = [r[3] for r in R if len(r) > 3]
print("  shipping alone      %8.0f rows/s  (per round %s): %.2f x the hot path's peak beacon rate"
      % (med(sh), " ".join("%.0f" % x for x in sh), med(sh) / med(p) if med(p) else 0))
PY
E_RPS=$(awk '{print $2}' "$WORK/rounds.txt" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')

# Paired hot-path runs: the box's capacity drifts by 10-30 % within a minute
# (a VM's neighbours), so one pair of 10 s runs can land anywhere between
# 0.75 and 1.2. Many short pairs, the order alternating (trivial first, then
# /b.gif first), with the shipper held throughout, give a median with
# quartiles; the workers' own CPU per request (utime + stime of the FastCGI
# processes of this lighttpd) is the steadier figure: what the hot path
# costs beyond the bare responder.
PAIRS=${BENCH_PAIRS:-10}
PSEC=${BENCH_PAIR_SECONDS:-3}
if [ "$PAIRS" -gt 0 ]; then
    echo "== hot path, $PAIRS paired runs of ${PSEC}s (shipper paused; order alternates)"
    worker_ticks() {  # COMM -> utime + stime of this lighttpd's COMM children
        local t=0 p
        for p in $(workers "$1"); do
            t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)))
        done
        echo "$t"
    }
    one() {  # PORT COMM -> "req/s worker-us-per-request"
        local c0 c1 r
        c0=$(worker_ticks "$2")
        r=$(BENCH_DELAY_MS=0 wrk -t"$THREADS" -c"$CONNS" -d"$PSEC"s -s "$WORK/beacon.lua" "http://127.0.0.1:$1/" | rps)
        c1=$(worker_ticks "$2")
        echo "$r $(python3 -c "import os,sys; r=float(sys.argv[1]); print('%.1f' % ((int(sys.argv[3]) - int(sys.argv[2])) * 1e6 / os.sysconf('SC_CLK_TCK') / (r * float(sys.argv[4])) if r else 0))" "$r" "$c0" "$c1" "$PSEC")"
    }
    quiet
    flock -o "$ECHELON_SPOOL_DIR/shipper-run.lock" sleep $((PAIRS * (2 * PSEC + 2) + 10)) >/dev/null 2>&1 &
    HOLD=$!
    sleep 0.3
    : >"$WORK/pairs.txt"
    for k in $(seq "$PAIRS"); do
        if [ $((k % 2)) = 1 ]; then t=$(one "$PT" trivial_gif); e=$(one "$PE" echelon.fcgi)
        else e=$(one "$PE" echelon.fcgi); t=$(one "$PT" trivial_gif); fi
        echo "$t $e" >>"$WORK/pairs.txt"
    done
    kill "$HOLD" 2>/dev/null; pkill -P "$HOLD" 2>/dev/null; wait "$HOLD" 2>/dev/null
    "$PY" - "$WORK/pairs.txt" <<'PY'
import statistics, sys
P = [tuple(map(float, l.split())) for l in open(sys.argv[1]) if l.strip()]
r = sorted(e / t for t, _, e, _ in P if t)
def q(xs, f):
    xs = sorted(xs); k = (len(xs) - 1) * f; i = int(k)
    return xs[i] + (xs[min(i + 1, len(xs) - 1)] - xs[i]) * (k - i) if xs else 0
print("  ratio per pair: %s" % " ".join("%.3f" % (e / t) for t, _, e, _ in P if t))
print("  ratio median %.3f (quartiles %.3f-%.3f)  target >= 0.8" % (q(r, .5), q(r, .25), q(r, .75)))
tc = [c for _, c, _, _ in P]; ec = [c for _, _, _, c in P]
print("  worker CPU per request, median: trivial_gif %.1f us, echelon.fcgi %.1f us (+%.1f us for the hot path)"
      % (statistics.median(tc), statistics.median(ec), statistics.median(ec) - statistics.median(tc)))
PY
    backlog --drain 180 >/dev/null
fi

echo "== p99 at half the peak rate"
HALF=$(python3 -c "print(max(1, int(float('$E_RPS') / 2)))")
C2=16
DELAY=$(python3 -c "print(max(1, round($C2 * 1000.0 / $HALF)))")
out_h=$(wrk_run "$PE" "$DUR" "$C2" "$DELAY")
printf '  target %s req/s (%d connections, %s ms pause): got %.0f req/s, p50 %s, p99 %s\n' "$HALF" "$C2" "$DELAY" \
    "$(echo "$out_h" | rps)" "$(echo "$out_h" | awk '$1 == "50%" {print $2}')" "$(echo "$out_h" | p99)"

echo "== workers and assets"
rss=$(for p in $(workers echelon.fcgi); do awk '/^VmRSS/ {print $2}' "/proc/$p/status"; done | awk '{s += $1; n++; if ($1 > m) m = $1} END {if (n) printf "%d workers, mean %.0f kB, max %d kB", n, s / n, m}')
echo "  echelon.fcgi RSS   $rss"
raw=$(curl -fsS "http://127.0.0.1:$PE/ea.js" | wc -c)
gz=$(curl -fsS "http://127.0.0.1:$PE/ea.js" | gzip -9c | wc -c)
echo "  /ea.js             $raw bytes, $gz bytes gzipped (-9)"
"$TOP/build/echelon-ctl" flush >/dev/null 2>&1
echo "(bench rows are in site '$SITE': DELETE FROM visitor_views WHERE site_id='$SITE' to remove them)"
