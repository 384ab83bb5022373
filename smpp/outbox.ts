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
import type { MoIntent } from './mo.js';

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

export interface AdmitLimits {
  perHour: number;
  oncePerCall: boolean;
}

export type AdmitResult = { accepted: true; duplicate?: boolean } | { accepted: false; reason: 'opted_out' | 'duplicate_call' | 'rate_limited' };

export interface MoRecord {
  at: number;
  from: string;
  text: string;
  intent: MoIntent;
  alertId?: string;
}

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
  }

  /**
   * Atomically checks opt-out, per-call de-duplication and the hourly rate, then stores the record as
   * pending. An alertId already stored is reported as a duplicate and left alone (idempotent enqueue).
   */
  admit(record: AlertRecord, limits: AdmitLimits | null, now = Date.now()): Promise<AdmitResult> {
    return this.root.transaction((): AdmitResult => {
      if (this.alerts.doesExist(record.alertId)) return { accepted: true, duplicate: true };
      if (limits) {
        if (this.optOuts.doesExist(record.to)) return { accepted: false, reason: 'opted_out' };
        if (limits.oncePerCall && record.callId && this.calls.doesExist(record.callId)) return { accepted: false, reason: 'duplicate_call' };
        const recent = (this.recent.get(record.to) ?? []).filter((t) => t > now - HOUR);
        if (recent.length >= limits.perHour) return { accepted: false, reason: 'rate_limited' };
        recent.push(now);
        void this.recent.put(record.to, recent);
        if (record.callId) void this.calls.put(record.callId, record.alertId);
        void this.lastAlert.put(record.to, record.alertId);
      }
      void this.alerts.put(record.alertId, record);
      void this.pending.put(record.alertId, record.createdAt);
      return { accepted: true };
    });
  }

  /** Persists a record's new state; clears it from pending once no part waits to be submitted. */
  save(record: AlertRecord): Promise<boolean> {
    const p = this.alerts.put(record.alertId, record);
    if (record.state !== 'queued') void this.pending.remove(record.alertId);
    return p;
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
    void this.deadLetters.put(record.alertId, { at: Date.now(), reason, record });
    return this.save(record);
  }

  deadLetterReason(alertId: string): string | undefined {
    return this.deadLetters.get(alertId)?.reason;
  }

  isOptedOut(msisdn: string): boolean {
    return this.optOuts.doesExist(msisdn);
  }

  setOptOut(msisdn: string, out: boolean): Promise<boolean> {
    return out ? this.optOuts.put(msisdn, { at: Date.now() }) : this.optOuts.remove(msisdn);
  }

  lastAlertFor(msisdn: string): string | undefined {
    return this.lastAlert.get(msisdn);
  }

  /** Appends a mobile-originated message (STOP, NOT SCAM, anything) to the feedback log. */
  recordMo(mo: MoRecord): Promise<boolean> {
    const key = `${String(mo.at).padStart(15, '0')}:${String(this.moSeq++ % 1e6).padStart(6, '0')}:${mo.from}`;
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
      const removed = new Set<string>();
      // Ranges are read whole before deleting: no cursor is left walking over entries being removed.
      for (const { key, value } of [...this.alerts.getRange()]) {
        if (value.updatedAt >= cutoff || this.pending.doesExist(key)) continue;
        if (value.callId && this.calls.get(value.callId) === key) void this.calls.remove(value.callId);
        if (this.lastAlert.get(value.to) === key) void this.lastAlert.remove(value.to);
        void this.deadLetters.remove(key);
        void this.alerts.remove(key);
        removed.add(key);
      }
      if (removed.size) for (const { key, value } of [...this.messageIds.getRange()]) if (removed.has(value.alertId)) void this.messageIds.remove(key);
      for (const { key, value } of [...this.mo.getRange()]) if (value.at < cutoff) void this.mo.remove(key);
      for (const { key, value } of [...this.recent.getRange()]) if (!value.some((t) => t > now - HOUR)) void this.recent.remove(key);
      return removed.size;
    });
  }

  /** Resolves when every write issued so far is committed. */
  async committed(): Promise<void> {
    await this.root.committed;
  }

  async close(): Promise<void> {
    await this.root.committed;
    await this.root.flushed;
    await this.root.close();
  }
}
