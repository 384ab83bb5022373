import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { AlertEvent, WindowEvent } from '../actors/actor-events.js';
import { codecCall, FFMPEG_ENCODER, type TestCodec } from '../test/support/codec-call.js';
import { quietLog, speech, testConfig } from '../test/support/engine-fixtures.js';
import { ffmpegEncoders } from '../test/support/ffmpeg.js';
import { emodbDir } from '../test/support/repo-paths.js';
import { within } from '../test/support/within.js';
import { Engine } from './engine.js';
import type { CallEnded } from './supervisor.js';

// Wideband and mobile codecs end to end: the same scam-like conversation (an angry caller, Emo-DB speaker 11; an
// afraid callee, speaker 16) sent as SIPREC calls in PCMU, G.722, Opus, AMR-WB and AMR at the same time, each offering
// only its codec, with ffmpeg encoding and sending the RTP in real time. The PCMU call is the reference the others'
// windows are compared with.

const dir = mkdtempSync(join(tmpdir(), 'cg-codecs-'));
const TOKEN = 'codecs-test-token';
/** The policy alerts on this conversation at 28-29 s of call time (measured, PCMU and AMR-WB alike). */
const SECONDS = 36;
const CODECS: TestCodec[] = ['PCMU', 'G722', 'OPUS', 'AMR-WB', 'AMR'];
const RATE: Record<TestCodec, number> = {
  PCMU: 8000,
  PCMA: 8000,
  G722: 16000,
  OPUS: 16000,
  'AMR-WB': 16000,
  AMR: 8000,
};

/** Clips of one speaker and emotion letter, repeated to `seconds`. */
function takes(speaker: string, emotion: string, seconds: number): Int16Array {
  const names = readdirSync(emodbDir)
    .filter((f) => f.startsWith(speaker) && f[5] === emotion)
    .sort();
  const out = new Int16Array(seconds * 8000);
  const all = speech(...names);
  for (let o = 0; o < out.length; o += all.length) out.set(all.subarray(0, Math.min(all.length, out.length - o)), o);
  return out;
}

function engineConfig() {
  const c = testConfig();
  const base = 39000 + (process.pid % 50) * 24;
  return {
    ...c,
    sip: { ...c.sip, port: 0 },
    http: { ...c.http, port: 0, token: TOKEN },
    rtp: { ...c.rtp, portMin: base, portMax: base + 23 },
    smpp: { ...c.smpp, simulatorPort: 0 },
    data: { dir },
  };
}

const missing = CODECS.filter((c) => !ffmpegEncoders().has(FFMPEG_ENCODER[c]));

const eachCodecEndToTitle =
  'each codec end to end against ffmpeg RTP: answered, listed with its codec and rate, analysed without loss, ' +
  'emotions close to PCMU; AMR-WB alerts';
