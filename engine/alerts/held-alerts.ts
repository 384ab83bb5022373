import type { Logger } from '../logger.js';
import { StoreUnavailableError } from '../store/store.js';

/** Work that needs the store: an alert decision, or an alert record's state change. Each run must be idempotent. */
export interface StoreWork {
  kind: 'alert' | 'record';
  /** What it is about (an alertId), for logs. */
  key: string;
  /** Does the work; rejects with StoreUnavailableError while the store is down (the work is then held). */
  run(): Promise<void>;
  /** Still worth doing? An alert stops being relevant some time after its call ended; a record write always is. */
  relevant(): boolean;
  /** The work is dropped as no longer relevant (never run): it may leave work of its own, e.g. a record write. */
  expire?(): StoreWork | null;
}

export type HeldOutcome = 'held' | 'released' | 'expired' | 'failed';

/**
 * What the engine could not do because the store was down, in arrival order, retried every `retryMs` until the store
 * answers: alert decisions (fail closed: an alert whose consent cannot be checked is not sent, but kept here and sent
 * once it can be, if its call is still relevant) and alert record writes. In memory: it covers a store outage while
 * the engine runs (a PostgreSQL restart, fail-over); an engine that stops with work held logs how much it drops.
 * Each piece is idempotent end to end (the record insert, the ledger admission and the outbox are keyed by alertId),
 * so a retry after an answer lost mid-way sends nothing twice.
 */
export class HeldAlerts {
  private readonly items: StoreWork[] = [];
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private closed = false;
  /** Alert decisions per outcome since start (the metrics read them); failed counts record writes too. */
  readonly counts: Record<HeldOutcome, number> = { held: 0, released: 0, expired: 0, failed: 0 };

  constructor(
    private readonly retryMs: number,
    private readonly probe: () => Promise<boolean>,
    private readonly log: Logger,
  ) {}

  /** Work held now, by kind. */
  size(kind?: StoreWork['kind']): number {
    return kind ? this.items.filter((w) => w.kind === kind).length : this.items.length;
  }

  /**
   * Runs `w` now unless older work is still held (order is kept: a record's states must not overtake each other);
   * holds it when the store is down. Resolves once it ran or was held; other errors are logged and the work dropped.
   */
  async submit(w: StoreWork): Promise<'done' | 'held'> {
    if (this.items.length === 0 && !this.closed) {
      try {
        await w.run();
        return 'done';
      } catch (err) {
        if (!(err instanceof StoreUnavailableError)) {
          this.dropFailed(w, err);
          return 'done';
        }
      }
    }
    this.hold(w);
    return 'held';
  }

  private hold(w: StoreWork): void {
    this.items.push(w);
    if (w.kind === 'alert') this.counts.held++;
    if (w.kind === 'alert')
      this.log.warn(
        { alertId: w.key, held: this.items.length },
        "store unavailable: alert held, not sent until the subscriber's consent can be checked",
      );
    this.arm();
  }

  private dropFailed(w: StoreWork, err: unknown): void {
    this.counts.failed++;
    this.log.error(
      { key: w.key, kind: w.kind, err: (err as Error).message },
      'store work failed (not an outage): dropped',
    );
  }

  private arm(): void {
    if (this.timer || this.closed || this.items.length === 0) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.retry();
    }, this.retryMs);
  }

  /** One round: probe the store, then run the held work in order until it is all done or the store fails again. */
  async retry(): Promise<void> {
    if (this.running || this.closed) return;
    this.running = true;
    try {
      if (!(await this.probe())) return;
      while (this.items.length && !this.closed) {
        const w = this.items[0];
        if (!w.relevant()) {
          this.items.shift();
          if (w.kind === 'alert') this.counts.expired++;
          this.log.warn(
            { key: w.key, kind: w.kind },
            'held work no longer relevant (its call ended too long ago): dropped',
          );
          const next = w.expire?.();
          if (next) this.items.unshift(next);
          continue;
        }
        try {
          await w.run();
          this.items.shift();
          if (w.kind === 'alert') {
            this.counts.released++;
            this.log.info({ alertId: w.key }, 'store answers again: held alert decided');
          }
        } catch (err) {
          if (err instanceof StoreUnavailableError) return;
          this.items.shift();
          this.dropFailed(w, err);
        }
      }
    } finally {
      this.running = false;
      this.arm();
    }
  }

  /** Stops retrying; what is still held is logged (it would be re-decided by nobody). */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.items.length)
      this.log.warn(
        { alerts: this.size('alert'), records: this.size('record') },
        'engine stopping with store work held: dropped',
      );
  }
}
