import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { RingBuffer } from 'ringbuf.js';
import { EventReader, type ActorErrorEvent, type AlertEvent, type WindowEvent } from '../actors/actor-events.js';
import type { StepTaskResult } from '../actors/actor-worker.js';
import { SLAB_UNKNOWN } from '../actors/slab-cache.js';
import {
  CallHeaderSlot,
  createCallSlab,
  layoutLegs,
  resetCallSlab,
  LegStateSlot,
  slabBuffers,
  type CallSlabHandles,
} from '../actors/call-slab.js';
import { SabPool } from './sab-pool.js';
import { validatePolicyConfig } from '../actors/policy/risk-policy.js';
import { mailboxMargin, type StepIntent } from '../actors/actor-step.js';
import { stepWaitSeconds } from './step-readiness.js';
import { PolicySlot } from '../actors/policy/policy-state-layout.js';
import { POLICY_STATE_LENGTH } from '../actors/policy/risk-policy.js';
import type { ModelSettings } from '../actors/window-scorer.js';
import { readManifest } from '../models/runtime/model-files.js';
import { frontEndGeometry, type FrontEndGeometry } from '../actors/features/front-end-config.js';
import { ActorPool } from './actor-pool.js';
import {
  createLegFeed,
  LegFeedReader,
  LegFeedWriter,
  type LegFeedDescriptor,
  type TapSlot,
} from './ingest/leg-feed.js';
import { SAMPLE_RATES } from './media/wav-reader.js';
import { WorkerControlRegistry } from './worker-control-registry.js';
import type { WorkerDescription } from '../actors/worker-control.js';
import type { CallguardConfig } from './config/config-schema.js';
import type { Logger } from './logger.js';
import { CallguardError } from '../common/errors.js';
import type { LifecycleState } from '../common/lifecycle.js';

/** One audio stream of a call (a SIPREC participant, or a channel of a file). */
export interface LegSpec {
  sampleRate: number;
  label?: string;
  role?: 'caller' | 'callee' | 'unknown';
  /** E.164 number of the participant, when known. */
  number?: string;
}

export interface CallSpec {
  callId: string;
  legs: LegSpec[];
  /** Which leg is the protected subscriber (receives alerts). */
  subscriberLeg?: number;
  source?: 'siprec' | 'file' | 'load-test';
}

export type CallState = 'active' | 'ending' | 'ended' | 'failed';

/** Live view of a call, for the API, the console and tests. */
export interface CallInfo {
  callId: string;
  state: CallState;
  source: string;
  startedAt: string;
  subscriberLeg: number | null;
  /**
   * Per leg; `restarts` counts restarts of the leg's analysis after a failure, `droppedChunks` the audio chunks so lost
   * (both since the actor last started).
   */
  legs: Array<
    LegSpec & {
      receivedSeconds: number;
      processedSeconds: number;
      backlogSeconds: number;
      overrunSamples: number;
      /** Samples the speech recogniser's tap ring had no room for. */
      speechTapDroppedSamples: number;
      windows: number;
      restarts: number;
      droppedChunks: number;
    }
  >;
  /** How far behind real time the actor is: the largest unprocessed backlog over the legs, in seconds. */
  lagSeconds: number;
  restarts: number;
  /** The call's current smoothed scam risk (0..1), null before the first window. */
  risk: number | null;
  /** Alerts the policy raised for this call. */
  alerts: AlertEvent[];
  /** Spoken intents heard on the call (names and call times only; no words are kept). */
  intents: Array<{ intent: string; t: number; confidence: number }>;
  /**
   * Keyword spotter: its decaying score (0..1; 0 without a spotter) and each keyword class it heard, with the call time
   * it first did.
   */
  spotterScore: number;
  keywords: Array<{ keyword: string; t: number }>;
}

/**
 * Whoever receives a call's audio on another thread (an RTP I/O thread): told when a tap is installed or removed, and
 * when it may no longer write (the call's buffers are about to be reused).
 */
export interface RemoteProducer {
  setTap(leg: number, slot: TapSlot, ring: SharedArrayBuffer | null): void;
}

/** Most intents kept per call (older applied ones are dropped; a scam call has a few dozen). */
const MAX_INTENTS_PER_CALL = 256;

export interface CallEnded {
  callId: string;
  reason: string;
  state: 'ended' | 'failed';
  info: CallInfo;
}

/** The usual RTP packet time: the step in which a call's buffered audio grows. */
const PACKET_MS = 20;

