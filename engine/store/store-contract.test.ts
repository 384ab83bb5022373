import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Outbox, OutboxLedger, type ConsentLedger } from '../../smpp/index.js';
import { quietLog } from '../../test/support/engine-fixtures.js';
import { PostgresCluster } from '../../test/support/postgres-cluster.js';
import { rejects } from '../../test/support/rejects.js';
import type { AlertRecordView } from '../ops/alert-records.js';
import { LmdbStore } from './lmdb-store.js';
import { PostgresStore } from './postgres-store.js';
import type { CallguardStore } from './store.js';

/**
 * What each case gets: a fresh, empty store and its consent ledger (the outbox's for lmdb, the store's own for
 * PostgreSQL).
 */
interface Backend {
  store: CallguardStore;
  ledger: ConsentLedger;
  close(): Promise<void>;
}

const dirs: string[] = [];
let cluster: PostgresCluster | null = null;

async function lmdbBackend(): Promise<Backend> {
  const dir = mkdtempSync(join(tmpdir(), 'cg-store-'));
  dirs.push(dir);
  const store = new LmdbStore(dir);
  const outbox = new Outbox(join(dir, 'outbox'));
  return {
    store,
    ledger: new OutboxLedger(outbox),
    close: async () => {
      await store.close();
      await outbox.close();
    },
  };
}

async function postgresBackend(): Promise<Backend> {
  cluster ??= await PostgresCluster.create();
  const store = await PostgresStore.open({
    url: cluster.url,
    poolSize: 4,
    statementTimeoutMs: 5000,
    connectTimeoutMs: 5000,
    logger: quietLog,
  });
  await store.runner.query('TRUNCATE subscribers, consent, consent_history, admissions, mo_messages, alert_records');
  return { store, ledger: store.consent, close: () => store.close() };
}

const record = (alertId: string, at: number, over: Partial<AlertRecordView> = {}): AlertRecordView => ({
  alertId,
  callId: alertId.split('#')[0],
  to: '+33612345678',
  at,
  level: 'alert',
  risk: 0.91,
  explanation: 'urgent pressure from the caller',
  state: 'raised',
  reason: null,
  ...over,
});

const LIMITS = { perHour: 3, oncePerCall: true };

