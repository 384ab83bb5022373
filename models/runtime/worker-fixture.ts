import { parentPort, workerData } from 'node:worker_threads';
import { DEFAULT_FRONT_END } from '../../actors/features/front-end-config.js';
import { selectBackend } from './backend.js';
import { loadModelDir } from './model-files.js';
import { BatchedPredictor } from './predictor.js';

/**
 * Test fixture: a worker thread that does what an engine pool worker does at start-up (choose a backend, load the
 * model once) and then answers predict requests synchronously. Used by worker.test.ts.
 */
const lines: string[] = [];
const backend = await selectBackend({ logger: { info: (_o, m) => lines.push(m), warn: (_o, m) => lines.push(m) } });
const { model, manifest } = await loadModelDir((workerData as { dir: string }).dir, DEFAULT_FRONT_END);
const predictor = new BatchedPredictor(model, manifest);
parentPort!.on('message', (msg: { windows: Float32Array[] } | 'close') => {
  if (msg === 'close') {
    model.dispose();
    parentPort!.close();
    return;
  }
  const probs = predictor.predict(msg.windows);
  parentPort!.postMessage({ probs, calls: predictor.modelCalls });
});
parentPort!.postMessage({ ready: true, backend: backend.name, log: lines });
