"""Authentication (spec/40 §2): bearer, password login and its page, sessions in
Redis (one per user, idle and absolute expiry on the short-session port), logout,
the login rate limit, CSRF for cookie-authenticated mutations, the /admin gate,
public mode (second port) and robots/sitemap/llms.txt (§4.8)."""
import os
import re
import time
import urllib.parse
from lib import T

t = T(__file__)
USER = os.environ.get("ECHELON_ADMIN_USER", "admin")
PW = os.environ.get("ECHELON_ADMIN_PASSWORD", "")
PUB = os.environ.get("ECHELON_URL_PUBLIC")
SHORT = os.environ.get("ECHELON_URL_SHORT")
CSRF = {"error": "CSRF validation failed \u2014 origin mismatch"}
RO = {"error": "read_only", "message": "This is a public read-only instance. Data cannot be modified. "
      "To run your own instance, see https://ea.js.org/installation.html"}
COOKIE_RE = re.compile(r"^echelon_session=([0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}); "
                       r"Path=/; HttpOnly; SameSite=Strict; Secure; Max-Age=86400$")
_ipn = [0]


def fresh_ip():
    """A client address of its own (the stack trusts X-Forwarded-For), so the
    login limiter of one check never affects another."""
    _ipn[0] += 1
    return "198.51.100.%d" % (_ipn[0] + (os.getpid() % 50) * 4)


def form(user, pw):
    return urllib.parse.urlencode({"username": user, "password": pw})


def login(user=USER, pw=PW, ip=None, url=None):
    h = {"Content-Type": "application/x-www-form-urlencoded", "X-Forwarded-For": ip or fresh_ip()}
    return t.post("/admin/login", form(user, pw), h, url=url)


def token_of(r):
    m = COOKIE_RE.match(r.headers.get("set-cookie", ""))
    return m.group(1) if m else None


def host():
    return "%s:%d" % (t.host, t.port)


def origin():
    return {"Origin": "http://" + host()}


def cookie(tok):
    return {"Cookie": "echelon_session=" + tok}


def test_bearer():
    r = t.get("/api/campaigns", t.bearer)
    t.eq("bearer: 200", r.status, 200)
    r = t.get("/api/campaigns", {"Authorization": "Bearer wrong"})
    t.eq("wrong bearer: 401", r.status, 401)
    t.eq("wrong bearer: body", r.json(), {"error": "unauthorized"})
    t.ok("401 has no WWW-Authenticate", "www-authenticate" not in r.headers)
    r = t.get("/api/campaigns", {"Authorization": "bearer " + t.secret})
    t.eq("lower-case scheme: 401", r.status, 401)
    r = t.get("/api/campaigns", {"Authorization": "Bearer " + t.secret + "x"})
    t.eq("longer token: 401", r.status, 401)
    r = t.get("/api/campaigns")
    t.eq("no credentials: 401", r.status, 401)
    t.eq("no credentials: body", r.json(), {"error": "unauthorized"})
    r = t.get("/api/health")
    t.eq("health needs no auth", r.status, 200)
    # precedence: 404/405 before authentication
    t.eq("anonymous DELETE /api/campaigns: 405", t.delete("/api/campaigns").status, 405)
    t.eq("anonymous /api/xyz: 404", t.get("/api/xyz").status, 404)
    # a wrong bearer falls through to the cookie
    tok = token_of(login())
    r = t.get("/api/campaigns", dict(cookie(tok), Authorization="Bearer nope"))
    t.eq("wrong bearer + valid cookie: 200", r.status, 200)


def test_login_page():
    r = t.get("/admin/login")
    t.eq("login page 200", r.status, 200)
    t.eq("login page type", r.headers.get("content-type"), "text/html; charset=utf-8")
    t.ok("login page has CSP", "frame-ancestors 'none'" in r.headers.get("content-security-policy", ""))
    body = r.text
    t.ok("title", "<title>Login \u2014 Echelon Analytics</title>" in body)
    t.ok("robots noindex", 'content="noindex, nofollow"' in body)
    t.ok("POST form without action", '<form method="POST">' in body)
    t.ok("username input", 'name="username"' in body and 'name="password"' in body)
    t.ok("submit label", "&gt; authenticate" in body)
    t.ok("no message by default", "ACCESS DENIED" not in body and "RATE LIMITED" not in body)
    r = t.get("/admin/login?error=auth_not_configured")
    t.ok("auth_not_configured notice", "Authentication is not configured" in r.text)
    t.eq("HEAD login page", t.request("HEAD", "/admin/login").status, 200)