interface CallEntry {
  spec: CallSpec;
  slab: CallSlabHandles;
  /** Views for reporting, built once: the call header (active copy) and each leg's two state copies. */
  header: Int32Array;
  legStates: Array<[Float64Array, Float64Array]>;
  rings: RingBuffer[];
  events: EventReader;
  startedAt: Date;
  state: CallState;
  endReason: string;
  inFlight: boolean;
  /**
   * performance.now() before which the tick need not read the call's rings (0: read them now). Network audio arrives
   * at about real time, so a call short of a chunk by d seconds is rarely ready in less than d (step-readiness.ts):
   * the tick skips it until then instead of reading every ring on every tick (the tick was the largest item of the
   * main thread's CPU at 150 calls by perf). Writes on this thread, which may run faster than real time (files,
   * tests), reset it.
   */
  notBefore: number;
  /** Per leg: the feed block the producer publishes into (samples pushed, overrun, arrival times). */
  feeds: LegFeedDescriptor[];
  readers: LegFeedReader[];
  /** Per leg: the writer for producers on this thread (files, tests, the in-process generator), made on first write. */
  writers: Array<LegFeedWriter | null>;
  /** A producer on another thread, while it holds the call's buffers (they are not reused until it lets go). */
  remote: RemoteProducer | null;
  /** The slab went back to the pool (once). */
  givenBack: boolean;
  /** Taps installed per leg, so a producer attached later (or restarted) gets them too. */
  taps: Array<Partial<Record<TapSlot, SharedArrayBuffer>>>;
  /** Per leg: samples received before the actor's current sample numbering began (moves on an actor restart). */
  positionBase: number[];
  /** Per leg: overrun samples already reported ('overrun' events are emitted from the tick, for any producer). */
  overrunSeen: number[];
  lastWindow: number[];
  windows: number[];
  restarts: number;
  risk: number | null;
  alerts: AlertEvent[];
  taskFailures: number;
  /**
   * After a failed task: step this call alone (so only a call that fails by itself is charged) and at once (a
   * journalled chunk may wait).
   */
  isolate: boolean;
  waiters: Array<() => void>;
  /** Spoken intents posted for the call (seq from 1), sent with every task until its committed policy has them. */
  intents: StepIntent[];
  intentSeq: number;
  /** The supervisor's number for the call (tasks name calls by it), and the workers known to hold its slab. */
  key: number;
  slabHolders: Set<number>;
  /**
   * The two policy state copies (the committed one is header[CallHeaderSlot.active]), to read the last intent applied.
   */
  policyViews: [Float64Array, Float64Array];
  /** Keyword spotter: decaying score, the call time it was last raised, and the classes heard (first call time). */
  spot: number;
  spotT: number;
  keywords: Map<number, number>;
  ended: Promise<CallEnded>;
  resolveEnded: (e: CallEnded) => void;
}

/** Producer side of a call, handed to whatever feeds its audio (RTP ingest, a file, the load generator). */
export interface CallHandle {
  readonly callId: string;
  /**
   * Push PCM16 into a leg's ring; samples that do not fit are dropped and counted as an overrun. Returns samples
   * written.
   */
  write(leg: number, pcm: Int16Array, offset?: number, length?: number): number;
  /** Push all samples, waiting for the actor to make room (files and tests: never overruns). */
  writeAll(leg: number, pcm: Int16Array): Promise<void>;
  /** The shared ring and feed block of each leg, for a producer on another thread (see attachRemote). */
  readonly feeds: readonly LegFeedDescriptor[];
  /**
   * A producer on another thread writes the legs from now on (through `feeds`); the call's buffers are not reused
   * until the returned function is called (after that producer stopped writing).
   */
  attachRemote(producer: RemoteProducer): () => void;
  /** From now on the legs' audio is dropped by whichever producer writes it (the call is not analysed after all). */
  discard(): void;
  /** Resolves when the call has been fully analysed and removed. */
  readonly ended: Promise<CallEnded>;
}

export class SupervisorError extends CallguardError<
  'CG_TOO_MANY_CALLS' | 'CG_DUPLICATE_CALL' | 'CG_BAD_CALL' | 'CG_NOT_RUNNING'
> {
  override name = 'SupervisorError';
}

/** Counters the supervisor keeps (exported as metrics later). */
export interface SupervisorStats {
  activeCalls: number;
  /** Shared buffers of ended calls reused by new calls, and the bytes kept idle for reuse. */
  slabBuffersReused: number;
  slabBufferIdleBytes: number;
  /** Slab bytes held by the calls that are up. */
  slabBufferLiveBytes: number;
  callsStarted: number;
  callsEnded: number;
  callsFailed: number;
  tasks: number;
  workerCrashes: number;
  actorRestarts: number;
  actorErrors: number;
  overrunSamples: number;
  windows: number;
  duplicateWindowsDropped: number;
  poolReplacements: number;
  alerts: number;
  /**
   * Windows whose audio-to-verdict latency could not be measured (their arrival record was overwritten: far behind).
   */
  verdictLatencyUnknown: number;
}

/** Everything the supervisor emits, with its arguments: listeners are typed by this map. */
export interface SupervisorEvents {
  /** A call was registered (its slab allocated); audio may follow. */
  'call-started': [spec: CallSpec];
  /** One scored window of one leg (features, emotions, the policy's risk and cues). */
  window: [callId: string, ev: WindowEvent];
  /** The policy raised an alert (each level at most once per call); `info` is the call at that moment. */
  alert: [callId: string, ev: AlertEvent, info: CallInfo];
  /** A leg's processing threw; that leg restarted. */
  'actor-error': [callId: string, ev: ActorErrorEvent];
  /** A call's whole actor state was reset after a failed step (its audio and alerts kept). */
  'actor-restarted': [e: { callId: string; reason: string }];
  /** A write did not fit a leg's ring: `samples` were dropped. */
  overrun: [e: { callId: string; leg: number; samples: number }];
  /** Audio-to-verdict latency of one window, seconds. */
  'verdict-latency': [seconds: number];
  /** The model batches one task ran (sizes and durations). */
  inference: [stats: NonNullable<StepTaskResult['inference']>];
  /** A call ended (BYE, end of file, failure): its final snapshot. */
  'call-ended': [e: CallEnded];
}

