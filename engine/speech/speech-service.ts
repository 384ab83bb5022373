/**
 * Spoken content on the engine's side: a bounded number of recognition slots per box (speech.threads ×
 * speech.slotsPerThread), each a PocketSphinx decoder on a recognition thread (actors/speech/speech-worker.ts).
 *
 * - Which legs: the other party's (the one who might be the scammer; `speech.legs: both` adds the subscriber's).
 * - Audio: the supervisor taps each such leg as ingest writes it; while the leg holds a slot the tap copies it into a
 *   ringbuf.js ring (SharedArrayBuffer) that the recognition thread drains: no per-packet postMessage.
 * - Slots are bounded: when all are busy, new legs wait: calls the keyword spotter flagged first (when it runs), then
 *   the highest acoustic risk, then the oldest. At the end of each slice (`sliceSeconds`) a leg that heard no intent
 *   in it gives its slot to a waiting leg and queues again, so under load every call is heard in turns and a call
 *   that shows intents keeps its slot; a flagged call may take the slot of an unflagged one that heard nothing.
 * - Intents (names, call times, confidences; never words) go to the supervisor, which hands them to the call's policy.
 * - Crash story: a recognition thread that dies is started again and its slots re-opened on the same rings, which
 *   still hold the audio it had not read. What is lost is the utterance in progress (at most maxUtteranceSeconds).
 * Lifecycle: start() → ready (or disabled, with a reason) → close().
 */
import { Worker } from 'node:worker_threads';
import { RingBuffer } from 'ringbuf.js';
import type { HeardIntent } from '../../actors/speech/leg-recogniser.js';
import { speechModelFiles } from '../../actors/speech/speech-model.js';
import type { CallguardConfig } from '../config/config-schema.js';
import type { Logger } from '../logger.js';
import type { CallEnded, CallSpec, Supervisor } from '../supervisor.js';

type SpeechConfig = CallguardConfig['speech'];

/** A leg the service recognises (or would, given a slot). */
interface LegEntry {
  key: string;
  callId: string;
  leg: number;
  rate: number;
  /** While in a slot: the ring the tap feeds. */
  ring: RingBuffer | null;
  ringSab: SharedArrayBuffer | null;
  slot: number;
  queuedAt: number;
  slotSince: number;
  /** Start of the current slice (a leg that keeps its slot starts a new one). */
  sliceStart: number;
  /** Intents heard in the current slice. */
  hitsInSlot: number;
  /** Slots this leg has been given, the wall-clock seconds it held them, and the call time of its first one. */
  grants: number;
  heldSeconds: number;
  firstSlotAt: number | null;
}

/** One call's share of recognition (GET /calls, load reports): no words, only whether and how long it was heard. */
export interface CallSpeechStatus {
  /** A leg of the call holds a slot now. */
  recognising: boolean;
  /** A leg waits for a slot. */
  waiting: boolean;
  /** Slots given to the call's legs so far (a handover and a new grant count again). */
  grants: number;
  /** Seconds the call's legs held slots (wall clock), including the current one. */
  heldSeconds: number;
  /** Call time (s) at which a leg of the call first got a slot; null while none has. */
  firstSlotAt: number | null;
}

interface ThreadEntry {
  worker: Worker | null;
  ready: boolean;
  restarts: number;
}

/** Counters of the speech service (for metrics and GET /status). */
export interface SpeechStats {
  enabled: boolean;
  reason: string | null;
  slots: number;
  busySlots: number;
  queuedLegs: number;
  intents: Record<string, number>;
  audioSeconds: number;
  slotHandovers: number;
  /** Slots taken from an unflagged leg for a leg the keyword spotter flagged. */
  slotPreemptions: number;
  threadRestarts: number;
  droppedSamples: number;
  slotErrors: number;
}

