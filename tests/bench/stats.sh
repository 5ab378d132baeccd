#!/bin/sh
# stats.sh -- overview/dashboard speed at 2 million pageviews (issue 6).
#
# Loads N pageviews (default 2,000,000) spread over 90 days for site
# bench.example plus 10 % noise on nine other sites, runs maintenance
# (reports the rollup time for the 90 days), then measures the median of
# R requests (default 9) of /api/stats/overview?days=30, ?days=90 and
# /api/stats/dashboard, against the same overview numbers computed with
# plain SQL over the raw rows on the same server, and the overview while
# yesterday is still read raw (before the nightly rollup). Prints figures;
# asserts nothing. DESTROYS the rows of the stack it runs against: use the test
# stack (tools/echelon-dev test --keep, or any private stack).
#
# Environment: ECHELON_URL, ECHELON_SECRET, ECHELON_DB_SOCKET, ECHELON_DB_USER,
# ECHELON_DB_NAME, ECHELON_DB_PASSWORD, ECHELON_CTL (default build/echelon-ctl).
set -eu
N=${N:-2000000}
R=${R:-9}
SITE=bench.example
CTL=${ECHELON_CTL:-$(dirname "$0")/../../build/echelon-ctl}
DB="mariadb --socket=$ECHELON_DB_SOCKET -u${ECHELON_DB_USER:-echelon} ${ECHELON_DB_NAME:-echelon} --batch --skip-column-names"
export MYSQL_PWD="${ECHELON_DB_PASSWORD:-}"

