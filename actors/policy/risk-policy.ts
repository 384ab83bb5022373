/**
 * # actors/policy — the scam-risk policy of one call
 *
 * Turns the per-window outputs of both legs (acoustic summary every second over 2 s of audio, optional emotion
 * probabilities) into one evolving risk per call and at most one SMS alert (plus one escalation if configured).
 *
 * ## Contract
 * - State: `POLICY_STATE_LENGTH` float64 slots at `offset` of any Float64Array (the call slab's SharedArrayBuffer).
 *   `initPolicyState(st, offset, cfg)` once per call; then `policyStep(st, offset, cfg, input)` per window, in any leg
 *   order. The step is pure and deterministic: its only memory is those slots (no module state, no clock, no random),
 *   so copying the slots mid-call and continuing from the copy gives identical results — that is how a call survives
 *   a worker crash. A window whose index/tEnd is not newer than the leg's last accepted one is refused (`accepted:
 *   false`, state untouched), and the alert flags live in the state, so a replay can never alert twice.
 * - Config: `validatePolicyConfig` (policy-config.ts), the same object on every step of a call.
 *
 * ## Cues (per leg, from that leg's own windows; speech windows only, speechRatio >= 0.3)
 * - Emotion (when probabilities are present): pressure = P(anger) + 0.5 P(fear) + 0.25 (P(disgust) + P(happiness))
 *   (high-arousal negative, with a little of the other high-arousal classes); distress = P(fear) + 0.5 P(sadness).
 *   Each is a speech-weighted EMA (time constant `cueSmoothingSeconds` of speech; distress and fear
 *   `distressSmoothingSeconds`) divided by the same EMA of "had probabilities" (bias-corrected; that EMA is also the
 *   model coverage), then mapped to 0..1 between a floor and a
 *   ceiling (pressure 0.22..0.5, distress 0.2..0.45): a calm speaker whose windows are sometimes mislabelled stays
 *   near the floor; a speaker labelled angry in most windows (60 % per-window accuracy) is ~1.
 * - Acoustic, against the speaker's OWN running baseline (mean that falls fast and rises slowly, so it tracks the
 *   calmer part of the speaker's range; trusted after `baselineSeconds` of speech; deviation in units of the speaker's
 *   variability with a floor and a cap): pitch raise (semitones), loudness (dB), speaking rate (onsets/s; also
 *   absolutely fast, > 5/s). Each 0..1, speech-weighted EMA; their mean is the acoustic pressure.
 * - Conversation (two legs): talk share of the other party from decaying speech accumulators of both legs brought to
 *   the same time (`talkSpanSeconds`); overlap from windows of both legs ending at the same time: a lower bound of
 *   the overlapped fraction is max(0, s0 + s1 - 1) (pigeonhole on the two speech ratios).
 *
 * ## Risk
 * Oriented to the protected subscriber (`protectedRole`, default the callee): pressure is the OTHER party's, distress
 * the subscriber's, so outgoing calls work the same way.
 *   pressure = (cov wE E + wA A) / (cov wE + wA)                  E emotion, A acoustic, cov model coverage
 *   support  = 1 - (1 - wD distress)(1 - wDom dominance)(1 - wOv overlap)     (noisy-OR of supporting cues)
 *   inst     = pressure (pressureAlone + (1 - pressureAlone) support)
 *   risk     = EMA of inst over call time (`riskSmoothingSeconds`)
 * An angry caller alone tops out near pressureAlone (0.5 < threshold 0.6): an alert needs pressure AND support
 * (subscriber afraid, caller dominating or talking over). The alert fires when, all at once: the confirmation evidence
 * has reached `confirmSeconds` and no alert fired yet. The evidence (evidence-gate.ts) accrues per call second at
 * strength x confidence while risk >= threshold: strength 1 at the threshold, up to 4 well above it; confidence the
 * other party's speech so far over `minSpeechSeconds` (capped at 1): no fixed wait for speech, weak or thinly-heard
 * evidence confirms slowly, strong and well-heard evidence fast. Dips of less than `hysteresis` hold it, deeper dips
 * reset it. Without emotion probabilities the threshold in force moves toward `acousticOnlyThreshold` (0.7) in
 * proportion to the missing coverage (or alerts are off: `acousticOnlyAlerts=false`). With `escalation`, one more
 * alert fires once the risk has gathered `confirmSeconds` of evidence (full confidence) above `escalationThreshold`
 * (raised by the same no-model offset), at least `escalationMinGapSeconds` after the first.
 *
 * ## Tuning
 * - Fewer false alerts: raise `threshold` or `confirmSeconds`, lengthen `cueSmoothingSeconds` (noisier model), raise
 *   `minSpeechSeconds`. Earlier alerts: the reverse. Time to alert is roughly 2-3 cueSmoothingSeconds (the
 *   subscriber's distress: distressSmoothingSeconds of their speech) plus confirmSeconds / strength after a sustained
 *   pattern starts (synthetic calls: median 30 s, was 42 s before issue 18; real-speech Emo-DB calls 10.5-16.5 s;
 *   docs/POLICY-TIMING.md, `node dist/load-tests/policy-timing/policy-timing.js`).
 * - `pressureAlone` sets how far an angry voice alone can go; weights set how much each supporting cue adds.
 * - `node dist/actors/policy/calibration.js` prints risk quantiles and alert times of the synthetic scenarios used by
 *   the tests (actors/policy/synthetic-call.ts); re-run it after any change and keep neutral scenarios well below the
 *   threshold.
 * Known limits: a speaker who is angry from the first second has an angry baseline (acoustic cues then rely on the
 * absolute speaking rate; the emotion part is unaffected). An angry, shouting relative on an incoming call who
 * frightens the subscriber looks like a scam to this policy: the cues are about how people sound, not what they say.
 */
