import type { WindowType } from '../dsp/window-functions.js';
import type { MelNorm, MelScale } from '../dsp/mel-filterbank.js';
import { yinBlocking, yinBufferLength, yinCacheLength, type YinBlocking, type YinParams } from '../dsp/yin-pitch.js';

/** Settings of the streaming feature front-end: the engine, training and every model manifest share this shape. */
export interface FrontEndConfig {
  /** Rate the features are computed at (audio at other rates is resampled to it). 8000 or 16000. */
  sampleRate: number;
  frameMs: number;
  hopMs: number;
  window: WindowType;
  preemphasis: number;
  melBands: number;
  fminHz: number;
  /** 0 means the Nyquist frequency. */
  fmaxHz: number;
  melScale: MelScale;
  melNorm: MelNorm;
  mfccCount: number;
  pitchFminHz: number;
  pitchFmaxHz: number;
  pitchThreshold: number;
  /** Frames quieter than this are never voiced. */
  voicingDbfs: number;
  /** Analysis window over frames (what the model and the timeline see) and its hop. */
  windowSeconds: number;
  windowHopSeconds: number;
  /** At the end of a stream, a last partial window is emitted if at least this much audio is uncovered. */
  minFinalSeconds: number;
}

export const DEFAULT_FRONT_END: FrontEndConfig = {
  sampleRate: 8000,
  frameMs: 25,
  hopMs: 10,
  window: 'hann',
  preemphasis: 0.97,
  melBands: 40,
  fminHz: 0,
  fmaxHz: 0,
  melScale: 'slaney',
  melNorm: 'slaney',
  mfccCount: 13,
  pitchFminHz: 60,
  pitchFmaxHz: 400,
  pitchThreshold: 0.15,
  voicingDbfs: -50,
  windowSeconds: 2,
  windowHopSeconds: 0.5,
  minFinalSeconds: 1,
};

/**
 * Seconds between a leg's scored windows in the live engine (the default of features.windowHopSeconds): each sample is
 * still in two 2 s windows, and the model does half the work of DEFAULT_FRONT_END's 0.5 s, which offline analysis of
 * training data keeps. The policy integrates in seconds; its synthetic calls use this hop too.
 */
export const LIVE_WINDOW_HOP_SECONDS = 1;

/** Rate YIN runs at: speech F0 sits far below 2 kHz, so a decimated stream quarters its cost at 8 kHz. */
export const PITCH_RATE = 4000;

/** Per-frame scalar slots at the start of each feature row; log-mel and MFCC follow. */
export const ROW = {
  rms: 0,
  dbfs: 1,
  logEnergy: 2,
  zcr: 3,
  centroid: 4,
  flux: 5,
  f0: 6,
  voiced: 7,
  aperiodicity: 8,
  vad: 9,
} as const;
export const ROW_SCALARS = 10;

/** Sizes derived from a FrontEndConfig, computed once. */
export interface FrontEndGeometry {
  cfg: FrontEndConfig;
  frameLength: number;
  hop: number;
  fftSize: number;
  bins: number;
  fmaxHz: number;
  rowStride: number;
  melOffset: number;
  mfccOffset: number;
  windowFrames: number;
  windowHopFrames: number;
  minFinalFrames: number;
  decimation: number;
  firTaps: number;
  yin: YinParams;
  /** How YIN windows of successive frames share block sums, and the state that cache takes per leg. */
  yinBlocks: YinBlocking;
  yinCache: number;
  pitchBuffer: number;
}

/** Validate a front-end configuration and derive its sizes; throws RangeError naming the bad setting. */
export function frontEndGeometry(cfg: FrontEndConfig): FrontEndGeometry {
  if (cfg.sampleRate !== 8000 && cfg.sampleRate !== 16000)
    throw new RangeError(`features.sampleRate must be 8000 or 16000, got ${cfg.sampleRate}`);
  const frameLength = Math.round((cfg.sampleRate * cfg.frameMs) / 1000);
  const hop = Math.round((cfg.sampleRate * cfg.hopMs) / 1000);
  const decimation = cfg.sampleRate / PITCH_RATE;
  if (hop <= 0 || frameLength < hop)
    throw new RangeError(`features.frameMs (${cfg.frameMs}) must be >= features.hopMs (${cfg.hopMs}) > 0`);
  if (frameLength % decimation || hop % decimation)
    throw new RangeError('features.frameMs and features.hopMs must give whole samples at the pitch rate');
  let fftSize = 1;
  while (fftSize < frameLength) fftSize <<= 1;
  const fmaxHz = cfg.fmaxHz > 0 ? cfg.fmaxHz : cfg.sampleRate / 2;
  const yin: YinParams = {
    window: Math.round((PITCH_RATE * 25) / 1000),
    tauMin: Math.ceil(PITCH_RATE / cfg.pitchFmaxHz),
    tauMax: Math.floor(PITCH_RATE / cfg.pitchFminHz),
    threshold: cfg.pitchThreshold,
  };
  if (yin.tauMin < 2 || yin.tauMax <= yin.tauMin)
    throw new RangeError('features.pitchFminHz/pitchFmaxHz give an empty lag range');
  const yinBlocks = yinBlocking(yin, hop / decimation);
  const hopS = hop / cfg.sampleRate;
  const windowFrames = Math.round(cfg.windowSeconds / hopS);
  const windowHopFrames = Math.round(cfg.windowHopSeconds / hopS);
  if (windowFrames < 10 || windowHopFrames < 1 || windowHopFrames > windowFrames)
    throw new RangeError('features.windowSeconds/windowHopSeconds are out of range');
  return {
    cfg,
    frameLength,
    hop,
    fftSize,
    bins: fftSize / 2 + 1,
    fmaxHz,
    rowStride: ROW_SCALARS + cfg.melBands + cfg.mfccCount,
    melOffset: ROW_SCALARS,
    mfccOffset: ROW_SCALARS + cfg.melBands,
    windowFrames,
    windowHopFrames,
    minFinalFrames: Math.max(1, Math.round(cfg.minFinalSeconds / hopS)),
    decimation,
    firTaps: 15 * decimation + 1,
    yin,
    yinBlocks,
    yinCache: yinCacheLength(yin, yinBlocks),
    pitchBuffer: yinBufferLength(yin),
  };
}
