import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Status } from './codec.js';
import { decodeGsm7 } from './gsm7.js';
import { rig, until, waitEvent } from './test-harness.js';

const TO = '+447700900001';

test('GSM-7 alert: submit_sm fields, receipt matched, delivered event', async () => {
  const r = await rig();
  try {
    const res = await r.svc.enqueue({ alertId: 'a1', callId: 'c1', to: TO, explanation: 'Caller demanded a code' });
    assert.equal(res, { accepted: true });
    await waitEvent(r.svc, (e) => e.type === 'delivered' && e.alertId === 'a1', 'delivered');
    const subs = r.sim.received.filter((s) => s.destination === '447700900001');
    assert.ok(subs.length >= 1);
    const s = subs[0];
    assert.is(s.dataCoding, 0);
    assert.is(s.source, 'ACME');
    assert.is(s.sourceTon, 5);
    assert.is(s.sourceNpi, 0);
    assert.is(s.registeredDelivery & 1, 1);
    assert.is(s.validityPeriod, '000000003000000R');
    const full = subs.map((x) => decodeGsm7(x.concat ? x.shortMessage.subarray(6) : x.shortMessage)).join('');
    assert.match(full, 'Caller demanded a code');
    assert.is(r.svc.getAlert('a1')?.state, 'delivered');
  } finally {
    await r.cleanup();
  }
});

test('receipt ids in decimal text while submit_sm_resp ids are hex still match (text only, no TLVs)', async () => {
  const r = await rig({ sim: { receipts: { tlv: false, textIdFormat: 'decimal' } } });
  try {
    await r.svc.enqueue({ alertId: 'h1', to: TO, text: 'short' });
    await waitEvent(r.svc, (e) => e.type === 'delivered' && e.alertId === 'h1', 'delivered');
    assert.is(r.svc.status().counters.unmatchedReceipts, 0);
  } finally {
    await r.cleanup();
  }
});

const anSmscThatReusesTitle =
  'an SMSC that reuses message ids (restart): each receipt lands on the newest submit with the id, even when it ' +
  'beats the submit_sm_resp; the old alert is untouched';
test(anSmscThatReusesTitle, async () => {
  const r = await rig();
  try {
    await r.svc.enqueue({ alertId: 'old', to: TO, text: 'first' });
    await waitEvent(r.svc, (e) => e.type === 'delivered' && e.alertId === 'old', 'old delivered');
    r.sim.restartIds();
    r.sim.setReceipts({ beforeResponse: true });
    await r.svc.enqueue({ alertId: 'new', to: TO, text: 'second' });
    await waitEvent(r.svc, (e) => e.type === 'delivered' && e.alertId === 'new', 'new delivered');
    const ids = r.sim.received.map((x) => x.messageId);
    assert.is(ids.length, 2);
    assert.is(ids[0], ids[1], 'the SMSC gave both submits the same id');
    assert.is(r.svc.getAlert('new')?.state, 'delivered');
    assert.is(r.svc.getAlert('old')?.state, 'delivered');
    assert.is(
      r.events.filter((e) => e.type === 'delivered' && e.alertId === 'old').length,
      1,
      'the old alert was not delivered twice',
    );
    const c = r.svc.status().counters;
    assert.is(c.unmatchedReceipts, 0);
    assert.is(c.staleReceipts, 0);
  } finally {
    await r.cleanup();
  }
});

const aReceiptForATitle =
  'a receipt for a part already final (a duplicate, or an id whose newest submit is done) changes nothing and is ' +
  'counted';
test(aReceiptForATitle, async () => {
  const r = await rig();
  try {
    await r.svc.enqueue({ alertId: 'd1', to: TO, text: 'once' });
    await waitEvent(r.svc, (e) => e.type === 'delivered' && e.alertId === 'd1', 'delivered');
    const id = r.sim.received[0].messageId;
    const status = await r.sim.sendDeliver({
      esm_class: 0x04,
      short_message: Buffer.from(
        `id:${id} sub:001 dlvrd:000 submit date:2612062200 done date:2612062200 stat:UNDELIV err:001 text:x`,
      ),
    });
    assert.is(status, Status.ROK);
    assert.is(r.svc.getAlert('d1')?.state, 'delivered');
    assert.is(r.svc.status().counters.staleReceipts, 1);
  } finally {
    await r.cleanup();
  }
});

