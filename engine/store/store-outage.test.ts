import { rmSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runCalls } from '../../load-tests/call-generator.js';
import { startSmscSimulator, type SmscSimulator } from '../../smpp/index.js';
import { PostgresCluster } from '../../test/support/postgres-cluster.js';
import { api, scamCalls, sharedEngine, until } from '../../test/support/shared-engines.js';
import type { Engine } from '../engine.js';

const dirs: string[] = [];
const ENROLLED = '+33612400001';
const UNKNOWN = '+33612400009';
const digits = (n: string) => n.replace(/^\+/, '');
/** SMS (first parts) the SMSC took for a number. */
const smsTo = (sim: SmscSimulator, n: string) =>
  sim.received.filter((r) => r.destination === digits(n) && (r.concat?.seq ?? 1) === 1).length;
const metric = (text: string, name: string) =>
  Number(new RegExp(`^${name.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1]);

const postgresqlDownDuringCallsTitle =
  'PostgreSQL down during calls: analysis goes on, nothing is sent unchecked, /readyz and metrics say so; once it ' +
  'is back the enrolled subscriber is alerted exactly once and the unknown number not at all';
test(postgresqlDownDuringCallsTitle, async () => {
  const cluster = await PostgresCluster.create();
  const sim = await startSmscSimulator({ systemId: 'callguard', password: 'secret' });
  let engine: Engine | null = null;
  try {
    engine = await sharedEngine({
      storeUrl: cluster.url,
      smscPort: sim.port,
      rtpBase: 49000 + (process.pid % 50) * 40,
      dirs,
    });
    const e = engine;
    const get = api(e);
    await until('ready', async () => (await get('/readyz')).status === 200, 90000);
    assert.is((await get('/subscribers', { method: 'POST', body: { msisdn: ENROLLED } })).status, 201);
    const raised: string[] = [];
    e.supervisor.on('alert', (callId: string) => raised.push(callId));

    await cluster.stop('fast');
    // Both calls are analysed although neither enrolment could be checked; their alerts wait for the store.
    const calls = runCalls({
      target: { host: '127.0.0.1', port: e.siprec.server.address().port },
      calls: scamCalls('outage', [ENROLLED, UNKNOWN]),
    });
    await until('both alerts raised and held', () => raised.length === 2 && e.held.size('alert') === 2);
    assert.is(e.storeCounters.gateUnchecked, 2, 'both calls let through the gate unchecked, and counted');
    assert.is(smsTo(sim, ENROLLED) + smsTo(sim, UNKNOWN), 0, 'nothing sent while consent cannot be checked');
    const rz = await get('/readyz');
    assert.is(rz.status, 503);
    assert.equal(rz.body.notReady, ['store']);
    assert.match(
      rz.body.checks.find((c: any) => c.name === 'store').detail,
      /postgres unavailable since .*2 alert\(s\) held/,
    );
    const m = (await get('/metrics')).body as string;
    assert.is(metric(m, 'callguard_store_up{kind="postgres"}'), 0);
    assert.is(metric(m, 'callguard_store_held{kind="alert"}'), 2);
    assert.is(metric(m, 'callguard_store_outages_total'), 1);
    assert.is(metric(m, 'callguard_store_gate_unchecked_total'), 2);
    assert.is(metric(m, 'callguard_ready'), 0);
    // An MO that cannot be recorded is not acknowledged: the SMSC keeps it and delivers it again.
    assert.is.not(
      await sim.sendMo(digits(ENROLLED), 'NOT SCAM'),
      0,
      'MO refused with a temporary error while the ledger is down',
    );
    assert.is((await get('/alerts')).status, 503);
    assert.equal(
      (await calls).calls.map((c) => c.outcome),
      ['completed', 'completed'],
      'the calls themselves were not disturbed',
    );

    // The cluster comes back while the alerts are still relevant (store.holdAfterCallSeconds after the calls).
    await cluster.start();
    await until('held alerts decided', () => e.held.size() === 0);
    await until("the enrolled subscriber's alert delivered", async () =>
      ((await get('/alerts')).body.alerts ?? []).some((a: any) => a.to === ENROLLED && a.state === 'delivered'),
    );
    const records = (await get('/alerts')).body.alerts as any[];
    assert.equal(
      records.map((a: any) => [a.to, a.state, a.reason]).sort(),
      [
        [ENROLLED, 'delivered', null],
        [UNKNOWN, 'refused', 'not_enrolled'],
      ].sort(),
    );
    assert.is(smsTo(sim, ENROLLED), 1, 'sent exactly once');
    assert.is(smsTo(sim, UNKNOWN), 0, 'an unverified number is never alerted');
    assert.equal({ ...e.held.counts }, { held: 2, released: 2, expired: 0, failed: 0 });
    assert.is((await get('/readyz')).status, 200);
    assert.is(
      await sim.sendMo(digits(ENROLLED), 'NOT SCAM'),
      0,
      "the SMSC's retry is accepted once the ledger is back",
    );
    const mo = await e.store!.consent!.moLog();
    assert.equal(
      mo.map((x) => [x.from, x.intent, x.alertId?.startsWith('cg-outage-0')]),
      [[digits(ENROLLED), 'not-scam', true]],
    );
  } finally {
    await engine?.close();
    await sim.close();
    await cluster.destroy();
  }
});

const anAlertHeldPastTitle =
  'an alert held past store.holdAfterCallSeconds after its call is dropped, never sent, and its record says why';
test(anAlertHeldPastTitle, async () => {
  const cluster = await PostgresCluster.create();
  const sim = await startSmscSimulator({ systemId: 'callguard', password: 'secret' });
  let engine: Engine | null = null;
  try {
    engine = await sharedEngine({
      storeUrl: cluster.url,
      smscPort: sim.port,
      rtpBase: 49000 + (process.pid % 50) * 40,
      holdAfterCallSeconds: 0,
      dirs,
    });
    const e = engine;
    const get = api(e);
    await until('ready', async () => (await get('/readyz')).status === 200, 90000);
    assert.is((await get('/subscribers', { method: 'POST', body: { msisdn: ENROLLED } })).status, 201);
    await cluster.stop('immediate');
    const done = await runCalls({
      target: { host: '127.0.0.1', port: e.siprec.server.address().port },
      calls: scamCalls('stale', [ENROLLED]),
    });
    assert.equal(
      done.calls.map((c) => c.outcome),
      ['completed'],
    );
    await until(
      'the call ended with its alert held',
      () => e.supervisor.listCalls().length === 0 && e.held.size('alert') === 1,
    );
    await cluster.start();
    await until('held work done', () => e.held.size() === 0);
    assert.equal(
      { ...e.held.counts, held: e.held.counts.held > 0 },
      { held: true, released: 0, expired: 1, failed: 0 },
    );
    const records = (await get('/alerts')).body.alerts as any[];
    assert.equal(
      records.map((a: any) => [a.to, a.state, a.reason]),
      [[ENROLLED, 'refused', 'consent_unchecked']],
    );
    assert.is(smsTo(sim, ENROLLED), 0);
  } finally {
    await engine?.close();
    await sim.close();
    await cluster.destroy();
  }
});

test.after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
test.run();