/**
 * The supervisor: owns the call registry, allocates each call's actor (its slab of shared memory), and every tick hands
 * the calls that have enough new audio to the pool, at most one task per worker and each call in at most one task.
 * Routes actor events onward (see SupervisorEvents), restarts failed actors and resubmits the calls of a crashed
 * worker: their audio and state are still in the slab.
 */
export class Supervisor extends EventEmitter<SupervisorEvents> {
  readonly geometry: FrontEndGeometry;
  private pool: ActorPool | null = null;
  private readonly control = new WorkerControlRegistry();
  private lifecycle: LifecycleState = 'idle';
  private readonly calls = new Map<string, CallEntry>();
  private timer: NodeJS.Timeout | null = null;
  private tasksInFlight = 0;
  private rotate = 0;
  /** The calls of `calls` in arrival order, kept as an array so the tick neither copies nor re-walks the map. */
  private readonly order: CallEntry[] = [];
  /** Scratch for ready(): seconds buffered per leg. */
  private readonly legSeconds: number[] = [];
  private tickQueued = false;
  private callKeys = 0;
  private readonly maxChunkSamples: number;
  /** Arrival records per leg: the ring's backlog plus a chunk and slack, at one write per 20 ms packet. */
  private readonly arrivalEntries: number;
  /** Call slabs are recycled (see SabPool): at most 256 MB of them wait idle for the next calls. */
  private readonly buffers = new SabPool(256 * 1024 * 1024);
  private readonly counters: SupervisorStats = {
    activeCalls: 0,
    slabBuffersReused: 0,
    slabBufferIdleBytes: 0,
    slabBufferLiveBytes: 0,
    callsStarted: 0,
    callsEnded: 0,
    callsFailed: 0,
    tasks: 0,
    workerCrashes: 0,
    actorRestarts: 0,
    actorErrors: 0,
    overrunSamples: 0,
    windows: 0,
    duplicateWindowsDropped: 0,
    poolReplacements: 0,
    alerts: 0,
    verdictLatencyUnknown: 0,
  };

  /** `model`: what each worker loads (null: acoustic cues only); the engine resolves and checks it first. */
  constructor(
    private readonly cfg: CallguardConfig,
    private readonly log: Logger,
    private readonly model: ModelSettings | null = null,
  ) {
    super();
    this.geometry = frontEndGeometry(cfg.features);
    // Chunks are sized for the highest input rate we accept (48 kHz); lower rates simply use part of the buffer.
    this.maxChunkSamples = Math.ceil(cfg.engine.maxChunkSeconds * 48000);
    this.arrivalEntries = Math.ceil((cfg.engine.ringSeconds + 2 * cfg.engine.maxChunkSeconds + 1) * 50);
    this.keywordNames = model?.spotterDir ? readManifest(model.spotterDir, cfg.features).labels : [];
  }

  /** The keyword spotter's class names (its manifest's labels), for the call view. */
  private readonly keywordNames: readonly string[];

  /** Start the worker pool and the scheduling tick. */
  /** Where the supervisor is in its lifecycle (common/lifecycle.ts); calls are taken only while 'running'. */
  get state(): LifecycleState {
    return this.lifecycle;
  }

  /** Idempotent: starts the worker pool and the tick once; a closed supervisor stays closed. */
  async start(): Promise<void> {
    if (this.lifecycle !== 'idle') return;
    this.lifecycle = 'running';
    const e = this.cfg.engine;
    this.pool = new ActorPool(
      this.cfg.pool.threads,
      {
        frontEnd: this.cfg.features,
        maxChunkSeconds: e.maxChunkSeconds,
        minChunkSamples: Math.round(e.minChunkSeconds * 8000),
        chunksPerStep: e.chunksPerStep,
        policy: validatePolicyConfig(this.cfg.policy),
        model: this.model,
        spectralStage: this.cfg.engine.spectralStage,
      },
      this.cfg.pool.youngGenerationMb,
    );
    this.pool.on('worker-message', (m: unknown) => this.control.onWorkerMessage(m));
    this.pool.on('worker-error', (err: unknown) => this.log.warn({ err: String(err) }, 'worker error outside a task'));
    this.pool.on('replaced', (n: number) => {
      this.counters.poolReplacements = n;
      this.log.error({ replacements: n }, 'worker pool could not restore its threads; replaced it');
    });
    this.pool.start();
    this.timer = setInterval(() => this.tick(true), e.tickMs);
    this.log.info(
      { threads: this.cfg.pool.threads, tickMs: e.tickMs, model: this.model?.dir ?? null },
      'supervisor started',
    );
    void this.logWorkers();
  }

