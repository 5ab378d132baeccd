"""Foundation: health, 404/405/413 shapes, OPTIONS, security headers, migrations,
degraded health when Redis or MariaDB does not answer. Runs through lighttpd and
(again) through Apache + mod_fcgid."""
import os
import signal
import time
from lib import T

t = T(__file__)
SEC = {"x-frame-options": "DENY", "x-content-type-options": "nosniff",
       "referrer-policy": "strict-origin-when-cross-origin"}


def sec_headers(name, r):
    for k, v in SEC.items():
        t.eq("%s: %s" % (name, k), r.headers.get(k), v)


def test_health():
    r = t.get("/api/health")
    t.eq("health 200", r.status, 200)
    t.eq("health content type", r.headers.get("content-type"), "application/json")
    j = r.json()
    t.eq("health status", j.get("status"), "ok")
    t.eq("health service", j.get("service"), "Echelon Analytics")
    t.eq("health key order", list(j.keys())[:2], ["status", "service"])
    comp = j.get("components") or {}
    t.eq("health components", list(comp.keys()), ["mariadb", "redis", "spool"])
    t.eq("health mariadb", comp.get("mariadb"), "ok")
    t.eq("health redis", comp.get("redis"), "ok")
    t.ok("health spool backlog", isinstance((comp.get("spool") or {}).get("backlog"), int), repr(comp))
    sec_headers("health", r)
    t.ok("health has no CSP (not HTML)", "content-security-policy" not in r.headers)
    t.ok("api responses carry no CORS", "access-control-allow-origin" not in r.headers)


def test_not_found():
    for path in ["/nope", "/api/xyz", "/admin/xyz", "/api/health/", "/%3Cscript%3E"]:
        r = t.get(path)
        t.eq("404 " + path, r.status, 404)
        t.eq("404 body " + path, r.text, "Not Found")
        t.ok("404 does not echo the path " + path, b"script" not in r.body.lower() or path == "/nope")
        t.eq("404 type " + path, r.headers.get("content-type"), "text/plain;charset=UTF-8")
        sec_headers("404 " + path, r)


def test_method_not_allowed():
    for m in ["POST", "DELETE", "PATCH", "PUT"]:
        r = t.request(m, "/api/health")
        t.eq("405 %s /api/health" % m, r.status, 405)
        t.eq("405 body", r.text, "Method Not Allowed")
        t.ok("405 has no Allow header", "allow" not in r.headers)
        sec_headers("405", r)
    r = t.request("HEAD", "/api/health")
    t.eq("HEAD served by GET", r.status, 200)
    t.eq("HEAD has no body", r.body, b"")
    r = t.get("//api//health")
    t.eq("runs of slashes collapse", r.status, 200)


def test_options():
    for path in ["/api/health", "/anything/at/all", "/api/campaigns"]:
        r = t.request("OPTIONS", path, headers={"Origin": "https://evil.example"})
        t.eq("OPTIONS %s 204" % path, r.status, 204)
        t.eq("OPTIONS %s origin null" % path, r.headers.get("access-control-allow-origin"), "null")
        t.eq("OPTIONS methods", r.headers.get("access-control-allow-methods"),
             "GET, POST, PATCH, DELETE, OPTIONS")
        t.eq("OPTIONS headers", r.headers.get("access-control-allow-headers"), "Content-Type, Authorization")
        t.eq("OPTIONS max-age", r.headers.get("access-control-max-age"), "86400")
        sec_headers("OPTIONS", r)
    r = t.request("OPTIONS", "/b.gif", headers={"Origin": "https://site.example"})
    t.eq("OPTIONS tracking reflects origin", r.headers.get("access-control-allow-origin"), "https://site.example")
    t.eq("OPTIONS tracking credentials", r.headers.get("access-control-allow-credentials"), "true")
    r = t.request("OPTIONS", "/e")
    t.eq("OPTIONS tracking without origin", r.headers.get("access-control-allow-origin"), "*")


def test_bearer_reaches_the_worker():
    # Apache withholds Authorization from FastCGI unless CGIPassAuth is on.
    r = t.get("/api/campaigns", t.bearer)
    t.eq("bearer token accepted", r.status, 200)
    r = t.get("/api/campaigns")
    t.eq("no token: 401", r.status, 401)


def test_413():
    big = b"x" * (1024 * 1024 + 10)
    r = t.post("/api/ingest", big, {"Content-Type": "application/json", **t.bearer})
    t.eq("ingest over 1 MB is 413", r.status, 413)
    if r.status == 413:
        t.eq("413 body", r.json(), {"error": "payload_too_large", "message": "Body exceeds 1MB limit"})
    r = t.post("/e", b"{" + b" " * (16 * 1024 + 10) + b"}", {"Content-Type": "text/plain"})
    t.eq("/e over 16 KB is 413", r.status, 413)
    t.eq("/e 413 has an empty body", r.body, b"")


def test_migrations_idempotent():
    before = t.sql("SELECT version, name FROM schema_migrations ORDER BY version")
    t.ok("migrations recorded", len(before) >= 1, repr(before))
    t.ctl("migrate")
    t.ctl("migrate")
    after = t.sql("SELECT version, name FROM schema_migrations ORDER BY version")
    t.eq("migrate twice changes nothing", after, before)
    tables = {r[0] for r in t.sql("SHOW TABLES")}
    for name in ["visitor_views", "visitor_views_daily", "semantic_events", "excluded_visitors",
                 "experiments", "experiment_variants", "utm_campaigns", "site_settings",
                 "instance_settings", "perf_metrics", "maintenance_log"]:
        t.ok("table " + name, name in tables)


def timed_health():
    t0 = time.monotonic()
    r = t.get("/api/health")
    return r, time.monotonic() - t0


def test_degraded_redis():
    t.stop_redis()
    try:
        time.sleep(0.2)
        r, dt = timed_health()
        t.eq("redis down: still 200", r.status, 200)
        j = r.json()
        t.eq("redis down: degraded", j.get("status"), "degraded")
        t.eq("redis down: component", j.get("components", {}).get("redis"), "down")
        t.ok("redis down: answered within a second (%.2fs)" % dt, dt < 1.0)
    finally:
        t.restart_redis()
    deadline = time.time() + 5
    while time.time() < deadline:
        if t.get("/api/health").json().get("status") == "ok":
            break
        time.sleep(0.3)
    t.eq("redis back: ok again", t.get("/api/health").json().get("status"), "ok")


def test_degraded_mariadb():
    t.signal("mariadb", signal.SIGSTOP)
    try:
        r, dt = timed_health()
        t.eq("mariadb stopped: still 200", r.status, 200)
        j = r.json()
        t.eq("mariadb stopped: degraded", j.get("status"), "degraded")
        t.eq("mariadb stopped: component", j.get("components", {}).get("mariadb"), "down")
        t.ok("mariadb stopped: answered within about a second (%.2fs)" % dt, dt < 1.6)
    finally:
        t.signal("mariadb", signal.SIGCONT)
    time.sleep(0.5)
    t.eq("mariadb back: ok again", t.get("/api/health").json().get("status"), "ok")


for fn in [test_health, test_bearer_reaches_the_worker, test_not_found, test_method_not_allowed, test_options, test_413,
           test_migrations_idempotent, test_degraded_redis, test_degraded_mariadb]:
    t.run(fn)
t.done()
