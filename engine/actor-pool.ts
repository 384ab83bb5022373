import { Worker } from 'node:worker_threads';
import { EventEmitter } from 'node:events';
import { Piscina } from 'piscina';
import type { ActorWorkerData, StepTask, StepTaskResult } from '../actors/actor-worker.js';
import { Lifecycle, type LifecycleState } from '../common/lifecycle.js';

/**
 * Node flags for the actor workers: the process's own that a worker accepts (V8 flags such as --expose-gc are
 * process-wide and refused in a worker's execArgv; a worker without execArgv would have inherited and ignored them),
 * with require(esm) turned off (see create()). A value given as its own argument follows its flag.
 */
export function workerExecArgv(parent: readonly string[]): string[] {
  // Probing flags starts threads: once per process and set of flags (a replaced pool asks again).
  const key = parent.join('\0');
  let args = execArgvCache.get(key);
  if (!args) execArgvCache.set(key, (args = probeWorkerExecArgv(parent)));
  return [...args];
}

const execArgvCache = new Map<string, string[]>();

function probeWorkerExecArgv(parent: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < parent.length; i++) {
    if (!parent[i].startsWith('-')) continue; // a value whose flag was left out
    const group = i + 1 < parent.length && !parent[i + 1].startsWith('-') ? [parent[i], parent[++i]] : [parent[i]];
    if (!group[0].includes('require-module') && acceptedByWorkers([...out, ...group])) out.push(...group);
  }
  // The flag exists from Node 20.17 (require(esm) itself from 20.19); older versions would refuse it.
  const off = '--no-experimental-require-module';
  return acceptedByWorkers([...out, off]) ? [...out, off] : out;
}

function acceptedByWorkers(flag: string[]): boolean {
  try {
    void new Worker('', { eval: true, execArgv: flag }).terminate();
    return true;
  } catch {
    return false;
  }
}

/**
 * The worker-thread pool (piscina) that executes actor steps. Workers hold no call state (it lives in each call's
 * slab), so a lost worker costs only the task it was running, which the supervisor resubmits.
 *
 * piscina replaces a worker that dies after start-up, but once any worker dies during its bootstrap it stops
 * replacing workers for good (its `workerFailsDuringBootstrap` latch), which would leave the engine with no threads.
 * So after every failed task this class checks the pool's size and, if it stays short, swaps in a fresh piscina pool
 * (with back-off, in case bootstrap itself is what fails). Emits 'replaced' with the number of replacements so far.
 *
 * Lifecycle (common/lifecycle.ts): new ActorPool() -> start() (threads spawn in the background) -> close().
 */
export class ActorPool extends EventEmitter {
  private pool: Piscina | null = null;
  private healthTimer: NodeJS.Timeout | null = null;
  private watchdog: NodeJS.Timeout | null = null;
  private backoffMs = 100;
  private readonly life = new Lifecycle();
  /** Times the whole pool was rebuilt because it could not restore its workers. */
  replacements = 0;

  /** `youngGenerationMb`: each worker's V8 young generation (see pool.youngGenerationMb in the config). */
  constructor(
    readonly threads: number,
    private readonly data: ActorWorkerData,
    private readonly youngGenerationMb?: number,
  ) {
    super();
  }

  /** Where the pool is in its lifecycle: tasks run only once it was started. */
  get state(): LifecycleState {
    return this.life.state;
  }

  /**
   * Idempotent and synchronous: creates the piscina pool, whose threads start in the background (tasks queue until
   * one is up), and the health watchdog. A closed pool stays closed.
   */
  start(): void {
    if (this.life.state !== 'idle') return;
    this.pool = this.create();
    // piscina says nothing when an idle worker dies, so failed tasks are not the only trigger.
    this.watchdog = setInterval(() => this.checkSoon(), 1000);
    this.watchdog.unref();
    this.life.state = 'running';
  }

  private create(): Piscina {
    const pool = new Piscina({
      filename: new URL('../actors/actor-worker.js', import.meta.url).href,
      minThreads: this.threads,
      maxThreads: this.threads,
      concurrentTasksPerWorker: 1,
      // 'async' waits with Atomics.waitAsync, so an idle worker's event loop still runs its comlink control channel.
      atomics: 'async',
      idleTimeout: 2 ** 31 - 1,
      resourceLimits: this.youngGenerationMb ? { maxYoungGenerationSizeMb: this.youngGenerationMb } : {},
      workerData: this.data,
      // piscina loads the worker with require() and falls back to import(); with require(esm) on (Node 20.19+) it
      // require()s our ESM worker, whose top-level await makes Node retry with import() and can race into a fatal
      // "v8::Module::IsGraphAsync must be used on an instantiated module" abort (seen in the CLI tests). Off in the
      // workers, require() of ESM throws at once and piscina imports it, as on earlier Node versions.
      execArgv: workerExecArgv(process.execArgv),
    });
    // Messages a worker posts outside the task path (its control hello) are passed on.
    pool.on('message', (m: unknown) => this.emit('worker-message', m));
    pool.on('error', (err: unknown) => this.emit('worker-error', err));
    return pool;
  }

  /** Run one step task on whichever worker is free. */
  run(task: StepTask): Promise<StepTaskResult> {
    const pool = this.pool;
    if (!pool) return Promise.reject(new Error('actor pool is not started'));
    return (pool.run(task) as Promise<StepTaskResult>).catch(async (err: unknown) => {
      this.checkSoon();
      const closing = this.closing.get(pool);
      if (pool !== this.pool && closing) {
        // The task belonged to a pool that was replaced: wait until its threads have really exited before the
        // supervisor resubmits the calls, so a ring never has two consumers; and mark it as nobody's fault.
        await closing;
        throw Object.assign(err instanceof Error ? err : new Error(String(err)), { poolReplaced: true });
      }
      throw err;
    });
  }

  private readonly closing = new WeakMap<Piscina, Promise<void>>();

  private checkSoon(): void {
    if (this.healthTimer || this.life.state !== 'running') return;
    this.healthTimer = setTimeout(() => {
      this.healthTimer = null;
      if (this.life.state !== 'running' || !this.pool || this.pool.threads.length >= this.threads) {
        this.backoffMs = 100;
        return;
      }
      // Still short after the grace period: piscina will not restore it. Rebuild; tasks queued on the old pool are
      // rejected by its close and resubmitted by the supervisor.
      const old = this.pool;
      this.pool = this.create();
      this.replacements++;
      this.backoffMs = Math.min(this.backoffMs * 2, 30000);
      this.closing.set(old, old.close({ force: true }).catch(() => undefined) as Promise<void>);
      this.emit('replaced', this.replacements);
      this.checkSoon();
    }, this.backoffMs);
  }

  /** The live worker threads (for the crash test and diagnostics). */
  get workers(): Piscina['threads'] {
    return this.pool?.threads ?? [];
  }

  /** Tasks queued inside piscina (the supervisor keeps this near zero by never over-submitting). */
  get queued(): number {
    return this.pool?.queueSize ?? 0;
  }

  /** Idempotent: stops the watchdog and terminates the threads (tasks in flight are rejected); every call waits. */
  close(): Promise<void> {
    return this.life.close(() => this.shutdown());
  }

  private async shutdown(): Promise<void> {
    if (this.watchdog) clearInterval(this.watchdog);
    if (this.healthTimer) clearTimeout(this.healthTimer);
    await this.pool?.close({ force: true });
  }
}
