"""Bot defense through the real stack (spec/20 §1, §5-§7, §9).

Beacons carry a solved PoW token (tests/bench/powtok.py) and a trusted
X-Forwarded-For (the test stack runs with ECHELON_TRUST_PROXY=true), so each
one is stored with exactly the points its own request shows. Then:
threat-feed signals (crawler UA, AI UA, AWS and DigitalOcean addresses), the
burst penalty on the 16th beacon, the known-bot side effect on any route, the
correlator flagging eight addresses that share one fingerprint, its feedback
into scoring, and the §9.5 correlator rows on rows written directly to
MariaDB with prints written to Redis in the shipper's format.
"""
import base64
import hashlib
import hmac
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench"))
import powtok  # noqa: E402
from lib import T, BUILD, TOP  # noqa: E402

t = T(__file__)
RUN = uuid.uuid4().hex[:8]
PFX = "ech:"
CHROME = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/139.0.0.0 Safari/537.36")
AL = "en-US,en;q=0.9"
FP = "Linux|Chrome|139.0.0.0|1920x1080|US|en-US,en;q=0.9"


def rand_ip(first=203):
    # Private space: a random public address can fall in a cloud range and
    # pick up datacenter points the test did not ask for.
    return "10.%d.%d.%d" % (first % 256, random.randrange(0, 250), random.randrange(1, 250))


def headers(ip, ua=CHROME, **extra):
    h = {"User-Agent": ua, "Accept-Language": AL, "Sec-Fetch-Site": "cross-site",
         "Sec-CH-UA": '"Chromium";v="139"', "X-Forwarded-For": ip}
    h.update(extra)
    return h


def beacon(site, path, ip, ua=CHROME, sw="1920", sh="1080", tok=True, **extra):
    sid = str(uuid.uuid4())
    q = {"p": base64.b64encode(path.encode()).decode(), "s": site, "_v": "2400", "sid": sid,
         "sw": sw, "sh": sh}
    if tok:
        q["tok"] = powtok.token(t.secret, site, sid)
    return t.get("/b.gif?" + urllib.parse.urlencode(q), headers=headers(ip, ua, **extra))


def view(site, path):
    """(bot_score, detail dict) of the stored view, or None."""
    rows = t.sql("SELECT bot_score, bot_score_detail FROM visitor_views WHERE site_id='%s' AND path='%s'"
                 % (site, path))
    if not rows:
        return None
    d = rows[0][1]
    return int(rows[0][0]), (json.loads(d) if d else None)


def ip_hash(ip):
    day = time.strftime("%Y-%m-%d", time.gmtime())
    k = t.redis("GET", PFX + "iphash-key:" + day)
    key = bytes.fromhex(k) if len(k) == 64 else k.encode("latin-1")
    return hmac.new(key, ip.encode(), hashlib.sha256).hexdigest()


# ------------------------------------------------------------ request-time signals

def test_feed_signals():
    site = "feeds-" + RUN
    cases = [
        ("/crawler", "SeznamBot/3.2 (+http://napoveda.seznam.cz/en/seznambot-intro/)", rand_ip(),
         {"crawler_feed": 30}, 30),
        ("/ai", "Mozilla/5.0 (compatible; Andibot/1.0)", rand_ip(), {"ai_crawler_feed": 40}, 40),
        ("/aws", CHROME, "3.5.140.%d" % random.randrange(1, 250), {"datacenter_ip": 15}, 15),
        ("/do", CHROME, "5.101.96.%d" % random.randrange(1, 250), {"datacenter_ip": 15}, 15),
        ("/linode6", CHROME, "2600:3c00::%x" % random.randrange(1, 65535), {"datacenter_ip": 15}, 15),
        ("/clean", CHROME, rand_ip(), {}, 0),
    ]
    for path, ua, ip, _, _ in cases:
        r = beacon(site, path, ip, ua)
        t.eq("beacon %s answers 200" % path, r.status, 200)
    t.flush()
    for path, _, _, det, score in cases:
        v = view(site, path)
        t.ok("view %s stored" % path, v is not None)
        if v:
            t.eq("view %s score" % path, v[0], score)
            t.eq("view %s detail" % path, v[1], det)


