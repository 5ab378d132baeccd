"""Restricted mode (ECHELON_ALLOWED_ORIGINS, spec/10 §2.6 and spec/40 §4.5) end to end:
the test stack serves $ECHELON_URL_RESTRICTED with ECHELON_ALLOWED_ORIGINS set to
allowed.example,www.allowed.example (same MariaDB, Redis and spool as the main port)."""
import base64
import json
import os
import sys
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench"))
import powtok  # noqa: E402
from lib import T, beacon_uri, browser_headers  # noqa: E402

t = T(__file__, url=os.environ["ECHELON_URL_RESTRICTED"])
RUN = uuid.uuid4().hex[:8]
SITE = "restricted-" + RUN
GIF = base64.b64decode("R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==")


def hdrs(**extra):
    return browser_headers("10.77", "131", **extra)


def beacon(path, **headers):
    return t.get(beacon_uri(t.secret, SITE, path), headers=hdrs(**headers))


def stored(path):
    return t.scalar("SELECT COUNT(*) FROM visitor_views WHERE site_id='%s' AND path='%s'" % (SITE, path))


def test_tracker_script():
    r = t.get("/ea.js", headers=hdrs(Referer="https://evil.example/page"))
    t.eq("/ea.js foreign Referer: 403", r.status, 403)
    t.eq("/ea.js foreign Referer: body", r.text, "// blocked")
    t.ok("/ea.js foreign Referer: no CORS", "access-control-allow-origin" not in r.headers)
    r = t.get("/ea.js", headers=hdrs(Referer="https://www.allowed.example/blog/post"))
    t.eq("/ea.js allowed Referer: 200", r.status, 200)
    r = t.get("/ea.js", headers=hdrs())
    t.eq("/ea.js without Referer: 200", r.status, 200)


def test_beacons():
    r = beacon("/allowed-origin", Origin="https://allowed.example")
    t.eq("allowed Origin: GIF", r.body, GIF)
    t.eq("allowed Origin: CORS reflects it", r.headers.get("access-control-allow-origin"),
         "https://allowed.example")
    t.eq("allowed Origin: credentials", r.headers.get("access-control-allow-credentials"), "true")
    beacon("/allowed-referer", Referer="https://ALLOWED.example/some/page")
    r = beacon("/foreign-origin", Origin="https://evil.example")
    t.eq("foreign Origin: still the GIF", (r.status, r.body), (200, GIF))
    t.eq("foreign Origin: no-store", r.headers.get("cache-control"), "no-store")
    t.ok("foreign Origin: no CORS", "access-control-allow-origin" not in r.headers, repr(r.headers))
    beacon("/no-origin-no-referer")
    beacon("/foreign-referer", Referer="https://allowed.example.evil.example/")
    t.flush()
    t.eq("allowed Origin is stored", stored("/allowed-origin"), "1")
    t.eq("allowed Referer (any case) is stored", stored("/allowed-referer"), "1")
    t.eq("foreign Origin is not stored", stored("/foreign-origin"), "0")
    t.eq("no Origin and no Referer is not stored", stored("/no-origin-no-referer"), "0")
    t.eq("look-alike host is not stored", stored("/foreign-referer"), "0")


def test_preflight_and_events():
    r = t.request("OPTIONS", "/e", headers={"Origin": "https://evil.example"})
    t.eq("preflight foreign origin: null", r.headers.get("access-control-allow-origin"), "null")
    r = t.request("OPTIONS", "/e", headers={"Origin": "https://www.allowed.example"})
    t.eq("preflight allowed origin: reflected", r.headers.get("access-control-allow-origin"),
         "https://www.allowed.example")
    sid = str(uuid.uuid4())
    body = {"siteId": SITE, "tok": powtok.token(t.secret, SITE, sid),
            "events": [{"type": "custom", "sessionId": sid, "data": {"name": "restricted-" + RUN}}]}
    r = t.post("/e", json.dumps(body), headers=hdrs(**{"Content-Type": "text/plain",
                                                        "Origin": "https://evil.example"}))
    t.eq("/e has no origin check: 204", r.status, 204)
    t.flush()
    n = t.scalar("SELECT COUNT(*) FROM semantic_events WHERE site_id='%s' AND event_type='custom'" % SITE)
    t.eq("/e from a foreign origin is stored", n, "1")


for fn in [test_tracker_script, test_beacons, test_preflight_and_events]:
    t.run(fn)
t.done()
