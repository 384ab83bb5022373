import type pg from 'pg';
import type {
  AdmitLimits,
  AdmitResult,
  AlertAdmission,
  ConsentChange,
  ConsentLedger,
  MoRecord,
} from '../../smpp/index.js';
import type { PgRunner } from './pg-runner.js';

const HOUR = 3_600_000;
/** First key of the per-number advisory locks ('cg' plus 2: the migration lock uses 1). */
const NUMBER_LOCK = 0x6367 * 16 + 2;

/** Serialises, across every engine, what reads and changes one number's consent and counts (released at COMMIT). */
async function lockNumber(c: pg.PoolClient, msisdn: string): Promise<void> {
  await c.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [NUMBER_LOCK, msisdn]);
}

/**
 * The shared consent ledger (PostgreSQL): opt-outs with their history, admissions (the hourly rate and once per call
 * across engines) and the MO feedback log.
 *
 * Why read-through and not LISTEN/NOTIFY: the opt-out is read inside the very transaction that admits an alert, under
 * the number's advisory lock, which a STOP takes too. So a STOP committed by any engine is seen by every later
 * admission with no window at all; a notification could arrive after the alert it should have stopped, and is lost
 * while a listener reconnects. The cost is one short transaction per alert, and alerts are rare (a few per hour per
 * engine, against hundreds of calls).
 */
export class PgConsentLedger implements ConsentLedger {
  constructor(private readonly db: PgRunner) {}

  admit(a: AlertAdmission, limits: AdmitLimits): Promise<AdmitResult> {
    return this.db.tx(async (c): Promise<AdmitResult> => {
      await lockNumber(c, a.to);
      if ((await c.query('SELECT 1 FROM admissions WHERE alert_id = $1', [a.alertId])).rowCount)
        return { accepted: true, duplicate: true };
      const consent = await c.query<{ opted_out: boolean }>('SELECT opted_out FROM consent WHERE msisdn = $1', [a.to]);
      if (consent.rows[0]?.opted_out) return { accepted: false, reason: 'opted_out' };
      if (
        limits.oncePerCall &&
        a.callId &&
        (await c.query('SELECT 1 FROM admissions WHERE call_id = $1 LIMIT 1', [a.callId])).rowCount
      )
        return { accepted: false, reason: 'duplicate_call' };
      const recent = await c.query<{ n: string }>(
        'SELECT count(*) AS n FROM admissions WHERE msisdn = $1 AND at > $2',
        [a.to, a.at - HOUR],
      );
      if (Number(recent.rows[0].n) >= limits.perHour) return { accepted: false, reason: 'rate_limited' };
      await c.query('INSERT INTO admissions (alert_id, call_id, msisdn, at) VALUES ($1, $2, $3, $4)', [
        a.alertId,
        a.callId ?? null,
        a.to,
        a.at,
      ]);
      return { accepted: true };
    });
  }

  async isOptedOut(msisdn: string): Promise<boolean> {
    const r = await this.db.query<{ opted_out: boolean }>('SELECT opted_out FROM consent WHERE msisdn = $1', [msisdn]);
    return r.rows[0]?.opted_out ?? false;
  }

  async setOptOut(msisdn: string, optedOut: boolean, at: number): Promise<void> {
    await this.db.tx(async (c) => {
      await lockNumber(c, msisdn);
      await c.query(
        'INSERT INTO consent (msisdn, opted_out, changed_at) VALUES ($1, $2, $3) ON CONFLICT (msisdn) DO UPDATE ' +
          'SET opted_out = EXCLUDED.opted_out, changed_at = EXCLUDED.changed_at',
        [msisdn, optedOut, at],
      );
      await c.query('INSERT INTO consent_history (msisdn, opted_out, at) VALUES ($1, $2, $3)', [msisdn, optedOut, at]);
    });
  }

  async consentHistory(msisdn: string): Promise<ConsentChange[]> {
    const r = await this.db.query<{ at: string; opted_out: boolean }>(
      'SELECT at, opted_out FROM consent_history WHERE msisdn = $1 ORDER BY id',
      [msisdn],
    );
    return r.rows.map((x) => ({ at: Number(x.at), optedOut: x.opted_out }));
  }

  async lastAlertFor(msisdn: string): Promise<string | undefined> {
    const r = await this.db.query<{ alert_id: string }>(
      'SELECT alert_id FROM admissions WHERE msisdn = $1 ORDER BY at DESC, alert_id DESC LIMIT 1',
      [msisdn],
    );
    return r.rows[0]?.alert_id;
  }

  /** Appends the MO; SCAM / NOT SCAM about a known alert also marks that alert's record, whichever engine raised it. */
  async recordMo(mo: MoRecord): Promise<void> {
    await this.db.tx(async (c) => {
      await c.query('INSERT INTO mo_messages (at, msisdn, text, intent, alert_id) VALUES ($1, $2, $3, $4, $5)', [
        mo.at,
        mo.from,
        mo.text,
        mo.intent,
        mo.alertId ?? null,
      ]);
      if (mo.alertId && (mo.intent === 'scam' || mo.intent === 'not-scam'))
        await c.query('UPDATE alert_records SET feedback = $2, feedback_at = $3 WHERE alert_id = $1', [
          mo.alertId,
          mo.intent,
          mo.at,
        ]);
    });
  }

  async moLog(limit = 1000): Promise<MoRecord[]> {
    const r = await this.db.query<{
      at: string;
      msisdn: string;
      text: string;
      intent: MoRecord['intent'];
      alert_id: string | null;
    }>('SELECT at, msisdn, text, intent, alert_id FROM mo_messages ORDER BY id DESC LIMIT $1', [limit]);
    return r.rows.reverse().map((x) => ({
      at: Number(x.at),
      from: x.msisdn,
      text: x.text,
      intent: x.intent,
      ...(x.alert_id ? { alertId: x.alert_id } : {}),
    }));
  }
}
