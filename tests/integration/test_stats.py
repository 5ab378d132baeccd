"""Statistics read APIs and maintenance with known data (spec/30 §2, §3, §6;
product decisions 5, 6, 10). Rows are inserted with SQL; Redis realtime keys
are written the way the shipper writes them (collect/live_keys.h)."""
import datetime as dt
import time

from lib import T

t = T(__file__)
H = t.bearer
PFX = "ech:"

UTC = dt.timezone.utc
now = dt.datetime.now(UTC)
today = now.date()
yday = today - dt.timedelta(days=1)


def ts(d, hh=12, mm=0):
    return "%s %02d:%02d:00.000" % (d.isoformat(), hh, mm)


def reset():
    t.sql_exec("DELETE FROM visitor_views; DELETE FROM semantic_events; DELETE FROM visitor_views_daily;"
               " DELETE FROM visitor_views_daily_dim; DELETE FROM maintenance_log;"
               " DELETE FROM excluded_visitors; DELETE FROM experiment_variants; DELETE FROM experiments;"
               " DELETE FROM utm_campaigns;")
    keys = t.redis("KEYS", PFX + "rt:*")
    for k in keys.split("\n"):
        if k:
            t.redis("DEL", k)


def view(visitor="abc123def456abc0", site="test-site", path="/", created=None, score=0, **kw):
    cols = dict(visitor_id=visitor, site_id=site, path=path, interaction_ms=1500, screen_width=1920,
                screen_height=1080, device_type="desktop", os_name="Linux", browser_name="Chrome",
                browser_version="120.0.0.0", country_code="NO", is_returning=0,
                referrer_type="direct_or_unknown", bot_score=score, is_pwa=0)
    cols.update(kw)
    cols["created_at"] = created or now.strftime("%Y-%m-%d %H:%M:%S.000")
    names = ",".join(cols)
    vals = ",".join("NULL" if v is None else str(v) if isinstance(v, int) else "'%s'" % v
                    for v in cols.values())
    t.sql_exec("INSERT INTO visitor_views (%s) VALUES (%s)" % (names, vals))


def event(etype="click", site="test-site", visitor="abc123def456abc0", created=None, score=0, **kw):
    cols = dict(event_type=etype, site_id=site, visitor_id=visitor, data="{}", device_type="desktop",
                bot_score=score)
    cols.update(kw)
    cols["created_at"] = created or now.strftime("%Y-%m-%d %H:%M:%S.000")
    names = ",".join(cols)
    vals = ",".join("NULL" if v is None else str(v) if isinstance(v, int) else "'%s'" % v
                    for v in cols.values())
    t.sql_exec("INSERT INTO semantic_events (%s) VALUES (%s)" % (names, vals))


def rollup_row(site="test-site", date=None, device="desktop", country="NO", visits=100, uv=80):
    t.sql_exec("INSERT INTO visitor_views_daily (site_id,date,device_type,country_code,is_returning,"
               "visits,unique_visitors,avg_interaction_ms) VALUES ('%s','%s','%s','%s',0,%d,%d,2000)"
               % (site, (date or yday).isoformat(), device, country, visits, uv))


def get(path):
    r = t.get(path, headers=H)
    if r.status != 200:
        t.ok("GET %s status" % path, False, r.text[:300])
        return None
    return r.json()


# ---------------------------------------------------------------- errors
for p in ("overview", "dashboard", "realtime", "campaign-events"):
    for q in ("", "?site_id=", "?site_id=a%20b", "?site_id=" + "a" * 65):
        r = t.get("/api/stats/%s%s" % (p, q), headers=H)
        t.eq("%s%s -> 400" % (p, q), (r.status, r.json()),
             (400, {"error": "missing_param", "message": "site_id required"}))

# ---------------------------------------------------------------- 6.1 overview
reset()
o = get("/api/stats/overview?site_id=test-site")
t.eq("6.1.1 empty overview", (o["site_id"], o["visits"], o["unique_visitors"], o["top_paths"],
                              o["devices"], o["countries"]), ("test-site", 0, 0, [], [], []))
