/**
 * The persistent outbox (lmdb + msgpack): every alert from creation to final state, the message-id index
 * for receipts, opt-outs, per-number rate history, per-call de-duplication, dead letters and MO feedback.
 *
 * Crash contract: a write is durable against process death (SIGKILL) once its promise resolves (lmdb has
 * committed it to the OS); against power loss once `flushed` resolves (overlappingSync, the default).
 * Alert records are written whole; the service is the single writer of a record and lmdb applies puts in
 * call order, so a later state never loses to an earlier one.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { open, type Database, type RootDatabase } from 'lmdb';
import type { AdmitLimits, AdmitResult, AlertAdmission, ConsentChange, MoRecord } from './consent-ledger.js';
import { timeKey, timePrefix } from './time-keys.js';

export type PartState = 'queued' | 'submitted' | 'delivered' | 'undeliverable' | 'expired' | 'failed';
/** queued: some part not yet accepted by the SMSC; submitted: all accepted, awaiting receipts; the rest are final. */
export type AlertState = PartState;
export const FINAL_STATES: ReadonlySet<AlertState> = new Set(['delivered', 'undeliverable', 'expired', 'failed']);

export interface PartRecord {
  state: PartState;
  messageId?: string;
  /** Failed attempts that count toward the retry cap (throttling and disconnects don't). */
  attempts: number;
  error?: string;
}

export interface AlertRecord {
  alertId: string;
  callId?: string;
  to: string;
  text: string;
  language?: string;
  createdAt: number;
  updatedAt: number;
  state: AlertState;
  /** Concatenation reference, fixed at creation so a retried part joins its siblings. */
  ref: number;
  parts: PartRecord[];
  /** True for service messages (STOP confirmations): exempt from opt-out and rate limits. */
  service?: boolean;
  error?: string;
  feedback?: { verdict: 'scam' | 'not-scam'; at: number; text: string };
}

export interface MessageRef {
  alertId: string;
  part: number;
}

export type { AdmitLimits, AdmitResult, MoRecord };

const HOUR = 3600_000;

export class Outbox {
  private readonly root: RootDatabase;
  private readonly alerts: Database<AlertRecord, string>;
  private readonly pending: Database<number, string>;
  private readonly messageIds: Database<MessageRef, string>;
  private readonly optOuts: Database<{ at: number }, string>;
  private readonly calls: Database<string, string>;
  private readonly recent: Database<number[], string>;
  private readonly lastAlert: Database<string, string>;
  private readonly deadLetters: Database<{ at: number; reason: string; record: AlertRecord }, string>;
  private readonly mo: Database<MoRecord, string>;
  /** Retention index: `timeKey(createdAt, alertId)` → alertId, one entry per alert, written when it is admitted. */
  private readonly byCreated: Database<string, string>;
  /**
   * Retention index: `alertKey(alertId, message-id key)` → both, so a purged alert's receipt keys are found without a
   * scan.
   */
  private readonly messageIdsByAlert: Database<{ alertId: string; key: string }, string>;
  /** Outbox bookkeeping: the transaction id a clean close() left the outbox at. */
  private readonly meta: Database<number, string>;
  /** Consent changes: `msisdn SEP timeKey` → the change (the history an opt-out keeps). */
  private readonly consentChanges: Database<ConsentChange, string>;
  /**
   * Alerts admitted without an outbox record (an engine whose outbox is the ledger of another sender): alertId → at.
   */
  private readonly admitted: Database<number, string>;
  /** True when open found the outbox written by something else since a clean close, and re-checked its indexes. */
  readonly reindexedAtOpen: boolean;
  private moSeq = 0;

