import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { quietLog, testConfig } from '../test/support/engine-fixtures.js';
import { emodbRawUlaw, runSippSiprecCall, sippVersion } from '../test/support/sipp-runner.js';
import { within } from '../test/support/within.js';
import type { CallEnded } from './supervisor.js';
import { Engine, EngineStartError } from './engine.js';
import dgram from 'node:dgram';

const dir = mkdtempSync(join(tmpdir(), 'cg-engine-'));
const TOKEN = 'engine-test-token';

/** The engine on ephemeral ports (SIP, HTTP, bundled SMSC simulator) with its outbox in a temp dir. */
function engineConfig() {
  const c = testConfig();
  const base = 38000 + (process.pid % 100) * 20;
  return {
    ...c,
    sip: { ...c.sip, port: 0 },
    http: { ...c.http, port: 0, token: TOKEN },
    rtp: { ...c.rtp, portMin: base, portMax: base + 19 },
    smpp: { ...c.smpp, simulatorPort: 0 },
    data: { dir },
  };
}

async function getJson(engine: Engine, path: string) {
  const { port } = engine.http.address();
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
  return { status: res.status, body: (await res.json()) as any };
}

const sippAsTheSbcTitle =
  'sipp as the SBC: a SIPREC call flows through ingest, the rings and the actors; GET /calls lists it; BYE ends it';
test(sippAsTheSbcTitle, async () => {
  if (!sippVersion())
    assert.unreachable('sipp is not installed: install it with `apt-get install -y sip-tester` (CI .ci/run does this)');
  const engine = new Engine(engineConfig(), quietLog);
  await engine.start();
  try {
    const ended = new Promise<CallEnded>((r) => engine.supervisor.once('call-ended', r));
    const clip = emodbRawUlaw('03a02Wb.wav');
    const sipp = runSippSiprecCall(engine.siprec.server.address().port, clip);
    let listed: any = null;
    const deadline = Date.now() + 20000;
    while (!listed && Date.now() < deadline) {
      const { body } = await getJson(engine, '/calls');
      listed = body.calls[0] ?? null;
      if (!listed) await new Promise((r) => setTimeout(r, 50));
    }
    const { code, output } = await within(sipp, 40000, 'sipp call');
    assert.is(code, 0, output.slice(-1500));
    assert.ok(listed, 'the call was listed by GET /calls while it was up');
    assert.is(listed.source, 'siprec');
    assert.is(listed.direction, 'incoming');
    assert.is(listed.subscriberLeg, 1);
    assert.equal(
      listed.legs.map((l: any) => [l.role, l.number, l.codec]),
      [
        ['caller', '+33612345678', 'PCMU'],
        ['callee', '+33698765432', 'PCMU'],
      ],
    );
    for (const k of ['secondsReceived', 'secondsAnalysed', 'packetsReceived', 'packetsLost'])
      assert.type(listed.legs[0][k], 'number', k);
    const end = await within(ended, 20000, 'call end');
    assert.is(end.reason, 'bye');
    assert.is(end.state, 'ended');
    // ±1 packet time: what sipp streamed reached the actor and was analysed, nothing lost on the way.
    const caller = end.info.legs[0];
    assert.ok(
      Math.abs(caller.processedSeconds - clip.length / 8000) <= 0.02,
      `caller analysed ${caller.processedSeconds} s of ${clip.length / 8000}`,
    );
    assert.is(caller.processedSeconds, caller.receivedSeconds);
    assert.is(caller.overrunSamples, 0);
    assert.is(caller.windows, 1, 'one (partial) window for a 2 s clip');
    assert.equal((await getJson(engine, '/calls')).body.calls, []);
  } finally {
    await engine.close();
  }
});

const lifecycleStartAndCloseTitle =
  'lifecycle: start and close are idempotent; a start that fails (SIP port taken) unwinds what it had started';
test(lifecycleStartAndCloseTitle, async () => {
  const taken = dgram.createSocket('udp4');
  await new Promise<void>((r) => taken.bind(0, '127.0.0.1', () => r()));
  const c = engineConfig();
  const failing = new Engine({ ...c, sip: { ...c.sip, port: taken.address().port, transports: ['udp'] } }, quietLog);
  try {
    const err = await failing.start().then(
      () => null,
      (e: unknown) => e,
    );
    assert.instance(err, EngineStartError);
    assert.is((err as EngineStartError).code, 'CG_START_FAILED');
    assert.is((err as EngineStartError).setting, 'sip.port');
    assert.is(failing.state, 'closed');
    assert.is(failing.supervisor.actorPool, null, 'the worker pool it had started is closed again');
    await failing.close();
  } finally {
    taken.close();
  }

  const engine = new Engine(engineConfig(), quietLog);
  await Promise.all([engine.start(), engine.start()]);
  assert.is(engine.state, 'running');
  assert.is((await getJson(engine, '/calls')).status, 200);
  const port = engine.http.address().port;
  await Promise.all([engine.close(), engine.close()]);
  assert.is(engine.state, 'closed');
  await engine.close();
  await engine.start();
  assert.is(engine.state, 'closed', 'a closed engine does not start again');
  const refused = await fetch(`http://127.0.0.1:${port}/healthz`).then(
    () => false,
    () => true,
  );
  assert.ok(refused, 'the HTTP port is closed');
});

test('HTTP API: unknown paths and methods get JSON errors with codes', async () => {
  const engine = new Engine(engineConfig(), quietLog);
  await engine.start();
  try {
    const { port } = engine.http.address();
    let r = await fetch(`http://127.0.0.1:${port}/nope`);
    assert.is(r.status, 404);
    assert.is(((await r.json()) as any).error.code, 'NOT_FOUND');
    r = await fetch(`http://127.0.0.1:${port}/calls`, { method: 'DELETE' });
    assert.is(r.status, 405);
    assert.is(((await r.json()) as any).error.code, 'METHOD_NOT_ALLOWED');
    r = await fetch(`http://127.0.0.1:${port}/healthz`);
    assert.equal(await r.json(), { status: 'ok' });
  } finally {
    await engine.close();
  }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