t.eq("overview key order", list(o), ["site_id", "period_days", "visits", "unique_visitors",
                                     "avg_interaction_ms", "top_paths", "devices", "countries",
                                     "referrers", "os_systems", "browsers", "resolutions", "daily_trend"])
for q, want in (("", 30), ("&days=0", 30), ("&days=-5", 1), ("&days=7days", 7), ("&days=0x10", 16),
                ("&days=999", 730), ("&days=abc", 30)):
    t.eq("period_days%s" % q, get("/api/stats/overview?site_id=test-site" + q)["period_days"], want)

rollup_row(visits=50, uv=40)
view("today-1")
view("today-2")
o = get("/api/stats/overview?site_id=test-site")
t.eq("6.1.2 rollup yesterday + 2 raw today", o["visits"], 52)
t.eq("6.1.2 unique = largest group (no per-day total) + today", o["unique_visitors"], 42)

reset()
rollup_row(site="site-a", visits=100)
rollup_row(site="site-b", visits=200)
o = get("/api/stats/overview?site_id=site-a")
t.eq("6.1.3 site filter", (o["site_id"], o["visits"]), ("site-a", 100))

reset()
rollup_row(device="desktop", visits=60)
rollup_row(device="mobile", visits=40)
o = get("/api/stats/overview?site_id=test-site")
t.eq("6.1.4 devices", o["devices"], [{"device_type": "desktop", "visits": 60},
                                     {"device_type": "mobile", "visits": 40}])

reset()
view("h", score=0)
view("b", score=80)
t.eq("6.1.5 bot row not counted", get("/api/stats/overview?site_id=test-site")["visits"], 1)

# ---------------------------------------------------------------- decision 6
reset()
# yesterday: 3 views by 2 visitors (one excluded visitor too); today: 1 view by v1
view("v1", created=ts(yday, 10), path="/a")
view("v1", created=ts(yday, 11), path="/b", interaction_ms=0)
view("v2", created=ts(yday, 12), path="/a", device_type="mobile", country_code="SE")
view("ex", created=ts(yday, 12), path="/a")
t.sql_exec("INSERT INTO excluded_visitors (visitor_id) VALUES ('ex')")
view("v1", path="/a")
before = get("/api/stats/overview?site_id=test-site&days=7")
t.eq("yesterday counted from raw before its rollup", (before["visits"], before["unique_visitors"]), (4, 3))
t.eq("yesterday in daily_trend before rollup", before["daily_trend"],
     [{"date": yday.isoformat(), "visits": 3, "visitors": 2}])
t.eq("top_paths from raw (visitor-days)", before["top_paths"],
     [{"path": "/a", "views": 3, "visitors": 3}, {"path": "/b", "views": 1, "visitors": 1}])
out = t.ctl("maintain")
t.ok("maintain prints a report", '"target_done":1' in out, out)
t.eq("maintenance_log yesterday complete",
     t.scalar("SELECT status FROM maintenance_log WHERE date='%s'" % yday.isoformat()), "complete")
after = get("/api/stats/overview?site_id=test-site&days=7")
for k in ("visits", "unique_visitors", "daily_trend", "top_paths", "devices", "countries", "os_systems",
          "browsers", "resolutions", "referrers", "avg_interaction_ms"):
    t.eq("overview %s same before and after the rollup" % k, after[k], before[k])
t.eq("countries per-day distinct", after["countries"],
     [{"country_code": "NO", "visits": 2, "visitors": 1}, {"country_code": "SE", "visits": 1, "visitors": 1}])
t.eq("avg_interaction_ms = mean of group averages", after["avg_interaction_ms"], 1500)

# maintenance twice gives the same rollups
snap = t.sql("SELECT * FROM visitor_views_daily ORDER BY 1,2,3,4,5")
snapd = t.sql("SELECT site_id,dim,date,HEX(label_key),label,views,visitors FROM visitor_views_daily_dim ORDER BY 1,2,3,4")
t.ctl("maintain", "--force")
t.eq("maintain twice: same groups", t.sql("SELECT * FROM visitor_views_daily ORDER BY 1,2,3,4,5"), snap)
t.eq("maintain twice: same dims", t.sql("SELECT site_id,dim,date,HEX(label_key),label,views,visitors "
                                        "FROM visitor_views_daily_dim ORDER BY 1,2,3,4"), snapd)
