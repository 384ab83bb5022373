import type { StepCall } from './actor-step.js';
import type { CallSlabHandles } from './call-slab.js';

/**
 * A call as a task names it. Its slab's handles (four SharedArrayBuffers and the layout) ride along only until every
 * worker has them: cloning them into every task was the main thread's largest single cost after snapshots (the
 * 150-call profile of 2026-12-07: 15 % of its busy time in postMessage). A worker keeps the handles it was given
 * (SlabCache) and answers CG_SLAB_UNKNOWN for a call it has not seen (a new or restarted worker, or one that dropped an
 * idle entry); the supervisor then sends the slab again. Nothing else changes: state still lives in the slab.
 */
export interface WireCall extends Omit<StepCall, 'slab'> {
  /** The supervisor's number for this call (unique in the process; call ids may repeat across time). */
  key: number;
  callId: string;
  slab?: CallSlabHandles;
}

export const SLAB_UNKNOWN = 'CG_SLAB_UNKNOWN';

/** Entries unused this long are dropped (the supervisor sends the slab again if the call comes back). */
const IDLE_MS = 30_000;
const SWEEP_EVERY_TASKS = 256;

export class SlabCache {
  private readonly slabs = new Map<number, { slab: CallSlabHandles; used: number }>();
  private tasks = 0;

  /** Splits a task's calls into those this worker can step (with their slabs) and those it has no slab for. */
  resolve(calls: readonly WireCall[], now = Date.now()): { known: StepCall[]; unknown: WireCall[] } {
    const known: StepCall[] = [];
    const unknown: WireCall[] = [];
    for (const w of calls) {
      let e = this.slabs.get(w.key);
      if (w.slab) this.slabs.set(w.key, (e = { slab: w.slab, used: now }));
      if (!e) {
        unknown.push(w);
        continue;
      }
      e.used = now;
      known.push({ slab: e.slab, final: w.final, intents: w.intents });
    }
    if (++this.tasks % SWEEP_EVERY_TASKS === 0) this.sweep(now);
    return { known, unknown };
  }

  get size(): number {
    return this.slabs.size;
  }

  private sweep(now: number): void {
    for (const [k, e] of this.slabs) if (now - e.used > IDLE_MS) this.slabs.delete(k);
  }
}
