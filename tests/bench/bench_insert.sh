#!/usr/bin/env bash
# bench_insert.sh: MariaDB's CPU per visitor_views row by insert form: the
# shipper's 50-row statements against array-bound bulk execution, and random
# against time-ordered record ids (collect/record.c makes ordered ones).
#   tools/echelon-dev up && tests/bench/bench_insert.sh [ROWS] [REPEATS]
# By default into a scratch copy of visitor_views (same columns and indexes,
# dropped afterwards). BENCH_TABLE=visitor_views inserts into the stack's
# own table instead (its size is what makes record ids matter; the rows, of
# site 'bench-insert', are deleted afterwards). Runs alternate REPEATS times
# (default 3). Nothing else should run meanwhile: the figure is mariadbd's
# whole CPU (bench_insert.c). Figures only, not a test.
set -euo pipefail
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
set -a; . "${ECHELON_STACK_ENV:-$TOP/var/stack.env}"; set +a
ROWS=${1:-40000}
REPEATS=${2:-3}
W=$(mktemp -d /tmp/echelon-bi.XXXXXX)
T=${BENCH_TABLE:-bench_insert_vv}
sql() { MYSQL_PWD="$ECHELON_DB_PASSWORD" mariadb --socket="$ECHELON_DB_SOCKET" -u"$ECHELON_DB_USER" "$ECHELON_DB_NAME" -e "$1"; }
cleanup() {
    if [ "$T" = bench_insert_vv ]; then sql "DROP TABLE IF EXISTS $T" || true
    else sql "DELETE FROM \`$T\` WHERE site_id = 'bench-insert'" || true; fi
    rm -rf "$W"
}
trap cleanup EXIT
gcc -O2 -o "$W/bench_insert" "$TOP/tests/bench/bench_insert.c" $(mariadb_config --cflags --libs)
PID=$(cat "${ECHELON_VAR:-$TOP/var}/mariadb.pid")
[ "$T" = bench_insert_vv ] && sql "DROP TABLE IF EXISTS $T; CREATE TABLE $T LIKE visitor_views"
echo "== $ROWS rows per run, 500 per transaction, into $T ($(sql "SELECT COUNT(*) FROM \`$T\`" | tail -1) rows)"
for _ in $(seq "$REPEATS"); do
    for mode in multi50 bulk500; do printf 'random ids  '; "$W/bench_insert" "$PID" "$T" "$mode" "$ROWS"; done
    printf 'ordered ids '; BENCH_IDS=ordered "$W/bench_insert" "$PID" "$T" multi50 "$ROWS"
done
