import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { AlertEvent } from '../../actors/actor-events.js';
import { launchChromium } from '../../test/support/console-browser.js';
import { quietLog, testConfig } from '../../test/support/engine-fixtures.js';
import { Engine } from '../engine.js';
import { SipTestPeer, toTagOf } from '../ingest/fixtures/sip-test-peer.js';
import { inDialogRequest, sdpOffer, siprecInvite } from '../ingest/fixtures/siprec-invite.js';
import { emodbRawUlaw, runSippSiprecCall, sippVersion } from '../../test/support/sipp-runner.js';
import { within } from '../../test/support/within.js';
import { openConsole } from '../../test/support/console-browser.js';

const TOKEN = 'console-test-token';
const dir = mkdtempSync(join(tmpdir(), 'cg-console-'));

const operatorConsoleInChromiumTitle =
  'operator console in Chromium: token login, a live SIPREC call appears with its masked subscriber, an alert with ' +
  'its delivery state';
test(operatorConsoleInChromiumTitle, async () => {
  const c = testConfig();
  const base = 44000 + (process.pid % 100) * 20;
  const engine = new Engine(
    {
      ...c,
      sip: { ...c.sip, port: 0, transports: ['udp'] },
      http: { ...c.http, port: 0, token: TOKEN },
      rtp: { ...c.rtp, portMin: base, portMax: base + 19 },
      smpp: { ...c.smpp, simulatorPort: 0 },
      data: { dir },
    },
    quietLog,
  );
  let browser: Browser | null = null;
  const peer = await SipTestPeer.udp();
  await engine.start();
  try {
    browser = await launchChromium();
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    const url = `http://127.0.0.1:${engine.http.address().port}/`;
    await page.goto(url);

    // A wrong token is refused and the login stays.
    await page.fill('#token', 'wrong');
    await page.click('#login button');
    await page.waitForSelector('#login-error:has-text("token refused")', { timeout: 10000 });
    assert.is(await page.isVisible('#main'), false);

    await page.fill('#token', TOKEN);
    await page.click('#login button');
    await page.waitForSelector('#main:not([hidden])', { timeout: 10000 });

    // The SBC forks a call: it shows up in the console.
    const port = engine.siprec.server.address().port;
    const p = { callId: 'console-call-1@test', local: peer.local, target: `127.0.0.1:${port}` };
    peer.send(siprecInvite({ ...p, sdp: sdpOffer({ ports: [46000, 46002] }) }), port);
    const ok = await peer.waitForResponse(200, 'INVITE', 10000);
    peer.send(inDialogRequest('ACK', { ...p, toTag: toTagOf(ok) }), port);
    const row = await page.waitForSelector('#calls tr[data-call-id="console-call-1@test"]', { timeout: 15000 });
    const cells = await row.$$eval('td', (tds) => tds.map((td) => td.textContent ?? ''));
    assert.is(cells[0], 'console-call-1@test');
    assert.is(cells[2], 'incoming · PCMU 8k / PCMU 8k', 'the direction, then each leg codec and rate');
    assert.is(cells[3], '+33698****32', 'the subscriber is masked');
    await page.waitForSelector('#capacity .card:has-text("active calls") .v:text-is("1 / 2000")', { timeout: 10000 });

    // An alert for that call appears with its delivery state (the bundled simulator accepts it).
    const ev: AlertEvent = {
      type: 'alert',
      level: 'alert',
      risk: 0.91,
      t: 10,
      explanation: 'caller pressure and callee fear',
      actions: ['hang up'],
      cues: {},
    };
    const info = engine.supervisor.callInfo('console-call-1@test')!;
    await (engine as any).deliverAlert('console-call-1@test', ev, info);
    const alertRow = await page.waitForSelector('#alerts tr:has-text("caller pressure and callee fear")', {
      timeout: 10000,
    });
    const acells = await alertRow.$$eval('td', (tds) => tds.map((td) => td.textContent ?? ''));
    assert.is(acells[1], 'console-call-1@test');
    assert.is(acells[2], '+33698****32');
    assert.ok(['queued', 'submitted', 'delivered'].includes(acells[5]), `delivery state ${acells[5]}`);
    await page.waitForSelector('#smpp .v.ok:text-is("bound")', { timeout: 20000 });
    const html = await page.content();
    assert.not.ok(html.includes('33698765432') || html.includes('33612345678'), 'no full number anywhere in the page');
    assert.equal(pageErrors, []);

    // The call ends: it leaves the console.
    peer.send(inDialogRequest('BYE', { ...p, toTag: toTagOf(ok), cseq: 2 }), port);
    await page.waitForSelector('#calls tr[data-call-id="console-call-1@test"]', { state: 'detached', timeout: 15000 });
  } finally {
    await browser?.close();
    peer.close();
    await engine.close();
  }
});

const consoleChartsInChromiumTitle =
  'console charts in Chromium: a real call (sipp, angry Emo-DB speech) draws its risk/cue timeline with the alert ' +
  'marked, and the engine charts fill';
