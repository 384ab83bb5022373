import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { speech } from '../../test/support/engine-fixtures.js';
import { FrameAnalyzer } from './frame-analyzer.js';
import { DEFAULT_FRONT_END, frontEndGeometry, ROW, type FrontEndConfig } from './front-end-config.js';
import { MeydaSpectral } from './meyda-spectral.js';

const FLOOR = Math.log(1e-10);

/**
 * Both spectral stages over every frame, row by row: worst differences; MFCC only where no mel band is near the floor.
 */
function compare(cfg: FrontEndConfig, pcm: Int16Array) {
  const g = frontEndGeometry(cfg);
  const ours = new FrameAnalyzer(g);
  const theirs = new MeydaSpectral(g);
  const x = Float64Array.from(pcm, (v) => v / 32768);
  const prevA = new Float64Array(g.bins);
  const prevB = new Float64Array(g.bins);
  const a = new Float32Array(g.rowStride);
  const b = new Float32Array(g.rowStride);
  const worst = { centroidRel: 0, fluxRel: 0, logMel: 0, mfcc: 0, frames: 0, flooredFrames: 0, finite: true };
  const rel = (p: number, q: number) => Math.abs(p - q) / Math.max(Math.abs(p), 1e-9);
  for (let at = 0; at + g.frameLength <= x.length; at += g.hop) {
    ours.spectral(x, at, prevA, 0, a, 0);
    theirs.spectral(x, at, prevB, 0, b, 0);
    worst.frames++;
    worst.centroidRel = Math.max(worst.centroidRel, rel(a[ROW.centroid], b[ROW.centroid]));
    worst.fluxRel = Math.max(worst.fluxRel, rel(a[ROW.flux], b[ROW.flux]));
    let floored = false;
    for (let m = 0; m < cfg.melBands; m++) {
      worst.logMel = Math.max(worst.logMel, Math.abs(a[g.melOffset + m] - b[g.melOffset + m]));
      // Within 3 nats of the floor meyda's +1 moves a band by more than 5e-4 (see check()); the DCT sums those up.
      if (a[g.melOffset + m] <= FLOOR + 3) floored = true;
    }
    if (floored) worst.flooredFrames++;
    for (let k = 0; k < cfg.mfccCount; k++) {
      if (!Number.isFinite(b[g.mfccOffset + k])) worst.finite = false;
      if (!floored) worst.mfcc = Math.max(worst.mfcc, Math.abs(a[g.mfccOffset + k] - b[g.mfccOffset + k]));
    }
  }
  return worst;
}

function check(w: ReturnType<typeof compare>): void {
  console.log(
    `  worst over ${w.frames} frames: centroid ${w.centroidRel.toExponential(1)} rel, ` +
      `flux ${w.fluxRel.toExponential(1)} rel, log-mel ${w.logMel.toExponential(1)}, ` +
      `MFCC ${w.mfcc.toExponential(1)} (${w.flooredFrames} frames with a band near the floor left out)`,
  );
  assert.ok(w.finite);
  // meyda's spectrum is float32.
  assert.ok(w.centroidRel < 1e-5, `centroid ${w.centroidRel}`);
  assert.ok(w.fluxRel < 1e-5, `flux ${w.fluxRel}`);
  // log(E·2^40 + 1) - 40·ln 2 = log(E + 2^-40): at most log(1 + 2^-40 / 1e-10) ≈ 0.009 off at the floor.
  assert.ok(w.logMel < 0.0095, `log-mel ${w.logMel}`);
  assert.ok(w.mfcc < 0.002, `MFCC ${w.mfcc}`);
}

const meydaComputesTheSameTitle =
  'meyda computes the same spectral slots as the front-end on real speech (default front-end: Hann, Slaney mel)';
test(meydaComputesTheSameTitle, () => {
  check(compare(DEFAULT_FRONT_END, speech('03a01Wa.wav', '08a02Na.wav', '16a01Wb.wav')));
});

test('the same with a povey window, HTK mel without normalisation, 24 bands and 20 MFCC', () => {
  check(
    compare(
      { ...DEFAULT_FRONT_END, window: 'povey', melScale: 'htk', melNorm: 'none', melBands: 24, mfccCount: 20 },
      speech('11a01Wc.wav'),
    ),
  );
});

test('digital silence: log-mel at the floor, every value finite; more than 40 MFCC is refused', () => {
  const g = frontEndGeometry(DEFAULT_FRONT_END);
  const row = new Float32Array(g.rowStride);
  new MeydaSpectral(g).spectral(new Float64Array(g.frameLength), 0, new Float64Array(g.bins), 0, row, 0);
  for (let m = 0; m < g.cfg.melBands; m++) assert.ok(Math.abs(row[g.melOffset + m] - FLOOR) < 1e-5);
  assert.ok(row.every((v) => Number.isFinite(v)));
  assert.is(row[ROW.centroid], 0);
  assert.throws(
    () => new MeydaSpectral(frontEndGeometry({ ...DEFAULT_FRONT_END, melBands: 64, mfccCount: 41 })),
    /40 MFCC/,
  );
});

test.run();
