import type { MoIntent } from './mo.js';

/** Per-subscriber limits on alerts (service SMS such as STOP confirmations are exempt). */
export interface AdmitLimits {
  perHour: number;
  oncePerCall: boolean;
}

/** An alert asking to be sent: who to, which call, when (epoch ms). */
export interface AlertAdmission {
  alertId: string;
  callId?: string;
  to: string;
  at: number;
}

export type AdmitResult =
  | { accepted: true; duplicate?: boolean }
  | { accepted: false; reason: 'opted_out' | 'duplicate_call' | 'rate_limited' };

/** A mobile-originated message (STOP, NOT SCAM, anything), with the alert it answers when one is known. */
export interface MoRecord {
  at: number;
  from: string;
  text: string;
  intent: MoIntent;
  alertId?: string;
}

/** One change of a number's consent. */
export interface ConsentChange {
  at: number;
  optedOut: boolean;
}

/**
 * Consent and per-subscriber alert limits: who opted out (and when they changed their mind), which alerts were let
 * through for the hourly rate and the once-per-call rule, and the MO feedback log. The SMS outbox is the embedded
 * ledger of one engine; a shared one (PostgreSQL) makes an opt-out or an alert counted by any engine hold on all.
 * Every method rejects, rather than answers, when it cannot reach its data: a consent it cannot check is never
 * assumed (the caller holds the alert instead). Numbers are keyed as the SMS side writes them: E.164 digits without
 * '+' (normalizeMsisdn), whichever engine or path (MO, alert, enrolment gate) asks.
 */
export interface ConsentLedger {
  /**
   * In one transaction: refuse when `to` opted out, when the call already had an alert (oncePerCall), or when `to`
   * had `perHour` alerts in the hour before `at`; else count this one. The same alertId again answers
   * `{accepted: true, duplicate: true}` and counts nothing (a retry after a lost answer is the same alert).
   */
  admit(a: AlertAdmission, limits: AdmitLimits): Promise<AdmitResult>;
  isOptedOut(msisdn: string): Promise<boolean>;
  /** Records a consent change (STOP / START) and keeps it in the number's history. */
  setOptOut(msisdn: string, optedOut: boolean, at: number): Promise<void>;
  /** The number's consent changes, oldest first. */
  consentHistory(msisdn: string): Promise<ConsentChange[]>;
  /** The last alert admitted for the number (MO feedback refers to it). */
  lastAlertFor(msisdn: string): Promise<string | undefined>;
  /** Appends an MO message to the feedback log. */
  recordMo(mo: MoRecord): Promise<void>;
  /** The feedback log, oldest first (at most `limit` newest entries). */
  moLog(limit?: number): Promise<MoRecord[]>;
}
