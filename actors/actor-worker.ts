import { workerData } from 'node:worker_threads';
import { ActorStep, type StepCall, type StepOutcome } from './actor-step.js';
import { frontEndGeometry, type FrontEndConfig } from './features/front-end-config.js';
import { exposeWorkerControl, workerCounters } from './worker-control.js';

/** Settings every pool worker is started with (piscina workerData). */
export interface ActorWorkerData {
  frontEnd: FrontEndConfig;
  maxChunkSamples: number;
  minChunkSamples: number;
  chunksPerStep: number;
}

/** A task: the calls this worker should advance now. */
export interface StepTask {
  calls: StepCall[];
}

/** Per-call result; `error` set when the call's slab could not be stepped at all. */
export interface StepTaskResult {
  outcomes: Array<StepOutcome | { callId: string; error: { code: string; message: string } }>;
}

const data = workerData as ActorWorkerData;
const step = new ActorStep(frontEndGeometry(data.frontEnd), data.maxChunkSamples, data.minChunkSamples, data.chunksPerStep);
exposeWorkerControl();

/** piscina entry point: stateless between tasks, every call resumes from its slab. */
export default function runStep(task: StepTask): StepTaskResult {
  const outcomes: StepTaskResult['outcomes'] = [];
  workerCounters.tasks++;
  for (const call of task.calls) {
    workerCounters.callSteps++;
    try {
      outcomes.push(step.run(call));
    } catch (err) {
      const e = err as { code?: string; message?: string };
      outcomes.push({ callId: call.slab.callId, error: { code: e.code ?? 'CG_ACTOR_EXCEPTION', message: String(e.message ?? err) } });
    }
  }
  return { outcomes };
}
