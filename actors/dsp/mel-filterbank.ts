/**
 * Triangular mel filterbank over the bins of a real FFT, following librosa's construction (mel points equally spaced
 * between fmin and fmax, triangles by linear interpolation in Hz), with the HTK or Slaney mel scale and optional
 * Slaney area normalisation. Stored sparsely (each filter touches a handful of bins) so applying it is O(bins).
 */
export type MelScale = 'htk' | 'slaney';
export type MelNorm = 'slaney' | 'none';

const F_SP = 200 / 3;
const MIN_LOG_HZ = 1000;
const MIN_LOG_MEL = MIN_LOG_HZ / F_SP;
const LOG_STEP = Math.log(6.4) / 27;

/** Hz → mel on the chosen scale. */
export function hzToMel(hz: number, scale: MelScale): number {
  if (scale === 'htk') return 2595 * Math.log10(1 + hz / 700);
  return hz >= MIN_LOG_HZ ? MIN_LOG_MEL + Math.log(hz / MIN_LOG_HZ) / LOG_STEP : hz / F_SP;
}

/** mel → Hz on the chosen scale. */
export function melToHz(mel: number, scale: MelScale): number {
  if (scale === 'htk') return 700 * (Math.pow(10, mel / 2595) - 1);
  return mel >= MIN_LOG_MEL ? MIN_LOG_HZ * Math.exp(LOG_STEP * (mel - MIN_LOG_MEL)) : F_SP * mel;
}

export interface MelFilterbankOptions {
  sampleRate: number;
  fftSize: number;
  melBands: number;
  fmin: number;
  fmax: number;
  scale: MelScale;
  norm: MelNorm;
}

/** A sparse filterbank: filter m covers bins [start[m], start[m] + count[m]) with weights at offset[m]. */
export class MelFilterbank {
  readonly bands: number;
  readonly bins: number;
  private readonly start: Int32Array;
  private readonly count: Int32Array;
  private readonly offset: Int32Array;
  private readonly weights: Float64Array;

  constructor(opts: MelFilterbankOptions) {
    const { sampleRate, fftSize, melBands, fmin, fmax, scale, norm } = opts;
    if (!(fmax > fmin) || fmax > sampleRate / 2 || fmin < 0) {
      throw new RangeError(`mel range ${fmin}..${fmax} Hz must lie within 0..${sampleRate / 2} Hz`);
    }
    this.bands = melBands;
    this.bins = fftSize / 2 + 1;
    const fftFreqs = new Float64Array(this.bins);
    for (let k = 0; k < this.bins; k++) fftFreqs[k] = (k * sampleRate) / 2 / (this.bins - 1);
    const melMin = hzToMel(fmin, scale);
    const melMax = hzToMel(fmax, scale);
    const melF = new Float64Array(melBands + 2);
    for (let i = 0; i < melBands + 2; i++) melF[i] = melToHz(melMin + ((melMax - melMin) * i) / (melBands + 1), scale);
    const dense: number[][] = [];
    for (let m = 0; m < melBands; m++) {
      const row = new Array<number>(this.bins).fill(0);
      const lowDiff = melF[m + 1] - melF[m];
      const highDiff = melF[m + 2] - melF[m + 1];
      const enorm = norm === 'slaney' ? 2 / (melF[m + 2] - melF[m]) : 1;
      for (let k = 0; k < this.bins; k++) {
        const lower = (fftFreqs[k] - melF[m]) / lowDiff;
        const upper = (melF[m + 2] - fftFreqs[k]) / highDiff;
        row[k] = Math.max(0, Math.min(lower, upper)) * enorm;
      }
      dense.push(row);
    }
    this.start = new Int32Array(melBands);
    this.count = new Int32Array(melBands);
    this.offset = new Int32Array(melBands);
    const flat: number[] = [];
    for (let m = 0; m < melBands; m++) {
      const row = dense[m];
      let first = row.findIndex((v) => v > 0);
      if (first < 0) first = 0;
      let last = first;
      for (let k = first; k < this.bins; k++) if (row[k] > 0) last = k;
      this.start[m] = first;
      this.count[m] = row[first] > 0 ? last - first + 1 : 0;
      this.offset[m] = flat.length;
      for (let k = first; k < first + this.count[m]; k++) flat.push(row[k]);
    }
    this.weights = Float64Array.from(flat);
  }

  /** out[m] = Σ_k W[m,k]·power[k]. */
  apply(power: Float64Array, out: Float64Array | Float32Array, outOffset = 0): void {
    for (let m = 0; m < this.bands; m++) {
      let acc = 0;
      const s = this.start[m];
      const o = this.offset[m];
      const n = this.count[m];
      for (let j = 0; j < n; j++) acc += this.weights[o + j] * power[s + j];
      out[outOffset + m] = acc;
    }
  }

  /** Dense weight of filter m at bin k (for tests and inspection). */
  weight(m: number, k: number): number {
    const j = k - this.start[m];
    return j >= 0 && j < this.count[m] ? this.weights[this.offset[m] + j] : 0;
  }
}
