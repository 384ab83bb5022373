import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runCall, SCENARIOS } from './calibration.js';
import { applyIntent } from './content-cues.js';
import { DEFAULT_POLICY_CONFIG, initPolicyState, policyStep, POLICY_STATE_LENGTH } from './risk-policy.js';
import { AFRAID, ANGRY_URGENT, calm } from './synthetic-call.js';

/**
 * The policy's timing (issue 18: faster alerts without false ones), asserted on call time, never on the wall clock.
 * Figures these bounds leave room around (40 seeds, `node dist/actors/policy/calibration.js 40`): the sustained scam
 * alerts at a median 30 s after the pattern starts (42 s before the confidence-weighted gate and shorter averages).
 */

const cfg = DEFAULT_POLICY_CONFIG;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

const aSustainedScamPatternTitle =
  'a sustained scam pattern (angry caller, afraid callee) alerts at a median <= 36 s of call time, every seed';
test(aSustainedScamPatternTitle, () => {
  const delays: number[] = [];
  for (let seed = 1; seed <= 20; seed++) {
    const r = runCall({ seed, segments: [calm(30), { seconds: 180, legs: [ANGRY_URGENT, AFRAID] }] }, cfg);
    const a = r.alerts.find((x) => x.level === 'alert');
    assert.ok(a, `seed ${seed}: no alert`);
    assert.ok(a!.t > 30, `seed ${seed}: alert at ${a!.t} s, before the pattern`);
    delays.push(a!.t - 30);
  }
  assert.ok(median(delays) <= 36, `median ${median(delays)} s after the pattern started`);
});

test('calm 20-minute calls (with anger spikes) and angry-but-unsupported arguments never alert, across seeds', () => {
  const calmSpikes = SCENARIOS.find((s) => s.name.startsWith('calm 20 min'))!;
  const argument = SCENARIOS.find((s) => s.name.startsWith('angry caller, calm callee'))!;
  for (let seed = 1; seed <= 6; seed++) {
    assert.is(runCall(calmSpikes.spec(seed), cfg).alerts.length, 0, `calm 20 min, seed ${seed}`);
    assert.is(runCall({ seed, segments: [calm(600)] }, cfg).alerts.length, 0, `calm 10 min, seed ${seed}`);
  }
  for (let seed = 1; seed <= 20; seed++)
    assert.is(runCall(argument.spec(seed), cfg).alerts.length, 0, `argument, seed ${seed}`);
});

test('a strong spoken-content cue alerts without waiting for acoustic evidence or speech seconds', () => {
  // A calm caller: no acoustic evidence at all, and less than minSpeechSeconds of speech when the ask comes.
  const st = new Float64Array(POLICY_STATE_LENGTH);
  initPolicyState(st, 0);
  const summary = {
    speechRatio: 0.8,
    levelDbfs: -20,
    f0Median: 120,
    f0SpreadSemitones: 2,
    onsetsPerSecond: 3.5,
    centroidHz: 1500,
  };
  const neutral = [0.02, 0.05, 0.02, 0.02, 0.04, 0.05, 0.8];
  applyIntent(st, 0, cfg, { seq: 1, intent: 'authority.bank', t: 2, confidence: 0.9 });
  applyIntent(st, 0, cfg, { seq: 2, intent: 'ask.code', t: 3, confidence: 0.9 });
  let alertT = -1;
  for (let k = 1; k <= 10 && alertT < 0; k++) {
    const out = policyStep(st, 0, cfg, {
      leg: 0,
      role: 'caller',
      index: k,
      tStart: k + 1,
      tEnd: k + 2,
      summary,
      emotions: neutral,
    });
    if (out.alert) {
      assert.is(out.alert.basis, 'content');
      assert.ok(out.cues.otherSpeechSeconds < cfg.minSpeechSeconds);
      alertT = out.alert.t;
    }
  }
  assert.ok(alertT > 0 && alertT <= 4, `content alert at ${alertT} s`);
});

test.run();