def test_login_page_shell():
    """The login page is written by the admin HTML writer (html_login_begin/end):
    the shared stylesheet's login card, the footer of §6.9, no page-private CSS,
    and the §6.2 site/days selection like every other /admin request."""
    body = t.get("/admin/login").text
    t.ok("login shell: doctype first", body.startswith("<!DOCTYPE html>\n<html lang=\"en\">"))
    t.ok("login shell: card", '<body class="login">' in body and '<main class="login-card">' in body)
    t.ok("login shell: stylesheet and favicon", '<link rel="stylesheet" href="/styles.css">' in body and
         '<link rel="icon" href="/favicon.ico">' in body)
    t.ok("login shell: no inline style", "<style" not in body and "style=" not in body)
    t.ok("login shell: no nav", "<nav" not in body)
    t.ok("login shell: mascot", 'src="/img/mmm.webp"' in body and 'width="200" height="200"' in body)
    t.ok("login shell: heading links to ea.js.org",
         '<h1><a href="https://ea.js.org/" target="_blank" rel="noopener">Echelon Analytics</a></h1>' in body)
    t.ok("login shell: footer slogan, rule, link, version",
         re.search(r'<footer[^>]*>.*Data er den nye oljen!.*<hr>.*Echelon Analytics \U0001fa7a</a>.*'
                   r'</footer>\n</main>\n</body>\n</html>\n$', body, re.S), body[-400:])
    t.eq("login shell: one form", body.count("<form"), 1)
    r = login(USER, PW + "x")
    t.ok("login shell: denial in a danger box",
         '<div class="alert danger" role="alert">ACCESS DENIED \u2014 Invalid credentials.</div>' in r.text)
    t.ok("login shell: denial page is complete", r.text.endswith("</html>\n"))
    r = t.get("/admin/login?error=auth_not_configured")
    t.ok("login shell: notice in a danger box", '<div class="alert danger" role="alert">Authentication is not '
         'configured.' in r.text)
    r = t.get("/admin/login?error=%3Cscript%3E")
    t.ok("login shell: unknown error value shows nothing", "alert" not in r.text and "<script" not in r.text)
    t.eq("login shell: HEAD has no body", t.request("HEAD", "/admin/login").body, b"")
    # §6.2: the selection is computed for /admin/login too
    r = t.get("/admin/login?site_id=shop.example&days=7")
    sc = r.headers.get("set-cookie", "")
    t.ok("login selection: site cookie",
         "echelon_site=shop.example; Path=/admin; HttpOnly; SameSite=Lax; Secure; Max-Age=31536000" in sc, sc)
    t.ok("login selection: days cookie",
         "echelon_days=7; Path=/admin; HttpOnly; SameSite=Lax; Secure; Max-Age=31536000" in sc, sc)
    r = t.get("/admin/login?site_id=shop.example&days=7",
              {"Cookie": "echelon_site=shop.example; echelon_days=7"})
    t.ok("login selection: unchanged values set nothing", "set-cookie" not in r.headers, r.headers.get("set-cookie"))
    r = t.get("/admin/login")
    t.ok("login selection: no query, no cookie", "set-cookie" not in r.headers)