def test_headers_screen_referrer():
    site = "sig-" + RUN
    ip = rand_ip()
    # no Accept-Language, no Sec headers: headers 20; screen 0x0: +10; deep path without referrer: +5
    sid = str(uuid.uuid4())
    q = {"p": base64.b64encode(b"/a/b").decode(), "s": site, "_v": "900", "sid": sid, "sw": "0", "sh": "0",
         "tok": powtok.token(t.secret, site, sid)}
    r = t.get("/b.gif?" + urllib.parse.urlencode(q), headers={"User-Agent": CHROME, "X-Forwarded-For": ip})
    t.eq("signal beacon 200", r.status, 200)
    t.flush()
    v = view(site, "/a/b")
    t.ok("signal view stored (score 43 < 50)", v is not None)
    if v:
        t.eq("timing + headers + screen + referrer", v[1],
             {"timing": 8, "headers": 20, "screen": 10, "referrer": 5})
        t.eq("score 43", v[0], 43)


def test_missing_token_discarded():
    site = "pow-" + RUN
    r = beacon(site, "/no-token", rand_ip(), tok=False)
    t.eq("beacon without token 200", r.status, 200)
    t.flush()
    t.eq("missing token: +50 = discarded", view(site, "/no-token"), None)


# ------------------------------------------------------------ ship-time signals

def test_burst():
    site = "burst-" + RUN
    ip = rand_ip(198)
    for i in range(1, 17):
        beacon(site, "/b%02d" % i, ip)
    t.flush()
    v15, v16 = view(site, "/b15"), view(site, "/b16")
    t.ok("15th and 16th stored", v15 is not None and v16 is not None)
    if v15 and v16:
        t.eq("15th beacon: no burst", v15, (0, {}))
        t.eq("16th beacon: burst +25", v16, (25, {"burst": 25}))
    # /e reads the count without incrementing: an event from that address gets the burst too
    sid = str(uuid.uuid4())
    body = {"siteId": site, "tok": powtok.token(t.secret, site, sid),
            "events": [{"type": "click", "data": {"n": RUN}, "sessionId": sid}]}
    r = t.post("/e", body, headers=headers(ip))
    t.eq("event from the bursting address 204", r.status, 204)
    t.flush()
    rows = t.sql("SELECT bot_score, bot_score_detail FROM semantic_events WHERE site_id='%s'" % site)
    t.ok("event stored", len(rows) == 1, rows)
    if rows:
        t.eq("event gets burst (read)", (int(rows[0][0]), json.loads(rows[0][1])), (25, {"burst": 25}))
    t.eq("burst counter not incremented by /e", t.redis("GET", PFX + "burst:" + ip_hash(ip)), "16")
    ttl = int(t.redis("PTTL", PFX + "burst:" + ip_hash(ip)))
    t.ok("burst window is 5 minutes, fixed", 0 < ttl <= 300000, ttl)


def test_known_bot_marks_ip():
    site = "kb-" + RUN
    ip = rand_ip(192)
    # any routed path, even an unknown one, with a known-bot UA
    r = t.get("/no-such-page-" + RUN, headers={"User-Agent": "curl/7.88.1", "X-Forwarded-For": ip})
    t.eq("unknown path still 404", r.status, 404)
    t.flush()
    h = ip_hash(ip)
    ttl = int(t.redis("TTL", PFX + "botip:s:" + h) or -2)
    t.ok("suspected-bot key set with 30 min TTL", 1700 < ttl <= 1800, ttl)
    beacon(site, "/after", ip)
    t.flush()
    t.eq("later beacon from that address: bot_ip +20", view(site, "/after"), (20, {"bot_ip": 20}))
    # the known-bot beacon itself is dropped
    r = beacon(site, "/bot", rand_ip(), ua="Googlebot/2.1")
    t.eq("known-bot beacon still gets the pixel", r.headers.get("content-type"), "image/gif")
    t.flush()
    t.eq("known-bot beacon not stored", view(site, "/bot"), None)


# ------------------------------------------------------------ correlator through the stack

