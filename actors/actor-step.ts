import { performance } from 'node:perf_hooks';
import { RingBuffer } from 'ringbuf.js';
import { EventWriter, type ActorEvent } from './actor-events.js';
import {
  attachCall,
  CallHeaderSlot,
  LegHeaderSlot,
  initLegState,
  resamplerFor,
  LegStateSlot,
  type CallSlabHandles,
  type CallView,
  type LegView,
} from './call-slab.js';
import type { FrontEndGeometry } from './features/front-end-config.js';
import { createSpectralStage, type SpectralStageName } from './features/spectral-stage.js';
import { StreamingExtractor, type WindowReady } from './features/streaming-extractor.js';
import { applyIntent, type IntentCue } from './policy/content-cues.js';
import { PolicySlot } from './policy/policy-state-layout.js';
import {
  initPolicyState,
  MIN_SPEECH_RATIO,
  policyStep,
  type LegRole,
  type PolicyConfig,
} from './policy/risk-policy.js';

/** One call's share of a task. */
export interface StepCall {
  slab: CallSlabHandles;
  /** The call has ended: drain the rings completely and emit the last partial windows. */
  final: boolean;
  /**
   * Spoken intents of the call not yet applied by its committed policy (seq order). Each is applied before the first
   * window that ends at or after `availableAt`, the audio time at which the recogniser had heard it, so the same audio
   * and intents give the same decisions whenever they arrive; one that comes later than that window is applied before
   * the next. The policy records the last seq applied, so a replayed round applies none twice.
   */
  intents?: StepIntent[];
}

/** An intent as a step receives it. */
export interface StepIntent extends IntentCue {
  /** Call time (s) at which the recogniser had produced it (end of the utterance plus its own delay). */
  availableAt: number;
}

/** What a step reports per call besides the events in its mailbox. */
export interface StepOutcome {
  callId: string;
  /** Input samples consumed per leg in this step. */
  consumed: number[];
  /** True when every leg has been drained and finished (only for final steps). */
  finished: boolean;
}

/** The emotion model as the actor sees it: window assembly from a leg's feature history, and one batched predict. */
export interface WindowScorer {
  readonly labelCount: number;
  /** Most windows per predict (model.maxBatch; 1 = unbatched): a round with more windows makes several predicts. */
  readonly maxBatch: number;
  /**
   * Model input for frames [start, start + count) of a history ring; `slot` picks a reusable buffer (position in the
   * batch).
   */
  assemble(history: Float32Array, historyRows: number, start: number, count: number, slot: number): Float32Array;
  /** Probabilities for every input, n × labelCount, in one predict. */
  predict(inputs: Float32Array[]): Float32Array;
  /**
   * The keyword spotter (optional): the same windows, its own input assembly, one sigmoid per keyword class. Its
   * scores go out with each window; they order calls for full recognition and never alert by themselves.
   */
  keywords?: {
    readonly labelCount: number;
    readonly categories: readonly string[];
    assemble(history: Float32Array, historyRows: number, start: number, count: number, slot: number): Float32Array;
    predict(inputs: Float32Array[]): Float32Array;
  };
}

/** Every model predict of a task: its batch (windows, before padding) and how long it took (s). For the metrics. */
export interface InferenceStats {
  batches: number[];
  seconds: number[];
  /** Windows left unscored because they hold too little speech for the policy to read their emotions. */
  skipped: number;
  /** Seconds of the task spent in keyword spotter predicts (within `seconds`' rounds, not counted there). */
  spotterSeconds: number;
}

/** Generous msgpack size of one window record (summary, 7 probabilities, risk, up to 16 keyword scores). */
const WINDOW_RECORD_BYTES = 800;

/**
 * Mailbox room a round of one call may need: every window its legs can complete from one chunk (plus a final one),
 * and a reserve for alert and error records. A round starts only with this much free, so its events always fit and
 * the commit never has to wait for a drain that cannot make room.
 */
export function mailboxMargin(g: FrontEndGeometry, legs: number, maxChunkSeconds: number): number {
  const windowsPerLeg = Math.ceil(maxChunkSeconds / g.cfg.windowHopSeconds) + 2;
  return legs * windowsPerLeg * WINDOW_RECORD_BYTES + 4096;
}
/** How far apart (seconds of buffered audio) the legs may drift before lockstep is given up for the round. */
export const LOCKSTEP_SLACK_SECONDS = 1;

