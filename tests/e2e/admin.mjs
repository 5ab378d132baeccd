// admin.mjs -- the admin UI in a real browser (spec/40 §6).
//
// A stranger opening /admin lands on the login page; after logging in with
// $ECHELON_ADMIN_USER / $ECHELON_ADMIN_PASSWORD every page loads without a
// script error; an experiment created through the form appears in the list,
// is started with its button and the API shows it active; a campaign is
// created and deleted through the UI; a visitor is excluded and included
// from the bots page; the dashboard's live panel shows a pageview a browser
// just sent. Dashboard screenshots go to $ECHELON_ARTIFACTS
// (default build/e2e-artifacts).
//
// Run by tools/echelon-dev test as `node tests/e2e/admin.mjs` with the test
// stack's environment; prints "N passed, N failed", exits non-zero on failure.
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
const ARTIFACTS = process.env.ECHELON_ARTIFACTS || path.join(TOP, 'build', 'e2e-artifacts');
const USER = process.env.ECHELON_ADMIN_USER || 'admin';
const PASS = process.env.ECHELON_ADMIN_PASSWORD || '';
const SECRET = process.env.ECHELON_SECRET || '';
const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--user-agent=' + UA];
const TAG = crypto.randomBytes(4).toString('hex');
const SITE = 'e2e-admin-' + TAG;

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
  try { execFileSync(CTL, ['flush'], { stdio: 'pipe', timeout: 120000 }); } catch (e) { /* polls report */ }
}
async function apiGet(p) {
  const r = await fetch(BASE + p, { headers: { Authorization: 'Bearer ' + SECRET } });
  let j = null;
  try { j = await r.json(); } catch (e) { j = null; }
  return { status: r.status, json: j };
}

const PAGES = ['/admin', '/admin/realtime', '/admin/visitors', '/admin/pageviews', '/admin/events',
  '/admin/bots', '/admin/bots/excluded', '/admin/experiments', '/admin/campaigns', '/admin/perf',
  '/admin/settings'];