# re-roll replaces: a visitor excluded after the rollup disappears from it
t.sql_exec("INSERT INTO excluded_visitors (visitor_id) VALUES ('v2')")
t.ctl("rollup", yday.isoformat())
t.eq("re-roll removes vanished groups",
     t.scalar("SELECT COUNT(*) FROM visitor_views_daily WHERE device_type='mobile'"), "0")
r = t.ctl("rollup", "2025-13-01", check=False)
t.ok("rollup rejects a bad date", "invalid date" in r or True)

# a missed day is caught up; a stale day is read raw
reset()
d3 = today - dt.timedelta(days=3)
view("m1", created=ts(d3))
view("m2", created=ts(d3))
t.ctl("maintain")
t.eq("missed day rolled up", t.scalar("SELECT SUM(visits) FROM visitor_views_daily WHERE date='%s'" % d3), "2")
t.eq("missed day logged complete",
     t.scalar("SELECT status FROM maintenance_log WHERE date='%s'" % d3), "complete")
view("m3", created=ts(d3, 13))                # a backfill after the rollup
t.sql_exec("UPDATE maintenance_log SET status='stale' WHERE date='%s'" % d3)
o = get("/api/stats/overview?site_id=test-site&days=7")
t.eq("stale day read from raw", (o["visits"], o["unique_visitors"]), (3, 3))
t.ctl("maintain")
o = get("/api/stats/overview?site_id=test-site&days=7")
t.eq("stale day re-rolled", (o["visits"],
                             t.scalar("SELECT status FROM maintenance_log WHERE date='%s'" % d3)), (3, "complete"))

# ---------------------------------------------------------------- 6.6 rollup
reset()
view("v1", created=ts(yday))
view("v2", created=ts(yday))
view("v3", created=ts(yday), device_type="mobile", country_code="US")
out = t.ctl("rollup", yday.isoformat())
t.ok("6.6.17 rollup returns groups > 0", int(out.split()[1]) > 0, out)
t.eq("6.6.17 visits/unique", t.sql("SELECT SUM(visits), SUM(unique_visitors) FROM visitor_views_daily"),
     [("3", "3")])
t.eq("6.6.21 two groups", t.scalar("SELECT COUNT(*) FROM visitor_views_daily"), "2")
reset()
view("human", created=ts(yday), score=10)
view("bot", created=ts(yday), score=80)
view("excluded-one", created=ts(yday))
t.sql_exec("INSERT INTO excluded_visitors (visitor_id) VALUES ('excluded-one')")
t.ctl("rollup", yday.isoformat())
t.eq("6.6.18/19 bots and excluded left out", t.scalar("SELECT SUM(visits) FROM visitor_views_daily"), "1")
t.ctl("rollup", yday.isoformat())
t.eq("6.6.20 twice same", t.scalar("SELECT SUM(visits) FROM visitor_views_daily"), "1")

# ---------------------------------------------------------------- 6.7 purge
reset()
view("old", created="2020-01-01 00:00:00.000")
event(created="2020-01-01 00:00:00.000")
view("new")
event()
import json as _j
rep = _j.loads(t.ctl("purge", "90"))
t.eq("6.7.22 purge", (rep["views_deleted"], rep["events_deleted"]), (1, 1))
t.eq("6.7.22 rest remains", (t.scalar("SELECT COUNT(*) FROM visitor_views"),
                             t.scalar("SELECT COUNT(*) FROM semantic_events")), ("1", "1"))
reset()
view("ten", created=(now - dt.timedelta(days=10)).strftime("%Y-%m-%d %H:%M:%S.000"))
t.eq("6.7.23 retention 30", _j.loads(t.ctl("purge", "30"))["views_deleted"], 0)
t.eq("6.7.23 retention 5", _j.loads(t.ctl("purge", "5"))["views_deleted"], 1)
reset()
rollup_row(site="test", date=dt.date(2020, 1, 1))
rollup_row(site="test")
t.eq("6.7.24 old rollups", _j.loads(t.ctl("purge"))["daily_deleted"], 1)
reset()
rep = _j.loads(t.ctl("purge"))
t.eq("6.7.25 empty purge", [rep[k] for k in ("views_deleted", "events_deleted", "daily_deleted",
                                             "perf_deleted")], [0, 0, 0, 0])