/** True when the leg journalled a chunk that its committed state has not consumed (a replay is due). */
function pendingChunk(leg: LegView, st: Float64Array): boolean {
  return Atomics.load(leg.header, LegHeaderSlot.inflightSeq) === st[LegStateSlot.chunkSeq] + 1;
}

interface ReadyWindow {
  leg: number;
  w: WindowReady;
  history: Float32Array;
  historyRows: number;
  probs: number[] | null;
  /** Keyword spotter scores, one per class (null without a spotter or for a window without speech). */
  keywords: number[] | null;
}

/** A call advanced by one round into its inactive state copies, not yet published. */
interface Prepared {
  call: StepCall;
  view: CallView;
  work: number;
  mailbox: EventWriter;
  windows: ReadyWindow[];
  errors: ActorEvent[];
  consumed: number[];
  worked: boolean;
  finished: boolean;
}

/**
 * The actor step: runs on a worker, for the calls of one task, resuming each from its shared memory. A task runs in
 * rounds; a round pops at most one journalled chunk per leg of every call, gathers every window that became ready
 * across all the calls, scores them in ONE batched predict, runs each call's policy over its windows in time order,
 * writes the events, and only then publishes each call's new state with a single atomic store. A worker that dies
 * anywhere in a round leaves the committed state untouched, and the next step replays the round exactly.
 */
export class ActorStep {
  private readonly extractor: StreamingExtractor;
  private readonly inputs: Float32Array[] = [];
  private inference: InferenceStats = { batches: [], seconds: [], skipped: 0, spotterSeconds: 0 };

  constructor(
    readonly g: FrontEndGeometry,
    private readonly maxChunkSeconds: number,
    private readonly minChunkSamples: number,
    private readonly rounds: number,
    private readonly policy: PolicyConfig,
    private readonly scorer: WindowScorer | null,
    spectralStage: SpectralStageName = 'callguard',
  ) {
    // Scratch for one chunk resampled to the model rate (a chunk is at most maxChunkSeconds of any leg).
    this.extractor = new StreamingExtractor(
      g,
      Math.ceil(maxChunkSeconds * g.cfg.sampleRate) + 8,
      createSpectralStage(spectralStage, g),
    );
  }

  /** The predicts of the last runTask (a fresh record per task, so the caller may keep it). */
  get lastInference(): InferenceStats {
    return this.inference;
  }

  /** Advance the calls of a task; a call whose slab is invalid gets an error outcome (the supervisor restarts it). */
  runTask(calls: StepCall[]): Array<StepOutcome | { callId: string; error: { code: string; message: string } }> {
    this.inference = { batches: [], seconds: [], skipped: 0, spotterSeconds: 0 };
    const outcomes = new Map<string, StepOutcome | { callId: string; error: { code: string; message: string } }>();
    const consumed = new Map<string, number[]>();
    let live = calls;
    for (let round = 0; round < this.rounds && live.length; round++) {
      const prepared: Prepared[] = [];
      for (const call of live) {
        try {
          const p = this.prepare(call);
          if (p.worked) prepared.push(p);
          const total = consumed.get(call.slab.callId) ?? p.consumed.map(() => 0);
          p.consumed.forEach((n, i) => (total[i] += n));
          consumed.set(call.slab.callId, total);
          outcomes.set(call.slab.callId, { callId: call.slab.callId, consumed: total, finished: p.finished });
        } catch (err) {
          const e = err as { code?: string; message?: string };
          outcomes.set(call.slab.callId, {
            callId: call.slab.callId,
            error: { code: e.code ?? 'CG_ACTOR_EXCEPTION', message: String(e.message ?? err) },
          });
        }
      }
      if (!prepared.length) break;
      try {
        this.score(prepared);
      } catch (err) {
        // A failing model must not take the calls down: this round's windows go out unscored, each call is told.
        const e = err as { message?: string };
        for (const p of prepared) {
          for (const w of p.windows) {
            w.probs = null;
            w.keywords = null;
          }
          p.errors.push({ type: 'actor-error', leg: -1, code: 'CG_MODEL_FAILED', message: String(e?.message ?? err) });
        }
      }
      const committed: Prepared[] = [];
      for (const p of prepared) {
        try {
          if (this.commit(p)) committed.push(p);
          else
            outcomes.set(p.call.slab.callId, {
              callId: p.call.slab.callId,
              consumed: consumed.get(p.call.slab.callId)!,
              finished: false,
            });
        } catch (err) {
          const e = err as { code?: string; message?: string };
          outcomes.set(p.call.slab.callId, {
            callId: p.call.slab.callId,
            error: { code: e.code ?? 'CG_ACTOR_EXCEPTION', message: String(e.message ?? err) },
          });
        }
      }
      live = committed.filter((p) => !p.finished).map((p) => p.call);
    }
    return calls.map((c) => outcomes.get(c.slab.callId)!);
  }

