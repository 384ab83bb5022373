import * as tf from '@tensorflow/tfjs';
import type { FrontEndGeometry } from '../../actors/features/front-end-config.js';
import { EMOTION_LABELS, expandedFeatureCount, type FrameFeature, type ManifestInput } from '../runtime/manifest.js';
import { BatchedPredictor } from '../runtime/predictor.js';
import type { ModelManifest } from '../runtime/manifest.js';
import type { WindowInputSpec } from '../runtime/window-features.js';
import { buildModel, type ArchConfig } from './architecture.js';
import { TRAINING_LABELS } from './clip.js';
import { sliceHead } from './head-slice.js';
import { featureStats, modelWindow, type ClipRows } from './dataset.js';
import { SPEAKER_SEX } from './emodb.js';
import { fitModel, type FitOptions } from './fit.js';
import { accuracy, argmax, confusion, rocAuc, uar } from './metrics.js';

/** Shared pieces of cross-validation and final training: input spec, one training run, evaluation, folds. */

export const DEFAULT_FEATURES: FrameFeature[] = [
  'mel',
  'f0Semitones',
  'f0Relative',
  'voiced',
  'dbfs',
  'zcr',
  'centroidKhz',
  'logFlux',
  'aperiodicity',
];
export const HIGH_AROUSAL_NEGATIVE = ['anger', 'fear'];

export function inputSpec(
  features: FrameFeature[],
  levelNorm: ManifestInput['levelNorm'],
  g: FrontEndGeometry,
  stats?: { mean: number[]; std: number[] },
): WindowInputSpec {
  const featureCount = expandedFeatureCount(features, g.cfg.melBands);
  return {
    window: { frames: g.windowFrames, hopFrames: g.windowHopFrames, minFrames: g.minFinalFrames, padding: 'wrap' },
    input: {
      layout: 'batch-frames-features',
      features,
      featureCount,
      levelNorm,
      mean: stats?.mean ?? new Array(featureCount).fill(0),
      std: stats?.std ?? new Array(featureCount).fill(1),
    },
  };
}

/** A manifest good enough for the predictor during evaluation (the real one is written by train.ts). */
export function evalManifest(spec: WindowInputSpec): ModelManifest {
  return {
    ...spec,
    labels: [...EMOTION_LABELS],
    highArousalNegative: HIGH_AROUSAL_NEGATIVE,
  } as unknown as ModelManifest;
}

export interface RunConfig {
  features: FrameFeature[];
  levelNorm: ManifestInput['levelNorm'];
  arch: ArchConfig;
  fit: FitOptions;
  /** Calm and surprise clips trained as extra outputs, cut at export (clip.ts TRAINING_ONLY_LABELS). */
  trainingOnlyClasses?: boolean;
}

export async function trainRun(
  train: readonly ClipRows[],
  g: FrontEndGeometry,
  run: RunConfig,
  log: (m: string) => void,
): Promise<{ model: tf.LayersModel; spec: WindowInputSpec; finalLoss: number }> {
  const raw = inputSpec(run.features, run.levelNorm, g);
  const stats = featureStats(
    train.flatMap((c) => c.copies),
    g,
    raw,
  );
  const spec = inputSpec(run.features, run.levelNorm, g, stats);
  // Training-only classes (calm, surprise) widen the head while training; it is cut back to the 7 runtime outputs.
  const L = EMOTION_LABELS.length;
  const classes = train.some((c) => c.clip.label >= L) ? TRAINING_LABELS.length : L;
  const model = buildModel(run.arch, spec.window.frames, spec.input.featureCount, classes, run.fit.seed * 7919 + 13);
  const { finalLoss } = await fitModel(model, train, g, spec, classes, run.fit, log);
  if (classes === L) return { model, spec, finalLoss };
  const shipped = sliceHead(model, run.arch, spec.window.frames, spec.input.featureCount, L);
  model.dispose();
  return { model: shipped, spec, finalLoss };
}

/**
 * Probabilities for copy `copyIndex` (0 = clean) of every clip through the runtime predictor: the mean over the clip's
 * 2 s windows at the runtime's hop (the engine scores a call the same way, window by window). A clip of up to one
 * window (every Emo-DB clip) gives exactly one full, wrap-padded window, as v1's evaluation did.
 */
export function predictClips(
  model: tf.LayersModel,
  spec: WindowInputSpec,
  clips: readonly ClipRows[],
  g: FrontEndGeometry,
  copyIndex = 0,
): Float32Array {
  const p = new BatchedPredictor(model, evalManifest(spec));
  const T = spec.window.frames;
  const L = EMOTION_LABELS.length;
  const out = new Float32Array(clips.length * L);
  clips.forEach((c, i) => {
    const copy = c.copies[Math.min(copyIndex, c.copies.length - 1)];
    const starts: number[] = [];
    if (copy.frames <= T) starts.push(0);
    else for (let s = 0; s + T <= copy.frames; s += spec.window.hopFrames) starts.push(s);
    const wins = starts.map((s) =>
      modelWindow(copy, s, Math.min(T, copy.frames - s), g, spec, new Float32Array(T * spec.input.featureCount)),
    );
    const probs = p.predict(wins);
    for (let w = 0; w < wins.length; w++) for (let j = 0; j < L; j++) out[i * L + j] += probs[w * L + j] / wins.length;
  });
  return out;
}

export interface Scores {
  n: number;
  uar: number;
  accuracy: number;
  /** Rows: true label, columns: predicted, in EMOTION_LABELS order. */
  confusion: number[][];
  /** P(anger) + P(fear) vs the rest. */
  highArousalNegativeAuc: number;
}

export function score(probs: Float32Array, labels: readonly number[]): Scores {
  const L = EMOTION_LABELS.length;
  const pred = labels.map((_, i) => argmax(probs, i * L, L));
  const cm = confusion(labels, pred, L);
  const ia = EMOTION_LABELS.indexOf('anger');
  const ifr = EMOTION_LABELS.indexOf('fear');
  const han = labels.map((_, i) => probs[i * L + ia] + probs[i * L + ifr]);
  return {
    n: labels.length,
    uar: uar(cm),
    accuracy: accuracy(cm),
    confusion: cm,
    highArousalNegativeAuc: rocAuc(
      han,
      labels.map((l) => l === ia || l === ifr),
    ),
  };
}

/** Speaker folds: 'loso' leaves one speaker out (8 folds); 'pairs' leaves one male + one female out (4 folds). */
export function speakerFolds(kind: 'loso' | 'pairs'): string[][] {
  const speakers = Object.keys(SPEAKER_SEX).sort();
  if (kind === 'loso') return speakers.map((s) => [s]);
  const m = speakers.filter((s) => SPEAKER_SEX[s] === 'm');
  const f = speakers.filter((s) => SPEAKER_SEX[s] === 'f');
  return m.map((s, i) => [s, f[i]]);
}
