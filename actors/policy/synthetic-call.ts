import { seededRandom } from '../dsp/mulberry32.js';
import { LIVE_WINDOW_HOP_SECONDS } from '../features/front-end-config.js';
import type { LegRole, PolicyWindowInput } from './policy-types.js';

/**
 * Seeded synthetic calls for the policy's tests and calibration: turn-taking at 0.1 s resolution, 2 s windows every
 * `hopSeconds` per leg (default: the live engine's hop), per-window acoustic summaries with speaker-level noise, and
 * emotion probabilities from a simulated imperfect classifier (the true class wins a window with probability
 * `accuracy`, otherwise a uniformly random other class does — harsher on anger false positives than real confusions,
 * which mostly stay within arousal level). Not a model of real speech; a reproducible stress test of the policy's
 * logic.
 */

export const EMOTIONS = ['anger', 'boredom', 'disgust', 'fear', 'happiness', 'sadness', 'neutral'] as const;
export type Emotion = (typeof EMOTIONS)[number];

/** How one party sounds during a segment. */
export interface VoiceProfile {
  /** Relative length of this party's turns (1 = balanced; 3 = talks three times as long per turn). */
  talk: number;
  /** True emotion the simulated classifier sees. */
  emotion: Emotion;
  /** Pitch above the speaker's calm pitch (semitones), loudness above calm (dB), speaking rate (onsets/s). */
  pitchRaise: number;
  loudDb: number;
  rate: number;
  /** Probability that a turn of this party starts before the other's ends (1 s overlap). */
  interrupt: number;
}

export interface Segment {
  seconds: number;
  /** Profiles of the two legs: index 0 and 1. */
  legs: [VoiceProfile, VoiceProfile];
}

export interface SyntheticCallSpec {
  seed: number;
  segments: Segment[];
  /** Roles of leg 0 and leg 1 (default caller, callee). */
  roles?: [LegRole, LegRole];
  protectedRole?: LegRole;
  /** Classifier accuracy per window (0..1), or null: no model (emotions null). Default 0.6. */
  accuracy?: number | null;
  /** Probability per window of a spurious single-window anger label (p(anger) ~0.9) on either leg. */
  angerSpikeRate?: number;
  /** Calm F0 of each leg (Hz). */
  f0?: [number, number];
  /** Seconds between windows of a leg (default LIVE_WINDOW_HOP_SECONDS, the engine's; training data used 0.5). */
  hopSeconds?: number;
}

export const CALM: VoiceProfile = Object.freeze({
  talk: 1,
  emotion: 'neutral',
  pitchRaise: 0,
  loudDb: 0,
  rate: 3.6,
  interrupt: 0.03,
});
export const ANGRY_URGENT: VoiceProfile = Object.freeze({
  talk: 2.5,
  emotion: 'anger',
  pitchRaise: 4,
  loudDb: 6,
  rate: 5.2,
  interrupt: 0.35,
});
export const AFRAID: VoiceProfile = Object.freeze({
  talk: 0.6,
  emotion: 'fear',
  pitchRaise: 2,
  loudDb: -1,
  rate: 3.8,
  interrupt: 0.03,
});
/** Loud, high-pitched, fast and dominant, but with no emotion label (for acoustic-only checks). */
export const LOUD_FAST: VoiceProfile = Object.freeze({
  talk: 3,
  emotion: 'neutral',
  pitchRaise: 5,
  loudDb: 8,
  rate: 5.8,
  interrupt: 0.4,
});

/** mulberry32: small, fast, seeded. */
export function prng(seed: number): () => number {
  return seededRandom(seed);
}

const TICK = 0.1;
const WINDOW = 2;

