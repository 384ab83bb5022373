/**
 * The read-only operator console: one static HTML page and its script, no framework, no build step. The page itself
 * is public and holds no data; it asks for the admin token (kept in sessionStorage), then polls GET /console/state
 * once a second with it. Everything from the API is written with textContent (never as HTML). Served with a strict
 * Content-Security-Policy: scripts only from this origin, requests only to this origin.
 */

export const CONSOLE_CSP = "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export const CONSOLE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>callguard console</title>
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
  .risk { display: inline-block; min-width: 3.5em; } .bar { display: inline-block; height: 8px; background: #d0d7de; width: 80px; vertical-align: middle; }
  .bar > i { display: block; height: 8px; background: #2da44e; } .hi > i { background: #cf222e; } .mid > i { background: #bf8700; }
  .ok { color: #1a7f37; } .bad { color: #cf222e; } .muted { color: #57606a; }
  #login { background: #fff; border: 1px solid #d0d7de; padding: 12px; border-radius: 6px; max-width: 520px; }
  #login input { width: 100%; box-sizing: border-box; font-family: monospace; padding: 6px; margin: 6px 0; }
  #status { font-size: 12px; margin-left: 8px; }
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
  <h2>SMS link (SMPP)</h2>
  <div class="cards" id="smpp"></div>
  <h2>Active calls <span id="calls-count" class="muted"></span></h2>
  <table><thead><tr><th>call</th><th>started</th><th>direction</th><th>subscriber</th><th>analysed</th><th>lag</th><th>risk</th><th>heard</th><th>alerts</th></tr></thead>
  <tbody id="calls"></tbody></table>
  <h2>Recent alerts</h2>
  <table><thead><tr><th>time</th><th>call</th><th>to</th><th>level</th><th>risk</th><th>delivery</th><th>explanation</th></tr></thead>
  <tbody id="alerts"></tbody></table>
</main>
<script src="/console.js"></script>
</body>
</html>
`;

export const CONSOLE_JS = `'use strict';
(function () {
  var KEY = 'callguard-token';
  var $ = function (id) { return document.getElementById(id); };
  var timer = null;

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
    if (kws.length) s.appendChild(el('span', (intents.length ? ' · ' : '') + 'spotted: ' + kws.join(', '), 'muted keywords'));
    return s;
  }
  function time(iso) { try { return new Date(iso).toLocaleTimeString(); } catch (e) { return iso; } }

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
      var cards = m.binds.map(function (b) { return card('bind ' + b.name, b.state + (b.lastError ? ' (' + b.lastError + ')' : ''), b.state === 'bound' ? 'ok' : 'bad'); });
      cards.push(card('window', m.window.inFlight + ' / ' + m.window.size));
      cards.push(card('outbox', m.outbox.pendingAlerts + ' pending, ' + m.outbox.awaitingReceipt + ' awaiting receipt'));
      if (m.simulator) cards.push(card('SMSC', 'bundled simulator', 'bad'));
      fill('smpp', cards);
    }
    $('calls-count').textContent = '(' + s.calls.length + ')';
    fill('calls', s.calls.map(function (k) {
      var tr = row([k.callId, time(k.startedAt), k.direction || '—', k.subscriber || '—', k.seconds.toFixed(1) + ' s', k.lagSeconds.toFixed(2) + ' s', riskCell(k.risk), heardCell(k), String(k.alerts)]);
      tr.setAttribute('data-call-id', k.callId);
      return tr;
    }));
    fill('alerts', s.alerts.map(function (a) {
      var d = el('span', a.delivery, a.delivery === 'delivered' || a.delivery === 'submitted' ? 'ok' : /not sent|failed|undeliverable|expired/.test(a.delivery) ? 'bad' : 'muted');
      return row([time(a.at), a.callId, a.to || '—', a.level, a.risk.toFixed(2), d, a.explanation]);
    }));
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
        timer = setTimeout(poll, 1000);
      })
      .catch(function (e) {
        $('status').textContent = 'engine unreachable (' + e.message + '), retrying';
        timer = setTimeout(poll, 2000);
      });
  }

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
