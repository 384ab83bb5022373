import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';
import { MessageChannel, parentPort, threadId, type MessagePort } from 'node:worker_threads';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { threadCpuSeconds } from '../common/thread-cpu.js';

/** What a pool worker says about itself over its control channel. */
export interface WorkerDescription {
  threadId: number;
  startedAt: string;
  heapUsedBytes: number;
  /** V8 heap this thread has committed (used plus free pages it holds): what the process RSS sees of it. */
  heapTotalBytes: number;
  /** Bytes committed per V8 heap space (new_space, old_space, code_space, large_object_space, ...): which one grows. */
  heapSpaces: Record<string, number>;
  /**
   * The most this thread's V8 heap may reach (old generation limit plus young generation), from its resource limits.
   */
  heapLimitBytes: number;
  /** Memory outside the V8 heap that this isolate accounts for (ArrayBuffers, SharedArrayBuffers it holds views of). */
  externalBytes: number;
  /** The model backend's own memory (the wasm linear memory), null when the backend has none or no model runs. */
  backendMemoryBytes: number | null;
  /** CPU seconds this thread has used (measured on it: common/thread-cpu.ts); null where the platform cannot say. */
  cpuSeconds: number | null;
  tasks: number;
  callSteps: number;
  /** Filled in by the model runtime once a model is loaded in this worker. */
  model: { name: string; backend: string } | null;
}

/** The RPC surface each worker exposes to the supervisor (comlink over a dedicated MessagePort, not the task path). */
export interface WorkerControlApi {
  describe(): WorkerDescription;
  ping(): number;
}

/** Message a worker posts once at start-up to hand the supervisor its control port. */
export interface ControlHello {
  type: 'callguard-control';
  threadId: number;
  port: MessagePort;
}

const startedAt = new Date().toISOString();
export const workerCounters = {
  tasks: 0,
  callSteps: 0,
  model: null as WorkerDescription['model'],
  /** Set by the model runtime once loaded: reads its backend's memory. */
  backendMemoryBytes: null as (() => number | null) | null,
};

/** Expose the control API on a fresh channel and post its other end to the pool owner. */
export function exposeWorkerControl(): void {
  if (!parentPort) return;
  const { port1, port2 } = new MessageChannel();
  const api: WorkerControlApi = {
    describe: () => {
      const m = process.memoryUsage();
      const heapSpaces: Record<string, number> = {};
      for (const s of getHeapSpaceStatistics()) heapSpaces[s.space_name] = s.space_size;
      return {
        threadId,
        startedAt,
        heapUsedBytes: m.heapUsed,
        heapTotalBytes: m.heapTotal,
        heapSpaces,
        heapLimitBytes: getHeapStatistics().heap_size_limit,
        externalBytes: m.external,
        backendMemoryBytes: workerCounters.backendMemoryBytes?.() ?? null,
        cpuSeconds: threadCpuSeconds(),
        tasks: workerCounters.tasks,
        callSteps: workerCounters.callSteps,
        model: workerCounters.model,
      };
    },
    ping: () => Date.now(),
  };
  Comlink.expose(api, nodeEndpoint(port1 as unknown as Parameters<typeof nodeEndpoint>[0]));
  // The control port must not keep an idle worker alive on its own.
  port1.unref();
  const hello: ControlHello = { type: 'callguard-control', threadId, port: port2 };
  parentPort.postMessage(hello, [port2]);
}