def test_login_success_and_session():
    r = login()
    t.eq("login: 303", r.status, 303)
    t.eq("login: Location", r.headers.get("location"), "/admin")
    tok = token_of(r)
    t.ok("login: Set-Cookie attributes", tok, r.headers.get("set-cookie"))
    if not tok:
        return
    t.eq("session in Redis: user", t.redis("HGET", "ech:sess:" + tok, "u"), USER)
    ttl = int(t.redis("PTTL", "ech:sess:" + tok) or -1)
    t.ok("session key has an idle TTL", 0 < ttl <= 1801000, ttl)
    t.eq("per-user key holds the token", t.redis("GET", "ech:sess:user:" + USER), tok)
    r = t.get("/api/campaigns", cookie(tok))
    t.eq("cookie auth GET: 200", r.status, 200)
    r = t.get("/api/campaigns", {"Cookie": "other=1; echelon_session=%s; x=y" % tok})
    t.eq("cookie among others: 200", r.status, 200)
    r = t.get("/api/campaigns", cookie("not-a-token"))
    t.eq("unknown token: 401", r.status, 401)
    r = t.get("/api/campaigns", {"Cookie": "echelon_session="})
    t.eq("empty token: 401", r.status, 401)
    # one live session per user
    tok2 = token_of(login())
    t.eq("second login: first token now invalid", t.get("/api/campaigns", cookie(tok)).status, 401)
    t.eq("second login: second token valid", t.get("/api/campaigns", cookie(tok2)).status, 200)
    t.ok("old session key deleted", t.redis("EXISTS", "ech:sess:" + tok) == "0")
    # multipart form
    boundary = "----echelonboundary"
    body = ("--%s\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\n%s\r\n"
            "--%s\r\nContent-Disposition: form-data; name=\"password\"\r\n\r\n%s\r\n--%s--\r\n"
            % (boundary, USER, boundary, PW, boundary))
    r = t.post("/admin/login", body, {"Content-Type": "multipart/form-data; boundary=" + boundary,
                                      "X-Forwarded-For": fresh_ip()})
    t.eq("multipart login: 303", r.status, 303)
    t.ok("multipart login: cookie", token_of(r))


def test_login_failures():
    ip = fresh_ip()
    r = login(USER, PW + "x", ip)
    t.eq("bad password: 200", r.status, 200)
    t.ok("bad password: ACCESS DENIED", "ACCESS DENIED \u2014 Invalid credentials." in r.text)
    t.ok("bad password: no cookie", "set-cookie" not in r.headers)
    r = login("Admin", PW, fresh_ip())
    t.ok("user name is case-sensitive", "ACCESS DENIED" in r.text)
    r = t.post("/admin/login", "", {"Content-Type": "application/x-www-form-urlencoded",
                                    "X-Forwarded-For": fresh_ip()})
    t.ok("empty form: ACCESS DENIED", r.status == 200 and "ACCESS DENIED" in r.text)


def test_rate_limit():
    ip = fresh_ip()
    for i in range(5):
        r = login(USER, "wrong%d" % i, ip)
        t.ok("failure %d: ACCESS DENIED" % (i + 1), "ACCESS DENIED" in r.text)
    r = login(USER, PW, ip)
    t.eq("6th attempt (correct password): 200", r.status, 200)
    t.ok("6th attempt: RATE LIMITED", "RATE LIMITED \u2014 Too many failed attempts. Try again later." in r.text)
    t.ok("6th attempt: no session", "set-cookie" not in r.headers)
    keys = [k for k in t.redis("KEYS", "ech:loginfail:*").split("\n") if k]
    t.ok("a failure counter exists", keys)
    t.ok("no Redis key contains the raw address", not [k for k in t.redis("KEYS", "*").split("\n") if ip in k])
    vals = [t.redis("GET", k) for k in keys]
    t.ok("the counter stopped at 5 (refusals do not count)", "5" in vals, vals)
    ttls = [int(t.redis("PTTL", k)) for k in keys]
    t.ok("fixed 15-minute window", all(0 < x <= 900000 for x in ttls), ttls)
    r = login(USER, PW, fresh_ip())
    t.eq("another address still logs in", r.status, 303)
    for k in keys:
        t.redis("DEL", k)


