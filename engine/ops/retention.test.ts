import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { AlertEvent } from '../../actors/actor-events.js';
import type { CallInfo } from '../supervisor.js';
import { quietLog, testConfig } from '../../test/support/engine-fixtures.js';
import { within } from '../../test/support/within.js';
import { loadConfig } from '../config/load-config.js';
import { Engine } from '../engine.js';

const DAY = 86_400_000;
const TOKEN = 'retention-token';
const SUBSCRIBER = '+33612340001';
const dirs: string[] = [];

function config(dir: string, sweepMinutes = 10) {
  const c = testConfig();
  return {
    ...c,
    sip: { ...c.sip, port: 0, transports: ['udp' as const] },
    http: { ...c.http, port: 0, token: TOKEN },
    smpp: { ...c.smpp, simulatorPort: 0 },
    retention: { ...c.retention, alertDays: 30, sweepMinutes },
    data: { dir },
  };
}

async function get(engine: Engine, path: string) {
  const res = await fetch(`http://127.0.0.1:${engine.http.address().port}${path}`, {
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  return { status: res.status, text: await res.text() };
}

/** The policy's alert for a call, entering the engine where the supervisor hands it over. */
function raise(engine: Engine, callId: string, risk: number) {
  const ev: AlertEvent = {
    type: 'alert',
    level: 'alert',
    risk,
    t: 25,
    explanation: 'Caller sounded angry for 20 s',
    actions: ['Hang up'],
    cues: {},
  } as AlertEvent;
  const info = {
    callId,
    state: 'active',
    source: 'siprec',
    startedAt: '',
    subscriberLeg: 1,
    legs: [
      { sampleRate: 8000, number: '+4915100000001' },
      { sampleRate: 8000, number: SUBSCRIBER },
    ],
    lagSeconds: 0,
    restarts: 0,
    risk,
    alerts: [ev],
  } as unknown as CallInfo;
  engine.supervisor.emit('alert', callId, ev, info);
}

async function until(what: string, cond: () => boolean | Promise<boolean>) {
  const deadline = Date.now() + 20000;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`${what}: not reached`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('retention settings: defaults, environment override, refused values', () => {
  const d = loadConfig({ env: {} });
  assert.equal(d.retention, { alertDays: 30, captureHours: 24, captureMaxBytes: 1_073_741_824, sweepMinutes: 10 });
  assert.equal(d.capture.numbers, []);
  const e = loadConfig({
    env: { CALLGUARD_RETENTION_ALERT_DAYS: '7', CALLGUARD_CAPTURE_NUMBERS: '+33612345678,+4915112345678' },
  });
  assert.is(e.retention.alertDays, 7);
  assert.equal(e.capture.numbers, ['+33612345678', '+4915112345678']);
  assert.throws(() => loadConfig({ env: { CALLGUARD_RETENTION_ALERT_DAYS: '0' } }), /config retention\.alertDays: /);
  assert.throws(
    () => loadConfig({ env: { CALLGUARD_CAPTURE_NUMBERS: '0612345678' } }),
    /config capture\.numbers\.0: expected E\.164 numbers/,
  );
});

const alertRecordsKeepNumberTitle =
  'alert records keep number, time, score, explanation, delivery state; past retention.alertDays they and their ' +
  'SMS are purged, at start-up and periodically';
test(alertRecordsKeepNumberTitle, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cg-retention-'));
  dirs.push(dir);
  const real = Date.now();
  let now = real - 40 * DAY;
  const first = new Engine(config(dir), quietLog, { now: () => now });
  await first.start();
  try {
    await within(first.alerts.service!.ready(), 20000, 'SMPP bind to the bundled simulator');
    raise(first, 'old-call', 0.71);
    await until(
      'old alert delivered',
      async () => (await first.alertRecords!.get('old-call#alert'))?.state === 'delivered',
    );
    now = real;
    raise(first, 'new-call', 0.82);
    await until(
      'new alert delivered',
      async () => (await first.alertRecords!.get('new-call#alert'))?.state === 'delivered',
    );
    const r = await get(first, '/alerts');
    assert.is(r.status, 200);
    const body = JSON.parse(r.text);
    assert.equal(
      body.alerts.map((a: any) => a.callId),
      ['new-call', 'old-call'],
      'newest first',
    );
    const a = body.alerts[0];
    assert.equal(Object.keys(a).sort(), [
      'alertId',
      'at',
      'callId',
      'explanation',
      'level',
      'reason',
      'risk',
      'sms',
      'state',
      'to',
    ]);
    assert.equal(
      [a.to, a.risk, a.explanation, a.state, a.at],
      [SUBSCRIBER, 0.82, 'Caller sounded angry for 20 s', 'delivered', new Date(real).toISOString()],
    );
    assert.match(a.sms.text, 'Caller sounded angry for 20 s');
    assert.is(
      (await fetch(`http://127.0.0.1:${first.http.address().port}/alerts`)).status,
      401,
      'numbers need the token',
    );
    assert.is((await get(first, '/alerts?limit=0')).status, 400);
    // Every submit_sm (two alerts, each one or more parts) got a response from the SMSC, timed in the latency
    // histogram.
    const submitted = first.alerts.service!.status().counters.submitted;
    assert.ok(submitted >= 2);
    assert.match(
      (await get(first, '/metrics')).text,
      new RegExp(`callguard_smpp_response_seconds_count ${submitted}\\b`),
    );
  } finally {
    await first.close();
  }

  // Restart on the same data dir: the start-up sweep removes the record raised 40 days ago, keeps the recent one.
  // A sweep every 0.6 s, so the periodic path runs during the test; the clock, not the wait, ages the records.
  const second = new Engine(config(dir, 0.01), quietLog, { now: () => now });
  await second.start();
  try {
    assert.is(await second.alertRecords!.get('old-call#alert'), undefined);
    assert.ok(await second.alertRecords!.get('new-call#alert'));
    assert.ok(
      second.alerts.service!.getAlert('old-call#alert'),
      'the SMS itself was sent today: still within retention',
    );
    assert.match((await get(second, '/metrics')).text, 'callguard_retention_purged_total{kind="alert_records"} 1');

    // 31 days later, the next periodic sweep removes the rest: alert records and the outbox's SMS records.
    const sweeps = second.retention!.sweeps;
    now = real + 31 * DAY;
    await until('a periodic sweep after the clock moved', () => second.retention!.sweeps > sweeps + 1);
    assert.is(await second.alertRecords!.count(), 0);
    assert.is(second.alerts.service!.getAlert('old-call#alert'), undefined);
    assert.is(second.alerts.service!.getAlert('new-call#alert'), undefined);
    assert.equal(JSON.parse((await get(second, '/alerts')).text).alerts, []);
    const m = (await get(second, '/metrics')).text;
    assert.match(m, 'callguard_retention_purged_total{kind="alert_records"} 2');
    assert.match(m, 'callguard_retention_purged_total{kind="sms_outbox"} 2');
  } finally {
    await second.close();
  }
});

test.after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
test.run();
