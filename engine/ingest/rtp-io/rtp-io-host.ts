import { Worker } from 'node:worker_threads';
import type { LifecycleState } from '../../../common/lifecycle.js';
import type { Logger } from '../../logger.js';
import type { AudioCodec } from '../codecs/audio-codec.js';
import { COUNTER_NAMES, type IngestCounters } from '../ingest-counters.js';
import type { TapSlot } from '../leg-feed.js';
import { PortPool } from '../port-pool.js';
import type { LegMedia } from '../rtp-receiver.js';
import type { MediaHostOptions } from './local-media-host.js';
import { isFeedDescriptor, type LegOutput, type MediaHost, type MediaLeg, type PreparedCall } from './media-host.js';
import {
  LEG_STAT_SLOTS,
  LegStatSlot,
  type FromIoThread,
  type LegRunState,
  type RtpIoWorkerData,
  type ToIoThread,
} from './rtp-io-protocol.js';

/** How often the I/O threads publish their counters and leg figures. */
const PUBLISH_MS = 100;

/** The number of RTP I/O threads for `cores` CPU cores when `rtp.ioThreads` is 'auto': one per 8 cores, 1 to 16. */
export function autoIoThreads(cores: number): number {
  return Math.max(1, Math.min(16, Math.ceil(cores / 8)));
}

interface IoThread {
  index: number;
  worker: Worker;
  counters: Float64Array;
  ready: Promise<void>;
  legs: Set<RemoteLeg>;
  /** Replies awaited, keyed `${reply type}:${leg id}` (and `:${seq}` for updates). */
  waiting: Map<string, (m: FromIoThread | null) => void>;
  alive: boolean;
}

/**
 * RTP received on I/O worker threads (`rtp.ioThreads` > 0): each call's legs go to the thread with the fewest legs;
 * the thread binds the ports, decodes and writes the calls' shared rings itself, so the main thread touches no
 * packet. A thread that dies is replaced and its legs re-opened on the same ports (see rtp-io-worker.ts for what is
 * lost). Emits nothing; the crashes are counted in `threadRestarts` and logged.
 */
export class RtpIoHost implements MediaHost {
  private readonly pool: PortPool;
  private readonly threads: IoThread[] = [];
  /** Counters of threads that died (their last published values). */
  private readonly retired = new Float64Array(COUNTER_NAMES.length);
  private nextId = 1;
  private closing = false;
  private closed = false;
  private ready = false;
  private closingDone: Promise<void> | null = null;
  private started: Promise<void> | null = null;
  threadRestarts = 0;

  constructor(
    private readonly opts: MediaHostOptions,
    private readonly threadCount: number,
    private readonly log?: Logger,
  ) {
    if (!Number.isInteger(threadCount) || threadCount < 1) throw new RangeError(`ioThreads must be >= 1`);
    this.pool = new PortPool(opts.portMin, opts.portMax, opts.recvBufferSize);
  }

  /** Where the host is in the one lifecycle (common/lifecycle.ts). */
  get state(): LifecycleState {
    if (this.closed) return 'closed';
    if (this.closing) return 'closing';
    if (!this.started) return 'idle';
    return this.threads.length === this.threadCount && this.ready ? 'running' : 'starting';
  }

  /** Idempotent: spawns the threads and resolves once each has compiled its codecs. A closed host stays closed. */
  start(): Promise<void> {
    if (this.closing) return Promise.resolve();
    this.started ??= (async () => {
      for (let i = 0; i < this.threadCount; i++) this.threads.push(this.spawn(i));
      await Promise.all(this.threads.map((t) => t.ready));
      this.ready = true;
    })();
    return this.started;
  }

  /** Idempotent (every call waits for the same shutdown): closes every leg, then stops the threads. */
  close(): Promise<void> {
    this.closingDone ??= (async () => {
      this.closing = true;
      const legs = this.threads.flatMap((t) => [...t.legs]);
      await Promise.all(legs.map((l) => l.close()));
      await Promise.all(this.threads.map((t) => t.worker.terminate()));
      this.closed = true;
    })();
    return this.closingDone;
  }

  get portsUsed(): number {
    return this.pool.used;
  }

  get portCapacity(): number {
    return this.pool.capacity;
  }

  get threadsAlive(): number {
    return this.threads.filter((t) => t.alive).length;
  }

  /** Busy seconds of each thread's event loop since it (re)started: what it costs. */
  busySeconds(): number[] {
    return this.threads.map((t) => t.counters[COUNTER_NAMES.length] / 1000);
  }

