// tracker.mjs -- the tracker in a real browser (spec/10 §4, spec/20 §3.5).
//
// A page served from a loopback HTTP server on another port embeds /ea.js from
// the stack. Acting as a person (trusted clicks and wheel events), the test
// expects in MariaDB: the pageview with a valid PoW token (no "pow" entry in
// bot_score_detail), the annotated click, scroll milestones, a custom event,
// session_end when the page is left, and a second pageview after an SPA
// navigation (history.pushState).
//
// Run by tools/echelon-dev test as `node tests/e2e/tracker.mjs` with the test
// stack's environment (ECHELON_URL, ECHELON_DB_*, ECHELON_VAR); prints
// "N passed, N failed". ECHELON_CTL overrides the echelon-ctl binary.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const TOP = path.resolve(HERE, '..', '..');
const BASE = process.env.ECHELON_URL;
const CTL = process.env.ECHELON_CTL || path.join(TOP, 'build', 'echelon-ctl');
const ARTIFACTS = process.env.ECHELON_ARTIFACTS || '';
const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
// The UA is also set on the command line: beacons sent while a page unloads
// leave from the browser process, which ignores the context's userAgent and
// would announce HeadlessChrome (a known bot: dropped).
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--user-agent=' + UA];
const SITE = 'e2e-' + crypto.randomBytes(5).toString('hex');

