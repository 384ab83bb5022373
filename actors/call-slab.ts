import { RingBuffer } from 'ringbuf.js';
import { designResampler, resamplerStateLength, type ResamplerDesign } from './dsp/resampler.js';
import type { FrontEndGeometry } from './features/front-end-config.js';
import { VAD_INITIAL_FLOOR } from './features/voice-activity.js';
import { initPolicyState, POLICY_STATE_LENGTH } from './policy/risk-policy.js';
import { CallguardError } from '../common/errors.js';

/**
 * The shared memory of one call's actor. Workers are stateless executors: everything a step needs to resume — the
 * audio rings, the streaming DSP state, the feature history and the event mailbox — lives in SharedArrayBuffers that
 * the supervisor allocates and sends with every task. A worker that dies mid-step leaves a consistent slab behind:
 *
 * - Audio: one ringbuf.js SPSC ring of PCM16 per leg. Producer: the ingest thread. Consumer: whichever worker runs the
 *   call's step (a call is in at most one task at a time, which keeps each ring single-consumer).
 * - Streaming state: two copies (A/B) of every leg's DSP state and of the call's policy state, selected by ONE active
 *   index in the call header. A step works on the inactive copies and publishes them all with one atomic store, so the
 *   legs and the policy never disagree. Each leg's popped chunk is journalled (sequence number, length, ring read
 *   pointer before the pop), so a step interrupted anywhere replays exactly the chunks the committed state has not
 *   consumed.
 * - Feature history: an append-only ring of feature rows; rows past the committed frame count are scratch until the
 *   commit, so it needs no second copy.
 * - Events: a ringbuf.js byte ring of length-prefixed msgpack records, producer the worker, consumer the supervisor.
 *   A replayed step may re-emit a window; the supervisor drops it by (leg, window index).
 */

export const CALL_MAGIC = 0x43474331; // "CGC1"
export const LEG_MAGIC = 0x43474c31; // "CGL1"

/** Int32 header slots of the call. */
export const CallHeaderSlot = {
  magic: 0,
  legs: 1,
  /** Which state copy (0 = A, 1 = B) of every leg and of the policy is committed. */
  active: 2,
} as const;
const CALL_HEADER_INTS = 4;

/** Int32 header slots of a leg. */
export const LegHeaderSlot = {
  magic: 0,
  inflightSeq: 2,
  inflightLen: 3,
  readPtrBefore: 4,
  inputRate: 5,
  // 6, 7: reserved
} as const;
const LEG_HEADER_INTS = 8;

/** Float64 slots of a leg's streaming state; arrays follow at the offsets in LegLayout. */
export const LegStateSlot = {
  chunkSeq: 0,
  totalIn: 1,
  totalModel: 2,
  frameFill: 3,
  // Leg restarts after a throwing chunk, and the chunks so dropped. Kept in the journalled state, not the header, so
  // a round that is replayed after a crash counts its restart once.
  legRestarts: 4,
  droppedChunks: 5,
  frames: 6,
  vadFloor: 7,
  vadHang: 8,
  windows: 9,
  lastWindowEnd: 10,
  finalized: 11,
} as const;
const STATE_SCALARS = 12;

/** Byte offsets and lengths of one leg's regions inside the call's state buffer. */
export interface LegLayout {
  headerOffset: number;
  inflightOffset: number;
  maxChunk: number;
  stateOffsets: [number, number];
  stateLength: number;
  resamplerAt: number;
  frameAt: number;
  firAt: number;
  pitchAt: number;
  prevMagAt: number;
  yinCacheAt: number;
  historyOffset: number;
  historyRows: number;
}

/** Sizes for a call's slab. */
export interface SlabSpec {
  geometry: FrontEndGeometry;
  /** Input sample rate per leg. */
  inputRates: number[];
  roles: Array<'caller' | 'callee' | 'unknown'>;
  protectedLeg: number;
  /** Ring capacity per leg, in samples. */
  ringSamples: number;
  /** Largest chunk a step pops from a ring at once, in input samples. */
  maxChunkSamples: number;
  /** Event mailbox capacity in bytes. */
  eventBytes: number;
  /** Where the shared buffers come from (must be zero-filled); default: fresh SharedArrayBuffers. */
  alloc?: (bytes: number) => SharedArrayBuffer;
}

/** What a task carries per call: the buffers (shared, not copied) and the rates needed to rebuild the views. */
export interface CallSlabHandles {
  callId: string;
  inputRates: number[];
  /** Role of each leg and which leg is the protected subscriber (-1: unknown), for the policy. */
  roles: Array<'caller' | 'callee' | 'unknown'>;
  protectedLeg: number;
  maxChunkSamples: number;
  state: SharedArrayBuffer;
  rings: SharedArrayBuffer[];
  events: SharedArrayBuffer;
}

