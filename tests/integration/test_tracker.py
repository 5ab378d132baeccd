"""GET /ea.js against the stack: headers and CORS (spec/10 §2.2, §2.3, §3.3), the
substituted values (§3.2), the refresh JSON of spec/README decision 2, the debug
override reaching the script (spec/40 §3.7), and a token solved from the served
module that verifies on the beacon (spec/20 §3.5; needs node and /b.gif)."""
import base64
import json
import os
import re
import shutil
import subprocess
import time
import urllib.parse
from lib import T

t = T(__file__)
# lighttpd >= 1.4.69 rewrites the worker's application/javascript to the RFC 9239
# name text/javascript; Apache passes it through.
JS_TYPES = ("application/javascript; charset=utf-8", "text/javascript; charset=utf-8")
TRUST_PROXY = os.environ.get("ECHELON_TRUST_PROXY") == "true"
PREFIX = "ech:"   # store/kv.h kv_prefix
SEC = {"x-frame-options": "DENY", "x-content-type-options": "nosniff",
       "referrer-policy": "strict-origin-when-cross-origin"}


def js_string(body, name):
    """The value of `var NAME = "…"` in the served script (JSON string syntax)."""
    m = re.search(r'\b%s = ("(?:[^"\\]|\\.)*")' % name, body)
    return json.loads(m.group(1)) if m else None


def js_literal(body, name):
    m = re.search(r'\b%s = ([^,;\s]+)' % name, body)
    return m.group(1) if m else None


def script(headers=None, query=""):
    r = t.get("/ea.js" + query, headers=headers or {})
    return r, r.text


def test_headers():
    r, body = script()
    t.eq("ea.js 200", r.status, 200)
    t.ok("ea.js content type", r.headers.get("content-type") in JS_TYPES, r.headers.get("content-type"))
    t.eq("ea.js cache control", r.headers.get("cache-control"), "public, max-age=300")
    for k, v in SEC.items():
        t.eq("ea.js " + k, r.headers.get(k), v)
    t.eq("no Origin: allow-origin *", r.headers.get("access-control-allow-origin"), "*")
    t.ok("no Origin: no credentials", "access-control-allow-credentials" not in r.headers)
    t.eq("allow-methods", r.headers.get("access-control-allow-methods"), "GET, POST, PATCH, DELETE, OPTIONS")
    t.eq("allow-headers", r.headers.get("access-control-allow-headers"), "Content-Type, Authorization")
    t.eq("max-age", r.headers.get("access-control-max-age"), "86400")
    r, _ = script({"Origin": "https://mysite.com"})
    t.eq("Origin reflected", r.headers.get("access-control-allow-origin"), "https://mysite.com")
    t.eq("credentials with a reflected Origin", r.headers.get("access-control-allow-credentials"), "true")
    t.eq("Vary: Origin with a reflected Origin", r.headers.get("vary"), "Origin")
    r = t.request("HEAD", "/ea.js")
    t.eq("HEAD 200", r.status, 200)
    t.eq("HEAD has no body", r.body, b"")
    r = t.request("OPTIONS", "/ea.js", headers={"Origin": "https://mysite.com"})
    t.eq("preflight 204", r.status, 204)
    t.eq("preflight reflects Origin", r.headers.get("access-control-allow-origin"), "https://mysite.com")
    r = t.post("/ea.js", "x")
    t.eq("POST /ea.js 405", r.status, 405)
    # from an address of its own: a known-bot UA marks its IP as a suspected bot
    bot = {"User-Agent": "Googlebot/2.1 (+http://www.google.com/bot.html)"}
    if TRUST_PROXY:
        bot["X-Forwarded-For"] = "192.0.2.%d" % (int(time.time()) % 250 + 1)
    r, _ = script(bot)
    t.eq("bots get the script too (§2.5)", r.status, 200)


