import { CallguardError } from '../../common/errors.js';
import type { ConsentLedger } from '../../smpp/index.js';
import type { AlertDeliveryState, AlertRecordView } from '../ops/alert-records.js';
import type { ImportReport, Subscriber } from '../ops/subscriber-store.js';

/** A value an embedded store has at once and a networked one must fetch: callers always `await` it. */
export type MaybePromise<T> = T | Promise<T>;

/** Protected subscribers: enrolment and language. Consent (opt-outs) is the ledger's. */
export interface SubscriberRepository {
  get(msisdn: string): MaybePromise<Subscriber | undefined>;
  count(): MaybePromise<number>;
  /** Enrol (or update the language of) one subscriber; CG_BAD_MSISDN / CG_BAD_LANGUAGE on bad input. */
  add(msisdn: string, language?: unknown): Promise<{ subscriber: Subscriber; created: boolean }>;
  /** False when the number was not enrolled. */
  remove(msisdn: string): Promise<boolean>;
  /** CSV import (parseSubscriberCsv), the valid rows in one transaction. */
  importCsv(text: string): Promise<ImportReport>;
}

/** The alert records the console and GET /alerts show (not the SMS outbox, which stays with the engine that sends). */
export interface AlertRecordRepository {
  /** Stores a new alert; false (and nothing changed) when the alertId is already stored. */
  add(r: AlertRecordView): Promise<boolean>;
  /** Moves an alert to a new delivery state; unknown ids are ignored and a final state stays final. */
  setState(alertId: string, state: AlertDeliveryState, reason?: string | null): Promise<boolean>;
  get(alertId: string): MaybePromise<AlertRecordView | undefined>;
  /** The newest `limit` records, newest first. */
  latest(limit: number): MaybePromise<AlertRecordView[]>;
  count(): MaybePromise<number>;
  /** Retention: deletes records raised before `cutoff` (epoch ms); resolves with how many went. */
  purgeBefore(cutoff: number): Promise<number>;
}

/** Whether the store answers: `down` from the first failed round trip until one succeeds again. */
export interface StoreHealth {
  state: 'up' | 'down';
  /** Epoch ms of the last change of state. */
  since: number;
  lastError: string | null;
}

/**
 * What several engines must share, behind one interface: subscribers, alert records and — when it is not the engine's
 * own SMS outbox — the consent ledger (opt-outs, hourly rate, once per call, MO feedback). Two implementations:
 * LmdbStore (embedded, one box, the default) and PostgresStore (store.url). Lifecycle: open → use → close.
 */
export interface CallguardStore {
  readonly kind: 'lmdb' | 'postgres';
  readonly subscribers: SubscriberRepository;
  readonly alerts: AlertRecordRepository;
  /** The shared consent ledger; null: the SMS outbox of this engine keeps consent (embedded, one box). */
  readonly consent: ConsentLedger | null;
  health(): StoreHealth;
  /** Calls `cb` at every change of health (up → down, down → up); one listener, the engine. */
  watchHealth(cb: (h: StoreHealth) => void): void;
  /** One round trip (SELECT 1 or nothing for lmdb): resolves true when the store answered, and updates health(). */
  probe(): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * The store could not be reached (connection refused or lost, statement timeout): the caller holds what it was doing.
 */
export class StoreUnavailableError extends CallguardError<'CG_STORE_UNAVAILABLE'> {
  override name = 'StoreUnavailableError';
  constructor(message: string, cause?: unknown) {
    super('CG_STORE_UNAVAILABLE', message, { setting: 'store.url', cause });
  }
}