const align8 = (n: number) => (n + 7) & ~7;
const CALL_HEADER_BYTES = CALL_HEADER_INTS * 4;

const designCache = new Map<string, ResamplerDesign>();
/** The resampler for inputRate → model rate, designed once per thread. */
export function resamplerFor(inputRate: number, modelRate: number): ResamplerDesign {
  const key = `${inputRate}:${modelRate}`;
  let d = designCache.get(key);
  if (!d) {
    d = designResampler(inputRate, modelRate);
    designCache.set(key, d);
  }
  return d;
}

/** Model-rate samples one chunk can produce, plus slack for the resampler phase. */
function modelSamplesPerChunk(g: FrontEndGeometry, inputRate: number, maxChunk: number): number {
  return Math.ceil((maxChunk * g.cfg.sampleRate) / inputRate) + 2;
}

/**
 * Lay out a call (policy state copies, then the legs); identical on both sides of the thread boundary given the same
 * inputs.
 */
export function layoutLegs(
  g: FrontEndGeometry,
  inputRates: number[],
  maxChunk: number,
): { legs: LegLayout[]; policyOffsets: [number, number]; bytes: number } {
  let off = align8(CALL_HEADER_BYTES);
  const policyOffsets: [number, number] = [off, off + POLICY_STATE_LENGTH * 8];
  off += 2 * POLICY_STATE_LENGTH * 8;
  const legs: LegLayout[] = [];
  for (const rate of inputRates) {
    const rs = resamplerStateLength(resamplerFor(rate, g.cfg.sampleRate));
    const headerOffset = off;
    off = align8(off + LEG_HEADER_INTS * 4);
    const inflightOffset = off;
    off = align8(off + maxChunk * 2);
    const resamplerAt = STATE_SCALARS;
    const frameAt = resamplerAt + rs;
    const firAt = frameAt + g.frameLength;
    const pitchAt = firAt + g.firTaps;
    const prevMagAt = pitchAt + g.pitchBuffer;
    const yinCacheAt = prevMagAt + g.bins;
    const stateLength = yinCacheAt + g.yinCache;
    const a = off;
    off += stateLength * 8;
    const b = off;
    off += stateLength * 8;
    const historyRows = g.windowFrames + Math.ceil(modelSamplesPerChunk(g, rate, maxChunk) / g.hop) + 2;
    const historyOffset = off;
    off = align8(off + historyRows * g.rowStride * 4);
    legs.push({
      headerOffset,
      inflightOffset,
      maxChunk,
      stateOffsets: [a, b],
      stateLength,
      resamplerAt,
      frameAt,
      firAt,
      pitchAt,
      prevMagAt,
      yinCacheAt,
      historyOffset,
      historyRows,
    });
  }
  return { legs, policyOffsets, bytes: off };
}

/** Allocate and initialise a call's slab (supervisor side). */
export function createCallSlab(callId: string, spec: SlabSpec): CallSlabHandles {
  const { legs, policyOffsets, bytes } = layoutLegs(spec.geometry, spec.inputRates, spec.maxChunkSamples);
  const alloc = spec.alloc ?? ((n: number) => new SharedArrayBuffer(n));
  const state = alloc(bytes);
  const head = new Int32Array(state, 0, CALL_HEADER_INTS);
  head[CallHeaderSlot.magic] = CALL_MAGIC;
  head[CallHeaderSlot.legs] = legs.length;
  initPolicyState(new Float64Array(state, policyOffsets[0], POLICY_STATE_LENGTH), 0);
  legs.forEach((l, i) => {
    const h = new Int32Array(state, l.headerOffset, LEG_HEADER_INTS);
    h[LegHeaderSlot.magic] = LEG_MAGIC;
    h[LegHeaderSlot.inputRate] = spec.inputRates[i];
    initLegState(new Float64Array(state, l.stateOffsets[0], l.stateLength));
  });
  const rings = spec.inputRates.map(() => alloc(ringStorageBytes(spec.ringSamples, Int16Array)));
  const events = alloc(ringStorageBytes(spec.eventBytes, Uint8Array));
  return {
    callId,
    inputRates: spec.inputRates.slice(),
    roles: spec.roles.slice(),
    protectedLeg: spec.protectedLeg,
    maxChunkSamples: spec.maxChunkSamples,
    state,
    rings,
    events,
  };
}

/** The shared buffers of a slab, e.g. to give back to a pool once the call is over. */
export function slabBuffers(h: CallSlabHandles): SharedArrayBuffer[] {
  return [h.state, ...h.rings, h.events];
}

