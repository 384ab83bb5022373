import type pg from 'pg';
import { StoreUnavailableError, type StoreHealth } from './store.js';

/**
 * SQLSTATE classes that mean "the database is not answering right now" rather than "this statement is wrong":
 * connection exceptions, operator intervention (shutdown, statement timeout), insufficient resources, system errors.
 */
const UNAVAILABLE_CLASSES = new Set(['08', '53', '57', '58']);

/**
 * The client's own words for a connection that is gone or a deadline that passed (node-postgres sets no code on them).
 */
const CLIENT_UNAVAILABLE =
  /connection terminated|timeout exceeded when trying to connect|query read timeout|connection error|not queryable|connection.*(closed|ended)|cannot use a pool after calling end/i;

/**
 * True when `err` says the store cannot be reached now (the caller holds its work and retries), not that a statement
 * is wrong: socket errors (ECONNREFUSED, ECONNRESET, ETIMEDOUT...), SQLSTATE classes 08/53/57/58, and the client's
 * connection and timeout errors. Anything else is a bug to surface, not an outage to wait out: held work would wait
 * for it forever.
 */
export function isUnavailable(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && !code.startsWith('E'))
    return UNAVAILABLE_CLASSES.has(code.slice(0, 2));
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
    throw new StoreUnavailableError(
      `PostgreSQL unavailable: ${(err as Error).message || (err as { code?: string }).code}`,
      err,
    );
  }

  /** One statement (autocommit). */
  async query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    values: unknown[] = [],
  ): Promise<pg.QueryResult<R>> {
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
