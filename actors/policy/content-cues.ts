/**
 * Spoken-content evidence of one call, kept in the policy's state slots (policy-state-layout.ts,
 * PolicySlot.intentEvidence..). Intents (name, call time, confidence) come from the recogniser of the other party's
 * leg; no word reaches here.
 *
 * - Each intent keeps a decaying evidence 0..1 (time constant `contentMemorySeconds`): a hit adds
 *   noisy-OR style, E = 1 - (1 - E)(1 - q) with q = 0.6 + 0.4 confidence, so the same ask heard twice is surer
 *   than once.
 * - The content score is a noisy-OR over intents weighted by how much each says about a scam on its own
 *   (INTENT_WEIGHT: a code request or a safe-account transfer weighs most, a claim to be the bank or "today" least).
 * - The content gate: an alert on content alone needs an ask (a code, credentials or a payment: ask.* / pay.*) with
 *   evidence and a second category (authority, secrecy, urgency, threat, or another ask), so "your account is paid
 *   up" or "the door code is" never suffice, and neither does a lone mis-recognised phrase.
 * Pure functions of the slots, like the rest of the policy: a state copied mid-call continues identically.
 */
import { INTENT_CATEGORY, INTENTS, type IntentCategory, type IntentName } from '../speech/intent-lexicon.js';
import type { PolicyConfig } from './policy-config.js';
import { PolicySlot } from './policy-state-layout.js';

/**
 * One intent as the policy receives it. `seq` numbers a call's intents from 1; `t` is call time (s) of its last word.
 */
export interface IntentCue {
  seq: number;
  intent: IntentName;
  t: number;
  /** Recogniser's posterior of the words that made the hit (0..1). */
  confidence: number;
}

/** How much each intent says about a scam on its own (0..1). */
export const INTENT_WEIGHT: Readonly<Record<IntentName, number>> = {
  'authority.bank': 0.3,
  'authority.police': 0.35,
  'authority.tax': 0.3,
  'authority.tech': 0.3,
  'authority.delivery': 0.2,
  'ask.code': 0.6,
  'ask.credentials': 0.5,
  'pay.giftcard': 0.6,
  'pay.crypto': 0.45,
  'pay.transfer': 0.55,
  'pay.remote': 0.5,
  secrecy: 0.4,
  urgency: 0.2,
  threat: 0.4,
};

/** Evidence from which an intent counts for the gate. */
const GATE_EVIDENCE = 0.5;
const INTENT_INDEX = new Map<string, number>(INTENTS.map((n, i) => [n, i]));

const clamp01 = (x: number) => (x <= 0 ? 0 : x >= 1 ? 1 : x);

/** Decay the content evidence to call time t (never backwards). */
export function decayContent(st: Float64Array, o: number, cfg: PolicyConfig, t: number): void {
  const t0 = st[o + PolicySlot.contentT];
  if (!(t > t0)) return;
  const k = Math.exp(-(t - t0) / cfg.contentMemorySeconds);
  for (let i = 0; i < INTENTS.length; i++) st[o + PolicySlot.intentEvidence + i] *= k;
  st[o + PolicySlot.contentT] = t;
}

/**
 * Apply one intent (in seq order). Returns false for one already applied (a replayed round) or unknown; the state
 * is then untouched.
 */
export function applyIntent(st: Float64Array, o: number, cfg: PolicyConfig, cue: IntentCue): boolean {
  if (!(cue.seq > st[o + PolicySlot.intentSeq])) return false;
  st[o + PolicySlot.intentSeq] = cue.seq;
  const i = INTENT_INDEX.get(cue.intent);
  if (i === undefined) return false;
  decayContent(st, o, cfg, Number.isFinite(cue.t) ? cue.t : st[o + PolicySlot.contentT]);
  const q = 0.6 + 0.4 * clamp01(Number.isFinite(cue.confidence) ? cue.confidence : 0);
  const at = o + PolicySlot.intentEvidence + i;
  st[at] = 1 - (1 - st[at]) * (1 - q);
  st[o + PolicySlot.heardMask] = st[o + PolicySlot.heardMask] + (hasBit(st[o + PolicySlot.heardMask], i) ? 0 : 2 ** i);
  st[o + PolicySlot.contentHits]++;
  if (st[o + PolicySlot.authorityKind] === 0 && INTENT_CATEGORY[cue.intent] === 'authority')
    st[o + PolicySlot.authorityKind] = i + 1;
  return true;
}

/** Bit i of a mask stored as a float64 (14 bits: exact). */
export function hasBit(mask: number, i: number): boolean {
  return Math.floor(mask / 2 ** i) % 2 === 1;
}

/** The content score (0..1) at the state's content time. */
export function contentScore(st: Float64Array, o: number): number {
  let keep = 1;
  for (let i = 0; i < INTENTS.length; i++)
    keep *= 1 - INTENT_WEIGHT[INTENTS[i]] * st[o + PolicySlot.intentEvidence + i];
  return 1 - keep;
}

/** Whether the content evidence is of the shape that may alert on its own: an ask and a second category. */
export function contentGate(st: Float64Array, o: number): boolean {
  const cats = new Set<IntentCategory>();
  let asks = 0;
  for (let i = 0; i < INTENTS.length; i++) {
    if (st[o + PolicySlot.intentEvidence + i] < GATE_EVIDENCE) continue;
    const c = INTENT_CATEGORY[INTENTS[i]];
    cats.add(c);
    if (c === 'ask' || c === 'pay') asks++;
  }
  return asks >= 1 && (cats.size >= 2 || asks >= 2);
}

/** Intents heard so far in the call, INTENTS order. */
export function heardIntents(mask: number): IntentName[] {
  return INTENTS.filter((_, i) => hasBit(mask, i));
}
