import * as tf from '@tensorflow/tfjs';
import type { FrontEndGeometry } from '../../actors/features/front-end-config.js';
import type { WindowInputSpec } from '../runtime/window-features.js';
import { sampleWeights, type ClassBalance } from './class-weights.js';
import { modelWindow, type ClipRows } from './dataset.js';
import { Prng } from './prng.js';

/** Training loop: our own seeded shuffling and sampling (tfjs's fit shuffles with its own RNG), class-balanced loss. */

export interface FitOptions {
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** Passes over the training clips per epoch. */
  repeats: number;
  /** Probability of the clean copy (else a random augmented copy). */
  cleanProbability: number;
  /** Probability of training on a random sub-window of 1.0 s … full length (partial windows). */
  cropProbability: number;
  minCropFrames: number;
  /** SpecAugment-style masks on the standardised input: up to this many mel bands / frames set to 0 (the mean). */
  freqMask: number;
  timeMask: number;
  labelSmoothing: number;
  classBalanced: boolean;
  /** How classBalanced balances: over the pool (v1; the default when absent) or per corpus (class-weights.ts). */
  balance?: ClassBalance;
  /**
   * Mixup (Zhang et al., 2018): each batch is blended with a shuffled copy of itself, inputs, targets and class
   * weights alike, with one weight λ ~ Beta(α, α) per batch (λ folded to ≥ 0.5). 0 = off (v1), and then no random
   * number is drawn for it, so v1's recipe trains bit-identical weights.
   */
  mixupAlpha?: number;
  seed: number;
}

export const DEFAULT_FIT: FitOptions = {
  epochs: 40,
  batchSize: 32,
  learningRate: 2e-3,
  repeats: 2,
  cleanProbability: 0.25,
  cropProbability: 0.3,
  minCropFrames: 100,
  freqMask: 6,
  timeMask: 20,
  labelSmoothing: 0.1,
  classBalanced: true,
  seed: 1,
};

/** Blend batch items with a seeded permutation of themselves (mixup); buffers are changed in place. */
export function mixBatch(
  x: Float32Array,
  y: Float32Array,
  w: Float32Array,
  n: number,
  size: number,
  classes: number,
  rng: Prng,
  alpha: number,
): number {
  const b = rng.beta(alpha, alpha);
  const lam = Math.max(b, 1 - b);
  const perm = rng.shuffle(Array.from({ length: n }, (_, i) => i));
  const x0 = x.slice(0, n * size);
  const y0 = y.slice(0, n * classes);
  const w0 = w.slice(0, n);
  for (let k = 0; k < n; k++) {
    const j = perm[k];
    for (let i = 0; i < size; i++) x[k * size + i] = lam * x0[k * size + i] + (1 - lam) * x0[j * size + i];
    for (let c = 0; c < classes; c++) y[k * classes + c] = lam * y0[k * classes + c] + (1 - lam) * y0[j * classes + c];
    w[k] = lam * w0[k] + (1 - lam) * w0[j];
  }
  return lam;
}