let passed = 0, failed = 0;
function ok(name, cond, detail = '') {
  if (cond) { passed++; console.log('ok   - ' + name); }
  else { failed++; console.log('FAIL - ' + name + (detail ? ' ' + detail : '')); }
  return !!cond;
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function sql(q) {
  const out = execFileSync('mariadb', ['--socket=' + process.env.ECHELON_DB_SOCKET,
    '-u' + (process.env.ECHELON_DB_USER || 'echelon'), process.env.ECHELON_DB_NAME || 'echelon',
    '--batch', '--raw', '--skip-column-names', '--default-character-set=utf8mb4'],
  { input: "SET time_zone='+00:00';\n" + q, env: { ...process.env, MYSQL_PWD: process.env.ECHELON_DB_PASSWORD || '' } });
  return out.toString().split('\n').filter((l) => l).map((l) => l.split('\t').map((c) => (c === 'NULL' ? null : c)));
}

function flush() {
  try { execFileSync(CTL, ['flush'], { stdio: 'pipe', timeout: 120000 }); } catch (e) { /* the poll below reports */ }
}

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>e2e tracker</title></head>
<body style="margin:0">
<div style="height:600px">
<button id="buy" data-echelon-click="buy" data-echelon-product="widget" style="font-size:24px">Buy</button>
</div>
<div style="height:5000px;background:linear-gradient(#fff,#ccc)">long content</div>
<script async src="${BASE}/ea.js" data-site="${SITE}"></script>
</body></html>`;

// Decision 2: a page kept open past the embedded challenge's safe life asks
// /ea.js?refresh=1&g=<generation> and re-solves. The page's clock is faked and
// moved 5 minutes on (the window is 10 minutes; the script trusts its own
// challenge for W*60-390 s because it may come from a 5-minute cache).
async function longLivedPage(browser, url) {
  const ctx = await browser.newContext({ userAgent: UA, viewport: { width: 1280, height: 800 } });
  const page = await ctx.newPage();
  await page.clock.install();
  const refreshes = [];
  ctx.on('request', (r) => { if (r.url().includes('/ea.js?refresh=1')) refreshes.push(r.url()); });
  await page.goto(url);
  await page.waitForFunction(() => window.echelon && sessionStorage.getItem('_etok'), null, { timeout: 15000 })
    .catch(() => {});
  const have = await page.evaluate(() => !!sessionStorage.getItem('_etok'));
  ok('long-lived page: no refresh while the challenge is fresh', refreshes.length === 0 && have, JSON.stringify(refreshes));
  const answer = page.waitForResponse((r) => r.url().includes('/ea.js?refresh=1'), { timeout: 15000 })
    .then((r) => r.json(), () => null);
  await page.clock.fastForward(5 * 60 * 1000);
  const j = await answer;
  ok('long-lived page: refresh requested with the generation', refreshes.length >= 1 && /[?&]g=\d+/.test(refreshes[0] || ''),
    JSON.stringify(refreshes));
  ok('long-lived page: refresh answer carries a challenge', j && /^[0-9a-f]{32}$/.test(j.c || ''), JSON.stringify(j));
  let tok = null;
  for (let i = 0; i < 40 && j; i++) {
    tok = await page.evaluate(() => sessionStorage.getItem('_etok'));
    if (tok && tok.startsWith(j.c + ':')) break;
    await sleep(100);
  }
  ok('long-lived page: token re-solved for the new challenge', j && tok && tok.startsWith(j.c + ':') &&
    /^[0-9a-f]{32}$/.test(tok.split(':')[1]), String(tok));
  await ctx.close();
}

async function main() {
  if (!BASE) { ok('ECHELON_URL is set', false); return; }
  // Until the beacon and event handlers are routed there is nothing to observe.
  const routed = await Promise.all([fetch(BASE + '/b.gif'), fetch(BASE + '/e', { method: 'POST', body: '{}' })])
    .then((rs) => rs.every((r) => r.status !== 404), () => false);
  if (!routed) { ok('/b.gif or /e not routed yet: browser test skipped', true); return; }
  const server = http.createServer((req, res) => {
    if (req.url.startsWith('/long')) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(PAGE.replace(`data-site="${SITE}"`, `data-site="${SITE}-long"`));
      return;
    }
    if (req.url.startsWith('/bye')) { res.writeHead(200, { 'content-type': 'text/html' }); res.end('<title>bye</title>bye'); return; }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(PAGE);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const pageUrl = `http://127.0.0.1:${server.address().port}/page`;

  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: FLAGS });
  const logs = [];
  let page;
  try {
    const ctx = await browser.newContext({ userAgent: UA, viewport: { width: 1280, height: 800 }, locale: 'en-US' });
    page = await ctx.newPage();
    page.on('console', (m) => logs.push('console: ' + m.text()));
    page.on('pageerror', (e) => logs.push('pageerror: ' + e.message));
    ctx.on('request', (r) => { if (r.url().startsWith(BASE)) logs.push('request: ' + r.method() + ' ' + r.url().slice(BASE.length, BASE.length + 160)); });

    await page.goto(pageUrl);
    const loaded = await page.waitForFunction(() => window.echelon && window.__echelon === 1, null, { timeout: 15000 })
      .then(() => true, () => false);
    ok('tracker loads and exposes window.echelon', loaded);
    const tok = await page.waitForFunction(() => sessionStorage.getItem('_etok'), null, { timeout: 15000 })
      .then((h) => h.jsonValue(), () => null);
    ok('PoW token solved and cached as challenge:token', /^[0-9a-f]{32}:[0-9a-f]{32}$/.test(tok || ''), String(tok));
    const sid = await page.evaluate(() => sessionStorage.getItem('_esid'));
    ok('session id is a v4 UUID', /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(sid || ''), String(sid));

    await sleep(1000);                      // a person reads before acting (> 800 ms gate)
    await page.click('#buy');               // trusted: opens the gate and sends the click event
    await sleep(300);
    await page.mouse.move(640, 400);
    await page.mouse.wheel(0, 3000);
    await sleep(400);
    await page.mouse.wheel(0, 3000);        // to the bottom: 25, 50, 75, 90, 100
    await sleep(600);
    await page.evaluate(() => window.echelon.track('signup', { plan: 'pro' }));
    await sleep(300);
    await page.evaluate(() => history.pushState({}, '', '/spa-next?tab=2'));
    await sleep(600);
    await page.goto(pageUrl.replace('/page', '/bye'));   // pagehide: session_end
    await sleep(1000);
    await longLivedPage(browser, pageUrl.replace('/page', '/long'));
  } finally {
    await browser.close().catch(() => {});
    server.close();
  }

  // The records reach MariaDB when the spool ships.
  let views = [], events = [];
  for (let i = 0; i < 20; i++) {
    flush();
    views = sql(`SELECT path, interaction_ms, bot_score, IFNULL(bot_score_detail,'') FROM visitor_views WHERE site_id='${SITE}' ORDER BY id`);
    events = sql(`SELECT event_type, data, bot_score, IFNULL(bot_score_detail,'') FROM semantic_events WHERE site_id='${SITE}' ORDER BY id`);
    const types = new Set(events.map((e) => e[0]));
    if (views.length >= 2 && ['click', 'scroll_depth', 'custom', 'session_end'].every((t) => types.has(t))) break;
    await sleep(500);
  }
  const first = views.find((v) => v[0] === '/page');
  ok('initial pageview stored', !!first, JSON.stringify(views));
  if (first) {
    ok('pageview interaction time >= 800 ms', Number(first[1]) >= 800, String(first[1]));
    ok('pageview carries a valid token (no pow penalty)', !first[3].includes('"pow"'), first[3]);
  }
  const spa = views.find((v) => (v[0] || '').startsWith('/spa-next'));
  ok('SPA navigation stored as a second pageview', !!spa, JSON.stringify(views));
  if (spa) ok('SPA pageview carries a valid token', !spa[3].includes('"pow"'), spa[3]);

  const byType = (t) => events.filter((e) => e[0] === t);
  const data = (e) => { try { return JSON.parse(e[1]); } catch { return {}; } };
  const click = byType('click')[0];
  ok('annotated click stored', click && data(click).click === 'buy' && data(click).product === 'widget',
    JSON.stringify(click));
  const depths = byType('scroll_depth').map((e) => data(e).depth).sort((a, b) => a - b);
  ok('scroll milestones stored', depths.includes(25) && depths.includes(100), JSON.stringify(depths));
  const custom = byType('custom')[0];
  ok('custom event stored', custom && data(custom).name === 'signup' && data(custom).plan === 'pro',
    JSON.stringify(custom));
  const end = byType('session_end')[0];
  ok('session_end stored when the page is left', !!end, JSON.stringify(events.map((e) => e[0])));
  ok('no event carries a pow penalty', events.length > 0 && events.every((e) => !e[3].includes('"pow"')),
    JSON.stringify(events.map((e) => e[3])));

  if (failed && ARTIFACTS) {
    try {
      fs.mkdirSync(ARTIFACTS, { recursive: true });
      fs.writeFileSync(path.join(ARTIFACTS, 'tracker.log'), logs.join('\n') + '\n');
      console.log('browser log: ' + path.join(ARTIFACTS, 'tracker.log'));
    } catch (e) { /* best effort */ }
  }
  if (failed) console.log(logs.slice(-40).join('\n'));
}

try {
  await main();
} catch (e) {
  ok('e2e run raised', false, e && e.stack ? e.stack : String(e));
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
