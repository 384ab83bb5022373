import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ULAW_TO_PCM } from '../../actors/dsp/g711.js';
import { planCalls, type PlannedCall } from '../../load-tests/call-plan.js';
import { CallGenerator } from '../../load-tests/call-generator.js';
import { defaultClipLibrary } from '../../load-tests/emodb-clips.js';
import { quietLog, testConfig } from '../../test/support/engine-fixtures.js';
import { within } from '../../test/support/within.js';
import { Engine } from '../engine.js';
import { parseWav } from '../media/wav-reader.js';
import { DebugCapture } from './debug-capture.js';

const HOUR = 3600_000;
const TOKEN = 'capture-token';
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'cg-capture-'));
  dirs.push(d);
  return d;
};

/** Every file under `dir`, recursively. */
function allFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? allFiles(join(dir, e.name)) : [join(dir, e.name)],
  );
}

const isWav = (f: string) => readFileSync(f).subarray(0, 4).toString('latin1') === 'RIFF';

const debugcaptureWavPerLegTitle =
  'DebugCapture: WAV per leg, stops at the size limit, retention deletes by age and keeps the newest within the ' +
  'size limit';
test(debugcaptureWavPerLegTitle, () => {
  const dir = tmp();
  const cap = new DebugCapture(dir, [], { maxAgeMs: 24 * HOUR, maxBytes: 100_000 }, quietLog);
  const second = Int16Array.from({ length: 8000 }, (_, i) => Math.round(8000 * Math.sin(i / 5)));
  const a = cap.open('call-a@sbc', [{ role: 'caller' }, { role: 'callee' }]);
  a.write(0, second, 0, 8000);
  a.write(1, second, 100, 4000);
  a.close('test');
  const [fa0, fa1] = a.paths;
  assert.match(fa0, /call-a_sbc_leg0-caller\.wav$/);
  assert.is(statSync(fa0).mode & 0o777, 0o600);
  const w0 = parseWav(readFileSync(fa0));
  assert.equal([w0.sampleRate, w0.channels.length, w0.channels[0].length], [8000, 1, 8000]);
  assert.equal(w0.channels[0], second);
  assert.equal(parseWav(readFileSync(fa1)).channels[0], second.subarray(100, 4100));

  // 3 s more per leg would pass 100 kB: the capture stops there instead of growing past the limit.
  const b = cap.open('call-b', [{ role: 'caller' }, { role: 'callee' }]);
  for (let i = 0; i < 3; i++) for (const leg of [0, 1]) b.write(leg, second, 0, 8000);
  assert.is(cap.stoppedAtLimit, 1);
  assert.ok(cap.totalBytes() <= 100_000, `${cap.totalBytes()} bytes`);
  assert.throws(() => cap.open('call-c', [{ role: 'caller' }]), /retention\.captureMaxBytes/);
  assert.is(cap.purge(Date.now()), 0, 'nothing is past a limit yet');

  // A smaller size limit: the oldest capture goes first.
  const small = new DebugCapture(dir, [], { maxAgeMs: 24 * HOUR, maxBytes: 70_000 }, quietLog);
  assert.is(small.purge(Date.now()), 2);
  assert.equal(
    small.files().map((f) => f.name),
    b.paths.map((p) => p.split('/').pop()),
  );
  // Past the age limit everything goes.
  assert.is(small.purge(Date.now() + 25 * HOUR), 2);
  assert.equal(small.files(), []);
});

const debugCaptureOnATitle =
  'debug capture on a real engine over SIPREC: nothing on disk without the switch; by configured number and by the ' +
  'admin API both legs are written as WAV; retention deletes them';
