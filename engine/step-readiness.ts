import { LOCKSTEP_SLACK_SECONDS } from '../actors/actor-step.js';

/**
 * How long until a call's legs could hold enough audio for a step: 0 when they do now. The actor's lockstep rule:
 * every leg has a chunk, unless the legs drifted more than the slack apart (then the fullest leg decides). With audio
 * arriving at real time on the legs that send it, that is a lower bound on the wait. Two routes: the emptiest leg
 * fills up, or (a leg silent) the gap grows past the slack while the fullest leg holds a chunk. Audio that lands
 * faster than real time (a jitter buffer's catch-up after a gap) can make a call ready sooner: the scheduler looks
 * again at the bound anyway, so such a call waits at most that long.
 */
export function stepWaitSeconds(secondsPerLeg: ArrayLike<number>, minSeconds: number): number {
  if (secondsPerLeg.length === 0) return minSeconds;
  let min = Infinity;
  let max = 0;
  for (let i = 0; i < secondsPerLeg.length; i++) {
    min = Math.min(min, secondsPerLeg[i]);
    max = Math.max(max, secondsPerLeg[i]);
  }
  const gap = max - min;
  // 0 exactly when the actor would step (its rule, strict comparisons included), never otherwise: a call handed to
  // the pool that cannot step is an empty task, and a silent leg would make that a busy loop.
  if (secondsPerLeg.length > 1 && gap > LOCKSTEP_SLACK_SECONDS) return max >= minSeconds ? 0 : minSeconds - max;
  if (min >= minSeconds) return 0;
  const fill = minSeconds - min;
  if (secondsPerLeg.length === 1) return fill;
  // The gap passing the slack (strictly) needs more audio on the fullest leg: at least the next sample.
  const drift = Math.max(LOCKSTEP_SLACK_SECONDS - gap, minSeconds - max, NEXT_AUDIO_SECONDS);
  return Math.min(fill, drift);
}

/** The smallest wait for "any more audio" (a millisecond: below a packet, above rounding). */
const NEXT_AUDIO_SECONDS = 0.001;
