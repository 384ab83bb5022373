import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EMOTION_LABELS } from '../../models/runtime/manifest.js';
import {
  DEFAULT_POLICY_CONFIG,
  EMOTION_ORDER,
  EXPLANATION_MAX_CHARS,
  initPolicyState,
  POLICY_STATE_LENGTH,
  policyAlertState,
  policyStep,
  validatePolicyConfig,
  type PolicyConfig,
  type PolicyOutput,
  type PolicyWindowInput,
} from './risk-policy.js';
import { LIVE_WINDOW_HOP_SECONDS } from '../features/front-end-config.js';
import {
  AFRAID,
  ANGRY_URGENT,
  CALM,
  calm,
  LOUD_FAST,
  syntheticCall,
  type SyntheticCallSpec,
} from './synthetic-call.js';

interface Run {
  outputs: PolicyOutput[];
  alerts: NonNullable<PolicyOutput['alert']>[];
  peakRisk: number;
  st: Float64Array;
}

function run(
  windows: PolicyWindowInput[],
  cfg: PolicyConfig = DEFAULT_POLICY_CONFIG,
  st: Float64Array = new Float64Array(POLICY_STATE_LENGTH),
  offset = 0,
  init = true,
): Run {
  if (init) initPolicyState(st, offset, cfg);
  const outputs: PolicyOutput[] = [];
  const alerts: Run['alerts'] = [];
  let peakRisk = 0;
  for (const w of windows) {
    const r = policyStep(st, offset, cfg, w);
    outputs.push(structuredClone(r));
    if (r.alert) alerts.push(r.alert);
    peakRisk = Math.max(peakRisk, r.risk);
  }
  return { outputs, alerts, peakRisk, st };
}

