import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { planCalls } from './call-plan.js';
import { syntheticClips } from './emodb-clips.js';
import { scoreAlerts } from './alert-scoring.js';
import type { CallResult } from './call-generator.js';
import type { ReceivedSubmit } from '../smpp/index.js';

const lib = syntheticClips();

const planExactScamShareTitle =
  'plan: exact scam share, deterministic per seed, clips cover each call, scam audio from the recorded onset';
test(planExactScamShareTitle, () => {
  const o = {
    calls: 40,
    ratePerSecond: 4,
    durationSeconds: { min: 20, max: 40 },
    scamFraction: 0.25,
    scamOnsetSeconds: { min: 5, max: 9 },
    seed: 11,
  };
  const plan = planCalls(lib, o);
  assert.is(plan.filter((c) => c.kind === 'scam').length, 10);
  assert.equal(
    planCalls(lib, o).map((c) => [c.kind, c.durationSeconds]),
    plan.map((c) => [c.kind, c.durationSeconds]),
  );
  assert.is(plan[39].startOffsetMs, 9750);
  for (const c of plan) {
    assert.ok(c.durationSeconds >= 20 && c.durationSeconds <= 40);
    assert.ok(Math.abs(c.durationSeconds * 50 - Math.round(c.durationSeconds * 50)) < 1e-6, 'whole 20 ms packets');
    for (const leg of c.legs) assert.ok(leg.clips.reduce((n, k) => n + k.bytes.length, 0) >= c.durationSeconds * 8000);
    if (c.kind === 'calm') {
      assert.is(c.scamStartSeconds, null);
      for (const leg of c.legs) assert.ok(leg.clips.every((k) => k.emotion === 'N' || k.emotion === 'L'));
      continue;
    }
    assert.ok(c.scamStartSeconds! >= 5 && c.scamStartSeconds! <= 11, `onset ${c.scamStartSeconds}`);
    const [caller, callee] = c.legs;
    let t = 0;
    for (const k of caller.clips) {
      assert.is(
        k.emotion === 'W',
        t >= caller.scamStartSeconds! * 8000,
        'caller: calm before the onset, anger from it',
      );
      t += k.bytes.length;
    }
    assert.ok(callee.clips.some((k) => k.emotion === 'A'));
  }
  assert.throws(() => planCalls(lib, { ...o, scamFraction: 2 }), RangeError);
});

test('plan: a conversation in turns has one leg silent while the other speaks; scam turns from the onset', () => {
  const o = {
    calls: 20,
    ratePerSecond: 10,
    durationSeconds: { min: 30, max: 30 },
    scamFraction: 0.5,
    scamOnsetSeconds: { min: 6, max: 6 },
    seed: 5,
    conversation: 'turns' as const,
  };
  for (const c of planCalls(lib, o)) {
    const [caller, callee] = c.legs;
    assert.is(caller.clips.length, callee.clips.length);
    caller.clips.forEach((k, i) => {
      const other = callee.clips[i];
      assert.is(k.bytes.length, other.bytes.length, 'turns line up');
      assert.is([k, other].filter((x) => x.name === 'silence').length, 1, 'exactly one leg is silent in each turn');
      assert.ok((i % 2 === 0 ? other : k).name === 'silence', 'the caller speaks first, then they alternate');
      const speaking = i % 2 === 0 ? k : other;
      if (c.kind === 'calm') assert.ok(speaking.emotion === 'N' || speaking.emotion === 'L');
    });
    if (c.kind === 'scam') {
      assert.ok(caller.scamStartSeconds! >= 6 && callee.scamStartSeconds! >= 6);
      const firstW = caller.clips.findIndex((k) => k.emotion === 'W');
      const firstA = callee.clips.findIndex((k) => k.emotion === 'A');
      assert.ok(firstW >= 0 && firstA >= 0, 'both parties get scam-like turns');
    }
  }
});

test('plan: successive plans of a run (ramp levels) get distinct numbers when numbered from firstIndex', () => {
  const o = { calls: 30, ratePerSecond: 10, durationSeconds: { min: 5, max: 5 }, scamFraction: 0.5 };
  const first = planCalls(lib, { ...o, seed: 1 });
  const second = planCalls(lib, { ...o, seed: 2, firstIndex: 30 });
  const numbers = [...first, ...second].flatMap((c) => [c.callerNumber, c.calleeNumber]);
  assert.is(new Set(numbers).size, numbers.length);
  assert.is(second[0].calleeNumber.length, first[0].calleeNumber.length);
});