/** The same contract, case for case, against each implementation. */
function contract(name: string, open: () => Promise<Backend>) {
  const t = suite<{ b: Backend }>(`store contract: ${name}`);
  t.before.each(async (ctx) => {
    ctx.b = await open();
  });
  t.after.each(async (ctx) => {
    await ctx.b.close();
  });

  t(
    'subscribers: enrol, update keeps the enrolment time, normalised lookups, remove, bad input refused with CG_ codes',
    async ({ b }) => {
      const s = b.store.subscribers;
      const first = await s.add('+33 6 12 34 56 78', 'fr');
      assert.is(first.created, true);
      assert.equal(
        { ...first.subscriber, enrolledAt: typeof first.subscriber.enrolledAt },
        { msisdn: '+33612345678', language: 'fr', enrolledAt: 'string' },
      );
      const again = await s.add('0033612345678', 'de');
      assert.is(again.created, false);
      assert.is(again.subscriber.enrolledAt, first.subscriber.enrolledAt);
      assert.equal(await s.get('+33612345678'), again.subscriber);
      assert.is((await s.get('+33612345678'))?.language, 'de');
      assert.is(await s.get('+33600000000'), undefined);
      assert.is(await s.get('not a number'), undefined);
      assert.is(await s.count(), 1);
      await rejects(
        () => s.add('0612'),
        (e: any) => e.code === 'CG_BAD_MSISDN',
      );
      await rejects(
        () => s.add('+33611111111', 'French!'),
        (e: any) => e.code === 'CG_BAD_LANGUAGE',
      );
      assert.is(await s.remove('+33612345678'), true);
      assert.is(await s.remove('+33612345678'), false);
      assert.is(await s.count(), 0);
    },
  );

  t('subscribers: CSV import reports bad rows by line and counts a repeated number as an update', async ({ b }) => {
    const s = b.store.subscribers;
    await s.add('+447700900555', 'en');
    const r = await s.importCsv(
      'msisdn,language\n+447700900555,fr\nbad-number\n+4915112345678,de\n# comment\n+4915112345678,en\n+33612345678\n',
    );
    assert.equal({ rows: r.rows, added: r.added, updated: r.updated }, { rows: 5, added: 2, updated: 2 });
    assert.equal(
      r.errors.map((e) => [e.line, e.code]),
      [[3, 'CG_BAD_MSISDN']],
    );
    assert.is((await s.get('+4915112345678'))?.language, 'en', 'the last line of a repeated number wins');
    assert.is((await s.get('+447700900555'))?.language, 'fr');
    assert.is(await s.count(), 3);
    await rejects(
      () => s.importCsv(Array.from({ length: 10_001 }, (_, i) => `+3361${String(i).padStart(7, '0')}`).join('\n')),
      (e: any) => e.code === 'CG_TOO_MANY_ROWS',
    );
  });

  t('alert records: add once, states move until final, newest first, purge by age', async ({ b }) => {
    const a = b.store.alerts;
    assert.is(await a.add(record('c1#alert', 1000)), true);
    assert.is(
      await a.add(record('c1#alert', 1000, { explanation: 'replayed' })),
      false,
      'a replayed alert is the same alert',
    );
    assert.is(await a.add(record('c2#alert', 3000)), true);
    assert.is(await a.add(record('c3#warning', 2000, { to: null })), true);
    assert.is(await a.setState('c1#alert', 'queued'), true);
    assert.is(await a.setState('c1#alert', 'delivered'), true);
    assert.is(await a.setState('c1#alert', 'failed', 'late'), false, 'a final state stays final');
    assert.is(await a.setState('nope#alert', 'queued'), false);
    assert.is(await a.setState('c3#warning', 'refused', 'no_number'), true);
    assert.equal(await a.get('c1#alert'), record('c1#alert', 1000, { state: 'delivered' }));
    assert.equal(
      await a.get('c3#warning'),
      record('c3#warning', 2000, { to: null, state: 'refused', reason: 'no_number' }),
    );
    assert.equal(
      (await a.latest(10)).map((r) => r.alertId),
      ['c2#alert', 'c3#warning', 'c1#alert'],
    );
    assert.equal(
      (await a.latest(1)).map((r) => r.alertId),
      ['c2#alert'],
    );
    assert.is(await a.count(), 3);
    assert.is(await a.purgeBefore(2000), 1);
    assert.equal(
      (await a.latest(10)).map((r) => r.alertId),
      ['c2#alert', 'c3#warning'],
    );
  });

  t('consent: opt-out and back in, with history; an opted-out number is refused', async ({ b }) => {
    const l = b.ledger;
    const to = '33612345678';
    assert.is(await l.isOptedOut(to), false);
    await l.setOptOut(to, true, 1000);
    assert.is(await l.isOptedOut(to), true);
    assert.equal(await l.admit({ alertId: 'c1#alert', callId: 'c1', to, at: 2000 }, LIMITS), {
      accepted: false,
      reason: 'opted_out',
    });
    await l.setOptOut(to, false, 3000);
    assert.is(await l.isOptedOut(to), false);
    assert.equal(await l.admit({ alertId: 'c1#alert', callId: 'c1', to, at: 4000 }, LIMITS), { accepted: true });
    assert.equal(await l.consentHistory(to), [
      { at: 1000, optedOut: true },
      { at: 3000, optedOut: false },
    ]);
    assert.equal(await l.consentHistory('33600000000'), []);
  });

  t(
    'consent: once per call, the hourly rate, an alertId admitted twice counts once, last alert per number',
    async ({ b }) => {
      const l = b.ledger;
      const to = '33612345678';
      const h = 3_600_000;
      assert.equal(await l.admit({ alertId: 'c1#warning', callId: 'c1', to, at: h }, LIMITS), { accepted: true });
      assert.equal(await l.admit({ alertId: 'c1#warning', callId: 'c1', to, at: h + 5 }, LIMITS), {
        accepted: true,
        duplicate: true,
      });
      assert.equal(await l.admit({ alertId: 'c1#alert', callId: 'c1', to, at: h + 10 }, LIMITS), {
        accepted: false,
        reason: 'duplicate_call',
      });
      assert.equal(await l.admit({ alertId: 'c2#alert', callId: 'c2', to, at: h + 20 }, LIMITS), { accepted: true });
      assert.equal(await l.admit({ alertId: 'c3#alert', callId: 'c3', to, at: h + 30 }, LIMITS), { accepted: true });
      assert.equal(await l.admit({ alertId: 'c4#alert', callId: 'c4', to, at: h + 40 }, LIMITS), {
        accepted: false,
        reason: 'rate_limited',
      });
      assert.equal(
        await l.admit({ alertId: 'c5#alert', callId: 'c5', to: '33699999999', at: h + 40 }, LIMITS),
        { accepted: true },
        'the rate is per number',
      );
      assert.equal(
        await l.admit({ alertId: 'c6#alert', callId: 'c6', to, at: 2 * h + 1 }, LIMITS),
        { accepted: true },
        'an hour later the first alert no longer counts',
      );
      assert.is(await l.lastAlertFor(to), 'c6#alert');
      assert.is(await l.lastAlertFor('33600000000'), undefined);
    },
  );

  t('consent: concurrent admissions for one number never exceed the hourly rate', async ({ b }) => {
    const to = '33612345678';
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        b.ledger.admit({ alertId: `k${i}#alert`, callId: `k${i}`, to, at: 10_000 + i }, LIMITS),
      ),
    );
    assert.is(results.filter((r) => r.accepted).length, 3);
    assert.ok(results.filter((r) => !r.accepted).every((r) => !r.accepted && r.reason === 'rate_limited'));
  });

  t('consent: the MO feedback log keeps order and the alert it answers', async ({ b }) => {
    await b.ledger.recordMo({ at: 1, from: '33612345678', text: 'STOP', intent: 'opt-out' });
    await b.ledger.recordMo({ at: 2, from: '33612345678', text: 'not scam', intent: 'not-scam', alertId: 'c1#alert' });
    assert.equal(await b.ledger.moLog(), [
      { at: 1, from: '33612345678', text: 'STOP', intent: 'opt-out' },
      { at: 2, from: '33612345678', text: 'not scam', intent: 'not-scam', alertId: 'c1#alert' },
    ]);
    assert.equal(
      (await b.ledger.moLog(1)).map((m) => m.text),
      ['not scam'],
    );
  });

  t('health: an open store is up and answers a probe', async ({ b }) => {
    assert.is(b.store.health().state, 'up');
    assert.is(await b.store.probe(), true);
  });

  return t;
}

