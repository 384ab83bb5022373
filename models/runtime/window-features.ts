import { ROW, type FrontEndGeometry } from '../../actors/features/front-end-config.js';
import type { FrameFeature, ModelManifest } from './manifest.js';

/**
 * Per-window model input from front-end feature rows: the one function the engine's actor and the training share.
 *
 * Input: the feature rows of one window (a plain list of rows, or the actor's history ring), the front-end geometry and
 * the manifest's `input`/`window` sections. Output: a Float32Array of `window.frames × input.featureCount`
 * (frame-major), level-normalised, standardised with the manifest statistics, and wrap-padded when the window is
 * shorter than the model's (a partial end-of-stream window repeats its own frames from its start).
 */

/** The actor's history ring: frame f lives at row (f mod historyRows). */
export interface RowRing {
  history: Float32Array;
  historyRows: number;
}

/** Frames quieter than this count as this (digital silence would otherwise give -200 dBFS). */
export const DBFS_FLOOR = -90;
/** Floor of a log-mel value (natural log of power), for the same reason. */
export const LOG_MEL_FLOOR = -18;
/** dB of power to natural-log power units (the log-mel rows' unit). */
export const DB_TO_LN_POWER = Math.LN10 / 10;
/** Reference of the semitone pitch features. */
export const F0_REF_HZ = 100;

export type WindowInputSpec = Pick<ModelManifest, 'input' | 'window'>;

export interface AssembleOptions {
  /** Apply the manifest mean/std (default true). Training passes false to collect the raw statistics. */
  normalise?: boolean;
  /** Pad to window.frames (default true). */
  pad?: boolean;
}

/**
 * Build the model input for frames [startFrame, startFrame + frames) of `source`. When `frames` exceeds the model's
 * window, the last `window.frames` frames are used. `out` (optional) must hold window.frames × featureCount values.
 */