  private prepare(call: StepCall): Prepared {
    const view = attachCall(this.g, call.slab);
    const active = Atomics.load(view.header, CallHeaderSlot.active);
    const work = 1 - active;
    view.policy[work].set(view.policy[active]);
    const p: Prepared = {
      call,
      view,
      work,
      mailbox: new EventWriter(new RingBuffer(call.slab.events, Uint8Array)),
      windows: [],
      errors: [],
      consumed: view.legs.map(() => 0),
      worked: false,
      finished: false,
    };
    if (p.mailbox.space() < mailboxMargin(this.g, view.legs.length, this.maxChunkSeconds)) return p;
    let drained = true;
    for (const leg of view.legs) leg.states[work].set(leg.states[active]);
    const quota = this.lockstepQuota(view.legs, work, call.final);
    for (const leg of view.legs) {
      const st = leg.states[work];
      const n = this.takeChunk(leg, st, call.final, quota);
      if (n > 0) {
        p.worked = true;
        p.consumed[leg.index] = n;
        const onWindow = (w: WindowReady) =>
          p.windows.push({
            leg: leg.index,
            w,
            history: leg.history,
            historyRows: leg.layout.historyRows,
            probs: null,
            keywords: null,
          });
        try {
          this.extractor.process(
            resamplerFor(leg.inputRate, this.g.cfg.sampleRate),
            leg.layout,
            st,
            leg.history,
            leg.inflight,
            n,
            onWindow,
          );
        } catch (err) {
          p.errors.push(restartLeg(leg, st, err));
        }
        st[LegStateSlot.chunkSeq] += 1;
      }
      if (leg.ring.availableRead() > 0) drained = false;
    }
    if (call.final && drained) {
      for (const leg of view.legs) {
        const st = leg.states[work];
        if (st[LegStateSlot.finalized]) continue;
        p.worked = true;
        try {
          this.extractor.finish(leg.layout, st, leg.history, (w) =>
            p.windows.push({
              leg: leg.index,
              w,
              history: leg.history,
              historyRows: leg.layout.historyRows,
              probs: null,
              keywords: null,
            }),
          );
        } catch (err) {
          st[LegStateSlot.finalized] = 1;
          p.errors.push(restartLeg(leg, st, err, false));
        }
      }
      p.finished = true;
    }
    return p;
  }

  /**
   * The chunk this leg applies in this round: the journalled one the committed state has not consumed yet (popping it
   * again if the earlier pop never landed), else a fresh one. Returns its length in `leg.inflight`, 0 for none.
   */
  private takeChunk(leg: LegView, st: Float64Array, final: boolean, quotaSeconds: number): number {
    const { header, ring, ringReadPtr, inflight } = leg;
    const seq = st[LegStateSlot.chunkSeq];
    if (pendingChunk(leg, st)) {
      const n = header[LegHeaderSlot.inflightLen];
      if (Atomics.load(ringReadPtr, 0) === header[LegHeaderSlot.readPtrBefore] >>> 0) ring.pop(inflight, n);
      return n;
    }
    const avail = Math.min(ring.availableRead(), Math.floor(quotaSeconds * leg.inputRate));
    if (avail === 0 || (!final && avail < (this.minChunkSamples * leg.inputRate) / 8000)) return 0;
    const n = Math.min(avail, inflight.length, Math.floor(this.maxChunkSeconds * leg.inputRate));
    header[LegHeaderSlot.readPtrBefore] = Atomics.load(ringReadPtr, 0) | 0;
    header[LegHeaderSlot.inflightLen] = n;
    Atomics.store(header, LegHeaderSlot.inflightSeq, seq + 1);
    ring.pop(inflight, n);
    return n;
  }

