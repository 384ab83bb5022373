import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { emodbDir } from '../../test/support/repo-paths.js';
import { ALAW_TO_PCM, ULAW_TO_PCM } from '../dsp/g711.js';
import { DEFAULT_FRONT_END, ROW } from './front-end-config.js';
import { extractOffline } from './offline-extractor.js';

/** The µ-law samples of an Emo-DB clip, decoded with our table (the data chunk follows a fmt and a fact chunk). */
function clip(name: string): Int16Array {
  const b = readFileSync(join(emodbDir, name));
  const at = b.indexOf('data', 12, 'latin1');
  const len = b.readUInt32LE(at + 4);
  return Int16Array.from(b.subarray(at + 8, at + 8 + len), (v) => ULAW_TO_PCM[v]);
}

function concat(...parts: Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

test('same audio in chunks of 1, 160, 8000 samples and whole gives identical frames and windows', () => {
  const pcm = concat(clip('03a01Wa.wav'), clip('08a01Na.wav'), clip('16b10Td.wav'));
  const whole = extractOffline(pcm, 8000, DEFAULT_FRONT_END, pcm.length);
  assert.ok(
    whole.rows.length > 590 && whole.windows.length >= 8,
    `${whole.rows.length} frames, ${whole.windows.length} windows`,
  );
  for (const chunk of [1, 160, 8000]) {
    const r = extractOffline(pcm, 8000, DEFAULT_FRONT_END, chunk);
    assert.is(r.rows.length, whole.rows.length, `chunk ${chunk}: frames`);
    for (let i = 0; i < r.rows.length; i++) assert.equal(r.rows[i], whole.rows[i], `chunk ${chunk}: frame ${i}`);
    assert.equal(r.windows, whole.windows, `chunk ${chunk}: windows`);
  }
});

test('the invariant also holds through the resampler (16 kHz input, odd chunk sizes)', () => {
  const base = clip('11a01Wc.wav');
  const up = new Int16Array(base.length * 2);
  for (let i = 0; i < base.length; i++) up[2 * i] = up[2 * i + 1] = base[i];
  const whole = extractOffline(up, 16000, DEFAULT_FRONT_END, up.length);
  for (const chunk of [1, 321, 16000]) {
    const r = extractOffline(up, 16000, DEFAULT_FRONT_END, chunk);
    assert.equal(r.rows, whole.rows, `chunk ${chunk}`);
  }
});

test('A-law and µ-law tables decode the same speech to within G.711 quantisation of each other', () => {
  const u = clip('03a01Fa.wav');
  let worst = 0;
  for (let i = 0; i < ALAW_TO_PCM.length; i++) worst = Math.max(worst, Math.abs(ALAW_TO_PCM[i]));
  assert.is(worst, 32256);
  assert.ok(u.some((v) => v !== 0));
});

const pitchOnRealSpeechTitle =
  "pitch on real speech: every male speaker's median F0 lies below every female speaker's (all Emo-DB neutral " +
  'takes)';
test(pitchOnRealSpeechTitle, () => {
  const sex: Record<string, 'm' | 'f'> = {
    '03': 'm',
    '11': 'm',
    '12': 'm',
    '15': 'm',
    '08': 'f',
    '09': 'f',
    '13': 'f',
    '16': 'f',
  };
  const medians: Record<string, number> = {};
  for (const speaker of Object.keys(sex)) {
    const f0: number[] = [];
    let frames = 0;
    for (const f of readdirSync(emodbDir).filter((n) => n.startsWith(speaker) && n[5] === 'N')) {
      const r = extractOffline(clip(f), 8000, DEFAULT_FRONT_END);
      frames += r.rows.length;
      for (const x of r.rows) if (x[ROW.voiced] > 0) f0.push(x[ROW.f0]);
    }
    assert.ok(f0.length > 0.15 * frames, `speaker ${speaker}: only ${f0.length}/${frames} frames voiced`);
    f0.sort((a, b) => a - b);
    medians[speaker] = f0[f0.length >> 1];
  }
  const male = Object.keys(sex)
    .filter((s) => sex[s] === 'm')
    .map((s) => medians[s]);
  const female = Object.keys(sex)
    .filter((s) => sex[s] === 'f')
    .map((s) => medians[s]);
  assert.ok(
    Math.max(...male) < Math.min(...female),
    `male ${male.map(Math.round)} vs female ${female.map(Math.round)}`,
  );
  for (const m of male) assert.ok(m > 70 && m < 160, `male median ${m}`);
  for (const f of female) assert.ok(f > 150 && f < 280, `female median ${f}`);
});

const mfcccountTheLiveEngineTitle =
  'mfccCount 0 (the live engine): rows lose only their MFCC columns; every other value and every window is identical';
test(mfcccountTheLiveEngineTitle, () => {
  const pcm = concat(clip('03a01Wa.wav'), clip('08a01Na.wav'));
  const full = extractOffline(pcm, 8000, DEFAULT_FRONT_END, 800);
  const lean = extractOffline(pcm, 8000, { ...DEFAULT_FRONT_END, mfccCount: 0 }, 800);
  const keep = full.geometry.mfccOffset;
  assert.is(lean.geometry.rowStride, keep);
  assert.is(lean.rows.length, full.rows.length);
  for (let i = 0; i < full.rows.length; i++)
    assert.equal(Array.from(lean.rows[i]), Array.from(full.rows[i].subarray(0, keep)), `frame ${i}`);
  assert.equal(lean.windows, full.windows);
});

const digitalSilenceTakesTheTitle =
  'digital silence takes the shortcut past the FFT and filterbank: rows and windows bit-identical to the full path';
test(digitalSilenceTakesTheTitle, () => {
  // Speech, then silence long enough for whole all-zero frames (and the frame right after speech, whose flux is not 0),
  // speech again, silence to the end; 13 MFCC so their floor is covered too.
  const pcm = concat(clip('03a01Wa.wav'), new Int16Array(8000), clip('08a01Na.wav'), new Int16Array(4000));
  const fast = extractOffline(pcm, 8000, DEFAULT_FRONT_END, 160);
  const full = extractOffline(pcm, 8000, DEFAULT_FRONT_END, 160, true, false);
  const g = fast.geometry;
  const silent = fast.rows.filter((r) => r[ROW.rms] === 0);
  assert.ok(silent.length >= 100, `${silent.length} all-zero frames`);
  assert.ok(silent.some((r) => r[ROW.flux] > 0) && silent.some((r) => r[ROW.flux] === 0), 'both kinds of silent frame');
  assert.is(fast.silentFrames, silent.length, 'every all-zero frame, and only those, took the shortcut');
  assert.is(full.silentFrames, 0);
  assert.is(fast.rows.length, full.rows.length);
  for (let i = 0; i < full.rows.length; i++)
    assert.equal(Array.from(fast.rows[i]), Array.from(full.rows[i]), `frame ${i}`);
  assert.equal(fast.windows, full.windows);
  assert.ok(Number.isFinite(silent[0][g.mfccOffset]));
});

test.run();
