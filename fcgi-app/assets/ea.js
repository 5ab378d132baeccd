// ea.js -- the Echelon tracker (spec/10 §4, spec/20 §3.5, spec/README decision 2).
// Served by GET /ea.js (collect/tracker.c), which fills the @@NAME@@ values and
// drops full-line comments, indentation and the block of the other variant
// (lines between "//{consent" and "//}consent" exist only with
// ECHELON_COOKIE_CONSENT=true, "//{plain" ... "//}plain" only without it).
// No line may start inside a string: the server strips by line.
(function () {
"use strict";
var w = window, d = document, n = navigator, L = location, SS = "sessionStorage";
// 4.1 double-load guard, set before any other check
if (w.__echelon) return;
w.__echelon = 1;
var B = "@@BASE@@", C = "@@CHAL@@", M = "@@WASM@@", G = "@@GEN@@";
var WIN = @@WIN@@, DBG = @@DEBUG@@, ANON = @@ANON@@;
//{consent
var CSS = "@@CSS@@";
//}consent
var me = d.currentScript;
if (!me) {
  var ss = d.querySelectorAll("script[data-site]");
  for (var i = 0; i < ss.length && !me; i++)
    if ((ss[i].getAttribute("src") || "").indexOf("ea.js") >= 0) me = ss[i];
}
if (!me) return;
var PAS = { passive: true }, IEV = ["pointerdown", "scroll", "click", "keydown"];
function now() { return Date.now(); }
function on(t, e, f, o) { t.addEventListener(e, f, o || PAS); }
function off(t, e, f) { t.removeEventListener(e, f, PAS); }
function hidden() { return d.visibilityState == "hidden"; }
function enc(s) { return encodeURIComponent(s); }
function has(a) { return me.hasAttribute(a); }
function dbg() {
  if (DBG) try { console.log.apply(console, ["[echelon:debug]"].concat([].slice.call(arguments))); } catch (e) {}
}
function sget(s, k) { try { return w[s].getItem(k); } catch (e) { return null; } }
function sset(s, k, v) { try { w[s].setItem(k, v); } catch (e) {} }
function utf8(s) { return new TextEncoder().encode(s); }
// 4.10: base64 of the UTF-8 bytes
function b64(s) {
  var u = utf8(s), b = "";
  for (var i = 0; i < u.length; i++) b += String.fromCharCode(u[i]);
  return btoa(b);
}
// 4.6: random letters for letters, random digits for digits, the rest kept
function scr(t) {
  return String(t).replace(/[A-Za-z0-9]/g, function (c) {
    var b = c < "A" ? 48 : c < "a" ? 65 : 97;
    return String.fromCharCode(b + Math.random() * (b == 48 ? 10 : 26) | 0);
  });
}
function scrq(p) {
  var i = p.indexOf("?");
  if (i < 0) return p;
  var h = p.slice(0, i), o = [];
  try {
    new URLSearchParams(p.slice(i + 1)).forEach(function (v, k) { o.push(k + "=" + enc(scr(v))); });
  } catch (e) { return h; }
  return o.length ? h + "?" + o.join("&") : h;
}

function init() {
  var t0 = now(), site = me.getAttribute("data-site") || "default";
  dbg("echelon tracker", site);

  // 4.7 session id: a v4 UUID kept per tab. Without sessionStorage it is still
  // a UUID (not stored), so the server's sid check and the PoW still pass.
  var sid = sget(SS, "_esid");
  if (!sid) {
    try { sid = crypto.randomUUID(); } catch (e) {}
    if (!sid) sid = "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx".replace(/[xy]/g, function (c) {
      var r = Math.random() * 16 | 0;
      return (c == "x" ? r : r & 3 | 8).toString(16);
    });
    sset(SS, "_esid", sid);
  }

  // 4.8 UTM capture
  var utm;
  function rdUtm() {
    var q = new URLSearchParams(L.search), c = q.get("utm_campaign"), j;
    if (c) {
      utm = { c: c, s: q.get("utm_source") || "", m: q.get("utm_medium") || "",
              co: q.get("utm_content") || "", t: q.get("utm_term") || "" };
      sset(SS, "_eutm", JSON.stringify(utm));
      return;
    }
    try { j = JSON.parse(sget(SS, "_eutm")); } catch (e) {}
    j = j && typeof j == "object" ? j : {};
    utm = {};
    ["c", "s", "m", "co", "t"].forEach(function (k) { utm[k] = typeof j[k] == "string" ? j[k] : ""; });
  }
  rdUtm();

  // 4.4 cookie consent
  var ck = false;
  if (has("data-cookie")) {
//{plain
    ck = true;
//}plain
//{consent
    var cv = null, bad = 0;
    try { cv = w.localStorage.getItem("_econsent"); } catch (e) { bad = 1; }
    if (cv === "1") ck = true;
    else if (cv !== "0" && !bad) banner();
//}consent
  }
//{consent
  // The per-site CSS goes after the built-in rules so it can override them;
  // the banner waits for <body> (spec/10 §11.3).
  function banner() {
    if (!d.body) { on(d, "DOMContentLoaded", banner, { once: true }); return; }
    var ce = w.customElements;
    if (!ce) return;
    try {
      if (!ce.get("echelon-consent")) ce.define("echelon-consent", class extends HTMLElement {});
      var el = d.createElement("echelon-consent"), r = el.attachShadow({ mode: "open" });
      var st = d.createElement("style"), bar = d.createElement("div"), msg = d.createElement("div"),
        bs = d.createElement("div");
      st.textContent = ":host{position:fixed;bottom:0;left:0;right:0;z-index:2147483647;" +
        "font:14px/1.4 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif}" +
        ".bar{background:#1a1a1a;color:#e0e0e0;padding:12px 16px;display:flex;align-items:center;" +
        "justify-content:center;gap:12px;flex-wrap:wrap;box-shadow:0 -2px 8px rgba(0,0,0,.3)}" +
        ".msg{flex:1;min-width:200px;max-width:600px}.btns{display:flex;gap:8px;flex-shrink:0}" +
        "button{padding:6px 16px;border-radius:4px;cursor:pointer;font:inherit;font-size:13px}" +
        ".ok{background:#4a9eff;color:#fff;border:none}" +
        ".no{background:transparent;color:#999;border:1px solid #444}" + CSS;
      bar.className = "bar"; msg.className = "msg"; bs.className = "btns";
      msg.textContent = "This site uses a cookie to remember you across visits. No personal data is collected.";
      [["ok", "Accept", "1"], ["no", "Decline", "0"]].forEach(function (b) {
        var x = d.createElement("button");
        x.className = b[0]; x.textContent = b[1];
        x.onclick = function () {
          if (b[2] == "1") ck = true;
          sset("localStorage", "_econsent", b[2]);
          el.remove();
        };
        bs.appendChild(x);
      });
      bar.appendChild(msg); bar.appendChild(bs);
      r.appendChild(st); r.appendChild(bar);
      d.body.appendChild(el);
    } catch (e) {}
  }
//}consent

  // 4.9 PoW token, and decision 2: keep it inside the challenge window.
  // `due` is when the token must be renewed: a script from the cache may be
  // 5 minutes old, so the embedded challenge is trusted for W*60-390 s only;
  // a refresh answer says exactly how long its challenge stays valid (t).
  var tok = "", tokP = null, chal = C, mod = M, gen = G, rP = null, rT, rFail = 0;
  var due = t0 + Math.max(0, WIN * 60 - 390) * 1000;
  function hex(b) {
    var s = "";
    for (var i = 0; i < b.length; i++) s += (b[i] < 16 ? "0" : "") + b[i].toString(16);
    return s;
  }
  function solve(c, m) {
    var bin = atob(m), u = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) u[i] = bin.charCodeAt(i);
    return WebAssembly.instantiate(u).then(function (r) {
      var x = r.instance.exports, inp = utf8(c + ":" + sid + ":" + site);
      new Uint8Array(x.memory.buffer).set(inp, 0);
      x.solve(0, inp.length, 2048);
      var t = hex(new Uint8Array(x.memory.buffer, 2048, 16));
      sset(SS, "_etok", c + ":" + t);
      return t;
    });
  }
  var cached = (sget(SS, "_etok") || "").split(":");
  if (cached[0] === C && /^[0-9a-f]{32}$/.test(cached[1] || "") && Math.random() > 0.1) {
    tok = cached[1];
    dbg("pow cached", C.slice(0, 8), tok.slice(0, 8), sid.slice(0, 8));
  } else {
    if (cached[1]) dbg("pow stale", cached[0].slice(0, 8));
    if (C && M) {
      dbg("pow solving", C.slice(0, 8), sid.slice(0, 8));
      tokP = solve(C, M).then(function (t) {
        tok = t; tokP = null;
        dbg("pow solved", t.slice(0, 8));
      }, function (e) { tokP = null; dbg("pow failed", e); });
    }
  }
  function stale() { return now() >= due; }
  function sched(ms) {
    clearTimeout(rT);
    rT = setTimeout(function () { if (!hidden()) refresh(); }, ms);
  }
  // GET /ea.js?refresh=1&g=<generation>: {"c":challenge,"g":generation,"t":seconds
  // the challenge stays in the window[,"w":module when the generation changed]}
  function refresh() {
    if (rP) return rP;
    if (!w.fetch || now() - rFail < 30000) return Promise.resolve();
    rP = fetch(B + "/ea.js?refresh=1&g=" + enc(gen), { credentials: "omit", cache: "no-store" })
      .then(function (r) { if (!r.ok) throw r.status; return r.json(); })
      .then(function (j) {
        if (!j || !/^[0-9a-f]{32}$/.test(j.c)) throw "bad answer";
        if (j.w) { mod = j.w; gen = j.g; }
        return solve(j.c, mod).then(function (t) {
          tok = t; chal = j.c; rP = null;
          var ms = Math.max(60, (+j.t || 0) - 90) * 1000;
          due = now() + ms; sched(ms);
          dbg("pow refreshed", chal.slice(0, 8), t.slice(0, 8));
        });
      })
      .catch(function (e) { rP = null; rFail = now(); sched(60000); dbg("pow refresh failed", e); });
    return rP;
  }
  // Run cb with a fresh token when one can be had quickly (never while the
  // page is being hidden: those requests must leave now).
  function fresh(cb) {
    if (!stale() || hidden()) return cb();
    var done = 0, go = function () { if (!done) { done = 1; cb(); } };
    refresh().then(go, go);
    setTimeout(go, 2000);
  }
  sched(Math.max(0, due - t0));

  // 4.12 event transport: one request per event
  function ev(type, data) {
    var e = { type: type, data: data, sessionId: sid };
    if (utm.c) e.utmCampaign = utm.c;
    fresh(function () {
      var body = JSON.stringify({ events: [e], siteId: site, tok: tok || "" });
      dbg("event", type, (tok || "").slice(0, 8));
      try { if (n.sendBeacon) { n.sendBeacon(B + "/e", new Blob([body], { type: "application/json" })); return; } } catch (x) {}
      try {
        var x = new XMLHttpRequest();
        x.open("POST", B + "/e", true);
        x.setRequestHeader("Content-Type", "application/json");
        x.send(body);
      } catch (x) {}
    });
  }
  function P() { return L.pathname; }

  // 4.11.1 pageview URL (p and ref percent-encoded: spec/10 §11.1)
  function purl(first) {
    var p = L.pathname + L.search, u, r = d.referrer, pwa = n.standalone;
    if (ANON) p = scrq(p);
    u = B + "/b.gif?p=" + enc(b64(p)) + "&s=" + enc(site);
    if (ck) u += "&ck=1";
    if (first && r) try { if (new URL(r).origin !== L.origin) u += "&ref=" + enc(b64(r)); } catch (e) {}
    try { pwa = pwa || w.matchMedia("(display-mode:standalone)").matches; } catch (e) {}
    if (pwa) u += "&pwa=1";
    if (utm.c) {
      u += "&uc=" + enc(b64(utm.c)) + "&us=" + enc(b64(utm.s)) + "&um=" + enc(b64(utm.m));
      if (utm.co) u += "&uct=" + enc(b64(utm.co));
      if (utm.t) u += "&ut=" + enc(b64(utm.t));
    }
    return u;
  }
  function send(u, v) {
    u += "&sid=" + enc(sid) + "&_v=" + v + "&sw=" + screen.width + "&sh=" + screen.height;
    if (tok) u += "&tok=" + tok;
    dbg("pageview", u.slice(B.length));
    new Image().src = u;
  }

  // 4.11.2 interaction gate
  var fired = 0, pv = purl(1);
  function gate(e) {
    if (!e.isTrusted || fired) return;
    var dd = now() - t0;
    if (dd < 800) setTimeout(fire, 800 - dd); else fire();
  }
  function fire() {
    if (fired) return;
    fired = 1;
    IEV.forEach(function (t) { off(w, t, gate); });
    var go = function () { fresh(function () { send(pv, now() - t0); }); };
    if (!tok && tokP) {
      var done = 0, once = function () { if (!done) { done = 1; go(); } };
      tokP.then(once, once);
      setTimeout(once, 150);
    } else go();
  }
  IEV.forEach(function (t) { on(w, t, gate); });

  // 4.13 bounce
  var bounced, bT;
  function unB() { clearTimeout(bT); IEV.forEach(function (t) { off(w, t, noB); }); }
  function noB(e) { if (e.isTrusted && !bounced) { bounced = 1; unB(); } }
  function armB() {
    unB();
    bounced = 0;
    bT = setTimeout(function () { bounce("timeout"); }, 120000);
    IEV.forEach(function (t) { on(w, t, noB); });
  }
  function bounce(tr) {
    if (bounced) return;
    bounced = 1;
    unB();
    ev("bounce", { dwell: Math.round((now() - t0) / 1000), trigger: tr, path: P() });
  }
  armB();

  // 4.14 session end and resume
  var ended = 0, lastEnd = 0;
  function endS() {
    if (ended) return;
    ended = 1;
    lastEnd = now();
    ev("session_end", { dwell_s: Math.round((lastEnd - t0) / 1000), path: P() });
  }
  function resume(bf) {
    if (!ended) return;
    ended = 0;
    var o = { away_s: Math.round((now() - lastEnd) / 1000), path: P() };
    if (bf) o.bfcache = true;
    ev("session_resume", o);
  }
  on(w, "pagehide", function () { endS(); });
  on(w, "pageshow", function (e) { if (e.persisted) resume(1); });

  // 4.15 clicks, outbound links, downloads. walk(): the target and its
  // ancestors, at most 8 elements, never document.body or above it.
  function walk(t, f) {
    for (var i = 0; t && t !== d.body && t.nodeType == 1 && i < 8; i++, t = t.parentElement)
      if (f(t)) return t;
    return null;
  }
  function attr(a) { return function (x) { return x.hasAttribute(a); }; }
  function extra(el, own, o) {
    var ds = el.dataset, c = 0, k, r;
    for (k in ds) {
      if (c >= 8) break;
      if (k.indexOf("echelon") || k === own || !(r = k.slice(7))) continue;
      o[r.charAt(0).toLowerCase() + r.slice(1)] = String(ds[k]).slice(0, 256);
      c++;
    }
    return o;
  }
  var DLX = "pdf zip tar gz bz2 xz rar 7z dmg exe msi apk ipa doc docx xls xlsx ppt pptx csv mp3 mp4 mov avi mkv epub iso".split(" ");
  var cOn = !has("data-no-clicks"), oOn = !has("data-no-outbound"), dOn = !has("data-no-downloads");
  if (cOn || oOn || dOn) on(d, "click", function (e) {
    if (!e.isTrusted) return;
    var el = cOn && walk(e.target, attr("data-echelon-click")), a, u, f, m;
    if (el) {
      ev("click", extra(el, "echelonClick", { click: el.getAttribute("data-echelon-click"), tag: el.tagName, path: P() }));
      return;
    }
    a = walk(e.target, function (x) { return x.tagName == "A" && x.getAttribute("href"); });
    if (!a) return;
    try { u = new URL(a.getAttribute("href"), L.href); } catch (x) { return; }
    if (oOn && u.origin !== L.origin && /^https?:$/.test(u.protocol))
      ev("outbound", { url: u.href.slice(0, 512), host: u.hostname,
                       text: (a.textContent || "").trim().slice(0, 128), path: P() });
    f = u.pathname.split("/").pop();
    m = /\.([^.]+)$/.exec(f);
    if (dOn && m && DLX.indexOf(m[1].toLowerCase()) >= 0)
      ev("download", { url: u.href.slice(0, 512), file: f.slice(0, 256), ext: m[1].toLowerCase(), path: P() });
  });

  // 4.16 scroll depth, one check per animation frame
  var sMax = 0, sSent = {}, raf = 0;
  if (!has("data-no-scroll")) on(w, "scroll", function () {
    if (raf) return;
    raf = 1;
    (w.requestAnimationFrame || setTimeout)(function () {
      raf = 0;
      var h = d.documentElement.scrollHeight - w.innerHeight, p;
      if (h <= 0) return;
      p = Math.round(w.scrollY / h * 100);
      if (p <= sMax) return;
      sMax = p;
      [25, 50, 75, 90, 100].forEach(function (m) {
        if (p >= m && !sSent[m]) { sSent[m] = 1; ev("scroll_depth", { depth: m, path: P() }); }
      });
    });
  });

  // 4.17 hover
  if (!has("data-no-hover")) {
    var hEl = null, hT;
    on(d, "mouseover", function (e) {
      if (!e.isTrusted) return;
      var el = walk(e.target, attr("data-echelon-hover"));
      if (!el || el === hEl) return;
      clearTimeout(hT);
      hEl = el;
      var v = el.getAttribute("data-echelon-hover"), tg = el.tagName, ex = extra(el, "echelonHover", {});
      hT = setTimeout(function () {
        var o = { hover: v, tag: tg, path: P() }, k;
        for (k in ex) o[k] = ex[k];
        hEl = null;
        ev("hover", o);
      }, 1000);
    });
    on(d, "mouseout", function (e) {
      if (hEl && !(e.relatedTarget && hEl.contains(e.relatedTarget))) { clearTimeout(hT); hEl = null; }
    });
  }

  // 4.18 forms. Form properties are read defensively: a control named "id",
  // "name" or "action" shadows them (spec/10 §11.27).
  function fp(f, k) { var v = f[k]; return typeof v == "string" ? v : f.getAttribute(k) || ""; }
  function fld(t) { return t && /^(INPUT|SELECT|TEXTAREA)$/.test(t.tagName); }
  function meta(t) {
    var f = t.form && t.form.tagName == "FORM" ? t.form : walk(t, function (x) { return x.tagName == "FORM"; });
    return { tag: t.tagName, input_type: String(t.type || "").slice(0, 32), field_name: String(t.name || "").slice(0, 64),
             form_id: f ? fp(f, "id").slice(0, 64) : "", form_name: f ? fp(f, "name").slice(0, 64) : "", path: P() };
  }
  if (!has("data-no-forms")) {
    on(d, "focusin", function (e) { if (e.isTrusted && fld(e.target)) ev("form_focus", meta(e.target)); });
    on(d, "change", function (e) {
      var t = e.target, m, v;
      if (!e.isTrusted || !fld(t)) return;
      m = meta(t);
      v = String(t.value == null ? "" : t.value);
      m.value_length = v.length;
      if (!/^(password|hidden)$/.test(String(t.type).toLowerCase())) m.value = ANON ? scr(v.slice(0, 256)) : v.slice(0, 256);
      ev("form_blur", m);
    });
    on(d, "submit", function (e) {
      var f = e.target, o, l;
      if (!e.isTrusted || !f || f.tagName != "FORM") return;
      o = { action: fp(f, "action").slice(0, 256), method: (fp(f, "method") || "GET").toUpperCase(),
            id: fp(f, "id").slice(0, 64), name: fp(f, "name").slice(0, 64), path: P() };
      if ((l = f.getAttribute("data-echelon-form"))) o.label = l;
      ev("form_submit", o);
    });
  }

  // 4.19 web vitals, each at most once per document
  var vit = !has("data-no-vitals") && w.PerformanceObserver, vs = {}, lcp = 0, lo, cls = 0, cw = 0, cf = 0, cl = 0, inp = 0;
  function vital(mt, raw, v, g, ni) {
    if (vs[mt] || !(raw > 0)) return;
    vs[mt] = 1;
    ev("web_vital", { metric: mt, value: Math.round(v), rating: raw <= g ? "good" : raw <= ni ? "needs-improvement" : "poor", path: P() });
  }
  function repLcp() {
    if (!vit || vs.LCP || !(lcp > 0)) return;
    vital("LCP", lcp, lcp, 2500, 4000);
    try { lo.disconnect(); } catch (e) {}
  }
  function obs(type, f, o) {
    try {
      var p = new PerformanceObserver(function (l) { f(l.getEntries()); });
      o = o || {}; o.type = type; o.buffered = true;
      p.observe(o);
      return p;
    } catch (e) {}
  }
  if (vit) {
    lo = obs("largest-contentful-paint", function (es) { if (es.length) lcp = es[es.length - 1].startTime; });
    ["pointerdown", "keydown"].forEach(function (t) { on(w, t, repLcp, { once: true, passive: true }); });
    obs("layout-shift", function (es) {
      es.forEach(function (e) {
        if (e.hadRecentInput) return;
        if (cw && e.startTime - cl < 1000 && e.startTime - cf < 5000) cw += e.value;
        else { cw = e.value; cf = e.startTime; }
        cl = e.startTime;
        if (cw > cls) cls = cw;
      });
    });
    obs("event", function (es) { es.forEach(function (e) { if (e.duration > inp) inp = e.duration; }); }, { durationThreshold: 16 });
  }

  // One visibility listener keeps the order of spec/10 §4.23: pageview gate,
  // bounce, session end, LCP, CLS, INP.
  on(d, "visibilitychange", function () {
    if (hidden()) {
      if (!fired && now() - t0 >= 4000) fire();
      bounce("unload");
      endS();
      if (vit) {
        repLcp();
        vital("CLS", cls, cls * 1000, 0.1, 0.25);
        vital("INP", inp, inp, 200, 500);
      }
    } else {
      if (stale()) refresh();
      resume();
    }
  });

  // 4.20 public API
  w.echelon = {
    track: function (name, props) {
      var o = { name: String(name).slice(0, 128), path: P() }, c = 0;
      if (props && typeof props == "object") Object.keys(props).forEach(function (k) {
        if (c >= 16 || k == "__proto__" || k == "constructor" || k == "prototype") return;
        try { o[k.slice(0, 64)] = String(props[k]).slice(0, 512); c++; } catch (e) {}
      });
      ev("custom", o);
    }
  };

  // 4.22 SPA navigation
  var last = L.pathname + L.search;
  function nav() {
    var cur = L.pathname + L.search, u;
    if (cur === last) return;
    last = cur;
    t0 = now();
    armB();
    ended = 0;
    sMax = 0; sSent = {};
    rdUtm();
    fired = 1;
    IEV.forEach(function (t) { off(w, t, gate); });
    u = purl(0);
    dbg("spa", cur);
    fresh(function () { send(u, "spa"); });
  }
  ["pushState", "replaceState"].forEach(function (k) {
    var o = history[k];
    if (typeof o == "function") history[k] = function () {
      var r = o.apply(this, arguments);
      try { nav(); } catch (e) {}
      return r;
    };
  });
  on(w, "popstate", function () { try { nav(); } catch (e) {} });
}

// 4.1 prerender guard (legacy state and document.prerendering, §11.20)
if (d.prerendering) on(d, "prerenderingchange", init, { once: true });
else if (d.visibilityState == "prerender") {
  var pr = function () {
    if (d.visibilityState != "prerender") { d.removeEventListener("visibilitychange", pr); init(); }
  };
  d.addEventListener("visibilitychange", pr);
} else init();
})();