  /** CPU seconds each thread has used since it (re)started; null where the platform cannot say. */
  cpuSeconds(): (number | null)[] {
    return this.threads.map((t) => {
      const s = t.counters[COUNTER_NAMES.length + 1];
      return Number.isNaN(s) ? null : s;
    });
  }

  /** Legs per thread (load spread). */
  legsPerThread(): number[] {
    return this.threads.map((t) => t.legs.size);
  }

  addCounters(into: IngestCounters): void {
    for (let i = 0; i < COUNTER_NAMES.length; i++) {
      let sum = this.retired[i];
      for (const t of this.threads) sum += t.counters[i];
      into[COUNTER_NAMES[i]] += sum;
    }
  }

  /** Test hook: make I/O thread `i` die of an uncaught exception. */
  crashThread(i: number): void {
    this.post(this.threads[i], { type: 'crash' });
  }

  async prepare(callKey: string, media: readonly LegMedia[]): Promise<PreparedCall | { ok: false; detail: string }> {
    await this.start();
    // A call's legs share a thread: their media clock (late-start padding) lives there.
    const thread = this.threads.filter((t) => t.alive).sort((a, b) => a.legs.size - b.legs.size)[0];
    if (!thread) return { ok: false, detail: 'no RTP I/O thread is up' };
    await thread.ready;
    const legs: RemoteLeg[] = [];
    const release = (): void => {
      for (const l of legs) void l.close();
    };
    for (const m of media) {
      let opened: RemoteLeg | null = null;
      const r = await this.pool.allocate(async (port) => {
        const leg = new RemoteLeg(this, thread, this.nextId++, callKey, this.opts.host, port, m);
        const reply = await this.request(thread, `opened:${leg.id}`, {
          type: 'open',
          id: leg.id,
          callKey,
          host: this.opts.host,
          port,
          media: m,
          stats: leg.statsBuffer,
        });
        if (!reply || reply.type !== 'opened') return 'RTP I/O thread died while opening a port';
        if (!reply.ok) return reply.code === 'DECODER' ? reply.detail : reply.code;
        leg.sampleRate = reply.sampleRate;
        thread.legs.add(leg);
        opened = leg;
        return null;
      });
      if (!r.ok || !opened) {
        release();
        return { ok: false, detail: r.ok ? 'port not opened' : r.detail };
      }
      legs.push(opened);
    }
    return {
      ok: true,
      ports: legs.map((l) => l.localPort),
      release,
      start: (outputs: readonly LegOutput[]) => {
        if (outputs.length !== legs.length) throw new Error(`${outputs.length} outputs for ${legs.length} legs`);
        for (const o of outputs)
          if (o !== null && !isFeedDescriptor(o))
            throw new Error('an RTP I/O thread writes a call feed (SharedArrayBuffer), not a sink function');
        legs.forEach((l, i) => l.start(outputs[i] as LegRunState['output']));
        return legs;
      },
    };
  }

  // ---- for RemoteLeg ----------------------------------------------------------------------------------------

  /** @internal */
  post(thread: IoThread, msg: ToIoThread): void {
    if (!thread.alive) return;
    try {
      thread.worker.postMessage(msg);
    } catch {
      // The thread is going; its exit handler re-opens the legs.
    }
  }

  /** @internal Resolves with the reply keyed `key`, or null when the thread died first. */
  request(thread: IoThread, key: string, msg: ToIoThread): Promise<FromIoThread | null> {
    if (!thread.alive) return Promise.resolve(null);
    return new Promise((resolve) => {
      thread.waiting.set(key, resolve);
      this.post(thread, msg);
    });
  }

  /** @internal */
  forget(leg: RemoteLeg): void {
    for (const t of this.threads) t.legs.delete(leg);
    this.pool.release(leg.localPort);
  }

  /** @internal The thread a leg lives on now (a restart replaces the object). */
  threadOf(index: number): IoThread {
    return this.threads[index];
  }

