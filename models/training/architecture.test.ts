import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import '../runtime/layers.js';
import { DEFAULT_ARCH, buildModel } from './architecture.js';

const arch = { ...DEFAULT_ARCH, units: [8, 8, 8], attentionPool: true };

test('attention pooling adds a score per time step and one more pooled vector to the head', async () => {
  await tf.setBackend('cpu');
  const plain = buildModel({ ...arch, attentionPool: false }, 64, 5, 7, 3);
  const attn = buildModel(arch, 64, 5, 7, 3);
  // score kernel 8 + bias 1; the head sees 8 more inputs per class.
  assert.is(attn.countParams(), plain.countParams() + 8 + 1 + 8 * 7);
  assert.equal(attn.outputs[0].shape, [null, 7]);
  plain.dispose();
  attn.dispose();
});

test('with a flat score it is the average over time; weights always sum to one', async () => {
  await tf.setBackend('cpu');
  const m = buildModel(arch, 64, 5, 7, 3);
  const probe = tf.model({
    inputs: m.inputs,
    outputs: [
      m.getLayer('avgpool').output,
      m.getLayer('attnflat').output,
      m.getLayer('attnsoftmax').output,
    ] as tf.SymbolicTensor[],
  });
  const x = tf.randomNormal([3, 64, 5], 0, 1, 'float32', 5);
  const [, , w] = (probe.predict(x) as tf.Tensor[]).map((t) => t.arraySync() as number[][]);
  w.forEach((row) => assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-5, 'weights sum to 1'));
  const score = m.getLayer('attnscore');
  score.setWeights(score.getWeights().map((t) => tf.zerosLike(t)));
  const [avg, att] = (probe.predict(x) as tf.Tensor[]).map((t) => t.arraySync() as number[][]);
  avg.forEach((row, i) => row.forEach((v, j) => assert.ok(Math.abs(v - att[i][j]) < 1e-5, `${i},${j}`)));
  m.dispose();
});

test('it serialises with standard layers: loaded back, it predicts the same', async () => {
  await tf.setBackend('cpu');
  const m = buildModel(arch, 64, 5, 7, 3);
  let saved: tf.io.ModelArtifacts | null = null;
  await m.save(
    tf.io.withSaveHandler(async (a) => {
      saved = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  const back = await tf.loadLayersModel(tf.io.fromMemory(saved!));
  const x = tf.randomNormal([2, 64, 5], 0, 1, 'float32', 9);
  const a = (m.predict(x) as tf.Tensor).dataSync();
  const b = (back.predict(x) as tf.Tensor).dataSync();
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) < 1e-6, `${i}`));
  m.dispose();
  back.dispose();
});

test.run();
