import { Lifecycle, type LifecycleState } from '../../common/lifecycle.js';
import type { Logger } from '../logger.js';

/** One kind of kept data with a retention limit: deletes what is past it at `now` and says how many items went. */
export interface RetentionTask {
  /** Metric label and log key: 'alert_records', 'sms_outbox', 'captures'. */
  readonly kind: string;
  purge(now: number): Promise<number> | number;
}

/**
 * Enforces retention limits: one sweep at start-up (so data that aged while the engine was stopped goes first), then
 * one every `intervalMs`. The clock is injected so tests move time instead of waiting. A task that fails is logged and
 * retried at the next sweep; the others still run. Lifecycle (common/lifecycle.ts): start() -> close().
 */
export class RetentionSweeper {
  /** Items deleted so far, by kind (exported as a Prometheus counter). */
  readonly purged: Record<string, number> = {};
  sweeps = 0;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private readonly life = new Lifecycle();
  private started: Promise<void> | null = null;

  constructor(
    private readonly tasks: readonly RetentionTask[],
    private readonly intervalMs: number,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    for (const t of tasks) this.purged[t.kind] = 0;
  }

  /** Where the sweeper is in its lifecycle: 'running' once the first sweep is done and the interval set. */
  get state(): LifecycleState {
    return this.life.state;
  }

  /**
   * Idempotent: sweeps once now, then every interval until close() (a second call waits for the same first sweep).
   * A close() during the first sweep wins: no interval is set after it.
   */
  start(): Promise<void> {
    if (this.life.state !== 'idle') return this.started ?? Promise.resolve();
    this.life.state = 'starting';
    this.started = this.sweep().then(() => {
      if (this.life.state !== 'starting') return;
      this.timer = setInterval(() => void this.sweep(), this.intervalMs);
      this.timer.unref();
      this.life.state = 'running';
    });
    return this.started;
  }

  /** One sweep over every task (a sweep asked for while one runs waits for it instead of overlapping). */
  sweep(): Promise<void> {
    this.running ??= this.runOnce().finally(() => (this.running = null));
    return this.running;
  }

  private async runOnce(): Promise<void> {
    const now = this.now();
    for (const t of this.tasks) {
      try {
        const n = await t.purge(now);
        this.purged[t.kind] += n;
        if (n) this.log.info({ kind: t.kind, purged: n }, 'retention: deleted records past their limit');
      } catch (err) {
        this.log.error(
          { kind: t.kind, err: (err as Error).message },
          'retention sweep failed; retried at the next sweep',
        );
      }
    }
    this.sweeps++;
  }

  /** Idempotent: stops the interval and waits for a sweep under way; every call waits. */
  close(): Promise<void> {
    return this.life.close(() => this.shutdown());
  }

  private async shutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}