  /**
   * Seconds of audio each leg may take this round. The legs of a call advance in lockstep (the same duration per
   * round) so their windows complete in the same rounds and reach the policy in an order fixed by the audio alone, not
   * by how packets happened to arrive. A leg more than LOCKSTEP_SLACK behind (one-way audio, a dead RTP stream) no
   * longer holds the others back.
   */
  private lockstepQuota(legs: LegView[], work: number, final: boolean): number {
    if (legs.length < 2 || final) return Infinity;
    let min = Infinity;
    let max = 0;
    for (const leg of legs) {
      const st = leg.states[work];
      const secs = pendingChunk(leg, st)
        ? leg.header[LegHeaderSlot.inflightLen] / leg.inputRate
        : leg.ring.availableRead() / leg.inputRate;
      min = Math.min(min, secs);
      max = Math.max(max, secs);
    }
    return max - min > LOCKSTEP_SLACK_SECONDS ? Infinity : min;
  }

  /** One batched predict over every window of every call in the round (several when the round exceeds maxBatch). */
  private score(prepared: Prepared[]): void {
    const scorer = this.scorer;
    if (!scorer) return;
    const all: ReadyWindow[] = [];
    // A window with too little speech feeds no cue, so the policy never reads its probabilities: leave it unscored
    // (emotions null). On a call each leg mostly listens while the other talks, so this saves much of the model's time.
    for (const p of prepared) {
      for (const w of p.windows) {
        if (w.w.summary.speechRatio >= MIN_SPEECH_RATIO) all.push(w);
        else this.inference.skipped++;
      }
    }
    if (!all.length) return;
    const inputs = this.inputs;
    const L = scorer.labelCount;
    const max = Math.max(1, scorer.maxBatch);
    for (let start = 0; start < all.length; start += max) {
      const batch = all.slice(start, start + max);
      inputs.length = 0;
      batch.forEach((r, i) => inputs.push(scorer.assemble(r.history, r.historyRows, r.w.startFrame, r.w.frames, i)));
      const t0 = performance.now();
      const probs = scorer.predict(inputs);
      this.inference.seconds.push((performance.now() - t0) / 1000);
      this.inference.batches.push(batch.length);
      batch.forEach((r, i) => (r.probs = Array.from(probs.subarray(i * L, (i + 1) * L))));
      const kw = scorer.keywords;
      if (kw) {
        // The spotter on the same windows, in its own predict of the same batch size (same buckets, no extra padding).
        inputs.length = 0;
        batch.forEach((r, i) => inputs.push(kw.assemble(r.history, r.historyRows, r.w.startFrame, r.w.frames, i)));
        const t1 = performance.now();
        const scores = kw.predict(inputs);
        this.inference.spotterSeconds += (performance.now() - t1) / 1000;
        const K = kw.labelCount;
        batch.forEach(
          (r, i) => (r.keywords = Array.from(scores.subarray(i * K, (i + 1) * K), (v) => Math.round(v * 1000) / 1000)),
        );
      }
    }
  }