export class SpeechService {
  private readonly threads: ThreadEntry[] = [];
  private readonly slots: Array<LegEntry | null> = [];
  private readonly legs = new Map<string, LegEntry>();
  private readonly queue: LegEntry[] = [];
  private state: 'new' | 'ready' | 'disabled' | 'closed' = 'new';
  private reason: string | null = null;
  private timer: NodeJS.Timeout | null = null;
  private model: ReturnType<typeof speechModelFiles> | null = null;
  private readonly counters = {
    audioSeconds: 0,
    slotHandovers: 0,
    slotPreemptions: 0,
    threadRestarts: 0,
    droppedSamples: 0,
    slotErrors: 0,
    intents: {} as Record<string, number>,
  };
  private readonly onStart = (spec: CallSpec) => this.callStarted(spec);
  private readonly onEnd = (ev: CallEnded) => this.callEnded(ev);

  constructor(
    private readonly cfg: SpeechConfig,
    private readonly supervisor: Supervisor,
    private readonly log: Logger,
  ) {}

  /** Start the recognition threads. Resolves false (and logs why) when recognition is off or cannot run here. */
  async start(): Promise<boolean> {
    if (this.state !== 'new') throw new Error(`speech service already ${this.state}`);
    if (!this.cfg.enabled) return this.disable('speech.enabled is false');
    try {
      this.model = speechModelFiles(this.cfg.modelDir || undefined);
    } catch (err) {
      return this.disable((err as Error).message);
    }
    const perThread = this.cfg.slotsPerThread;
    this.slots.length = this.cfg.threads * perThread;
    this.slots.fill(null);
    try {
      await Promise.all(Array.from({ length: this.cfg.threads }, (_, i) => this.spawn(i)));
    } catch (err) {
      await this.stopThreads();
      return this.disable((err as Error).message);
    }
    this.state = 'ready';
    this.supervisor.on('call-started', this.onStart);
    this.supervisor.on('call-ended', this.onEnd);
    this.timer = setInterval(() => this.rotate(), 1000);
    this.timer.unref();
    this.log.info(
      { model: this.model.name, threads: this.cfg.threads, slots: this.slots.length, legs: this.cfg.legs },
      'spoken-content recognition ready',
    );
    return true;
  }

  get enabled(): boolean {
    return this.state === 'ready';
  }

  stats(): SpeechStats {
    let dropped = this.counters.droppedSamples;
    for (const l of this.legs.values()) dropped += this.supervisor.legTapDropped(l.callId, l.leg, 'speech');
    return {
      enabled: this.state === 'ready',
      reason: this.reason,
      slots: this.slots.length,
      busySlots: this.slots.filter(Boolean).length,
      queuedLegs: this.queue.length,
      intents: { ...this.counters.intents },
      audioSeconds: this.counters.audioSeconds,
      slotHandovers: this.counters.slotHandovers,
      slotPreemptions: this.counters.slotPreemptions,
      threadRestarts: this.counters.threadRestarts,
      droppedSamples: dropped,
      slotErrors: this.counters.slotErrors,
    };
  }

  /** Which call legs hold a slot now, and which wait (for the API and tests). */
  occupancy(): { inSlots: Array<{ callId: string; leg: number }>; queued: Array<{ callId: string; leg: number }> } {
    return {
      inSlots: this.slots.filter((s): s is LegEntry => s !== null).map((s) => ({ callId: s.callId, leg: s.leg })),
      queued: this.queue.map((s) => ({ callId: s.callId, leg: s.leg })),
    };
  }

  /** Recognition status of a call; null when the service does not follow it (off, or the call is unknown). */
  callStatus(callId: string): CallSpeechStatus | null {
    let found = false;
    const st: CallSpeechStatus = { recognising: false, waiting: false, grants: 0, heldSeconds: 0, firstSlotAt: null };
    const now = performance.now();
    for (const l of this.legs.values()) {
      if (l.callId !== callId) continue;
      found = true;
      if (l.slot >= 0) {
        st.recognising = true;
        st.heldSeconds += (now - l.slotSince) / 1000;
      } else st.waiting = true;
      st.grants += l.grants;
      st.heldSeconds += l.heldSeconds;
      if (l.firstSlotAt !== null && (st.firstSlotAt === null || l.firstSlotAt < st.firstSlotAt))
        st.firstSlotAt = l.firstSlotAt;
    }
    return found ? st : null;
  }

