import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { open, type Database, type RootDatabase } from 'lmdb';
import { timeKey } from '../../smpp/time-keys.js';

/**
 * Delivery state of an alert as the operator sees it: `raised` until the SMS side answers, `refused` when the outbox
 * would not take it (opted out, rate limited, no number: see `reason`), then the SMS outbox's own states.
 */
export type AlertDeliveryState =
  'raised' | 'refused' | 'queued' | 'submitted' | 'delivered' | 'undeliverable' | 'expired' | 'failed';

/** One alert, kept for the operator: only what they need (number, time, score, explanation, delivery state). */
export interface AlertRecordView {
  alertId: string;
  callId: string;
  /** The protected subscriber the SMS is addressed to (E.164), null when SIPREC gave no number. */
  to: string | null;
  /** Epoch milliseconds when the policy raised it. */
  at: number;
  level: string;
  /** The call's risk score (0..1) when it was raised. */
  risk: number;
  explanation: string;
  state: AlertDeliveryState;
  reason: string | null;
}

const FINAL = new Set<AlertDeliveryState>(['refused', 'delivered', 'undeliverable', 'expired', 'failed']);

/**
 * The engine's persistent alert records (lmdb under `<data.dir>/alerts`), apart from the SMS outbox: the outbox keeps
 * what it needs to deliver, this keeps what the operator needs to answer "who was warned, when, why, did it arrive".
 * Records older than the retention limit are deleted by `purgeBefore` (the retention sweep).
 */
export class AlertRecords {
  private readonly root: RootDatabase;
  private readonly byTime: Database<AlertRecordView, string>;
  private readonly keys: Database<string, string>;

  constructor(dataDir: string) {
    const dir = join(resolve(dataDir), 'alerts');
    mkdirSync(dir, { recursive: true });
    this.root = open({ path: dir, maxDbs: 4 });
    this.byTime = this.root.openDB({ name: 'by-time' });
    this.keys = this.root.openDB({ name: 'keys' });
  }

  /** Stores a new alert (an alertId already stored is left alone: a replayed alert is the same alert). */
  add(r: AlertRecordView): Promise<boolean> {
    return this.root.transaction(() => {
      if (this.keys.doesExist(r.alertId)) return false;
      const k = timeKey(r.at, r.alertId);
      void this.keys.put(r.alertId, k);
      void this.byTime.put(k, r);
      return true;
    });
  }

  /**
   * Moves an alert to a new delivery state; unknown ids (service SMS, purged records) are ignored. A final state stays
   * final.
   */
  setState(alertId: string, state: AlertDeliveryState, reason: string | null = null): Promise<boolean> {
    return this.root.transaction(() => {
      const k = this.keys.get(alertId);
      const r = k ? this.byTime.get(k) : undefined;
      if (!k || !r || FINAL.has(r.state)) return false;
      void this.byTime.put(k, { ...r, state, reason: reason ?? r.reason });
      return true;
    });
  }

  get(alertId: string): AlertRecordView | undefined {
    const k = this.keys.get(alertId);
    return k ? this.byTime.get(k) : undefined;
  }

  /** The newest `limit` records, newest first. */
  latest(limit: number): AlertRecordView[] {
    return [...this.byTime.getRange({ reverse: true, limit })].map((e) => e.value);
  }

  count(): number {
    return this.byTime.getCount();
  }

  /** Deletes every record raised before `cutoff` (epoch ms); returns how many went. */
  purgeBefore(cutoff: number): Promise<number> {
    return this.root.transaction(() => {
      let n = 0;
      for (const { key, value } of [...this.byTime.getRange({ end: timeKey(cutoff, '') })]) {
        void this.byTime.remove(key);
        void this.keys.remove(value.alertId);
        n++;
      }
      return n;
    });
  }

  async close(): Promise<void> {
    await this.root.committed;
    await this.root.close();
  }
}