  /**
   * Run the policy over the round's windows in time order, write the events, publish the new state. Returns false,
   * publishing nothing, when the mailbox filled up: the supervisor drains it and the round is replayed (the events
   * already written are de-duplicated), so no window or alert is ever dropped.
   */
  private commit(p: Prepared): boolean {
    const slab = p.call.slab;
    const policyState = p.view.policy[p.work];
    const protectedRole: LegRole =
      slab.protectedLeg >= 0 && slab.roles[slab.protectedLeg] === 'caller' ? 'caller' : 'callee';
    p.windows.sort((a, b) => a.w.index - b.w.index || a.leg - b.leg);
    let ok = true;
    for (const ev of p.errors) ok = p.mailbox.write(ev) && ok;
    const intents = p.call.intents ?? [];
    let next = 0;
    const lastWindow = p.windows[p.windows.length - 1];
    for (const r of p.windows) {
      // Intents heard by the time this window ends go in first (a replayed round skips those already applied); the
      // call's very last window takes every intent left, since no later window will.
      const all = p.finished && r === lastWindow;
      while (
        next < intents.length &&
        (all || intents[next].availableAt <= r.w.tEnd || intents[next].seq <= policyState[PolicySlot.intentSeq])
      ) {
        applyIntent(policyState, 0, this.policy, intents[next]);
        next++;
      }
      let risk: number | null = null;
      let cues: [number, number, number, number] | null = null;
      let alert: ActorEvent | null = null;
      const role = policyRole(slab, r.leg);
      if (role) {
        try {
          const out = policyStep(policyState, 0, this.policy, {
            leg: r.leg,
            role,
            protectedRole,
            index: r.w.index,
            tStart: r.w.tStart,
            tEnd: r.w.tEnd,
            summary: r.w.summary,
            emotions: r.probs,
          });
          risk = out.risk;
          cues = [out.cues.pressure, out.cues.distress, out.cues.dominance, out.cues.content];
          if (out.alert) {
            const a = out.alert;
            alert = {
              type: 'alert',
              level: a.level,
              risk: a.risk,
              t: a.t,
              explanation: a.explanation,
              actions: [...a.actions],
              cues: { ...a.cues },
              basis: a.basis,
            };
          }
        } catch (err) {
          // Isolation: a policy that cannot step (corrupt state) restarts for this call only; the supervisor keeps the
          // alerts already raised, and the fresh policy gathers evidence again.
          initPolicyState(policyState, 0);
          const e = err as { code?: string; message?: string };
          ok =
            p.mailbox.write({
              type: 'actor-error',
              leg: r.leg,
              code: e?.code ?? 'CG_POLICY_EXCEPTION',
              message: String(e?.message ?? err),
            }) && ok;
        }
      }
      const w = r.w;
      ok =
        p.mailbox.write({
          type: 'window',
          leg: r.leg,
          index: w.index,
          startFrame: w.startFrame,
          frames: w.frames,
          partial: w.partial,
          tStart: w.tStart,
          tEnd: w.tEnd,
          ...w.summary,
          emotions: r.probs,
          risk,
          ...(cues ? { cues } : {}),
          ...(r.keywords ? { keywords: r.keywords } : {}),
        }) && ok;
      if (alert) ok = p.mailbox.write(alert) && ok;
      if (!ok) return false;
    }
    if (!ok) return false;
    Atomics.store(p.view.header, CallHeaderSlot.active, p.work);
    return true;
  }
}

/** The role a leg plays in the policy: the first two legs only; a lone (mono) leg is heard as the other party. */
function policyRole(slab: CallSlabHandles, leg: number): LegRole | null {
  if (leg > 1) return null;
  const r = slab.roles[leg];
  if (r === 'caller' || r === 'callee') return r;
  if (slab.roles.length === 1) return 'caller';
  return leg === 0 ? 'caller' : 'callee';
}

/**
 * Per-leg isolation: a throwing chunk is dropped, the leg restarts from fresh DSP state, window numbering continues.
 */
export function restartLeg(leg: LegView, work: Float64Array, err: unknown, chunkDropped = true): ActorEvent {
  // Keep the counters that number what was already emitted (windows of this very chunk included) and the audio taken.
  const keep = [
    LegStateSlot.windows,
    LegStateSlot.totalIn,
    LegStateSlot.chunkSeq,
    LegStateSlot.finalized,
    LegStateSlot.legRestarts,
    LegStateSlot.droppedChunks,
  ].map((slot) => [slot, work[slot]] as const);
  initLegState(work);
  for (const [slot, v] of keep) work[slot] = v;
  work[LegStateSlot.legRestarts] += 1;
  if (chunkDropped) work[LegStateSlot.droppedChunks] += 1;
  const e = err as { code?: string; message?: string };
  return {
    type: 'actor-error',
    leg: leg.index,
    code: e?.code ?? 'CG_ACTOR_EXCEPTION',
    message: String(e?.message ?? err),
  };
}