test(debugCaptureOnATitle, async () => {
  const dir = tmp();
  const lib = defaultClipLibrary();
  const plan = planCalls(lib, {
    calls: 3,
    ratePerSecond: 1,
    durationSeconds: { min: 3, max: 3 },
    scamFraction: 0,
    seed: 3,
  });
  const [plain, byNumber, byApi] = plan;
  const c = testConfig();
  const base = 47500 + (process.pid % 100) * 20;
  let now = Date.now();
  const engine = new Engine(
    {
      ...c,
      sip: { ...c.sip, port: 0, transports: ['udp'] },
      http: { ...c.http, port: 0, token: TOKEN },
      rtp: { ...c.rtp, portMin: base, portMax: base + 19 },
      smpp: { ...c.smpp, simulatorPort: 0 },
      capture: { numbers: [byNumber.calleeNumber] },
      retention: { ...c.retention, captureHours: 24, sweepMinutes: 0.01 },
      data: { dir },
    },
    quietLog,
    { now: () => now },
  );
  await engine.start();
  const port = engine.http.address().port;
  const api = (path: string, method = 'GET', token: string | null = TOKEN) =>
    fetch(`http://127.0.0.1:${port}${path}`, { method, headers: token ? { authorization: `Bearer ${token}` } : {} });
  const play = async (calls: PlannedCall[], onAnswered?: (call: PlannedCall) => Promise<void>) => {
    const pending: Promise<void>[] = [];
    const g = new CallGenerator({
      target: { host: '127.0.0.1', port: engine.siprec.server.address().port },
      calls: calls.map((p, i) => ({ ...p, startOffsetMs: i * 200 })),
      onCallEvent: ({ call, event }) => {
        if (event === 'answered' && onAnswered) pending.push(onAnswered(calls.find((p) => p.callId === call.callId)!));
      },
    });
    await g.start();
    const res = await within(g.done, 60000, 'calls');
    await Promise.all(pending);
    assert.equal(
      res.calls.map((r) => r.outcome),
      calls.map(() => 'completed'),
    );
  };
  const captures = join(dir, 'captures');
  try {
    // Without the switch: the call is analysed, and no audio reaches the disk.
    await play([plain]);
    assert.not.ok(existsSync(captures), 'no captures directory');
    assert.equal(allFiles(dir).filter(isWav), [], 'no WAV anywhere under data.dir');

    let apiFiles: string[] = [];
    await play([byNumber, byApi], async (call) => {
      if (call !== byApi) return;
      assert.is((await api(`/calls/${encodeURIComponent(call.callId)}/capture`, 'POST', null)).status, 401);
      assert.is((await api('/calls/no-such-call/capture', 'POST')).status, 404);
      const r = await api(`/calls/${encodeURIComponent(call.callId)}/capture`, 'POST');
      assert.is(r.status, 201);
      apiFiles = ((await r.json()) as { files: string[] }).files;
    });
    assert.is(apiFiles.length, 2);
    const files = readdirSync(captures).sort();
    assert.is(files.length, 4, files.join(' '));
    assert.ok(
      files.every((f) => !f.includes(plain.callId.split('@')[0])),
      'the plain call was never captured',
    );
    assert.ok(apiFiles.every((f) => files.includes(f)));
    // The call captured from the start: each leg's WAV is the audio the SBC sent, decoded (first clip compared
    // exactly).
    for (const [leg, role] of [
      [0, 'caller'],
      [1, 'callee'],
    ] as const) {
      const f = files.find(
        (n) =>
          n.includes(byNumber.callId.split('@')[0].replace(/[^A-Za-z0-9._-]/g, '_')) && n.includes(`leg${leg}-${role}`),
      );
      assert.ok(f, `leg ${leg} file`);
      const wav = parseWav(readFileSync(join(captures, f!)));
      const got = wav.channels[0];
      assert.ok(got.length >= 3 * 8000 * 0.9 && got.length <= 3 * 8000 * 1.1, `${got.length} samples for a 3 s call`);
      const clip = byNumber.legs[leg].clips[0].bytes;
      const n = Math.min(clip.length, 4000);
      assert.equal(
        Array.from(got.subarray(0, n)),
        Array.from(clip.subarray(0, n), (b) => ULAW_TO_PCM[b]),
      );
    }
    for (const f of apiFiles)
      assert.ok(parseWav(readFileSync(join(captures, f))).channels[0].length > 0, `${f} has audio from the switch on`);
    const list = (await (await api('/captures')).json()) as { files: Array<{ name: string; live: boolean }> };
    assert.equal(list.files.map((f) => f.name).sort(), files);
    assert.match(await (await api('/metrics', 'GET', null)).text(), 'callguard_debug_captures_total 2');

    // A day later the next sweep deletes them (the clock moves; nothing waits a day).
    const sweeps = engine.retention!.sweeps;
    now += 25 * HOUR;
    const deadline = Date.now() + 20000;
    while (engine.retention!.sweeps < sweeps + 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(readdirSync(captures), []);
    assert.match(
      await (await api('/metrics', 'GET', null)).text(),
      'callguard_retention_purged_total{kind="captures"} 4',
    );
  } finally {
    await engine.close();
  }
});

test.after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
test.run();
