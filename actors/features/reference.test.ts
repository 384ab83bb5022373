import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readRepoJson } from '../../test/support/repo-paths.js';
import { assertAllClose } from '../../test/support/close-to.js';
import { DEFAULT_FRONT_END, ROW, type FrontEndConfig } from './front-end-config.js';
import { extractOffline, type OfflineFeatures } from './offline-extractor.js';
import { makeWindow, type WindowType } from '../dsp/window-functions.js';
import { MelFilterbank } from '../dsp/mel-filterbank.js';

// Fixtures come from actors/features/reference/make_reference.py: an independent numpy/scipy implementation of the
// spec.
const REF = 'actors/features/reference/';
const RTOL = 1e-4;

function run(input: number[], cfg: Partial<FrontEndConfig> = {}, chunk = 1600): OfflineFeatures {
  return extractOffline(Int16Array.from(input), 8000, { ...DEFAULT_FRONT_END, ...cfg }, chunk);
}

function column(f: OfflineFeatures, slot: number): number[] {
  return f.rows.map((r) => r[slot]);
}

function block(f: OfflineFeatures, offset: number, n: number): number[] {
  return f.rows.flatMap((r) => Array.from(r.subarray(offset, offset + n)));
}

function checkFrames(name: string, f: OfflineFeatures, frames: any): void {
  const g = f.geometry;
  assert.is(f.rows.length, frames.rms.length, `${name}: frame count`);
  assertAllClose(column(f, ROW.rms), frames.rms, RTOL, 1e-7, `${name} rms`);
  assertAllClose(column(f, ROW.dbfs), frames.dbfs, RTOL, 1e-3, `${name} dbfs`);
  if (frames.logEnergy) assertAllClose(column(f, ROW.logEnergy), frames.logEnergy, RTOL, 1e-3, `${name} logEnergy`);
  if (frames.zcr) assertAllClose(column(f, ROW.zcr), frames.zcr, 0, 1e-6, `${name} zcr`);
  assertAllClose(column(f, ROW.centroid), frames.centroid, RTOL, 1e-2, `${name} centroid`);
  if (frames.flux) assertAllClose(column(f, ROW.flux), frames.flux, RTOL, 1e-5, `${name} flux`);
  if (frames.logmel) assertAllClose(block(f, g.melOffset, 40), frames.logmel.flat(), RTOL, 1e-4, `${name} logmel`);
  if (frames.mfcc) assertAllClose(block(f, g.mfccOffset, 13), frames.mfcc.flat(), RTOL, 2e-3, `${name} mfcc`);
  assert.equal(column(f, ROW.voiced), frames.voiced, `${name}: voicing decisions`);
  assertAllClose(column(f, ROW.f0), frames.f0, RTOL, 1e-3, `${name} f0`);
  assertAllClose(column(f, ROW.aperiodicity), frames.aperiodicity, RTOL, 1e-5, `${name} aperiodicity`);
  assert.equal(column(f, ROW.vad), frames.vad, `${name}: VAD decisions`);
}

function checkWindows(name: string, f: OfflineFeatures, windows: any[]): void {
  assert.is(f.windows.length, windows.length, `${name}: window count`);
  windows.forEach((w, i) => {
    const got = f.windows[i];
    assert.is(got.startFrame, w.startFrame, `${name} window ${i} start`);
    assert.is(got.frames, w.frameCount, `${name} window ${i} frames`);
    assert.is(got.partial, !!w.partial, `${name} window ${i} partial`);
    const s = got.summary;
    assertAllClose(
      [s.speechRatio, s.levelDbfs, s.f0Median, s.f0SpreadSemitones, s.onsetsPerSecond, s.centroidHz],
      [w.speechRatio, w.level, w.f0Median, w.f0SpreadSemitones, w.onsetsPerSecond, w.centroidMean],
      RTOL,
      1e-3,
      `${name} window ${i} summary`,
    );
  });
}

for (const name of ['sine', 'chirp', 'noise', 'speech-03a01Wa', 'speech-08a01Na']) {
  test(`${name}: every frame feature and window matches the numpy reference`, () => {
    const fx = readRepoJson(`${REF}${name}.json`);
    const f = run(fx.input);
    checkFrames(name, f, fx.frames);
    checkWindows(name, f, fx.windows);
  });
}

test('harmonic tones: frames match the reference and voiced F0 is within 0.5% of the true fundamental', () => {
  const fx = readRepoJson(`${REF}tones.json`);
  for (const tone of fx.tones) {
    const f = run(tone.input);
    checkFrames(`tone ${tone.f0}`, f, tone.frames);
    const voiced = f.rows.filter((r) => r[ROW.voiced] > 0);
    assert.ok(voiced.length >= f.rows.length - 3, `tone ${tone.f0}: ${voiced.length}/${f.rows.length} voiced`);
    for (const r of voiced)
      assert.ok(Math.abs(r[ROW.f0] / tone.f0 - 1) < 0.005, `tone ${tone.f0}: frame f0 ${r[ROW.f0]}`);
  }
});

test('window functions and per-window log-mel/MFCC match the reference (hann, hamming, povey)', () => {
  const fx = readRepoJson(`${REF}windows.json`);
  for (const type of ['hann', 'hamming', 'povey'] as WindowType[]) {
    assertAllClose(makeWindow(type, 200), fx.windowFunctions[type], 1e-5, 1e-9, `${type} coefficients`);
  }
  for (const v of fx.variants) {
    const f = run(fx.input, { window: v.window });
    assertAllClose(block(f, f.geometry.melOffset, 40), v.frames.logmel.flat(), RTOL, 1e-4, `${v.window} logmel`);
    assertAllClose(block(f, f.geometry.mfccOffset, 13), v.frames.mfcc.flat(), RTOL, 2e-3, `${v.window} mfcc`);
  }
});

test('HTK mel scale without normalisation: filterbank weights and features match the reference', () => {
  const fx = readRepoJson(`${REF}mel-htk.json`);
  const fb = new MelFilterbank({
    sampleRate: 8000,
    fftSize: 256,
    melBands: 40,
    fmin: 0,
    fmax: 4000,
    scale: 'htk',
    norm: 'none',
  });
  const dense: number[] = [];
  for (let m = 0; m < 40; m++) for (let k = 0; k < 129; k++) dense.push(fb.weight(m, k));
  assertAllClose(dense, fx.melFilterbank.flat(), 1e-5, 1e-7, 'htk filterbank');
  const f = run(fx.input, { melScale: 'htk', melNorm: 'none' });
  assertAllClose(block(f, f.geometry.melOffset, 40), fx.frames.logmel.flat(), RTOL, 1e-4, 'htk logmel');
  assertAllClose(block(f, f.geometry.mfccOffset, 13), fx.frames.mfcc.flat(), RTOL, 2e-3, 'htk mfcc');
});

test('long stream (speech, silence, speech): full windows, hop, final partial window and silence edge cases', () => {
  const fx = readRepoJson(`${REF}aggregate-long.json`);
  const f = run(fx.input);
  checkFrames('aggregate-long', f, fx.frames);
  checkWindows('aggregate-long', f, fx.windows);
});

test.run();