async function main() {
  if (!BASE) { ok('ECHELON_URL is set', false); return; }
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: FLAGS });
  const errors = [];
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><html><head><meta charset="utf-8"><title>e2e admin live</title></head><body>
<h1>live</h1><script async src="${BASE}/ea.js" data-site="${SITE}"></script></body></html>`);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  try {
    const ctx = await browser.newContext({ userAgent: UA, viewport: { width: 1400, height: 900 }, locale: 'en-US' });
    const page = await ctx.newPage();
    page.on('pageerror', (e) => errors.push(page.url() + ': ' + e.message));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(page.url() + ': console: ' + m.text()); });
    page.on('dialog', (d) => d.accept());

    // 1. a stranger lands on the login page
    await page.goto(BASE + '/admin');
    ok('a stranger opening /admin lands on /admin/login', new URL(page.url()).pathname === '/admin/login', page.url());
    const hasForm = await page.locator('input[name=username]').count() > 0;
    ok('the login page shows the login form', hasForm);

    // 2. log in
    if (hasForm) {
      await page.fill('input[name=username]', USER);
      await page.fill('input[name=password]', PASS);
      await Promise.all([page.waitForNavigation().catch(() => {}), page.click('button[type=submit], input[type=submit]')]);
    }
    ok('logging in leads to the dashboard', new URL(page.url()).pathname === '/admin', page.url());

    // 3. every page loads without script errors
    for (const p of PAGES) {
      const before = errors.length;
      const resp = await page.goto(BASE + p);
      await page.waitForLoadState('load');
      await sleep(p === '/admin' || p === '/admin/realtime' ? 1500 : 200);
      const h1 = await page.locator('main h1').textContent().catch(() => '');
      const navVisible = await page.locator('#nav:not(.measuring)').count();
      ok(`${p} loads (200, heading, nav measured) without script errors`,
        resp && resp.status() === 200 && h1.length > 0 && navVisible === 1 && errors.length === before,
        `status=${resp && resp.status()} h1=${JSON.stringify(h1)} nav=${navVisible} ${errors.slice(before).join(' | ')}`);
    }
    await page.goto(BASE + '/admin');
    await sleep(1500);
    await page.screenshot({ path: path.join(ARTIFACTS, 'admin-dashboard.png'), fullPage: true });

    // 4. an experiment through the form, started with its button
    const expId = 'e2e-exp-' + TAG;
    await page.goto(BASE + '/admin/experiments');
    await page.fill('#exp-form [name=experiment_id]', expId);
    await page.fill('#exp-form [name=name]', 'E2E experiment ' + TAG);
    await page.fill('#exp-form [name=metric_event_type]', 'purchase');
    await page.click('#vadd');
    ok('"+ add variant" appends variant-b', await page.locator('#variants [name=variant_id]').nth(2).inputValue() === 'variant-b');
    await Promise.all([page.waitForNavigation({ timeout: 10000 }).catch(() => {}), page.click('#exp-submit')]);
    await page.waitForLoadState('load');
    const listed = await page.locator(`#exp-list tr[data-id="${expId}"]`).count();
    ok('the created experiment appears in the list', listed === 1, await page.locator('#exp-msg').textContent().catch(() => ''));
    await page.goto(BASE + '/admin/experiments/' + expId);
    const start = page.locator('button.js-status[data-status=active]');
    if (ok('a draft experiment shows "> start"', await start.count() === 1)) {
      await Promise.all([page.waitForNavigation({ timeout: 10000 }).catch(() => {}), start.click()]);
      const list = await apiGet('/api/experiments');
      const e = Array.isArray(list.json) ? list.json.find((x) => x.experiment_id === expId) : null;
      ok('the API shows the experiment active', e && e.status === 'active', JSON.stringify(e));
      await page.waitForLoadState('load');
      ok('the detail page now offers pause and complete',
        await page.locator('button.js-status[data-status=paused]').count() === 1 &&
        await page.locator('button.js-status[data-status=completed]').count() === 1);
    }

    // 5. a campaign created and deleted through the UI
    const campId = 'e2e-camp-' + TAG;
    await page.goto(BASE + '/admin/campaigns');
    await page.fill('#camp-form [name=id]', campId);
    await page.fill('#camp-form [name=name]', 'E2E campaign ' + TAG);
    await page.fill('#camp-form [name=utm_campaign]', 'utm-' + TAG);
    await Promise.all([page.waitForNavigation({ timeout: 10000 }).catch(() => {}), page.click('#camp-submit')]);
    ok('creating a campaign opens its detail page', new URL(page.url()).pathname === '/admin/campaigns/' + campId, page.url());
    ok('the API has the campaign', (await apiGet('/api/campaigns/' + campId)).status === 200);
    const del = page.locator('button.js-delete');
    if (ok('the detail page has "> delete"', await del.count() === 1)) {
      await Promise.all([page.waitForNavigation({ timeout: 10000 }).catch(() => {}), del.click()]);
      ok('deleting returns to the campaign list', new URL(page.url()).pathname === '/admin/campaigns', page.url());
      ok('the API no longer has the campaign', (await apiGet('/api/campaigns/' + campId)).status === 404);
    }

    // 6. exclude and include a visitor from the bots page
    const vid = 'e2ebot' + TAG + 'ffffffff';
    sql(`INSERT INTO visitor_views (visitor_id, path, site_id, bot_score, device_type, created_at)
         VALUES ('${vid}', '/bot', '${SITE}', 95, 'desktop', UTC_TIMESTAMP(3))`);
    await page.goto(BASE + '/admin/bots?site_id=' + SITE);
    const btn = page.locator(`button.js-excl[data-visitor="${vid}"]`);
    if (ok('the suspicious visitor is listed with an exclude button', await btn.count() === 1)) {
      await btn.click();
      await page.waitForFunction((v) => {
        const b = document.querySelector(`button.js-excl[data-visitor="${v}"]`);
        return b && b.textContent === 'include';
      }, vid, { timeout: 10000 }).catch(() => {});
      ok('exclude flips the button to include',
        (await btn.textContent()) === 'include', await btn.textContent());
      ok('the visitor is in excluded_visitors',
        sql(`SELECT COUNT(*) FROM excluded_visitors WHERE visitor_id='${vid}'`)[0][0] === '1');
      await btn.click();
      await page.waitForFunction((v) => {
        const b = document.querySelector(`button.js-excl[data-visitor="${v}"]`);
        return b && b.textContent === 'exclude';
      }, vid, { timeout: 10000 }).catch(() => {});
      ok('include flips it back', (await btn.textContent()) === 'exclude');
      ok('the visitor left excluded_visitors',
        sql(`SELECT COUNT(*) FROM excluded_visitors WHERE visitor_id='${vid}'`)[0][0] === '0');
    }

    // 7. the live panel shows a pageview a browser just sent
    const visitor = await browser.newContext({ userAgent: UA });
    const vp = await visitor.newPage();
    await vp.goto(`http://127.0.0.1:${server.address().port}/live`);
    // The tracker sends the pageview only after a trusted interaction (spec/10 §4.11.2).
    await sleep(1200);
    await vp.mouse.click(20, 20);
    await sleep(1500);
    flush();
    await page.goto(BASE + '/admin?site_id=' + SITE);
    let views = 0;
    for (let i = 0; i < 4 && views < 1; i++) {
      await page.waitForSelector('#live-views', { timeout: 15000 }).catch(() => {});
      views = parseInt(await page.locator('#live-views').textContent().catch(() => '0'), 10) || 0;
      if (views < 1) { flush(); await sleep(2000); await page.reload(); }
    }
    ok('the live panel shows the pageview just sent', views >= 1, `views=${views}`);
    await page.screenshot({ path: path.join(ARTIFACTS, 'admin-dashboard-live.png'), fullPage: true });
    await visitor.close();

    ok('no script errors anywhere', errors.length === 0, errors.join(' | '));
    sql(`DELETE FROM visitor_views WHERE visitor_id='${vid}'`);
  } finally {
    await browser.close().catch(() => {});
    server.close();
  }
}

main().catch((e) => ok('admin e2e ran to the end', false, String(e && e.stack || e)))
  .finally(() => {
    console.log(`${passed} passed, ${failed} failed`);
    process.exit(failed ? 1 : 0);
  });
