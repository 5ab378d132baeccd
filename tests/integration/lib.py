"""Integration-test harness: HTTP against the test stack, plus MariaDB, Redis and
echelon-ctl helpers. Each test file creates one T, checks things, and calls
t.done(), which prints "N passed, N failed" and exits non-zero on failure.

The stack's settings come from the environment (var/stack.env of the stack
started by tools/echelon-dev test): ECHELON_URL, ECHELON_SECRET, ECHELON_DB_SOCKET,
ECHELON_REDIS_SOCKET, ECHELON_VAR, ...
"""
import http.client
import json as _json
import os
import signal
import subprocess
import sys
import time
import traceback
import urllib.parse

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.path.join(TOP, "build")


def browser_headers(net, chrome, **extra):
    """The headers of a desktop Chrome `chrome` behind the trusted proxy, from
    a random address in the /16 `net` ("198.51"); extra ones override."""
    import random
    h = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
                       "Chrome/%s.0.0.0 Safari/537.36" % chrome,
         "Accept-Language": "en-US,en;q=0.9", "Sec-Fetch-Site": "cross-site",
         "Sec-CH-UA": '"Chromium";v="%s"' % chrome,
         "X-Forwarded-For": "%s.%d.%d" % (net, random.randrange(0, 250), random.randrange(1, 250))}
    h.update(extra)
    return h


def beacon_uri(secret, site, path):
    """/b.gif?... of a stored pageview of path: a fresh session id and its
    proof-of-work token (tests/bench/powtok.py)."""
    import base64
    import uuid
    sys.path.insert(0, os.path.join(TOP, "tests", "bench"))
    import powtok
    sid = str(uuid.uuid4())
    q = {"p": base64.b64encode(path.encode()).decode(), "s": site, "_v": "2000", "sid": sid,
         "sw": "1920", "sh": "1080", "tok": powtok.token(secret, site, sid)}
    return "/b.gif?" + urllib.parse.urlencode(q)


class Resp:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def json(self):
        return _json.loads(self.body.decode("utf-8"))

    def __repr__(self):
        return "<Resp %d %r>" % (self.status, self.body[:200])