import {
  ALERT_ACTIONS,
  buildContentExplanation,
  buildExplanation,
  CONTENT_ACTIONS,
  ESCALATION_ACTIONS,
} from './alert-explanation.js';
import { contentGate, contentScore, decayContent } from './content-cues.js';
import { accrueEvidence, speechConfidence } from './evidence-gate.js';
import type { PolicyConfig } from './policy-config.js';
import {
  PolicySlot,
  GLOBAL_SLOTS,
  PolicyLegSlot,
  LEG_COUNT,
  legBase,
  POLICY_STATE_LENGTH,
  POLICY_STATE_MAGIC,
} from './policy-state-layout.js';
import type { PolicyCues, PolicyOutput, PolicyWindowInput } from './policy-types.js';
import { CallguardError } from '../../common/errors.js';

export { POLICY_STATE_LENGTH } from './policy-state-layout.js';
export {
  DEFAULT_POLICY_CONFIG,
  POLICY_CONFIG_KEYS,
  PolicyConfigError,
  validatePolicyConfig,
  type PolicyConfig,
  type PolicyConfigKey,
} from './policy-config.js';
export type { LegRole, PolicyAlert, PolicyCues, PolicyOutput, PolicyWindowInput } from './policy-types.js';
export { ALERT_ACTIONS, ESCALATION_ACTIONS, EXPLANATION_MAX_CHARS } from './alert-explanation.js';

/** Order of the emotion probabilities (the models' EMOTION_LABELS). */
export const EMOTION_ORDER = ['anger', 'boredom', 'disgust', 'fear', 'happiness', 'sadness', 'neutral'] as const;
/** Weights of each class in the pressure and distress emotion scores (EMOTION_ORDER). */
export const PRESSURE_EMOTION_WEIGHTS: readonly number[] = Object.freeze([1, 0, 0.25, 0.5, 0.25, 0, 0]);
export const DISTRESS_EMOTION_WEIGHTS: readonly number[] = Object.freeze([0, 0, 0, 1, 0, 0.5, 0]);

/** A step was given a state or input it cannot use (programming error, not bad audio). */
export class PolicyStateError extends CallguardError<'CG_POLICY_STATE' | 'CG_POLICY_INPUT'> {
  override name = 'PolicyStateError';
}