ms() { date +%s%3N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "== loading $N pageviews over 90 days (+10% noise)"
t0=$(ms)
$DB -e "DELETE FROM visitor_views; DELETE FROM semantic_events; DELETE FROM visitor_views_daily;
        DELETE FROM visitor_views_daily_dim; DELETE FROM maintenance_log;"
STEP=250000
off=0
while [ $off -lt $N ]; do
  $DB -e "SET time_zone='+00:00';
  INSERT INTO visitor_views (visitor_id, path, site_id, session_id, interaction_ms, screen_width,
    screen_height, device_type, os_name, browser_name, browser_version, country_code, is_returning,
    referrer, referrer_type, bot_score, created_at)
  SELECT CONCAT('v', LPAD(HEX(FLOOR(s / ($N / 90)) * 100000 + (s * 7919) % 6000), 15, '0')),
         CONCAT('/p/', (s * 31) % 700), '$SITE', NULL,
         IF(s % 10 = 0, 0, 800 + s % 20000), ELT(1 + s % 4, 1920, 390, 1366, 80),
         ELT(1 + s % 4, 1080, 844, 768, 24), ELT(1 + s % 3, 'desktop', 'mobile', 'tablet'),
         ELT(1 + s % 5, 'Windows 10/11', 'macOS 14', 'iOS 17.4', 'Android 14', NULL),
         ELT(1 + s % 4, 'Chrome', 'Safari', 'Firefox', NULL), ELT(1 + s % 3, '131.0.0.0', '17.4', NULL),
         ELT(1 + s % 8, 'NO', 'SE', 'DE', 'US', 'FI', 'DK', 'GB', NULL), s % 2,
         'direct_or_unknown', ELT(1 + s % 4, 'direct_or_unknown', 'search', 'social', 'ai'),
         IF(s % 40 = 0, 70, s % 45),
         DATE_SUB(UTC_TIMESTAMP(3), INTERVAL 90 DAY) + INTERVAL FLOOR(s * (7776000000 / $N)) * 1000 MICROSECOND
    FROM (SELECT seq + $off AS s FROM seq_0_to_$((STEP - 1))) x WHERE s < $N;"
  off=$((off + STEP))
done
NOISE=$((N / 10))
$DB -e "SET time_zone='+00:00';
  INSERT INTO visitor_views (visitor_id, path, site_id, interaction_ms, device_type, country_code,
    referrer_type, bot_score, created_at)
  SELECT CONCAT('n', LPAD(HEX(seq % 50000), 15, '0')), CONCAT('/n/', seq % 100),
         CONCAT('noise-', seq % 9), 1000, 'desktop', 'NO', 'search', seq % 49,
         DATE_SUB(UTC_TIMESTAMP(3), INTERVAL 90 DAY) + INTERVAL FLOOR(seq * (7776000000 / $NOISE)) * 1000 MICROSECOND
    FROM seq_0_to_$((NOISE - 1));"
echo "loaded in $(( ($(ms) - t0) / 1000 )) s: $($DB -e 'SELECT COUNT(*) FROM visitor_views') rows"

echo "== maintenance (catch-up of 90 days + yesterday)"
# The workers' own maintenance job may have rolled up days while they were
# still loading: start from no rollups, so every day is rolled up complete
# and the time below covers all of them (a worker job that runs meanwhile
# holds the same lock, and its days count in the wall time).
$DB -e "DELETE FROM visitor_views_daily; DELETE FROM visitor_views_daily_dim; DELETE FROM maintenance_log;"
t0=$(ms)
rep=$("$CTL" maintain 2>/dev/null)
echo "rollup time: $(( $(ms) - t0 )) ms for $($DB -e "SELECT COUNT(*) FROM maintenance_log WHERE status='complete'") days ($rep)"

api() {
  for i in $(seq "$R"); do
    s=$(ms)
    curl -sf -o /dev/null -H "Authorization: Bearer $ECHELON_SECRET" "$ECHELON_URL$1"
    echo $(( $(ms) - s ))
  done | median
}

# The same overview numbers with plain SQL over the raw rows.
raw_sql() {
  d=$1
  echo "SET time_zone='+00:00';
  SET @c = CONCAT(UTC_DATE() - INTERVAL $d DAY, ' 00:00:00'), @r = CONCAT(UTC_DATE() - INTERVAL LEAST($d, 7) DAY, ' 00:00:00');
  SELECT SUM(n), SUM(u) FROM (SELECT DATE(created_at), COUNT(*) n, COUNT(DISTINCT visitor_id) u FROM visitor_views v
     WHERE site_id='$SITE' AND created_at >= @c AND bot_score BETWEEN 0 AND 49
     AND NOT EXISTS (SELECT 1 FROM excluded_visitors e WHERE e.visitor_id=v.visitor_id) GROUP BY DATE(created_at)) x;
  SELECT IFNULL(device_type,'unknown') d, COUNT(*) FROM visitor_views WHERE site_id='$SITE' AND created_at >= @c AND bot_score BETWEEN 0 AND 49 GROUP BY d;
  SELECT country_code, COUNT(*), COUNT(DISTINCT visitor_id) FROM visitor_views WHERE site_id='$SITE' AND created_at >= @c AND bot_score BETWEEN 0 AND 49 GROUP BY country_code ORDER BY 2 DESC LIMIT 10;
  SELECT DATE(created_at), COUNT(*), COUNT(DISTINCT visitor_id) FROM visitor_views WHERE site_id='$SITE' AND created_at >= @c AND bot_score BETWEEN 0 AND 49 GROUP BY DATE(created_at);
  SELECT path, COUNT(*), COUNT(DISTINCT visitor_id) FROM visitor_views WHERE site_id='$SITE' AND created_at >= @r AND bot_score BETWEEN 0 AND 49 GROUP BY path ORDER BY 2 DESC LIMIT 20;
  SELECT referrer_type, COUNT(*) FROM visitor_views WHERE site_id='$SITE' AND created_at >= @r AND bot_score BETWEEN 0 AND 49 GROUP BY referrer_type;
  SELECT os_name, COUNT(*), COUNT(DISTINCT visitor_id) FROM visitor_views WHERE site_id='$SITE' AND created_at >= @r AND bot_score BETWEEN 0 AND 49 GROUP BY os_name ORDER BY 2 DESC LIMIT 20;
  SELECT CONCAT(browser_name,' ',browser_version), COUNT(*), COUNT(DISTINCT visitor_id) FROM visitor_views WHERE site_id='$SITE' AND created_at >= @r AND bot_score BETWEEN 0 AND 49 GROUP BY 1 ORDER BY 2 DESC LIMIT 20;
  SELECT CONCAT(IFNULL(screen_width,0),'x',IFNULL(screen_height,0)), COUNT(*), COUNT(DISTINCT visitor_id) FROM visitor_views WHERE site_id='$SITE' AND created_at >= @r AND bot_score BETWEEN 0 AND 49 GROUP BY 1 ORDER BY 2 DESC LIMIT 20;"
}
raw() {
  for i in $(seq 3); do
    s=$(ms)
    raw_sql "$1" | $DB >/dev/null
    echo $(( $(ms) - s ))
  done | median
}

echo "== medians (ms)"
o30=$(api "/api/stats/overview?site_id=$SITE&days=30")
o90=$(api "/api/stats/overview?site_id=$SITE&days=90")
dsh=$(api "/api/stats/dashboard?site_id=$SITE")
r30=$(raw 30)
r90=$(raw 90)
echo "overview 30 days: api $o30 ms, plain SQL over raw rows $r30 ms"
echo "overview 90 days: api $o90 ms, plain SQL over raw rows $r90 ms"
echo "dashboard:        api $dsh ms"

# Between 00:00 UTC and yesterday's rollup (the 03:00 run), yesterday is
# counted from its raw rows (decision 6): the overview's slowest daily state.
# A session holds the maintenance lock meanwhile, so the workers' own job
# cannot roll the 'stale' day up in the middle of the measurement.
fifo=$(mktemp -u /tmp/echelon-stats.XXXXXX)
mkfifo "$fifo"
{ echo "SELECT GET_LOCK('echelon_maint', 30);"; cat "$fifo"; } | $DB >/dev/null &
lockpid=$!
exec 9>"$fifo"
sleep 1
$DB -e "UPDATE maintenance_log SET status = 'stale' WHERE date = UTC_DATE() - INTERVAL 1 DAY"
y30=$(api "/api/stats/overview?site_id=$SITE&days=30")
y90=$(api "/api/stats/overview?site_id=$SITE&days=90")
$DB -e "UPDATE maintenance_log SET status = 'complete' WHERE date = UTC_DATE() - INTERVAL 1 DAY"
exec 9>&-                # end of input: the session ends and the lock goes with it
wait "$lockpid" || true
rm -f "$fifo"
echo "overview 30 days, yesterday not yet rolled up: api $y30 ms"
echo "overview 90 days, yesterday not yet rolled up: api $y90 ms"