const closeRightAfterATitle =
  'close() right after a submit answers the receipt that ' + "arrived before the unbind (callguard notify's path)";
test(closeRightAfterATitle, async () => {
  const r = await rig();
  try {
    await r.svc.enqueue({ alertId: 'n1', to: TO, text: 'notify' });
    await waitEvent(r.svc, (e) => e.type === 'submitted' && e.alertId === 'n1', 'submitted');
    await r.svc.close();
    await r.sim.waitFor(() => r.sim.stats.deliverAcks.length >= 1, 2000);
    assert.equal(r.sim.stats.deliverAcks, [Status.ROK], 'the receipt got its deliver_sm_resp before the unbind');
  } finally {
    await r.cleanup();
  }
});

test('UNDELIV and EXPIRED receipts set the final state', async () => {
  const r = await rig({ sim: { receipts: { stat: 'UNDELIV' } } });
  try {
    await r.svc.enqueue({ alertId: 'u1', to: TO, text: 'x' });
    await waitEvent(r.svc, (e) => e.type === 'undeliverable' && e.alertId === 'u1', 'undeliverable');
    r.sim.setReceipts({ stat: 'EXPIRED' });
    await r.svc.enqueue({ alertId: 'u2', to: TO, text: 'y' });
    await waitEvent(r.svc, (e) => e.type === 'expired' && e.alertId === 'u2', 'expired');
    assert.is(r.svc.getAlert('u2')?.state, 'expired');
  } finally {
    await r.cleanup();
  }
});

test('ESME_RTHROTTLED pauses and retries without losing or dead-lettering', async () => {
  const r = await rig();
  try {
    r.sim.throttleNext(4);
    for (let i = 0; i < 5; i++) await r.svc.enqueue({ alertId: `t${i}`, to: TO, text: `m${i}` });
    for (let i = 0; i < 5; i++) await until(() => r.svc.getAlert(`t${i}`)?.state === 'delivered', `t${i} delivered`);
    const st = r.svc.status();
    assert.is(st.counters.throttled, 4);
    assert.is(st.counters.deadLettered, 0);
    assert.is(st.binds[0].counters.throttled, 4);
  } finally {
    await r.cleanup();
  }
});

test('response timeout frees the slot and the alert is retried', async () => {
  const r = await rig({ svc: { responseTimeoutMs: 300 } });
  try {
    r.sim.dropNext(1);
    await r.svc.enqueue({ alertId: 'to1', to: TO, text: 'hello' });
    await waitEvent(r.svc, (e) => e.type === 'delivered' && e.alertId === 'to1', 'delivered');
    assert.ok(r.svc.status().counters.timeouts >= 1);
    assert.ok(r.sim.received.length >= 2); // the dropped one and the retry
    assert.is(r.svc.status().window.inFlight, 0);
  } finally {
    await r.cleanup();
  }
});

test('transient errors retry; permanent errors go to the dead-letter store with the reason', async () => {
  const r = await rig();
  try {
    r.sim.failNext(2, Status.RMSGQFUL);
    await r.svc.enqueue({ alertId: 'q1', to: TO, text: 'queue full twice' });
    await waitEvent(r.svc, (e) => e.type === 'delivered' && e.alertId === 'q1', 'delivered');
    r.sim.failNext(1, Status.RINVDSTADR);
    await r.svc.enqueue({ alertId: 'p1', to: TO, text: 'bad destination' });
    const ev = await waitEvent(r.svc, (e) => e.type === 'failed' && e.alertId === 'p1', 'failed');
    assert.match((ev as { reason: string }).reason, 'ESME_RINVDSTADR');
    assert.match(r.svc.deadLetterReason('p1') ?? '', 'ESME_RINVDSTADR');
    assert.is(r.svc.getAlert('p1')?.state, 'failed');
  } finally {
    await r.cleanup();
  }
});