class T:
    def __init__(self, name, url=None):
        self.name = os.path.basename(name)
        self.url = url or os.environ["ECHELON_URL"]
        u = urllib.parse.urlparse(self.url)
        self.host, self.port = u.hostname, u.port or 80
        self.secret = os.environ.get("ECHELON_SECRET", "")
        self.bearer = {"Authorization": "Bearer " + self.secret}
        self.var = os.environ.get("ECHELON_VAR", "")
        self.passed = 0
        self.failed = 0

    # ------------------------------------------------------------ HTTP
    def request(self, method, path, body=None, headers=None, url=None):
        headers = dict(headers or {})
        if isinstance(body, (dict, list)):
            body = _json.dumps(body).encode()
            headers.setdefault("Content-Type", "application/json")
        elif isinstance(body, str):
            body = body.encode()
        host, port = self.host, self.port
        if url:
            u = urllib.parse.urlparse(url)
            host, port = u.hostname, u.port or 80
        headers.setdefault("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 "
                           "(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36")
        c = http.client.HTTPConnection(host, port, timeout=30)
        try:
            c.request(method, path, body=body, headers=headers)
            r = c.getresponse()
            data = r.read()
            hdrs = {}
            for k, v in r.getheaders():
                k = k.lower()
                hdrs[k] = v if k not in hdrs else hdrs[k] + ", " + v
            return Resp(r.status, hdrs, data)
        finally:
            c.close()

    def get(self, path, headers=None, **kw):
        return self.request("GET", path, None, headers, **kw)

    def post(self, path, body=None, headers=None, **kw):
        return self.request("POST", path, body, headers, **kw)

    def patch(self, path, body=None, headers=None, **kw):
        return self.request("PATCH", path, body, headers, **kw)

    def delete(self, path, headers=None, **kw):
        return self.request("DELETE", path, None, headers, **kw)

    # ------------------------------------------------------------ stores
    def _mysql(self, sql, batch=True):
        cmd = ["mariadb", "--socket=" + os.environ["ECHELON_DB_SOCKET"],
               "-u" + os.environ.get("ECHELON_DB_USER", "echelon"),
               os.environ.get("ECHELON_DB_NAME", "echelon"),
               "--batch", "--raw", "--skip-column-names", "--default-character-set=utf8mb4"]
        pw = os.environ.get("ECHELON_DB_PASSWORD", "")
        env = dict(os.environ, MYSQL_PWD=pw)
        p = subprocess.run(cmd, input=("SET time_zone='+00:00';\n" + sql).encode(),
                           capture_output=True, env=env, timeout=300)
        if p.returncode != 0:
            raise RuntimeError("SQL failed: %s\n%s" % (sql[:300], p.stderr.decode()))
        return p.stdout.decode("utf-8", "replace")

    def sql(self, sql):
        """Rows as tuples of str (None for NULL)."""
        out = self._mysql(sql)
        rows = []
        for line in out.splitlines():
            rows.append(tuple(None if c == "NULL" else c.replace("\\t", "\t").replace("\\n", "\n")
                              .replace("\\\\", "\\") for c in line.split("\t")))
        return rows

    def sql_exec(self, sql):
        self._mysql(sql)

    def scalar(self, sql):
        rows = self.sql(sql)
        return rows[0][0] if rows else None

    def redis(self, *args):
        p = subprocess.run(["redis-cli", "-s", os.environ["ECHELON_REDIS_SOCKET"], "--raw"] +
                           [str(a) for a in args], capture_output=True, timeout=30)
        return p.stdout.decode().rstrip("\n")

    def ctl(self, *args, check=True):
        p = subprocess.run([os.path.join(BUILD, "echelon-ctl")] + [str(a) for a in args],
                           capture_output=True, timeout=600)
        if check and p.returncode != 0:
            raise RuntimeError("echelon-ctl %s failed (%d): %s" % (" ".join(map(str, args)), p.returncode,
                                                                  p.stderr.decode()[-2000:]))
        return p.stdout.decode()

    def flush(self):
        """Ship every spooled record into MariaDB now."""
        return self.ctl("flush")

    def pid(self, name):
        with open(os.path.join(self.var, name + ".pid")) as f:
            return int(f.read().strip())

    def signal(self, name, sig):
        os.kill(self.pid(name), sig)

    def restart_redis(self):
        v = self.var
        subprocess.run(["redis-server", "--port", "0", "--unixsocket", v + "/run/redis.sock",
                        "--unixsocketperm", "777", "--dir", v + "/redis", "--appendonly", "yes",
                        "--save", "", "--daemonize", "yes", "--pidfile", v + "/redis.pid",
                        "--logfile", v + "/redis.log"], check=True)
        for _ in range(100):
            if self.redis("PING") == "PONG":
                return
            time.sleep(0.1)
        raise RuntimeError("redis did not come back")

    def stop_redis(self):
        pid = self.pid("redis")
        os.kill(pid, signal.SIGTERM)
        for _ in range(100):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)

    # ------------------------------------------------------------ checks
    def ok(self, name, cond, detail=""):
        if cond:
            self.passed += 1
            print("ok   - %s" % name)
        else:
            self.failed += 1
            print("FAIL - %s %s" % (name, detail))
        sys.stdout.flush()
        return bool(cond)

    def eq(self, name, got, want):
        return self.ok(name, got == want, "got %r, want %r" % (got, want))

    def run(self, fn):
        """Run one test function; an exception counts as a failure, not a crash."""
        try:
            fn()
        except Exception:
            self.ok(fn.__name__ + " raised", False, traceback.format_exc())

    def done(self):
        print("%d passed, %d failed" % (self.passed, self.failed))
        sys.exit(1 if self.failed else 0)
