"""Write buffers (spec/README.md decision 11; seed api-reference "buffers"):
/api/stats/vitals `buffers` and the admin live bar ("buf: Nv/Ne") split the
spool backlog into pageviews and events not yet in MariaDB. `events` counts
events (future semantic_events rows), not /e requests: one /e with two
events is 2.

The shipper is held off by taking its per-host run lock
(<spool>/shipper-run.lock, as tests/bench/beacon.sh does): records then stay
in the spool, and the workers' backlog job republishes the counts within a
few seconds. After the lock is released, echelon-ctl flush ships them and
both numbers drop to 0.
"""
import fcntl
import json
import os
import random
import re
import sys
import time
import urllib.parse
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench"))
import powtok  # noqa: E402
from lib import T, beacon_uri, browser_headers  # noqa: E402

t = T(__file__)
RUN = uuid.uuid4().hex[:8]
SITE = "buf-" + RUN
SPOOL = os.environ["ECHELON_SPOOL_DIR"]
ZERO = {"views": 0, "events": 0}


def hdrs(**extra):
    return browser_headers("198.51", "120", **extra)


def beacon(path):
    return t.get(beacon_uri(t.secret, SITE, path), headers=hdrs())


def events(evs):
    sid = str(uuid.uuid4())
    for e in evs:
        e.setdefault("sessionId", sid)
    body = {"siteId": SITE, "events": evs, "tok": powtok.token(t.secret, SITE, sid)}
    return t.post("/e", json.dumps(body), headers=hdrs(**{"Content-Type": "application/json"}))


def vitals():
    r = t.get("/api/stats/vitals", t.bearer)
    return r.json() if r.status == 200 else {}


def wait_buffers(want, secs=20):
    """Poll until buffers == want (the backlog is published about once a
    second, and every 3 s at the latest while nobody ships)."""
    end = time.time() + secs
    v = vitals()
    while v.get("buffers") != want and time.time() < end:
        time.sleep(0.25)
        v = vitals()
    return v


def admin_cookie():
    body = urllib.parse.urlencode({"username": os.environ.get("ECHELON_ADMIN_USER", "admin"),
                                   "password": os.environ.get("ECHELON_ADMIN_PASSWORD", "")})
    r = t.post("/admin/login", body, {"Content-Type": "application/x-www-form-urlencoded",
                                      "X-Forwarded-For": "192.0.2.%d" % random.randrange(1, 250)})
    m = re.match(r"echelon_session=([^;]+);", r.headers.get("set-cookie", ""))
    return {"Cookie": "echelon_session=" + m.group(1)} if m else None


def livebar(cookie):
    r = t.get("/admin", cookie)
    m = re.search(r"buf: (\d+)v/(\d+)e", r.text)
    return (int(m.group(1)), int(m.group(2))) if m else (r.status, r.text[:200])


def test_split():
    t.flush()
    v = wait_buffers(ZERO)
    t.eq("empty spool: buffers 0/0", v.get("buffers"), ZERO)
    t.eq("buffers key order", list(v.get("buffers", {})), ["views", "events"])
    cookie = admin_cookie()
    t.ok("admin login", cookie is not None)

    lock = open(os.path.join(SPOOL, "shipper-run.lock"), "a+")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for i in range(3):
            t.eq("beacon %d: 200" % i, beacon("/buffers/%d" % i).status, 200)
        t.eq("/e with 2 events: 204", events([{"type": "click"}, {"type": "scroll_depth",
                                                                   "data": {"depth": 50}}]).status, 204)
        v = wait_buffers({"views": 3, "events": 2})
        t.eq("held: buffers", v.get("buffers"), {"views": 3, "events": 2})
        t.ok("held: spool.backlog counts the 4 records", v.get("spool", {}).get("backlog", 0) >= 4, v)
        h = t.get("/api/health").json()
        t.ok("held: health spool.backlog", h["components"]["spool"]["backlog"] >= 4, h)
        if cookie:
            t.eq("held: admin live bar", livebar(cookie), (3, 2))
        t.eq("held: nothing in MariaDB yet",
             t.scalar("SELECT COUNT(*) FROM visitor_views WHERE site_id='%s'" % SITE), "0")
    finally:
        fcntl.flock(lock, fcntl.LOCK_UN)
        lock.close()

    t.flush()
    v = wait_buffers(ZERO)
    t.eq("flushed: buffers", v.get("buffers"), ZERO)
    t.eq("flushed: spool.backlog", v.get("spool", {}).get("backlog"), 0)
    if cookie:
        t.eq("flushed: admin live bar", livebar(cookie), (0, 0))
    t.eq("flushed: 3 views stored",
         t.scalar("SELECT COUNT(*) FROM visitor_views WHERE site_id='%s'" % SITE), "3")
    t.eq("flushed: 2 events stored",
         t.scalar("SELECT COUNT(*) FROM semantic_events WHERE site_id='%s'" % SITE), "2")


t.run(test_split)
t.done()