test('retry cap: a persistently failing alert is dead-lettered, not retried forever', async () => {
  const r = await rig({ svc: { retry: { baseMs: 5, maxMs: 10, maxAttempts: 3 } } });
  try {
    r.sim.failNext(3, Status.RSYSERR);
    await r.svc.enqueue({ alertId: 'cap', to: TO, text: 'x' });
    const ev = await waitEvent(r.svc, (e) => e.type === 'failed' && e.alertId === 'cap', 'failed');
    assert.match((ev as { reason: string }).reason, 'gave up after 3 attempts');
  } finally {
    await r.cleanup();
  }
});

test('window: never more than `window` submits outstanding', async () => {
  const r = await rig({ svc: { window: 10 } });
  try {
    r.sim.holdResponses(true);
    for (let i = 0; i < 25; i++)
      await r.svc.enqueue({ alertId: `w${i}`, to: `4477009${String(i).padStart(5, '0')}`, text: `w${i}` });
    await r.sim.waitFor(() => r.sim.received.length >= 10);
    // Barrier: an SMSC->ESME round trip, so anything the ESME was going to send is on the wire by now.
    assert.is(await r.sim.enquireLink(), 1);
    assert.is(r.sim.received.length, 10);
    assert.is(r.svc.status().window.inFlight, 10);
    assert.is(r.svc.status().outbox.queuedParts, 25);
    r.sim.holdResponses(false);
    r.sim.releaseHeld();
    await until(() => r.svc.status().counters.delivered === 25, 'all delivered');
    assert.is(r.sim.stats.maxOutstanding, 10);
  } finally {
    await r.cleanup();
  }
});

test('disconnect with a full window: unacknowledged submits are requeued and all alerts arrive', async () => {
  const r = await rig({ svc: { window: 5 } });
  try {
    r.sim.holdResponses(true);
    for (let i = 0; i < 8; i++) await r.svc.enqueue({ alertId: `d${i}`, to: TO, text: `d${i}` });
    await r.sim.waitFor(() => r.sim.received.length >= 5);
    r.sim.holdResponses(false);
    r.sim.disconnectAll();
    await until(() => r.svc.status().counters.delivered === 8, 'all delivered after reconnect');
    const ids = new Set(r.sim.received.map((s) => s.text));
    for (let i = 0; i < 8; i++) assert.ok(ids.has(`d${i}`), `d${i} received`);
    assert.ok(r.svc.status().counters.requeuedOnDisconnect >= 5);
  } finally {
    await r.cleanup();
  }
});

test('SMSC outage then recovery: nothing lost', async () => {
  const r = await rig({ bound: true });
  try {
    r.sim.setDown(true);
    await until(() => r.svc.status().binds[0].state !== 'bound', 'bind lost');
    for (let i = 0; i < 20; i++) {
      const res = await r.svc.enqueue({ alertId: `o${i}`, to: TO, text: `outage ${i}` });
      assert.ok(res.accepted);
    }
    assert.is(r.sim.received.length, 0);
    r.sim.setDown(false);
    await until(() => r.svc.status().counters.delivered === 20, 'all 20 delivered');
    const texts = new Set(r.sim.received.map((s) => s.text));
    for (let i = 0; i < 20; i++) assert.ok(texts.has(`outage ${i}`));
  } finally {
    await r.cleanup();
  }
});

test('answers the SMSC enquire_link; SMSC unbind leads to a fresh bind', async () => {
  const r = await rig();
  try {
    assert.is(await r.sim.enquireLink(), 1);
    const binds = r.sim.stats.binds;
    r.sim.unbindAll();
    await until(() => r.sim.stats.binds > binds && r.sim.boundSessions() === 1, 'rebound');
    await r.svc.enqueue({ alertId: 'after-unbind', to: TO, text: 'x' });
    await waitEvent(r.svc, (e) => e.type === 'delivered' && e.alertId === 'after-unbind');
  } finally {
    await r.cleanup();
  }
});

