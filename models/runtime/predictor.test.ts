import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { DEFAULT_FRONT_END } from '../../actors/features/front-end-config.js';
import { selectBackend } from './backend.js';
import { loadModelDir, type LoadedModel } from './model-files.js';
import { BatchedPredictor } from './predictor.js';
import { shippedModelDir } from './shipped-model.js';
import { Prng } from '../training/prng.js';

const quiet = { info: () => {}, warn: () => {} };
let loaded: LoadedModel;

test.before(async () => {
  await selectBackend({ prefer: ['wasm', 'cpu'], logger: quiet });
  loaded = await loadModelDir(shippedModelDir(), DEFAULT_FRONT_END);
});
test.after(() => {
  loaded.model.dispose();
});

function windows(n: number, rng: Prng, size: number): Float32Array[] {
  return Array.from({ length: n }, () => Float32Array.from({ length: size }, () => rng.normal()));
}

test('the shipped model fits the default front-end and is small', () => {
  assert.is(loaded.manifest.window.frames, 200);
  assert.ok(loaded.weightBytes < 1_000_000, `${loaded.weightBytes} bytes`);
  assert.equal(loaded.manifest.labels, ['anger', 'boredom', 'disgust', 'fear', 'happiness', 'sadness', 'neutral']);
});

test('one predict per call, rows are probabilities, batching does not change results', () => {
  const p = new BatchedPredictor(loaded.model, loaded.manifest);
  const size = p.frames * p.features;
  const ws = windows(5, new Prng(3), size);
  const calls = p.modelCalls;
  const batched = p.predict(ws);
  assert.is(p.modelCalls, calls + 1);
  assert.is(batched.length, 5 * 7);
  for (let i = 0; i < 5; i++) {
    const row = batched.subarray(i * 7, i * 7 + 7);
    assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-4);
    const single = p.predict([ws[i]]);
    for (let j = 0; j < 7; j++)
      assert.ok(Math.abs(single[j] - row[j]) < 1e-4, `window ${i} label ${j}: ${single[j]} vs ${row[j]}`);
  }
  assert.is(p.bucketFor(5), 8);
  assert.is(p.bucketFor(64), 64);
  // More than the largest bucket: split into bucket-sized predicts, order kept.
  const many = windows(70, new Prng(4), size);
  const before = p.modelCalls;
  const out = p.predict(many);
  assert.is(p.modelCalls, before + 2);
  const last = p.predict([many[69]]);
  for (let j = 0; j < 7; j++) assert.ok(Math.abs(out[69 * 7 + j] - last[j]) < 1e-4);
});

test('thousands of windows in varying batch sizes leave the tensor count flat', () => {
  const p = new BatchedPredictor(loaded.model, loaded.manifest);
  const size = p.frames * p.features;
  const rng = new Prng(11);
  const pool = windows(64, rng, size);
  p.warmUp();
  const tensors0 = tf.memory().numTensors;
  let total = 0;
  let round = 0;
  while (total < 3000) {
    const n = 1 + rng.int(round % 5 === 0 ? 90 : 40);
    p.predict(pool.slice(0, Math.min(n, 64)).concat(n > 64 ? pool.slice(0, n - 64) : []));
    total += n;
    round++;
    assert.is(tf.memory().numTensors, tensors0, `after ${round} calls`);
  }
  assert.ok(total >= 3000);
});

test('a short window is refused rather than read past its end', () => {
  const p = new BatchedPredictor(loaded.model, loaded.manifest);
  assert.throws(() => p.predict([new Float32Array(10)]), RangeError);
});

test.run();
