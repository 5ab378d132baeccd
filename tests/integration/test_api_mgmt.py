"""Management endpoints (spec/40 §3.2-3.8): campaigns, experiments and the full
25-pair status state machine, bot exclusion, site consent CSS, debug toggle, perf
metrics -- success and every error path, through the real stack with a bearer."""
import json
import os
import time
from lib import T

t = T(__file__)
B = t.bearer
RUN = "%x" % (int(time.time() * 1000) % 0xffffffff)   # unique ids per run


def err(code, msg=None):
    return {"error": code, "message": msg} if msg is not None else {"error": code}


def j(r):
    try:
        return r.json()
    except Exception:
        return r.text


def gen(name):
    v = t.redis("GET", "ech:gen:" + name)
    return int(v) if v else 0


# ---------------------------------------------------------------- campaigns
def test_campaigns():
    cid = "c-" + RUN
    g0 = gen("campaigns")
    r = t.post("/api/campaigns", {"id": cid, "name": "Autumn\x01 Sale\n", "utm_campaign": "autumn" + RUN,
                                  "site_id": "shop.example"}, B)
    t.eq("create: 201", (r.status, j(r)), (201, {"created": cid}))
    t.ok("create bumps gen:campaigns", gen("campaigns") > g0)
    r = t.get("/api/campaigns/" + cid, B)
    row = j(r)
    t.eq("get one: 200", r.status, 200)
    t.eq("get one: key order", list(row.keys()), ["id", "name", "utm_campaign", "site_id", "status", "created_at"])
    t.eq("control characters stripped", row["name"], "Autumn Sale")
    t.eq("status active", row["status"], "active")
    t.ok("created_at canonical", len(row["created_at"]) == 24 and row["created_at"].endswith("Z"), row)
    lst = j(t.get("/api/campaigns", B))
    t.ok("list contains it (newest first)", lst and lst[0]["id"] == cid, lst[:1])
    t.eq("duplicate id: 409", j(t.post("/api/campaigns", {"id": cid, "name": "x", "utm_campaign": "other" + RUN}, B)),
         err("conflict", "Campaign creation failed (duplicate id or utm_campaign+site_id)"))
    r = t.post("/api/campaigns", {"id": cid + "b", "name": "x", "utm_campaign": "autumn" + RUN,
                                  "site_id": "shop.example"}, B)
    t.eq("duplicate utm_campaign+site: 409", r.status, 409)
    r = t.post("/api/campaigns", {"id": cid + "c", "name": "x", "utm_campaign": "Autumn" + RUN,
                                  "site_id": "shop.example"}, B)
    t.eq("campaign values are case-sensitive", r.status, 201)
    missing = err("invalid_payload", "Missing required fields: id, name, utm_campaign")
    for body in [{}, {"id": cid, "name": "x"}, {"id": "", "name": "x", "utm_campaign": "y"},
                 {"id": 0, "name": "x", "utm_campaign": "y"}, None, [1], "str"]:
        r = t.post("/api/campaigns", json.dumps(body), B)
        t.eq("missing fields %r" % (body,), (r.status, j(r)), (400, missing))
    for body in ["", "{", "nope"]:
        r = t.post("/api/campaigns", body, B)
        t.eq("invalid JSON %r" % body, (r.status, j(r)), (400, err("invalid_payload", "Invalid JSON")))
    r = t.post("/api/campaigns", {"id": "bad id", "name": "x", "utm_campaign": "y"}, B)
    t.eq("bad id", (r.status, j(r)), (400, err("invalid_id", "ID must be alphanumeric with ._- only")))
    long_id = "L" + RUN + "x" * 200
    r = t.post("/api/campaigns", {"id": long_id, "name": "x", "utm_campaign": "long" + RUN}, B)
    t.eq("id truncated to 128", j(r), {"created": long_id[:128]})
    r = t.post("/api/campaigns", {"id": 12345 + int(RUN, 16) % 1000, "name": 7, "utm_campaign": True,
                                  "site_id": "bad site!"}, B)
    t.eq("String() of numbers and booleans", r.status, 201)
    row = j(t.get("/api/campaigns/" + j(r)["created"], B))
    t.eq("coerced fields and invalid site -> default", (row["name"], row["utm_campaign"], row["site_id"]),
         ("7", "true", "default"))
    t.sql_exec("DELETE FROM utm_campaigns WHERE id='%s'" % row["id"])
    # PATCH
    g0 = gen("campaigns")
    r = t.patch("/api/campaigns/" + cid, {"status": "paused"}, B)
    t.eq("patch: 200", (r.status, j(r)), (200, {"updated": cid}))
    t.ok("patch bumps gen:campaigns", gen("campaigns") > g0)
    r = t.patch("/api/campaigns/" + cid, {"status": "paused"}, B)
    t.eq("patch to the current status: 200 (found rows)", r.status, 200)
    bad = err("invalid_payload", "Invalid status. Must be one of: active, paused, archived")
    for body in [{"status": "Paused"}, {"status": "draft"}, {}, {"status": 1}, None]:
        r = t.patch("/api/campaigns/" + cid, json.dumps(body), B)
        t.eq("patch bad status %r" % (body,), (r.status, j(r)), (400, bad))
    t.eq("patch invalid JSON", j(t.patch("/api/campaigns/" + cid, "{x", B)), err("invalid_payload", "Invalid JSON"))
    r = t.patch("/api/campaigns/none-" + RUN, {"status": "active"}, B)
    t.eq("patch unknown: 404", (r.status, j(r)), (404, err("not_found", "Campaign not found")))
    r = t.get("/api/campaigns/none-" + RUN, B)
    t.eq("get unknown: 404", (r.status, j(r)), (404, err("not_found", "Campaign not found")))
    r = t.get("/api/campaigns/%zz", B)
    t.eq("malformed escape: 400", (r.status, j(r)), (400, err("invalid_payload", "Invalid path parameter")))
    r = t.get("/api/campaigns/" + cid.replace("-", "%2D"), B)
    t.eq("percent-decoded once", r.status, 200)
    # DELETE
    r = t.delete("/api/campaigns/" + cid, B)
    t.eq("delete: 200", (r.status, j(r)), (200, {"deleted": cid}))
    r = t.delete("/api/campaigns/" + cid, B)
    t.eq("delete again: 404", (r.status, j(r)), (404, err("not_found", "Campaign not found")))
    t.eq("405 on PUT", t.request("PUT", "/api/campaigns/" + cid, {}, B).status, 405)
    r = t.post("/api/campaigns", "x" * (1024 * 1024 + 1), B)
    t.eq("1 MiB cap", (r.status, j(r)), (413, err("payload_too_large", "Body exceeds 1MB limit")))


