import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runCalls } from '../../load-tests/call-generator.js';
import { startSmscSimulator, type SmscSimulator } from '../../smpp/index.js';
import { PostgresCluster } from '../../test/support/postgres-cluster.js';
import { repoRoot } from '../../test/support/repo-paths.js';
import { api, scamCalls, sharedEngine, trackCalls, until } from '../../test/support/shared-engines.js';
import type { Engine } from '../engine.js';

const dirs: string[] = [];
const S1 = '+33612300001';
const S2 = '+33612300002';
const S3 = '+33612300003';
const digits = (n: string) => n.replace(/^\+/, '');
/** Scam alerts the SMSC took for a number, one per SMS (first parts); STOP / START confirmations are not alerts. */
const smsTo = (sim: SmscSimulator, n: string) =>
  sim.received.filter(
    (r) =>
      r.destination === digits(n) &&
      (r.concat?.seq ?? 1) === 1 &&
      !/no longer get scam-call alerts|alerts are on again/.test(r.text),
  ).length;
const confirmationsTo = (sim: SmscSimulator, n: string) =>
  sim.received.filter((r) => r.destination === digits(n) && /no longer get scam-call alerts/.test(r.text)).length;

async function call(engine: Engine, tag: string, callee: string, onAnswered?: () => void) {
  const r = await runCalls({
    target: { host: '127.0.0.1', port: engine.siprec.server.address().port },
    calls: scamCalls(tag, [callee]),
    onCallEvent: (e) => e.event === 'answered' && onAnswered?.(),
  });
  assert.equal(
    r.calls.map((c) => c.outcome),
    ['completed'],
    `call ${tag} to ${callee}`,
  );
  return r.calls[0].callId;
}

const twoEnginesOnOneTitle =
  'two engines on one PostgreSQL: enrolment through A protects calls on B; the hourly rate, a STOP and a mid-call ' +
  'STOP hold on every engine';
test(twoEnginesOnOneTitle, async () => {
  const cluster = await PostgresCluster.create();
  const sims: SmscSimulator[] = [];
  const engines: Engine[] = [];
  try {
    sims.push(
      await startSmscSimulator({ systemId: 'callguard', password: 'secret' }),
      await startSmscSimulator({ systemId: 'callguard', password: 'secret' }),
    );
    const [simA, simB] = sims;
    const base = 46000 + (process.pid % 50) * 80;
    engines.push(await sharedEngine({ storeUrl: cluster.url, smscPort: simA.port, rtpBase: base, perHour: 1, dirs }));
    engines.push(
      await sharedEngine({ storeUrl: cluster.url, smscPort: simB.port, rtpBase: base + 40, perHour: 1, dirs }),
    );
    const [A, B] = engines;
    const took = trackCalls({ A, B });
    await until(
      'both engines ready',
      async () => (await api(A)('/readyz')).status === 200 && (await api(B)('/readyz')).status === 200,
      90000,
    );
    for (const n of [S1, S2])
      assert.is((await api(A)('/subscribers', { method: 'POST', body: { msisdn: n } })).status, 201);
    assert.equal(
      (await api(B)(`/subscribers/${encodeURIComponent(S1)}`)).body.subscriber.msisdn,
      S1,
      'B reads what A enrolled',
    );
    // The CLI on the same store.url enrols for every engine too.
    const cli = spawnSync(
      process.execPath,
      [join(repoRoot, 'bin/callguard.js'), 'subscribers', 'add', S3, '--language', 'fr'],
      { encoding: 'utf8', env: { ...process.env, CALLGUARD_STORE_URL: cluster.url }, timeout: 30000 },
    );
    assert.is(cli.status, 0, cli.stderr);
    assert.is(JSON.parse(cli.stdout).created, true);
    assert.is((await api(A)(`/subscribers/${encodeURIComponent(S3)}`)).body.subscriber.language, 'fr');

    // Enrolled through A, called on B: analysed and alerted by B, the record visible from A.
    const first = await call(B, 'b1', S1);
    assert.is(took.get(first), 'B');
    await until('B alerted S1 and the SMSC took it', () => smsTo(simB, S1) === 1);
    await until("the record of B's alert, read through A, delivered", async () =>
      ((await api(A)('/alerts')).body.alerts ?? []).some((a: any) => a.callId === first && a.state === 'delivered'),
    );

    // smpp.perHour is 1 and counted in PostgreSQL: S1's next scam call, on A, alerts nobody.
    const second = await call(A, 'a1', S1);
    assert.is(took.get(second), 'A');
    await until('A refused its alert for S1 as rate limited', async () =>
      ((await api(B)('/alerts')).body.alerts ?? []).some(
        (a: any) => a.callId === second && a.state === 'refused' && a.reason === 'rate_limited',
      ),
    );
    assert.is(smsTo(simA, S1), 0, 'no SMS from A');

    // S2 answers STOP; the SMSC delivers it on B's bind. A then neither analyses nor alerts S2's calls.
    assert.is(await simB.sendMo(S2, 'STOP'), 0, 'deliver_sm_resp ESME_ROK once the opt-out is committed');
    await call(A, 'a2', S2);
    assert.equal(A.siprec.skipped, { opted_out: 1 }, 'A saw the opt-out B recorded');
    assert.is(smsTo(simA, S2) + smsTo(simB, S2), 0);
    assert.equal(
      (await B.store!.consent!.consentHistory(digits(S2))).map((c) => c.optedOut),
      [true],
    );

    // S3 opts out while its call is analysed on A: the alert A raises afterwards is refused, not sent. The STOP goes
    // once A's enrolment check (answered by PostgreSQL after the call is up) has said yes: sent earlier, the check can
    // read the opt-out and A stops analysing, so no alert is raised at all (CI saw that race).
    const gate = A.siprec.gate!;
    let gateSaidYes: Promise<unknown> = Promise.resolve();
    A.siprec.gate = (info) => {
      const answer = gate(info);
      gateSaidYes = Promise.resolve(answer);
      return answer;
    };
    let stop: Promise<number> | null = null;
    const third = await call(A, 'a3', S3, () => {
      stop = gateSaidYes.then(() => simB.sendMo(S3, 'STOP'));
    });
    assert.equal(await gateSaidYes, { analyse: true }, 'A analyses S3 before the STOP');
    assert.is(await stop!, 0);
    await until('A refused its alert for S3 (opted out mid-call)', async () =>
      ((await api(A)('/alerts')).body.alerts ?? []).some(
        (a: any) => a.callId === third && a.state === 'refused' && a.reason === 'opted_out',
      ),
    );
    assert.is(smsTo(simA, S3) + smsTo(simB, S3), 0, 'no SMS to S3 from any engine');
    // The STOP confirmations are service SMS from B, the engine whose bind got the STOP.
    await until(
      'STOP confirmations sent by B',
      () => confirmationsTo(simB, S2) === 1 && confirmationsTo(simB, S3) === 1,
    );
    assert.is(confirmationsTo(simA, S2) + confirmationsTo(simA, S3), 0);
    const mo = await A.store!.consent!.moLog();
    assert.equal(
      mo.map((m) => [m.from, m.intent]),
      [
        [digits(S2), 'opt-out'],
        [digits(S3), 'opt-out'],
      ],
    );
  } finally {
    for (const e of engines) await e.close();
    for (const s of sims) await s.close();
    await cluster.destroy();
  }
});

test.after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
test.run();
