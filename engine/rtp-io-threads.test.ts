import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { quietLog, testConfig } from '../test/support/engine-fixtures.js';
import { emodbRawUlaw, runSippSiprecCall, sippVersion } from '../test/support/sipp-runner.js';
import { within } from '../test/support/within.js';
import { Engine } from './engine.js';
import type { CallEnded } from './supervisor.js';

// RTP received on I/O worker threads (rtp.ioThreads): the main thread touches no packet, and a call survives the
// death of the thread that receives it.

const dir = mkdtempSync(join(tmpdir(), 'cg-rtp-io-'));

function engineConfig(ioThreads: number) {
  const c = testConfig();
  const base = 39000 + (process.pid % 100) * 20;
  return {
    ...c,
    sip: { ...c.sip, port: 0 },
    http: { ...c.http, port: 0 },
    rtp: { ...c.rtp, portMin: base, portMax: base + 19, ioThreads },
    smpp: { ...c.smpp, simulatorPort: 0 },
    data: { dir },
  };
}

/** About 12 s of Emo-DB speech as raw µ-law (sipp streams it on the caller's m-line). */
function longClip(): Buffer {
  const names = [
    '03a01Fa.wav',
    '03a01Nc.wav',
    '03a02Fc.wav',
    '03a02Nc.wav',
    '03a04Fd.wav',
    '03a04Nc.wav',
    '03a05Fc.wav',
  ];
  return Buffer.concat(names.map((n) => emodbRawUlaw(n)));
}

const anRtpIOTitle =
  'an RTP I/O thread that dies mid-call is replaced; the call keeps its audio, at most the restart gap is lost';
test(anRtpIOTitle, async () => {
  if (!sippVersion()) assert.unreachable('sipp is not installed: `apt-get install -y sip-tester` (.ci/run does)');
  const engine = new Engine(engineConfig(1), quietLog);
  await engine.start();
  try {
    const clip = longClip();
    const clipSeconds = clip.length / 8000;
    const ended = new Promise<CallEnded>((r) => engine.supervisor.once('call-ended', r));
    const sipp = runSippSiprecCall(engine.siprec.server.address().port, clip, { holdMs: clipSeconds * 1000 + 600 });
    // Crash once the call has had ~3 s of audio through the thread.
    let before = 0;
    const deadline = Date.now() + 20000;
    while (Date.now() < deadline) {
      const call = engine.supervisor.listCalls()[0];
      before = call?.legs[0].receivedSeconds ?? 0;
      if (before >= 3) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(before >= 3, `the call had ${before} s of audio before the crash`);
    engine.siprec.server.crashIoThread(0);
    const { code, output } = await within(sipp, 60000, 'sipp call');
    assert.is(code, 0, output.slice(-1500));
    const end = await within(ended, 20000, 'call end');
    assert.is(end.reason, 'bye', 'ended by the SBC, not by an RTP timeout');
    assert.is(end.state, 'ended');
    const caller = end.info.legs[0];
    const lost = clipSeconds - caller.receivedSeconds;
    console.log(
      `I/O thread crash at ${before.toFixed(2)} s: received ${caller.receivedSeconds.toFixed(2)} of ` +
        `${clipSeconds.toFixed(2)} s (lost ${lost.toFixed(2)} s), analysed ${caller.processedSeconds.toFixed(2)} s`,
    );
    assert.ok(caller.receivedSeconds > before + 5, 'audio kept arriving after the crash');
    assert.ok(lost >= 0 && lost < 2, `lost ${lost.toFixed(2)} s across the restart`);
    assert.is(caller.processedSeconds, caller.receivedSeconds, 'all received audio analysed');
    const stats = engine.siprec.server.stats();
    assert.is(stats.rtpPorts.used, 0, 'ports released');
    assert.is(stats.ioThreads.restarts, 1);
    assert.ok(stats.counters['rtp.received'] > 0, 'counters of the dead thread are kept');
  } finally {
    await engine.close();
  }
});

test('with I/O threads, GET /calls-level figures come from the thread: packets, codec, seconds', async () => {
  if (!sippVersion()) assert.unreachable('sipp is not installed');
  const engine = new Engine(engineConfig(2), quietLog);
  await engine.start();
  try {
    const clip = emodbRawUlaw('03a02Wb.wav');
    const ended = new Promise<CallEnded>((r) => engine.supervisor.once('call-ended', r));
    const sipp = runSippSiprecCall(engine.siprec.server.address().port, clip);
    let seen: ReturnType<typeof engine.siprec.server.activeCalls>[number] | null = null;
    const deadline = Date.now() + 20000;
    while (Date.now() < deadline) {
      const c = engine.siprec.server.activeCalls()[0];
      if (c && c.legs[0].packetsReceived > 20) {
        seen = c;
        break;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    const { code, output } = await within(sipp, 40000, 'sipp call');
    assert.is(code, 0, output.slice(-1500));
    const end = await within(ended, 20000, 'call end');
    assert.ok(seen, 'the call was listed with packets while up');
    assert.is(seen!.legs[0].codec, 'PCMU');
    assert.is(seen!.legs[0].sampleRate, 8000);
    assert.ok(seen!.legs[0].seconds > 0.3);
    const caller = end.info.legs[0];
    assert.ok(Math.abs(caller.processedSeconds - clip.length / 8000) <= 0.02, `analysed ${caller.processedSeconds}`);
    assert.is(caller.overrunSamples, 0);
    const counters = engine.siprec.server.stats().counters;
    assert.is(counters['rtp.lost'], 0);
    assert.ok(counters['rtp.received'] >= clip.length / 160 - 1, `rtp.received ${counters['rtp.received']}`);
  } finally {
    await engine.close();
  }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