# ---------------------------------------------------------------- experiments
def exp_row(eid):
    for e in j(t.get("/api/experiments", B)):
        if e["experiment_id"] == eid:
            return e
    return None


def test_experiments_create():
    eid = "e-" + RUN
    body = {"experiment_id": eid, "name": "Pricing page layout", "description": "Cards vs. table",
            "metric_event_type": "signup", "allocation_percent": 50,
            "variants": [{"variant_id": "cards", "name": "Cards", "weight": 1, "is_control": True},
                         {"variant_id": "table", "name": "Table", "weight": "5", "config": {"columns": 3}},
                         {"variant_id": "frac", "name": "Frac", "weight": 0.4}]}
    r = t.post("/api/experiments", body, B)
    t.eq("create: 201", (r.status, j(r)), (201, {"created": eid}))
    e = exp_row(eid)
    t.eq("list key order", list(e.keys()), ["experiment_id", "name", "description", "status", "metric_event_type",
                                            "allocation_percent", "created_at", "started_at", "ended_at"])
    t.eq("list values", (e["status"], e["allocation_percent"], e["started_at"], e["ended_at"], e["description"]),
         ("draft", 50, None, None, "Cards vs. table"))
    rows = t.sql("SELECT variant_id, weight, is_control, config FROM experiment_variants WHERE experiment_id='%s' "
                 "ORDER BY variant_id" % eid)
    t.eq("variants stored", rows, [("cards", "1", "1", None), ("frac", "0.4", "0", None),
                                   ("table", "5", "0", '{"columns":3}')])
    for alloc, want in [(None, 100), (0, 100), (-5, 1), (250, 100), ("30", 30), ("abc", 100), (50.5, 50.5)]:
        x = "%s-a%s" % (eid, str(alloc).replace(".", "_").replace("-", "m"))
        b = {"experiment_id": x, "name": "n", "metric_event_type": "m"}
        if alloc is not None:
            b["allocation_percent"] = alloc
        t.eq("allocation %r" % (alloc,), t.post("/api/experiments", b, B).status, 201)
        t.eq("allocation %r stored as %r" % (alloc, want), (exp_row(x) or {}).get("allocation_percent"), want)
    r = t.post("/api/experiments", {"experiment_id": eid + "-d", "name": "n", "metric_event_type": "m",
                                    "description": ""}, B)
    t.eq("falsy description -> null", (exp_row(eid + "-d") or {}).get("description", "?"), None)
    t.eq("missing fields", j(t.post("/api/experiments", {"experiment_id": "x", "name": "n"}, B)),
         err("invalid_payload", "Missing required fields"))
    t.eq("null body", j(t.post("/api/experiments", "null", B)), err("invalid_payload", "Missing required fields"))
    t.eq("invalid JSON", j(t.post("/api/experiments", "{", B)), err("invalid_payload", "Invalid JSON"))
    t.eq("bad id", j(t.post("/api/experiments", {"experiment_id": "a b", "name": "n", "metric_event_type": "m"}, B)),
         err("invalid_payload", "experiment_id must be alphanumeric (plus . _ -)"))
    wmsg = err("invalid_payload", "Variant weight must be a finite positive number")
    for w in [0, -1, None, "abc"]:
        x = eid + "-w"
        b = {"experiment_id": x, "name": "n", "metric_event_type": "m",
             "variants": [{"variant_id": "a", "name": "A", "weight": 1}, {"variant_id": "b", "weight": w}]}
        r = t.post("/api/experiments", b, B)
        t.eq("weight %r: 400" % (w,), (r.status, j(r)), (400, wmsg))
        t.eq("weight %r: rolled back" % (w,), exp_row(x), None)
    b = {"experiment_id": eid + "-dup", "name": "n", "metric_event_type": "m",
         "variants": [{"variant_id": "a", "weight": 1}, {"variant_id": "a", "weight": 1}]}
    r = t.post("/api/experiments", b, B)
    t.eq("duplicate variant: 409", (r.status, j(r)), (409, err("conflict", "Experiment creation failed")))
    t.eq("duplicate variant: rolled back", exp_row(eid + "-dup"), None)
    b = {"experiment_id": eid + "-null", "name": "n", "metric_event_type": "m", "variants": [None]}
    t.eq("null variant: 409", t.post("/api/experiments", b, B).status, 409)
    t.eq("duplicate experiment: 409", t.post("/api/experiments", body, B).status, 409)
    b = {"experiment_id": eid + "-many", "name": "n", "metric_event_type": "m",
         "variants": [{"variant_id": "v%d" % i, "weight": 1} for i in range(25)]}
    t.eq("25 variants accepted", t.post("/api/experiments", b, B).status, 201)
    t.eq("only the first 20 stored",
         t.scalar("SELECT COUNT(*) FROM experiment_variants WHERE experiment_id='%s-many'" % eid), "20")
    b = {"experiment_id": eid + "-zero", "name": "n", "metric_event_type": "m", "variants": "nope"}
    t.eq("non-array variants: zero variants", t.post("/api/experiments", b, B).status, 201)


