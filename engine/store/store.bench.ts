/**
 * `npm run bench:store`: what the store costs on the alert path and the INVITE path, embedded lmdb vs PostgreSQL on
 * this machine (a throw-away cluster on loopback, fsync on). Per operation: median and p99 of N sequential calls,
 * and alerts admitted per second with 16 concurrent callers on distinct numbers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Outbox, OutboxLedger, type ConsentLedger } from '../../smpp/index.js';
import { PostgresCluster } from '../../test/support/postgres-cluster.js';
import { LmdbStore } from './lmdb-store.js';
import { PostgresStore } from './postgres-store.js';
import type { CallguardStore } from './store.js';

const N = 2000;
const LIMITS = { perHour: 1_000_000, oncePerCall: true };

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

async function timeEach(n: number, fn: (i: number) => Promise<unknown>): Promise<string> {
  const t: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn(i);
    t.push(performance.now() - t0);
  }
  return `median ${pct(t, 50).toFixed(3)} ms, p99 ${pct(t, 99).toFixed(3)} ms`;
}

async function run(name: string, store: CallguardStore, ledger: ConsentLedger): Promise<void> {
  for (let i = 0; i < 1000; i++) await store.subscribers.add(`+3361${String(i).padStart(7, '0')}`);
  const lookup = await timeEach(N, (i) =>
    Promise.all([
      store.subscribers.get(`+3361${String(i % 1000).padStart(7, '0')}`),
      ledger.isOptedOut(`3361${String(i % 1000).padStart(7, '0')}`),
    ]),
  );
  const admit = await timeEach(N, (i) =>
    ledger.admit(
      { alertId: `b${i}#alert`, callId: `b${i}`, to: `3361${String(i % 1000).padStart(7, '0')}`, at: Date.now() },
      LIMITS,
    ),
  );
  const t0 = performance.now();
  let k = 0;
  await Promise.all(
    Array.from({ length: 16 }, async (_, w) => {
      for (let i = 0; i < N / 16; i++)
        await ledger
          .admit(
            {
              alertId: `c${w}-${i}#alert`,
              callId: `c${w}-${i}`,
              to: `3362${String(w).padStart(7, '0')}`,
              at: Date.now(),
            },
            LIMITS,
          )
          .then(() => k++);
    }),
  );
  const rate = k / ((performance.now() - t0) / 1000);
  console.log(`${name.padEnd(10)} enrolment gate (subscriber + opt-out): ${lookup}`);
  console.log(`${name.padEnd(10)} alert admission (transaction):        ${admit}`);
  console.log(`${name.padEnd(10)} admissions/s, 16 concurrent:          ${Math.round(rate)}`);
}

const dir = mkdtempSync(join(tmpdir(), 'cg-store-bench-'));
const lmdb = new LmdbStore(dir);
const outbox = new Outbox(join(dir, 'outbox'));
await run('lmdb', lmdb, new OutboxLedger(outbox));
await lmdb.close();
await outbox.close();
rmSync(dir, { recursive: true, force: true });

const cluster = await PostgresCluster.create({ fsync: true });
try {
  const pg = await PostgresStore.open({
    url: cluster.url,
    poolSize: 8,
    statementTimeoutMs: 2000,
    connectTimeoutMs: 2000,
    logger: pino({ level: 'silent' }),
  });
  await run('postgres', pg, pg.consent);
  await pg.close();
} finally {
  await cluster.destroy();
}