test(consoleChartsInChromiumTitle, async () => {
  if (!sippVersion()) assert.unreachable('sipp is not installed: apt-get install -y sip-tester (CI .ci/run does this)');
  const c = testConfig();
  const base = 44000 + (process.pid % 100) * 20 + 1000;
  // Thresholds low enough that ten seconds of angry speech alerts: the chart must show a real alert, not a made-up one.
  const policy = {
    ...c.policy,
    threshold: 0.05,
    hysteresis: 0.02,
    acousticOnlyThreshold: 0.05,
    confirmSeconds: 1,
    minSpeechSeconds: 4,
  };
  const engine = new Engine(
    {
      ...c,
      policy,
      sip: { ...c.sip, port: 0, transports: ['udp'] },
      http: { ...c.http, port: 0, token: TOKEN, historySeconds: 1 },
      rtp: { ...c.rtp, portMin: base, portMax: base + 19 },
      smpp: { ...c.smpp, simulatorPort: 0 },
      data: { dir },
    },
    quietLog,
  );
  await engine.start();
  let browser: Browser | null = null;
  try {
    const http = `http://127.0.0.1:${engine.http.address().port}`;
    const vendor = await fetch(`${http}/vendor/uplot.js`);
    assert.is(vendor.status, 200);
    assert.match(vendor.headers.get('content-type') ?? '', /javascript/);
    assert.ok((await vendor.text()).includes('uPlot'), 'uPlot is served from node_modules');
    const opened = await openConsole(`${http}/`, TOKEN);
    browser = opened.browser;
    const page = opened.page;

    const clip = Buffer.concat(
      ['03a01Wa.wav', '03a02Wb.wav', '03a05Wa.wav', '03b01Wa.wav', '03b02Wb.wav', '03b09Wa.wav'].map((n) =>
        emodbRawUlaw(n),
      ),
    );
    const alerted = new Promise<string>((r) => engine.supervisor.once('alert', (callId: string) => r(callId)));
    const sipp = runSippSiprecCall(engine.siprec.server.address().port, clip, {
      holdMs: 3000 + (clip.length / 8000) * 1000,
    });
    const callId = await within(alerted, 60000, 'an alert on the angry call');

    // The riskiest active call is shown without a click; its chart has points and the alert marker.
    await page.waitForSelector(`#timeline-chart[data-call-id="${callId}"][data-alerts="1"] canvas`, { timeout: 15000 });
    // The chart keeps following the live call.
    await page.waitForFunction(
      () =>
        Number((globalThis as any).document.querySelector('#timeline-chart')?.getAttribute('data-points') ?? 0) >= 8,
      undefined,
      { timeout: 20000 },
    );
    assert.match((await page.textContent('#timeline-marks')) ?? '', /alert at \d+\.\d s/);
    // The timeline API agrees with the engine: columns of one length, values in 0..1, the alert at the policy's time.
    const tl = (await (
      await fetch(`${http}/console/calls/${encodeURIComponent(callId)}/timeline`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      })
    ).json()) as any;
    for (const k of ['risk', 'pressure', 'distress', 'dominance', 'content']) {
      assert.is(tl[k].length, tl.t.length, k);
      assert.ok(
        tl[k].every((v: number) => v >= 0 && v <= 1),
        `${k} within 0..1`,
      );
    }
    assert.ok(
      tl.pressure.some((v: number) => v > 0),
      'the angry caller shows pressure',
    );
    const info = engine.supervisor.callInfo(callId);
    assert.is(tl.alerts[0].t, info?.alerts[0].t);
    assert.ok(
      tl.alerts[0].t >= tl.t[0] && tl.alerts[0].t <= tl.t[tl.t.length - 1] + 1,
      'the alert falls on the timeline',
    );
    // Something was really drawn: the risk line and the alert marker are red pixels on the canvas.
    const red = await page.$eval('#timeline-chart canvas', (canvas: any) => {
      const d = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i] > 170 && d[i + 1] < 90 && d[i + 2] < 90 && d[i + 3] > 0) n++;
      return n;
    });
    assert.ok(red > 50, `red pixels on the timeline ${red}`);

    // The engine charts: samples every second, the active-calls chart saw the call.
    await page.waitForFunction(
      () => Number((globalThis as any).document.querySelector('#chart-calls')?.getAttribute('data-points') ?? 0) >= 2,
      undefined,
      { timeout: 20000 },
    );
    const hist = (await (
      await fetch(`${http}/console/history`, { headers: { authorization: `Bearer ${TOKEN}` } })
    ).json()) as any;
    assert.ok(
      hist.activeCalls.some((n: number) => n === 1),
      `history saw the call: ${JSON.stringify(hist.activeCalls)}`,
    );
    assert.ok(
      hist.verdictP99Ms.some((v: number | null) => v !== null && v > 0),
      'verdict latency sampled',
    );
    for (const id of ['chart-calls', 'chart-alerts', 'chart-p99', 'chart-loss'])
      assert.ok(await page.$(`#${id} canvas`), `${id} drawn`);

    const { code, output } = await within(sipp, 90000, 'sipp call');
    assert.is(code, 0, output.slice(-1500));
    // The call ended: its timeline stays viewable from the alerts table.
    await page.waitForSelector(`#calls tr[data-call-id="${callId}"]`, { state: 'detached', timeout: 15000 });
    await page.click(`#alerts tr[data-call-id="${callId}"]`);
    await page.waitForSelector('#timeline-title:has-text("(ended)")', { timeout: 10000 });
    assert.equal(opened.pageErrors, []);
    const missing = await fetch(`${http}/console/calls/nope/timeline`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    assert.is(missing.status, 404);
    assert.is((await fetch(`${http}/console/history`)).status, 401, 'the history needs the token');
  } finally {
    await browser?.close();
    await engine.close();
  }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
