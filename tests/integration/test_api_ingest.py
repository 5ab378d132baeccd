"""Bulk ingest, POST /api/ingest (spec/40 §3.6 + product decision 1): every
validation rule and message, the stored rows (data JSON, session_context, ts ->
created_at/hour/month/day_of_week, bot_score + detail), views as well as events,
idempotency on event_id/view_id (a re-sent batch inserts nothing), the 1 MB limit
on actual bytes, ignored sites, and backfill of a past, already rolled-up day."""
import datetime
import json
import uuid
from lib import T

t = T(__file__)
B = t.bearer


def U():
    return str(uuid.uuid4())


def iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (dt.microsecond // 1000)


NOW = datetime.datetime.utcnow()


def batch(events=None, views=None, ctx=None, **kw):
    b = {"v": 1, "batch_id": U(), "sent_at": iso(NOW),
         "context": ctx if ctx is not None else {"session_id": U(), "site_id": "ingest.example"}}
    if events is not None:
        b["events"] = events
    if views is not None:
        b["views"] = views
    b.update(kw)
    return b


def ev(**kw):
    e = {"event_id": U(), "type": "trial_started", "ts": iso(NOW)}
    e.update(kw)
    return e


def vw(**kw):
    v = {"view_id": U(), "ts": iso(NOW), "path": "/pricing"}
    v.update(kw)
    return v


def bad(name, body, msg, raw=False):
    r = t.post("/api/ingest", body if raw else json.dumps(body), B)
    t.eq(name, (r.status, r.json() if r.status < 500 else r.text), (400, {"error": "invalid_payload", "message": msg}))


def test_validation():
    bad("invalid JSON", "{", "Invalid JSON", raw=True)
    bad("empty body", "", "Invalid JSON", raw=True)
    for v in [None, 5, "s", True]:
        bad("not an object %r" % (v,), v, "Body must be a JSON object")
    bad("array -> version", [1], "Unsupported protocol version")
    bad("v missing", {"batch_id": U()}, "Unsupported protocol version")
    bad("v string", batch([ev()], v="1"), "Unsupported protocol version")
    bad("v 2", batch([ev()], v=2), "Unsupported protocol version")
    bad("batch_id", batch([ev()], batch_id="nope"), "Invalid batch_id")
    bad("context missing", {"v": 1, "batch_id": U(), "events": [ev()]}, "Missing context")
    bad("context string", batch([ev()], ctx="x"), "Missing context")
    bad("session_id", batch([ev()], ctx={"session_id": "x"}), "Invalid session_id")
    bad("site_id null", batch([ev()], ctx={"session_id": U(), "site_id": None}), "Invalid site_id")
    bad("site_id invalid", batch([ev()], ctx={"session_id": U(), "site_id": "a b"}), "Invalid site_id")
    bad("site_id 65", batch([ev()], ctx={"session_id": U(), "site_id": "a" * 65}), "Invalid site_id")
    bad("events missing", batch(), "Events array is empty or missing")
    bad("events empty", batch([]), "Events array is empty or missing")
    bad("events object", batch({"a": 1}), "Events array is empty or missing")
    bad("101 events", batch([ev() for _ in range(101)]), "Too many events (max 100)")
    bad("101 views", batch(views=[vw() for _ in range(101)]), "Too many views (max 100)")
    bad("event not object", batch([ev(), 5]), "Invalid event object")
    bad("event_id missing", batch([{"type": "x", "ts": iso(NOW)}]), "Invalid event_id: undefined")
    bad("event_id null", batch([ev(event_id=None)]), "Invalid event_id: null")
    bad("event_id number", batch([ev(event_id=12)]), "Invalid event_id: number")
    bad("event_id string", batch([ev(event_id="<b>nope</b>")]), "Invalid event_id: <b>nope</b>")
    bad("event_id long string bounded", batch([ev(event_id="x" * 100)]), "Invalid event_id: " + "x" * 64)
    bad("type missing", batch([ev(type=None)]), "Event missing type")
    bad("type empty", batch([ev(type="")]), "Event missing type")
    bad("type syntax", batch([ev(type="9-lives")]), "Invalid event type: 9-lives")
    bad("type too long", batch([ev(type="a" * 65)]), "Invalid event type: " + "a" * 32)
    bad("ts missing", batch([ev(ts=None)]), "Event missing ts")
    bad("ts number", batch([ev(ts=5)]), "Event missing ts")
    bad("ts malformed", batch([ev(ts="yesterday")]), "Invalid ts")
    bad("ts without Z", batch([ev(ts="2026-03-01T12:00:00")]), "Invalid ts")
    bad("ts future", batch([ev(ts=iso(NOW + datetime.timedelta(minutes=10)))]), "ts outside retention")
    bad("ts too old", batch([ev(ts=iso(NOW - datetime.timedelta(days=400)))]), "ts outside retention")
    bad("view not object", batch(views=["x"]), "Invalid view object")
    bad("view_id", batch(views=[vw(view_id="x")]), "Invalid view_id: x")
    bad("view path", batch(views=[vw(path="")]), "View missing path")
    bad("view ts", batch(views=[vw(ts=None)]), "View missing ts")
    bad("bot_score range", batch(views=[vw(bot_score=101)]), "Invalid bot_score")
    bad("views not array", batch([ev()], views="x"), "Views must be an array")
    r = t.post("/api/ingest", " " * (1024 * 1024 + 1), B)
    t.eq("> 1 MiB actual bytes: 413", (r.status, r.json()),
         (413, {"error": "payload_too_large", "message": "Body exceeds 1MB limit"}))
    t.eq("anonymous: 401", t.post("/api/ingest", batch([ev()])).status, 401)


def test_store_event():
    sid = U()
    e = ev(type="trial_started", ts="%sT12:00:01Z" % (NOW.date() - datetime.timedelta(days=1)),
           referrer="https://search.example/", experiments=[{"experiment_id": "onboarding-v2", "variant_id": "short"}],
           data={"plan": "team"}, bot_score=10)
    ctx = {"session_id": sid, "site_id": "docs.example", "device_class": "mobile", "viewport_width": 390,
           "viewport_height": 844, "screen_width": 390, "screen_height": 844, "device_pixel_ratio": 3,
           "user_agent": "ExampleApp/2.1", "language": "fi-FI", "timezone_offset_min": -180, "connection_type": "4g"}
    r = t.post("/api/ingest", batch([e, ev(data=[1, 2], experiments=[{"variant_id": "x"}])], ctx=ctx), B)
    t.eq("event batch: 200", (r.status, r.json()), (200, {"accepted": 2, "duplicate": 0}))
    rows = t.sql("SELECT event_type, site_id, session_id, visitor_id, data, experiment_id, device_type, referrer, "
                 "hour, month, day_of_week, is_returning, bot_score, bot_score_detail, "
                 "DATE_FORMAT(created_at, '%%Y-%%m-%%dT%%H:%%i:%%s') FROM semantic_events "
                 "WHERE session_id='%s' ORDER BY id" % sid)
    t.eq("two rows", len(rows), 2)
    if len(rows) == 2:
        d = datetime.date.fromisoformat(e["ts"][:10])
        want = ("trial_started", "docs.example", sid, None,
                '{"plan":"team","experiment_id":"onboarding-v2","variant_id":"short","session_context":'
                '{"device_class":"mobile","viewport":"390x844","screen":"390x844","language":"fi-FI"}}',
                None, "mobile", "https://search.example/", "12", str(d.month), str((d.weekday() + 1) % 7), "0", "10",
                '{"source":"api_ingest"}', e["ts"][:19])
        t.eq("stored event (data, ts-derived hour/month/dow, score, detail)", rows[0], want)
        t.eq("non-object data ignored, no experiment without id; default score 0", (rows[1][4], rows[1][12]),
             ('{"session_context":{"device_class":"mobile","viewport":"390x844","screen":"390x844",'
              '"language":"fi-FI"}}', "0"))
    r = t.post("/api/ingest", batch([ev()], ctx={"session_id": sid, "viewport_width": 1}), B)
    t.eq("no site -> default", t.scalar("SELECT site_id FROM semantic_events WHERE session_id='%s' ORDER BY id DESC "
                                        "LIMIT 1" % sid), "default")
    t.eq("missing dimension: no viewport, empty session_context",
         t.scalar("SELECT data FROM semantic_events WHERE session_id='%s' ORDER BY id DESC LIMIT 1" % sid),
         '{"session_context":{}}')


def test_idempotency_and_views():
    sid = U()
    vid = U()
    b = batch([ev(), ev()], [vw(view_id=vid, visitor_id="abcdef0123456789", screen_width=390, screen_height=844,
                               device_type="mobile", country_code="fi", bot_score=60,
                               utm_campaign="spring", referrer="https://news.example")],
              ctx={"session_id": sid, "site_id": "ingest.example"})
    r = t.post("/api/ingest", b, B)
    t.eq("mixed batch", r.json(), {"accepted": 3, "duplicate": 0})
    b["batch_id"] = U()
    r = t.post("/api/ingest", b, B)
    t.eq("re-sent batch inserts nothing", (r.status, r.json()), (200, {"accepted": 0, "duplicate": 3}))
    t.eq("still 2 events", t.scalar("SELECT COUNT(*) FROM semantic_events WHERE session_id='%s'" % sid), "2")
    t.eq("still 1 view", t.scalar("SELECT COUNT(*) FROM visitor_views WHERE session_id='%s'" % sid), "1")
    row = t.sql("SELECT visitor_id, path, site_id, screen_width, screen_height, device_type, country_code, bot_score, "
                "bot_score_detail, utm_campaign, referrer FROM visitor_views WHERE session_id='%s'" % sid)
    t.eq("view row", row, [("abcdef0123456789", "/pricing", "ingest.example", "390", "844", "mobile", "FI", "60",
                            '{"source":"api_ingest"}', "spring", "https://news.example")])
    e2 = ev()
    r = t.post("/api/ingest", batch([e2, e2], ctx={"session_id": sid}), B)
    t.eq("duplicate inside one batch", r.json(), {"accepted": 1, "duplicate": 1})
    r = t.post("/api/ingest", batch([], [vw()], ctx={"session_id": sid}), B)
    t.eq("views only (events empty)", r.json(), {"accepted": 1, "duplicate": 0})
    r = t.post("/api/ingest", batch(views=[vw(visitor_id=None)], ctx={"session_id": sid}), B)
    t.eq("views only (events absent)", r.json(), {"accepted": 1, "duplicate": 0})
    ids = t.sql("SELECT visitor_id FROM visitor_views WHERE session_id='%s' AND visitor_id<>'abcdef0123456789'" % sid)
    t.ok("a view without visitor_id gets a stable 16-hex id", len(ids) == 2 and ids[0] == ids[1] and
         len(ids[0][0]) == 16, ids)
    r = t.post("/api/ingest", batch([ev()], ctx={"session_id": U(), "site_id": "smoke-test"}), B)
    t.eq("ignored site: nothing stored", r.json(), {"accepted": 0, "duplicate": 0})


def test_backfill_rolled_up_day():
    day = NOW.date() - datetime.timedelta(days=3)
    site = "backfill-" + uuid.uuid4().hex[:8]
    # the day has been rolled up already (maintenance_log says complete)
    t.sql_exec("INSERT INTO maintenance_log (`date`, status, started_at, completed_at) VALUES ('%s', 'complete', "
               "UTC_TIMESTAMP(3), UTC_TIMESTAMP(3)) ON DUPLICATE KEY UPDATE status='complete'" % day)
    views = [vw(ts="%sT10:%02d:00Z" % (day, i), visitor_id="%016x" % (i % 3), path="/p%d" % i) for i in range(6)]
    r = t.post("/api/ingest", batch(views=views, ctx={"session_id": U(), "site_id": site}), B)
    t.eq("backfill accepted", r.json(), {"accepted": 6, "duplicate": 0})
    t.eq("created_at from ts", t.scalar("SELECT COUNT(*) FROM visitor_views WHERE site_id='%s' AND "
                                         "DATE(created_at)='%s'" % (site, day)), "6")
    visits = t.scalar("SELECT SUM(visits) FROM visitor_views_daily WHERE site_id='%s' AND `date`='%s'" % (site, day))
    status = t.scalar("SELECT status FROM maintenance_log WHERE `date`='%s'" % day)
    t.eq("the rolled-up day was re-rolled at once", (visits, status), ("6", "complete"))

for fn in [test_validation, test_store_event, test_idempotency_and_views, test_backfill_rolled_up_day]:
    t.run(fn)
t.done()