export function assembleWindow(
  source: readonly Float32Array[] | RowRing,
  startFrame: number,
  frames: number,
  g: FrontEndGeometry,
  spec: WindowInputSpec,
  out?: Float32Array,
  opts: AssembleOptions = {},
): Float32Array {
  const T = spec.window.frames;
  const F = spec.input.featureCount;
  if (!(frames >= 1)) throw new RangeError(`assembleWindow: need at least one frame, got ${frames}`);
  if (frames > T) {
    startFrame += frames - T;
    frames = T;
  }
  const size = T * F;
  const dst = out ?? new Float32Array(size);
  if (dst.length < size) throw new RangeError(`assembleWindow: output holds ${dst.length} values, needs ${size}`);
  const ring = Array.isArray(source) ? null : (source as RowRing);
  const list = ring ? null : (source as readonly Float32Array[]);
  const rowArr = (i: number): Float32Array => (ring ? ring.history : list![startFrame + i]);
  const rowOff = (i: number): number => (ring ? ((startFrame + i) % ring.historyRows) * g.rowStride : 0);

  // Window level: mean dBFS of the VAD-active frames (all frames when none is active).
  let levelDb = 0;
  if (spec.input.levelNorm === 'voiced-mean' || spec.input.levelNorm === 'band-mean') {
    let sum = 0;
    let n = 0;
    let sumAll = 0;
    for (let i = 0; i < frames; i++) {
      const r = rowArr(i);
      const o = rowOff(i);
      const db = Math.max(DBFS_FLOOR, r[o + ROW.dbfs]);
      sumAll += db;
      if (r[o + ROW.vad] > 0) {
        sum += db;
        n++;
      }
    }
    levelDb = n > 0 ? sum / n : sumAll / frames;
  }
  const levelLn = levelDb * DB_TO_LN_POWER;
  // Mean pitch of the window's voiced frames, in semitones re 100 Hz ('f0Relative' is relative to it: less
  // speaker-bound).
  let f0MeanSt = 0;
  if (spec.input.features.includes('f0Relative')) {
    let n = 0;
    for (let i = 0; i < frames; i++) {
      const f0 = rowArr(i)[rowOff(i) + ROW.f0];
      if (f0 > 0) {
        f0MeanSt += 12 * Math.log2(f0 / F0_REF_HZ);
        n++;
      }
    }
    f0MeanSt = n > 0 ? f0MeanSt / n : 0;
  }
  const features = spec.input.features;
  const melBands = g.cfg.melBands;
  // 'band-mean': each mel band's own mean over the window's VAD-active frames (all frames when none) is removed, a
  // cepstral-mean-like normalisation that takes out the line's and the talker's spectral tilt, not only the level.
  const bandMean =
    spec.input.levelNorm === 'band-mean' ? bandMeans(rowArr, rowOff, frames, g.melOffset, melBands) : null;
  for (let i = 0; i < frames; i++) {
    const r = rowArr(i);
    const o = rowOff(i);
    let c = i * F;
    for (const f of features as readonly FrameFeature[]) {
      switch (f) {
        case 'mel': {
          const mo = o + g.melOffset;
          if (bandMean) for (let m = 0; m < melBands; m++) dst[c++] = Math.max(LOG_MEL_FLOOR, r[mo + m]) - bandMean[m];
          else for (let m = 0; m < melBands; m++) dst[c++] = Math.max(LOG_MEL_FLOOR, r[mo + m]) - levelLn;
          break;
        }
        case 'f0Semitones': {
          const f0 = r[o + ROW.f0];
          dst[c++] = f0 > 0 ? 12 * Math.log2(f0 / F0_REF_HZ) : 0;
          break;
        }
        case 'f0Relative': {
          const f0 = r[o + ROW.f0];
          dst[c++] = f0 > 0 ? 12 * Math.log2(f0 / F0_REF_HZ) - f0MeanSt : 0;
          break;
        }
        case 'voiced':
          dst[c++] = r[o + ROW.voiced];
          break;
        case 'dbfs':
          dst[c++] = Math.max(DBFS_FLOOR, r[o + ROW.dbfs]) - levelDb;
          break;
        case 'zcr':
          dst[c++] = r[o + ROW.zcr];
          break;
        case 'centroidKhz':
          dst[c++] = r[o + ROW.centroid] / 1000;
          break;
        case 'logFlux':
          dst[c++] = Math.log(r[o + ROW.flux] + 1e-4);
          break;
        case 'aperiodicity':
          dst[c++] = r[o + ROW.aperiodicity];
          break;
        case 'vad':
          dst[c++] = r[o + ROW.vad];
          break;
      }
    }
  }
  if (opts.normalise !== false) standardise(dst, frames, spec);
  if (opts.pad !== false) wrapPad(dst, frames, spec);
  return dst;
}

/** Per mel band, the mean floored log-mel over the VAD-active frames of a window (all frames when none is active). */
function bandMeans(
  rowArr: (i: number) => Float32Array,
  rowOff: (i: number) => number,
  frames: number,
  melOffset: number,
  melBands: number,
): Float64Array {
  const voiced = new Float64Array(melBands);
  const all = new Float64Array(melBands);
  let n = 0;
  for (let i = 0; i < frames; i++) {
    const r = rowArr(i);
    const o = rowOff(i);
    const active = r[o + ROW.vad] > 0;
    if (active) n++;
    for (let m = 0; m < melBands; m++) {
      const v = Math.max(LOG_MEL_FLOOR, r[o + melOffset + m]);
      all[m] += v;
      if (active) voiced[m] += v;
    }
  }
  const src = n > 0 ? voiced : all;
  const d = n > 0 ? n : frames;
  for (let m = 0; m < melBands; m++) src[m] /= d;
  return src;
}

/** (x - mean) / std per column over the first `frames` frames of `dst`, in place. */
export function standardise(dst: Float32Array, frames: number, spec: WindowInputSpec): void {
  const F = spec.input.featureCount;
  const { mean, std } = spec.input;
  for (let i = 0; i < frames; i++) {
    const base = i * F;
    for (let j = 0; j < F; j++) dst[base + j] = (dst[base + j] - mean[j]) / std[j];
  }
}

/** Fill frames [frames, window.frames) by repeating the window's own frames from its start, in place. */
export function wrapPad(dst: Float32Array, frames: number, spec: WindowInputSpec): void {
  const F = spec.input.featureCount;
  for (let i = frames; i < spec.window.frames; i++) dst.copyWithin(i * F, (i % frames) * F, (i % frames) * F + F);
}