def test_csrf():
    tok = token_of(login())
    if not tok:
        t.ok("csrf: login", False)
        return
    c = cookie(tok)
    r = t.post("/api/campaigns", {}, c)
    t.eq("cookie POST without Origin/Referer: 403", r.status, 403)
    t.eq("CSRF body", r.json(), CSRF)
    r = t.post("/api/campaigns", {}, dict(c, Origin="https://evil.com"))
    t.eq("foreign Origin: 403", r.json(), CSRF)
    r = t.post("/api/campaigns", {}, dict(c, Origin="null", Referer="http://%s/admin" % host()))
    t.eq("Origin: null (Referer ignored): 403", r.status, 403)
    r = t.post("/api/campaigns", {}, dict(c, Referer="http://%s/admin/settings" % host()))
    t.eq("Referer fallback passes (then the handler's 400)", r.status, 400)
    r = t.post("/api/campaigns", {}, dict(c, Referer="http://evil.com/admin"))
    t.eq("foreign Referer: 403", r.status, 403)
    r = t.post("/api/campaigns", {}, dict(c, **origin()))
    t.eq("same Origin passes", r.status, 400)
    r = t.post("/api/campaigns", {}, dict(c, Origin="https://" + host()))
    t.eq("scheme is ignored", r.status, 400)
    r = t.request("PATCH", "/api/experiments/none", {"status": "active"}, dict(c, Origin="https://attacker.com"))
    t.eq("PATCH foreign Origin: 403", r.status, 403)
    r = t.delete("/api/campaigns/none", c)
    t.eq("DELETE without Origin: 403", r.status, 403)
    r = t.post("/api/campaigns", {}, dict(t.bearer, Origin="https://evil.com"))
    t.eq("bearer is exempt from CSRF", r.status, 400)
    r = t.get("/api/campaigns", c)
    t.eq("GET needs no Origin", r.status, 200)


def test_logout_and_admin_gate():
    r = t.get("/admin")
    if r.status != 404:
        t.eq("/admin anonymous: 303", r.status, 303)
        t.eq("/admin anonymous: to login", r.headers.get("location"), "/admin/login")
    r = t.post("/admin/logout")
    t.eq("anonymous logout: 303", r.status, 303)
    t.eq("anonymous logout: to login", r.headers.get("location"), "/admin/login")
    t.ok("anonymous logout clears nothing", "set-cookie" not in r.headers)
    t.eq("GET /admin/logout: 405", t.get("/admin/logout").status, 405)
    tok = token_of(login())
    r = t.post("/admin/logout", None, cookie(tok))
    t.eq("logout without Origin: CSRF 403", r.status, 403)
    t.eq("logout CSRF body", r.json(), CSRF)
    r = t.post("/admin/logout", None, dict(cookie(tok), **origin()))
    t.eq("logout: 303", r.status, 303)
    t.eq("logout: Location", r.headers.get("location"), "/admin/login")
    t.eq("logout: cookie cleared", r.headers.get("set-cookie"),
         "echelon_session=; Path=/; HttpOnly; SameSite=Strict; Secure; Max-Age=0")
    t.eq("after logout the token is invalid", t.get("/api/campaigns", cookie(tok)).status, 401)
    r = t.post("/admin/logout", None, t.bearer)
    t.eq("bearer passes the admin gate", r.status, 303)


def test_session_expiry():
    if not SHORT:
        t.ok("ECHELON_URL_SHORT set", False)
        return
    tok = token_of(login(url=SHORT))
    t.ok("short port: login", tok)
    if not tok:
        return
    t.eq("short: fresh session valid", t.get("/api/campaigns", cookie(tok), url=SHORT).status, 200)
    time.sleep(4.2)
    t.eq("short: 4 s idle (> 3 s) expires", t.get("/api/campaigns", cookie(tok), url=SHORT).status, 401)
    t.ok("short: expired session deleted", t.redis("EXISTS", "ech:sess:" + tok) == "0")
    tok = token_of(login(url=SHORT))
    start = time.time()
    ok = True
    for _ in range(4):                         # requests at ~1.2, 2.4, 3.6, 4.8 s
        time.sleep(1.2)
        ok = ok and t.get("/api/campaigns", cookie(tok), url=SHORT).status == 200
    t.ok("short: activity keeps the session alive past the idle limit", ok)
    while time.time() - start < 6.8:
        time.sleep(0.3)
    t.eq("short: absolute cap (6 s) expires an active session",
         t.get("/api/campaigns", cookie(tok), url=SHORT).status, 401)
    # the main port keeps the 24 h / 30 min defaults
    tok = token_of(login())
    time.sleep(4.2)
    t.eq("main port: 4 s idle is fine", t.get("/api/campaigns", cookie(tok)).status, 200)