  /**
   * Spoken intents heard on a call (from the speech service), in the order heard. They reach the call's policy with
   * its next step; unknown or finished calls are ignored (false).
   */
  addIntents(callId: string, intents: Array<Omit<StepIntent, 'seq'>>): boolean {
    const c = this.calls.get(callId);
    if (!c || c.state === 'ended' || c.state === 'failed') return false;
    for (const i of intents) {
      c.intents.push({ ...i, seq: ++c.intentSeq });
    }
    if (c.intents.length > MAX_INTENTS_PER_CALL) {
      const applied = this.appliedIntentSeq(c);
      const drop = c.intents.findIndex((i) => i.seq > applied);
      c.intents.splice(0, Math.min(drop < 0 ? c.intents.length : drop, c.intents.length - MAX_INTENTS_PER_CALL));
    }
    this.kick();
    return true;
  }

  /** A call's current smoothed risk (0 before its first window or when unknown), without building its CallInfo. */
  callRisk(callId: string): number {
    return this.calls.get(callId)?.risk ?? 0;
  }

  /**
   * The keyword spotter's score of a call (0..1; 0 without a spotter or before speech): the highest class score of its
   * windows, decaying with call time (time constant speech.spotterMemorySeconds). It orders calls for recognition.
   */
  callSpotterScore(callId: string): number {
    const c = this.calls.get(callId);
    if (!c) return 0;
    const t = Math.max(...c.readers.map((r, i) => r.pushed / (c.spec.legs[i].sampleRate || 8000)));
    return c.spot * Math.exp(-Math.max(0, t - c.spotT) / this.cfg.speech.spotterMemorySeconds);
  }

  /**
   * Installs (a ringbuf.js Int16 ring) or removes (null) a copy of a leg's audio as it is written, on the producer's
   * thread; false when the call or leg is unknown. A producer on another thread installs it a message later.
   */
  setLegTap(callId: string, leg: number, slot: TapSlot, ring: SharedArrayBuffer | null): boolean {
    const c = this.calls.get(callId);
    if (!c || leg < 0 || leg >= c.taps.length) return false;
    if (ring) c.taps[leg][slot] = ring;
    else delete c.taps[leg][slot];
    c.writers[leg]?.setTap(slot, ring);
    c.remote?.setTap(leg, slot, ring);
    return true;
  }

  /** Samples a leg's tap ring had no room for since its call started (0 when the call is unknown). */
  legTapDropped(callId: string, leg: number, slot: TapSlot): number {
    return this.calls.get(callId)?.readers[leg]?.tapDropped(slot) ?? 0;
  }

  /** Samples written to a leg since its call started (pushed or dropped), or 0 when unknown: a tap's call time. */
  legSamples(callId: string, leg: number): number {
    const r = this.calls.get(callId)?.readers[leg];
    return r ? r.pushed + r.overrun : 0;
  }

  private appliedIntentSeq(c: CallEntry): number {
    return c.policyViews[Atomics.load(c.header, CallHeaderSlot.active)][PolicySlot.intentSeq];
  }

  private pendingIntents(c: CallEntry): StepIntent[] | undefined {
    if (!c.intents.length) return undefined;
    const applied = this.appliedIntentSeq(c);
    const pending = c.intents.filter((i) => i.seq > applied);
    return pending.length ? pending : undefined;
  }