def test_experiment_state_machine():
    st = ["draft", "active", "paused", "completed", "archived"]
    allowed = {("draft", "active"), ("active", "paused"), ("active", "completed"), ("paused", "active"),
               ("completed", "archived")}
    n = 0
    for a in st:
        for b in st:
            eid = "sm-%s-%s-%s" % (RUN, a, b)
            t.post("/api/experiments", {"experiment_id": eid, "name": "n", "metric_event_type": "m"}, B)
            t.sql_exec("UPDATE experiments SET status='%s' WHERE experiment_id='%s'" % (a, eid))
            r = t.patch("/api/experiments/" + eid, {"status": b}, B)
            if (a, b) in allowed:
                t.eq("%s -> %s allowed" % (a, b), (r.status, j(r)), (200, {"updated": eid}))
            else:
                t.eq("%s -> %s refused" % (a, b), (r.status, j(r)),
                     (400, err("invalid_transition", "Cannot transition from '%s' to '%s'" % (a, b))))
            n += 1
    t.eq("all 25 pairs", n, 25)
    # timestamps
    eid = "ts-" + RUN
    t.post("/api/experiments", {"experiment_id": eid, "name": "n", "metric_event_type": "m"}, B)
    t.patch("/api/experiments/" + eid, {"status": "active"}, B)
    e = exp_row(eid)
    t.ok("draft -> active sets started_at", e["started_at"] and e["ended_at"] is None, e)
    started = e["started_at"]
    time.sleep(0.05)
    t.patch("/api/experiments/" + eid, {"status": "paused"}, B)
    t.eq("paused keeps started_at", exp_row(eid)["started_at"], started)
    t.patch("/api/experiments/" + eid, {"status": "active"}, B)
    t.eq("resume keeps the first started_at", exp_row(eid)["started_at"], started)
    t.patch("/api/experiments/" + eid, {"status": "completed"}, B)
    ended = exp_row(eid)["ended_at"]
    t.ok("completed sets ended_at", ended)
    time.sleep(0.05)
    t.eq("archive: 200", t.patch("/api/experiments/" + eid, {"status": "archived"}, B).status, 200)
    e = exp_row(eid)
    t.eq("archive keeps ended_at", (e["status"], e["ended_at"]), ("archived", ended))
    bad = err("invalid_payload", "Invalid status. Must be one of: draft, active, paused, completed, archived")
    t.eq("bad status", j(t.patch("/api/experiments/" + eid, {"status": "done"}, B)), bad)
    t.eq("missing status", j(t.patch("/api/experiments/" + eid, {}, B)), bad)
    t.eq("invalid JSON", j(t.patch("/api/experiments/" + eid, "", B)), err("invalid_payload", "Invalid JSON"))
    r = t.patch("/api/experiments/nope-" + RUN, {"status": "active"}, B)
    t.eq("unknown: 404", (r.status, j(r)), (404, err("not_found", "Experiment not found")))
    t.eq("GET /api/experiments/:id: 405", t.get("/api/experiments/" + eid, B).status, 405)