const scam = (seed: number, seconds = 180, extra: Partial<SyntheticCallSpec> = {}): SyntheticCallSpec => ({
  seed,
  segments: [calm(30), { seconds, legs: [ANGRY_URGENT, AFRAID] }],
  ...extra,
});
const isGsmSafe = (s: string) => /^[A-Za-z0-9 ,.;:'!?-]*$/.test(s);

test("emotion order matches the models' EMOTION_LABELS", () => {
  assert.equal([...EMOTION_ORDER], [...EMOTION_LABELS]);
});

test('neutral conversation, 10 minutes, 8 seeds: never alerts, risk stays low', () => {
  for (let seed = 1; seed <= 8; seed++) {
    const r = run(syntheticCall({ seed, segments: [calm(600)] }));
    assert.is(r.alerts.length, 0, `seed ${seed} alerted`);
    assert.ok(r.peakRisk < DEFAULT_POLICY_CONFIG.threshold / 2, `seed ${seed}: peak risk ${r.peakRisk}`);
    assert.ok(r.outputs.length === 2 * ((600 - 2) / LIVE_WINDOW_HOP_SECONDS + 1), 'every window reached the policy');
  }
});

test('sustained angry/urgent caller + afraid callee: one alert, soon after the pattern starts, explained', () => {
  for (let seed = 1; seed <= 8; seed++) {
    const r = run(syntheticCall(scam(seed, 240)));
    assert.is(r.alerts.length, 1, `seed ${seed}: ${r.alerts.length} alerts`);
    const a = r.alerts[0];
    assert.is(a.level, 'alert');
    const delay = a.t - 30;
    assert.ok(delay > 10 && delay <= 90, `seed ${seed}: alert ${delay} s after the pattern started`);
    assert.ok(a.risk >= DEFAULT_POLICY_CONFIG.threshold - DEFAULT_POLICY_CONFIG.hysteresis);
    assert.match(a.explanation, /^Caller sounded /);
    assert.match(a.explanation, /angry/, a.explanation);
    assert.ok(a.explanation.length <= EXPLANATION_MAX_CHARS && isGsmSafe(a.explanation), a.explanation);
    assert.ok(a.actions.includes('Hang up') && a.actions.every((x) => x.length <= 40));
    assert.ok(a.cues.pressure > 0.5 && a.cues.otherRole === 'caller');
    // Nothing more for the rest of the call (escalation is off by default).
    assert.ok(policyAlertState(r.st, 0).alerted && !policyAlertState(r.st, 0).escalated);
  }
});

const theWindowHopDoesTitle =
  'the window hop does not change the decisions: scam calls alert and calm ones do not at 0.5 s and 1 s alike';
test(theWindowHopDoesTitle, () => {
  for (const hopSeconds of [0.5, 1]) {
    for (let seed = 1; seed <= 8; seed++) {
      const s = run(syntheticCall({ ...scam(seed, 240), hopSeconds }));
      assert.is(s.alerts.length, 1, `hop ${hopSeconds}, seed ${seed}: scam`);
      assert.ok(
        s.alerts[0].t - 30 > 10 && s.alerts[0].t - 30 <= 90,
        `hop ${hopSeconds}, seed ${seed}: alert at ${s.alerts[0].t}`,
      );
      const c = run(syntheticCall({ seed, segments: [calm(600)], hopSeconds }));
      assert.is(c.alerts.length, 0, `hop ${hopSeconds}, seed ${seed}: calm`);
    }
  }
});

test('escalation configured: at most one escalation, above the higher threshold, after the gap', () => {
  const cfg = validatePolicyConfig({ escalation: true, escalationThreshold: 0.7, escalationMinGapSeconds: 30 });
  let escalations = 0;
  for (let seed = 1; seed <= 6; seed++) {
    const r = run(syntheticCall(scam(seed, 300)), cfg);
    assert.ok(r.alerts.length >= 1 && r.alerts.length <= 2, `seed ${seed}: ${r.alerts.length}`);
    assert.is(r.alerts[0].level, 'alert');
    if (r.alerts.length === 2) {
      escalations++;
      const e = r.alerts[1];
      assert.is(e.level, 'escalation');
      assert.ok(e.t - r.alerts[0].t >= 30);
      assert.ok(e.risk >= 0.7 - cfg.hysteresis);
      assert.match(e.explanation, /^Still high risk: /);
      assert.ok(e.explanation.length <= EXPLANATION_MAX_CHARS);
    }
  }
  assert.ok(escalations >= 3, `only ${escalations} of 6 calls escalated`);
  // Default escalationThreshold 0.8 with escalation off: never.
  assert.is(run(syntheticCall(scam(2, 300))).alerts.length, 1);
});

test('a 5 s burst of anger in a calm call does not alert', () => {
  for (let seed = 1; seed <= 8; seed++) {
    const r = run(
      syntheticCall({ seed, segments: [calm(60), { seconds: 5, legs: [ANGRY_URGENT, AFRAID] }, calm(120)] }),
    );
    assert.is(r.alerts.length, 0, `seed ${seed}`);
    assert.ok(r.peakRisk < 0.4, `seed ${seed}: ${r.peakRisk}`);
  }
});

const noisyLabelsMinutesOfTitle =
  'noisy labels: 20 minutes of calm speech with random single-window anger spikes never alert, at either hop';
test(noisyLabelsMinutesOfTitle, () => {
  // Spikes are independent per window, so each one weighs a whole hop: at the engine's 1 s hop a spike moves the cues
  // twice as far as at 0.5 s (real misclassifications span overlapping windows, which evens this out). Still no alert,
  // with the peak under the threshold's hysteresis band (0.52): the shorter cue averages of the faster policy (issue
  // 18) move more per spike than the old 8 s ones did, which is why the 1 s bound is wider than it was (0.35).
  for (const [hopSeconds, bound] of [
    [0.5, 0.3],
    [1, 0.45],
  ]) {
    for (let seed = 11; seed <= 14; seed++) {
      const r = run(syntheticCall({ seed, segments: [calm(1200)], angerSpikeRate: 0.08, hopSeconds }));
      assert.is(r.alerts.length, 0, `hop ${hopSeconds}, seed ${seed}`);
      assert.ok(r.peakRisk < bound, `hop ${hopSeconds}, seed ${seed}: ${r.peakRisk}`);
    }
  }
  // ...and a weak classifier (40 % per-window accuracy) on a calm call.
  assert.is(run(syntheticCall({ seed: 5, segments: [calm(600)], accuracy: 0.4 })).alerts.length, 0);
});

test('role swap: protected subscriber is the caller (outgoing call); pressure is read on the other party', () => {
  // The callee (leg 1) is the angry party, the protected caller (leg 0) is afraid.
  const out = run(
    syntheticCall({
      seed: 3,
      segments: [calm(30), { seconds: 180, legs: [AFRAID, ANGRY_URGENT] }],
      protectedRole: 'caller',
    }),
  );
  assert.is(out.alerts.length, 1);
  assert.is(out.alerts[0].cues.otherRole, 'callee');
  assert.match(out.alerts[0].explanation, /^The other person sounded /);
  // Same audio with the default orientation (protected = callee): the protected party is the angry one -> no alert.
  const wrongWay = run(
    syntheticCall({ seed: 3, segments: [calm(30), { seconds: 180, legs: [AFRAID, ANGRY_URGENT] }] }),
  );
  assert.is(wrongWay.alerts.length, 0);
  // Legs in the other order (leg 0 = callee) still work: roles, not indices, decide.
  const swapped = run(
    syntheticCall({
      seed: 3,
      segments: [calm(30), { seconds: 180, legs: [AFRAID, ANGRY_URGENT] }],
      roles: ['callee', 'caller'],
    }),
  );
  assert.is(swapped.alerts.length, 1);
  assert.is(swapped.alerts[0].cues.otherRole, 'caller');
});

const modelAbsentAcousticCuesTitle =
  'model absent: acoustic cues rank a loud, high, fast, dominant caller above a calm one, but need stronger evidence';
test(modelAbsentAcousticCuesTitle, () => {
  const loud = (seed: number) =>
    syntheticCall({ seed, segments: [calm(30), { seconds: 300, legs: [LOUD_FAST, CALM] }], accuracy: null });
  const quiet = (seed: number) => syntheticCall({ seed, segments: [calm(330)], accuracy: null });
  for (let seed = 1; seed <= 4; seed++) {
    const l = run(loud(seed));
    const q = run(quiet(seed));
    const last = l.outputs[l.outputs.length - 1];
    assert.ok(l.peakRisk > 0.4 && q.peakRisk < 0.1, `seed ${seed}: loud ${l.peakRisk} calm ${q.peakRisk}`);
    const peakAcoustic = Math.max(...l.outputs.map((o) => o.cues.pressureAcoustic));
    const calmAcoustic = Math.max(...q.outputs.map((o) => o.cues.pressureAcoustic));
    assert.ok(
      peakAcoustic > 0.7 && calmAcoustic < 0.15,
      `seed ${seed}: acoustic pressure ${peakAcoustic} vs ${calmAcoustic}`,
    );
    assert.ok(last.cues.talkShare > 0.6 && last.cues.modelCoverage === 0);
    assert.ok(
      Math.abs(last.threshold - DEFAULT_POLICY_CONFIG.acousticOnlyThreshold) < 1e-9,
      'acoustic-only threshold in force',
    );
    assert.is(l.alerts.length, 0, `seed ${seed}: default config must not alert on acoustics alone here`);
    assert.is(q.alerts.length, 0);
  }
  // Lower the thresholds: the loud caller now alerts (so the stricter threshold is what held it back), the calm one
  // never.
  const low = validatePolicyConfig({ threshold: 0.4, acousticOnlyThreshold: 0.4, hysteresis: 0.05 });
  assert.is(run(loud(1), low).alerts.length, 1);
  assert.match(run(loud(1), low).alerts[0].explanation, /tense|loud|urgent/);
  assert.is(run(quiet(1), low).alerts.length, 0);
  // ...unless acoustic-only alerts are switched off.
  assert.is(run(loud(1), { ...low, acousticOnlyAlerts: false }).alerts.length, 0);
});

test('determinism: same inputs give identical outputs; state is only the Float64Array', () => {
  const windows = syntheticCall(scam(7, 200));
  const a = run(windows);
  const b = run(windows);
  assert.equal(a.outputs, b.outputs);
  assert.equal(Array.from(a.st), Array.from(b.st));
  assert.is(a.alerts.length, 1);
});

const crashSurvivalCopyingTheTitle =
  'crash survival: copying the state mid-call (into another buffer and offset) and continuing gives identical results';
test(crashSurvivalCopyingTheTitle, () => {
  const windows = syntheticCall(scam(9, 200));
  const whole = run(windows);
  const alertAt = whole.outputs.findIndex((o) => o.alert);
  for (const cut of [1, 57, alertAt - 1, alertAt, alertAt + 1, windows.length - 3]) {
    const first = run(windows.slice(0, cut));
    const slab = new Float64Array(new SharedArrayBuffer(8 * (POLICY_STATE_LENGTH + 20)));
    slab.set(first.st, 13);
    const rest = run(windows.slice(cut), DEFAULT_POLICY_CONFIG, slab, 13, false);
    assert.equal([...first.outputs, ...rest.outputs], whole.outputs, `cut at ${cut}`);
    assert.is(first.alerts.length + rest.alerts.length, 1);
  }
});

test('two calls interleaved in one array at different offsets behave as if run alone', () => {
  const w1 = syntheticCall(scam(4, 150));
  const w2 = syntheticCall({ seed: 4, segments: [calm(180)] });
  const alone1 = run(w1);
  const alone2 = run(w2);
  const st = new Float64Array(2 * POLICY_STATE_LENGTH + 5);
  initPolicyState(st, 0, DEFAULT_POLICY_CONFIG);
  initPolicyState(st, POLICY_STATE_LENGTH + 5, DEFAULT_POLICY_CONFIG);
  const o1: PolicyOutput[] = [];
  const o2: PolicyOutput[] = [];
  for (let i = 0; i < Math.max(w1.length, w2.length); i++) {
    if (i < w1.length) o1.push(structuredClone(policyStep(st, 0, DEFAULT_POLICY_CONFIG, w1[i])));
    if (i < w2.length) o2.push(structuredClone(policyStep(st, POLICY_STATE_LENGTH + 5, DEFAULT_POLICY_CONFIG, w2[i])));
  }
  assert.equal(o1, alone1.outputs);
  assert.equal(o2, alone2.outputs);
});

test('replayed windows change nothing and cannot alert twice', () => {
  const windows = syntheticCall(scam(5, 200));
  const once = run(windows);
  const st = new Float64Array(POLICY_STATE_LENGTH);
  initPolicyState(st, 0, DEFAULT_POLICY_CONFIG);
  const accepted: PolicyOutput[] = [];
  let alerts = 0;
  for (const w of windows) {
    const r1 = structuredClone(policyStep(st, 0, DEFAULT_POLICY_CONFIG, w));
    const r2 = policyStep(st, 0, DEFAULT_POLICY_CONFIG, { ...w });
    assert.is(r2.accepted, false);
    assert.is(r2.alert, undefined);
    assert.is(r2.risk, r1.risk);
    accepted.push(r1);
    alerts += r1.alert ? 1 : 0;
  }
  assert.equal(accepted, once.outputs);
  assert.is(alerts, 1);
  // A late replay of the alerting window after the call went on: still nothing.
  const alertWindow = windows[once.outputs.findIndex((o) => o.alert)];
  assert.is(policyStep(st, 0, DEFAULT_POLICY_CONFIG, alertWindow).alert, undefined);
});

test('hostile numbers (NaN, Infinity, bad probability vectors) never throw and keep the risk finite', () => {
  const st = new Float64Array(POLICY_STATE_LENGTH);
  initPolicyState(st, 0, DEFAULT_POLICY_CONFIG);
  const bad = [NaN, Infinity, -Infinity, -5, 1e308];
  let i = 0;
  for (const v of bad) {
    for (const leg of [0, 1]) {
      const r = policyStep(st, 0, DEFAULT_POLICY_CONFIG, {
        leg,
        role: leg === 0 ? 'caller' : 'callee',
        index: i,
        tStart: i * 0.5,
        tEnd: i * 0.5 + 2,
        summary: { speechRatio: v, levelDbfs: v, f0Median: v, f0SpreadSemitones: v, onsetsPerSecond: v, centroidHz: v },
        emotions: [v, 0, 0, 0, 0, 0, 1],
      });
      assert.ok(Number.isFinite(r.risk) && r.risk >= 0 && r.risk <= 1);
    }
    i++;
  }
  for (const emotions of [
    [1, 0],
    [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5],
    [-1, 0, 0, 0, 0, 0, 2],
  ]) {
    const r = policyStep(st, 0, DEFAULT_POLICY_CONFIG, {
      leg: 0,
      role: 'caller',
      index: i,
      tStart: i * 0.5,
      tEnd: i * 0.5 + 2,
      summary: {
        speechRatio: 1,
        levelDbfs: -20,
        f0Median: 150,
        f0SpreadSemitones: 2,
        onsetsPerSecond: 4,
        centroidHz: 1500,
      },
      emotions,
    });
    assert.ok(Number.isFinite(r.risk));
    assert.is(r.cues.modelCoverage, 0, 'invalid probability vectors count as no model');
    i++;
  }
});

test('misuse is reported with codes: uninitialised state, bad leg, bad role, too small array', () => {
  const st = new Float64Array(POLICY_STATE_LENGTH);
  const w: PolicyWindowInput = {
    leg: 0,
    role: 'caller',
    index: 0,
    tStart: 0,
    tEnd: 2,
    summary: {
      speechRatio: 1,
      levelDbfs: -20,
      f0Median: 150,
      f0SpreadSemitones: 2,
      onsetsPerSecond: 4,
      centroidHz: 1500,
    },
    emotions: null,
  };
  assert.throws(
    () => policyStep(st, 0, DEFAULT_POLICY_CONFIG, w),
    (e: { code?: string }) => e.code === 'CG_POLICY_STATE',
  );
  initPolicyState(st, 0, DEFAULT_POLICY_CONFIG);
  assert.throws(
    () => policyStep(st, 0, DEFAULT_POLICY_CONFIG, { ...w, leg: 2 }),
    (e: { code?: string }) => e.code === 'CG_POLICY_INPUT',
  );
  assert.throws(
    () => policyStep(st, 0, DEFAULT_POLICY_CONFIG, { ...w, role: 'agent' as 'caller' }),
    (e: { code?: string }) => e.code === 'CG_POLICY_INPUT',
  );
  assert.throws(
    () => initPolicyState(new Float64Array(POLICY_STATE_LENGTH), 1),
    (e: { code?: string }) => e.code === 'CG_POLICY_STATE',
  );
  assert.not.throws(() => policyStep(st, 0, DEFAULT_POLICY_CONFIG, w));
});

test.run();