// Fixed calibration constants (documented in the header; the tunable ones are in PolicyConfig).
/** Windows with less speech than this feed no cue: their emotion probabilities are never read (so never computed). */
export const MIN_SPEECH_RATIO = 0.3;
const PRESSURE_FLOOR = 0.22;
const PRESSURE_CEIL = 0.5;
const DISTRESS_FLOOR = 0.2;
const DISTRESS_CEIL = 0.45;
const BASE_MEAN_SECONDS = 60;
const BASE_VAR_SECONDS = 120;
/** Least weight a window that deviates strongly gets in its speaker's baseline (the baseline still follows, slowly). */
const BASE_MIN_WEIGHT = 0.1;
/** Deviations beyond this many floor units are clipped in the variance update. */
const VAR_CLIP = 1.5;
const PITCH_SD_FLOOR = 1.5; // semitones
const LEVEL_SD_FLOOR = 3; // dB
const RATE_SD_FLOOR = 0.8; // onsets/s
const DEV_START = 0.75; // deviations (in sd) where a sub-cue starts
const DEV_SPAN = 1.75; // ... and how many more sd to reach 1
const RATE_FAST = 5; // onsets/s: absolutely fast
const RATE_FAST_SPAN = 2;
const DOMINANCE_START = 0.55;
const DOMINANCE_SPAN = 0.3;
const OVERLAP_START = 0.04;
const OVERLAP_SPAN = 0.12;
/** Talk seconds (decayed) before dominance/overlap count fully. */
const TALK_CONFIDENCE_SECONDS = 15;
const CUE_HIGH = 0.5;

const clamp01 = (x: number) => (x <= 0 ? 0 : x >= 1 ? 1 : x);
const num = (x: number) => (Number.isFinite(x) ? x : 0);

/** Prepare `POLICY_STATE_LENGTH` slots at `offset` for a new call. */
export function initPolicyState(st: Float64Array, offset: number, _cfg?: PolicyConfig): void {
  if (!Number.isInteger(offset) || offset < 0 || offset + POLICY_STATE_LENGTH > st.length)
    throw new PolicyStateError(
      'CG_POLICY_STATE',
      `policy state needs ${POLICY_STATE_LENGTH} slots at offset ${offset}; array has ${st.length}`,
    );
  st.fill(0, offset, offset + POLICY_STATE_LENGTH);
  st[offset + PolicySlot.magic] = POLICY_STATE_MAGIC;
  st[offset + PolicySlot.protectedLeg] = -1;
  st[offset + PolicySlot.tNow] = -1;
  st[offset + PolicySlot.alertT] = -1;
  st[offset + PolicySlot.escalationT] = -1;
  for (let leg = 0; leg < LEG_COUNT; leg++) {
    const b = offset + legBase(leg);
    st[b + PolicyLegSlot.lastIndex] = -1;
    st[b + PolicyLegSlot.lastTEnd] = -1;
  }
}

/** A fresh cues object (all zero); pass it back to policyStep as `out.cues` to avoid allocating one per step. */
export function emptyCues(): PolicyCues {
  return {
    otherRole: 'caller',
    pressure: 0,
    pressureEmotion: 0,
    pressureAcoustic: 0,
    pitchRaise: 0,
    loudness: 0,
    speechRate: 0,
    anger: 0,
    distress: 0,
    fear: 0,
    sadness: 0,
    talkShare: 0.5,
    dominance: 0,
    overlap: 0,
    pressureSeconds: 0,
    distressSeconds: 0,
    otherSpeechSeconds: 0,
    protectedSpeechSeconds: 0,
    modelCoverage: 0,
    content: 0,
    intentMask: 0,
    authorityKind: 0,
  };
}

/**
 * Advance the call's policy by one window of one leg. Deterministic, reads and writes only `st[offset ..
 * offset + POLICY_STATE_LENGTH)`. `out` (optional) is reused for the result to keep the step allocation-free except
 * on the (at most two) steps that fire an alert.
 */