  /** Register a call and spawn its actor; returns the producer handle for its legs. */
  createCall(spec: CallSpec): CallHandle {
    if (!this.pool) throw new SupervisorError('CG_NOT_RUNNING', 'supervisor is not started');
    if (this.calls.has(spec.callId))
      throw new SupervisorError('CG_DUPLICATE_CALL', `call ${spec.callId} already exists`);
    if (this.calls.size >= this.cfg.engine.maxCalls)
      throw new SupervisorError('CG_TOO_MANY_CALLS', `at capacity (${this.cfg.engine.maxCalls} calls)`);
    if (spec.legs.length < 1 || spec.legs.length > 8)
      throw new SupervisorError('CG_BAD_CALL', 'a call has 1 to 8 legs');
    for (const l of spec.legs)
      if (!SAMPLE_RATES.includes(l.sampleRate))
        throw new SupervisorError('CG_BAD_CALL', `unsupported leg sample rate ${l.sampleRate}`);
    const inputRates = spec.legs.map((l) => l.sampleRate);
    const slab = createCallSlab(spec.callId, {
      geometry: this.geometry,
      inputRates,
      roles: spec.legs.map((l) => l.role ?? 'unknown'),
      protectedLeg: spec.subscriberLeg ?? -1,
      ringSamples: Math.ceil(this.cfg.engine.ringSeconds * Math.max(...inputRates)),
      maxChunkSamples: this.maxChunkSamples,
      eventBytes: Math.max(65536, 2 * mailboxMargin(this.geometry, spec.legs.length, this.cfg.engine.maxChunkSeconds)),
      alloc: (bytes) => this.buffers.take(bytes),
    });
    let resolveEnded!: (e: CallEnded) => void;
    const ended = new Promise<CallEnded>((r) => (resolveEnded = r));
    const n = spec.legs.length;
    const feeds = slab.rings.map((ring) => ({ ring, feed: createLegFeed(this.arrivalEntries) }));
    const { legs: layouts, policyOffsets } = layoutLegs(this.geometry, inputRates, this.maxChunkSamples);
    const entry: CallEntry = {
      spec,
      slab,
      header: new Int32Array(slab.state, 0, 4),
      legStates: layouts.map((l) => [
        new Float64Array(slab.state, l.stateOffsets[0], l.stateLength),
        new Float64Array(slab.state, l.stateOffsets[1], l.stateLength),
      ]),
      rings: slab.rings.map((sab) => new RingBuffer(sab, Int16Array)),
      events: new EventReader(new RingBuffer(slab.events, Uint8Array)),
      startedAt: new Date(),
      state: 'active',
      endReason: '',
      inFlight: false,
      notBefore: 0,
      feeds,
      readers: feeds.map((f) => new LegFeedReader(f.feed)),
      writers: new Array(n).fill(null),
      remote: null,
      givenBack: false,
      taps: Array.from({ length: n }, () => ({})),
      positionBase: new Array(n).fill(0),
      overrunSeen: new Array(n).fill(0),
      lastWindow: new Array(n).fill(-1),
      windows: new Array(n).fill(0),
      restarts: 0,
      risk: null,
      alerts: [],
      taskFailures: 0,
      isolate: false,
      waiters: [],
      intents: [],
      intentSeq: 0,
      key: ++this.callKeys,
      slabHolders: new Set(),
      policyViews: [
        new Float64Array(slab.state, policyOffsets[0], POLICY_STATE_LENGTH),
        new Float64Array(slab.state, policyOffsets[1], POLICY_STATE_LENGTH),
      ],
      spot: 0,
      spotT: 0,
      keywords: new Map(),
      ended,
      resolveEnded,
    };
    this.calls.set(spec.callId, entry);
    this.order.push(entry);
    this.counters.callsStarted++;
    this.log.debug({ callId: spec.callId, legs: n }, 'call started');
    const handle = this.handle(entry);
    this.emit('call-started', spec);
    return handle;
  }

  /** Mark a call ended: its actor drains the remaining audio, emits the last windows, then the call is removed. */
  endCall(callId: string, reason: string): void {
    const c = this.calls.get(callId);
    if (!c || c.state !== 'active') return;
    c.state = 'ending';
    c.endReason = reason;
    this.kick();
  }

  /** Snapshot of one call, or undefined. */
  callInfo(callId: string): CallInfo | undefined {
    const c = this.calls.get(callId);
    return c ? this.info(c) : undefined;
  }

  /** Whether a call is registered (active or draining its audio), without building its CallInfo. */
  hasCall(callId: string): boolean {
    return this.calls.has(callId);
  }

  /**
   * Each registered call's lag (seconds of unprocessed audio, its worst leg) and the number of legs, without building
   * CallInfo snapshots: what the metrics read every scrape and every second.
   */
  lagsAndLegs(): { lags: number[]; legs: number } {
    const lags: number[] = [];
    let legs = 0;
    for (const c of this.calls.values()) {
      lags.push(this.lagOf(c));
      legs += c.rings.length;
    }
    return { lags, legs };
  }

  private lagOf(c: CallEntry): number {
    let lag = 0;
    for (let i = 0; i < c.rings.length; i++)
      lag = Math.max(lag, c.rings[i].availableRead() / c.spec.legs[i].sampleRate);
    return lag;
  }

  /** Snapshot of every active call. */
  listCalls(): CallInfo[] {
    return [...this.calls.values()].map((c) => this.info(c));
  }

  stats(): SupervisorStats {
    return {
      ...this.counters,
      activeCalls: this.calls.size,
      slabBuffersReused: this.buffers.reused,
      slabBufferIdleBytes: this.buffers.idle,
      slabBufferLiveBytes: this.buffers.liveBytes,
    };
  }

  /** Log which model and TF.js backend each worker ended up with, once they are up (they load it at start-up). */
  private async logWorkers(): Promise<void> {
    const deadline = Date.now() + 60000;
    while (this.pool && Date.now() < deadline) {
      const ds = await this.describeWorkers();
      if (ds.length >= this.cfg.pool.threads) {
        for (const d of ds)
          this.log.info(
            { threadId: d.threadId, model: d.model?.name ?? null, backend: d.model?.backend ?? null },
            'worker ready',
          );
        return;
      }
      await new Promise((r) => setTimeout(r, 100).unref());
    }
  }

  /** Each live worker's own description, over its comlink control channel (health, readiness, diagnostics). */
  describeWorkers(): Promise<WorkerDescription[]> {
    return this.control.describeAll();
  }

  /** The pool (diagnostics and the worker-crash test). */
  get actorPool(): ActorPool | null {
    return this.pool;
  }

