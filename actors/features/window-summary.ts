import { ROW, type FrontEndGeometry } from './front-end-config.js';

/** Acoustic summary of one analysis window of one leg: what the timeline prints and the policy reads. */
export interface WindowSummary {
  /** Fraction of frames judged speech. */
  speechRatio: number;
  /** Level in dBFS (RMS re full-scale square) over speech frames, or all frames when there is no speech. */
  levelDbfs: number;
  /** Median F0 of voiced frames in Hz; 0 with fewer than 5 voiced frames. */
  f0Median: number;
  /** Standard deviation of F0 in semitones; 0 with fewer than 5 voiced frames. */
  f0SpreadSemitones: number;
  /** Voiced runs (≥ 3 frames) starting per second of speech: a syllable-rate proxy for speaking rate. */
  onsetsPerSecond: number;
  /** Mean spectral centroid over speech frames, Hz. */
  centroidHz: number;
}

const MIN_VOICED = 5;
const MIN_RUN = 3;

/**
 * Summarise frames [start, start + count) from the history ring `hist` (rows of `g.rowStride`, `capacity` rows).
 * `f0Scratch` must hold `count` values.
 */
export function summariseWindow(
  g: FrontEndGeometry,
  hist: Float32Array,
  capacity: number,
  start: number,
  count: number,
  f0Scratch: Float64Array,
): WindowSummary {
  const stride = g.rowStride;
  let speech = 0;
  let powSpeech = 0;
  let powAll = 0;
  let centroid = 0;
  let voiced = 0;
  let runs = 0;
  let run = 0;
  for (let i = 0; i < count; i++) {
    const r = ((start + i) % capacity) * stride;
    const rms = hist[r + ROW.rms];
    const isSpeech = hist[r + ROW.vad] > 0;
    powAll += rms * rms;
    if (isSpeech) {
      speech++;
      powSpeech += rms * rms;
      centroid += hist[r + ROW.centroid];
    }
    if (hist[r + ROW.voiced] > 0) {
      f0Scratch[voiced++] = hist[r + ROW.f0];
      run++;
      if (run === MIN_RUN) runs++;
    } else run = 0;
  }
  const meanPow = Math.max(speech > 0 ? powSpeech / speech : powAll / count, 1e-20);
  let f0Median = 0;
  let spread = 0;
  if (voiced >= MIN_VOICED) {
    const v = f0Scratch.subarray(0, voiced).sort();
    f0Median = voiced % 2 ? v[(voiced - 1) / 2] : 0.5 * (v[voiced / 2 - 1] + v[voiced / 2]);
    let mean = 0;
    for (let i = 0; i < voiced; i++) mean += 12 * Math.log2(v[i]);
    mean /= voiced;
    let acc = 0;
    for (let i = 0; i < voiced; i++) {
      const d = 12 * Math.log2(v[i]) - mean;
      acc += d * d;
    }
    spread = Math.sqrt(acc / voiced);
  }
  const hopSeconds = g.hop / g.cfg.sampleRate;
  return {
    speechRatio: speech / count,
    levelDbfs: 10 * Math.log10(meanPow),
    f0Median,
    f0SpreadSemitones: spread,
    onsetsPerSecond: speech > 0 ? runs / (speech * hopSeconds) : 0,
    centroidHz: speech > 0 ? centroid / speech : 0,
  };
}
