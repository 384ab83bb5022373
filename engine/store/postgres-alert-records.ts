import type { AlertDeliveryState, AlertRecordView } from '../ops/alert-records.js';
import type { PgRunner } from './pg-runner.js';
import type { AlertRecordRepository } from './store.js';

interface Row {
  alert_id: string;
  call_id: string;
  msisdn: string | null;
  at: string;
  level: string;
  risk: number;
  explanation: string;
  state: AlertDeliveryState;
  reason: string | null;
}

const COLUMNS = 'alert_id, call_id, msisdn, at, level, risk, explanation, state, reason';
const FINAL: AlertDeliveryState[] = ['refused', 'delivered', 'undeliverable', 'expired', 'failed'];

const toView = (r: Row): AlertRecordView => ({
  alertId: r.alert_id,
  callId: r.call_id,
  to: r.msisdn,
  at: Number(r.at),
  level: r.level,
  risk: r.risk,
  explanation: r.explanation,
  state: r.state,
  reason: r.reason,
});

/**
 * Alert records in PostgreSQL (table `alert_records`): every engine's alerts in one list for the console and GET
 * /alerts.
 */
export class PgAlertRecords implements AlertRecordRepository {
  constructor(private readonly db: PgRunner) {}

  async add(r: AlertRecordView): Promise<boolean> {
    const res = await this.db.query(
      `INSERT INTO alert_records (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (alert_id) ` +
        `DO NOTHING`,
      [r.alertId, r.callId, r.to, r.at, r.level, r.risk, r.explanation, r.state, r.reason],
    );
    return (res.rowCount ?? 0) > 0;
  }

  async setState(alertId: string, state: AlertDeliveryState, reason: string | null = null): Promise<boolean> {
    // One conditional UPDATE: atomic without a transaction, and a final state stays final whatever the order of events.
    const res = await this.db.query(
      'UPDATE alert_records SET state = $2, reason = COALESCE($3, reason) WHERE alert_id = $1 AND state <> ' +
        'ALL($4::text[])',
      [alertId, state, reason, FINAL],
    );
    return (res.rowCount ?? 0) > 0;
  }

  async get(alertId: string): Promise<AlertRecordView | undefined> {
    const r = await this.db.query<Row>(`SELECT ${COLUMNS} FROM alert_records WHERE alert_id = $1`, [alertId]);
    return r.rows[0] ? toView(r.rows[0]) : undefined;
  }

  async latest(limit: number): Promise<AlertRecordView[]> {
    const r = await this.db.query<Row>(
      `SELECT ${COLUMNS} FROM alert_records ORDER BY at DESC, alert_id DESC LIMIT $1`,
      [limit],
    );
    return r.rows.map(toView);
  }

  async count(): Promise<number> {
    const r = await this.db.query<{ n: string }>('SELECT count(*) AS n FROM alert_records');
    return Number(r.rows[0].n);
  }

  /**
   * Deletes the records raised before `cutoff`, and with them the MO messages received before it and the admissions
   * older than both the cutoff and the hourly window (the rate and once-per-call rules still read the last hour).
   */
  async purgeBefore(cutoff: number): Promise<number> {
    return this.db.tx(async (c) => {
      const r = await c.query('DELETE FROM alert_records WHERE at < $1', [cutoff]);
      await c.query('DELETE FROM mo_messages WHERE at < $1', [cutoff]);
      await c.query('DELETE FROM admissions WHERE at < LEAST($1::bigint, $2::bigint)', [
        cutoff,
        Date.now() - 3_600_000,
      ]);
      return r.rowCount ?? 0;
    });
  }
}
