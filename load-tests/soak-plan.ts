import type { ClipLibrary } from './emodb-clips.js';
import { planCalls, type CallPlanOptions, type PlannedCall } from './call-plan.js';

/**
 * A soak plan: `concurrency` slots, each placing calls back to back (a new INVITE `gapSeconds` after the previous
 * call's media ended) from its start until `seconds`, so the engine holds a constant number of calls with every call
 * replaced as it ends. Slots start staggered over `rampSeconds`, so arrivals never come in one burst and calls of
 * random length end at scattered times. Calls themselves (kinds, clips, numbers) come from planCalls with the seed.
 */
export interface SoakPlanOptions extends Omit<CallPlanOptions, 'calls' | 'ratePerSecond'> {
  concurrency: number;
  /** Last moment (s after the run starts) a new call may start; calls running then play to their end. */
  seconds: number;
  rampSeconds?: number;
  gapSeconds?: number;
}

export function planSoak(lib: ClipLibrary, o: SoakPlanOptions): PlannedCall[] {
  if (!(Number.isInteger(o.concurrency) && o.concurrency >= 1))
    throw new RangeError('soak concurrency must be an integer >= 1');
  if (!(o.seconds > 0)) throw new RangeError('soak seconds must be > 0');
  const ramp = o.rampSeconds ?? Math.min(30, Math.max(2, o.concurrency / 10));
  const gap = o.gapSeconds ?? 1;
  // Enough calls for every slot to be busy with the shortest calls for the whole soak.
  const upper = o.concurrency * (Math.ceil(o.seconds / (o.durationSeconds.min + gap)) + 1);
  const pool = planCalls(lib, { ...o, calls: upper, ratePerSecond: 1 });
  const free = Array.from({ length: o.concurrency }, (_, i) => (i * ramp) / o.concurrency);
  const out: PlannedCall[] = [];
  for (const c of pool) {
    let slot = 0;
    for (let i = 1; i < free.length; i++) if (free[i] < free[slot]) slot = i;
    const start = free[slot];
    if (start >= o.seconds) break;
    out.push({ ...c, startOffsetMs: Math.round(start * 1000) });
    free[slot] = start + c.durationSeconds + gap;
  }
  return out;
}

/** Calls planned to be in media at time t (s after the start): what the generator should hold. */
export function plannedConcurrency(plan: readonly PlannedCall[], t: number): number {
  let n = 0;
  for (const c of plan) if (c.startOffsetMs / 1000 <= t && t < c.startOffsetMs / 1000 + c.durationSeconds) n++;
  return n;
}

/** Time a soak needs beyond its own length: engine start, warm-up calls, the last calls' ends and the report. */
const SOAK_OVERHEAD_SECONDS = 300;

/**
 * The run's hard bound (--max-seconds): as given, or by default 1800 s and never less than a soak needs, so the bound
 * cannot cut a soak short before its analysis. A bound given that is shorter than the soak is an error, not a cut.
 */
export function runBoundSeconds(soakSeconds: number, given: string | undefined): number {
  const need = soakSeconds > 0 ? soakSeconds + SOAK_OVERHEAD_SECONDS : 0;
  if (given === undefined) return Math.max(1800, need);
  const v = Number(given);
  if (!(v > 0)) throw new Error(`--max-seconds ${given}: expected a number of seconds > 0`);
  if (soakSeconds > 0 && v < need)
    throw new Error(
      `--max-seconds ${given} is shorter than --soak ${soakSeconds} needs (${need} s with start-up and the last calls)`,
    );
  return v;
}
