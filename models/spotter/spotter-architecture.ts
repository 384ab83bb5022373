import * as tf from '@tensorflow/tfjs';

/**
 * The keyword spotter's network, on the same 2 s windows of log-mel frames as the emotion model. Training runs on
 * the wasm backend (no Conv2DBackpropFilter there), so convolutions are patch reshapes + Dense (exactly a Conv1D
 * with kernel = stride): 10, 20, 40 ms, then 400 ms patches (200 → 100 → 50 → 25 → 5 positions). The head sees
 * the five 400 ms positions three ways: max and mean over them (a keyword anywhere in the window) and all five in order
 * (a phrase longer than one patch). Sigmoid per keyword class: a window may hold several or none.
 */
export interface SpotterArch {
  /** Units per patch level; factors: how many frames/positions each level joins. */
  units: number[];
  factors: number[];
  headUnits: number;
  dropout: number;
  l2: number;
}

export const DEFAULT_SPOTTER_ARCH: SpotterArch = {
  units: [64, 96, 128, 128],
  factors: [2, 2, 2, 5],
  headUnits: 128,
  dropout: 0.2,
  l2: 1e-4,
};

export function buildSpotter(
  arch: SpotterArch,
  frames: number,
  features: number,
  classes: number,
  seed: number,
): tf.LayersModel {
  let s = seed;
  const init = () => tf.initializers.glorotUniform({ seed: s++ });
  const reg = () => (arch.l2 > 0 ? tf.regularizers.l2({ l2: arch.l2 }) : undefined);
  const input = tf.input({ shape: [frames, features], name: 'window' });
  let x = input as tf.SymbolicTensor;
  let t = frames;
  let f = features;
  arch.units.forEach((u, i) => {
    const k = arch.factors[i];
    if (t % k) throw new RangeError(`${t} positions cannot be joined by ${k}`);
    t /= k;
    x = tf.layers.reshape({ targetShape: [t, k * f], name: `patch${i}` }).apply(x) as tf.SymbolicTensor;
    x = tf.layers
      .dense({ units: u, activation: 'relu', kernelInitializer: init(), kernelRegularizer: reg(), name: `level${i}` })
      .apply(x) as tf.SymbolicTensor;
    f = u;
  });
  const max = tf.layers.globalMaxPooling1d({ name: 'maxpool' }).apply(x) as tf.SymbolicTensor;
  const avg = tf.layers.globalAveragePooling1d({ name: 'avgpool' }).apply(x) as tf.SymbolicTensor;
  const flat = tf.layers.flatten({ name: 'positions' }).apply(x) as tf.SymbolicTensor;
  let h = tf.layers.concatenate({ name: 'pool' }).apply([max, avg, flat]) as tf.SymbolicTensor;
  if (arch.dropout > 0) h = tf.layers.dropout({ rate: arch.dropout, name: 'drophead0' }).apply(h) as tf.SymbolicTensor;
  h = tf.layers
    .dense({
      units: arch.headUnits,
      activation: 'relu',
      kernelInitializer: init(),
      kernelRegularizer: reg(),
      name: 'head',
    })
    .apply(h) as tf.SymbolicTensor;
  if (arch.dropout > 0) h = tf.layers.dropout({ rate: arch.dropout, name: 'drophead' }).apply(h) as tf.SymbolicTensor;
  const out = tf.layers
    .dense({ units: classes, activation: 'sigmoid', kernelInitializer: init(), name: 'keywords' })
    .apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out, name: 'spotter' });
}
