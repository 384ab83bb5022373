/**
 * The confirmation gate of the acoustic alert, as confidence-weighted evidence rather than a fixed wait.
 *
 * The old gate wanted the risk at/above the threshold for a fixed `confirmSeconds` and, before that, a fixed
 * `minSpeechSeconds` of the other party's speech: every alert paid ~20 s of speech plus the confirmation, however clear
 * the call. Here the same slot accrues "confirmation seconds" at a rate that says how sure the step is:
 *   rate = strength × confidence
 *   strength   = 1 + (risk - threshold) / hysteresis, capped at MAX_STRENGTH (1 at the threshold: the old timer;
 *                a risk well above the threshold confirms several times faster)
 *   confidence = min(1, otherSpeechSeconds / minSpeechSeconds) (cues averaged over little speech are noisy, so they
 *                count in proportion to the speech behind them, instead of not at all until a fixed amount)
 * Within the hysteresis band below the threshold the evidence holds; below it, it resets (as before: a calm stretch
 * wipes the slate). The alert fires at `confirmSeconds` of evidence. A risk just at the threshold on a long call
 * therefore confirms exactly as before; only strong evidence is faster.
 * Pure function of the slot, like the rest of the policy state.
 */

/** A risk this many hysteresis bands above the threshold confirms at most this many times faster than the old timer. */
export const MAX_STRENGTH = 4;

/** Confidence (0..1) of the cues from the other party's speech heard so far. */
export function speechConfidence(otherSpeechSeconds: number, minSpeechSeconds: number): number {
  if (!(minSpeechSeconds > 0)) return 1;
  const c = otherSpeechSeconds / minSpeechSeconds;
  return c >= 1 ? 1 : c > 0 ? c : 0;
}

/** Advance the evidence slot `st[at]` over `dt` call seconds at `risk` against `thr`. */
export function accrueEvidence(
  st: Float64Array,
  at: number,
  risk: number,
  thr: number,
  hysteresis: number,
  dt: number,
  confidence: number,
): void {
  if (risk >= thr) {
    const strength = hysteresis > 0 ? Math.min(MAX_STRENGTH, 1 + (risk - thr) / hysteresis) : 1;
    st[at] += dt * strength * confidence;
  } else if (risk < thr - hysteresis) st[at] = 0;
  // in between: hold
}