test('MO STOP: opted out before the ack, confirmed by SMS, later alerts refused; NOT SCAM recorded', async () => {
  const r = await rig();
  try {
    await r.svc.enqueue({ alertId: 'm1', callId: 'call-1', to: TO, text: 'alert' });
    await waitEvent(r.svc, (e) => e.type === 'delivered' && e.alertId === 'm1');
    assert.is(await r.sim.sendMo('447700900001', 'Not scam'), 0);
    assert.equal(r.svc.getAlert('m1')?.feedback?.verdict, 'not-scam');
    assert.is(await r.sim.sendMo('447700900001', 'STOP'), 0);
    assert.ok(r.svc.isOptedOut(TO)); // persisted before deliver_sm_resp
    await r.sim.waitFor(() => r.sim.received.some((s) => /no longer get scam-call alerts/.test(s.text)));
    const res = await r.svc.enqueue({ alertId: 'm2', to: TO, text: 'again' });
    assert.equal(res, { accepted: false, reason: 'opted_out' });
    assert.is(await r.sim.sendMo('447700900001', 'START'), 0);
    assert.not.ok(r.svc.isOptedOut(TO));
    const log = r.svc.moLog().map((m) => m.intent);
    assert.equal(log, ['not-scam', 'opt-out', 'opt-in']);
  } finally {
    await r.cleanup();
  }
});

test('per-subscriber limits: one alert per call, N per hour, idempotent alertId', async () => {
  const r = await rig({ svc: { limits: { perHour: 2 } } });
  try {
    assert.equal(await r.svc.enqueue({ alertId: 'r1', callId: 'k1', to: TO, text: 'a' }), { accepted: true });
    assert.equal(await r.svc.enqueue({ alertId: 'r2', callId: 'k1', to: TO, text: 'b' }), {
      accepted: false,
      reason: 'duplicate_call',
    });
    assert.equal(await r.svc.enqueue({ alertId: 'r1', callId: 'k1', to: TO, text: 'a' }), {
      accepted: true,
      reason: 'duplicate_alert',
    });
    assert.equal(await r.svc.enqueue({ alertId: 'r3', callId: 'k2', to: TO, text: 'c' }), { accepted: true });
    assert.equal(await r.svc.enqueue({ alertId: 'r4', callId: 'k3', to: TO, text: 'd' }), {
      accepted: false,
      reason: 'rate_limited',
    });
    assert.equal(await r.svc.enqueue({ alertId: 'r5', to: 'not-a-number', text: 'd' }), {
      accepted: false,
      reason: 'invalid_msisdn',
    });
  } finally {
    await r.cleanup();
  }
});

test('close() drains the window and unbinds', async () => {
  const r = await rig();
  r.sim.setResponseDelay(50);
  try {
    for (let i = 0; i < 5; i++) await r.svc.enqueue({ alertId: `c${i}`, to: TO, text: `c${i}` });
    await r.sim.waitFor(() => r.sim.received.length >= 5);
    await r.svc.close();
    assert.is(r.sim.stats.unbinds, 1);
    assert.is(r.svc.status().window.inFlight, 0);
    assert.is(r.svc.status().state, 'closed');
  } finally {
    await r.cleanup();
  }
});

test('useMessagePayload sends a long alert as one submit_sm with message_payload', async () => {
  const r = await rig({ svc: { useMessagePayload: true } });
  try {
    const text = 'long alert '.repeat(30).trim();
    await r.svc.enqueue({ alertId: 'mp', to: TO, text });
    await waitEvent(r.svc, (e) => e.type === 'delivered' && e.alertId === 'mp');
    assert.is(r.sim.received.length, 1);
    const s = r.sim.received[0];
    assert.is(s.shortMessage.length, 0);
    assert.is(s.esmClass & 0x40, 0);
    assert.is(s.messagePayload?.toString('latin1'), text);
    assert.is(s.text, text);
  } finally {
    await r.cleanup();
  }
});

test('ready() rejects with CG_SMPP_CLOSED when the service closes before any bind is up, and after close', async () => {
  // Wrong password: the simulator refuses every bind, so ready() can only end by close().
  const r = await rig({ sim: { password: 'other' }, bound: false });
  try {
    const waiting = r.svc.ready().then(
      () => 'resolved',
      (e: { code?: string }) => e.code,
    );
    await r.svc.close();
    assert.is(await waiting, 'CG_SMPP_CLOSED');
    assert.is(
      await r.svc.ready().then(
        () => 'resolved',
        (e: { code?: string }) => e.code,
      ),
      'CG_SMPP_CLOSED',
    );
  } finally {
    await r.cleanup();
  }
});

test.run();