  /** Test hook: make a recognition thread die of an uncaught exception (it is started again, its slots re-opened). */
  crashThread(i: number): void {
    this.threads[i]?.worker?.postMessage({ type: 'crash' });
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    if (this.timer) clearInterval(this.timer);
    this.supervisor.off('call-started', this.onStart);
    this.supervisor.off('call-ended', this.onEnd);
    for (const l of this.legs.values()) this.supervisor.setLegTap(l.callId, l.leg, 'speech', null);
    this.legs.clear();
    this.queue.length = 0;
    await this.stopThreads();
  }

  private disable(reason: string): false {
    this.state = 'disabled';
    this.reason = reason;
    this.log.warn({ reason }, 'spoken-content recognition is off: calls are scored on how they sound only');
    return false;
  }

  private async stopThreads(): Promise<void> {
    await Promise.all(
      this.threads.map(async (t) => {
        const w = t.worker;
        t.worker = null;
        t.ready = false;
        if (!w) return;
        const exited = new Promise<void>((r) => w.once('exit', () => r()));
        w.postMessage({ type: 'shutdown' });
        const timer = setTimeout(() => void w.terminate(), 3000);
        await exited;
        clearTimeout(timer);
      }),
    );
  }

  private spawn(i: number): Promise<void> {
    const worker = new Worker(new URL('../../actors/speech/speech-worker.js', import.meta.url));
    const entry = this.threads[i] ?? (this.threads[i] = { worker: null, ready: false, restarts: 0 });
    entry.worker = worker;
    entry.ready = false;
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      worker.on('message', (msg: { type: string; [k: string]: unknown }) => {
        if (msg.type === 'ready') {
          entry.ready = true;
          settled = true;
          resolve();
          this.reopen(i);
        } else if (msg.type === 'failed') {
          settled = true;
          reject(new Error(String(msg.message)));
        } else this.onWorkerMessage(i, msg);
      });
      worker.on('error', (err) => {
        this.log.warn({ thread: i, err: err.message }, 'recognition thread failed');
        if (!settled) {
          settled = true;
          reject(err);
        }
      });
      worker.on('exit', (code) => {
        if (entry.worker !== worker) return;
        entry.worker = null;
        entry.ready = false;
        if (!settled) {
          settled = true;
          reject(new Error(`recognition thread exited during start-up (code ${code})`));
          return;
        }
        if (this.state !== 'ready') return;
        // A thread that dies takes its decoders (the utterance in progress) with it; its slots' rings still hold the
        // unread audio, so a new thread picks them up where it stopped.
        entry.restarts++;
        this.counters.threadRestarts++;
        this.log.warn({ thread: i, code, restarts: entry.restarts }, 'recognition thread died; starting it again');
        const delay = Math.min(5000, 100 * 2 ** Math.min(entry.restarts, 6));
        setTimeout(() => {
          if (this.state === 'ready')
            this.spawn(i).catch((err) =>
              this.log.error({ thread: i, err: (err as Error).message }, 'recognition thread did not restart'),
            );
        }, delay).unref();
      });
      worker.postMessage({
        type: 'init',
        model: this.model,
        slots: this.cfg.slotsPerThread,
        pumpMs: 100,
        maxUtteranceSeconds: this.cfg.maxUtteranceSeconds,
      });
    });
  }

  /** After a (re)start of thread i: open every slot of it that serves a leg. */
  private reopen(i: number): void {
    const per = this.cfg.slotsPerThread;
    for (let s = i * per; s < (i + 1) * per; s++) {
      const l = this.slots[s];
      if (l && l.ring)
        this.post(s, {
          type: 'open',
          slot: s - i * per,
          key: l.key,
          ring: l.ringSab,
          inputRate: l.rate,
          startSeconds: (this.written(l) - l.ring.availableRead()) / l.rate,
        });
    }
  }

  private post(slot: number, msg: Record<string, unknown>): void {
    const t = this.threads[Math.floor(slot / this.cfg.slotsPerThread)];
    if (t?.ready && t.worker) t.worker.postMessage(msg);
  }

  private onWorkerMessage(thread: number, msg: { type: string; [k: string]: unknown }): void {
    const slot = thread * this.cfg.slotsPerThread + Number(msg.slot);
    const key = String(msg.key);
    if (msg.type === 'intents') {
      const leg = this.legs.get(key);
      const heard = msg.intents as HeardIntent[];
      for (const h of heard) this.counters.intents[h.intent] = (this.counters.intents[h.intent] ?? 0) + 1;
      if (!leg) return;
      leg.hitsInSlot += heard.length;
      this.supervisor.addIntents(
        leg.callId,
        heard.map((h) => ({ intent: h.intent, t: h.t, confidence: h.confidence, availableAt: h.availableAt })),
      );
    } else if (msg.type === 'closed') {
      this.counters.audioSeconds += Number(msg.audioSeconds) || 0;
    } else if (msg.type === 'slot-error') {
      this.counters.slotErrors++;
      this.log.warn({ slot, code: msg.code, err: msg.message }, 'recognition slot failed; the leg queues again');
      const leg = this.slots[slot];
      if (leg && leg.key === key) {
        this.release(leg, false);
        this.enqueue(leg);
        this.fill();
      }
    }
  }

  private callStarted(spec: CallSpec): void {
    if (this.state !== 'ready') return;
    for (const leg of this.legsToRecognise(spec)) {
      const entry: LegEntry = {
        key: `${spec.callId}#${leg}`,
        callId: spec.callId,
        leg,
        rate: spec.legs[leg].sampleRate,
        ring: null,
        ringSab: null,
        slot: -1,
        queuedAt: 0,
        slotSince: 0,
        sliceStart: 0,
        hitsInSlot: 0,
        grants: 0,
        heldSeconds: 0,
        firstSlotAt: null,
      };
      this.legs.set(entry.key, entry);
      this.enqueue(entry);
    }
    this.fill();
  }

  private callEnded(ev: CallEnded): void {
    const callId = ev.callId;
    for (const [key, l] of this.legs) {
      if (l.callId !== callId) continue;
      this.legs.delete(key);
      const q = this.queue.indexOf(l);
      if (q >= 0) this.queue.splice(q, 1);
      if (l.slot >= 0) this.release(l, true);
      this.counters.droppedSamples += ev.info.legs[l.leg]?.speechTapDroppedSamples ?? 0;
    }
    this.fill();
  }

  /** The other party's leg (not the protected subscriber's); both with speech.legs = both. */
  private legsToRecognise(spec: CallSpec): number[] {
    const all = spec.legs.map((_, i) => i).filter((i) => i < 2);
    if (this.cfg.legs === 'both') return all;
    const sub = spec.subscriberLeg;
    if (sub !== undefined && sub >= 0) return all.filter((i) => i !== sub);
    const caller = spec.legs.findIndex((l) => l.role === 'caller');
    return [caller >= 0 ? caller : 0];
  }

  /** Samples the leg has had written since the call started: the call time of the tap's position. */
  private written(l: LegEntry): number {
    return this.supervisor.legSamples(l.callId, l.leg);
  }

  private enqueue(l: LegEntry): void {
    l.queuedAt = performance.now();
    this.queue.push(l);
  }

  /** A call the keyword spotter flagged (its score at or above speech.spotterThreshold). */
  private flagged(l: LegEntry): boolean {
    return this.supervisor.callSpotterScore(l.callId) >= this.cfg.spotterThreshold;
  }

  /**
   * Waiting legs in the order they get slots: flagged by the spotter first, then highest acoustic risk, then oldest.
   * Returns the flagged ones, in that order.
   */
  private sortQueue(): LegEntry[] {
    const key = new Map(
      this.queue.map((l) => [l, { flag: this.flagged(l) ? 1 : 0, risk: this.supervisor.callRisk(l.callId) }]),
    );
    this.queue.sort(
      (a, b) => key.get(b)!.flag - key.get(a)!.flag || key.get(b)!.risk - key.get(a)!.risk || a.queuedAt - b.queuedAt,
    );
    return this.queue.filter((l) => key.get(l)!.flag === 1);
  }

  /** Give free slots to waiting legs in queue order. */
  private fill(): void {
    if (this.state !== 'ready' || !this.queue.length || !this.slots.includes(null)) return;
    this.sortQueue();
    for (let s = 0; s < this.slots.length && this.queue.length; s++)
      if (!this.slots[s]) this.assign(this.queue.shift()!, s);
  }

  /**
   * The layered design: when the keyword spotter flags a waiting call and every slot is busy, the flagged call takes
   * the slot of an unflagged one that has heard no intent in its current slice and held it speech.preemptAfterSeconds.
   */
  private preempt(now: number): void {
    if (this.slots.includes(null)) return;
    const waiting = this.sortQueue();
    if (!waiting.length) return;
    // Holders that may give up their slot, judged once for this round.
    const victims = this.slots.filter(
      (l): l is LegEntry =>
        !!l && l.hitsInSlot === 0 && now - l.sliceStart >= this.cfg.preemptAfterSeconds * 1000 && !this.flagged(l),
    );
    for (const w of waiting) {
      const victim = victims.shift();
      if (!victim) return;
      const slot = victim.slot;
      this.release(victim, true);
      this.counters.slotPreemptions++;
      this.enqueue(victim);
      this.queue.splice(this.queue.indexOf(w), 1);
      this.assign(w, slot);
    }
  }

  private assign(l: LegEntry, slot: number): void {
    const samples = Math.ceil(this.cfg.ringSeconds * l.rate);
    l.ringSab = RingBuffer.getStorageForCapacity(samples, Int16Array);
    l.ring = new RingBuffer(l.ringSab, Int16Array);
    l.slot = slot;
    l.slotSince = performance.now();
    l.sliceStart = l.slotSince;
    l.hitsInSlot = 0;
    l.grants++;
    const written = this.written(l);
    if (l.firstSlotAt === null) l.firstSlotAt = written / l.rate;
    this.slots[slot] = l;
    // The tap copies the leg's audio into the ring on the thread that receives it (possibly an RTP I/O thread).
    this.supervisor.setLegTap(l.callId, l.leg, 'speech', l.ringSab);
    this.post(slot, {
      type: 'open',
      slot: slot % this.cfg.slotsPerThread,
      key: l.key,
      ring: l.ringSab,
      inputRate: l.rate,
      startSeconds: written / l.rate,
    });
  }

  private release(l: LegEntry, flush: boolean): void {
    if (l.slot < 0) return;
    this.supervisor.setLegTap(l.callId, l.leg, 'speech', null);
    this.post(l.slot, { type: 'close', slot: l.slot % this.cfg.slotsPerThread, flush });
    l.heldSeconds += (performance.now() - l.slotSince) / 1000;
    this.slots[l.slot] = null;
    l.slot = -1;
    l.ring = null;
    l.ringSab = null;
  }

  /**
   * Time-slicing under load: at the end of each slice a leg that heard an intent in it keeps its slot for another
   * slice; one that heard nothing yields to a waiting leg. (A single intent once kept a slot for the rest of the
   * call.) Evidence outlives the slice in the policy, so a call heard in turns still adds up its claim and its ask.
   */
  private rotate(): void {
    if (!this.queue.length) return;
    const now = performance.now();
    this.preempt(now);
    const slice = this.cfg.sliceSeconds * 1000;
    for (const l of this.slots) {
      if (!l || !this.queue.length || now - l.sliceStart < slice) continue;
      if (l.hitsInSlot > 0) {
        l.hitsInSlot = 0;
        l.sliceStart = now;
        continue;
      }
      this.release(l, true);
      this.counters.slotHandovers++;
      this.enqueue(l);
      this.fill();
    }
  }
}