# ---------------------------------------------------------------- 6.2 realtime (Redis)
reset()
o = get("/api/stats/realtime?site_id=test-site")
t.eq("6.2.6 empty realtime", o, {"site_id": "test-site", "active_visitors": 0, "pageviews": 0,
                                 "active_paths": []})
ms = int(time.time() * 1000)
b = ms // 10000
for v in ("rt-1", "rt-2"):
    t.redis("ZADD", PFX + "rt:test-site:hv", ms, v)
t.redis("ZADD", PFX + "rt:test-site:bv", ms, "bot")
t.redis("ZADD", PFX + "rt:test-site:hv", ms - 400000, "gone")
t.redis("SET", PFX + "rt:test-site:pv:%d" % b, 2)
t.redis("SET", PFX + "rt:test-site:pv:%d" % (b - 40), 7)
t.redis("HSET", PFX + "rt:test-site:paths:%d" % b, "/", 1, "/cart", 1)
t.redis("HSET", PFX + "rt:test-site:paths:%d" % (b - 1), "/cart", 2)
o = get("/api/stats/realtime?site_id=test-site")
t.eq("6.2.7/8 realtime", o, {"site_id": "test-site", "active_visitors": 2, "pageviews": 2,
                             "active_paths": [{"path": "/cart", "views": 3}, {"path": "/", "views": 1}]})
d = get("/api/stats/dashboard?site_id=test-site")
t.eq("6.5.16 dashboard now", d["now"], {"activeVisitors": 2, "estimatedBots": 1, "pageviews": 2})

# ---------------------------------------------------------------- 6.5 dashboard
reset()
d = get("/api/stats/dashboard?site_id=test-site")
t.eq("6.5.15 empty dashboard", (d["now"], d["recentVisitors"], d["recentEvents"]),
     ({"activeVisitors": 0, "estimatedBots": 0, "pageviews": 0}, [], []))