# ---------------------------------------------------------------- bots
def test_bots_exclude():
    vid = "v" + RUN
    g0 = gen("excluded")
    r = t.post("/api/bots/exclude", {"visitor_id": vid, "label": "Known bot"}, B)
    t.eq("exclude: 201", (r.status, j(r)), (201, {"excluded": vid}))
    t.ok("exclude bumps gen:excluded", gen("excluded") > g0)
    r = t.post("/api/bots/exclude", {"visitor_id": vid, "label": "Other"}, B)
    t.eq("exclude again: 201", r.status, 201)
    t.eq("label kept", t.scalar("SELECT label FROM excluded_visitors WHERE visitor_id='%s'" % vid), "Known bot")
    r = t.post("/api/bots/exclude", {"visitor_id": vid + "n", "label": 5}, B)
    t.eq("non-string label -> NULL", t.scalar("SELECT label FROM excluded_visitors WHERE visitor_id='%sn'" % vid), None)
    for body in [{}, {"visitor_id": ""}, {"visitor_id": 5}, None, []]:
        r = t.post("/api/bots/exclude", json.dumps(body), B)
        t.eq("visitor_id required %r" % (body,), (r.status, j(r)), (400, err("invalid_payload", "visitor_id required")))
    t.eq("invalid JSON", j(t.post("/api/bots/exclude", "{", B)), err("invalid_payload", "Invalid JSON"))
    long_vid = "w" + RUN + "z" * 200
    t.eq("truncated to 128", j(t.post("/api/bots/exclude", {"visitor_id": long_vid}, B)),
         {"excluded": long_vid[:128]})
    g0 = gen("excluded")
    r = t.delete("/api/bots/exclude/" + vid, B)
    t.eq("include: 200", (r.status, j(r)), (200, {"included": vid}))
    t.ok("include bumps gen:excluded", gen("excluded") > g0)
    t.eq("row gone", t.scalar("SELECT COUNT(*) FROM excluded_visitors WHERE visitor_id='%s'" % vid), "0")
    r = t.delete("/api/bots/exclude/never-" + RUN, B)
    t.eq("include unknown: still 200", (r.status, j(r)), (200, {"included": "never-" + RUN}))