export function policyStep(
  st: Float64Array,
  offset: number,
  cfg: PolicyConfig,
  input: PolicyWindowInput,
  out?: PolicyOutput,
): PolicyOutput {
  if (offset < 0 || offset + POLICY_STATE_LENGTH > st.length || st[offset + PolicySlot.magic] !== POLICY_STATE_MAGIC)
    throw new PolicyStateError(
      'CG_POLICY_STATE',
      'policy state not initialised (or from another layout): call initPolicyState first',
    );
  const leg = input.leg;
  if (leg !== 0 && leg !== 1) throw new PolicyStateError('CG_POLICY_INPUT', `leg must be 0 or 1, got ${String(leg)}`);
  if (input.role !== 'caller' && input.role !== 'callee')
    throw new PolicyStateError('CG_POLICY_INPUT', `role must be 'caller' or 'callee', got ${String(input.role)}`);
  const res = out ?? { accepted: false, risk: 0, threshold: cfg.threshold, cues: emptyCues() };
  res.alert = undefined;
  const o = offset;
  const b = o + legBase(leg);
  const tEnd = num(input.tEnd);
  const tStart = Math.min(num(input.tStart), tEnd);
  const index = num(input.index);

  // Which leg is protected: fixed by the first window of the call.
  if (st[o + PolicySlot.protectedLeg] < 0) {
    const protectedRole = input.protectedRole ?? 'callee';
    st[o + PolicySlot.protectedLeg] = input.role === protectedRole ? leg : 1 - leg;
    st[o + PolicySlot.protectedIsCaller] = protectedRole === 'caller' ? 1 : 0;
  }

  // Replays and out-of-order windows change nothing.
  if (index <= st[b + PolicyLegSlot.lastIndex] || tEnd <= st[b + PolicyLegSlot.lastTEnd]) {
    st[o + PolicySlot.replays]++;
    res.accepted = false;
    fillOutput(st, o, cfg, res);
    return res;
  }
  res.accepted = true;
  const lastTEnd = st[b + PolicyLegSlot.lastTEnd];
  // New audio this window covers (windows overlap: 2 s long, 1 s apart in the engine, 0.5 s in training data).
  const dt = Math.max(0, tEnd - Math.max(tStart, lastTEnd));
  st[b + PolicyLegSlot.lastIndex] = index;
  st[b + PolicyLegSlot.lastTEnd] = tEnd;
  st[b + PolicyLegSlot.windows]++;
  st[o + PolicySlot.steps]++;
  const s = input.summary;
  const sr = clamp01(num(s.speechRatio));
  const speechDt = sr * dt;
  st[b + PolicyLegSlot.speechSeconds] += speechDt;

  // Talk-time accumulator of this leg, decayed to tEnd.
  const span = cfg.talkSpanSeconds;
  st[b + PolicyLegSlot.talkAcc] =
    st[b + PolicyLegSlot.talkAcc] * Math.exp(-Math.max(0, tEnd - st[b + PolicyLegSlot.talkT]) / span) + speechDt;
  st[b + PolicyLegSlot.talkT] = tEnd;

  // Overlap: pair with the other leg's latest window when it ends at (about) the same time; each window pairs once.
  const ob = o + legBase(1 - leg);
  st[b + PolicyLegSlot.lastSpeech] = sr;
  st[b + PolicyLegSlot.lastPaired] = 0;
  const tol = 0.25 * Math.max(tEnd - tStart, 1e-3);
  if (
    st[ob + PolicyLegSlot.lastTEnd] >= 0 &&
    st[ob + PolicyLegSlot.lastPaired] === 0 &&
    Math.abs(st[ob + PolicyLegSlot.lastTEnd] - tEnd) <= tol
  ) {
    const overlapFrac = Math.max(0, sr + st[ob + PolicyLegSlot.lastSpeech] - 1);
    const tRef = Math.max(tEnd, st[o + PolicySlot.overlapT]);
    st[o + PolicySlot.overlapAcc] =
      st[o + PolicySlot.overlapAcc] * Math.exp(-(tRef - st[o + PolicySlot.overlapT]) / span) + overlapFrac * dt;
    st[o + PolicySlot.overlapT] = tRef;
    st[ob + PolicyLegSlot.lastPaired] = 1;
    st[b + PolicyLegSlot.lastPaired] = 1;
  }

  if (sr >= MIN_SPEECH_RATIO && speechDt > 0) {
    const a = 1 - Math.exp(-speechDt / cfg.cueSmoothingSeconds);
    // The subscriber's fear is heard in few, short replies while the other party presses: it gets its own (shorter)
    // time constant, or it would lag the pressure by the subscriber's silence.
    const ad = 1 - Math.exp(-speechDt / cfg.distressSmoothingSeconds);
    updateEmotion(st, b, input.emotions, a, ad);
    updateAcoustic(st, b, cfg, s.f0Median, s.levelDbfs, s.onsetsPerSecond, a, speechDt);
    // Sustained-cue seconds (for the explanation).
    if (legPressure(st, b, cfg) >= CUE_HIGH) st[b + PolicyLegSlot.pressureSeconds] += dt;
    if (legDistress(st, b) >= CUE_HIGH) st[b + PolicyLegSlot.distressSeconds] += dt;
  }

  // Call clock and risk.
  const tNow = st[o + PolicySlot.tNow];
  const dtCall = tNow < 0 ? tEnd - tStart : Math.max(0, tEnd - tNow);
  if (tEnd > tNow) st[o + PolicySlot.tNow] = tEnd;
  decayContent(st, o, cfg, st[o + PolicySlot.tNow]);
  fillCues(st, o, cfg, res.cues);
  const c = res.cues;
  const support =
    1 -
    (1 - cfg.weightDistress * c.distress) *
      (1 - cfg.weightDominance * c.dominance) *
      (1 - cfg.weightOverlap * c.overlap) *
      (1 - cfg.weightContent * c.content);
  const inst = c.pressure * (cfg.pressureAlone + (1 - cfg.pressureAlone) * support);
  st[o + PolicySlot.riskInst] = inst;
  if (dtCall > 0) {
    const ar = 1 - Math.exp(-dtCall / cfg.riskSmoothingSeconds);
    st[o + PolicySlot.risk] += ar * (inst - st[o + PolicySlot.risk]);
  }
  // The acoustic path alerts on the acoustic risk (content enters it only as a supporting cue, so its explanation
  // stays about how the call sounded); the risk reported is fused with the content score.
  const risk = st[o + PolicySlot.risk];
  const fused = fusedRisk(risk, c.content);
  if (fused > st[o + PolicySlot.peakRisk]) st[o + PolicySlot.peakRisk] = fused;

  // Thresholds in force: toward acousticOnlyThreshold as emotion coverage goes missing.
  const noModel = 1 - c.modelCoverage;
  const thr = cfg.threshold + noModel * (cfg.acousticOnlyThreshold - cfg.threshold);
  const escThr = Math.min(1, cfg.escalationThreshold + (thr - cfg.threshold));
  const mayAlert = cfg.acousticOnlyAlerts || c.modelCoverage >= 0.5;
  // Confidence-weighted confirmation (evidence-gate.ts): strong, well-supported risk confirms faster than weak risk.
  const confidence = speechConfidence(c.otherSpeechSeconds, cfg.minSpeechSeconds);
  accrueEvidence(st, o + PolicySlot.aboveSeconds, risk, thr, cfg.hysteresis, dtCall, confidence);
  res.risk = fused;
  res.threshold = thr;

  if (st[o + PolicySlot.alerted] === 0) {
    // What was said can alert on its own, without waiting for minSpeechSeconds or confirmSeconds: the intents are
    // the confirmation (an ask plus a second kind of intent, each heard with evidence).
    if (cfg.contentAlerts && c.content >= cfg.contentThreshold && contentGate(st, o)) {
      st[o + PolicySlot.alerted] = 1;
      st[o + PolicySlot.alertT] = st[o + PolicySlot.tNow];
      st[o + PolicySlot.alertRisk] = fused;
      st[o + PolicySlot.alertByContent] = 1;
      res.alert = makeAlert('alert', fused, st[o + PolicySlot.tNow], c, 'content');
    } else if (mayAlert && st[o + PolicySlot.aboveSeconds] >= cfg.confirmSeconds && risk >= thr - cfg.hysteresis) {
      st[o + PolicySlot.alerted] = 1;
      st[o + PolicySlot.alertT] = st[o + PolicySlot.tNow];
      st[o + PolicySlot.alertRisk] = fused;
      res.alert = makeAlert('alert', fused, st[o + PolicySlot.tNow], c, 'acoustic');
    }
  } else if (cfg.escalation && st[o + PolicySlot.escalated] === 0) {
    accrueEvidence(st, o + PolicySlot.escAboveSeconds, risk, escThr, cfg.hysteresis, dtCall, 1);
    if (
      mayAlert &&
      st[o + PolicySlot.tNow] - st[o + PolicySlot.alertT] >= cfg.escalationMinGapSeconds &&
      st[o + PolicySlot.escAboveSeconds] >= cfg.confirmSeconds &&
      risk >= escThr - cfg.hysteresis
    ) {
      st[o + PolicySlot.escalated] = 1;
      st[o + PolicySlot.escalationT] = st[o + PolicySlot.tNow];
      res.alert = makeAlert('escalation', fused, st[o + PolicySlot.tNow], c, 'acoustic');
    }
  }
  return res;
}

