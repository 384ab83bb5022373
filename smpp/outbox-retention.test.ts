import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { open } from 'lmdb';
import { Outbox, type AlertRecord } from './outbox.js';

const HOUR = 3600_000;
const DAY = 24 * HOUR;

/**
 * Runs `fn` against an outbox in a fresh directory (`prepare` may write the directory first, as an earlier release
 * would), then closes and removes it.
 */
async function withOutbox(fn: (box: Outbox) => Promise<void>, prepare?: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cg-outbox-retention-'));
  try {
    await prepare?.(dir);
    const box = new Outbox(dir);
    try {
      await fn(box);
    } finally {
      await box.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function record(alertId: string, to: string, at: number, state: AlertRecord['state']): AlertRecord {
  return {
    alertId,
    callId: alertId.split('#')[0],
    to,
    text: 'warning',
    createdAt: at,
    updatedAt: at,
    state,
    ref: 1,
    parts: [{ state: state === 'queued' ? 'queued' : 'submitted', attempts: 0, messageId: `m-${alertId}` }],
  };
}

const outboxRetentionRecordsPastTitle =
  'outbox retention: records past the cutoff go with their message-id index, call and last-alert entries, dead ' +
  'letters and MO; pending records and opt-outs stay';
test(outboxRetentionRecordsPastTitle, () =>
  withOutbox(async (box) => {
    const now = Date.now();
    const old = now - 40 * DAY;
    const limits = { perHour: 10, oncePerCall: true };
    await box.admit(record('old-1#alert', '+33600000001', old, 'queued'), limits, old);
    await box.save(record('old-1#alert', '+33600000001', old, 'delivered'));
    await box.indexMessageId('smsc|m-old-1', { alertId: 'old-1#alert', part: 0 });
    await box.admit(record('old-2#alert', '+33600000002', old, 'queued'), limits, old);
    await box.deadLetter(record('old-2#alert', '+33600000002', old, 'failed'), 'ESME_RINVDSTADR');
    // Still waiting for a submit (an SMSC outage since then): not purged whatever its age, it has not been sent.
    await box.admit(record('old-3#alert', '+33600000003', old, 'queued'), limits, old);
    await box.admit(record('new-1#alert', '+33600000004', now, 'queued'), limits, now);
    await box.save(record('new-1#alert', '+33600000004', now, 'delivered'));
    await box.indexMessageId('smsc|m-new-1', { alertId: 'new-1#alert', part: 0 });
    await box.recordMo({ at: old, from: '+33600000001', text: 'NOT SCAM', intent: 'not-scam', alertId: 'old-1#alert' });
    await box.recordMo({ at: now, from: '+33600000004', text: 'STOP', intent: 'opt-out', alertId: 'new-1#alert' });
    await box.setOptOut('+33600000001', true);

    const removed = await box.purgeBefore(now - 30 * DAY, now);
    await box.committed();
    assert.is(removed, 2);
    assert.is(box.get('old-1#alert'), undefined);
    assert.is(box.get('old-2#alert'), undefined);
    assert.is(box.deadLetterReason('old-2#alert'), undefined);
    assert.is(box.lookupMessageId(['smsc|m-old-1']), undefined);
    assert.is(box.lastAlertFor('+33600000001'), undefined);
    assert.ok(box.get('old-3#alert'), 'pending record kept');
    assert.equal(box.pendingIds(), ['old-3#alert']);
    assert.ok(box.get('new-1#alert'));
    assert.equal(box.lookupMessageId(['smsc|m-new-1']), { alertId: 'new-1#alert', part: 0 });
    assert.is(box.lastAlertFor('+33600000004'), 'new-1#alert');
    assert.equal(
      box.moLog().map((m) => m.text),
      ['STOP'],
    );
    assert.ok(box.isOptedOut('+33600000001'), 'an opt-out is consent, not an alert record');
    // The per-call de-duplication entry went with the record: that call id no longer blocks anything.
    assert.equal(await box.admit(record('old-1#escalation', '+33600000009', now, 'queued'), limits, now), {
      accepted: true,
    });
  }),
);

const outboxRetentionAnOldTitle =
  'outbox retention: an old record changed since the cutoff is kept, and goes once that change ages; a pending one ' +
  'goes once sent';
test(outboxRetentionAnOldTitle, () =>
  withOutbox(async (box) => {
    const now = Date.now();
    const old = now - 40 * DAY;
    await box.admit(record('a#alert', '+33600000001', old, 'queued'), null, old);
    await box.save(record('a#alert', '+33600000001', old, 'submitted'));
    // NOT SCAM feedback 35 days after the alert: the record changed after the cutoff below.
    await box.save({ ...record('a#alert', '+33600000001', old, 'delivered'), updatedAt: now - 5 * DAY });
    // Created as long ago, still queued (an SMSC outage): kept by every sweep until it is sent.
    await box.admit(record('b#alert', '+33600000002', old, 'queued'), null, old);
    assert.is(await box.purgeBefore(now - 30 * DAY, now), 0);
    assert.is(
      await box.purgeBefore(now - 30 * DAY, now),
      0,
      'a second sweep reads the kept entries again and keeps them',
    );
    assert.ok(box.get('a#alert'));
    assert.ok(box.get('b#alert'));
    await box.save({ ...record('b#alert', '+33600000002', old, 'delivered'), updatedAt: old + 1 });
    // Once the later change ages too, both go.
    assert.is(await box.purgeBefore(now, now), 2);
    assert.is(box.get('a#alert'), undefined);
    assert.is(box.get('b#alert'), undefined);
    assert.is(await box.purgeBefore(now + DAY, now + DAY), 0);
  }),
);

const outboxRetentionAnOutboxTitle =
  'outbox retention: an outbox written before the retention index (records only) is indexed once at open and swept';
test(outboxRetentionAnOutboxTitle, () => {
  const now = Date.now();
  const old = now - 40 * DAY;
  return withOutbox(
    async (box) => {
      assert.is(await box.purgeBefore(now - 30 * DAY, now), 1);
      assert.is(box.get('old#alert'), undefined);
      assert.is(box.lookupMessageId(['smsc|m-old']), undefined, "the old record's receipt key went with it");
      assert.ok(box.get('new#alert'));
      assert.equal(box.lookupMessageId(['smsc|m-new']), { alertId: 'new#alert', part: 0 });
    },
    async (dir) => {
      // The older layout: the same databases, without the two index databases.
      const raw = open({ path: join(dir, 'smpp-outbox'), maxDbs: 16 });
      await raw
        .openDB<AlertRecord, string>({ name: 'alerts' })
        .put('old#alert', record('old#alert', '+33600000001', old, 'delivered'));
      await raw
        .openDB<AlertRecord, string>({ name: 'alerts' })
        .put('new#alert', record('new#alert', '+33600000002', now, 'delivered'));
      await raw.openDB({ name: 'message-ids' }).put('smsc|m-old', { alertId: 'old#alert', part: 0 });
      await raw.openDB({ name: 'message-ids' }).put('smsc|m-new', { alertId: 'new#alert', part: 0 });
      await raw.close();
    },
  );
});

const outboxRetentionLongAlertTitle =
  'outbox retention: long alert ids and message-id keys (a Call-ID and a host name) are swept with their receipt ' +
  'keys; a sweep never fails on them';
test(outboxRetentionLongAlertTitle, () =>
  withOutbox(async (box) => {
    const now = Date.now();
    const old = now - 40 * DAY;
    // Alert ids of 8 and 80 characters, receipt keys of 66: index keys on both sides of ordered-binary's 64-character
    // switch.
    const ids = ['abc#high', `${'3c26700b-6b8f-4e1a-9d2c-1234abcd5678'}@sbc-01.operator.example.net:5060;x=y#high`];
    for (const [i, id] of ids.entries()) {
      await box.admit(record(id, `+3360000000${i}`, old, 'queued'), null, old);
      await box.save(record(id, `+3360000000${i}`, old, 'delivered'));
      await box.indexMessageId(`smsc-cluster-01.operator.example.net:2775|0a1b2c3d4e5f6a7b8c9d-${i}`, {
        alertId: id,
        part: 0,
      });
      await box.indexMessageId(`smsc-cluster-01.operator.example.net:2775|0A1B2C3D4E5F6A7B8C9D-${i}`, {
        alertId: id,
        part: 0,
      });
    }
    assert.is(await box.purgeBefore(now - 30 * DAY, now), 2);
    for (const [i, id] of ids.entries()) {
      assert.is(box.get(id), undefined);
      assert.is(
        box.lookupMessageId([
          `smsc-cluster-01.operator.example.net:2775|0a1b2c3d4e5f6a7b8c9d-${i}`,
          `smsc-cluster-01.operator.example.net:2775|0A1B2C3D4E5F6A7B8C9D-${i}`,
        ]),
        undefined,
        id,
      );
    }
  }),
);

const outboxRetentionAMessageTitle =
  'outbox retention: a message id the SMSC reused for a newer alert keeps resolving to it when the older alert is ' +
  'swept';
test(outboxRetentionAMessageTitle, () =>
  withOutbox(async (box) => {
    const now = Date.now();
    const old = now - 40 * DAY;
    await box.admit(record('a#alert', '+33600000001', old, 'queued'), null, old);
    await box.save(record('a#alert', '+33600000001', old, 'delivered'));
    await box.indexMessageId('smsc|7', { alertId: 'a#alert', part: 0 });
    await box.admit(record('b#alert', '+33600000002', now, 'queued'), null, now);
    await box.indexMessageId('smsc|7', { alertId: 'b#alert', part: 0 });
    assert.is(await box.purgeBefore(now - 30 * DAY, now), 1);
    assert.equal(box.lookupMessageId(['smsc|7']), { alertId: 'b#alert', part: 0 });
    await box.save(record('b#alert', '+33600000002', now, 'delivered'));
    assert.is(await box.purgeBefore(now + 1, now + 1), 1);
    assert.is(box.lookupMessageId(['smsc|7']), undefined);
  }),
);

const outboxRetentionAnEarlierTitle =
  'outbox retention: an earlier release run after a rollback (one record added, one purged: the same sizes) is ' +
  'caught by the close stamp; its records are indexed and swept';
test(outboxRetentionAnEarlierTitle, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cg-outbox-rollback-'));
  const now = Date.now();
  const old = now - 40 * DAY;
  try {
    let box = new Outbox(dir);
    for (const id of ['x#alert', 'keep#alert']) {
      await box.admit(record(id, '+33600000001', id === 'x#alert' ? old : now, 'queued'), null, now);
      await box.save(record(id, '+33600000001', id === 'x#alert' ? old : now, 'delivered'));
    }
    await box.indexMessageId('smsc|k-x', { alertId: 'x#alert', part: 0 });
    await box.close();
    // Closed cleanly and reopened by this release: the stamp matches, no pass over the tables.
    box = new Outbox(dir);
    assert.not.ok(box.reindexedAtOpen);
    await box.close();
    // The earlier release writes records and receipt keys only; its own sweep deletes a record and its receipt key
    // without their index entries. Both tables keep their sizes.
    const raw = open({ path: join(dir, 'smpp-outbox'), maxDbs: 16 });
    const alerts = raw.openDB<AlertRecord, string>({ name: 'alerts' });
    const ids = raw.openDB<{ alertId: string; part: number }, string>({ name: 'message-ids' });
    await alerts.put('y#alert', record('y#alert', '+33600000002', old, 'delivered'));
    await ids.put('smsc|k-y', { alertId: 'y#alert', part: 0 });
    await alerts.remove('x#alert');
    await ids.remove('smsc|k-x');
    await raw.close();
    box = new Outbox(dir);
    try {
      assert.ok(box.reindexedAtOpen, 'written by something else since the stamp');
      assert.is(await box.purgeBefore(now - 30 * DAY, now), 1);
      assert.is(box.get('y#alert'), undefined);
      assert.is(box.lookupMessageId(['smsc|k-y']), undefined);
      assert.ok(box.get('keep#alert'));
      await box.close();
      // Every index entry points at something again: nothing of x or y is left behind.
      const check = open({ path: join(dir, 'smpp-outbox'), maxDbs: 16 });
      const left = (name: string) => [...check.openDB<unknown, string>({ name }).getKeys()].map(String);
      assert.equal(
        left('by-created').map((k) => k.split('|')[1]),
        ['keep#alert'],
      );
      assert.equal(left('message-ids-of-alert'), []);
      await check.close();
    } finally {
      await box.close().catch(() => undefined);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('outbox retention: a receipt for an alert already swept does not bring its record back', () =>
  withOutbox(async (box) => {
    const now = Date.now();
    const old = now - 40 * DAY;
    await box.admit(record('a#alert', '+33600000001', old, 'queued'), null, old);
    await box.save(record('a#alert', '+33600000001', old, 'submitted'));
    assert.is(await box.purgeBefore(now - 30 * DAY, now), 1);
    // An EXPIRED receipt days later, for the copy the alert service still holds.
    assert.is(await box.save({ ...record('a#alert', '+33600000001', old, 'expired'), updatedAt: now }), false);
    assert.is(await box.deadLetter(record('a#alert', '+33600000001', old, 'failed'), 'late'), false);
    assert.is(box.get('a#alert'), undefined);
    assert.is(box.deadLetterReason('a#alert'), undefined);
  }));

test.run();
