import dgram from 'node:dgram';
import { rmSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runCalls } from '../load-tests/call-generator.js';
import { startSmscSimulator, type SmscSimulator } from '../smpp/index.js';
import { KamailioRunner, sipOptions } from '../test/support/kamailio-runner.js';
import { PostgresCluster } from '../test/support/postgres-cluster.js';
import { api, scamCalls, sharedEngine, trackCalls, until } from '../test/support/shared-engines.js';
import { freeUdpPort } from '../test/support/sipp-runner.js';
import { within } from '../test/support/within.js';
import { drainAndClose, type Engine } from './engine.js';

const dirs: string[] = [];
const SUBSCRIBERS = ['+33612500001', '+33612500002', '+33612500003', '+33612500004'];
const digits = (n: string) => n.replace(/^\+/, '');
/** Scam alerts (first parts) an SMSC took for a number; STOP / START confirmations are not alerts. */
const alertsTo = (sims: SmscSimulator[], n: string) =>
  sims
    .flatMap((s) => s.received)
    .filter(
      (r) =>
        r.destination === digits(n) &&
        (r.concat?.seq ?? 1) === 1 &&
        !/no longer get scam-call alerts|alerts are on again/.test(r.text),
    ).length;

async function through(port: number, tag: string, callees: string[], seconds = 8) {
  const r = await runCalls({ target: { host: '127.0.0.1', port }, calls: scamCalls(tag, callees, seconds) });
  return r.calls;
}

const twoEnginesBehindDocsTitle =
  'two engines behind docs/kamailio/kamailio.cfg on one PostgreSQL: round robin, dialogs stay on their engine, ' +
  'every subscriber alerted once, a STOP on B holds on A, drain and a dead engine send calls elsewhere';