/** Current risk, threshold and cues without a new window (e.g. for a status page). Does not modify the state. */
export function policySnapshot(st: Float64Array, offset: number, cfg: PolicyConfig): PolicyOutput {
  if (offset < 0 || offset + POLICY_STATE_LENGTH > st.length || st[offset + PolicySlot.magic] !== POLICY_STATE_MAGIC)
    throw new PolicyStateError('CG_POLICY_STATE', 'policy state not initialised (or from another layout)');
  const res: PolicyOutput = { accepted: false, risk: 0, threshold: cfg.threshold, cues: emptyCues() };
  fillOutput(st, offset, cfg, res);
  return res;
}

/** Alert flags of a call's state: which alerts have fired, when, and the peak risk. */
export function policyAlertState(
  st: Float64Array,
  offset: number,
): { alerted: boolean; alertT: number; escalated: boolean; escalationT: number; peakRisk: number } {
  return {
    alerted: st[offset + PolicySlot.alerted] === 1,
    alertT: st[offset + PolicySlot.alertT],
    escalated: st[offset + PolicySlot.escalated] === 1,
    escalationT: st[offset + PolicySlot.escalationT],
    peakRisk: st[offset + PolicySlot.peakRisk],
  };
}

/** The risk reported: acoustic risk and content score combined (noisy-OR). */
function fusedRisk(acoustic: number, content: number): number {
  return 1 - (1 - acoustic) * (1 - content);
}