const ringSizes = new Map<string, number>();
/** Bytes of ringbuf.js storage for a capacity: asked of the library once per size rather than re-derived here. */
function ringStorageBytes(capacity: number, type: Int16ArrayConstructor | Uint8ArrayConstructor): number {
  const key = `${capacity}:${type.BYTES_PER_ELEMENT}`;
  let n = ringSizes.get(key);
  if (n === undefined) {
    n = RingBuffer.getStorageForCapacity(capacity, type).byteLength;
    ringSizes.set(key, n);
  }
  return n;
}

/** Fresh streaming state (also used when an actor is restarted after an error). */
export function initLegState(st: Float64Array): void {
  st.fill(0);
  st[LegStateSlot.vadFloor] = VAD_INITIAL_FLOOR;
}

/** Views over one leg, built per task on the worker side (cheap: a few typed-array headers). */
export interface LegView {
  index: number;
  layout: LegLayout;
  header: Int32Array;
  inflight: Int16Array;
  states: [Float64Array, Float64Array];
  history: Float32Array;
  ring: RingBuffer;
  /** ringbuf.js keeps its read index as a Uint32 at byte 4 of the ring's buffer; the journal compares against it. */
  ringReadPtr: Uint32Array;
  inputRate: number;
}

export class SlabError extends CallguardError<'CG_SLAB_CORRUPT'> {
  override name = 'SlabError';
}

/** Views over a whole call: its header, its policy state copies and its legs. */
export interface CallView {
  header: Int32Array;
  policy: [Float64Array, Float64Array];
  legs: LegView[];
}

/** Attach views to a call's slab; throws SlabError if the memory does not hold a valid call. */
export function attachCall(g: FrontEndGeometry, h: CallSlabHandles): CallView {
  const header = new Int32Array(h.state, 0, CALL_HEADER_INTS);
  if (
    header[CallHeaderSlot.magic] !== CALL_MAGIC ||
    header[CallHeaderSlot.legs] !== h.rings.length ||
    (header[CallHeaderSlot.active] !== 0 && header[CallHeaderSlot.active] !== 1)
  ) {
    throw new SlabError('CG_SLAB_CORRUPT', `call ${h.callId}: slab header is corrupt`);
  }
  const { legs, policyOffsets } = layoutLegs(g, h.inputRates, h.maxChunkSamples);
  const policy: [Float64Array, Float64Array] = [
    new Float64Array(h.state, policyOffsets[0], POLICY_STATE_LENGTH),
    new Float64Array(h.state, policyOffsets[1], POLICY_STATE_LENGTH),
  ];
  return { header, policy, legs: attachLegViews(g, h, legs) };
}

function attachLegViews(g: FrontEndGeometry, h: CallSlabHandles, legs: LegLayout[]): LegView[] {
  return legs.map((l, i) => {
    const header = new Int32Array(h.state, l.headerOffset, LEG_HEADER_INTS);
    if (header[LegHeaderSlot.magic] !== LEG_MAGIC)
      throw new SlabError('CG_SLAB_CORRUPT', `call ${h.callId} leg ${i}: state header is corrupt`);
    return {
      index: i,
      layout: l,
      header,
      inflight: new Int16Array(h.state, l.inflightOffset, l.maxChunk),
      states: [
        new Float64Array(h.state, l.stateOffsets[0], l.stateLength),
        new Float64Array(h.state, l.stateOffsets[1], l.stateLength),
      ],
      history: new Float32Array(h.state, l.historyOffset, l.historyRows * g.rowStride),
      ring: new RingBuffer(h.rings[i], Int16Array),
      ringReadPtr: new Uint32Array(h.rings[i], 4, 1),
      inputRate: h.inputRates[i],
    };
  });
}

/** Restart an actor whose memory failed validation: fresh headers, DSP and policy state; the audio rings are kept. */
export function resetCallSlab(g: FrontEndGeometry, h: CallSlabHandles): void {
  const { legs, policyOffsets } = layoutLegs(g, h.inputRates, h.maxChunkSamples);
  const head = new Int32Array(h.state, 0, CALL_HEADER_INTS);
  head.fill(0);
  head[CallHeaderSlot.magic] = CALL_MAGIC;
  head[CallHeaderSlot.legs] = legs.length;
  initPolicyState(new Float64Array(h.state, policyOffsets[0], POLICY_STATE_LENGTH), 0);
  legs.forEach((l, i) => {
    const header = new Int32Array(h.state, l.headerOffset, LEG_HEADER_INTS);
    header.fill(0);
    header[LegHeaderSlot.magic] = LEG_MAGIC;
    header[LegHeaderSlot.inputRate] = h.inputRates[i];
    initLegState(new Float64Array(h.state, l.stateOffsets[0], l.stateLength));
    initLegState(new Float64Array(h.state, l.stateOffsets[1], l.stateLength));
  });
}
