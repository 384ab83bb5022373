import { LOCKSTEP_SLACK_SECONDS } from '../actors/actor-step.js';

/**
 * How long until a call's legs hold enough audio for a step: 0 when they do now. The actor's lockstep rule: every leg
 * has a chunk, unless the legs drifted more than the slack apart (then the fullest leg decides). Network audio arrives
 * no faster than real time, so the shortfall in seconds is a lower bound on the wait.
 */
export function stepWaitSeconds(secondsPerLeg: ArrayLike<number>, minSeconds: number): number {
  if (secondsPerLeg.length === 0) return minSeconds;
  let min = Infinity;
  let max = 0;
  for (let i = 0; i < secondsPerLeg.length; i++) {
    min = Math.min(min, secondsPerLeg[i]);
    max = Math.max(max, secondsPerLeg[i]);
  }
  const have = secondsPerLeg.length > 1 && max - min > LOCKSTEP_SLACK_SECONDS ? max : min;
  return have >= minSeconds ? 0 : minSeconds - have;
}
