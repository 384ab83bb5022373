import * as tf from '@tensorflow/tfjs';
import type { ModelManifest } from './manifest.js';

/**
 * Batched, synchronous predictor for a worker thread: N windows in, one `predict` per call (per bucket-sized chunk),
 * probabilities out. Inputs are padded to the next batch-size bucket so the backend only ever sees a handful of
 * shapes (varying shapes grow the wasm backend's caches); each call runs inside tf.tidy and reads back with dataSync,
 * so it leaves no tensors behind.
 */

export const DEFAULT_BUCKETS: readonly number[] = [1, 2, 4, 8, 16, 32, 64];

export interface PredictorOptions {
  /** Increasing batch sizes; a call with more windows than the largest is split into largest-bucket chunks. */
  buckets?: readonly number[];
}

export class BatchedPredictor {
  readonly labels: readonly string[];
  readonly frames: number;
  readonly features: number;
  readonly buckets: readonly number[];
  private readonly windowSize: number;
  private readonly inputs = new Map<number, Float32Array>();
  private readonly hanIdx: number[];
  /** predict() calls made on the model so far (for tests and metrics). */
  modelCalls = 0;

  constructor(
    readonly model: tf.LayersModel,
    readonly manifest: ModelManifest,
    opts: PredictorOptions = {},
  ) {
    this.labels = manifest.labels;
    this.frames = manifest.window.frames;
    this.features = manifest.input.featureCount;
    this.windowSize = this.frames * this.features;
    const b = [...(opts.buckets ?? DEFAULT_BUCKETS)];
    if (!b.length || b.some((x, i) => !Number.isInteger(x) || x < 1 || (i > 0 && x <= b[i - 1])))
      throw new RangeError('buckets must be increasing positive integers');
    this.buckets = b;
    this.hanIdx = manifest.highArousalNegative.map((l) => manifest.labels.indexOf(l));
  }

  /** The bucket a batch of n windows is padded to. */
  bucketFor(n: number): number {
    for (const b of this.buckets) if (b >= n) return b;
    return this.buckets[this.buckets.length - 1];
  }

  /**
   * Probabilities for each window (each a Float32Array of frames × features, as assembleWindow makes them), returned
   * as one Float32Array of n × labels.length, row-major in input order.
   */
  predict(windows: readonly Float32Array[]): Float32Array {
    const L = this.labels.length;
    const out = new Float32Array(windows.length * L);
    const max = this.buckets[this.buckets.length - 1];
    for (let start = 0; start < windows.length; start += max) {
      const n = Math.min(max, windows.length - start);
      const b = this.bucketFor(n);
      let buf = this.inputs.get(b);
      if (!buf) {
        buf = new Float32Array(b * this.windowSize);
        this.inputs.set(b, buf);
      }
      for (let i = 0; i < n; i++) {
        const w = windows[start + i];
        if (w.length < this.windowSize)
          throw new RangeError(`window ${start + i} has ${w.length} values, expected ${this.windowSize}`);
        buf.set(w.length === this.windowSize ? w : w.subarray(0, this.windowSize), i * this.windowSize);
      }
      // Padding rows repeat the last real window (finite values; their outputs are dropped).
      for (let i = n; i < b; i++) buf.copyWithin(i * this.windowSize, (n - 1) * this.windowSize, n * this.windowSize);
      const data = tf.tidy(() => {
        const x = tf.tensor3d(buf!, [b, this.frames, this.features]);
        const y = this.model.predict(x) as tf.Tensor;
        return y.dataSync() as Float32Array;
      });
      this.modelCalls++;
      out.set(data.subarray(0, n * L), start * L);
    }
    return out;
  }

  /** Sum of the high-arousal-negative label probabilities (anger + fear) for window i of a predict() result. */
  highArousalNegative(probs: Float32Array, i: number): number {
    const L = this.labels.length;
    let s = 0;
    for (const j of this.hanIdx) s += probs[i * L + j];
    return s;
  }

  /** Run every bucket once so the first real call pays no shape set-up. */
  warmUp(): void {
    for (const b of this.buckets) this.predict(Array.from({ length: b }, () => new Float32Array(this.windowSize)));
  }
}
