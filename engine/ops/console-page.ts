/**
 * The read-only operator console: one static HTML page and its script, no framework, no build step. The page itself
 * is public and holds no data; it asks for the admin token (kept in sessionStorage), then polls GET /console/state
 * once a second with it. Everything from the API is written with textContent (never as HTML). Served with a strict
 * Content-Security-Policy: scripts only from this origin, requests only to this origin. The charts are drawn by uPlot,
 * which the engine serves from its own node_modules (/vendor/uplot.js): nothing is fetched from the Internet.
 */

export const CONSOLE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' " +
  "data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export const CONSOLE_HTML =
  `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>callguard console</title>
<link rel="stylesheet" href="/vendor/uplot.css">
<style>
  :root { font-family: system-ui, sans-serif; color: #1b1f24; background: #f6f7f9; }
  body { margin: 0 auto; max-width: 1200px; padding: 16px; }
  h1 { font-size: 20px; margin: 0 0 12px; }
  h2 { font-size: 15px; margin: 20px 0 6px; text-transform: uppercase; letter-spacing: .04em; color: #57606a; }
  .cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr)); gap: 8px; }
  .card { background: #fff; border: 1px solid #d0d7de; border-radius: 6px; padding: 8px 10px; }
  .card .k { font-size: 12px; color: #57606a; } .card .v { font-size: 20px; font-variant-numeric: tabular-nums; }
  table { width: 100%; border-collapse: collapse; background: #fff; border: 1px solid #d0d7de; font-size: 13px; }
  th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #eaeef2; font-variant-numeric: tabular-nums; }
  th { background: #f0f2f4; font-weight: 600; }
  .risk { display: inline-block; min-width: 3.5em; } .bar { display: inline-block; height: 8px; background: #d0d7de; ` +
  `width: 80px; vertical-align: middle; }
  .bar > i { display: block; height: 8px; background: #2da44e; } .hi > i { background: #cf222e; } .mid > i { ` +
  `background: #bf8700; }
  .ok { color: #1a7f37; } .bad { color: #cf222e; } .muted { color: #57606a; }
  #login { background: #fff; border: 1px solid #d0d7de; padding: 12px; border-radius: 6px; max-width: 520px; }
  #login input { width: 100%; box-sizing: border-box; font-family: monospace; padding: 6px; margin: 6px 0; }
  #status { font-size: 12px; margin-left: 8px; }
  .charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(270px, 1fr)); gap: 8px; }
  .chart { background: #fff; border: 1px solid #d0d7de; border-radius: 6px; padding: 6px; min-height: 150px; }
  .chart .k { font-size: 12px; color: #57606a; margin-bottom: 2px; }
  #calls tr[data-call-id], #alerts tr[data-call-id] { cursor: pointer; }
  tr.selected td { background: #ddf4ff; }
  #timeline { background: #fff; border: 1px solid #d0d7de; border-radius: 6px; padding: 8px; }
  #timeline-marks { font-size: 12px; color: #57606a; margin-top: 4px; }
</style>
</head>
<body>
<h1>callguard <span id="status" class="muted"></span></h1>
<form id="login" hidden>
  <label for="token">Admin API token (http.token, or &lt;data.dir&gt;/http-token)</label>
  <input id="token" type="password" autocomplete="off" spellcheck="false">
  <button type="submit">Open console</button> <span id="login-error" class="bad"></span>
</form>
<main id="main" hidden>
  <h2>Capacity</h2>
  <div class="cards" id="capacity"></div>
  <h2>Last hour <span id="history-note" class="muted"></span></h2>
  <div class="charts">
    <div class="chart" id="chart-calls"><div class="k">active calls</div></div>
    <div class="chart" id="chart-alerts"><div class="k">alerts per minute</div></div>
    <div class="chart" id="chart-p99"><div class="k">verdict latency p99 (ms)</div></div>
    <div class="chart" id="chart-loss"><div class="k">RTP loss (%)</div></div>
  </div>
  <h2>SMS link (SMPP)</h2>
  <div class="cards" id="smpp"></div>
  <h2>Active calls <span id="calls-count" class="muted"></span></h2>
  <table><thead><tr><th>call</th><th>started</th><th>direction</th><th>subscriber</th><th>analysed</th><th>lag</th>` +
  `<th>risk</th><th>heard</th><th>alerts</th></tr></thead>
  <tbody id="calls"></tbody></table>
  <h2>Call timeline <span id="timeline-title" class="muted">(click a call or an alert)</span></h2>
  <div id="timeline"><div id="timeline-chart"></div><div id="timeline-marks"></div></div>
  <h2>Recent alerts</h2>
  <table><thead><tr><th>time</th><th>call</th><th>to</th><th>level</th><th>risk</th><th>delivery</th><th>` +
  `explanation</th></tr></thead>
  <tbody id="alerts"></tbody></table>
</main>
<script src="/vendor/uplot.js"></script>
<script src="/console.js"></script>
</body>
</html>
`;

