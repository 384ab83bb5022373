import { planCalls, type PlannedCall } from './call-plan.js';
import type { ClipLibrary } from './emodb-clips.js';

/** One call of the demo: the load plan's call plus what a newcomer is told about it. */
export interface DemoCall {
  readonly plan: PlannedCall;
  /** What the demo expects the engine to do with it. */
  readonly expectAlert: boolean;
  readonly description: string;
}

export interface DemoCallOptions {
  /** Length of every call (s). The default policy needs ~20 s of the caller's speech plus 6 s of confirmation. */
  seconds: number;
  /** Distinguishes this run's calls and numbers from earlier runs (the outbox refuses a second alert for a call id and
   * rate-limits alerts per number per hour, so a rerun must not look like the same calls). */
  runTag: string;
  /** Clip choice; the default seed gives a calm call that stays calm and a scam-like call that alerts. */
  seed?: number;
}

/**
 * The demo's calls, built by the load test's planner (same clips, codec and numbering rules): one calm call (neutral
 * and bored voices on both legs) and one scam-like call (an angry caller and a frightened callee from the first
 * second), placed half a second apart so they run side by side.
 */
export function demoCalls(lib: ClipLibrary, o: DemoCallOptions): DemoCall[] {
  if (!(o.seconds >= 4 && o.seconds <= 600)) throw new RangeError(`call length must be 4–600 s, got ${o.seconds}`);
  if (!/^\d{4}$/.test(o.runTag)) throw new RangeError('runTag must be 4 digits');
  const base = { calls: 1, ratePerSecond: 1, durationSeconds: { min: o.seconds, max: o.seconds }, seed: o.seed ?? 7 };
  const [calm] = planCalls(lib, { ...base, scamFraction: 0 });
  const [scam] = planCalls(lib, { ...base, scamFraction: 1, scamOnsetSeconds: { min: 0, max: 0 } });
  const call = (p: PlannedCall, index: number, kind: string): PlannedCall => ({
    ...p,
    index,
    callId: `cg-demo-${o.runTag}-${kind}@127.0.0.1`,
    startOffsetMs: index * 500,
    // +49 15x caller, +33 6xx callee: valid E.164 shapes, tagged by run so each rerun is a new subscriber.
    callerNumber: `+4915${o.runTag}0${index + 1}00`,
    calleeNumber: `+3361${o.runTag}0${index + 1}00`,
  });
  return [
    { plan: call(calm, 0, 'calm'), expectAlert: false, description: 'calm: neutral and bored voices on both sides' },
    { plan: call(scam, 1, 'scam'), expectAlert: true, description: 'scam-like: angry caller, frightened callee' },
  ];
}