/** All windows of the call, in the order an engine would hand them to the policy (per hop: leg 0, then leg 1). */
export function syntheticCall(spec: SyntheticCallSpec): PolicyWindowInput[] {
  const rnd = prng(spec.seed);
  const hop = spec.hopSeconds ?? LIVE_WINDOW_HOP_SECONDS;
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
  const roles = spec.roles ?? ['caller', 'callee'];
  const f0 = spec.f0 ?? [120, 210];
  const accuracy = spec.accuracy === undefined ? 0.6 : spec.accuracy;
  const total = spec.segments.reduce((s, g) => s + g.seconds, 0);
  const ticks = Math.round(total / TICK);
  const speaking: Uint8Array[] = [new Uint8Array(ticks), new Uint8Array(ticks)];
  const profileAt = (t: number): Segment => {
    let acc = 0;
    for (const g of spec.segments) {
      acc += g.seconds;
      if (t < acc) return g;
    }
    return spec.segments[spec.segments.length - 1];
  };
  // Turn-taking.
  let who = rnd() < 0.5 ? 0 : 1;
  let t = 0;
  while (t < ticks) {
    const seg = profileAt(t * TICK);
    const p = seg.legs[who];
    const len = Math.round(((1.5 + 4 * rnd()) * p.talk) / TICK);
    const start = t;
    for (let k = 0; k < len && t < ticks; k++, t++) if (rnd() < 0.88) speaking[who][t] = 1;
    const next = 1 - who;
    if (rnd() < seg.legs[next].interrupt) {
      // The next speaker starts a second before this turn ends.
      const from = Math.max(start, t - Math.round(1 / TICK));
      for (let k = from; k < t; k++) speaking[next][k] = 1;
    } else t += Math.round((0.2 + 0.6 * rnd()) / TICK);
    who = next;
  }
  // Windows.
  const out: PolicyWindowInput[] = [];
  const perWindow = Math.round(WINDOW / TICK);
  let index = 0;
  for (let end = WINDOW; end <= total + 1e-9; end += hop, index++) {
    const endTick = Math.round(end / TICK);
    const seg = profileAt(end - hop / 2);
    for (let leg = 0; leg < 2; leg++) {
      let sp = 0;
      for (let k = endTick - perWindow; k < endTick; k++) sp += speaking[leg][k];
      const sr = sp / perWindow;
      const p = seg.legs[leg];
      const speech = sr >= 0.15;
      const summary = {
        speechRatio: sr,
        levelDbfs: speech ? -22 + p.loudDb + 1.5 * gauss() : -55 + 2 * gauss(),
        f0Median: speech && rnd() < 0.95 ? f0[leg] * Math.pow(2, (p.pitchRaise + 1.0 * gauss()) / 12) : 0,
        f0SpreadSemitones: speech ? 2.5 + 0.5 * Math.abs(gauss()) : 0,
        onsetsPerSecond: speech ? Math.max(0, p.rate + 0.5 * gauss()) : 0,
        centroidHz: speech ? 1700 + 150 * gauss() : 0,
      };
      out.push({
        leg,
        role: roles[leg],
        protectedRole: spec.protectedRole,
        index,
        tStart: end - WINDOW,
        tEnd: end,
        summary,
        emotions:
          accuracy === null ? null : classify(rnd, speech ? p.emotion : 'neutral', accuracy, spec.angerSpikeRate ?? 0),
      });
    }
  }
  return out;
}

function classify(rnd: () => number, truth: Emotion, accuracy: number, spikeRate: number): number[] {
  const probs = new Array<number>(7).fill(0);
  let top = EMOTIONS.indexOf(truth);
  let topP = 0.35 + 0.5 * rnd();
  if (rnd() < spikeRate) {
    top = 0;
    topP = 0.9;
  } else if (rnd() >= accuracy) {
    const other = Math.floor(rnd() * 6);
    top = other >= top ? other + 1 : other;
  }
  let rest = 0;
  for (let i = 0; i < 7; i++) if (i !== top) rest += probs[i] = rnd();
  for (let i = 0; i < 7; i++) probs[i] = i === top ? topP : (probs[i] / rest) * (1 - topP);
  return probs;
}

/** Segment helper: `seconds` with both legs calm (balanced talk). */
export const calm = (seconds: number): Segment => ({ seconds, legs: [CALM, CALM] });