def test_values():
    r, body = script({"Host": "stats.example.com"})
    t.eq("base URL from Host", js_string(body, "B"), "http://stats.example.com")
    r, body = script({"Host": "stats.example.com", "X-Forwarded-Host": "proxy.example",
                      "X-Forwarded-Proto": "https"})
    if TRUST_PROXY:   # open mode: the forwarded host and scheme win (§3.1 step 2)
        t.eq("X-Forwarded-* used with ECHELON_TRUST_PROXY", js_string(body, "B"), "https://proxy.example")
    else:
        t.eq("X-Forwarded-* ignored without ECHELON_TRUST_PROXY", js_string(body, "B"), "http://stats.example.com")
    r, body = script({"Host": 'x"y'})
    # lighttpd refuses such a Host itself (400); otherwise it must arrive escaped
    t.ok("hostile Host refused or escaped", r.status == 400 or js_string(body, "B") == 'http://x"y',
         (r.status, body[:200]))
    r, body = script()
    t.eq("base URL of the stack", js_string(body, "B"), t.url)
    chal = js_string(body, "C")
    t.ok("challenge is 32 lowercase hex", re.fullmatch(r"[0-9a-f]{32}", chal or "") is not None, chal)
    mod = base64.b64decode(js_string(body, "M") or "")
    t.ok("module is WebAssembly", mod[:4] == b"\0asm", mod[:8])
    t.ok("module size 892..928", 892 <= len(mod) <= 928, len(mod))
    gen = js_string(body, "G")
    period = int(time.time() * 1000) // 21600000
    t.ok("generation is the 6-hour period", gen in (str(period), str(period - 1), str(period + 1)), gen)
    t.eq("window minutes", js_literal(body, "WIN"), os.environ.get("ECHELON_CHALLENGE_WINDOW_MINUTES", "10"))
    t.eq("anonymize flag off for default", js_literal(body, "ANON"), "false")
    t.ok("no placeholder left", "@@" not in body)
    t.ok("plain variant has no consent banner", "echelon-consent" not in body)
    t.ok("comments stripped", "\n//" not in body and "// 4.1" not in body)


def test_refresh():
    r, body = script()
    gen = js_string(body, "G")
    r = t.get("/ea.js?refresh=1&g=" + urllib.parse.quote(gen or ""), headers={"Origin": "https://mysite.com"})
    t.eq("refresh 200", r.status, 200)
    t.eq("refresh content type", r.headers.get("content-type"), "application/json")
    t.eq("refresh is not cacheable", r.headers.get("cache-control"), "no-store")
    t.eq("refresh CORS reflects Origin", r.headers.get("access-control-allow-origin"), "https://mysite.com")
    j = r.json()
    t.eq("refresh keys for the current generation", list(j.keys()), ["c", "g", "t"])
    t.ok("refresh challenge is 32 hex", re.fullmatch(r"[0-9a-f]{32}", j.get("c", "")) is not None, j)
    t.eq("refresh generation", j.get("g"), gen)
    t.ok("seconds left in the window", 0 < j.get("t", 0) <= 11 * 60, j.get("t"))
    # the challenge is the one the script would embed now (retry across a minute boundary)
    for _ in range(3):
        r1, b1 = script()
        j1 = t.get("/ea.js?refresh=1&g=x").json()
        if js_string(b1, "C") == j1["c"]:
            break
    t.eq("refresh challenge equals the script's", j1["c"], js_string(b1, "C"))
    t.eq("stale generation gets the module", j1.get("w"), js_string(b1, "M"))
    t.eq("refresh generation id", j1.get("g"), js_string(b1, "G"))
    r = t.get("/ea.js?refresh=1")
    t.ok("refresh without g sends the module", "w" in r.json())


def debug_flags_converge(want):
    """Every worker reads the override within a second: wait for a run of answers."""
    vals = []
    deadline = time.time() + 8
    while time.time() < deadline:
        vals = [js_literal(script()[1], "DBG") for _ in range(8)]
        if all(v == want for v in vals):
            break
        time.sleep(0.3)
    return vals


def test_debug_override():
    """POST /api/debug toggles the runtime override; workers pick it up within ~1 s."""
    r = t.post("/api/debug", {"enabled": True}, headers=t.bearer)
    if r.status == 409:
        t.ok("debug locked by ECHELON_DEBUG: script debug on", js_literal(script()[1], "DBG") == "true")
        return
    t.eq("debug on", r.status, 200)
    vals = debug_flags_converge("true")
    t.ok("script debug flag follows the override", all(v == "true" for v in vals), vals)
    r = t.post("/api/debug", {"enabled": False}, headers=t.bearer)
    t.eq("debug off", r.status, 200)
    vals = debug_flags_converge("false")
    t.ok("script debug flag back to false", all(v == "false" for v in vals), vals)


SOLVE_JS = r"""
const [b64, input] = process.argv.slice(1);
WebAssembly.instantiate(Buffer.from(b64, 'base64')).then(({instance}) => {
  const x = instance.exports, inp = new TextEncoder().encode(input);
  new Uint8Array(x.memory.buffer).set(inp, 0);
  x.solve(0, inp.length, 2048);
  console.log(Buffer.from(new Uint8Array(x.memory.buffer, 2048, 16)).toString('hex'));
});
"""