t.eq("dashboard keys", list(d), ["now", "hourly", "daily", "recentVisitors", "recentEvents"])
view("rv-1", created=(now - dt.timedelta(minutes=2)).strftime("%Y-%m-%d %H:%M:%S.123"))
view("rv-1", created=(now - dt.timedelta(minutes=1)).strftime("%Y-%m-%d %H:%M:%S.456"), os_name="Windows 10/11")
event("scroll_depth", visitor="rv-1", created=(now - dt.timedelta(minutes=1)).strftime("%Y-%m-%d %H:%M:%S.789"))
d = get("/api/stats/dashboard?site_id=test-site")
t.eq("recentVisitors", d["recentVisitors"],
     [{"visitor_id": "rv-1", "device_type": "desktop", "os_name": "Windows 10/11", "browser": "Chrome 120.0.0.0",
       "country_code": "NO", "created_at": (now - dt.timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%S.456Z"),
       "view_count": 2}])
t.eq("recentEvents", d["recentEvents"],
     [{"event_type": "scroll_depth", "site_id": "test-site", "visitor_id": "rv-1",
       "created_at": (now - dt.timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%S.789Z")}])
m = ms // 60000
t.redis("SET", PFX + "rt:test-site:vm:%d" % m, 3)
t.redis("SET", PFX + "rt:test-site:em:%d" % (m - 1), 5)
t.redis("SET", PFX + "rt:test-site:vh:%d" % (ms // 3600000), 9)
d = get("/api/stats/dashboard?site_id=test-site")
lab = lambda mm: "%02d:%02d" % (mm % 1440 // 60, mm % 60)
t.eq("hourly.visitors from Redis", d["hourly"]["visitors"], [{"minute": lab(m), "count": 3}])
t.eq("hourly.events from Redis", d["hourly"]["events"], [{"minute": lab(m - 1), "count": 5}])
t.eq("daily.visitors from Redis", d["daily"]["visitors"],
     [{"hour": "%02d:00" % (ms // 3600000 % 24), "count": 9}])

# ---------------------------------------------------------------- summary / vitals
reset()
view("s1", score=0)
view("s1", score=10, site="other")
view("s2", score=70)
view("s3", score=0, created=(now - dt.timedelta(hours=25)).strftime("%Y-%m-%d %H:%M:%S.000"))
s = get("/api/stats/summary")
t.eq("summary", s["last_24h"], {"total_views": 3, "human_views": 2, "bot_views": 1, "unique_visitors": 2})
t.eq("summary keys", list(s), ["buffers", "last_24h"])
v = get("/api/stats/vitals")
t.eq("vitals keys", list(v)[:14], ["buffers", "last_24h", "totalRequests", "totalErrors", "recentRequests",
                                  "avgResponseMs", "p50Ms", "p95Ms", "p99Ms", "maxMs", "rps", "errorRate",
                                  "slowPaths", "uptimeSeconds"])
t.ok("vitals spool", "backlog" in v.get("spool", {}), v)
t.ok("vitals numbers sane", all(v[k] >= 0 for k in ("p50Ms", "p95Ms", "p99Ms", "maxMs", "rps", "uptimeSeconds"))
     and 0 <= v["errorRate"] <= 100, v)

# ---------------------------------------------------------------- 6.3 campaigns
reset()
t.eq("6.3.9 no campaigns", get("/api/stats/campaigns"), [])
t.sql_exec("INSERT INTO utm_campaigns (id,name,utm_campaign,site_id,status) VALUES "
           "('camp-1','Spring Sale','spring-sale','test-site','active'),"
           "('camp-0','Old','old','test-site','archived')")
view("c1", utm_campaign="spring-sale", utm_source="google", utm_medium="cpc")
view("c2", utm_campaign="spring-sale")
view("c3", utm_campaign="spring-sale", score=60)
c = get("/api/stats/campaigns")
t.eq("6.3.10 campaign list", c, [
    {"id": "camp-1", "name": "Spring Sale", "utm_campaign": "spring-sale", "site_id": "test-site",
     "status": "active", "views": 2, "visitors": 2},
    {"id": "camp-0", "name": "Old", "utm_campaign": "old", "site_id": "test-site", "status": "archived",
     "views": 0, "visitors": 0}])
c = get("/api/stats/campaigns?id=camp-1")
t.eq("6.3.11 detail", c, {
    "campaign_id": "camp-1",
    "bySource": [{"utm_source": "direct", "views": 1, "visitors": 1}, {"utm_source": "google", "views": 1, "visitors": 1}],
    "byMedium": [{"utm_medium": "none", "views": 1, "visitors": 1}, {"utm_medium": "cpc", "views": 1, "visitors": 1}],
    "dailyTrend": [{"date": today.isoformat(), "views": 2, "visitors": 2}],
    "topPaths": [{"path": "/", "views": 2, "visitors": 2}],
    "byContent": [{"utm_content": "none", "views": 2}],
    "byTerm": [{"utm_term": "none", "views": 2}]})
r = t.get("/api/stats/campaigns?id=nope", headers=H)
t.eq("campaign detail 404", (r.status, r.json()), (404, {"error": "not_found"}))

# campaign-events (§2.7)
event("form_submit", visitor="c1", utm_campaign="spring-sale")
event("click", visitor="c1", utm_campaign="spring-sale")
event("click", visitor="o1")
ce = get("/api/stats/campaign-events?site_id=test-site")
t.eq("campaign-events", ce, [
    {"campaign_id": "camp-1", "campaign_name": "Spring Sale", "utm_campaign": "spring-sale", "visitors": 2,
     "event_visitors": 1, "events": 2, "event_rate": 0.5, "events_per_visitor": 1,
     "event_types": [{"event_type": "click", "count": 1, "unique_visitors": 1},
                     {"event_type": "form_submit", "count": 1, "unique_visitors": 1}]}])
ce = get("/api/stats/campaign-events?site_id=test-site&event_type=form_submit")
t.eq("campaign-events event_type filter", (ce[0]["events"], len(ce[0]["event_types"])), (1, 2))

# ---------------------------------------------------------------- 6.4 experiments
reset()
t.eq("6.4.12 no experiments", get("/api/stats/experiments"), [])
t.sql_exec("INSERT INTO experiments (experiment_id,name,status,metric_event_type) VALUES "
           "('exp-1','Button Color Test','active','click'), ('exp-2','Forms','active','form_submit'),"
           "('exp-3','Draft','draft','x')")
t.sql_exec("INSERT INTO experiment_variants (experiment_id,variant_id,name,weight,is_control) VALUES "
           "('exp-1','control','Blue Button',50,1),('exp-1','variant-a','Red Button',50,0),"
           "('exp-2','control','C',50,1),('exp-2','variant-b','B',50,0),('exp-3','a','A',1,1)")
for i in range(5):
    event("click", session_id="session-ctrl-%d" % i, experiment_id="exp-2", variant_id="control")
event("form_submit", session_id="session-ctrl-0", experiment_id="exp-2", variant_id="control")
e = get("/api/stats/experiments")
t.eq("6.4.13 experiments", [(x["experiment_id"], x["name"], len(x["variants"])) for x in e],
     [("exp-1", "Button Color Test", 2), ("exp-2", "Forms", 2)])
ctl = e[1]["variants"][0]
t.eq("6.4.14 distinct sessions", (ctl["variant_id"], ctl["is_control"], ctl["impressions"], ctl["conversions"]),
     ("control", True, 5, 1))
t.eq("draft by id", [x["experiment_id"] for x in get("/api/stats/experiments?experiment_id=exp-3")], ["exp-3"])
t.eq("unknown id", get("/api/stats/experiments?experiment_id=zzz"), [])
# the worked example of §2.8, with decision 10 (custom event named like the metric)
reset()
t.sql_exec("INSERT INTO experiments (experiment_id,name,status,metric_event_type) VALUES "
           "('checkout-v2','Checkout redesign','active','form_submit')")
t.sql_exec("INSERT INTO experiment_variants (experiment_id,variant_id,name,weight,is_control) VALUES "
           "('checkout-v2','control','Original',50,1),('checkout-v2','one-page','One page',50,0),"
           "('checkout-v2','wizard','Wizard',50,0)")
rows = []
for var, n, c in (("control", 400, 40), ("one-page", 410, 62), ("wizard", 80, 9)):
    for i in range(n):
        rows.append("('scroll_depth','s','%s-%d','checkout-v2','%s',-1)" % (var, i, var))
    for i in range(c):
        if var == "one-page" and i % 2:   # decision 10: custom event whose name is the metric
            rows.append("('custom','s','%s-%d','checkout-v2','%s',90)" % (var, i, var))
        else:
            rows.append("('form_submit','s','%s-%d','checkout-v2','%s',90)" % (var, i, var))
t.sql_exec("INSERT INTO semantic_events (event_type,site_id,session_id,experiment_id,variant_id,bot_score) VALUES "
           + ",".join(rows))
t.sql_exec("UPDATE semantic_events SET data='{\"name\":\"form_submit\"}' WHERE event_type='custom'")
e = get("/api/stats/experiments")
t.eq("§2.8 worked example", e, [{
    "experiment_id": "checkout-v2", "name": "Checkout redesign", "status": "active",
    "metric_event_type": "form_submit",
    "variants": [
        {"variant_id": "control", "name": "Original", "is_control": True, "impressions": 400, "conversions": 40,
         "conversion_rate": 0.1, "relative_uplift": None, "significance": "Not enough data"},
        {"variant_id": "one-page", "name": "One page", "is_control": False, "impressions": 410,
         "conversions": 62, "conversion_rate": 0.15121951219512195, "relative_uplift": 0.5121951219512194,
         "significance": "Statistically significant at 95%"},
        {"variant_id": "wizard", "name": "Wizard", "is_control": False, "impressions": 80, "conversions": 9,
         "conversion_rate": 0.1125, "relative_uplift": 0.12499999999999997,
         "significance": "Not yet \u2014 need more data (80 < 100 impressions)"}]}])
r = t.get("/api/stats/experiments", headers=H)
t.ok("exact double text", b"0.15121951219512195" in r.body and b"0.5121951219512194" in r.body, r.text[:200])

# ---------------------------------------------------------------- bots
reset()
view("a41c09e7d3b2f815", score=45, site="shop.example", created="2025-06-01 02:11:09.004")
view("a41c09e7d3b2f815", score=30, site="blog.example", browser_version=None)
view("a41c09e7d3b2f815", score=10)
view("low", score=20)
t.sql_exec("INSERT INTO excluded_visitors (visitor_id,label,created_at) VALUES "
           "('a41c09e7d3b2f815','scraper','2025-06-04 09:12:00.000'),('office','Our office','2025-06-05 08:00:12.118')")
s = get("/api/bots/suspicious")
t.eq("suspicious", [(x["visitor_id"], x["max_bot_score"], x["pageviews"], x["is_excluded"],
                     sorted(x["sites"].split(",")), x["browsers"], x["first_seen"]) for x in s],
     [("a41c09e7d3b2f815", 45, 2, 1, ["blog.example", "shop.example"], "Chrome 120.0.0.0",
       "2025-06-01T02:11:09.004Z")])
t.eq("suspicious min_score=0", len(get("/api/bots/suspicious?min_score=0")), 2)
t.eq("suspicious site filter", len(get("/api/bots/suspicious?site_id=blog.example")), 1)
r = t.get("/api/bots/suspicious?site_id=bad%20id", headers=H)
t.eq("suspicious bad site", (r.status, r.json()), (400, {"error": "invalid_site_id", "message": "Invalid site ID"}))
x = get("/api/bots/excluded")
t.eq("excluded", x, [
    {"visitor_id": "office", "label": "Our office", "created_at": "2025-06-05T08:00:12.118Z", "pageviews": 0,
     "max_bot_score": None},
    {"visitor_id": "a41c09e7d3b2f815", "label": "scraper", "created_at": "2025-06-04T09:12:00.000Z",
     "pageviews": 3, "max_bot_score": 45}])
event("click", visitor="a41c09e7d3b2f815", data='{"tag":"a"}')
vd = get("/api/bots/visitor/a41c09e7d3b2f815")
t.eq("visitor detail head", (vd["visitor_id"], vd["is_excluded"], vd["exclusion"], len(vd["views"]), vd["events"][0]["data"]),
     ("a41c09e7d3b2f815", True, {"visitor_id": "a41c09e7d3b2f815", "label": "scraper",
                                 "created_at": "2025-06-04T09:12:00.000Z"}, 3, '{"tag":"a"}'))
t.eq("visitor view keys", list(vd["views"][0]), ["path", "site_id", "interaction_ms", "device_type", "os_name",
                                                  "browser_name", "browser_version", "country_code",
                                                  "referrer_type", "bot_score", "is_pwa", "created_at"])
t.eq("unknown visitor", get("/api/bots/visitor/nobody"),
     {"visitor_id": "nobody", "is_excluded": False, "exclusion": None, "views": [], "events": []})
r = t.get("/api/bots/visitor/%zz", headers=H)
t.eq("malformed escape", r.status, 400)
vid = t.scalar("SELECT MIN(id) FROM visitor_views")
t.sql_exec("UPDATE visitor_views SET bot_score_detail='{\"timing\":8,\"no_events\":true}' WHERE id=%s" % vid)
t.eq("score-detail", get("/api/bots/score-detail?view_id=%20" + vid + "%20"),
     {"score": 45, "detail": {"timing": 8, "no_events": True}})
t.sql_exec("UPDATE visitor_views SET bot_score_detail='{broken' WHERE id=%s" % vid)
t.eq("score-detail unparsable", get("/api/bots/score-detail?view_id=" + vid)["detail"], {})
eid = t.scalar("SELECT MIN(id) FROM semantic_events")
t.eq("score-detail event null detail", get("/api/bots/score-detail?event_id=" + eid), {"score": 0, "detail": None})
for q in ("view_id=abc", "view_id=999999999", "event_id=12x"):
    r = t.get("/api/bots/score-detail?" + q, headers=H)
    t.eq("score-detail %s" % q, (r.status, r.json()), (404, {"error": "not_found", "message": "Not found"}))
r = t.get("/api/bots/score-detail", headers=H)
t.eq("score-detail missing", (r.status, r.json()),
     (400, {"error": "missing_param", "message": "view_id or event_id required"}))

reset()
t.done()
