import Meyda from 'meyda';
import { MelFilterbank } from '../dsp/mel-filterbank.js';
import { makeWindow } from '../dsp/window-functions.js';
import { ROW, type FrontEndGeometry } from './front-end-config.js';

const LOG_FLOOR = 1e-10;
const FEATURES = ['amplitudeSpectrum', 'complexSpectrum', 'melBands'];
const FEATURES_WITH_MFCC = [...FEATURES, 'mfcc'];
/**
 * meyda takes log(melEnergy + 1) in float32, which is log(melEnergy) only for energies far above 1. Scaling the frame
 * by 2^20 (energies by 2^40) puts every energy above the front-end's 1e-10 floor at >= 110, where the +1 changes the
 * log by < 1 %; the scale is then subtracted back out as 40·ln 2.
 */
const AMP_SCALE = 2 ** 20;
const LOG_POWER_SCALE = 40 * Math.LN2;

/** The part of meyda's API used here (its bundled typings declare a narrower shape than the object has). */
interface MeydaLike {
  bufferSize: number;
  sampleRate: number;
  melBands: number;
  numberOfMFCCCoefficients: number;
  windowingFunction: string;
  melFilterBank?: number[][];
  extract(features: string[], signal: Float32Array): Record<string, unknown>;
}

/**
 * The front-end's spectral stage (FrameAnalyzer.spectral: centroid, flux, log-mel, MFCC into the same row slots)
 * computed by meyda 5.6.3, for the load test's same-run comparison of what callguard's own stage buys. Not for
 * production: per frame it is several times slower (see `npm run bench:features`).
 *
 * meyda does the FFT, the magnitude spectrum, the mel band energies and their log, and the MFCC's DCT. Given to it so
 * the rows mean what the model was trained on: the pre-emphasised, windowed frame (meyda has no pre-emphasis and
 * windows the whole zero-padded buffer) and the front-end's own mel filterbank weights (meyda builds an HTK bank from
 * 0 Hz without Slaney area normalisation). Converted back: the 2^20 input scale and meyda's DCT scale of 2 (to
 * orthonormal). Centroid and flux are computed here from meyda's spectrum: meyda's spectralCentroid and amplitude
 * spectrum stop one bin short of Nyquist (up to 2 % off on quiet frames), and its spectralFlux extractor throws in
 * 5.6.3 (an undeclared variable). Residual differences: meyda's spectrum is float32, and its log-mel has no floor
 * before the DCT, so MFCC differ on frames where a mel band is below the 1e-10 floor (near-digital silence, about
 * -75 dBFS and below). The model reads log-mel, not MFCC.
 */
export class MeydaSpectral {
  private readonly meyda: MeydaLike;
  private readonly window: Float64Array;
  private readonly input: Float32Array;
  private readonly binHz: number;
  private readonly dctScale: Float64Array;
  private readonly dcOffset: number;

  constructor(readonly g: FrontEndGeometry) {
    const c = g.cfg;
    // A private copy of meyda's state (as its own createMeydaAnalyzer does), so settings never leak between users.
    this.meyda = Object.assign({}, Meyda as unknown as MeydaLike);
    this.meyda.bufferSize = g.fftSize;
    this.meyda.sampleRate = c.sampleRate;
    this.meyda.melBands = c.melBands;
    this.meyda.numberOfMFCCCoefficients = c.mfccCount;
    this.meyda.windowingFunction = 'rect';
    this.meyda.melFilterBank = denseFilterbank(
      new MelFilterbank({
        sampleRate: c.sampleRate,
        fftSize: g.fftSize,
        melBands: c.melBands,
        fmin: c.fminHz,
        fmax: g.fmaxHz,
        scale: c.melScale,
        norm: c.melNorm,
      }),
      g.bins,
      c.melBands,
    );
    if (c.mfccCount > 40) throw new RangeError(`meyda computes at most 40 MFCC, features.mfccCount is ${c.mfccCount}`);
    this.window = makeWindow(c.window, g.frameLength);
    this.input = new Float32Array(g.fftSize);
    this.binHz = c.sampleRate / g.fftSize;
    const N = c.melBands;
    this.dctScale = Float64Array.from(
      { length: c.mfccCount },
      (_, k) => (k === 0 ? Math.sqrt(1 / N) : Math.sqrt(2 / N)) / 2,
    );
    this.dcOffset = 2 * N * LOG_POWER_SCALE;
  }

  /** Same contract as FrameAnalyzer.spectral: reads and updates prevMag (the last frame's magnitudes, for flux). */
  spectral(
    frame: Float64Array,
    at: number,
    prevMag: Float64Array,
    prevMagOffset: number,
    row: Float32Array,
    rowOffset: number,
  ): void {
    const g = this.g;
    const N = g.frameLength;
    const pe = g.cfg.preemphasis;
    const w = this.window;
    const x = this.input;
    x[0] = (frame[at] - pe * frame[at]) * w[0] * AMP_SCALE;
    for (let i = 1; i < N; i++) x[i] = (frame[at + i] - pe * frame[at + i - 1]) * w[i] * AMP_SCALE;
    x.fill(0, N);
    const f = this.meyda.extract(this.dctScale.length ? FEATURES_WITH_MFCC : FEATURES, x);
    const amp = f.amplitudeSpectrum as Float32Array;
    const spec = f.complexSpectrum as { real: ArrayLike<number>; imag: ArrayLike<number> };
    const melBands = f.melBands as number[];
    const mfcc = f.mfcc as number[];

    let flux = 0;
    let magSum = 0;
    let weighted = 0;
    for (let k = 0; k < g.bins; k++) {
      // meyda's amplitude spectrum stops one bin short of Nyquist; that bin is read from its complex spectrum.
      const m = (k < amp.length ? amp[k] : Math.hypot(spec.real[k], spec.imag[k])) / AMP_SCALE;
      magSum += m;
      weighted += k * this.binHz * m;
      const d = m - prevMag[prevMagOffset + k];
      flux += d * d;
      prevMag[prevMagOffset + k] = m;
    }
    row[rowOffset + ROW.centroid] = magSum > 0 ? weighted / magSum : 0;
    row[rowOffset + ROW.flux] = Math.sqrt(flux);
    const floor = Math.log(LOG_FLOOR);
    const melOffset = rowOffset + g.melOffset;
    for (let m = 0; m < melBands.length; m++) row[melOffset + m] = Math.max(melBands[m] - LOG_POWER_SCALE, floor);
    const mfccOffset = rowOffset + g.mfccOffset;
    for (let k = 0; k < this.dctScale.length; k++)
      row[mfccOffset + k] = (k === 0 ? mfcc[0] - this.dcOffset : mfcc[k]) * this.dctScale[k];
  }
}

/** The filterbank as meyda wants it (one dense weight array per band), read through its public apply() per bin. */
function denseFilterbank(fb: MelFilterbank, bins: number, bands: number): number[][] {
  const out = Array.from({ length: bands }, () => new Array<number>(bins).fill(0));
  const unit = new Float64Array(bins);
  const col = new Float64Array(bands);
  for (let k = 0; k < bins; k++) {
    unit.fill(0);
    unit[k] = 1;
    fb.apply(unit, col, 0);
    for (let b = 0; b < bands; b++) out[b][k] = col[b];
  }
  return out;
}