def test_farm():
    site = "farm-" + RUN
    ips = [rand_ip(100 + i) for i in range(8)]
    for i, ip in enumerate(ips):
        r = beacon(site, "/farm%d" % i, ip)
        t.eq("farm beacon %d 200" % i, r.status, 200)
    t.flush()
    before = [view(site, "/farm%d" % i) for i in range(8)]
    t.ok("all 8 stored clean", all(v and v[0] == 0 for v in before), before)
    out = t.ctl("correlate")
    t.ok("echelon-ctl correlate reports a flagged cluster", "flagged" in out, out)
    after = [view(site, "/farm%d" % i) for i in range(8)]
    t.ok("all 8 raised to >= 50", all(v and v[0] >= 50 for v in after), after)
    if after[0] and after[0][1]:
        c = dict(after[0][1].get("correlated", {}))
        fp = c.pop("fingerprint", "")
        t.eq("detail correlated", c, {"reason": "correlated", "penalty": 50, "cluster_size": 8,
                                      "tainted": False})
        t.ok("fingerprint os|browser|version|WxH|country|A-L",
             fp.startswith("Linux|Chrome|139.0.0.0|1920x1080|") and fp.endswith("|" + AL), fp)
    raw = t.scalar("SELECT bot_score_detail FROM visitor_views WHERE site_id='%s' AND path='/farm0'" % site)
    t.ok("detail text is compact", raw and ": " not in raw and ", " not in raw, raw)
    # feedback loop: every farm IP is confirmed for an hour
    ttl = int(t.redis("TTL", PFX + "botip:c:" + ip_hash(ips[0])) or -2)
    t.ok("confirmed-bot key with 60 min TTL", 3500 < ttl <= 3600, ttl)
    beacon(site, "/farm-again", ips[3])
    t.flush()
    t.eq("confirmed IP's next beacon (+50) is discarded", view(site, "/farm-again"), None)
    # idempotent: a second sweep changes nothing
    t.ctl("correlate")
    again = [view(site, "/farm%d" % i) for i in range(8)]
    t.eq("second sweep: unchanged", again, after)


# ------------------------------------------------------------ §9.5 on direct rows

def gid(site, fp):
    return hashlib.sha256((site + "||" + fp).encode()).hexdigest()[:32]


def add_prints(site, fp, visitors, tainted=()):
    """visitors: list of (ip_hash, visitor_id); writes prints like the shipper."""
    g = gid(site, fp)
    now = str(int(time.time() * 1000))
    for ip, vid in visitors:
        t.redis("ZADD", PFX + "corr:ip:" + g, now, ip)
        t.redis("ZADD", PFX + "corr:vid:" + g, now, vid)
        if ip in tainted:
            t.redis("ZADD", PFX + "corr:taint:" + g, now, ip)
    for k in ("ip", "vid", "taint"):
        t.redis("EXPIRE", PFX + "corr:%s:%s" % (k, g), "1500")
    t.redis("SET", PFX + "corr:meta:" + g, site + "||" + fp, "EX", "1500")
    t.redis("ZADD", PFX + "corr:groups", now, g)


def add_views(site, vids, score=0, detail=None, minutes_ago=0, table="visitor_views"):
    d = "NULL" if detail is None else "'%s'" % detail
    for v in vids:
        if table == "visitor_views":
            t.sql_exec("INSERT INTO visitor_views (visitor_id, path, site_id, bot_score, bot_score_detail, created_at) "
                       "VALUES ('%s', '/', '%s', %d, %s, UTC_TIMESTAMP(3) - INTERVAL %d MINUTE)"
                       % (v, site, score, d, minutes_ago))
        else:
            t.sql_exec("INSERT INTO semantic_events (event_type, site_id, visitor_id, bot_score, bot_score_detail) "
                       "VALUES ('click', '%s', '%s', %d, %s)" % (site, v, score, d))


def scores(site, table="visitor_views"):
    return [int(r[0]) for r in t.sql("SELECT bot_score FROM %s WHERE site_id='%s' ORDER BY visitor_id" % (table, site))]


def cluster(name, n, fp=FP, tainted=0, per_fp=None):
    site = "c-%s-%s.example" % (name, RUN)
    vis = [(uuid.uuid4().hex + uuid.uuid4().hex, "%s%02d" % (RUN, i)) for i in range(n)]
    add_views(site, [v for _, v in vis])
    if per_fp:
        for i, pv in enumerate(vis):
            add_prints(site, per_fp(i), [pv])
    else:
        add_prints(site, fp, vis, tainted=[ip for ip, _ in vis[:tainted]])
    return site, vis


