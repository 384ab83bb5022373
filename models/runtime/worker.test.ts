import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { shippedModelDir } from './shipped-model.js';

function next(w: Worker): Promise<any> {
  return new Promise((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', reject);
  });
}

test('a worker thread loads the model once and predicts batches synchronously on wasm', async () => {
  const w = new Worker(new URL('./worker-fixture.js', import.meta.url), { workerData: { dir: shippedModelDir() } });
  try {
    const ready = await next(w);
    assert.ok(ready.ready);
    assert.is(ready.backend, 'wasm');
    assert.ok(
      ready.log.some((l: string) => /tfjs backend: wasm/.test(l)),
      ready.log.join(' | '),
    );
    const m = JSON.parse(readFileSync(`${shippedModelDir()}/manifest.json`, 'utf8'));
    const size = m.window.frames * m.input.featureCount;
    const windows = Array.from({ length: 3 }, (_, k) =>
      Float32Array.from({ length: size }, (_, i) => Math.sin(i * 0.1 + k)),
    );
    const r = await next((w.postMessage({ windows }), w));
    assert.is(r.probs.length, 3 * 7);
    assert.is(r.calls, 1);
    for (let i = 0; i < 3; i++)
      assert.ok(
        Math.abs(Array.from(r.probs.subarray(i * 7, i * 7 + 7) as Float32Array).reduce((a, b) => a + b, 0) - 1) < 1e-4,
      );
  } finally {
    w.postMessage('close');
    await w.terminate();
  }
});

test.run();