  private spawn(index: number, legs = new Set<RemoteLeg>()): IoThread {
    const countersSab = new SharedArrayBuffer(8 * (COUNTER_NAMES.length + 2));
    const data: RtpIoWorkerData = {
      counters: countersSab,
      allow: this.opts.allow,
      jitterDepth: this.opts.jitterDepth,
      recvBufferSize: this.opts.recvBufferSize,
      publishMs: PUBLISH_MS,
    };
    const worker = new Worker(new URL('./rtp-io-worker.js', import.meta.url), { workerData: data });
    let readyResolve!: () => void;
    const thread: IoThread = {
      index,
      worker,
      counters: new Float64Array(countersSab),
      ready: new Promise<void>((r) => (readyResolve = r)),
      legs,
      waiting: new Map(),
      alive: true,
    };
    worker.on('message', (m: FromIoThread) => {
      if (m.type === 'ready') return readyResolve();
      const key = m.type === 'updated' ? `updated:${m.id}:${m.seq}` : `${m.type}:${m.id}`;
      const w = thread.waiting.get(key);
      if (w) {
        thread.waiting.delete(key);
        w(m);
      }
    });
    worker.on('error', (err) => this.log?.error({ thread: index, err: String(err) }, 'RTP I/O thread failed'));
    worker.on('exit', (code) => this.onExit(thread, code));
    return thread;
  }

  private onExit(thread: IoThread, code: number): void {
    thread.alive = false;
    for (let i = 0; i < COUNTER_NAMES.length; i++) this.retired[i] += thread.counters[i];
    for (const w of thread.waiting.values()) w(null);
    thread.waiting.clear();
    if (this.closing) return;
    this.threadRestarts++;
    this.log?.error({ thread: thread.index, code, legs: thread.legs.size }, 'RTP I/O thread died; restarting it');
    const next = this.spawn(thread.index, thread.legs);
    this.threads[thread.index] = next;
    void next.ready.then(() => {
      for (const leg of next.legs) leg.reopen(next);
    });
  }
}

/** A leg received on an I/O thread, seen from the main thread: figures from its shared stats block. */
class RemoteLeg implements MediaLeg {
  readonly statsBuffer = new SharedArrayBuffer(8 * LEG_STAT_SLOTS);
  private readonly stats = new Float64Array(this.statsBuffer);
  sampleRate = 8000;
  private media: LegMedia;
  private held = false;
  private run: LegRunState | null = null;
  private seen = 0;
  private seq = 0;
  private closing: Promise<void> | null = null;

  constructor(
    private readonly host: RtpIoHost,
    private thread: IoThread,
    readonly id: number,
    private readonly callKey: string,
    private readonly bindHost: string,
    readonly localPort: number,
    media: LegMedia,
  ) {
    this.media = media;
  }

  get codec(): AudioCodec {
    return this.media.codec;
  }
  get onHold(): boolean {
    return this.media.onHold || this.held;
  }
  get packetsReceived(): number {
    return this.stats[LegStatSlot.packetsReceived];
  }
  get packetsLost(): number {
    return this.stats[LegStatSlot.packetsLost];
  }
  get packetsLate(): number {
    return this.stats[LegStatSlot.packetsLate];
  }
  get seconds(): number {
    return this.stats[LegStatSlot.samplesWritten] / this.sampleRate;
  }

  takeActivity(): number {
    const n = this.packetsReceived - this.seen;
    this.seen = this.packetsReceived;
    return n;
  }

  start(output: LegRunState['output']): void {
    this.run = { output, taps: {} };
    this.host.post(this.thread, { type: 'start', id: this.id, run: this.run });
  }

  /** After a thread restart: open the same port on the new thread, with the leg's current media and outputs. */
  reopen(thread: IoThread): void {
    if (this.closing) return;
    this.thread = thread;
    void this.host
      .request(thread, `opened:${this.id}`, {
        type: 'open',
        id: this.id,
        callKey: this.callKey,
        host: this.bindHost,
        port: this.localPort,
        media: this.held ? { ...this.media, onHold: true } : this.media,
        stats: this.statsBuffer,
        run: this.run ?? { output: null, taps: {} },
      })
      .then((m) => {
        if (m?.type === 'opened' && !m.ok) this.held = true;
      });
  }

  async updateMedia(media: LegMedia): Promise<void> {
    const seq = ++this.seq;
    const reply = await this.host.request(this.thread, `updated:${this.id}:${seq}`, {
      type: 'update',
      id: this.id,
      seq,
      media,
    });
    this.media = media;
    this.held = reply?.type === 'updated' ? reply.onHold && !media.onHold : false;
  }

  setTap(slot: TapSlot, ring: SharedArrayBuffer | null): void {
    if (!this.run) return;
    if (ring) this.run.taps[slot] = ring;
    else delete this.run.taps[slot];
    this.host.post(this.thread, { type: 'tap', id: this.id, slot, ring });
  }

  close(): Promise<void> {
    this.closing ??= this.host.request(this.thread, `closed:${this.id}`, { type: 'close', id: this.id }).then(() => {
      this.host.forget(this);
    });
    return this.closing;
  }
}
