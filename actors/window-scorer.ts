import { assembleWindow } from '../models/runtime/window-features.js';
import { BatchedPredictor, DEFAULT_BUCKETS } from '../models/runtime/predictor.js';
import { loadModelDir } from '../models/runtime/model-files.js';
import { selectBackend, type BackendName } from '../models/runtime/backend.js';
import type { FrontEndGeometry } from './features/front-end-config.js';
import type { WindowScorer } from './actor-step.js';

/** Which model a worker loads and on which TF.js backend. */
export interface ModelSettings {
  dir: string;
  /** 'auto' tries tfjs-node (if installed), then wasm, then cpu. */
  backend: 'auto' | BackendName;
  /** Most windows per predict (model.maxBatch); 1 runs one predict per window. */
  maxBatch: number;
}

/** Load the model on the best backend and wrap it as the actor's scorer (reusable input buffers per batch slot). */
export async function createWindowScorer(g: FrontEndGeometry, s: ModelSettings): Promise<{ scorer: WindowScorer; name: string; backend: string; fallbacks: unknown }> {
  const quiet = { info: () => undefined, warn: () => undefined };
  const choice = await selectBackend({ prefer: s.backend === 'auto' ? undefined : [s.backend], logger: quiet });
  const loaded = await loadModelDir(s.dir, g.cfg);
  // Only the batch sizes a predict can have are padded to and warmed up: an unbatched scorer compiles batch 1 alone.
  const buckets = DEFAULT_BUCKETS.filter((b) => b < s.maxBatch).concat(s.maxBatch);
  const predictor = new BatchedPredictor(loaded.model, loaded.manifest, { buckets });
  predictor.warmUp();
  const size = loaded.manifest.window.frames * loaded.manifest.input.featureCount;
  const buffers: Float32Array[] = [];
  const scorer: WindowScorer = {
    labelCount: loaded.manifest.labels.length,
    maxBatch: s.maxBatch,
    assemble(history, historyRows, start, count, slot) {
      while (buffers.length <= slot) buffers.push(new Float32Array(size));
      return assembleWindow({ history, historyRows }, start, count, g, loaded.manifest, buffers[slot]);
    },
    predict: (inputs) => predictor.predict(inputs),
  };
  return { scorer, name: loaded.manifest.name, backend: choice.name, fallbacks: choice.fallbacks };
}