# ---------------------------------------------------------------- sites
def test_sites():
    site = "s%s.example" % RUN
    r = t.get("/api/sites/" + site, B)
    t.eq("unknown site: null css", (r.status, j(r)), (200, {"site_id": site, "consent_css": None}))
    bad = (400, err("invalid_site_id", "Invalid site ID"))
    r = t.get("/api/sites/" + "a" * 65, B)
    t.eq("65-char site: 400", (r.status, j(r)), bad)
    r = t.get("/api/sites/bad%20site", B)
    t.eq("space in site: 400", (r.status, j(r)), bad)
    r = t.patch("/api/sites/bad%20site", "{not json", B)
    t.eq("site checked before the body", (r.status, j(r)), bad)
    r = t.patch("/api/sites/" + site, {"consent_css": ".bar{background:url(https://x.example/a.png)}"}, B)
    t.eq("patch: 200", (r.status, j(r)), (200, {"updated": site}))
    t.eq("sanitised as the spec's example", j(t.get("/api/sites/" + site, B))["consent_css"],
         ".bar{background:/* blocked */https://x.example/a.png)}")
    t.patch("/api/sites/" + site, {"consent_css": "a\\75rl(x) /* c */ @import 'y';" + "z" * 5000}, B)
    css = j(t.get("/api/sites/" + site, B))["consent_css"]
    t.ok("backslash, comment, @import handled; 4096 cap", css.startswith("a75rl(x)  /* blocked */ 'y';") and
         len(css) == 4096 - len("a\\75rl(x) /* c */ @import 'y';") + len("a75rl(x)  /* blocked */ 'y';"), css[:60])
    t.patch("/api/sites/" + site, {}, B)
    t.eq("missing consent_css clears", j(t.get("/api/sites/" + site, B))["consent_css"], None)
    t.patch("/api/sites/" + site, {"consent_css": ".a{}"}, B)
    t.patch("/api/sites/" + site, {"consent_css": ""}, B)
    t.eq("empty string clears", j(t.get("/api/sites/" + site, B))["consent_css"], None)
    t.patch("/api/sites/" + site, {"consent_css": ".a{}"}, B)
    t.patch("/api/sites/" + site, {"consent_css": 42}, B)
    t.eq("non-string clears", j(t.get("/api/sites/" + site, B))["consent_css"], None)
    t.eq("invalid JSON", j(t.patch("/api/sites/" + site, "x", B)), err("invalid_payload", "Invalid JSON"))


# ---------------------------------------------------------------- debug
def test_debug():
    t.redis("DEL", "ech:debug")
    r = t.get("/api/debug", B)
    t.eq("debug GET", (r.status, j(r)), (200, {"debug": False, "envOverride": False}))
    r = t.post("/api/debug", {"enabled": True}, B)
    t.eq("debug on", (r.status, j(r)), (200, {"debug": True}))
    t.eq("shared through Redis", t.redis("GET", "ech:debug"), "1")
    t.eq("debug GET after on", j(t.get("/api/debug", B)), {"debug": True, "envOverride": False})
    r = t.post("/api/debug", {"enabled": False}, B)
    t.eq("debug off", (r.status, j(r)), (200, {"debug": False}))
    t.eq("key deleted", t.redis("EXISTS", "ech:debug"), "0")
    for body in ["{", ""]:
        r = t.post("/api/debug", body, B)
        t.eq("debug invalid JSON %r" % body, (r.status, j(r)), (400, err("invalid_body", "Invalid JSON body")))
    for body in [{}, {"enabled": 1}, {"enabled": "true"}, None]:
        r = t.post("/api/debug", json.dumps(body), B)
        t.eq("debug non-boolean %r" % (body,), (r.status, j(r)),
             (400, err("invalid_body", "Missing boolean 'enabled' field")))


