import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { applyIntent, contentGate, contentScore, type IntentCue } from './content-cues.js';
import { PolicySlot } from './policy-state-layout.js';
import {
  initPolicyState,
  policyStep,
  POLICY_STATE_LENGTH,
  validatePolicyConfig,
  type PolicyOutput,
} from './risk-policy.js';

const cfg = validatePolicyConfig({});
const calm = {
  speechRatio: 0.8,
  levelDbfs: -20,
  f0Median: 120,
  f0SpreadSemitones: 2,
  onsetsPerSecond: 3.5,
  centroidHz: 1500,
};
const neutral = [0.02, 0.05, 0.02, 0.02, 0.04, 0.05, 0.8];

/** A calm call (calm caller, neutral emotions) with intents applied as the actor does; returns the first alert. */
function run(
  intents: Array<Omit<IntentCue, 'seq'>>,
  seconds = 60,
  config = cfg,
): { alert: PolicyOutput['alert']; st: Float64Array } {
  const st = new Float64Array(POLICY_STATE_LENGTH);
  initPolicyState(st, 0);
  const cues = intents.map((c, i) => ({ ...c, seq: i + 1 }));
  let next = 0;
  for (let k = 1; k <= seconds; k++) {
    while (next < cues.length && cues[next].t <= k + 1) applyIntent(st, 0, config, cues[next++]);
    const out = policyStep(st, 0, config, {
      leg: 0,
      role: 'caller',
      protectedRole: 'callee',
      index: k,
      tStart: k - 1,
      tEnd: k + 1,
      summary: calm,
      emotions: neutral,
    });
    if (out.alert) return { alert: out.alert, st };
  }
  return { alert: undefined, st };
}

test('a calm caller who claims to be the bank and asks for a code alerts on content, within seconds of the ask', () => {
  const { alert } = run([
    { intent: 'authority.bank', t: 4, confidence: 0.9 },
    { intent: 'ask.code', t: 12, confidence: 0.8 },
  ]);
  assert.ok(alert, 'alerted');
  assert.is(alert!.basis, 'content');
  assert.ok(alert!.t - 12 <= 2, `alert ${alert!.t - 12} s after the ask`);
  assert.is(alert!.explanation, 'Caller claimed to be your bank and asked for a code. Banks never ask for codes.');
});

test('no alert on a lone ask, on words without an ask, or with content alerts off', () => {
  assert.not.ok(run([{ intent: 'ask.code', t: 5, confidence: 1 }]).alert, 'a lone code request');
  assert.not.ok(
    run([
      { intent: 'authority.bank', t: 5, confidence: 1 },
      { intent: 'urgency', t: 9, confidence: 1 },
      { intent: 'authority.bank', t: 20, confidence: 1 },
    ]).alert,
    'a bank that rushes but asks nothing',
  );
  const off = validatePolicyConfig({ contentAlerts: false });
  assert.not.ok(
    run(
      [
        { intent: 'ask.code', t: 5, confidence: 1 },
        { intent: 'secrecy', t: 8, confidence: 1 },
      ],
      60,
      off,
    ).alert,
    'contentAlerts false',
  );
});

test('evidence fades: an ask and a secrecy phrase ten minutes apart do not add up', () => {
  const { alert } = run(
    [
      { intent: 'ask.code', t: 5, confidence: 0.5 },
      { intent: 'secrecy', t: 600, confidence: 0.5 },
    ],
    620,
  );
  assert.not.ok(alert);
});

test('a replayed intent is applied once; the gate and score follow the evidence', () => {
  const st = new Float64Array(POLICY_STATE_LENGTH);
  initPolicyState(st, 0);
  assert.ok(applyIntent(st, 0, cfg, { seq: 1, intent: 'pay.transfer', t: 3, confidence: 1 }));
  const once = contentScore(st, 0);
  assert.not.ok(applyIntent(st, 0, cfg, { seq: 1, intent: 'pay.transfer', t: 3, confidence: 1 }), 'same seq refused');
  assert.is(contentScore(st, 0), once);
  assert.not.ok(contentGate(st, 0), 'one ask alone');
  assert.ok(applyIntent(st, 0, cfg, { seq: 2, intent: 'threat', t: 4, confidence: 1 }));
  assert.ok(contentGate(st, 0), 'an ask and a threat');
  assert.is(st[PolicySlot.intentSeq], 2);
  assert.not.ok(
    applyIntent(st, 0, cfg, { seq: 3, intent: 'nonsense' as never, t: 5, confidence: 1 }),
    'unknown intent',
  );
  assert.is(st[PolicySlot.intentSeq], 3, 'an unknown intent still moves the sequence on');
});

test('the explanation names what was asked, SMS-safe and short', () => {
  const { alert } = run([
    { intent: 'authority.police', t: 3, confidence: 0.9 },
    { intent: 'threat', t: 6, confidence: 0.9 },
    { intent: 'pay.giftcard', t: 10, confidence: 0.9 },
  ]);
  assert.ok(alert);
  assert.match(alert!.explanation, /^Caller claimed to be the police and asked for gift cards/);
  assert.ok(alert!.explanation.length <= 120);
  assert.ok(/^[\x20-\x7e]+$/.test(alert!.explanation));
});

test.run();