export const CONSOLE_JS =
  `'use strict';
(function () {
  var KEY = 'callguard-token';
  var $ = function (id) { return document.getElementById(id); };
  var timer = null;
  // The call whose timeline is shown; picked by a click, else the riskiest active call.
  var selected = null;
  var pinned = false;
  var callChart = null;
  var callChartId = null;
  var marks = { alerts: [], intents: [] };
  var engineCharts = {};
  var historyAt = 0;
  var ENGINE_CHARTS = [
    ['chart-calls', 'activeCalls', '#0969da'],
    ['chart-alerts', 'alertsPerMinute', '#cf222e'],
    ['chart-p99', 'verdictP99Ms', '#8250df'],
    ['chart-loss', 'rtpLossPercent', '#bf8700'],
  ];
  var CUES = [['risk', '#cf222e', 2], ['pressure', '#bf8700', 1], ['distress', '#8250df', 1], ['dominance', ` +
  `'#0969da', 1], ['content', '#1a7f37', 1]];

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  function card(k, v, cls) {
    var c = el('div', undefined, 'card');
    c.appendChild(el('div', k, 'k'));
    c.appendChild(el('div', v, 'v' + (cls ? ' ' + cls : '')));
    return c;
  }
  function fill(id, nodes) {
    var t = $(id);
    while (t.firstChild) t.removeChild(t.firstChild);
    nodes.forEach(function (n) { t.appendChild(n); });
  }
  function row(cells) {
    var tr = document.createElement('tr');
    cells.forEach(function (c) { tr.appendChild(c instanceof Node ? wrap(c) : el('td', c)); });
    return tr;
  }
  function wrap(node) { var td = document.createElement('td'); td.appendChild(node); return td; }
  function riskCell(r) {
    var s = el('span');
    if (r === null) { s.appendChild(el('span', '—', 'muted')); return s; }
    s.appendChild(el('span', r.toFixed(2), 'risk'));
    var bar = el('span', undefined, 'bar' + (r >= 0.7 ? ' hi' : r >= 0.4 ? ' mid' : ''));
    var fillBar = document.createElement('i');
    fillBar.style.width = Math.round(Math.max(0, Math.min(1, r)) * 100) + '%';
    bar.appendChild(fillBar);
    s.appendChild(bar);
    return s;
  }
  // Intents the recogniser heard, then (muted) keyword classes the spotter heard; names only, never words.
  function heardCell(k) {
    var s = el('span');
    var intents = k.intents || [];
    var kws = k.keywords || [];
    if (!intents.length && !kws.length) { s.appendChild(el('span', '—', 'muted')); return s; }
    if (intents.length) s.appendChild(el('span', intents.join(', '), 'intents'));
    if (kws.length) s.appendChild(el('span', (intents.length ? ' · ' : '') + 'spotted: ' + kws.join(', '), 'muted ` +
  `keywords'));
    return s;
  }
  function time(iso) { try { return new Date(iso).toLocaleTimeString(); } catch (e) { return iso; } }

  function getJson(path) {
    return fetch(path, { headers: { authorization: 'Bearer ' + sessionStorage.getItem(KEY) }, cache: 'no-store' ` +
  `}).then(function (r) {
      if (r.status === 404) return null;
      if (!r.ok) throw new Error('HTTP ' + r.status);
      return r.json();
    });
  }
  function clockLabels(u, splits) {
    return splits.map(function (v) { return new Date(v * 1000).toLocaleTimeString([], { hour: '2-digit', minute: ` +
  `'2-digit' }); });
  }
  function chartWidth(id) { return Math.max(240, $(id).clientWidth - 14); }

  // Alerts as red dashed verticals with their level, spoken intents as short amber ticks along the top.
  function drawMarks(u) {
    var ctx = u.ctx, top = u.bbox.top, h = u.bbox.height, px = window.devicePixelRatio || 1;
    ctx.save();
    ctx.font = Math.round(11 * px) + 'px system-ui, sans-serif';
    marks.intents.forEach(function (m) {
      var x = u.valToPos(m.t, 'x', true);
      ctx.strokeStyle = '#bf8700';
      ctx.lineWidth = 2 * px;
      ctx.beginPath(); ctx.moveTo(x, top); ctx.lineTo(x, top + 10 * px); ctx.stroke();
    });
    marks.alerts.forEach(function (m) {
      var x = u.valToPos(m.t, 'x', true);
      ctx.strokeStyle = '#cf222e';
      ctx.fillStyle = '#cf222e';
      ctx.lineWidth = 2 * px;
      ctx.setLineDash([4 * px, 3 * px]);
      ctx.beginPath(); ctx.moveTo(x, top); ctx.lineTo(x, top + h); ctx.stroke();
      ctx.fillText(m.level, x + 4 * px, top + 22 * px);
    });
    ctx.restore();
  }

  function renderTimeline(tl) {
    var box = $('timeline-chart');
    if (!tl) {
      if (callChart) callChart.destroy();
      callChart = null;
      callChartId = null;
      box.setAttribute('data-points', '0');
      fill('timeline-chart', [el('p', selected ? 'No timeline kept for ' + selected + '.' : 'No call yet.', 'muted')]);
      fill('timeline-marks', []);
      return;
    }
    marks = { alerts: tl.alerts, intents: tl.intents };
    var data = [tl.t].concat(CUES.map(function (c) { return tl[c[0]]; }));
    if (!callChart || callChartId !== tl.callId) {
      if (callChart) callChart.destroy();
      fill('timeline-chart', []);
      callChart = new uPlot({
        width: chartWidth('timeline'),
        height: 230,
        scales: { x: { time: false }, y: { range: [0, 1] } },
        axes: [{ label: 'call time (s)' }, { size: 50 }],
        legend: { live: false },
        series: [{ label: 'call time (s)' }].concat(CUES.map(function (c) { return { label: c[0], stroke: c[1], ` +
  `width: c[2] }; })),
        hooks: { draw: [drawMarks] },
      }, data, box);
      callChartId = tl.callId;
    } else callChart.setData(data);
    box.setAttribute('data-call-id', tl.callId);
    box.setAttribute('data-points', String(tl.t.length));
    box.setAttribute('data-alerts', String(tl.alerts.length));
    $('timeline-title').textContent = tl.callId + (tl.active ? '' : ' (ended)');
    var items = tl.alerts.map(function (a) { return el('span', a.level + ' at ' + a.t.toFixed(1) + ' s' + (a.basis ? ` +
  `' (' + a.basis + ')' : '') + ' · ', 'bad'); });
    tl.intents.forEach(function (i) { items.push(el('span', i.intent + ' at ' + i.t.toFixed(1) + ' s · ')); });
    if (!items.length) items.push(el('span', 'no alert, no spoken intent'));
    fill('timeline-marks', items);
  }

  function renderHistory(h) {
    ENGINE_CHARTS.forEach(function (e) {
      var data = [h.t, h[e[1]]];
      var c = engineCharts[e[0]];
      if (!c) {
        engineCharts[e[0]] = new uPlot({
          width: chartWidth(e[0]),
          height: 120,
          legend: { show: false },
          scales: { y: { range: function (u, min, max) { return [0, Math.max(1, max === null ? 1 : max * 1.1)]; } } },
          axes: [{ space: 60, values: clockLabels }, { size: 55 }],
          series: [{}, { stroke: e[2], width: 2, fill: e[2] + '22' }],
        }, data, $(e[0]));
      } else c.setData(data);
      $(e[0]).setAttribute('data-points', String(h.t.length));
    });
    $('history-note').textContent = '(' + h.t.length + ' samples, one every ' + h.intervalSeconds + ' s)';
  }

  function select(callId) {
    selected = callId;
    pinned = true;
    markSelected();
    refreshTimeline();
  }
  function markSelected() {
    ['calls', 'alerts'].forEach(function (id) {
      Array.prototype.forEach.call($(id).querySelectorAll('tr[data-call-id]'), function (tr) {
        tr.className = tr.getAttribute('data-call-id') === selected ? 'selected' : '';
      });
    });
  }
  function refreshTimeline() {
    if (!selected) { renderTimeline(null); return Promise.resolve(); }
    return getJson('/console/calls/' + encodeURIComponent(selected) + '/timeline').then(renderTimeline);
  }
  function refreshHistory() {
    if (Date.now() - historyAt < 5000) return Promise.resolve();
    historyAt = Date.now();
    return getJson('/console/history').then(function (h) { if (h) renderHistory(h); });
  }

  function render(s) {
    var c = s.capacity;
    fill('capacity', [
      card('active calls', c.activeCalls + ' / ' + c.maxCalls),
      card('SIP sessions', c.sipCalls),
      card('RTP ports', c.rtpPorts.used + ' / ' + c.rtpPorts.capacity),
      card('workers', c.workers + ' / ' + c.threads, c.workers >= c.threads ? 'ok' : 'bad'),
      card('max lag', c.maxLagSeconds.toFixed(2) + ' s', c.maxLagSeconds > 1 ? 'bad' : 'ok'),
      card('state', c.draining ? 'draining' : 'accepting calls', c.draining ? 'bad' : 'ok'),
      card('enrolment', c.enforce ? 'enforced' : 'all calls analysed'),
    ]);
    var m = s.smpp;
    if (!m) fill('smpp', [card('SMS delivery', 'not running', 'bad')]);
    else {
      var cards = m.binds.map(function (b) { return card('bind ' + b.name, b.state + (b.lastError ? ' (' + ` +
  `b.lastError + ')' : ''), b.state === 'bound' ? 'ok' : 'bad'); });
      cards.push(card('window', m.window.inFlight + ' / ' + m.window.size));
      cards.push(card('outbox', m.outbox.pendingAlerts + ' pending, ' + m.outbox.awaitingReceipt + ' awaiting ` +
  `receipt'));
      if (m.simulator) cards.push(card('SMSC', 'bundled simulator', 'bad'));
      fill('smpp', cards);
    }
    $('calls-count').textContent = '(' + s.calls.length + ')';
    fill('calls', s.calls.map(function (k) {
      var tr = row([k.callId, time(k.startedAt), (k.direction || '—') + (k.codecs ? ' · ' + k.codecs : ''), ` +
  `k.subscriber || '—', k.seconds.toFixed(1) + ' s', k.lagSeconds.toFixed(2) + ' s', riskCell(k.risk), ` +
  `heardCell(k), String(k.alerts)]);
      tr.setAttribute('data-call-id', k.callId);
      return tr;
    }));
    fill('alerts', s.alerts.map(function (a) {
      var d = el('span', a.delivery, a.delivery === 'delivered' || a.delivery === 'submitted' ? 'ok' : /not ` +
  `sent|failed|undeliverable|expired/.test(a.delivery) ? 'bad' : 'muted');
      var tr = row([time(a.at), a.callId, a.to || '—', a.level, a.risk.toFixed(2), d, a.explanation]);
      tr.setAttribute('data-call-id', a.callId);
      return tr;
    }));
    if (!pinned) {
      var top = null;
      s.calls.forEach(function (k) { if (!top || (k.risk || 0) > (top.risk || 0)) top = k; });
      if (top) selected = top.callId;
    }
    markSelected();
    $('status').textContent = 'updated ' + time(s.now);
  }

  function showLogin(msg) {
    if (timer) clearTimeout(timer);
    timer = null;
    $('main').hidden = true;
    $('login').hidden = false;
    $('login-error').textContent = msg || '';
  }

  function poll() {
    var token = sessionStorage.getItem(KEY);
    if (!token) return showLogin('');
    fetch('/console/state', { headers: { authorization: 'Bearer ' + token }, cache: 'no-store' })
      .then(function (r) {
        if (r.status === 401) { sessionStorage.removeItem(KEY); showLogin('token refused'); return null; }
        if (!r.ok) throw new Error('HTTP ' + r.status);
        return r.json();
      })
      .then(function (s) {
        if (!s) return;
        $('login').hidden = true;
        $('main').hidden = false;
        render(s);
        return Promise.all([refreshTimeline(), refreshHistory()]);
      })
      .then(function (done) {
        if (done) timer = setTimeout(poll, 1000);
      })
      .catch(function (e) {
        $('status').textContent = 'engine unreachable (' + e.message + '), retrying';
        timer = setTimeout(poll, 2000);
      });
  }

  ['calls', 'alerts'].forEach(function (id) {
    $(id).addEventListener('click', function (ev) {
      var tr = ev.target.closest('tr[data-call-id]');
      if (tr) select(tr.getAttribute('data-call-id'));
    });
  });
  window.addEventListener('resize', function () {
    if (callChart) callChart.setSize({ width: chartWidth('timeline'), height: 230 });
    ENGINE_CHARTS.forEach(function (e) { if (engineCharts[e[0]]) engineCharts[e[0]].setSize({ width: ` +
  `chartWidth(e[0]), height: 120 }); });
  });
  $('login').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var t = $('token').value.trim();
    if (!t) return;
    sessionStorage.setItem(KEY, t);
    $('token').value = '';
    poll();
  });
  poll();
})();
`;
