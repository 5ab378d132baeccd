#!/usr/bin/env bash
# bench_insert.sh: MariaDB's CPU per visitor_views row, 50-row statements
# (what the shipper sends) against array-bound bulk execution.
#   tools/echelon-dev up && tests/bench/bench_insert.sh [ROWS] [REPEATS]
# Runs against a scratch copy of visitor_views (same columns and indexes,
# dropped afterwards) in the stack's database, the modes alternating
# REPEATS times (default 3). Nothing else should run meanwhile: the figure
# is mariadbd's whole CPU (bench_insert.c). Figures only, not a test.
set -euo pipefail
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
set -a; . "${ECHELON_STACK_ENV:-$TOP/var/stack.env}"; set +a
ROWS=${1:-40000}
REPEATS=${2:-3}
W=$(mktemp -d /tmp/echelon-bi.XXXXXX)
T=bench_insert_vv
sql() { MYSQL_PWD="$ECHELON_DB_PASSWORD" mariadb --socket="$ECHELON_DB_SOCKET" -u"$ECHELON_DB_USER" "$ECHELON_DB_NAME" -e "$1"; }
trap 'sql "DROP TABLE IF EXISTS $T" || true; rm -rf "$W"' EXIT
gcc -O2 -o "$W/bench_insert" "$TOP/tests/bench/bench_insert.c" $(mariadb_config --cflags --libs)
PID=$(cat "${ECHELON_VAR:-$TOP/var}/mariadb.pid")
sql "DROP TABLE IF EXISTS $T; CREATE TABLE $T LIKE visitor_views"
echo "== $ROWS rows per run, 500 per transaction, into a copy of visitor_views"
for _ in $(seq "$REPEATS"); do
    for mode in multi50 bulk500; do "$W/bench_insert" "$PID" "$T" "$mode" "$ROWS"; done
done
