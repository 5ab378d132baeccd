/* admin.js -- the admin UI's behaviour (spec/40 §6.11). No framework, no
 * inline handlers: everything is wired here from data-* attributes the
 * server rendered. DOM text is always set through textContent. All API
 * calls are same-origin fetches with the session cookie; mutations send
 * JSON, which makes the browser add the Origin header the CSRF rule checks. */
(function () {
  'use strict';
  var SVGNS = 'http://www.w3.org/2000/svg';

  function $(sel, root) { return (root || document).querySelector(sel); }
  function $$(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function svg(tag, attrs, text) {
    var e = document.createElementNS(SVGNS, tag);
    if (attrs) Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) e.textContent = String(text);
    return e;
  }
  function api(method, url, body) {
    var opt = { method: method, credentials: 'same-origin', headers: {} };
    if (body !== undefined) {
      opt.headers['Content-Type'] = 'application/json';
      opt.body = JSON.stringify(body);
    }
    return fetch(url, opt).then(function (r) {
      return r.text().then(function (t) {
        var j = null;
        try { j = t ? JSON.parse(t) : null; } catch (e) { j = null; }
        return { ok: r.ok, status: r.status, json: j };
      });
    });
  }
  function errText(res, fallback) {
    return (res && res.json && (res.json.message || res.json.error)) || fallback;
  }
  function fmtInt(n) { return String(n || 0).replace(/\B(?=(\d{3})+(?!\d))/g, ','); }
  function ago(iso) {
    var s = Math.max(0, Math.floor((Date.now() - Date.parse(iso)) / 1000));
    if (isNaN(s)) return '-';
    if (s < 60) return s + 's ago';
    if (s < 3600) return Math.floor(s / 60) + 'm ago';
    return Math.floor(s / 3600) + 'h ago';
  }

  /* ---- navigation: selectors and the measured collapse ---- */
  function navigateWith(name, value) {
    var u = new URL(window.location.href);
    u.searchParams.set(name, value);
    u.searchParams.delete('page');
    window.location.href = u.toString();
  }
  $$('select.js-sel').forEach(function (s) {
    s.addEventListener('change', function () { navigateWith(s.name, s.value); });
  });
  var nav = $('#nav');
  function measureNav() {
    if (!nav) return;
    nav.classList.remove('collapsed', 'open');
    var inner = $('.nav-inner', nav);
    var left = $('.nav-left', nav), links = $('.nav-links', nav), right = $('.nav-right', nav);
    var need = left.scrollWidth + links.scrollWidth + (right ? right.scrollWidth : 0) + 48;
    if (need > inner.clientWidth) nav.classList.add('collapsed');
    nav.classList.remove('measuring');
    var t = $('#nav-toggle');
    if (t) t.textContent = '\uD83C\uDF54';
  }
  if (nav) {
    measureNav();
    window.addEventListener('resize', measureNav);
    var toggle = $('#nav-toggle');
    if (toggle) toggle.addEventListener('click', function () {
      var open = nav.classList.toggle('open');
      toggle.textContent = open ? '\u2715' : '\uD83C\uDF54';
    });
  }

  /* ---- filter forms ---- */
  $$('select.js-autosubmit').forEach(function (s) {
    s.addEventListener('change', function () { if (s.form) s.form.submit(); });
  });

  /* ---- exclude / include ---- */
  document.addEventListener('click', function (ev) {
    var b = ev.target.closest ? ev.target.closest('button.js-excl') : null;
    if (!b) return;
    var id = b.getAttribute('data-visitor');
    var excluded = b.getAttribute('data-excluded') === '1';
    var old = b.textContent;
    var fail = b.nextElementSibling && b.nextElementSibling.classList.contains('excl-err') ? b.nextElementSibling : null;
    if (fail) fail.remove();
    b.disabled = true;
    b.textContent = '...';
    var p = excluded ? api('DELETE', '/api/bots/exclude/' + encodeURIComponent(id))
                     : api('POST', '/api/bots/exclude', { visitor_id: id });
    p.then(function (res) {
      b.disabled = false;
      if (!res.ok) throw new Error('failed');
      excluded = !excluded;
      b.setAttribute('data-excluded', excluded ? '1' : '0');
      b.textContent = excluded ? 'include' : 'exclude';
      b.classList.toggle('danger', !excluded);
      var tr = b.closest('tr');
      if (tr) tr.classList.toggle('excluded', excluded);
    }).catch(function () {
      b.disabled = false;
      b.textContent = old;
      b.insertAdjacentElement('afterend', el('span', { 'class': 'msg err excl-err' }, ' Action failed'));
    });
  });

  /* ---- score breakdown expander ---- */
  var LABELS = { cf: 'Cloudflare', timing: 'Timing', geo: 'Geography', geo_site: 'Site Geo', burst: 'Burst',
    headers: 'Headers', screen: 'Screen', referrer: 'Referrer', pow: 'PoW Token', pow_result: 'PoW Result' };
  function factor(v) {
    if (typeof v === 'number') return '+' + v;
    if (v !== null && typeof v === 'object') return JSON.stringify(v);
    return String(v);
  }
  document.addEventListener('click', function (ev) {
    var b = ev.target.closest ? ev.target.closest('button.js-score') : null;
    if (!b) return;
    var box = b.nextElementSibling;
    if (b.getAttribute('data-loaded') === '1') {
      var show = box.hidden;
      box.hidden = !show;
      b.textContent = show ? '[-]' : '[+]';
      return;
    }
    if (b.getAttribute('data-loading') === '1') return;
    b.setAttribute('data-loading', '1');
    b.textContent = '...';
    var kind = b.getAttribute('data-kind') === 'event' ? 'event_id' : 'view_id';
    api('GET', '/api/bots/score-detail?' + kind + '=' + encodeURIComponent(b.getAttribute('data-id')))
      .then(function (res) {
        b.removeAttribute('data-loading');
        box.textContent = '';
        if (!res.ok || !res.json) {
          box.textContent = 'Failed to load';
          box.hidden = false;
          b.textContent = '[+]';
          return;
        }
        var d = res.json.detail;
        if (d === null || d === undefined) {
          box.textContent = 'No breakdown available';
        } else {
          var dl = el('dl');
          Object.keys(d).forEach(function (k) {
            dl.appendChild(el('dt', null, LABELS[k] || k));
            dl.appendChild(el('dd', null, factor(d[k])));
          });
          box.appendChild(dl);
        }
        b.setAttribute('data-loaded', '1');
        box.hidden = false;
        b.textContent = '[-]';
      }).catch(function () {
        b.removeAttribute('data-loading');
        box.textContent = 'Failed to load';
        box.hidden = false;
        b.textContent = '[+]';
      });
  });

  /* ---- daily trend hover caption ---- */
  var caption = $('#trend-caption');
  $$('.js-trend g.bar').forEach(function (g) {
    g.addEventListener('mouseenter', function () {
      if (caption) caption.textContent = g.getAttribute('data-date') + ': ' + g.getAttribute('data-visits') +
        ' views, ' + g.getAttribute('data-visitors') + ' visitors';
    });
  });

  /* ---- mini line chart (same geometry as admin/svg.c) ---- */
  function lineChart(points, key, width, height, color) {
    var s = svg('svg', { 'class': 'line', viewBox: '0 0 ' + width + ' ' + height, width: width, height: height });
    var n = points.length, pad = 30, ph = height - 30;
    if (!n) {
      s.appendChild(svg('text', { 'class': 'nodata', x: width / 2, y: height / 2, 'text-anchor': 'middle' }, 'No data'));
      return s;
    }
    var max = 1;
    points.forEach(function (p) { if (p.count > max) max = p.count; });
    function x(i) { return n <= 1 ? pad + (width - 2 * pad) / 2 : pad + i * (width - 2 * pad) / (n - 1); }
    function y(v) { return 10 + ph - v / max * ph; }
    for (var g = 0; g <= 4; g++) {
      var gy = y(max * g / 4);
      s.appendChild(svg('line', { 'class': 'grid', x1: pad, x2: width - pad, y1: gy, y2: gy }));
      s.appendChild(svg('text', { 'class': 'axis', x: pad - 4, y: gy + 3, 'text-anchor': 'end' }, Math.round(max * g / 4)));
    }
    var pts = points.map(function (p, i) { return x(i).toFixed(2) + ',' + y(p.count).toFixed(2); });
    s.appendChild(svg('polygon', { fill: color, 'fill-opacity': '0.1',
      points: x(0).toFixed(2) + ',' + y(0) + ' ' + pts.join(' ') + ' ' + x(n - 1).toFixed(2) + ',' + y(0) }));
    s.appendChild(svg('polyline', { fill: 'none', stroke: color, 'stroke-width': '1.5', points: pts.join(' ') }));
    var step = Math.max(1, Math.floor(n / 5));
    points.forEach(function (p, i) {
      if (i % step === 0 || i === n - 1)
        s.appendChild(svg('text', { 'class': 'xl', x: x(i), y: height - 4, 'text-anchor': 'middle' }, p[key]));
    });
    return s;
  }
  function chartCard(label, points, key, height, color) {
    var total = 0;
    points.forEach(function (p) { total += p.count; });
    var d = el('div');
    var head = el('div', { 'class': 'chart-head' });
    head.appendChild(el('span', null, label));
    var t = el('span', null, fmtInt(total) + ' total');
    t.style.color = color;
    head.appendChild(t);
    d.appendChild(head);
    d.appendChild(lineChart(points, key, 400, height, color));
    return d;
  }
  function table(headers, rows, empty) {
    if (!rows.length) return el('p', { 'class': 'muted' }, empty);
    var wrap = el('div', { 'class': 'tablewrap' });
    var t = el('table'), thead = el('thead'), tr = el('tr'), tb = el('tbody');
    headers.forEach(function (h) { tr.appendChild(el('th', h.num ? { 'class': 'num' } : null, h.t)); });
    thead.appendChild(tr);
    t.appendChild(thead);
    rows.forEach(function (cells) {
      var r = el('tr');
      cells.forEach(function (c, i) {
        var td = el('td', headers[i].num ? { 'class': 'num' } : null);
        if (c instanceof Node) td.appendChild(c); else td.textContent = c === null || c === undefined ? '-' : String(c);
        r.appendChild(td);
      });
      tb.appendChild(r);
    });
    t.appendChild(tb);
    wrap.appendChild(t);
    return wrap;
  }
  function visitorLink(id, n) {
    if (!id) return '-';
    var a = el('a', { 'class': 'vid', href: '/admin/visitors/' + encodeURIComponent(id), title: id }, id.slice(0, n));
    return a;
  }
  function badge(text) { return el('span', { 'class': 'badge low' }, text); }
  function errorBox(box, text) {
    box.textContent = '';
    box.appendChild(el('div', { 'class': 'alert danger' }, text));
  }
  function poll(fn) { fn(); setInterval(fn, 10000); }

  /* ---- dashboard live panel ---- */
  var live = $('#live');
  if (live) {
    var site = live.getAttribute('data-site');
    poll(function () {
      api('GET', '/api/stats/dashboard?site_id=' + encodeURIComponent(site)).then(function (res) {
        if (!res.ok || !res.json) return errorBox(live, 'HTTP ' + res.status);
        var d = res.json, now = d.now || {};
        var grid = el('div', { 'class': 'live-grid' });
        var nowc = el('div', { 'class': 'panel now', id: 'live-now' });
        nowc.appendChild(el('div', { 'class': 'big', id: 'live-active' }, now.activeVisitors || 0));
        nowc.appendChild(el('div', { 'class': 'muted small' }, 'Now (5 min)'));
        nowc.appendChild(el('div', { id: 'live-views' }, (now.pageviews || 0) + ' views'));
        nowc.appendChild(el('div', { 'class': 'danger' }, (now.estimatedBots || 0) + ' bots'));
        grid.appendChild(nowc);
        var h = d.hourly || {}, dd = d.daily || {};
        var c1 = el('div', { 'class': 'panel span2' });
        c1.appendChild(chartCard('Visitors \u2014 Last 60 min', h.visitors || [], 'minute', 120, '#002868'));
        c1.appendChild(chartCard('Events \u2014 Last 60 min', h.events || [], 'minute', 80, '#ff6600'));
        var c2 = el('div', { 'class': 'panel span2' });
        c2.appendChild(chartCard('Visitors \u2014 Last 24 hours', dd.visitors || [], 'hour', 120, '#002868'));
        c2.appendChild(chartCard('Events \u2014 Last 24 hours', dd.events || [], 'hour', 80, '#ff6600'));
        grid.appendChild(c1);
        grid.appendChild(c2);
        var recent = el('div', { 'class': 'recent' });
        var rv = el('section', { 'class': 'panel', id: 'recent-visitors' });
        rv.appendChild(el('h2', null, 'Recent Visitors'));
        rv.appendChild(table([{ t: 'Visitor' }, { t: 'Views', num: 1 }, { t: 'Device' }, { t: 'OS' }, { t: 'Browser' },
          { t: 'Country' }, { t: 'When' }], (d.recentVisitors || []).map(function (v) {
          return [visitorLink(v.visitor_id, 10), v.view_count, v.device_type, v.os_name, v.browser,
            v.country_code, ago(v.created_at)];
        }), 'No recent visitors'));
        var re = el('section', { 'class': 'panel', id: 'recent-events' });
        re.appendChild(el('h2', null, 'Recent Events'));
        re.appendChild(table([{ t: 'Event' }, { t: 'Visitor' }, { t: 'When' }], (d.recentEvents || []).map(function (e) {
          return [badge(e.event_type), visitorLink(e.visitor_id, 10), ago(e.created_at)];
        }), 'No recent events'));
        recent.appendChild(rv);
        recent.appendChild(re);
        live.textContent = '';
        live.appendChild(grid);
        live.appendChild(recent);
      }).catch(function (e) { errorBox(live, String(e && e.message || e)); });
    });
  }

  /* ---- realtime page ---- */
  var rt = $('#realtime');
  if (rt) {
    var rsite = rt.getAttribute('data-site');
    poll(function () {
      api('GET', '/api/stats/realtime?site_id=' + encodeURIComponent(rsite)).then(function (res) {
        if (!res.ok || !res.json) return errorBox(rt, 'ERROR: HTTP ' + res.status);
        var d = res.json;
        rt.textContent = '';
        var b = el('div', { 'class': 'badges' });
        b.appendChild(badge('site: ' + (d.site_id || rsite)));
        b.appendChild(el('span', { 'class': 'muted small' }, 'updated: ' + new Date().toLocaleTimeString()));
        rt.appendChild(b);
        var k = el('div', { 'class': 'kpis' });
        [['Active Visitors (5 min)', d.active_visitors], ['Recent Pageviews', d.pageviews]].forEach(function (x) {
          var c = el('div', { 'class': 'kpi' });
          c.appendChild(el('div', { 'class': 'kpi-v' }, x[1] || 0));
          c.appendChild(el('div', { 'class': 'kpi-l' }, x[0]));
          k.appendChild(c);
        });
        rt.appendChild(k);
        var paths = d.active_paths || [];
        if (paths.length) {
          var p = el('section', { 'class': 'panel' });
          p.appendChild(el('h2', null, 'Active Pages'));
          p.appendChild(table([{ t: 'Path' }, { t: 'Views', num: 1 }], paths.map(function (x) { return [x.path, x.views]; }), ''));
          rt.appendChild(p);
        }
      }).catch(function () { errorBox(rt, 'ERROR: network'); });
    });
  }

  /* ---- experiments: variants editor and create ---- */
  var expForm = $('#exp-form');
  if (expForm) {
    var vbox = $('#variants');
    var refresh = function () {
      var rows = $$('.vrow', vbox);
      rows.forEach(function (r) { $('.js-vremove', r).hidden = rows.length <= 2; });
    };
    $('#vadd').addEventListener('click', function () {
      var n = $$('.vrow', vbox).length;
      var letter = String.fromCharCode(97 + n - 1);
      var r = $$('.vrow', vbox)[1].cloneNode(true);
      $('[name=variant_id]', r).value = 'variant-' + letter;
      $('[name=vname]', r).value = 'Variant ' + letter.toUpperCase();
      $('[name=weight]', r).value = '50';
      $('[name=is_control]', r).checked = false;
      vbox.appendChild(r);
      refresh();
    });
    vbox.addEventListener('click', function (ev) {
      if (ev.target.classList.contains('js-vremove') && $$('.vrow', vbox).length > 2) {
        ev.target.closest('.vrow').remove();
        refresh();
      }
    });
    expForm.addEventListener('submit', function (ev) {
      ev.preventDefault();
      var msg = $('#exp-msg'), btn = $('#exp-submit');
      var f = expForm.elements;
      var id = f.experiment_id.value.trim(), name = f.name.value.trim(), metric = f.metric_event_type.value.trim();
      msg.className = 'msg err';
      if (!id || !name || !metric) { msg.textContent = 'Experiment ID, name, and metric event type are required.'; return; }
      var body = { experiment_id: id, name: name, metric_event_type: metric,
        allocation_percent: Number(f.allocation_percent.value || 100),
        variants: $$('.vrow', vbox).map(function (r) {
          return { variant_id: $('[name=variant_id]', r).value.trim(), name: $('[name=vname]', r).value.trim(),
            weight: parseInt($('[name=weight]', r).value, 10) || 0, is_control: $('[name=is_control]', r).checked };
        }) };
      var desc = f.description.value.trim();
      if (desc) body.description = desc;
      btn.disabled = true;
      btn.textContent = 'creating...';
      api('POST', '/api/experiments', body).then(function (res) {
        btn.disabled = false;
        btn.textContent = '> create experiment';
        if (!res.ok) { msg.textContent = errText(res, 'Failed to create experiment.'); return; }
        msg.className = 'msg ok';
        msg.textContent = 'Created experiment: ' + id;
        f.experiment_id.value = '';
        f.name.value = '';
        f.description.value = '';
        setTimeout(function () { window.location.reload(); }, 600);
      }).catch(function () {
        btn.disabled = false;
        btn.textContent = '> create experiment';
        msg.textContent = 'Failed to create experiment.';
      });
    });
  }

  /* ---- campaigns: create ---- */
  var campForm = $('#camp-form');
  if (campForm) {
    campForm.addEventListener('submit', function (ev) {
      ev.preventDefault();
      var f = campForm.elements, msg = $('#camp-msg'), btn = $('#camp-submit');
      var id = f.id.value.trim(), name = f.name.value.trim(), utm = f.utm_campaign.value.trim();
      msg.className = 'msg err';
      if (!id || !name || !utm) { msg.textContent = 'ID, name, and utm_campaign are required.'; return; }
      btn.disabled = true;
      btn.textContent = 'creating...';
      api('POST', '/api/campaigns', { id: id, name: name, utm_campaign: utm, site_id: f.site_id.value.trim() || 'default' })
        .then(function (res) {
          btn.disabled = false;
          btn.textContent = '> create campaign';
          if (!res.ok) { msg.textContent = errText(res, 'Failed to create campaign.'); return; }
          var created = res.json && res.json.created ? res.json.created : id;
          window.location.href = '/admin/campaigns/' + encodeURIComponent(created);
        }).catch(function () {
          btn.disabled = false;
          btn.textContent = '> create campaign';
          msg.textContent = 'Failed to create campaign.';
        });
    });
  }

  /* ---- experiment / campaign status and delete buttons ---- */
  $$('.actions[data-kind]').forEach(function (box) {
    var kind = box.getAttribute('data-kind'), id = box.getAttribute('data-id');
    var base = (kind === 'experiment' ? '/api/experiments/' : '/api/campaigns/') + encodeURIComponent(id);
    box.addEventListener('click', function (ev) {
      var b = ev.target.closest('button');
      if (!b) return;
      if (b.classList.contains('js-status')) {
        b.disabled = true;
        api('PATCH', base, { status: b.getAttribute('data-status') }).then(function (res) {
          if (!res.ok) throw new Error('failed');
          window.location.reload();
        }).catch(function () {
          b.disabled = false;
          window.alert(kind === 'experiment' ? 'Failed to update experiment status' : 'Failed to update campaign status');
        });
      } else if (b.classList.contains('js-delete')) {
        if (!window.confirm('Delete this campaign?')) return;
        b.disabled = true;
        api('DELETE', base).then(function (res) {
          if (!res.ok) throw new Error('failed');
          window.location.href = '/admin/campaigns';
        }).catch(function () {
          b.disabled = false;
          window.alert('Failed to delete campaign');
        });
      }
    });
  });

  /* ---- settings: consent CSS and debug switch ---- */
  var save = $('#consent-save');
  if (save) {
    save.addEventListener('click', function () {
      var site = $('#consent').getAttribute('data-site'), msg = $('#consent-msg');
      var css = $('#consent-css').value;
      save.disabled = true;
      save.textContent = 'saving...';
      api('PATCH', '/api/sites/' + encodeURIComponent(site), { consent_css: css ? css : null }).then(function (res) {
        save.disabled = false;
        save.textContent = '> save';
        msg.className = res.ok ? 'msg ok' : 'msg err';
        msg.textContent = res.ok ? 'Saved' : errText(res, 'Save failed');
        if (res.ok) setTimeout(function () { msg.textContent = ''; }, 2000);
      }).catch(function () {
        save.disabled = false;
        save.textContent = '> save';
        msg.className = 'msg err';
        msg.textContent = 'Save failed';
      });
    });
  }
  var sw = $('#debug-switch');
  if (sw && !sw.disabled) {
    sw.addEventListener('click', function () {
      var on = sw.getAttribute('data-on') === '1', msg = $('#debug-msg');
      sw.disabled = true;
      api('POST', '/api/debug', { enabled: !on }).then(function (res) {
        sw.disabled = false;
        if (!res.ok || !res.json) {
          msg.className = 'msg err';
          msg.textContent = (res.json && res.json.error) || ('HTTP ' + res.status);
          return;
        }
        var now = !!res.json.debug;
        sw.setAttribute('data-on', now ? '1' : '0');
        sw.setAttribute('aria-checked', now ? 'true' : 'false');
        sw.classList.toggle('on', now);
        $('.lbl', sw).textContent = now ? 'On' : 'Off';
        msg.className = 'msg ok';
        msg.textContent = now ? 'Debug enabled' : 'Debug disabled';
        setTimeout(function () { msg.textContent = ''; }, 2000);
      }).catch(function () { sw.disabled = false; });
    });
  }
})();