def test_public_mode():
    if not PUB:
        t.ok("ECHELON_URL_PUBLIC set", False)
        return
    g = lambda p, h=None: t.get(p, h, url=PUB)
    t.eq("public: GET /api/campaigns without credentials", g("/api/campaigns").status, 200)
    t.eq("public: HEAD works", t.request("HEAD", "/api/campaigns", url=PUB).status, 200)
    t.eq("public: OPTIONS", t.request("OPTIONS", "/api/anything", url=PUB).status, 204)
    t.eq("public: health", g("/api/health").status, 200)
    r = t.post("/api/campaigns", {"id": "x", "name": "x", "utm_campaign": "x"}, t.bearer, url=PUB)
    t.eq("public: POST refused even with bearer", r.status, 403)
    t.eq("public: read_only body", r.json(), RO)
    t.ok("public: message says read-only", "read-only" in r.json()["message"])
    r = t.request("PATCH", "/api/experiments/x", {"status": "active"}, url=PUB)
    t.eq("public: PATCH 403", r.status, 403)
    t.eq("public: DELETE /api/campaigns/x 403", t.delete("/api/campaigns/x", url=PUB).status, 403)
    if g("/api/bots/excluded").status != 404:   # the route belongs to the stats module
        t.eq("public: DELETE /api/bots/excluded is 405 (method check first)",
             t.delete("/api/bots/excluded", url=PUB).status, 405)
    t.eq("public: POST /api/debug 403", t.post("/api/debug", {"enabled": True}, url=PUB).status, 403)
    t.eq("public: login page", g("/admin/login").status, 200)
    r = g("/robots.txt", {"Host": "analytics.example.com", "X-Forwarded-Proto": "https"})
    t.eq("public robots.txt", r.text, "User-agent: *\nAllow: /\nSitemap: https://analytics.example.com/sitemap.xml\n")
    r = g("/sitemap.xml")
    t.eq("public sitemap type", r.headers.get("content-type"), "application/xml; charset=utf-8")
    locs = re.findall(r"<loc>([^<]*)</loc>", r.text)
    base = PUB.rstrip("/")
    t.eq("public sitemap: 10 admin paths", [l[len(base):] for l in locs],
         ["/admin", "/admin/realtime", "/admin/visitors", "/admin/events", "/admin/bots", "/admin/bots/excluded",
          "/admin/experiments", "/admin/campaigns", "/admin/perf", "/admin/settings"])
    t.ok("public sitemap shape", r.text.startswith("<?xml") and "<urlset" in r.text and
         r.text.endswith("</urlset>"))
    r = g("/llms.txt")
    t.eq("public llms.txt: 200", r.status, 200)
    t.ok("llms.txt sections", all(s in r.text for s in ["# ", "## What This Is", "## Pages", "## Data Policy",
                                                         "## Links", "https://ea.js.org/llms-full.txt", "90"]))
    t.ok("llms.txt lists the dashboard", base + "/admin/settings" in r.text)


def test_normal_mode_documents():
    r = t.get("/robots.txt")
    t.eq("robots.txt", r.text, "User-agent: *\nDisallow: /\n")
    t.eq("robots.txt type", r.headers.get("content-type"), "text/plain; charset=utf-8")
    r = t.get("/sitemap.xml")
    t.eq("sitemap (normal)", r.text, '<?xml version="1.0" encoding="UTF-8"?>\n'
         '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n\n</urlset>')
    r = t.get("/llms.txt")
    t.eq("llms.txt (normal): 404", (r.status, r.text), (404, "Not Found"))
    r = t.get("/")
    t.eq("/ -> 303 /admin", (r.status, r.headers.get("location"), r.body), (303, "/admin", b""))


for fn in [test_bearer, test_login_page, test_login_page_shell, test_login_success_and_session, test_login_failures,
           test_rate_limit,
           test_csrf, test_logout_and_admin_gate, test_public_mode, test_normal_mode_documents,
           test_session_expiry]:
    t.run(fn)
t.done()
