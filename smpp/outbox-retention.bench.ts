/**
 * Retention sweep benchmark: `npm run bench:retention`. An outbox keeps N delivered alerts (30 days at an operator),
 * 200 of which have just aged past the cutoff, as at each 10-minute sweep. Side by side in one run, per N:
 *  - the sweep (`Outbox.purgeBefore`), which reads only the retention index (by creation time) up to the cutoff;
 *  - the reference: one read of every kept record, the least the earlier sweep did (it scanned the whole table,
 *    and the whole message-id table when anything went).
 * The sweep runs on the engine's main thread, which also receives every RTP packet: its time is a pause in that.
 * Also the outbox's start-up: after a clean close, and after an unclean stop (a crash, or an earlier release), when it
 * checks every record's index entries once.
 * Env: BENCH_RETENTION_SIZES (default 1000,10000,100000).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { open } from 'lmdb';
import { Outbox, type AlertRecord } from './outbox.js';

const SIZES = (process.env.BENCH_RETENTION_SIZES ?? '1000,10000,100000').split(',').map(Number);
const AGED = 200;
const DAY = 86_400_000;

function record(i: number, at: number): AlertRecord {
  const alertId = `call-${i}@sbc.example#alert`;
  return {
    alertId,
    callId: `call-${i}@sbc.example`,
    to: `+3360${String(i).padStart(7, '0')}`,
    text:
      'ACME Mobile: this call may be a scam. Hang up; we never ask for codes or payments by phone. Reply NOT SCAM ' +
      'if it was not.',
    createdAt: at,
    updatedAt: at,
    state: 'delivered',
    ref: i & 0xff,
    parts: [{ state: 'delivered', attempts: 0, messageId: `m-${i}` }],
  };
}

async function one(n: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cg-retention-bench-'));
  let box = new Outbox(dir);
  try {
    const now = Date.now();
    const cutoff = now - 30 * DAY;
    // The first AGED records are just past the cutoff; the rest spread over the 30 days kept.
    const at = (i: number) => (i < AGED ? cutoff - 1000 - i : cutoff + 1000 + Math.floor(((i - AGED) / n) * 29 * DAY));
    // As the alert service does: every admit has committed before the record is saved (an admit is a transaction, whose
    // callback runs after the puts already queued in its batch, so a save issued right behind it would land first).
    for (let i = 0; i < n; i++) void box.admit(record(i, at(i)), null, at(i));
    await box.committed();
    for (let i = 0; i < n; i++) {
      void box.save(record(i, at(i)));
      void box.indexMessageId(`smsc|m-${i}`, { alertId: record(i, at(i)).alertId, part: 0 });
    }
    await box.committed();
    const t0 = performance.now();
    let read = 0;
    // The outbox's own 'alerts' table, through a second handle on the same environment.
    const raw = open({ path: join(dir, 'smpp-outbox'), maxDbs: 16 });
    for (const e of raw.openDB<AlertRecord, string>({ name: 'alerts' }).getRange()) if (e.value.updatedAt) read++;
    const scanMs = performance.now() - t0;
    const t1 = performance.now();
    const removed = await box.purgeBefore(cutoff, now);
    const sweepMs = performance.now() - t1;
    if (removed !== AGED || read !== n)
      throw new Error(`bench setup: removed ${removed} of ${AGED}, read ${read} of ${n}`);
    await raw.close();
    // Start-up: after a clean close (the stamp matches) and after an unclean stop (a write the stamp does not name).
    const opened = async (): Promise<number> => {
      await box.close();
      const t = performance.now();
      box = new Outbox(dir);
      return performance.now() - t;
    };
    const cleanMs = await opened();
    if (box.reindexedAtOpen) throw new Error('bench setup: a clean reopen re-checked the indexes');
    await box.close();
    const other = open({ path: join(dir, 'smpp-outbox'), maxDbs: 16 });
    await other.openDB<number, string>({ name: 'meta' }).put('unclean', 1);
    await other.close();
    const t2 = performance.now();
    box = new Outbox(dir);
    const uncleanMs = performance.now() - t2;
    if (!box.reindexedAtOpen) throw new Error('bench setup: an unclean reopen did not re-check the indexes');
    console.log(
      `| ${n.toLocaleString('en')} | ${AGED} | ${sweepMs.toFixed(1)} ms | ${scanMs.toFixed(1)} ms ` +
        `| ${cleanMs.toFixed(1)} ms | ${uncleanMs.toFixed(1)} ms |`,
    );
  } finally {
    await box.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(
  '| alerts kept | aged past the cutoff | sweep (index up to the cutoff, deletes included) | reference: one read ' +
    'of every kept record | open after a clean close | open after an unclean stop (index check pass) |',
);
console.log('|---|---|---|---|---|---|');
for (const n of SIZES) await one(n);
