import { assembleWindow } from '../models/runtime/window-features.js';
import { BatchedPredictor, DEFAULT_BUCKETS } from '../models/runtime/predictor.js';
import { loadModelDir } from '../models/runtime/model-files.js';
import { selectBackend, type BackendName } from '../models/runtime/backend.js';
import type { FrontEndGeometry } from './features/front-end-config.js';
import type { WindowScorer } from './actor-step.js';
import { CallguardError } from '../common/errors.js';

/** Which model a worker loads and on which TF.js backend. */
export interface ModelSettings {
  dir: string;
  /** 'auto' tries tfjs-node (if installed), then wasm, then cpu. */
  backend: 'auto' | BackendName;
  /** Most windows per predict (model.maxBatch); 1 runs one predict per window. */
  maxBatch: number;
  /** The keyword spotter's model directory, run on the same windows in the same round; null: no spotter. */
  spotterDir?: string | null;
}

/** Load the model on the best backend and wrap it as the actor's scorer (reusable input buffers per batch slot). */
export async function createWindowScorer(
  g: FrontEndGeometry,
  s: ModelSettings,
): Promise<{ scorer: WindowScorer; name: string; backend: string; fallbacks: unknown }> {
  const quiet = { info: () => undefined, warn: () => undefined };
  const choice = await selectBackend({ prefer: s.backend === 'auto' ? undefined : [s.backend], logger: quiet });
  const loaded = await loadModelDir(s.dir, g.cfg);
  // Only the batch sizes a predict can have are padded to and warmed up: an unbatched scorer compiles batch 1 alone.
  const buckets = DEFAULT_BUCKETS.filter((b) => b < s.maxBatch).concat(s.maxBatch);
  const predictor = new BatchedPredictor(loaded.model, loaded.manifest, { buckets });
  predictor.warmUp();
  const scorer: WindowScorer = { ...windowModel(g, loaded, predictor), maxBatch: s.maxBatch };
  let spotterName: string | null = null;
  if (s.spotterDir) {
    const spot = await loadModelDir(s.spotterDir, g.cfg);
    if (spot.manifest.task !== 'keywords')
      throw new CallguardError(
        'CG_MODEL_MISMATCH',
        `${s.spotterDir} is not a keyword spotter (task ${spot.manifest.task})`,
        { setting: 'model.spotterDir' },
      );
    const sp = new BatchedPredictor(spot.model, spot.manifest, { buckets });
    sp.warmUp();
    scorer.keywords = { ...windowModel(g, spot, sp), categories: spot.manifest.keywordCategories ?? [] };
    spotterName = spot.manifest.name;
  }
  return {
    scorer,
    name: spotterName ? `${loaded.manifest.name}+${spotterName}` : loaded.manifest.name,
    backend: choice.name,
    fallbacks: choice.fallbacks,
  };
}

/** Window assembly (a reusable input buffer per batch position) and batched predict of one loaded model. */
function windowModel(
  g: FrontEndGeometry,
  loaded: Awaited<ReturnType<typeof loadModelDir>>,
  predictor: BatchedPredictor,
) {
  const size = loaded.manifest.window.frames * loaded.manifest.input.featureCount;
  const buffers: Float32Array[] = [];
  return {
    labelCount: loaded.manifest.labels.length,
    assemble(history: Float32Array, historyRows: number, start: number, count: number, slot: number): Float32Array {
      while (buffers.length <= slot) buffers.push(new Float32Array(size));
      return assembleWindow({ history, historyRows }, start, count, g, loaded.manifest, buffers[slot]);
    },
    predict: (inputs: Float32Array[]) => predictor.predict(inputs),
  };
}