def test_correlator_rows():
    s5, _ = cluster("five", 5)
    s6, _ = cluster("six", 6)
    s4t, _ = cluster("four-tainted", 4, tainted=1)
    s8, _ = cluster("eight", 8)
    sver, _ = cluster("versions", 6, per_fp=lambda i: "Linux|Chrome|139.0.%d.0|1920x1080|US|en-US" % i)
    sal, _ = cluster("langs", 6, per_fp=lambda i: "Linux|Chrome|139.0.0.0|1920x1080|US|en-%d" % i)
    s60, v60 = cluster("sixty", 6)
    t.sql_exec("UPDATE visitor_views SET bot_score=60 WHERE site_id='%s' AND visitor_id='%s'" % (s60, v60[0][1]))
    sev, vev = cluster("events", 6)
    add_views(sev, [v for _, v in vev], table="semantic_events")
    # 3 + 3 on two sites with one fingerprint: never combined
    sa, sb = "c-a-%s.example" % RUN, "c-b-%s.example" % RUN
    for s in (sa, sb):
        vis = [(uuid.uuid4().hex, "%s%s%d" % (RUN, s[2], i)) for i in range(3)]
        add_views(s, [v for _, v in vis])
        add_prints(s, FP, vis)
    sdet, vdet = cluster("detail", 6)
    t.sql_exec("UPDATE visitor_views SET bot_score_detail='{\"headers\":10}', bot_score=10 "
               "WHERE site_id='%s' AND visitor_id='%s'" % (sdet, vdet[0][1]))

    t.ctl("correlate")
    t.eq("5 distinct IPs: unchanged", scores(s5), [0] * 5)
    t.eq("6 distinct IPs: 30 each", scores(s6), [30] * 6)
    d = json.loads(t.scalar("SELECT bot_score_detail FROM visitor_views WHERE site_id='%s' LIMIT 1" % s6))
    t.eq("6: detail", d, {"correlated": {"reason": "correlated", "penalty": 30, "cluster_size": 6,
                                         "tainted": False, "fingerprint": FP}})
    t.eq("4 IPs, one tainted: 50 each", scores(s4t), [50] * 4)
    d = json.loads(t.scalar("SELECT bot_score_detail FROM visitor_views WHERE site_id='%s' LIMIT 1" % s4t))
    t.eq("tainted flag in detail", d["correlated"]["tainted"], True)
    t.eq("8 IPs: 50 each", scores(s8), [50] * 8)
    t.eq("6 browser versions: unchanged", scores(sver), [0] * 6)
    t.eq("6 Accept-Languages: unchanged", scores(sal), [0] * 6)
    t.eq("view already at 60 stays 60, others 30", sorted(scores(s60)), [30] * 5 + [60])
    t.eq("events of the cluster raised to 30", scores(sev, "semantic_events"), [30] * 6)
    t.eq("3 + 3 on two sites: unchanged", scores(sa) + scores(sb), [0] * 6)
    raw = t.scalar("SELECT bot_score_detail FROM visitor_views WHERE site_id='%s' AND visitor_id='%s'"
                   % (sdet, vdet[0][1]))
    t.ok("existing detail keeps its keys, correlated appended last",
         raw.startswith('{"headers":10,"correlated":{"reason":"correlated","penalty":30,'), raw)
    t.eq("10 + 30", scores(sdet).count(40), 1)
    t.ctl("correlate")
    t.eq("second sweep: still 30, not 60", scores(s6), [30] * 6)


def test_no_event_penalty():
    site = "ne-%s.example" % RUN
    add_views(site, ["ne-none"], minutes_ago=10)
    add_views(site, ["ne-det"], detail='{"headers":10}', score=10, minutes_ago=10)
    add_views(site, ["ne-ev"], table="semantic_events")    # the event first: a sweep may run meanwhile
    add_views(site, ["ne-ev"], minutes_ago=10)
    add_views(site, ["ne-new"], minutes_ago=2)
    add_views(site, ["ne-old"], minutes_ago=40)
    t.ctl("correlate")
    rows = dict((r[0], (int(r[1]), r[2])) for r in
                t.sql("SELECT visitor_id, bot_score, bot_score_detail FROM visitor_views WHERE site_id='%s'" % site))
    t.eq("no events: +15", rows.get("ne-none"), (15, '{"no_events":true}'))
    t.eq("no events with detail", rows.get("ne-det"), (25, '{"headers":10,"no_events":true}'))
    t.eq("with an event: unchanged", rows.get("ne-ev"), (0, None))
    t.eq("younger than 5 min: unchanged", rows.get("ne-new"), (0, None))
    t.eq("older than 30 min: unchanged", rows.get("ne-old"), (0, None))
    t.ctl("correlate")
    t.eq("no-event penalty once only", t.scalar("SELECT bot_score FROM visitor_views WHERE site_id='%s' "
                                                 "AND visitor_id='ne-none'" % site), "15")


