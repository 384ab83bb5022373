import type { PoolClient } from 'pg';
import { CallguardError } from '../../common/errors.js';

/** One schema change; `version`s are applied in order, each once, and never edited once released. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/**
 * The PostgreSQL schema, as ordered migrations. Times are epoch milliseconds (bigint) as the engine counts them, so the
 * hourly rate reads the same on every engine and in the embedded store; numbers are E.164 text.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'subscribers, consent, admissions, MO feedback, alert records',
    sql: `
      CREATE TABLE subscribers (
        msisdn text PRIMARY KEY,
        language text,
        enrolled_at timestamptz NOT NULL DEFAULT now()
      );
      -- Consent is kept per number whether or not it is enrolled: a STOP from anyone holds. Numbers in consent,
      -- admissions and mo_messages are E.164 digits without '+', as the SMS side keys them; subscribers has '+'.
      CREATE TABLE consent (
        msisdn text PRIMARY KEY,
        opted_out boolean NOT NULL,
        changed_at bigint NOT NULL
      );
      CREATE TABLE consent_history (
        id bigserial PRIMARY KEY,
        msisdn text NOT NULL,
        opted_out boolean NOT NULL,
        at bigint NOT NULL
      );
      CREATE INDEX consent_history_msisdn ON consent_history (msisdn, id);
      -- One row per alert let through: the hourly rate, the once-per-call rule and idempotent retries read it.
      CREATE TABLE admissions (
        alert_id text PRIMARY KEY,
        call_id text,
        msisdn text NOT NULL,
        at bigint NOT NULL
      );
      CREATE INDEX admissions_msisdn_at ON admissions (msisdn, at);
      CREATE INDEX admissions_call ON admissions (call_id) WHERE call_id IS NOT NULL;
      CREATE TABLE mo_messages (
        id bigserial PRIMARY KEY,
        at bigint NOT NULL,
        msisdn text NOT NULL,
        text text NOT NULL,
        intent text NOT NULL,
        alert_id text
      );
      CREATE INDEX mo_messages_at ON mo_messages (at);
      CREATE TABLE alert_records (
        alert_id text PRIMARY KEY,
        call_id text NOT NULL,
        msisdn text,
        at bigint NOT NULL,
        level text NOT NULL,
        risk double precision NOT NULL,
        explanation text NOT NULL,
        state text NOT NULL,
        reason text,
        feedback text,
        feedback_at bigint
      );
      CREATE INDEX alert_records_at ON alert_records (at, alert_id);
    `,
  },
];

/** Advisory lock key pair held while migrating, so engines starting together do not race (first namespace: 'cg'). */
const MIGRATION_LOCK = [0x6367, 1] as const;

/**
 * Brings the schema up to date, idempotently: in one transaction under an advisory lock, applies the migrations not yet
 * recorded in callguard_schema_migrations. Engines that start together wait for the first; the others find nothing to
 * do. Returns the versions applied now. A database at a newer version than this release knows is refused.
 */
export async function migrate(client: PoolClient): Promise<number[]> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1, $2)', [...MIGRATION_LOCK]);
    await client.query(
      'CREATE TABLE IF NOT EXISTS callguard_schema_migrations (version integer PRIMARY KEY, name text NOT NULL, ' +
        'applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const done = new Set(
      (await client.query<{ version: number }>('SELECT version FROM callguard_schema_migrations')).rows.map(
        (r) => r.version,
      ),
    );
    const known = Math.max(...MIGRATIONS.map((m) => m.version));
    const newer = [...done].filter((v) => v > known);
    if (newer.length)
      throw new CallguardError(
        'CG_STORE_OPEN',
        `the database schema is at version ${Math.max(...newer)}, newer than this release knows (${known}): ` +
          `upgrade this engine`,
        { setting: 'store.url' },
      );
    const applied: number[] = [];
    for (const m of MIGRATIONS) {
      if (done.has(m.version)) continue;
      await client.query(m.sql);
      await client.query('INSERT INTO callguard_schema_migrations (version, name) VALUES ($1, $2)', [
        m.version,
        m.name,
      ]);
      applied.push(m.version);
    }
    await client.query('COMMIT');
    return applied;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
}
