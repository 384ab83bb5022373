import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { emodbDir, repoRoot } from '../../test/support/repo-paths.js';
import { speech } from '../../test/support/engine-fixtures.js';
import { encodeWav, parseWav } from '../media/wav-reader.js';
import { linearToAlaw } from '../../actors/dsp/g711.js';

const BIN = join(repoRoot, 'bin', 'callguard.js');
const dir = mkdtempSync(join(tmpdir(), 'cg-cli-'));
const env = { ...process.env, CALLGUARD_POOL_THREADS: '2' };

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env, timeout: 60000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function file(name: string, bytes: Uint8Array | string): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

test('analyze: a µ-law Emo-DB clip prints a timeline with real measurements', () => {
  const r = cli('analyze', join(emodbDir, '03a01Wa.wav'));
  assert.is(r.code, 0, r.err);
  assert.match(r.out, /leg\s+speech\s+level dBFS\s+F0 Hz/);
  assert.match(r.out, /0\.00–2\.00\s+\*\s+mono\s+88%\s+-17\.7\s+224/);
  assert.match(r.out, /1 windows over 2\.00 s of audio, 1 leg\(s\)/);
});

test('analyze --json: a two-channel A-law file gives NDJSON windows for caller and callee', () => {
  const caller = speech('03b10Na.wav', '03b10Nc.wav', '03b09Nc.wav');
  const callee = speech('08a01Na.wav', '08a02Na.wav', '08a04Nc.wav');
  const p = file(
    'call.wav',
    encodeWav([Uint8Array.from(caller, linearToAlaw), Uint8Array.from(callee, linearToAlaw)], 8000, 'alaw'),
  );
  const r = cli('analyze', p, '--json');
  assert.is(r.code, 0, r.err);
  const rows = r.out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  // 6 s at the live window hop (1 s): 4 windows per leg on the hop grid, and a final one over the last 2 s because
  // the 98 frames after the grid's last window are more than half a hop.
  assert.is(rows.length, 2 * 5);
  assert.equal([...new Set(rows.map((x) => x.legName))], ['caller', 'callee']);
  const first = rows[0];
  for (const k of [
    'tStart',
    'tEnd',
    'speechRatio',
    'levelDbfs',
    'f0Median',
    'f0SpreadSemitones',
    'onsetsPerSecond',
    'centroidHz',
  ])
    assert.type(first[k], 'number', k);
  const mean = (leg: string) => {
    const f = rows.filter((x) => x.legName === leg && x.f0Median > 0).map((x) => x.f0Median);
    return f.reduce((a, b) => a + b, 0) / f.length;
  };
  // Calm male caller, calm female callee: the caller's pitch sits well below the callee's.
  assert.ok(mean('caller') + 40 < mean('callee'), `caller ${mean('caller')} callee ${mean('callee')}`);
});

test('analyze: 16 kHz PCM is resampled and lands close to the 8 kHz analysis of the same speech', () => {
  const a = parseWav(readFileSync(join(emodbDir, '09a01Nb.wav'))).channels[0];
  const up = new Int16Array(a.length * 2);
  for (let i = 0; i < a.length; i++) up[2 * i] = up[2 * i + 1] = a[i];
  const p = file('wide.wav', encodeWav([up], 16000, 'pcm16'));
  const wide = JSON.parse(cli('analyze', p, '--json').out.trim().split('\n')[0]);
  const narrow = JSON.parse(cli('analyze', join(emodbDir, '09a01Nb.wav'), '--json').out.trim().split('\n')[0]);
  assert.ok(
    Math.abs(wide.f0Median - narrow.f0Median) / narrow.f0Median < 0.03,
    `${wide.f0Median} vs ${narrow.f0Median}`,
  );
  assert.ok(Math.abs(wide.levelDbfs - narrow.levelDbfs) < 1.5, `${wide.levelDbfs} vs ${narrow.levelDbfs}`);
});

test('analyze: bad files give one clear error line and a non-zero exit, never a stack trace', () => {
  const good = readFileSync(join(emodbDir, '03a01Wa.wav'));
  const cases: Array<[string, RegExp]> = [
    [file('empty.wav', ''), /file is empty/],
    [file('text.wav', 'this is plainly not audio\n'), /not a WAV file/],
    [file('cut.wav', good.subarray(0, 2000)), /truncated|declares/],
    [
      file(
        'float.wav',
        (() => {
          const b = Uint8Array.from(encodeWav([new Int16Array(100)], 8000, 'pcm16'));
          new DataView(b.buffer).setUint16(20, 3, true);
          return b;
        })(),
      ),
      /unsupported codec IEEE float/,
    ],
    [join(dir, 'does-not-exist.wav'), /cannot read .*no such file/],
  ];
  for (const [p, pattern] of cases) {
    const r = cli('analyze', p);
    assert.is(r.code, 2, `${p}: exit ${r.code}`);
    assert.is(r.out, '');
    const lines = r.err.trim().split('\n');
    assert.is(lines.length, 1, `${p}: ${r.err}`);
    assert.match(lines[0], /^callguard: error: /);
    assert.match(lines[0], pattern);
  }
});

test('usage errors and bad configuration are one line too', () => {
  let r = cli('analyze');
  assert.is(r.code, 2);
  assert.match(r.err, /^callguard: analyze takes exactly one WAV file/);
  r = cli('frobnicate');
  assert.is(r.code, 2);
  assert.match(r.err, /unknown command "frobnicate"/);
  const bad = spawnSync(process.execPath, [BIN, 'config', '--print'], {
    encoding: 'utf8',
    env: { ...env, CALLGUARD_POOL_THREADS: 'lots' },
  });
  assert.is(bad.status, 2);
  assert.is(bad.stderr.trim(), 'callguard: error: CALLGUARD_POOL_THREADS: expected a number, got "lots"');
});

