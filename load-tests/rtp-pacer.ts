import { performance } from 'node:perf_hooks';
import { LatencyHistogram } from './latency-histogram.js';
import { PACKET_MS, type RtpLegStream } from './rtp-leg-stream.js';

/**
 * Real-time pacing for every leg of a run from ONE timer: each tick (every 20 ms, on a fixed grid so timer drift does
 * not accumulate) sends every packet that is due on every leg. Legs join on the next grid point, so a packet is due
 * exactly on a tick and its send lag (send time minus due time) is the generator's own lateness, not grid rounding.
 *
 * sendLag says whether the generator kept real time: if its p99 is a few ms the engine was fed on time, and any
 * lag or loss the engine reports is the engine's; if it is tens of ms, the generator itself fell behind.
 */
export interface PacerStats {
  /** Per packet: actual send time minus due time. */
  readonly sendLag: LatencyHistogram;
  /** Per tick: time spent sending (the generator's CPU cost per 20 ms). */
  readonly tickWork: LatencyHistogram;
  ticks: number;
  packetsSent: number;
  activeLegs: number;
  maxActiveLegs: number;
  /** Packets held back because a leg was more than `maxBurst` packets behind (sent on later ticks). */
  deferredPackets: number;
}

export interface PacerOptions {
  tickMs?: number;
  /** Most packets one leg sends in one tick when catching up (bounds the burst the engine sees after a stall). */
  maxBurst?: number;
}

const EARLY_ALLOWANCE_MS = 2;

interface Entry {
  leg: RtpLegStream;
  onDone: () => void;
}

export class RtpPacer {
  readonly stats: PacerStats = {
    sendLag: new LatencyHistogram(),
    tickWork: new LatencyHistogram(),
    ticks: 0,
    packetsSent: 0,
    activeLegs: 0,
    maxActiveLegs: 0,
    deferredPackets: 0,
  };
  private readonly tickMs: number;
  private readonly maxBurst: number;
  private entries: Entry[] = [];
  private timer: NodeJS.Timeout | null = null;
  private origin = 0;
  private tickIndex = 0;
  private running = false;

  constructor(opts: PacerOptions = {}) {
    this.tickMs = opts.tickMs ?? PACKET_MS;
    this.maxBurst = opts.maxBurst ?? 10;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.origin = performance.now();
    this.tickIndex = 0;
    this.schedule();
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Admits a leg: its first packet is due on the next tick; `onDone` runs after its last packet. */
  add(leg: RtpLegStream, onDone: () => void): void {
    // tickIndex is the tick already scheduled: the leg starts on it.
    leg.startAt = this.origin + this.tickIndex * this.tickMs;
    this.entries.push({ leg, onDone });
    this.stats.activeLegs = this.entries.length;
    if (this.entries.length > this.stats.maxActiveLegs) this.stats.maxActiveLegs = this.entries.length;
  }

  /** Stops a leg early (call torn down); `onDone` is not called. */
  remove(leg: RtpLegStream): void {
    this.entries = this.entries.filter((e) => e.leg !== leg);
    this.stats.activeLegs = this.entries.length;
  }

  private schedule(): void {
    if (!this.running) return;
    this.tickIndex++;
    const at = this.origin + this.tickIndex * this.tickMs;
    this.timer = setTimeout(() => this.tick(), Math.max(0, at - performance.now()));
  }

  private tick(): void {
    const now = performance.now();
    const s = this.stats;
    s.ticks++;
    const entries = this.entries;
    let finished: Entry[] | null = null;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i];
      const leg = e.leg;
      // Node timers run on a millisecond loop clock and may fire up to ~1 ms before the grid point by
      // performance.now(); without the allowance such a packet would wait a whole tick.
      const elapsed = now + EARLY_ALLOWANCE_MS - leg.startAt;
      if (elapsed < 0) continue;
      const due = Math.min(leg.totalPackets, Math.floor(elapsed / PACKET_MS) + 1);
      let burst = 0;
      while (leg.packetsSent < due) {
        if (burst === this.maxBurst) {
          s.deferredPackets += due - leg.packetsSent;
          break;
        }
        s.sendLag.record(now - (leg.startAt + leg.packetsSent * PACKET_MS));
        leg.sendNext();
        s.packetsSent++;
        burst++;
      }
      if (leg.done) (finished ??= []).push(e);
    }
    if (finished) {
      const gone = new Set(finished);
      this.entries = this.entries.filter((e) => !gone.has(e));
      s.activeLegs = this.entries.length;
    }
    s.tickWork.record(performance.now() - now);
    // Catch the grid up after a long stall instead of firing a tick for every missed slot.
    const behind = Math.floor((performance.now() - this.origin) / this.tickMs);
    if (behind > this.tickIndex) this.tickIndex = behind;
    this.schedule();
    if (finished) for (const e of finished) e.onDone();
  }
}