export async function fitModel(
  model: tf.LayersModel,
  train: readonly ClipRows[],
  g: FrontEndGeometry,
  spec: WindowInputSpec,
  classes: number,
  opts: FitOptions,
  log: (msg: string) => void = () => {},
): Promise<{ finalLoss: number }> {
  const rng = new Prng(opts.seed);
  const T = spec.window.frames;
  const F = spec.input.featureCount;
  const melAt = spec.input.features.indexOf('mel');
  const melBands = g.cfg.melBands;
  const weights = sampleWeights(
    train.map((c) => c.clip),
    classes,
    opts.classBalanced ? (opts.balance ?? 'pooled') : 'none',
  );
  const optimizer = tf.train.adam(opts.learningRate);
  const lrHolder = optimizer as unknown as { learningRate: number };
  const xBuf = new Float32Array(opts.batchSize * T * F);
  const yBuf = new Float32Array(opts.batchSize * classes);
  const wBuf = new Float32Array(opts.batchSize);
  const win = new Float32Array(T * F);
  const totalSteps = opts.epochs * Math.ceil((train.length * opts.repeats) / opts.batchSize);
  let step = 0;
  let finalLoss = NaN;
  for (let epoch = 0; epoch < opts.epochs; epoch++) {
    const order: number[] = [];
    for (let r = 0; r < opts.repeats; r++) for (let i = 0; i < train.length; i++) order.push(i);
    rng.shuffle(order);
    let lossSum = 0;
    let batches = 0;
    for (let b0 = 0; b0 < order.length; b0 += opts.batchSize) {
      const n = Math.min(opts.batchSize, order.length - b0);
      yBuf.fill(0);
      for (let k = 0; k < n; k++) {
        const item = train[order[b0 + k]];
        const copy =
          rng.next() < opts.cleanProbability || item.copies.length === 1
            ? item.copies[0]
            : item.copies[1 + rng.int(item.copies.length - 1)];
        let start = 0;
        let len = Math.min(T, copy.frames);
        if (rng.next() < opts.cropProbability && copy.frames > opts.minCropFrames) {
          len = opts.minCropFrames + rng.int(Math.min(T, copy.frames) - opts.minCropFrames + 1);
          start = rng.int(copy.frames - len + 1);
        } else if (copy.frames > T) start = rng.int(copy.frames - T + 1);
        modelWindow(copy, start, len, g, spec, win);
        if (opts.freqMask > 0 && melAt >= 0) {
          const w = rng.int(opts.freqMask + 1);
          const f0 = rng.int(melBands - w + 1);
          for (let t = 0; t < T; t++) win.fill(0, t * F + melAt + f0, t * F + melAt + f0 + w);
        }
        if (opts.timeMask > 0) {
          const w = rng.int(opts.timeMask + 1);
          const t0 = rng.int(T - w + 1);
          win.fill(0, t0 * F, (t0 + w) * F);
        }
        xBuf.set(win, k * T * F);
        const lab = item.clip.label;
        for (let j = 0; j < classes; j++)
          yBuf[k * classes + j] = opts.labelSmoothing / classes + (j === lab ? 1 - opts.labelSmoothing : 0);
        wBuf[k] = weights[order[b0 + k]];
      }
      if ((opts.mixupAlpha ?? 0) > 0 && n > 1) mixBatch(xBuf, yBuf, wBuf, n, T * F, classes, rng, opts.mixupAlpha!);
      lrHolder.learningRate = opts.learningRate * 0.5 * (1 + Math.cos((Math.PI * step) / totalSteps));
      const loss = tf.tidy(() => {
        const x = tf.tensor3d(xBuf.subarray(0, n * T * F), [n, T, F]);
        const y = tf.tensor2d(yBuf.subarray(0, n * classes), [n, classes]);
        const w = tf.tensor1d(wBuf.subarray(0, n));
        const cost = optimizer.minimize(() => {
          const p = model.apply(x, { training: true }) as tf.Tensor;
          const ce = tf.neg(tf.sum(tf.mul(y, tf.log(tf.clipByValue(p, 1e-7, 1))), 1));
          let l = tf.div(tf.sum(tf.mul(ce, w)), tf.sum(w)) as tf.Scalar;
          for (const layer of model.layers) for (const r of layer.losses ?? []) l = tf.add(l, r());
          return l;
        }, true);
        return cost!.dataSync()[0];
      });
      lossSum += loss;
      batches++;
      step++;
    }
    finalLoss = lossSum / batches;
    if (epoch % 5 === 4 || epoch === opts.epochs - 1)
      log(`epoch ${epoch + 1}/${opts.epochs} loss ${finalLoss.toFixed(4)}`);
  }
  optimizer.dispose();
  return { finalLoss };
}
