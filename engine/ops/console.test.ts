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

const TOKEN = 'console-test-token';
const dir = mkdtempSync(join(tmpdir(), 'cg-console-'));

test('operator console in Chromium: token login, a live SIPREC call appears with its masked subscriber, an alert with its delivery state', async () => {
  const c = testConfig();
  const base = 44000 + (process.pid % 100) * 20;
  const engine = new Engine(
    { ...c, sip: { ...c.sip, port: 0, transports: ['udp'] }, http: { ...c.http, port: 0, token: TOKEN }, rtp: { ...c.rtp, portMin: base, portMax: base + 19 }, smpp: { ...c.smpp, simulatorPort: 0 }, data: { dir } },
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
    const row = await page.waitForSelector('tr[data-call-id="console-call-1@test"]', { timeout: 15000 });
    const cells = await row.$$eval('td', (tds) => tds.map((td) => td.textContent ?? ''));
    assert.is(cells[0], 'console-call-1@test');
    assert.is(cells[2], 'incoming');
    assert.is(cells[3], '+33698****32', 'the subscriber is masked');
    await page.waitForSelector('#capacity .card:has-text("active calls") .v:text-is("1 / 2000")', { timeout: 10000 });

    // An alert for that call appears with its delivery state (the bundled simulator accepts it).
    const ev: AlertEvent = { type: 'alert', level: 'alert', risk: 0.91, t: 10, explanation: 'caller pressure and callee fear', actions: ['hang up'], cues: {} };
    const info = engine.supervisor.callInfo('console-call-1@test')!;
    await (engine as any).deliverAlert('console-call-1@test', ev, info);
    const alertRow = await page.waitForSelector('#alerts tr:has-text("caller pressure and callee fear")', { timeout: 10000 });
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
    await page.waitForSelector('tr[data-call-id="console-call-1@test"]', { state: 'detached', timeout: 15000 });
  } finally {
    await browser?.close();
    peer.close();
    await engine.close();
  }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