  /** Opens (creating if needed) the outbox under `dataDir`. */
  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true });
    this.root = open({ path: join(dataDir, 'smpp-outbox'), maxDbs: 16 });
    this.alerts = this.root.openDB({ name: 'alerts' });
    this.pending = this.root.openDB({ name: 'pending' });
    this.messageIds = this.root.openDB({ name: 'message-ids' });
    this.optOuts = this.root.openDB({ name: 'opt-outs' });
    this.calls = this.root.openDB({ name: 'calls' });
    this.recent = this.root.openDB({ name: 'recent' });
    this.lastAlert = this.root.openDB({ name: 'last-alert' });
    this.deadLetters = this.root.openDB({ name: 'dead-letters' });
    this.mo = this.root.openDB({ name: 'mo' });
    this.byCreated = this.root.openDB({ name: 'by-created' });
    this.messageIdsByAlert = this.root.openDB({ name: 'message-ids-of-alert' });
    this.meta = this.root.openDB({ name: 'meta' });
    this.consentChanges = this.root.openDB({ name: 'consent-changes' });
    this.admitted = this.root.openDB({ name: 'admitted' });
    this.reindexedAtOpen = this.indexMissing();
  }

  /**
   * Indexes records that have no retention index entry: an outbox written before the indexes existed, or by such a
   * release after a rollback (it adds records without entries and its sweep leaves entries behind, so the tables'
   * sizes say nothing). A clean close() stamps the outbox with the id of its own last transaction; when the outbox
   * opens at any other id, something else wrote it since (an earlier release, or this one killed before it closed),
   * and one pass over the tables at start-up adds the missing entries and drops those that point at nothing.
   */
  private indexMissing(): boolean {
    if (this.meta.get(CLOSED_AT_TXN) === lastTxnId(this.root)) return false;
    this.root.transactionSync(() => {
      for (const { key, value } of [...this.byCreated.getRange()]) {
        if (this.alerts.doesExist(value)) continue;
        this.removeMessageIds(value);
        void this.byCreated.remove(key);
      }
      for (const { key, value } of this.alerts.getRange({ snapshot: false })) {
        const k = timeKey(value.createdAt, key);
        if (!this.byCreated.doesExist(k)) void this.byCreated.put(k, key);
      }
      for (const { key, value } of this.messageIds.getRange({ snapshot: false })) {
        const k = alertKey(value.alertId, key);
        if (!this.messageIdsByAlert.doesExist(k)) void this.messageIdsByAlert.put(k, { alertId: value.alertId, key });
      }
    });
    return true;
  }

  /**
   * Atomically checks opt-out, per-call de-duplication and the hourly rate, then stores the record as
   * pending. An alertId already stored is reported as a duplicate and left alone (idempotent enqueue).
   */
  admit(record: AlertRecord, limits: AdmitLimits | null, now = Date.now()): Promise<AdmitResult> {
    return this.root.transaction((): AdmitResult => {
      if (this.alerts.doesExist(record.alertId)) return { accepted: true, duplicate: true };
      if (limits) {
        const r = this.checkAndCount(
          { alertId: record.alertId, callId: record.callId, to: record.to, at: now },
          limits,
        );
        if (!r.accepted) return r;
      }
      void this.alerts.put(record.alertId, record);
      void this.byCreated.put(timeKey(record.createdAt, record.alertId), record.alertId);
      void this.pending.put(record.alertId, record.createdAt);
      return { accepted: true };
    });
  }

  /** Inside a transaction: the consent and limit checks of an alert, and its counting when it passes. */
  private checkAndCount(a: AlertAdmission, limits: AdmitLimits): AdmitResult {
    if (this.optOuts.doesExist(a.to)) return { accepted: false, reason: 'opted_out' };
    if (limits.oncePerCall && a.callId && this.calls.doesExist(a.callId))
      return { accepted: false, reason: 'duplicate_call' };
    const recent = (this.recent.get(a.to) ?? []).filter((t) => t > a.at - HOUR);
    if (recent.length >= limits.perHour) return { accepted: false, reason: 'rate_limited' };
    recent.push(a.at);
    void this.recent.put(a.to, recent);
    if (a.callId) void this.calls.put(a.callId, a.alertId);
    void this.lastAlert.put(a.to, a.alertId);
    return { accepted: true };
  }

  /**
   * The consent ledger's admission without storing an SMS (ConsentLedger.admit over this outbox): the same checks
   * and counting as `admit`, idempotent per alertId.
   */
  admitOnly(a: AlertAdmission, limits: AdmitLimits): Promise<AdmitResult> {
    return this.root.transaction((): AdmitResult => {
      if (this.alerts.doesExist(a.alertId) || this.admitted.doesExist(a.alertId))
        return { accepted: true, duplicate: true };
      const r = this.checkAndCount(a, limits);
      if (r.accepted) void this.admitted.put(a.alertId, a.at);
      return r;
    });
  }

  /**
   * Persists a record's new state (and `alsoWrite`'s, in the same transaction); clears it from pending once no part
   * waits to be submitted.
   */
  save(record: AlertRecord, alsoWrite?: () => void): Promise<boolean> {
    // Only over a stored record: a late receipt for an alert the retention sweep has deleted must not bring it back
    // without its index entries (nothing would ever sweep it again). Resolves false when there was nothing to save.
    return this.root.transaction(() => {
      if (!this.alerts.doesExist(record.alertId)) return false;
      alsoWrite?.();
      void this.alerts.put(record.alertId, record);
      if (record.state !== 'queued') void this.pending.remove(record.alertId);
      return true;
    });
  }

  get(alertId: string): AlertRecord | undefined {
    return this.alerts.get(alertId);
  }

  /** Alert ids still waiting for (some part of) a submit, oldest first. */
  pendingIds(): string[] {
    const out: Array<[string, number]> = [];
    for (const { key, value } of this.pending.getRange()) out.push([key, value]);
    return out.sort((a, b) => a[1] - b[1]).map(([k]) => k);
  }

  indexMessageId(key: string, ref: MessageRef): Promise<boolean> {
    void this.messageIdsByAlert.put(alertKey(ref.alertId, key), { alertId: ref.alertId, key });
    return this.messageIds.put(key, ref);
  }

  /** Finds the part a receipt refers to, trying every candidate key form. */
  lookupMessageId(candidates: string[]): MessageRef | undefined {
    for (const c of candidates) {
      const r = this.messageIds.get(c);
      if (r) return r;
    }
    return undefined;
  }

  /** Moves a permanently failed alert to the dead-letter store with its reason. */
  deadLetter(record: AlertRecord, reason: string): Promise<boolean> {
    return this.save(record, () => void this.deadLetters.put(record.alertId, { at: Date.now(), reason, record }));
  }

  deadLetterReason(alertId: string): string | undefined {
    return this.deadLetters.get(alertId)?.reason;
  }

  isOptedOut(msisdn: string): boolean {
    return this.optOuts.doesExist(msisdn);
  }

  /** Records a consent change and keeps it in the number's history (opt-outs and their history outlive retention). */
  setOptOut(msisdn: string, out: boolean, at = Date.now()): Promise<boolean> {
    return this.root.transaction(() => {
      void this.consentChanges.put(`${msisdn}${SEP}${timeKey(at, String(this.moSeq++ % 1e6).padStart(6, '0'))}`, {
        at,
        optedOut: out,
      });
      if (out) void this.optOuts.put(msisdn, { at });
      else void this.optOuts.remove(msisdn);
      return true;
    });
  }

  /** The number's consent changes, oldest first. */
  consentHistory(msisdn: string): ConsentChange[] {
    return [...this.consentChanges.getRange({ start: `${msisdn}${SEP}`, end: `${msisdn}${SEP_END}` })].map(
      (e) => e.value,
    );
  }

  lastAlertFor(msisdn: string): string | undefined {
    return this.lastAlert.get(msisdn);
  }

  /** Appends a mobile-originated message (STOP, NOT SCAM, anything) to the feedback log. */
  recordMo(mo: MoRecord): Promise<boolean> {
    const key = `${timePrefix(mo.at)}:${String(this.moSeq++ % 1e6).padStart(6, '0')}:${mo.from}`;
    return this.mo.put(key, mo);
  }

  /** The MO log, oldest first (for model tuning exports and tests). */
  moLog(): MoRecord[] {
    return [...this.mo.getRange()].map((e) => e.value);
  }

  /**
   * Retention: deletes every alert record last changed before `cutoff` that no longer waits for a submit, with what
   * points at it (message-id index, per-call and last-alert entries, dead letters), MO messages received before
   * `cutoff`, and rate history older than the hourly window. Opt-outs are consent, not records: they stay.
   * Returns the number of alert records deleted.
   */
  purgeBefore(cutoff: number, now = Date.now()): Promise<number> {
    return this.root.transaction(() => {
      let removed = 0;
      // Only index entries of alerts created before the cutoff are read (a record is changed only after it is created),
      // so a sweep costs what it deletes, not what is kept: an operator keeps 30 days of alerts.
      // Ranges are read whole before deleting: no cursor walks removed entries.
      for (const { key, value: alertId } of [...this.byCreated.getRange({ end: timeKey(cutoff, '') })]) {
        const rec = this.alerts.get(alertId);
        if (!rec) {
          this.removeMessageIds(alertId);
          void this.byCreated.remove(key);
          continue;
        }
        // Changed since the cutoff (a late receipt, NOT SCAM feedback) or still waiting for a submit: kept, and so is
        // its entry, to be looked at again next sweep. Few records are changed that long after they were created.
        if (rec.updatedAt >= cutoff || this.pending.doesExist(alertId)) continue;
        if (rec.callId && this.calls.get(rec.callId) === alertId) void this.calls.remove(rec.callId);
        if (this.lastAlert.get(rec.to) === alertId) void this.lastAlert.remove(rec.to);
        this.removeMessageIds(alertId);
        void this.deadLetters.remove(alertId);
        void this.alerts.remove(alertId);
        void this.byCreated.remove(key);
        removed++;
      }
      for (const { key } of [...this.mo.getRange({ end: timePrefix(cutoff) })]) void this.mo.remove(key);
      // One entry per number alerted within the last hour or so: small whatever the retention.
      for (const { key, value } of [...this.recent.getRange()])
        if (!value.some((t) => t > now - HOUR)) void this.recent.remove(key);
      for (const { key, value } of [...this.admitted.getRange()])
        if (value < cutoff && value < now - HOUR) void this.admitted.remove(key);
      return removed;
    });
  }

  /** Inside a transaction: an alert's receipt keys, except those the SMSC has since reused for another alert. */
  private removeMessageIds(alertId: string): void {
    for (const { key, value } of [
      ...this.messageIdsByAlert.getRange({ start: alertKey(alertId, ''), end: `${alertId}${SEP_END}` }),
    ]) {
      // The range also holds any alert id that begins with this one and the separator: only this alert's entries go.
      if (value.alertId !== alertId) continue;
      if (this.messageIds.get(value.key)?.alertId === alertId) void this.messageIds.remove(value.key);
      void this.messageIdsByAlert.remove(key);
    }
  }

  /** Resolves when every write issued so far is committed. */
  async committed(): Promise<void> {
    await this.root.committed;
  }

  async close(): Promise<void> {
    await this.root.committed;
    // The stamp is written in the last transaction, which is the one it names.
    await this.root.transaction(() => void this.meta.put(CLOSED_AT_TXN, lastTxnId(this.root) + 1));
    await this.root.flushed;
    await this.root.close();
  }
}

const CLOSED_AT_TXN = 'closed-at-txn';

/** The id of the environment's last committed transaction. */
function lastTxnId(root: RootDatabase): number {
  return (root.getStats() as { lastTxnId: number }).lastTxnId;
}

/**
 * Composite keys join their parts with U+001F. Not \0: ordered-binary stores a string key of 64 characters or more as
 * plain UTF-8 and reads a 0 byte back as an array separator, and alert ids made of SIP Call-IDs are that long. U+001F
 * is stored as itself at any length and sorts below every printable character, so a prefix range is [id+SEP,
 * id+SEP_END).
 */
const SEP = '\x1f';
const SEP_END = '\x20';

/** Key of the message-id index: the alert id, then the message-id key. */
function alertKey(alertId: string, idKey: string): string {
  return `${alertId}${SEP}${idKey}`;
}
