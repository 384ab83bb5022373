import pg from 'pg';
import type { Logger } from '../logger.js';
import { migrate } from './migrations.js';
import { PgAlertRecords } from './postgres-alert-records.js';
import { PgConsentLedger } from './postgres-consent.js';
import { PgSubscribers } from './postgres-subscribers.js';
import { PgRunner } from './pg-runner.js';
import type { CallguardStore, StoreHealth } from './store.js';

export interface PostgresStoreOptions {
  /** postgres://user:password@host:port/database */
  url: string;
  poolSize: number;
  statementTimeoutMs: number;
  connectTimeoutMs: number;
  logger: Logger;
}

/**
 * The shared store: PostgreSQL, for several engines serving the same subscribers (store.url). A pool of
 * `poolSize` connections per engine, statement_timeout on the server and the same deadline on the client (a
 * silent network must not hang an alert), migrations at open. Consent is read through at alert time, inside the
 * transaction that admits the alert (PgConsentLedger), rather than cached and invalidated by LISTEN/NOTIFY.
 */
export class PostgresStore implements CallguardStore {
  readonly kind = 'postgres' as const;
  readonly subscribers: PgSubscribers;
  readonly alerts: PgAlertRecords;
  readonly consent: PgConsentLedger;
  readonly runner: PgRunner;

  private constructor(private readonly pool: pg.Pool) {
    this.runner = new PgRunner(pool);
    this.subscribers = new PgSubscribers(this.runner);
    this.alerts = new PgAlertRecords(this.runner);
    this.consent = new PgConsentLedger(this.runner);
  }

  /** Connects, migrates (idempotent) and returns the store; throws when PostgreSQL cannot be reached at start-up. */
  static async open(o: PostgresStoreOptions): Promise<PostgresStore> {
    const pool = new pg.Pool({
      connectionString: o.url,
      max: o.poolSize,
      connectionTimeoutMillis: o.connectTimeoutMs,
      statement_timeout: o.statementTimeoutMs,
      // The client's own deadline: a server that stops answering without closing the socket (a partition) is not
      // caught by statement_timeout, which the server enforces.
      query_timeout: o.statementTimeoutMs + 1000,
      idleTimeoutMillis: 30_000,
      keepAlive: true,
      application_name: 'callguard',
    });
    // An idle connection the server closes (a restart) is reported here; without a listener it would crash the process.
    pool.on('error', (err) => o.logger.warn({ err: err.message }, 'PostgreSQL connection lost (idle in the pool)'));
    try {
      const client = await pool.connect();
      try {
        const applied = await migrate(client);
        if (applied.length) o.logger.info({ versions: applied }, 'PostgreSQL schema migrated');
      } finally {
        client.release();
      }
    } catch (err) {
      await pool.end().catch(() => {});
      throw err;
    }
    return new PostgresStore(pool);
  }

  health(): StoreHealth {
    return this.runner.health();
  }

  watchHealth(cb: (h: StoreHealth) => void): void {
    this.runner.onHealth = cb;
  }

  async probe(): Promise<boolean> {
    try {
      await this.runner.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