test(twoEnginesBehindDocsTitle, async () => {
  const cluster = await PostgresCluster.create();
  const sims: SmscSimulator[] = [];
  const engines: Engine[] = [];
  const lbs: KamailioRunner[] = [];
  try {
    sims.push(
      await startSmscSimulator({ systemId: 'callguard', password: 'secret' }),
      await startSmscSimulator({ systemId: 'callguard', password: 'secret' }),
    );
    const [simA, simB] = sims;
    const base = 51000 + (process.pid % 50) * 80;
    engines.push(await sharedEngine({ storeUrl: cluster.url, smscPort: simA.port, rtpBase: base, dirs }));
    engines.push(await sharedEngine({ storeUrl: cluster.url, smscPort: simB.port, rtpBase: base + 40, dirs }));
    const [A, B] = engines;
    const took = trackCalls({ A, B });
    await until(
      'both engines ready',
      async () => (await api(A)('/readyz')).status === 200 && (await api(B)('/readyz')).status === 200,
      90000,
    );
    const sipA = A.siprec.server.address().port;
    const sipB = B.siprec.server.address().port;
    const lb = await KamailioRunner.start({ port: await freeUdpPort(), engines: [sipA, sipB], probeSeconds: 1 });
    lbs.push(lb);
    for (const n of SUBSCRIBERS)
      assert.is((await api(A)('/subscribers', { method: 'POST', body: { msisdn: n } })).status, 201);

    // Round 1: a scam-like call per subscriber through the dispatcher. Each completes end to end: ACK and BYE follow
    // the Record-Route through Kamailio to the engine that answered (a misrouted BYE would fail the call).
    const round1 = await through(lb.port, 'rr', SUBSCRIBERS);
    assert.equal(
      round1.map((c) => [c.outcome, c.inviteStatus, c.byeStatus]),
      SUBSCRIBERS.map(() => ['completed', 200, 200]),
      lb.output().slice(-2000),
    );
    const landed = round1.map((c) => took.get(c.callId));
    assert.ok(landed.includes('A') && landed.includes('B'), `round robin over both engines: ${landed.join(',')}`);
    // Every protected subscriber alerted exactly once, whichever engine took the call; one shared record list.
    await until('every subscriber alerted', () => SUBSCRIBERS.every((n) => alertsTo(sims, n) === 1));
    await until(
      'the four records delivered, read on either engine',
      async () =>
        ((await api(B)('/alerts')).body.alerts ?? []).filter((a: any) => a.state === 'delivered').length === 4,
    );
    assert.equal(((await api(A)('/alerts')).body.alerts as any[]).map((a) => a.to).sort(), [...SUBSCRIBERS].sort());

    // S1 replies STOP; the SMSC delivers it on B's bind. Their next calls are not analysed: one through the dispatcher,
    // one straight to A, which never saw the STOP itself.
    assert.is(await simB.sendMo(digits(SUBSCRIBERS[0]), 'STOP'), 0);
    const round2 = [
      ...(await through(lb.port, 'stop', [SUBSCRIBERS[0]])),
      ...(await through(sipA, 'stop-a', [SUBSCRIBERS[0]])),
    ];
    assert.equal(
      round2.map((c) => c.outcome),
      ['completed', 'completed'],
    );
    assert.ok((A.siprec.skipped.opted_out ?? 0) >= 1, 'A refused to analyse the subscriber who opted out on B');
    assert.is((A.siprec.skipped.opted_out ?? 0) + (B.siprec.skipped.opted_out ?? 0), 2);
    assert.is(alertsTo(sims, SUBSCRIBERS[0]), 1, 'no alert after the STOP');

    // Drain: A gets SIGTERM's treatment while a call still runs on it. It answers 503 to INVITE and to the
    // dispatcher's OPTIONS, so new calls go to B; its own call runs to the end.
    const running = runCalls({
      target: { host: '127.0.0.1', port: sipA },
      calls: scamCalls('held-on-a', [SUBSCRIBERS[1]], 12),
    });
    await until('the call on A is up', () => A.supervisor.listCalls().length === 1);
    const drained = drainAndClose(A, 60);
    assert.is(await sipOptions(sipA), 503, 'a draining engine answers OPTIONS 503');
    const round3 = await through(lb.port, 'drain', [SUBSCRIBERS[2], SUBSCRIBERS[3], SUBSCRIBERS[2]], 4);
    assert.equal(
      round3.map((c) => [c.outcome, took.get(c.callId)]),
      [
        ['completed', 'B'],
        ['completed', 'B'],
        ['completed', 'B'],
      ],
    );
    assert.equal(
      (await running).calls.map((c) => c.outcome),
      ['completed'],
      'the call on the draining engine was not cut',
    );
    assert.equal(await within(drained, 60000, 'drain'), { drained: true, left: 0 });

    // A is gone now (nothing answers on its port): the dispatcher's probes took it out, calls go to B.
    assert.is(await sipOptions(sipA, 300), 0);
    const round4 = await through(lb.port, 'dead', [SUBSCRIBERS[3], SUBSCRIBERS[2]], 4);
    assert.equal(
      round4.map((c) => [c.outcome, took.get(c.callId)]),
      [
        ['completed', 'B'],
        ['completed', 'B'],
      ],
    );

    // A hung engine the dispatcher still believes in (no probe yet): a socket that takes the INVITE and never answers
    // (held open, so no other process can take its port). fr_timer expires and the same INVITE is tried on the next
    // engine. Two calls, so round robin offers the hung one first once.
    const hung = dgram.createSocket('udp4');
    await new Promise<void>((r) => hung.bind(0, '127.0.0.1', () => r()));
    let swallowed = 0;
    hung.on('message', () => swallowed++);
    try {
      const lb2 = await KamailioRunner.start({
        port: await freeUdpPort(),
        engines: [hung.address().port, sipB],
        probeSeconds: 3600,
      });
      lbs.push(lb2);
      const failover = await through(lb2.port, 'failover', [SUBSCRIBERS[3], SUBSCRIBERS[2]], 4);
      assert.equal(
        failover.map((c) => [c.outcome, took.get(c.callId)]),
        [
          ['completed', 'B'],
          ['completed', 'B'],
        ],
        lb2.output().slice(-2000),
      );
      assert.ok(swallowed > 0, 'one INVITE went to the hung engine first');
      assert.match(lb2.output(), /failed the INVITE of .* \(408\): next engine/);
    } finally {
      hung.close();
    }
  } finally {
    for (const k of lbs) await k.stop();
    for (const e of engines) await e.close();
    for (const s of sims) await s.close();
    await cluster.destroy();
  }
});

test.after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
test.run();
