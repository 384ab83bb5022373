import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_FRONT_END, ROW, frontEndGeometry } from '../../actors/features/front-end-config.js';
import type { ManifestInput, ManifestWindow } from './manifest.js';
import { assembleWindow } from './window-features.js';

const g = frontEndGeometry(DEFAULT_FRONT_END);

function spec(levelNorm: ManifestInput['levelNorm'] = 'voiced-mean') {
  const F = 40 + 3;
  const window: ManifestWindow = { frames: 200, hopFrames: 50, minFrames: 100, padding: 'wrap' };
  const input: ManifestInput = {
    layout: 'batch-frames-features',
    features: ['mel', 'f0Semitones', 'voiced', 'dbfs'],
    featureCount: F,
    levelNorm,
    mean: new Array(F).fill(0.5),
    std: new Array(F).fill(2),
  };
  return { window, input };
}

function fakeRows(n: number, gainDb = 0): Float32Array[] {
  const rows: Float32Array[] = [];
  for (let i = 0; i < n; i++) {
    const r = new Float32Array(g.rowStride);
    r[ROW.dbfs] = -30 + 10 * Math.sin(i / 7) + gainDb;
    r[ROW.vad] = i % 3 ? 1 : 0;
    r[ROW.f0] = i % 2 ? 100 * 2 ** ((i % 12) / 12) : 0;
    r[ROW.voiced] = i % 2;
    for (let m = 0; m < 40; m++) r[g.melOffset + m] = -8 + Math.cos(i + m) + (gainDb * Math.LN10) / 10;
    rows.push(r);
  }
  return rows;
}

test('rows and the history ring give the same window', () => {
  const rows = fakeRows(230);
  const ringRows = 210;
  const history = new Float32Array(ringRows * g.rowStride);
  rows.forEach((r, f) => history.set(r, (f % ringRows) * g.rowStride));
  const a = assembleWindow(rows, 30, 200, g, spec());
  const b = assembleWindow({ history, historyRows: ringRows }, 30, 200, g, spec());
  assert.equal(Array.from(a), Array.from(b));
});

test('features are standardised with the manifest statistics', () => {
  const rows = fakeRows(200);
  const raw = assembleWindow(rows, 0, 200, g, spec('none'), undefined, { normalise: false });
  const norm = assembleWindow(rows, 0, 200, g, spec('none'));
  for (let i = 0; i < raw.length; i++) assert.ok(Math.abs(norm[i] - (raw[i] - 0.5) / 2) < 1e-5);
  // f0 of 100 Hz · 2^(1/12) is one semitone; unvoiced frames are 0.
  assert.ok(Math.abs(raw[1 * 43 + 40] - 1) < 1e-5);
  assert.is(raw[0 * 43 + 40], 0);
});

test('a partial window is wrap-padded with its own frames', () => {
  const rows = fakeRows(120);
  const w = assembleWindow(rows, 0, 120, g, spec());
  const F = 43;
  for (let i = 120; i < 200; i++)
    assert.equal(Array.from(w.subarray(i * F, i * F + F)), Array.from(w.subarray((i - 120) * F, (i - 120) * F + F)));
});

test('level normalisation makes the input independent of the line gain', () => {
  const a = assembleWindow(fakeRows(200), 0, 200, g, spec());
  const b = assembleWindow(fakeRows(200, -12), 0, 200, g, spec());
  let maxDiff = 0;
  for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
  assert.ok(maxDiff < 1e-3, `max difference ${maxDiff}`);
  const c = assembleWindow(fakeRows(200, -12), 0, 200, g, spec('none'));
  const d = assembleWindow(fakeRows(200), 0, 200, g, spec('none'));
  assert.ok(Math.abs(c[43 * 5] - d[43 * 5]) > 0.5);
});

const bandMeanNormalisationTakesTitle =
  'band-mean normalisation takes out a spectral tilt (a per-band offset, as another line or talker brings), not ' +
  'only the gain';
test(bandMeanNormalisationTakesTitle, () => {
  const tilt = (rows: Float32Array[]) =>
    rows.map((r) => {
      const x = r.slice();
      for (let m = 0; m < 40; m++) x[g.melOffset + m] += 0.05 * m - 1;
      return x;
    });
  const a = assembleWindow(fakeRows(200), 0, 200, g, spec('band-mean'));
  const b = assembleWindow(tilt(fakeRows(200, -12)), 0, 200, g, spec('band-mean'));
  let maxDiff = 0;
  for (let t = 0; t < 200; t++)
    for (let m = 0; m < 40; m++) maxDiff = Math.max(maxDiff, Math.abs(a[t * 43 + m] - b[t * 43 + m]));
  assert.ok(maxDiff < 1e-3, `max difference ${maxDiff}`);
  // The whole-window level alone leaves the tilt in.
  const c = assembleWindow(fakeRows(200), 0, 200, g, spec('voiced-mean'));
  const d = assembleWindow(tilt(fakeRows(200, -12)), 0, 200, g, spec('voiced-mean'));
  assert.ok(Math.abs(c[39] - d[39]) > 0.1);
});

test('more frames than the window uses the last window of them; zero frames is refused', () => {
  const rows = fakeRows(260);
  assert.equal(
    Array.from(assembleWindow(rows, 0, 260, g, spec())),
    Array.from(assembleWindow(rows, 60, 200, g, spec())),
  );
  assert.throws(() => assembleWindow(rows, 0, 0, g, spec()), RangeError);
});

test.run();
