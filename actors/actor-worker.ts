import { threadId, workerData } from 'node:worker_threads';
import { ActorStep, type InferenceStats, type StepOutcome, type WindowScorer } from './actor-step.js';
import { SLAB_UNKNOWN, SlabCache, type WireCall } from './slab-cache.js';
import { frontEndGeometry, type FrontEndConfig } from './features/front-end-config.js';
import type { SpectralStageName } from './features/spectral-stage.js';
import type { PolicyConfig } from './policy/risk-policy.js';
import { exposeWorkerControl, workerCounters } from './worker-control.js';
import { createWindowScorer, type ModelSettings } from './window-scorer.js';
import { backendMemoryBytes } from '../models/runtime/backend.js';

/** Settings every pool worker is started with (piscina workerData). */
export interface ActorWorkerData {
  frontEnd: FrontEndConfig;
  /** Largest chunk of a leg per round, in seconds (at the leg's own rate). */
  maxChunkSeconds: number;
  minChunkSamples: number;
  chunksPerStep: number;
  policy: PolicyConfig;
  /** The emotion model to load once at start-up, or null for acoustic cues only. */
  model: ModelSettings | null;
  /** engine.spectralStage: the front-end's own spectral stage, or meyda's (load-test comparison). */
  spectralStage: SpectralStageName;
}

/** A task: the calls this worker should advance now (their slabs only until this worker has them, slab-cache.ts). */
export interface StepTask {
  calls: WireCall[];
}

/** Per-call result; `error` set when the call's slab could not be stepped at all. */
export interface StepTaskResult {
  outcomes: Array<StepOutcome | { callId: string; error: { code: string; message: string } }>;
  /** The task's model predicts (batch sizes and durations), for the engine's inference metrics. */
  inference: InferenceStats;
  /** The worker that ran it: it now holds the slabs of the calls it stepped. */
  threadId: number;
}

const data = workerData as ActorWorkerData;
const g = frontEndGeometry(data.frontEnd);
// Each worker loads the model once (top-level await: piscina waits for the module before sending tasks).
let scorer: WindowScorer | null = null;
if (data.model) {
  const loaded = await createWindowScorer(g, data.model);
  scorer = loaded.scorer;
  // Reported through the control channel (describe), which the supervisor logs: workers do not write logs themselves.
  workerCounters.model = { name: loaded.name, backend: loaded.backend };
  workerCounters.backendMemoryBytes = backendMemoryBytes;
}
const step = new ActorStep(
  g,
  data.maxChunkSeconds,
  data.minChunkSamples,
  data.chunksPerStep,
  data.policy,
  scorer,
  data.spectralStage,
);
exposeWorkerControl();

/** piscina entry point: stateless between tasks, every call resumes from its slab. */
export default function runStep(task: StepTask): StepTaskResult {
  workerCounters.tasks++;
  workerCounters.callSteps += task.calls.length;
  const { known, unknown } = slabs.resolve(task.calls);
  const outcomes: StepTaskResult['outcomes'] = step.runTask(known);
  for (const w of unknown)
    outcomes.push({
      callId: w.callId,
      error: { code: SLAB_UNKNOWN, message: `worker ${threadId} has no slab for the call` },
    });
  return { outcomes, inference: step.lastInference, threadId };
}

const slabs = new SlabCache();