test(eachCodecEndToTitle, async () => {
  if (missing.length)
    assert.unreachable(
      `ffmpeg lacks encoders for ${missing.join(', ')}: apt-get install -y ffmpeg libavcodec-extra (.ci/run does this)`,
    );
  const engine = new Engine(engineConfig(), quietLog);
  await engine.start();
  try {
    const windows = new Map<string, WindowEvent[]>();
    const alerts = new Map<string, AlertEvent[]>();
    const ended = new Map<string, CallEnded>();
    engine.supervisor.on('window', (id: string, w: WindowEvent) => windows.set(id, [...(windows.get(id) ?? []), w]));
    engine.supervisor.on('alert', (id: string, a: AlertEvent) => alerts.set(id, [...(alerts.get(id) ?? []), a]));
    engine.supervisor.on('call-ended', (e: CallEnded) => ended.set(e.callId, e));
    const listed = new Map<string, Set<string>>();
    const packets = new Map<string, number[]>();
    const consoleCodecs = new Map<string, string>();
    let polling = true;
    const { port: httpPort } = engine.http.address();
    const poll = (async () => {
      while (polling) {
        const res = await fetch(`http://127.0.0.1:${httpPort}/calls`, {
          headers: { authorization: `Bearer ${TOKEN}` },
        });
        for (const c of ((await res.json()) as any).calls) {
          const seen = listed.get(c.callId) ?? new Set<string>();
          seen.add(JSON.stringify(c.legs.map((l: any) => [l.codec, l.sampleRate])));
          listed.set(c.callId, seen);
          packets.set(
            c.callId,
            c.legs.map((l: any) => l.packetsReceived),
          );
        }
        const state = await fetch(`http://127.0.0.1:${httpPort}/console/state`, {
          headers: { authorization: `Bearer ${TOKEN}` },
        });
        for (const c of ((await state.json()) as any).calls) if (c.codecs) consoleCodecs.set(c.callId, c.codecs);
        await new Promise((r) => setTimeout(r, 250));
      }
    })();
    const legs: [Int16Array, Int16Array] = [takes('11', 'W', SECONDS), takes('16', 'A', SECONDS)];
    const sipPort = engine.siprec.server.address().port;
    const answers = await within(
      Promise.all(CODECS.map((codec) => codecCall({ sipPort, codec, callId: `codec-${codec}`, legs }))),
      SECONDS * 1000 + 60000,
      'the calls',
    );
    const deadline = Date.now() + 60000;
    while (ended.size < CODECS.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    polling = false;
    await poll;

    const counters = engine.siprec.server.stats().counters;
    assert.is(counters['rtp.lost'], 0, 'no packet lost');
    assert.is(counters['codec.badPayload'], 0, 'every payload decoded');
    // ffmpeg's -re pacing is no SBC's: on a loaded machine (2 cores shared with other work) a starved ffmpeg catches up
    // in a burst of more than the receiver's one second of slack, and the receiver drops (and counts) what runs
    // ahead of the wall clock. Seen: 0 to 9 packets in a run, of 18,000; not a loss in ingest.
    const ahead = counters['rtp.aheadOfClock'];
    assert.ok(ahead <= counters['rtp.received'] * 0.005, `${ahead} packets ahead of the clock`);
    const ref = windows.get('codec-PCMU') ?? [];
    const report: string[] = [];
    for (const [i, codec] of CODECS.entries()) {
      const id = `codec-${codec}`;
      assert.equal(answers[i].senders, [0, 0], `${codec}: ffmpeg sent both legs`);
      const rtpmap =
        codec === 'OPUS'
          ? 'opus/48000/2'
          : codec === 'G722'
            ? 'G722/8000'
            : codec === 'AMR-WB'
              ? 'AMR-WB/16000'
              : codec === 'AMR'
                ? 'AMR/8000'
                : 'PCMU/8000';
      assert.match(answers[i].answer, new RegExp(`a=rtpmap:\\d+ ${rtpmap}`), codec);
      assert.equal(
        [...(listed.get(id) ?? [])],
        [
          JSON.stringify([
            [codec, RATE[codec]],
            [codec, RATE[codec]],
          ]),
        ],
        `${codec}: GET /calls`,
      );
      assert.is(
        consoleCodecs.get(id),
        `${codec} ${RATE[codec] / 1000}k / ${codec} ${RATE[codec] / 1000}k`,
        `${codec}: the console's call row`,
      );
      const e = ended.get(id);
      assert.ok(e, `${codec}: call ended`);
      for (const l of e!.info.legs) {
        // All the speech arrived and was analysed: within 60 ms (encoder delay, a last partial frame), plus what a leg
        // starting later than the other is padded with (under 100 ms is not padded; more is counted: rtp.lateStart).
        const pad = counters['rtp.lateStart'] > 0 ? 1 : 0;
        assert.ok(
          l.processedSeconds >= SECONDS - 0.06 - ahead * 0.02 && l.processedSeconds <= SECONDS + 0.06 + pad,
          `${codec}: analysed ${l.processedSeconds} s of ${SECONDS} ` +
            `(packets ${packets.get(id)}, ${JSON.stringify(counters)})`,
        );
        assert.is(l.processedSeconds, l.receivedSeconds, `${codec}: everything received was analysed`);
        assert.is(l.overrunSamples, 0);
      }
      if (codec === 'PCMU') continue;
      // Emotions and features window by window against the PCMU call.
      const mine = windows.get(id) ?? [];
      let worstEmotion = 0;
      let sumEmotion = 0;
      let same = 0;
      let pairs = 0;
      let worstLevel = 0;
      for (const w of mine) {
        const r = ref.find((x) => x.leg === w.leg && x.index === w.index);
        if (!r || !r.emotions || !w.emotions || w.partial || r.partial) continue;
        pairs++;
        let d = 0;
        for (let k = 0; k < w.emotions.length; k++) d = Math.max(d, Math.abs(w.emotions[k] - r.emotions[k]));
        worstEmotion = Math.max(worstEmotion, d);
        sumEmotion += d;
        if (argmax(w.emotions) === argmax(r.emotions)) same++;
        worstLevel = Math.max(worstLevel, Math.abs(w.levelDbfs - r.levelDbfs));
      }
      assert.ok(pairs >= 2 * (SECONDS - 2), `${codec}: ${pairs} window pairs`);
      // Measured over 24 s of this conversation: mean per-window largest probability difference 0.105 (AMR) to
      // 0.139 (Opus), largest 0.35-0.50, the top emotion the same in 86-95% of windows, level within 3.3 dB.
      // Bounds with some room (the wideband legs are resampled to the model's 8 kHz, the codecs' own distortion).
      assert.ok(sumEmotion / pairs < 0.2, `${codec}: mean emotion difference ${(sumEmotion / pairs).toFixed(3)}`);
      assert.ok(same / pairs >= 0.75, `${codec}: top emotion the same in ${same} of ${pairs} windows`);
      assert.ok(worstLevel < 5, `${codec}: level ${worstLevel.toFixed(1)} dB apart`);
      report.push(
        `${codec}: ${pairs} windows, emotion |diff| mean ${(sumEmotion / pairs).toFixed(3)} ` +
          `max ${worstEmotion.toFixed(3)}, top emotion same in ${((100 * same) / pairs).toFixed(0)}%, level ` +
          `max ${worstLevel.toFixed(1)} dB`,
      );
    }
    for (const codec of CODECS) {
      const id = `codec-${codec}`;
      const risks = (windows.get(id) ?? []).map((w) => w.risk ?? 0);
      report.push(
        `${codec}: max risk ${Math.max(...risks).toFixed(3)}, alerts ` +
          `at ${(alerts.get(id) ?? []).map((a) => a.t.toFixed(1)).join(', ') || 'none'}`,
      );
    }
    console.log(report.join('\n'));
    const amrwb = alerts.get('codec-AMR-WB') ?? [];
    assert.ok(amrwb.length >= 1, 'the scam-like AMR-WB call alerts');
    assert.ok((alerts.get('codec-PCMU') ?? []).length >= 1, 'as its PCMU twin does');
  } finally {
    await engine.close();
  }
});

function argmax(v: number[]): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
  return best;
}

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