def test_no_event_penalty_slices():
    """The sweep walks the window in slices of about 5,000 rows (correlator.c
    NE_SLICE): every bounce in it is raised once, including 6,000 rows at one
    instant (more than a slice) and rows on both sides of each slice's edge."""
    site = "ne-slices-%s.example" % RUN
    tie = "UTC_TIMESTAMP(3) - INTERVAL 17 MINUTE"
    t.sql_exec("INSERT INTO semantic_events (event_type, site_id, visitor_id) "
               "SELECT 'click', '%s', CONCAT('ns-', seq * 7) FROM seq_1_to_1000" % site)
    t.sql_exec("INSERT INTO visitor_views (visitor_id, path, site_id, created_at) "
               "SELECT CONCAT('ns-', seq), '/', '%s', UTC_TIMESTAMP(3) - INTERVAL 29 MINUTE "
               "+ INTERVAL (seq * 100000) MICROSECOND FROM seq_1_to_7000" % site)
    t.sql_exec("INSERT INTO visitor_views (visitor_id, path, site_id, created_at) "
               "SELECT CONCAT('nt-', seq), '/', '%s', %s FROM seq_1_to_6000" % (site, tie))
    t.sql_exec("INSERT INTO visitor_views (visitor_id, path, site_id, created_at) "
               "SELECT CONCAT('nu-', seq), '/', '%s', UTC_TIMESTAMP(3) - INTERVAL 12 MINUTE "
               "+ INTERVAL (seq * 1000) MICROSECOND FROM seq_1_to_3000" % site)
    t.redis("DEL", "ech:corr:ne:mark")     # no mark: the whole window in created_at slices
    t.ctl("correlate")
    got = dict((r[0], int(r[1])) for r in t.sql(
        "SELECT CONCAT(LEFT(visitor_id, 3), bot_score), COUNT(*) FROM visitor_views WHERE site_id='%s' "
        "GROUP BY LEFT(visitor_id, 3), bot_score" % site))
    t.eq("sliced penalty: each bounce +15 once, visitors with events unchanged", got,
         {"ns-15": 6000, "ns-0": 1000, "nt-15": 6000, "nu-15": 3000})


def test_no_event_penalty_incremental():
    """After a pass, the next one reads only rows created after its window end
    plus older rows committed since (ids above the last max id minus a
    slack): late-shipped rows are raised, rows the last pass already saw are
    not read again."""
    site = "ne-inc-%s.example" % RUN
    t.ctl("correlate")                                  # sets the mark
    mark = t.redis("GET", "ech:corr:ne:mark")
    t.ok("a pass leaves its mark (max id|window end)", "|" in mark, mark)
    # a row shipped late: created 20 minutes ago, committed now (new id)
    add_views(site, ["late"], minutes_ago=20)
    t.ctl("correlate")
    t.eq("late row raised by the id slices", t.scalar(
        "SELECT bot_score FROM visitor_views WHERE site_id='%s' AND visitor_id='late'" % site), "15")
    # a row the last pass saw: it sits more than the id slack (100,000 ids)
    # below the mark's max id and before its window end (6 minutes ago). It
    # starts at score 60 so that no background sweep raises it meanwhile.
    add_views(site, ["seen"], score=60, minutes_ago=10)
    t.sql_exec("INSERT INTO visitor_views (visitor_id, path, site_id, created_at) "
               "SELECT CONCAT('filler-', seq), '/', '%s-filler', UTC_TIMESTAMP(3) - INTERVAL 45 MINUTE "
               "FROM seq_1_to_100100" % site)
    top = int(t.scalar("SELECT MAX(id) FROM visitor_views"))
    end = t.scalar("SELECT DATE_FORMAT(UTC_TIMESTAMP(3) - INTERVAL 6 MINUTE, '%Y-%m-%d %H:%i:%s.%f')")
    t.redis("SET", "ech:corr:ne:mark", "%d|%s" % (top, end))
    t.sql_exec("UPDATE visitor_views SET bot_score = 0 WHERE site_id='%s' AND visitor_id='seen'" % site)
    t.sql_exec("INSERT INTO visitor_views (visitor_id, path, site_id, created_at) VALUES "
               "('fresh', '/', '%s', UTC_TIMESTAMP(3) - INTERVAL 330 SECOND)" % site)
    t.ctl("correlate")
    got = dict(t.sql("SELECT visitor_id, bot_score FROM visitor_views WHERE site_id='%s'" % site))
    t.eq("row past the mark's window end raised", got.get("fresh"), "15")
    t.eq("row below the mark not read again", got.get("seen"), "0")
    t.redis("DEL", "ech:corr:ne:mark")
    t.ctl("correlate")
    t.eq("without a mark the whole window is read", t.scalar(
        "SELECT bot_score FROM visitor_views WHERE site_id='%s' AND visitor_id='seen'" % site), "15")
    t.sql_exec("DELETE FROM visitor_views WHERE site_id='%s-filler'" % site)