function fillOutput(st: Float64Array, o: number, cfg: PolicyConfig, res: PolicyOutput): void {
  fillCues(st, o, cfg, res.cues);
  res.risk = fusedRisk(st[o + PolicySlot.risk], res.cues.content);
  res.threshold = cfg.threshold + (1 - res.cues.modelCoverage) * (cfg.acousticOnlyThreshold - cfg.threshold);
}

function updateEmotion(st: Float64Array, b: number, p: ArrayLike<number> | null, a: number, ad: number): void {
  let pe = 0;
  let de = 0;
  let has = 0;
  if (p && p.length === EMOTION_ORDER.length) {
    has = 1;
    let sum = 0;
    for (let i = 0; i < EMOTION_ORDER.length; i++) {
      const v = p[i];
      if (!(v >= 0 && v <= 1.0001)) {
        has = 0;
        break;
      }
      sum += v;
      pe += PRESSURE_EMOTION_WEIGHTS[i] * v;
      de += DISTRESS_EMOTION_WEIGHTS[i] * v;
    }
    if (has && !(sum > 0.5 && sum < 1.5)) has = 0;
  }
  // Numerators decay toward 0 on windows without probabilities, like the coverage: their ratio stays the mean over
  // windows that had probabilities, and coverage tells how much of the recent speech that was.
  st[b + PolicyLegSlot.emoCoverage] += a * (has - st[b + PolicyLegSlot.emoCoverage]);
  st[b + PolicyLegSlot.emoPressure] += a * ((has ? pe : 0) - st[b + PolicyLegSlot.emoPressure]);
  st[b + PolicyLegSlot.distressCoverage] += ad * (has - st[b + PolicyLegSlot.distressCoverage]);
  st[b + PolicyLegSlot.emoDistress] += ad * ((has ? de : 0) - st[b + PolicyLegSlot.emoDistress]);
  st[b + PolicyLegSlot.emoAnger] += a * ((has ? p![0] : 0) - st[b + PolicyLegSlot.emoAnger]);
  st[b + PolicyLegSlot.emoFear] += ad * ((has ? p![3] : 0) - st[b + PolicyLegSlot.emoFear]);
}

/** Deviation above baseline in units of the speaker's variability (floored and capped), mapped to 0..1. */
function deviationCue(x: number, mean: number, variance: number, floor: number): number {
  const sd = Math.min(2 * floor, Math.max(floor, Math.sqrt(variance)));
  return clamp01(((x - mean) / sd - DEV_START) / DEV_SPAN);
}

/**
 * One baseline step. Plain running mean during warm-up, then an EMA in which a window counts less the more it deviates
 * upward (weight 1 - cue, at least BASE_MIN_WEIGHT): a speaker who gets angry does not drag their own baseline up
 * quickly, so the raise keeps showing. Variance from deviations clipped to VAR_CLIP floor units (calm variability).
 */
