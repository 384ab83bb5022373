import { Piscina } from 'piscina';
import type { ActorWorkerData, StepTask, StepTaskResult } from '../actors/actor-worker.js';

/**
 * The worker-thread pool (piscina) that executes actor steps. Workers hold no call state (it lives in each call's
 * slab), so piscina's own worker replacement is all the crash handling a worker needs.
 */
export class ActorPool {
  private readonly pool: Piscina;

  constructor(readonly threads: number, data: ActorWorkerData) {
    this.pool = new Piscina({
      filename: new URL('../actors/actor-worker.js', import.meta.url).href,
      minThreads: threads,
      maxThreads: threads,
      concurrentTasksPerWorker: 1,
      idleTimeout: 2 ** 31 - 1,
      workerData: data,
    });
  }

  /** Run one step task on whichever worker is free. */
  run(task: StepTask): Promise<StepTaskResult> {
    return this.pool.run(task) as Promise<StepTaskResult>;
  }

  /** The live worker threads (for the crash test and diagnostics). */
  get workers() {
    return this.pool.threads;
  }

  /** Tasks queued inside piscina (the supervisor keeps this at zero by never over-submitting). */
  get queued(): number {
    return this.pool.queueSize;
  }

  close(): Promise<void> {
    return this.pool.close({ force: true }) as Promise<void>;
  }
}
