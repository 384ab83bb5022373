import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { DEFAULT_ARCH } from './architecture.js';
import { buildModel } from './architecture.js';
import { sliceHead } from './head-slice.js';

test('a 9-output model cut to 7 gives the 9-output softmax renormalised over its first 7 classes', async () => {
  await tf.setBackend('cpu');
  const arch = { ...DEFAULT_ARCH, units: [8, 8, 8] };
  const full = buildModel(arch, 16, 5, 9, 3);
  // Random head bias so the cut columns carry real probability mass.
  const emotion = full.getLayer('emotion');
  const [k] = emotion.getWeights();
  emotion.setWeights([k, tf.randomNormal([9], 0, 1, 'float32', 7)]);
  const cut = sliceHead(full, arch, 16, 5, 7);
  assert.equal(cut.outputs[0].shape, [null, 7]);
  assert.is(cut.countParams(), full.countParams() - (k.shape[0] + 1) * 2);
  const x = tf.randomNormal([4, 16, 5], 0, 1, 'float32', 11);
  const p9 = (full.predict(x) as tf.Tensor).arraySync() as number[][];
  const p7 = (cut.predict(x) as tf.Tensor).arraySync() as number[][];
  p9.forEach((row, i) => {
    const mass = row.slice(0, 7).reduce((a, b) => a + b, 0);
    assert.ok(mass < 0.999, 'the training-only classes had some probability');
    row.slice(0, 7).forEach((p, j) => assert.ok(Math.abs(p / mass - p7[i][j]) < 1e-5, `${i},${j}`));
  });
  full.dispose();
  cut.dispose();
});

test.run();
