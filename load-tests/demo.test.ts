import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Engine } from '../engine/engine.js';
import { quietLog, testConfig } from '../test/support/engine-fixtures.js';
import { within } from '../test/support/within.js';
import { freePort } from './engine-process.js';

const DEMO = join(dirname(fileURLToPath(import.meta.url)), 'demo.js');
const TOKEN = 'demo-test-token';

function demo(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [DEMO, ...args],
      { env: { ...process.env, ...env }, timeout: 180000 },
      (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
      },
    );
  });
}

test('npm run demo: with no engine listening, one line on stderr and exit 2', async () => {
  const port = await freePort('tcp');
  const r = await demo(['--http', `127.0.0.1:${port}`, '--sip', '127.0.0.1:9', '--token', 'x']);
  assert.is(r.code, 2);
  assert.is(r.stdout, '');
  assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, `callguard demo: error: no engine answers on http://127.0.0.1:${port}`);
  const bad = await demo(['--sip', 'nowhere']);
  assert.equal([bad.code, bad.stderr.trim()], [2, 'callguard demo: error: --sip: expected host:port, got "nowhere"']);
});

const npmRunDemoAgainstTitle =
  'npm run demo against a real engine (enrolment enforced): the scam-like call alerts with an SMS, the calm one ' +
  'does not';
test(npmRunDemoAgainstTitle, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cg-demo-'));
  const c = testConfig({ engine: { tickMs: 100 } });
  const base = 47000 + (process.pid % 100) * 20;
  // A policy that decides within seconds, so the demo's calls can be 8 s long in a test (the default needs ~30 s).
  const policy = {
    ...c.policy,
    minSpeechSeconds: 4,
    confirmSeconds: 1,
    riskSmoothingSeconds: 1,
    cueSmoothingSeconds: 2,
    baselineSeconds: 2,
  };
  const engine = new Engine(
    {
      ...c,
      policy,
      sip: { ...c.sip, port: 0, transports: ['udp'] },
      http: { ...c.http, port: 0, token: TOKEN },
      rtp: { ...c.rtp, portMin: base, portMax: base + 19 },
      smpp: { ...c.smpp, simulatorPort: 0 },
      subscribers: { enforce: true },
      data: { dir },
    },
    quietLog,
  );
  await engine.start();
  try {
    const sip = engine.siprec.server.address();
    const http = engine.http.address();
    const r = await within(
      demo(['--sip', `127.0.0.1:${sip.port}`, '--http', `127.0.0.1:${http.port}`, '--token', TOKEN, '--seconds', '8']),
      170000,
      'demo',
    );
    assert.is(r.code, 0, r.stderr + r.stdout);
    const out = r.stdout;
    assert.match(out, 'subscribers.enforce is on: enrolled the demo subscribers');
    assert.match(out, /calm\s+no alert — as expected/);
    assert.match(out, /scam\s+ALERT after [\d.]+ s of call, risk [\d.]+, SMS to \+3361\d+ — as expected/);
    assert.match(out, /SMS: "CallGuard WARNING: this call may be a scam\./);

    // What the demo printed is what the engine recorded: one alert, for the scam-like call, with its SMS text.
    const rec = await fetch(`http://127.0.0.1:${http.port}/alerts`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    }).then((x) => x.json() as Promise<any>);
    assert.is(rec.alerts.length, 1);
    const a = rec.alerts[0];
    assert.match(a.callId, /^cg-demo-\d{4}-scam@/);
    assert.match(out, a.to);
    assert.match(out, a.at);
    assert.ok(a.sms && out.includes(JSON.stringify(a.sms.text)));
    // The enrolment was for the run only.
    assert.is(await engine.subscribers!.count(), 0);
  } finally {
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
