import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSiprecServer, type CallEndReason, type SiprecCallInfo } from './siprec-server.js';
import { linearToUlaw } from './g711.js';

/**
 * Interop with a real SIP peer: sipp (sip-tester) plays the SBC. It sends a multipart SIPREC INVITE, streams a real
 * 2 s emodb clip as PCMU with rtp_stream, and hangs up. sipp 3.6.1's rtp_stream sends the file's bytes as-is (a WAV
 * header would be streamed as audio: measured 101 packets for a 2.00 s WAV), so the clip's data chunk is extracted to
 * raw mu-law first. sipp knows a single audio stream, so only the first leg carries audio.
 */
const here = dirname(fileURLToPath(import.meta.url)); // dist/engine/ingest
const repoRoot = resolve(here, '../../..');
const scenario = join(repoRoot, 'engine/ingest/sipp/siprec-uac.xml');

function findClip(): Buffer | null {
  const candidates = [process.env.CALLGUARD_SHARED_DIR, resolve(repoRoot, '../shared'), '/work/shared'].filter(Boolean) as string[];
  for (const dir of candidates) {
    const f = join(dir, 'data/emodb-8k/03a01Fa.wav');
    if (existsSync(f)) return wavData(readFileSync(f));
  }
  return null;
}

/** The data chunk of a WAV file (emodb-8k files are 8 kHz mu-law). */
function wavData(wav: Buffer): Buffer | null {
  let off = 12;
  while (off + 8 <= wav.length) {
    const id = wav.toString('latin1', off, off + 4);
    const size = wav.readUInt32LE(off + 4);
    if (id === 'data') return wav.subarray(off + 8, Math.min(wav.length, off + 8 + size));
    off += 8 + size + (size & 1);
  }
  return null;
}

async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

test('sipp SIPREC call with rtp_stream: call appears, 2 s of audio arrive on the caller leg, call ends', async () => {
  const probe = spawnSync('sipp', ['-v'], { encoding: 'utf8' });
  if (probe.error || !/SIPp v/.test(`${probe.stdout}${probe.stderr}`)) {
    assert.unreachable('sipp is not installed: install it with `apt-get install -y sip-tester` (CI .ci/run does this)');
  }
  assert.match(`${probe.stdout}${probe.stderr}`, /RTPSTREAM/, 'this sipp build lacks rtp_stream support');

  // A real voice clip if the shared data is present, otherwise a generated 2 s tone (same length, same codec).
  const clip = findClip() ?? Buffer.from(Array.from({ length: 16000 }, (_, i) => linearToUlaw(Math.round(6000 * Math.sin((i * 2 * Math.PI * 300) / 8000)))));
  const expectedSamples = clip.length;

  const dir = mkdtempSync(join(tmpdir(), 'callguard-sipp-'));
  writeFileSync(join(dir, 'siprec-clip.ulaw'), clip);
  copyFileSync(scenario, join(dir, 'siprec-uac.xml'));

  const started: SiprecCallInfo[] = [];
  const ended: Array<{ callId: string; reason: CallEndReason }> = [];
  const samples = [0, 0];
  const server = createSiprecServer({ host: '127.0.0.1', port: 0, rtpPortMin: 37000 + (process.pid % 100) * 20, rtpPortMax: 37019 + (process.pid % 100) * 20 }, {
    onCallStart(info) {
      started.push(info);
      return { sinks: info.legs.map((_, i) => ({ write: (_p: Int16Array, _o: number, len: number) => void (samples[i] += len) })) };
    },
    onCallEnd(callId, reason) {
      ended.push({ callId, reason });
    },
  });
  await server.start();
  const mediaPort = await freeUdpPort();
  const args = ['-sf', 'siprec-uac.xml', '-m', '1', '-i', '127.0.0.1', '-mi', '127.0.0.1', '-mp', String(mediaPort), '-nostdin', '-timeout', '20', `127.0.0.1:${server.address().port}`];
  const child = spawn('sipp', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  try {
    const code = await new Promise<number | null>((resolveExit) => {
      const guard = setTimeout(() => child.kill('SIGKILL'), 30000); // against hangs only
      child.on('exit', (c) => {
        clearTimeout(guard);
        resolveExit(c);
      });
    });
    assert.is(code, 0, `sipp failed (exit ${code}):\n${output.slice(-2000)}`);
    assert.is(started.length, 1, 'the call appeared');
    assert.is(started[0].legs.length, 2);
    assert.is(started[0].legs[0].role, 'caller');
    assert.is(started[0].legs[0].number, '+33612345678');
    assert.is(started[0].legs[1].number, '+33698765432');
    assert.is(started[0].protectedLeg, 1);
    assert.equal(ended.map((e) => e.reason), ['bye'], 'the call ended with BYE');
    // +-1 packet time (160 samples at 20 ms).
    assert.ok(Math.abs(samples[0] - expectedSamples) <= 160, `caller leg got ${samples[0]} samples, expected ${expectedSamples}`);
    assert.is(samples[1], 0, 'sipp streams only the first audio m-line');
    const c = server.stats().counters;
    assert.is(c['rtp.badPacket'], 0);
    assert.is(server.activeCalls().length, 0);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
