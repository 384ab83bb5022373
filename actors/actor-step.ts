import { RingBuffer } from 'ringbuf.js';
import { EventWriter, type ActorEvent } from './actor-events.js';
import { attachLegs, H, initLegState, resamplerFor, S, type CallSlabHandles, type LegView } from './call-slab.js';
import type { FrontEndGeometry } from './features/front-end-config.js';
import { StreamingExtractor, type WindowReady } from './features/streaming-extractor.js';

/** One call's share of a task. */
export interface StepCall {
  slab: CallSlabHandles;
  /** The call has ended: drain the rings completely and emit the last partial windows. */
  final: boolean;
}

/** What a step reports per call besides the events in its mailbox. */
export interface StepOutcome {
  callId: string;
  /** Input samples consumed per leg in this step. */
  consumed: number[];
  /** True when every leg has been drained and finished (only for final steps). */
  finished: boolean;
}

/** Leave room for a chunk's worth of window records before popping more audio. */
const MAILBOX_MARGIN = 4096;

/**
 * The actor step: runs on a worker, for one call, resuming from the call's shared memory. Chunks are popped from each
 * leg's ring under a journal and applied to the inactive state copy, which is then published atomically, so a worker
 * that dies at any instruction leaves a state from which the next step replays exactly the unconsumed audio.
 */
export class ActorStep {
  private readonly extractor: StreamingExtractor;

  constructor(readonly g: FrontEndGeometry, maxChunkSamples: number, private readonly minChunkSamples: number, private readonly chunksPerStep: number) {
    this.extractor = new StreamingExtractor(g, maxChunkSamples * 2 + 8);
  }

  /** Advance one call. Throws SlabError when the call's memory is not a valid slab (the supervisor restarts it). */
  run(call: StepCall): StepOutcome {
    const legs = attachLegs(this.g, call.slab);
    const mailbox = new EventWriter(new RingBuffer(call.slab.events, Uint8Array));
    const consumed: number[] = [];
    let finished = true;
    for (const leg of legs) {
      consumed.push(this.stepLeg(leg, call.final, mailbox));
      if (call.final) finished &&= leg.ring.availableRead() === 0 && this.finishLeg(leg, mailbox);
    }
    return { callId: call.slab.callId, consumed, finished: call.final && finished };
  }

  private stepLeg(leg: LegView, final: boolean, mailbox: EventWriter): number {
    const { header, ring, ringReadPtr, inflight } = leg;
    let consumed = 0;
    for (let c = 0; c < this.chunksPerStep; c++) {
      const active = Atomics.load(header, H.active);
      const committed = leg.states[active];
      const seq = committed[S.chunkSeq];
      let n: number;
      if (Atomics.load(header, H.inflightSeq) === seq + 1) {
        // A previous step journalled this chunk but never committed it: replay it (popping again if the pop never landed).
        n = header[H.inflightLen];
        if (Atomics.load(ringReadPtr, 0) === header[H.readPtrBefore] >>> 0) ring.pop(inflight, n);
      } else {
        if (mailbox.space() < MAILBOX_MARGIN) break;
        const avail = ring.availableRead();
        if (avail === 0 || (!final && avail < this.minChunkSamples)) break;
        n = Math.min(avail, inflight.length);
        header[H.readPtrBefore] = Atomics.load(ringReadPtr, 0) | 0;
        header[H.inflightLen] = n;
        Atomics.store(header, H.inflightSeq, seq + 1);
        ring.pop(inflight, n);
      }
      const work = leg.states[1 - active];
      work.set(committed);
      try {
        this.extractor.process(resamplerFor(leg.inputRate, this.g.cfg.sampleRate), leg.layout, work, leg.history, inflight, n, (w) => emitWindow(mailbox, leg.index, w));
      } catch (err) {
        restartLeg(leg, work, committed, mailbox, err);
      }
      work[S.chunkSeq] = seq + 1;
      Atomics.store(header, H.active, 1 - active);
      consumed += n;
    }
    return consumed;
  }

  /** Emit the leg's last partial window once; returns true when the leg is finished. */
  private finishLeg(leg: LegView, mailbox: EventWriter): boolean {
    const active = Atomics.load(leg.header, H.active);
    const committed = leg.states[active];
    if (committed[S.finalized]) return true;
    if (mailbox.space() < MAILBOX_MARGIN) return false;
    const work = leg.states[1 - active];
    work.set(committed);
    this.extractor.finish(leg.layout, work, leg.history, (w) => emitWindow(mailbox, leg.index, w));
    Atomics.store(leg.header, H.active, 1 - active);
    return true;
  }
}

function emitWindow(mailbox: EventWriter, leg: number, w: WindowReady): void {
  const ev: ActorEvent = { type: 'window', leg, index: w.index, startFrame: w.startFrame, frames: w.frames, partial: w.partial, tStart: w.tStart, tEnd: w.tEnd, ...w.summary };
  mailbox.write(ev);
}

/** Per-leg isolation: a throwing chunk is dropped, the leg restarts from fresh DSP state, window numbering continues. */
function restartLeg(leg: LegView, work: Float64Array, committed: Float64Array, mailbox: EventWriter, err: unknown): void {
  initLegState(work);
  work[S.windows] = committed[S.windows];
  work[S.totalIn] = committed[S.totalIn];
  leg.header[H.restarts]++;
  leg.header[H.droppedChunks]++;
  const e = err as { code?: string; message?: string };
  mailbox.write({ type: 'actor-error', leg: leg.index, code: e?.code ?? 'CG_ACTOR_EXCEPTION', message: String(e?.message ?? err) });
}