test('alert scoring: recall, false alerts, early alerts, latency from the first scam-like second', () => {
  const call = (i: number, kind: 'scam' | 'calm', onset: number | null): CallResult => ({
    index: i,
    callId: `c${i}`,
    kind,
    codec: 'PCMU',
    callerNumber: `+49150000000${i}`,
    calleeNumber: `+33610000000${i}`,
    durationSeconds: 30,
    scamStartSeconds: onset,
    outcome: 'completed',
    inviteStatus: 200,
    byeStatus: 200,
    inviteSentAt: 1,
    answeredAt: 2,
    mediaStartAt: 10_000,
    mediaEndAt: 40_000,
    endedAt: 40_001,
    packetsSent: [1500, 1500],
    plannedPackets: [1500, 1500],
  });
  const calls = [
    call(1, 'scam', 5),
    call(2, 'scam', 5),
    call(3, 'scam', 8),
    call(4, 'calm', null),
    call(5, 'calm', null),
  ];
  const sms = (to: string, at: number, concat?: ReceivedSubmit['concat']) =>
    ({ at, destination: to, concat }) as ReceivedSubmit;
  const s = scoreAlerts(calls, [
    sms('336100000001', 18_000, { ref: 1, total: 2, seq: 1 }),
    sms('336100000001', 18_010, { ref: 1, total: 2, seq: 2 }),
    sms('+336100000003', 15_000), // before its onset at 18 s
    sms('336100000004', 20_000),
    sms('33699999999', 20_000),
  ]);
  assert.is(s.scamCalls, 3);
  assert.is(s.alertedScam, 2);
  assert.is(s.recall, 0.667);
  assert.is(s.falseAlerts, 1);
  assert.is(s.earlyAlerts, 1);
  assert.is(s.unmatchedSubmits, 1);
  assert.equal(s.latencyMs.count, 1);
  assert.is(s.latencyMs.p50Ms, 3000);
});

const planASpokenConversationTitle =
  'plan: a spoken conversation reads benign scripts, switches to a scam script at the onset, and the subscriber ' +
  'answers each sentence';
test(planASpokenConversationTitle, () => {
  // A small library of our own: two benign and one scam "script" of tone sentences (the real one is TTS, built by
  // buildSpokenLibrary in a load run); the plan only arranges clips.
  const sentence = (name: string, n: number) => ({ name, emotion: 'N' as const, bytes: Buffer.alloc(n, 0x7f) });
  const script = (id: string, kind: 'scam' | 'benign', n: number) => ({
    id,
    kind,
    voice: 'v',
    sentences: [0, 1, 2].map((i) => sentence(`${id}/${i}`, n)),
  });
  const spoken = {
    source: 'test',
    scripts: (k: 'scam' | 'benign') =>
      k === 'scam' ? [script('s1', 'scam', 16000)] : [script('b1', 'benign', 12000), script('b2', 'benign', 20000)],
  };
  const o = {
    calls: 12,
    ratePerSecond: 10,
    durationSeconds: { min: 40, max: 40 },
    scamFraction: 0.5,
    scamOnsetSeconds: { min: 6, max: 6 },
    seed: 3,
    conversation: 'spoken' as const,
    spoken,
  };
  for (const c of planCalls(lib, o)) {
    const [caller, callee] = c.legs;
    assert.is(caller.clips.length, callee.clips.length);
    caller.clips.forEach((k, i) => {
      const other = callee.clips[i];
      assert.is(k.bytes.length, other.bytes.length, 'a turn: both legs as long');
      assert.ok((k.name === 'silence') !== (other.name === 'silence'), 'exactly one leg speaks per turn');
    });
    const said = caller.clips.filter((k) => k.name !== 'silence').map((k) => k.name);
    assert.ok(c.scripts && c.scripts.length >= 1);
    if (c.kind === 'calm') {
      assert.ok(
        said.every((n) => n.startsWith('b')),
        'calm calls read benign scripts only',
      );
      continue;
    }
    const first = said.findIndex((n) => n.startsWith('s1'));
    assert.is(said[first], 's1/0', 'the scam script is read from its first sentence');
    assert.ok(
      said.slice(first).every((n) => n.startsWith('s1')),
      'and only scam scripts after the onset',
    );
    assert.ok(c.scamStartSeconds! >= 6, `onset ${c.scamStartSeconds}`);
  }
  assert.throws(() => planCalls(lib, { ...o, spoken: undefined }), RangeError);
});

test.run();
