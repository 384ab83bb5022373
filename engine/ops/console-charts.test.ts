import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { WindowEvent } from '../../actors/actor-events.js';
import { quietLog, testConfig } from '../../test/support/engine-fixtures.js';
import { Supervisor, type CallInfo } from '../supervisor.js';
import { CallTimelines } from './call-timelines.js';
import { EngineHistory } from './engine-history.js';

// A supervisor that is not started still carries its events: the timelines and the history are fed exactly as live.
const window = (t: number, risk: number, cues: [number, number, number, number]) =>
  ({ type: 'window', leg: 0, index: t, tEnd: t, risk, cues }) as unknown as WindowEvent;

const callTimelineOnePointTitle =
  'call timeline: one point per scored window, alerts marked, thinned past its bound keeping the peaks, ended ' +
  'calls kept a while';
test(callTimelineOnePointTitle, () => {
  const sup = new Supervisor(testConfig(), quietLog);
  const tl = new CallTimelines(sup);
  tl.attach();
  for (let i = 1; i <= 10; i++) sup.emit('window', 'a', window(i, i / 10, [i / 20, 0, 0, 0]));
  sup.emit('window', 'a', { ...window(11, 0, [0, 0, 0, 0]), risk: null, cues: undefined });
  sup.emit(
    'alert',
    'a',
    { type: 'alert', level: 'alert', risk: 0.9, t: 7.5, explanation: 'x', actions: [], cues: {}, basis: 'acoustic' },
    {} as CallInfo,
  );
  let a = tl.get('a')!;
  assert.equal(a.t, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 'windows without a policy verdict are not points');
  assert.equal(a.risk.slice(0, 3), [0.1, 0.2, 0.3]);
  assert.equal(a.alerts, [{ t: 7.5, level: 'alert', basis: 'acoustic' }]);

  // An hour-long call at 2 windows/s: bounded, in time order, the one short burst of pressure survives thinning.
  for (let i = 0; i < 7200; i++) sup.emit('window', 'b', window(i / 2, 0.2, [i === 5000 ? 0.95 : 0.1, 0, 0, 0]));
  const b = tl.get('b')!;
  assert.ok(b.t.length <= 400 && b.t.length >= 150, `points ${b.t.length}`);
  assert.ok(
    b.t.every((v, i) => i === 0 || v > b.t[i - 1]),
    'time increases',
  );
  assert.is(b.t[b.t.length - 1], 3599.5, 'the latest window is the last point');
  assert.is(Math.max(...b.pressure), 0.95, 'the burst is kept');

  sup.emit('call-ended', {
    callId: 'a',
    reason: 'bye',
    state: 'ended',
    info: { intents: [{ intent: 'claims_bank', t: 3.21, confidence: 0.8 }] } as CallInfo,
  });
  a = tl.get('a')!;
  assert.is(a.active, false);
  assert.equal(a.intents, [{ t: 3.2, intent: 'claims_bank' }]);
  sup.emit('window', 'a', window(12, 0.5, [0, 0, 0, 0]));
  assert.is(tl.get('a')!.t.length, 10, 'an ended call takes no more points');
  for (let i = 0; i < 40; i++) {
    sup.emit('window', `c${i}`, window(1, 0, [0, 0, 0, 0]));
    sup.emit('call-ended', {
      callId: `c${i}`,
      reason: 'bye',
      state: 'ended',
      info: { intents: [] } as unknown as CallInfo,
    });
  }
  assert.is(tl.get('a'), null, 'only the last ended calls are kept');
  assert.ok(tl.get('b'), 'active calls are never dropped');
  tl.detach();
});

test('engine history: calls, alerts per minute, verdict p99 and RTP loss per interval; a ring of the last hour', () => {
  const sup = new Supervisor(testConfig(), quietLog);
  let now = 1_000_000;
  const rtp = { received: 0, lost: 0 };
  const h = new EngineHistory({ supervisor: sup, rtpCounters: () => rtp }, 10_000, 30_000, () => now);
  h.attach();
  // Interval 1: 1,000 verdicts, 1 % of them slow; 990 packets received, 10 lost.
  for (let i = 0; i < 1000; i++) sup.emit('verdict-latency', i < 990 ? 0.05 : 0.7);
  rtp.received = 990;
  rtp.lost = 10;
  now += 10_000;
  h.sample();
  // Interval 2: nothing scored, no packet.
  now += 10_000;
  h.sample();
  let s = h.snapshot();
  assert.equal(s.t, [1010, 1020]);
  assert.equal(s.activeCalls, [0, 0]);
  assert.equal(s.verdictP99Ms, [51, null], 'p99 read from 1 ms bins (upper edge), none without windows');
  assert.equal(s.rtpLossPercent, [1, null]);
  assert.equal(s.alertsPerMinute, [0, 0]);
  for (let i = 0; i < 1000; i++) sup.emit('verdict-latency', i < 980 ? 0.05 : 3.21);
  now += 10_000;
  h.sample();
  assert.is(h.snapshot().verdictP99Ms[2], 3220, '10 ms bins past a second');
  now += 10_000;
  h.sample();
  s = h.snapshot();
  assert.is(s.t.length, 3, 'the ring keeps the span (3 intervals)');
  assert.equal(s.t, [1020, 1030, 1040]);
  h.detach();
});

test.run();