def test_token_from_served_module():
    """The served challenge + module give a token the beacon accepts (no pow penalty)."""
    if not shutil.which("node"):
        t.ok("node not installed: token check skipped", True)
        return
    if t.get("/b.gif").status == 404:
        t.ok("/b.gif not routed yet: token check skipped", True)
        return
    _, body = script()
    sid = "550e8400-e29b-41d4-a716-%012x" % (int(time.time() * 1000) & 0xffffffffffff)
    site = "tracker-it-%d" % (int(time.time()) % 100000)
    inp = "%s:%s:%s" % (js_string(body, "C"), sid, site)
    tok = subprocess.run(["node", "-e", SOLVE_JS, js_string(body, "M"), inp],
                         capture_output=True, timeout=30).stdout.decode().strip()
    t.ok("node solved a token", re.fullmatch(r"[0-9a-f]{32}", tok) is not None, tok)
    q = urllib.parse.urlencode({"p": base64.b64encode(b"/tracker-it").decode(), "s": site, "sid": sid,
                                "_v": "2000", "sw": "1920", "sh": "1080", "tok": tok})
    hdrs = {"Accept-Language": "en-US,en;q=0.9", "Sec-Fetch-Site": "cross-site",
            "Sec-CH-UA": '"Chromium";v="131"', "Referer": "https://site.example/tracker-it"}
    if TRUST_PROXY:   # an address no earlier test flagged as a suspected bot
        hdrs["X-Forwarded-For"] = "203.0.113.%d" % (int(time.time()) % 200 + 20)
    r = t.get("/b.gif?" + q, headers=hdrs)
    t.eq("beacon 200", r.status, 200)
    rows = []
    for _ in range(20):
        t.flush()
        rows = t.sql("SELECT bot_score, IFNULL(bot_score_detail,'') FROM visitor_views WHERE site_id='%s'" % site)
        if rows:
            break
        time.sleep(0.5)
    t.ok("beacon with the solved token stored", len(rows) == 1, rows)
    if rows:
        t.ok("no pow penalty", '"pow"' not in rows[0][1], rows[0][1])


def ip_hash(ip):
    """spec/10 §2.8 under today's shared key (collect/live_keys.h iphash-key:<date>)."""
    import hashlib
    import hmac
    v = t.redis("GET", PREFIX + "iphash-key:" + time.strftime("%Y-%m-%d", time.gmtime()))
    key = bytes.fromhex(v) if len(v) == 64 else v.encode("latin-1")
    return hmac.new(key, ip.encode(), hashlib.sha256).hexdigest()


def test_over_limit():
    """An address in the published over-limit set gets 429 `// rate limited` (§2.4)."""
    if not TRUST_PROXY:
        t.ok("needs ECHELON_TRUST_PROXY to pick a client address: skipped", True)
        return
    t.get("/ea.js")   # makes sure today's key exists
    ip = "198.51.100.%d" % (int(time.time() * 1000) % 250 + 1)
    h = ip_hash(ip)
    hdr = {"X-Forwarded-For": ip, "Origin": "https://mysite.com"}
    t.redis("ZADD", PREFIX + "rl:over", int(time.time() * 1000) + 120000, h)
    try:
        r = None
        deadline = time.time() + 6
        while time.time() < deadline:
            r = t.get("/ea.js", headers=hdr)
            if r.status == 429:
                break
            time.sleep(0.2)
        t.eq("over-limit address gets 429", r.status, 429)
        t.eq("429 body", r.text, "// rate limited")
        t.ok("429 content type is JavaScript", (r.headers.get("content-type") or "").split(";")[0]
             in ("application/javascript", "text/javascript"), r.headers.get("content-type"))
        t.eq("429 not cacheable", r.headers.get("cache-control"), "no-store")
        t.ok("429 carries no CORS", "access-control-allow-origin" not in r.headers)
        r = t.get("/ea.js?refresh=1&g=1", headers=hdr)
        t.eq("refresh refused too", r.status, 429)
        r = t.get("/ea.js", headers={"X-Forwarded-For": "198.51.100.254" if ip != "198.51.100.254" else "198.51.100.253"})
        t.eq("other addresses still served", r.status, 200)
    finally:
        t.redis("ZREM", PREFIX + "rl:over", h)


for fn in (test_headers, test_values, test_refresh, test_debug_override, test_token_from_served_module,
           test_over_limit):
    t.run(fn)
t.done()
