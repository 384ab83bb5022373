import * as tf from '@tensorflow/tfjs';
import { TemporalStdPooling } from '../runtime/layers.js';

/**
 * The emotion network. Training runs on the wasm backend, which has no Conv2DBackpropFilter kernel, so "convolutions"
 * are written as patch reshapes + Dense: reshape [T, F] → [T/2, 2F] then a Dense is exactly a Conv1D with kernel 2
 * and stride 2. Three such levels (20, 40, 80 ms receptive field per output) then global average + max (+ std) pooling
 * over time (pooling keeps partial, wrap-padded windows meaningful), optionally attention pooling, and a softmax.
 * Only standard layers and the registered std pooling: the runtime loads it.
 */

export interface ArchConfig {
  kind: 'pyramid';
  /** Units of the patch levels (each level halves the time axis). */
  units: number[];
  /** Dropout after each patch level and before the classifier. */
  dropout: number;
  headDropout: number;
  /** Optional hidden layer in the head (0 = none). */
  headUnits: number;
  l2: number;
  /** Add standard-deviation pooling over time to the average and max pooling. */
  stdPool: boolean;
  /**
   * Add attention pooling (a learned score per time step, softmax over time, the weighted sum of the last level):
   * lets the net weigh the emotional stretches of a window over its pauses. Absent = off (v1 and v2's graph).
   */
  attentionPool?: boolean;
}

/**
 * `--units 64,64,64`: units of each level of the pyramid (as many levels as numbers), checked against the window
 * (each level halves the frames) before hours of feature extraction find out.
 */
export function parseUnits(spec: string, frames: number): number[] {
  const units = spec.split(',').map(Number);
  if (units.some((u) => !Number.isInteger(u) || u < 1))
    throw new Error(`--units ${spec}: expected whole numbers >= 1 separated by commas, e.g. 128,128,128`);
  if (frames % 2 ** units.length !== 0)
    throw new Error(`--units ${spec}: ${units.length} levels cannot halve a ${frames}-frame window each time`);
  return units;
}

export const DEFAULT_ARCH: ArchConfig = {
  kind: 'pyramid',
  units: [128, 128, 128],
  dropout: 0.1,
  headDropout: 0.3,
  headUnits: 0,
  l2: 1e-4,
  stdPool: true,
};

export function buildModel(
  arch: ArchConfig,
  frames: number,
  features: number,
  classes: number,
  seed: number,
): tf.LayersModel {
  let s = seed;
  const init = () => tf.initializers.glorotUniform({ seed: s++ });
  const reg = arch.l2 > 0 ? () => tf.regularizers.l2({ l2: arch.l2 }) : () => undefined;
  const input = tf.input({ shape: [frames, features], name: 'window' });
  let x = input as tf.SymbolicTensor;
  let t = frames;
  let f = features;
  arch.units.forEach((u, i) => {
    if (t % 2) throw new RangeError(`frames ${frames} cannot be halved ${arch.units.length} times`);
    t /= 2;
    x = tf.layers.reshape({ targetShape: [t, 2 * f], name: `patch${i}` }).apply(x) as tf.SymbolicTensor;
    x = tf.layers
      .dense({ units: u, activation: 'relu', kernelInitializer: init(), kernelRegularizer: reg(), name: `level${i}` })
      .apply(x) as tf.SymbolicTensor;
    if (arch.dropout > 0) x = tf.layers.dropout({ rate: arch.dropout, name: `drop${i}` }).apply(x) as tf.SymbolicTensor;
    f = u;
  });
  const avg = tf.layers.globalAveragePooling1d({ name: 'avgpool' }).apply(x) as tf.SymbolicTensor;
  const max = tf.layers.globalMaxPooling1d({ name: 'maxpool' }).apply(x) as tf.SymbolicTensor;
  const pools = [avg, max];
  if (arch.stdPool) pools.push(new TemporalStdPooling({ name: 'stdpool' }).apply(x) as tf.SymbolicTensor);
  if (arch.attentionPool) {
    // Standard layers only, so the runtime loads it without a custom layer: [t, u] → score [t, 1] → weights over
    // time → [1, u] = weightsᵀ · x.
    const score = tf.layers
      .dense({ units: 1, kernelInitializer: init(), name: 'attnscore' })
      .apply(x) as tf.SymbolicTensor;
    // TF.js's softmax takes only the last axis: flatten to [t], softmax, back to [t, 1].
    const flat = tf.layers.flatten({ name: 'attnscores' }).apply(score) as tf.SymbolicTensor;
    const soft = tf.layers.softmax({ name: 'attnsoftmax' }).apply(flat) as tf.SymbolicTensor;
    const weights = tf.layers.reshape({ targetShape: [t, 1], name: 'attnweights' }).apply(soft) as tf.SymbolicTensor;
    const pooled = tf.layers.dot({ axes: 1, name: 'attnpool' }).apply([weights, x]) as tf.SymbolicTensor;
    pools.push(tf.layers.flatten({ name: 'attnflat' }).apply(pooled) as tf.SymbolicTensor);
  }
  let h = tf.layers.concatenate({ name: 'pool' }).apply(pools) as tf.SymbolicTensor;
  if (arch.headUnits > 0) {
    if (arch.headDropout > 0)
      h = tf.layers.dropout({ rate: arch.headDropout, name: 'drophead0' }).apply(h) as tf.SymbolicTensor;
    h = tf.layers
      .dense({
        units: arch.headUnits,
        activation: 'relu',
        kernelInitializer: init(),
        kernelRegularizer: reg(),
        name: 'head',
      })
      .apply(h) as tf.SymbolicTensor;
  }
  if (arch.headDropout > 0)
    h = tf.layers.dropout({ rate: arch.headDropout, name: 'drophead' }).apply(h) as tf.SymbolicTensor;
  const out = tf.layers
    .dense({ units: classes, activation: 'softmax', kernelInitializer: init(), name: 'emotion' })
    .apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out, name: 'emotion' });
}
