import pg from 'pg';
import type { Logger } from '../logger.js';
import { migrate } from './migrations.js';
import { PgAlertRecords } from './postgres-alert-records.js';
import { PgConsentLedger } from './postgres-consent.js';
import { PgSubscribers } from './postgres-subscribers.js';
import { StoreUnavailableError, type CallguardStore, type StoreHealth } from './store.js';

export interface PostgresStoreOptions {
  /** postgres://user:password@host:port/database */
  url: string;
  poolSize: number;
  statementTimeoutMs: number;
  connectTimeoutMs: number;
  logger: Logger;
}

/**
 * SQLSTATE classes that mean "the database is not answering right now" rather than "this statement is wrong":
 * connection exceptions, operator intervention (shutdown, statement timeout), insufficient resources, system errors.
 */
const UNAVAILABLE_CLASSES = new Set(['08', '53', '57', '58']);

/** The client's own words for a connection that is gone or a deadline that passed (node-postgres sets no code on them). */
const CLIENT_UNAVAILABLE = /connection terminated|timeout exceeded when trying to connect|query read timeout|connection error|not queryable|connection.*(closed|ended)|cannot use a pool after calling end/i;

/**
 * True when `err` says the store cannot be reached now (the caller holds its work and retries), not that a statement
 * is wrong: socket errors (ECONNREFUSED, ECONNRESET, ETIMEDOUT...), SQLSTATE classes 08/53/57/58, and the client's
 * connection and timeout errors. Anything else is a bug to surface, not an outage to wait out: held work would wait
 * for it forever.
 */
export function isUnavailable(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && !code.startsWith('E')) return UNAVAILABLE_CLASSES.has(code.slice(0, 2));
  if (typeof code === 'string' && /^E[A-Z_]+$/.test(code)) return true;
  return CLIENT_UNAVAILABLE.test(String((err as Error)?.message ?? ''));
}

/** Runs queries through the pool, turning an unreachable database into StoreUnavailableError and tracking health. */
export class PgRunner {
  private state: StoreHealth = { state: 'up', since: Date.now(), lastError: null };
  /** Called on every change of health (the engine logs and counts it). */
  onHealth: ((h: StoreHealth) => void) | null = null;

  constructor(readonly pool: pg.Pool) {}

  health(): StoreHealth {
    return { ...this.state };
  }

  private mark(ok: boolean, err?: unknown): void {
    const next = ok ? 'up' : 'down';
    const message = err ? (err as Error).message || String((err as { code?: string }).code ?? err) : null;
    if (next === this.state.state) {
      if (!ok) this.state.lastError = message;
      return;
    }
    this.state = { state: next, since: Date.now(), lastError: ok ? this.state.lastError : message };
    this.onHealth?.(this.health());
  }

  private fail(err: unknown): never {
    if (!isUnavailable(err)) {
      this.mark(true);
      throw err;
    }
    this.mark(false, err);
    throw new StoreUnavailableError(`PostgreSQL unavailable: ${(err as Error).message || (err as { code?: string }).code}`, err);
  }

  /** One statement (autocommit). */
  async query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<pg.QueryResult<R>> {
    try {
      const r = await this.pool.query<R>(text, values);
      this.mark(true);
      return r;
    } catch (err) {
      return this.fail(err);
    }
  }

  /**
   * `fn` inside BEGIN … COMMIT on one connection (every read-modify-write goes through here). On any error the
   * transaction is rolled back and the connection discarded rather than returned to the pool in an unknown state.
   */
  async tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      return this.fail(err);
    }
    try {
      await client.query('BEGIN');
      const out = await fn(client);
      await client.query('COMMIT');
      client.release();
      this.mark(true);
      return out;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      client.release(true);
      return this.fail(err);
    }
  }
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