test('serve on a port that is already taken: one line naming the setting, exit 2, no hang', async () => {
  const { createServer } = await import('node:net');
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
  const port = (blocker.address() as { port: number }).port;
  try {
    const r = spawnSync(process.execPath, [BIN, 'serve'], {
      encoding: 'utf8',
      timeout: 60000,
      env: {
        ...env,
        CALLGUARD_HTTP_PORT: String(port),
        CALLGUARD_SIP_PORT: '0',
        CALLGUARD_SMPP_SIMULATOR_PORT: '0',
        CALLGUARD_DATA_DIR: join(dir, 'busy-data'),
        CALLGUARD_LOG_LEVEL: 'silent',
      },
    });
    assert.is(r.status, 2, `exit ${r.status} ${r.signal ?? ''}: ${r.stderr}`);
    assert.is(
      r.stderr.trim(),
      `callguard: error: cannot listen on 127.0.0.1:${port} (http.port): address already in use`,
    );
  } finally {
    blocker.close();
  }
});

test('config --print shows the effective configuration with secrets masked', () => {
  const r = spawnSync(process.execPath, [BIN, 'config', '--print'], {
    encoding: 'utf8',
    env: { ...env, CALLGUARD_SMPP_URL: 'smpp://esme:topsecret@127.0.0.1:2775', CALLGUARD_SIP_PORT: '5099' },
  });
  assert.is(r.status, 0, r.stderr);
  const c = JSON.parse(r.stdout);
  assert.is(c.sip.port, 5099);
  assert.is(c.smpp.url, 'smpp://esme:***@127.0.0.1:2775');
  assert.not.match(r.stdout, /topsecret/);
});

test('serve starts, logs its configuration, and stops cleanly on SIGTERM and on SIGINT', async () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    // Ephemeral ports and a temp outbox: the test must not depend on 5060/8080 being free.
    const serveEnv = {
      ...env,
      CALLGUARD_SMPP_URL: 'smpp://esme:hunter2@127.0.0.1:9',
      CALLGUARD_SIP_PORT: '0',
      CALLGUARD_HTTP_PORT: '0',
      CALLGUARD_DATA_DIR: join(dir, 'data'),
    };
    const child = spawn(process.execPath, [BIN, 'serve'], { env: serveEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const deadline = Date.now() + 30000;
    while (!out.includes('callguard ready') && Date.now() < deadline && child.exitCode === null)
      await new Promise((r) => setTimeout(r, 50));
    assert.match(out, /callguard ready/, out);
    child.kill(signal);
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    assert.is(code, 0, out);
    const lines = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const starting = lines.find((l) => l.msg === 'callguard starting');
    assert.ok(starting?.config?.pool?.threads === 2, 'configuration logged');
    assert.not.match(out, /hunter2/);
    assert.ok(lines.some((l) => l.msg === 'callguard stopped'));
  }
});

test('smsc-sim and notify: an alert queued from the CLI reaches the simulator over SMPP', async () => {
  const sim = spawn(process.execPath, [BIN, 'smsc-sim', '--port', '0'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  sim.stdout.on('data', (d) => (out += d));
  try {
    const deadline = Date.now() + 20000;
    while (!/smsc-sim listening/.test(out) && Date.now() < deadline && sim.exitCode === null)
      await new Promise((r) => setTimeout(r, 50));
    const hello = out
      .split('\n')
      .map((l) => {
        try {
          return JSON.parse(l);
        } catch {
          return null;
        }
      })
      .find((l) => l?.msg === 'smsc-sim listening');
    assert.ok(hello?.port > 0, out);
    const n = await new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
      const c = spawn(
        process.execPath,
        [BIN, 'notify', '--to', '+4915112345678', '--text', 'Test: this call may be a scam. Hang up.'],
        {
          env: {
            ...env,
            CALLGUARD_SMPP_URL: `smpp://cg:pw@127.0.0.1:${hello.port}`,
            CALLGUARD_DATA_DIR: join(dir, 'notify-data'),
          },
        },
      );
      let o = '';
      let e = '';
      c.stdout.on('data', (d) => (o += d));
      c.stderr.on('data', (d) => (e += d));
      c.on('exit', (code) => resolve({ code, out: o, err: e }));
    });
    assert.is(n.code, 0, n.err + n.out);
    const r = JSON.parse(n.out.trim());
    assert.is(r.state, 'submitted');
    assert.is(r.to, '+4915112345678');
    const submitDeadline = Date.now() + 10000;
    while (!/smsc-sim submit_sm/.test(out) && Date.now() < submitDeadline)
      await new Promise((res) => setTimeout(res, 50));
    const submit = out
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l))
      .find((l) => l.msg === 'smsc-sim submit_sm');
    assert.ok(submit, out);
    // Numbers are masked in logs by default (log.maskNumbers).
    assert.match(submit.to, /^49151(\d{6}|\*+)78$/);
    assert.match(submit.text, /this call may be a scam/);
  } finally {
    sim.kill('SIGTERM');
  }
  const bad = cli('notify', '--to', '+4915112345678');
  assert.is(bad.code, 2);
  assert.match(bad.err, /no SMSC configured/);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