# ---------------------------------------------------------------- perf
def test_perf():
    cat = "cat" + RUN
    m = [{"category": cat, "metric": "bundle_size", "value": 142.5, "unit": "kb", "commit_hash": "9c1e2ab",
          "branch": "main", "metadata": {"runner": "ci-2"}},
         {"category": cat, "metric": "p99", "value": 41, "unit": "ms", "metadata": "x", "branch": 7}]
    r = t.post("/api/perf", m, B)
    t.eq("perf POST: 200", (r.status, j(r)), (200, {"inserted": 2}))
    t.eq("perf POST []", j(t.post("/api/perf", [], B)), {"inserted": 0})
    rows = j(t.get("/api/perf?category=" + cat, B))
    t.eq("perf GET: 2 rows", len(rows), 2)
    if rows:
        t.eq("perf GET key order", list(rows[0].keys()), ["id", "recorded_at", "commit_hash", "branch", "category",
                                                           "metric", "value", "unit", "metadata"])
        bs = [x for x in rows if x["metric"] == "bundle_size"][0]
        t.eq("metadata stored once-encoded", bs["metadata"], '{"runner":"ci-2"}')
        t.eq("value", bs["value"], 142.5)
        p = [x for x in rows if x["metric"] == "p99"][0]
        t.eq("non-string branch -> null; string metadata encoded", (p["branch"], p["metadata"]), (None, '"x"'))
    t.eq("perf metric filter", len(j(t.get("/api/perf?category=%s&metric=p99" % cat, B))), 1)
    t.eq("perf limit", len(j(t.get("/api/perf?category=%s&limit=1" % cat, B))), 1)
    t.eq("perf since in the future", j(t.get("/api/perf?category=%s&since=2999-01-01" % cat, B)), [])
    t.eq("perf since in the past", len(j(t.get("/api/perf?category=%s&since=2000-01-01T00:00:00Z" % cat, B))), 2)
    t.eq("perf since text", j(t.get("/api/perf?category=%s&since=zzz" % cat, B)), [])
    for i in range(3):
        t.post("/api/perf", [{"category": cat, "metric": "bundle_size", "value": i, "unit": "kb"}], B)
        time.sleep(0.01)
    tr = j(t.get("/api/perf/trends?limit=2", B))
    k = cat + "/bundle_size"
    t.ok("trends keyed category/metric", k in tr and (cat + "/p99") in tr, list(tr)[:5])
    if k in tr:
        t.eq("trends: last 2, ascending", [x["value"] for x in tr[k]], [1, 2])
    t.eq("trends keys sorted", list(tr.keys()), sorted(tr.keys()))
    spec = "Each metric requires category (string), metric (string), value (number), unit (string)"
    for bad in [[{"category": cat, "metric": "m", "value": "1", "unit": "u"}],
                [{"category": "", "metric": "m", "value": 1, "unit": "u"}],
                [{"category": cat, "metric": "m", "value": 1}], [None], [5]]:
        r = t.post("/api/perf", bad, B)
        t.eq("perf invalid element %r" % (bad,), (r.status, j(r)), (400, err("invalid_payload", spec)))
    exp = err("invalid_payload", "Expected array of metrics (max 100)")
    t.eq("perf object", j(t.post("/api/perf", {"a": 1}, B)), exp)
    t.eq("perf 101", j(t.post("/api/perf", [{"category": "c", "metric": "m", "value": 1, "unit": "u"}] * 101, B)),
         exp)
    t.eq("perf invalid JSON", j(t.post("/api/perf", "[", B)), err("invalid_payload", "Invalid JSON"))
    r = t.post("/api/perf", "[" + " " * 65536 + "]", B)
    t.eq("perf > 64 KB", (r.status, j(r)), (413, err("payload_too_large", "Max 64 KB")))


for fn in [test_campaigns, test_experiments_create, test_experiment_state_machine, test_bots_exclude, test_sites,
           test_debug, test_perf]:
    t.run(fn)
t.done()