function updateBaseline(
  st: Float64Array,
  at: number,
  x: number,
  w: number,
  cue: number,
  floor: number,
  warmUpSeconds: number,
): void {
  const seen = st[at + 2];
  if (seen <= 0) {
    st[at] = x;
    st[at + 1] = 0;
    st[at + 2] = w;
    return;
  }
  const mean = st[at];
  const warm = seen < warmUpSeconds ? w / (seen + w) : 0;
  const wg = w * Math.max(BASE_MIN_WEIGHT, 1 - cue);
  const a = Math.max(warm, 1 - Math.exp(-wg / BASE_MEAN_SECONDS));
  const av = Math.max(warm, 1 - Math.exp(-wg / BASE_VAR_SECONDS));
  const d = Math.max(-VAR_CLIP * floor, Math.min(VAR_CLIP * floor, x - mean));
  st[at] = mean + a * (x - mean);
  st[at + 1] += av * (d * d - st[at + 1]);
  st[at + 2] = seen + w;
}

function updateAcoustic(
  st: Float64Array,
  b: number,
  cfg: PolicyConfig,
  f0: number,
  level: number,
  rate: number,
  a: number,
  w: number,
): void {
  f0 = num(f0);
  level = num(level);
  rate = Math.max(0, num(rate));
  if (f0 > 0) {
    const semis = 12 * Math.log2(f0 / 100);
    const cue =
      st[b + PolicyLegSlot.f0Seconds] >= cfg.baselineSeconds
        ? deviationCue(semis, st[b + PolicyLegSlot.f0Mean], st[b + PolicyLegSlot.f0Var], PITCH_SD_FLOOR)
        : 0;
    st[b + PolicyLegSlot.pitchCue] += a * (cue - st[b + PolicyLegSlot.pitchCue]);
    updateBaseline(st, b + PolicyLegSlot.f0Mean, semis, w, cue, PITCH_SD_FLOOR, cfg.baselineSeconds);
  }
  if (level < 0 && level > -100) {
    const cue =
      st[b + PolicyLegSlot.levelSeconds] >= cfg.baselineSeconds
        ? deviationCue(level, st[b + PolicyLegSlot.levelMean], st[b + PolicyLegSlot.levelVar], LEVEL_SD_FLOOR)
        : 0;
    st[b + PolicyLegSlot.loudCue] += a * (cue - st[b + PolicyLegSlot.loudCue]);
    updateBaseline(st, b + PolicyLegSlot.levelMean, level, w, cue, LEVEL_SD_FLOOR, cfg.baselineSeconds);
  }
  const rel =
    st[b + PolicyLegSlot.rateSeconds] >= cfg.baselineSeconds
      ? deviationCue(rate, st[b + PolicyLegSlot.rateMean], st[b + PolicyLegSlot.rateVar], RATE_SD_FLOOR)
      : 0;
  const cue = Math.max(rel, clamp01((rate - RATE_FAST) / RATE_FAST_SPAN));
  st[b + PolicyLegSlot.rateCue] += a * (cue - st[b + PolicyLegSlot.rateCue]);
  updateBaseline(st, b + PolicyLegSlot.rateMean, rate, w, rel, RATE_SD_FLOOR, cfg.baselineSeconds);
}

/** Bias-corrected EMA mean of `slot`, whose coverage EMA (same time constant) is `covSlot`. */
function emotionMean(st: Float64Array, b: number, slot: number, covSlot: number = PolicyLegSlot.emoCoverage): number {
  const cov = st[b + covSlot];
  return cov > 1e-9 ? clamp01(st[b + slot] / cov) : 0;
}

function legEmotionPressure(st: Float64Array, b: number): number {
  return clamp01((emotionMean(st, b, PolicyLegSlot.emoPressure) - PRESSURE_FLOOR) / (PRESSURE_CEIL - PRESSURE_FLOOR));
}

function legAcoustic(st: Float64Array, b: number): number {
  return (st[b + PolicyLegSlot.pitchCue] + st[b + PolicyLegSlot.loudCue] + st[b + PolicyLegSlot.rateCue]) / 3;
}

function legPressure(st: Float64Array, b: number, cfg: PolicyConfig): number {
  const cov = st[b + PolicyLegSlot.emoCoverage];
  const wE = cov * cfg.weightPressureEmotion;
  const den = wE + cfg.weightPressureAcoustic;
  return den > 0 ? (wE * legEmotionPressure(st, b) + cfg.weightPressureAcoustic * legAcoustic(st, b)) / den : 0;
}