# ------------------------------------------------------------ feeds refresh

def test_feeds_refresh():
    fd = os.environ.get("ECHELON_FEEDS_DIR", "")
    cands = [os.path.join(TOP, "..", "shared", "data", "feeds"), os.path.join(fd, "current"), fd]
    snap = next((c for c in cands if c and os.path.isfile(os.path.join(c, "aws-ip-ranges.json"))), None)
    if not snap:
        t.ok("feed snapshots found", False, cands)
        return
    d = tempfile.mkdtemp(prefix="echelon-feeds-")
    env = dict(os.environ, ECHELON_FEEDS_DIR=d)
    ctl = os.path.join(BUILD, "echelon-ctl")
    p = subprocess.run([ctl, "feeds", "refresh", "--from", snap], env=env, capture_output=True, timeout=120)
    t.eq("feeds refresh --from snapshot exits 0", p.returncode, 0)
    t.ok("current symlink published", os.path.islink(os.path.join(d, "current")))
    p = subprocess.run([ctl, "feeds", "status"], env=env, capture_output=True, timeout=120)
    t.ok("feeds status lists the AWS ranges", b"aws-ip-ranges.json" in p.stdout and p.returncode == 0, p.stdout)
    bad = tempfile.mkdtemp(prefix="echelon-feeds-bad-")
    with open(os.path.join(bad, "crawler-user-agents.json"), "w") as f:
        f.write('[{"pattern":"x"}]')
    cur = os.readlink(os.path.join(d, "current"))
    p = subprocess.run([ctl, "feeds", "refresh", "--from", bad], env=env, capture_output=True, timeout=120)
    t.ok("shrunken feed refused: nothing published", p.returncode != 0 and
         os.readlink(os.path.join(d, "current")) == cur, p.stdout)
    subprocess.run(["rm", "-rf", d, bad])


def test_feeds_hot_reload():
    """A published feed version reaches every worker without a restart. Needs a
    writable ECHELON_FEEDS_DIR (a published copy, not the read-only snapshot)."""
    d = os.environ.get("ECHELON_FEEDS_DIR", "")
    if not d or not os.access(d, os.W_OK) or not os.path.islink(os.path.join(d, "current")):
        print("skip - feeds hot reload: ECHELON_FEEDS_DIR is not a published, writable feeds dir")
        return
    site = "hot-" + RUN
    name = "ZzAgent%s" % RUN
    ua = "Mozilla/5.0 (compatible; %s/1.0)" % name
    beacon(site, "/before", rand_ip(), ua)
    src = tempfile.mkdtemp(prefix="echelon-feeds-src-")
    with open(os.path.join(d, "current", "ai-robots.json")) as f:
        ai = json.load(f)
    ai[name] = {}
    with open(os.path.join(src, "ai-robots.json"), "w") as f:
        json.dump(ai, f)
    p = subprocess.run([os.path.join(BUILD, "echelon-ctl"), "feeds", "refresh", "--from", src],
                       capture_output=True, timeout=120)
    t.eq("refresh with one new AI name publishes", p.returncode, 0)
    time.sleep(2.5)     # workers check the published version at most once a second
    for i in range(6):  # several requests: every worker of the pool
        beacon(site, "/after%d" % i, rand_ip(), ua)
    t.flush()
    t.eq("before the refresh: no AI points", view(site, "/before"), (0, {}))
    got = [view(site, "/after%d" % i) for i in range(6)]
    t.ok("after the refresh every worker scores the new name", all(v == (40, {"ai_crawler_feed": 40}) for v in got), got)
    subprocess.run(["rm", "-rf", src])


for fn in (test_feeds_hot_reload, test_feed_signals, test_headers_screen_referrer, test_missing_token_discarded, test_burst,
           test_known_bot_marks_ip, test_farm, test_correlator_rows, test_no_event_penalty, test_no_event_penalty_slices,
           test_no_event_penalty_incremental,
           test_feeds_refresh):
    t.run(fn)
t.done()