  /** Stop scheduling, end every call without draining, stop the pool. */
  /** Idempotent: ends every call (their last windows and alerts are emitted) and closes the pool. */
  async close(): Promise<void> {
    if (this.lifecycle === 'closing' || this.lifecycle === 'closed') return;
    this.lifecycle = 'closing';
    try {
      await this.closeNow();
    } finally {
      this.lifecycle = 'closed';
    }
  }

  private async closeNow(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const c of this.calls.values()) this.finish(c, 'ended', c.endReason || 'shutdown');
    const pool = this.pool;
    this.pool = null;
    this.control.close();
    if (pool) await pool.close();
  }

  private handle(c: CallEntry): CallHandle {
    const writer = (leg: number): LegFeedWriter => {
      let w = c.writers[leg];
      if (!w) {
        w = c.writers[leg] = new LegFeedWriter(c.feeds[leg]);
        for (const [slot, ring] of Object.entries(c.taps[leg])) w.setTap(slot as TapSlot, ring);
      }
      return w;
    };
    return {
      callId: c.spec.callId,
      ended: c.ended,
      feeds: c.feeds,
      write: (leg, pcm, offset = 0, length = pcm.length - offset) => {
        if (leg < 0 || leg >= c.feeds.length || c.state !== 'active') return 0;
        c.notBefore = 0;
        return writer(leg).write(pcm, offset, length);
      },
      writeAll: async (leg, pcm) => {
        if (leg < 0 || leg >= c.feeds.length)
          throw new SupervisorError('CG_BAD_CALL', `call ${c.spec.callId} has no leg ${leg}`);
        const w = writer(leg);
        let off = 0;
        while (off < pcm.length) {
          if (c.state !== 'active') return;
          off += w.write(pcm, off, pcm.length - off, true);
          c.notBefore = 0;
          if (off < pcm.length) {
            this.kick();
            await new Promise<void>((r) => c.waiters.push(r));
          }
        }
      },
      attachRemote: (producer) => {
        c.remote = producer;
        c.taps.forEach((taps, leg) => {
          for (const [slot, ring] of Object.entries(taps)) producer.setTap(leg, slot as TapSlot, ring);
        });
        let held = true;
        return () => {
          if (!held) return;
          held = false;
          if (c.remote === producer) c.remote = null;
          this.giveBack(c);
        };
      },
      discard: () => {
        for (const r of c.readers) r.discard();
      },
    };
  }

  /** Schedule a tick soon (after producer writes, task completions, call ends) without waiting for the timer. */
  private kick(): void {
    if (this.tickQueued || !this.pool) return;
    this.tickQueued = true;
    setImmediate(() => {
      this.tickQueued = false;
      this.tick();
    });
  }

  /**
   * Whether a step would make progress now. Mirrors the actor's lockstep rule (every leg has at least a minimum chunk,
   * unless the legs have drifted more than the slack apart) so the pool is never handed calls it can only skip.
   */
  private ready(c: CallEntry, minSeconds: number, now: number): boolean {
    if (c.inFlight || c.state === 'ended' || c.state === 'failed') return false;
    if (c.state === 'ending' || c.isolate) return true;
    if (now < c.notBefore) return false;
    const secs = this.legSeconds;
    secs.length = c.rings.length;
    for (let i = 0; i < c.rings.length; i++) secs[i] = c.rings[i].availableRead() / c.spec.legs[i].sampleRate;
    const wait = stepWaitSeconds(secs, minSeconds);
    if (wait === 0) return true;
    // One RTP packet early: audio lands in packet-sized steps (20 ms for most codecs; longer packets can delay a
    // step by their excess, as can a jitter buffer's catch-up burst: at most this bound, a fraction of a chunk).
    c.notBefore = now + Math.max(0, wait * 1000 - PACKET_MS);
    return false;
  }

  /** `timer`: the periodic tick (which also reports overruns), not one kicked by a write or a finished task. */
  private tick(timer = false): void {
    const pool = this.pool;
    if (!pool) return;
    if (timer) for (const c of this.order) this.reportOverruns(c);
    const free = pool.threads - this.tasksInFlight;
    if (free <= 0) return;
    const minSeconds = this.cfg.engine.minChunkSeconds;
    const all = this.order;
    const now = performance.now();
    const ready: CallEntry[] = [];
    // Rotate the starting point so no call is always last in line.
    for (let k = 0; k < all.length; k++) {
      const c = all[(k + this.rotate) % all.length];
      if (this.ready(c, minSeconds, now)) ready.push(c);
    }
    this.rotate = all.length ? (this.rotate + 1) % all.length : 0;
    if (!ready.length) return;
    // Calls under suspicion after a failed task run alone, so a call that kills workers only ever takes itself down.
    let slots = free;
    for (const c of ready.filter((x) => x.isolate)) {
      if (slots === 0) return;
      this.submit(pool, [c]);
      slots--;
    }
    const normal = ready.filter((x) => !x.isolate);
    const groups = Math.min(slots, normal.length);
    if (groups === 0) return;
    const tasks: CallEntry[][] = Array.from({ length: groups }, () => []);
    normal.forEach((c, i) => tasks[i % groups].push(c));
    for (const group of tasks) this.submit(pool, group);
  }

  /** Emits 'overrun' for samples the leg's producer (on any thread) dropped since the last look. */
  private reportOverruns(c: CallEntry): void {
    for (let leg = 0; leg < c.readers.length; leg++) {
      const total = c.readers[leg].overrun;
      const fresh = total - c.overrunSeen[leg];
      if (fresh <= 0) continue;
      c.overrunSeen[leg] = total;
      this.counters.overrunSamples += fresh;
      this.emit('overrun', { callId: c.spec.callId, leg, samples: fresh });
    }
  }

  private submit(pool: ActorPool, group: CallEntry[]): void {
    for (const c of group) c.inFlight = true;
    this.tasksInFlight++;
    this.counters.tasks++;
    const task = {
      // A call's slab rides along until every worker has stepped it once (slab-cache.ts).
      calls: group.map((c) => ({
        key: c.key,
        callId: c.spec.callId,
        slab: c.slabHolders.size < pool.threads ? c.slab : undefined,
        final: c.state === 'ending',
        intents: this.pendingIntents(c),
      })),
    };
    pool.run(task).then(
      (res) => this.onResult(group, res),
      (err) => this.onTaskFailed(group, err),
    );
  }

  private onResult(group: CallEntry[], res: StepTaskResult): void {
    this.tasksInFlight--;
    if (res.inference && (res.inference.batches.length || res.inference.skipped)) this.emit('inference', res.inference);
    const byId = new Map(res.outcomes.map((o) => [o.callId, o]));
    for (const c of group) {
      c.inFlight = false;
      this.giveBack(c);
    }
    for (const c of group) {
      try {
        this.drainEvents(c);
        const o = byId.get(c.spec.callId);
        c.isolate = false;
        c.taskFailures = 0;
        // A worker without the call's slab stepped nothing: send the slab with the next task (not a failure).
        if (o && 'error' in o && o.error.code === SLAB_UNKNOWN) c.slabHolders.clear();
        else if (o && 'error' in o) this.restartActor(c, `${o.error.code}: ${o.error.message}`);
        else if (o && o.finished) this.finish(c, 'ended', c.endReason);
        if (o && !('error' in o)) c.slabHolders.add(res.threadId);
      } catch (err) {
        this.log.error(
          { callId: c.spec.callId, err: String((err as Error)?.stack ?? err) },
          'handling a step result failed',
        );
      } finally {
        this.wake(c);
      }
    }
    this.kick();
  }

  private onTaskFailed(group: CallEntry[], err: unknown): void {
    this.tasksInFlight--;
    for (const c of group) {
      c.inFlight = false;
      this.giveBack(c);
    }
    if (!this.pool) return;
    // Rejections from a pool that was replaced (or closed under it) say nothing about the calls: nobody is charged.
    const replaced = (err as { poolReplaced?: boolean })?.poolReplaced === true;
    if (!replaced) this.counters.workerCrashes++;
    this.log.warn(
      { err: String((err as Error)?.message ?? err), calls: group.length, replaced },
      'actor step task failed; resubmitting its calls',
    );
    for (const c of group) {
      try {
        this.drainEvents(c);
        // Charge a failure only to a call that was stepped alone; a shared task's calls are retried one per task.
        if (!replaced && group.length === 1) c.taskFailures++;
        c.isolate = true;
        if (c.taskFailures > this.cfg.engine.maxRestarts) this.finish(c, 'failed', 'actor-crashed');
      } catch (e) {
        this.log.error({ callId: c.spec.callId, err: String(e) }, 'handling a failed step failed');
      } finally {
        this.wake(c);
      }
    }
    this.kick();
  }

  private restartActor(c: CallEntry, why: string): void {
    this.counters.actorRestarts++;
    c.restarts++;
    this.log.warn({ callId: c.spec.callId, why, restarts: c.restarts }, 'actor failed; restarting it');
    if (c.restarts > this.cfg.engine.maxRestarts) {
      this.finish(c, 'failed', 'actor-failed');
      return;
    }
    resetCallSlab(this.geometry, c.slab);
    // The fresh state numbers samples from the ring's read position: what was consumed before is behind it.
    c.rings.forEach((r, i) => (c.positionBase[i] = c.readers[i].pushed - r.availableRead()));
    c.lastWindow.fill(-1);
    this.emit('actor-restarted', { callId: c.spec.callId, reason: why });
  }

  private spotted(c: CallEntry, ev: WindowEvent): void {
    const kw = ev.keywords!;
    let m = 0;
    for (let k = 0; k < kw.length; k++) {
      m = Math.max(m, kw[k]);
      if (kw[k] >= this.cfg.speech.spotterThreshold && !c.keywords.has(k)) c.keywords.set(k, ev.tEnd);
    }
    const decayed = c.spot * Math.exp(-Math.max(0, ev.tEnd - c.spotT) / this.cfg.speech.spotterMemorySeconds);
    if (m >= decayed) {
      c.spot = m;
      c.spotT = ev.tEnd;
    }
  }

  private drainEvents(c: CallEntry): void {
    const events = c.events.drain();
    if (!events.length) return;
    const now = performance.now();
    for (const ev of events) {
      if (ev.type === 'window') {
        if (ev.index <= c.lastWindow[ev.leg]) {
          this.counters.duplicateWindowsDropped++;
          continue;
        }
        c.lastWindow[ev.leg] = ev.index;
        this.verdictLatency(c, ev, now);
        c.windows[ev.leg]++;
        if (ev.risk !== null) c.risk = ev.risk;
        if (ev.keywords) this.spotted(c, ev);
        this.counters.windows++;
        this.emit('window', c.spec.callId, ev as WindowEvent);
      } else if (ev.type === 'alert') {
        // A replayed round can repeat an alert; the policy raises each level once per call.
        if (c.alerts.some((a) => a.level === ev.level)) continue;
        c.alerts.push(ev);
        this.counters.alerts++;
        this.emit('alert', c.spec.callId, ev, this.info(c));
      } else {
        this.counters.actorErrors++;
        this.log.warn(
          { callId: c.spec.callId, leg: ev.leg, code: ev.code, msg: ev.message },
          'actor error; leg restarted',
        );
        this.emit('actor-error', c.spec.callId, ev as ActorErrorEvent);
      }
    }
  }

  /**
   * Audio-to-verdict latency of a window, emitted as 'verdict-latency' (seconds): from the arrival of the write that
   * carried the last sample the window covers to now, when its scored event reaches the supervisor. tEnd is in seconds
   * of the leg's audio; at another input rate than the model's the position is rounded up to a whole input sample.
   */
  private verdictLatency(c: CallEntry, ev: WindowEvent, now: number): void {
    const rate = c.spec.legs[ev.leg]?.sampleRate;
    if (!rate) return;
    const at = c.readers[ev.leg].arrivalOf(c.positionBase[ev.leg] + Math.ceil(ev.tEnd * rate - 1e-6));
    if (at === null) this.counters.verdictLatencyUnknown++;
    else this.emit('verdict-latency', (now + performance.timeOrigin - at) / 1000);
  }

  private wake(c: CallEntry): void {
    const w = c.waiters;
    c.waiters = [];
    for (const r of w) r();
  }

  private finish(c: CallEntry, state: 'ended' | 'failed', reason: string): void {
    if (c.state === 'ended' || c.state === 'failed') return;
    const info = this.info(c);
    c.state = state;
    info.state = state;
    this.calls.delete(c.spec.callId);
    const at = this.order.indexOf(c);
    if (at >= 0) this.order.splice(at, 1);
    this.reportOverruns(c);
    // Its handle refuses writes from now on; with no task running, nothing touches the buffers again.
    // Producers stop writing from now on; the buffers are reused once no task and no remote producer holds them.
    for (const r of c.readers) r.discard();
    this.giveBack(c);
    if (state === 'failed') this.counters.callsFailed++;
    else this.counters.callsEnded++;
    const ev: CallEnded = { callId: c.spec.callId, reason: reason || 'ended', state, info };
    this.log.debug({ callId: c.spec.callId, reason: ev.reason, state }, 'call ended');
    this.wake(c);
    c.resolveEnded(ev);
    this.emit('call-ended', ev);
  }

  /** Returns a finished call's buffers to the pool once nothing can touch them: no task running, no remote producer. */
  private giveBack(c: CallEntry): void {
    if (c.state !== 'ended' && c.state !== 'failed') return;
    if (c.inFlight || c.remote || c.givenBack) return;
    c.givenBack = true;
    for (const sab of slabBuffers(c.slab)) this.buffers.give(sab);
  }

  private info(c: CallEntry): CallInfo {
    let lag = 0;
    const active = Atomics.load(c.header, CallHeaderSlot.active);
    const legs = c.spec.legs.map((l, i) => {
      const st = c.legStates[i][active];
      const backlog = c.rings[i].availableRead() / l.sampleRate;
      lag = Math.max(lag, backlog);
      return {
        ...l,
        receivedSeconds: c.readers[i].pushed / l.sampleRate,
        processedSeconds: st[LegStateSlot.totalIn] / l.sampleRate,
        backlogSeconds: backlog,
        overrunSamples: c.readers[i].overrun,
        speechTapDroppedSamples: c.readers[i].tapDropped('speech'),
        windows: c.windows[i],
        restarts: st[LegStateSlot.legRestarts],
        droppedChunks: st[LegStateSlot.droppedChunks],
      };
    });
    return {
      callId: c.spec.callId,
      state: c.state,
      source: c.spec.source ?? 'siprec',
      startedAt: c.startedAt.toISOString(),
      subscriberLeg: c.spec.subscriberLeg ?? null,
      legs,
      lagSeconds: lag,
      restarts: c.restarts,
      risk: c.risk,
      alerts: c.alerts.slice(),
      intents: c.intents.map((i) => ({ intent: i.intent, t: i.t, confidence: i.confidence })),
      spotterScore: this.callSpotterScore(c.spec.callId),
      keywords: [...c.keywords]
        .sort((a, b) => a[1] - b[1])
        .map(([k, t]) => ({ keyword: this.keywordNames[k] ?? `#${k}`, t })),
    };
  }
}