function legDistress(st: Float64Array, b: number): number {
  return (
    clamp01(
      (emotionMean(st, b, PolicyLegSlot.emoDistress, PolicyLegSlot.distressCoverage) - DISTRESS_FLOOR) /
        (DISTRESS_CEIL - DISTRESS_FLOOR),
    ) * Math.min(1, 2 * st[b + PolicyLegSlot.distressCoverage])
  );
}

function fillCues(st: Float64Array, o: number, cfg: PolicyConfig, c: PolicyCues): void {
  const pLeg = st[o + PolicySlot.protectedLeg] < 0 ? 1 : st[o + PolicySlot.protectedLeg];
  const pb = o + legBase(pLeg);
  const ob = o + legBase(1 - pLeg);
  c.otherRole = st[o + PolicySlot.protectedIsCaller] === 1 ? 'callee' : 'caller';
  c.pressure = legPressure(st, ob, cfg);
  c.pressureEmotion = legEmotionPressure(st, ob);
  c.pressureAcoustic = legAcoustic(st, ob);
  c.pitchRaise = st[ob + PolicyLegSlot.pitchCue];
  c.loudness = st[ob + PolicyLegSlot.loudCue];
  c.speechRate = st[ob + PolicyLegSlot.rateCue];
  c.anger = emotionMean(st, ob, PolicyLegSlot.emoAnger);
  c.distress = legDistress(st, pb);
  c.fear = emotionMean(st, pb, PolicyLegSlot.emoFear, PolicyLegSlot.distressCoverage);
  c.sadness = clamp01(2 * (emotionMean(st, pb, PolicyLegSlot.emoDistress, PolicyLegSlot.distressCoverage) - c.fear));
  // Talk share at the later of the two legs' clocks.
  const t = Math.max(st[ob + PolicyLegSlot.talkT], st[pb + PolicyLegSlot.talkT]);
  const span = cfg.talkSpanSeconds;
  const to = st[ob + PolicyLegSlot.talkAcc] * Math.exp(-(t - st[ob + PolicyLegSlot.talkT]) / span);
  const tp = st[pb + PolicyLegSlot.talkAcc] * Math.exp(-(t - st[pb + PolicyLegSlot.talkT]) / span);
  const total = to + tp;
  const confidence = clamp01(total / TALK_CONFIDENCE_SECONDS);
  c.talkShare = total > 0 ? to / total : 0.5;
  c.dominance = clamp01((c.talkShare - DOMINANCE_START) / DOMINANCE_SPAN) * confidence;
  const ov = st[o + PolicySlot.overlapAcc] * Math.exp(-Math.max(0, t - st[o + PolicySlot.overlapT]) / span);
  c.overlap = total > 0 ? clamp01((ov / total - OVERLAP_START) / OVERLAP_SPAN) * confidence : 0;
  c.pressureSeconds = st[ob + PolicyLegSlot.pressureSeconds];
  c.distressSeconds = st[pb + PolicyLegSlot.distressSeconds];
  c.otherSpeechSeconds = st[ob + PolicyLegSlot.speechSeconds];
  c.protectedSpeechSeconds = st[pb + PolicyLegSlot.speechSeconds];
  c.modelCoverage = st[ob + PolicyLegSlot.emoCoverage];
  c.content = contentScore(st, o);
  c.intentMask = st[o + PolicySlot.heardMask];
  c.authorityKind = st[o + PolicySlot.authorityKind];
}

function makeAlert(
  level: 'alert' | 'escalation',
  risk: number,
  t: number,
  c: PolicyCues,
  basis: 'content' | 'acoustic',
): PolicyOutput['alert'] {
  const cues = { ...c };
  if (basis === 'content')
    return {
      level,
      risk,
      t,
      explanation: buildContentExplanation(cues, level),
      actions: level === 'alert' ? CONTENT_ACTIONS : ESCALATION_ACTIONS,
      cues,
      basis,
    };
  return {
    level,
    risk,
    t,
    explanation: buildExplanation(cues, level),
    actions: level === 'alert' ? ALERT_ACTIONS : ESCALATION_ACTIONS,
    cues,
    basis,
  };
}

/** Exposed for tests and tools: the number of call-level slots (leg blocks follow). */
export const POLICY_GLOBAL_SLOTS = GLOBAL_SLOTS;