const pgOnly = suite('store: PostgreSQL specifics');

pgOnly(
  'migrations are idempotent: a second engine opening the same database applies nothing and sees the data',
  async () => {
    const a = (await postgresBackend()).store as PostgresStore;
    const b = await PostgresStore.open({
      url: cluster!.url,
      poolSize: 2,
      statementTimeoutMs: 5000,
      connectTimeoutMs: 5000,
      logger: quietLog,
    });
    try {
      const versions = await b.runner.query<{ version: number }>(
        'SELECT version FROM callguard_schema_migrations ORDER BY version',
      );
      assert.equal(
        versions.rows.map((r) => r.version),
        [1],
      );
      // Two engines: what one writes, the other reads at once (no cache between them).
      await a.subscribers.add('+33612345678', 'fr');
      assert.is((await b.subscribers.get('+33612345678'))?.language, 'fr');
      await b.consent.setOptOut('33612345678', true, 5);
      assert.is(await a.consent!.isOptedOut('33612345678'), true);
      assert.equal(await a.consent!.admit({ alertId: 'x#alert', callId: 'x', to: '33612345678', at: 10 }, LIMITS), {
        accepted: false,
        reason: 'opted_out',
      });
    } finally {
      await a.close();
      await b.close();
    }
  },
);

pgOnly(
  'a statement slower than store.statementTimeoutMs counts as the store being down (CG_STORE_UNAVAILABLE), and ' +
    'up again after',
  async () => {
    const s = await PostgresStore.open({
      url: cluster!.url,
      poolSize: 2,
      statementTimeoutMs: 200,
      connectTimeoutMs: 5000,
      logger: quietLog,
    });
    try {
      await rejects(
        () => s.runner.query('SELECT pg_sleep(2)'),
        (e: any) => e.code === 'CG_STORE_UNAVAILABLE',
      );
      assert.is(s.health().state, 'down');
      assert.match(s.health().lastError ?? '', /statement timeout/);
      assert.is(await s.probe(), true);
      assert.is(s.health().state, 'up');
      // A wrong statement is a bug, not an outage: it is thrown as it is and leaves the health alone.
      await rejects(
        () => s.runner.query('SELECT * FROM no_such_table'),
        (e: any) => e.code === '42P01',
      );
      assert.is(s.health().state, 'up');
    } finally {
      await s.close();
    }
  },
);

pgOnly(
  'outage or bug: connection and timeout errors are outages (held and retried), any other error is not (it would ' +
    'hold work forever)',
  async () => {
    const { isUnavailable } = await import('./pg-runner.js');
    for (const e of [
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
      Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }),
      new Error('Connection terminated unexpectedly'),
      new Error('Query read timeout'),
      new Error('timeout exceeded when trying to connect'),
    ])
      assert.ok(isUnavailable(e), e.message);
    for (const e of [
      new TypeError('Cannot read properties of undefined'),
      Object.assign(new Error('duplicate key value'), { code: '23505' }),
      Object.assign(new Error('syntax error'), { code: '42601' }),
    ])
      assert.not.ok(isUnavailable(e), e.message);
  },
);

pgOnly('an unreachable store.url is refused at open with the URL (password masked)', async () => {
  const { openStore } = await import('./open-store.js');
  const { loadConfig } = await import('../config/load-config.js');
  const cfg = loadConfig({
    env: {
      CALLGUARD_STORE_URL: 'postgres://cg:secret@127.0.0.1:1/callguard',
      CALLGUARD_STORE_CONNECT_TIMEOUT_MS: '500',
    },
  });
  await rejects(
    () => openStore(cfg, quietLog),
    (e: any) => e.code === 'CG_STORE_OPEN' && e.message.includes('cg:***@127.0.0.1:1') && !e.message.includes('secret'),
  );
  assert.throws(
    () => loadConfig({ env: { CALLGUARD_STORE_URL: 'mysql://x@y/z' } }),
    (e: any) => e.code === 'CG_CONFIG_INVALID' && e.message.includes('store.url'),
  );
});

pgOnly.after(async () => {
  await cluster?.destroy();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

contract('lmdb', lmdbBackend).run();
contract('PostgreSQL', postgresBackend).run();
pgOnly.run();
