import type { Supervisor } from '../supervisor.js';

/** What the history samples: the supervisor (calls, alerts, verdict latencies) and the RTP counters of ingest. */
export interface HistorySources {
  readonly supervisor: Supervisor;
  readonly rtpCounters: () => { received: number; lost: number };
}

/** The last hour of the engine, column-wise (uPlot's data shape): one sample per interval, oldest first. */
export interface EngineHistorySnapshot {
  intervalSeconds: number;
  /** Unix time (s) at the end of each interval. */
  t: number[];
  activeCalls: number[];
  alertsPerMinute: number[];
  /** 99th percentile of the windows' audio-to-verdict latency over the interval, ms; null when no window was scored. */
  verdictP99Ms: Array<number | null>;
  /** RTP packets lost over the interval, % of those expected; null when no packet was expected. */
  rtpLossPercent: Array<number | null>;
}

/** Latency histogram: 1 ms bins to 1 s, 10 ms bins to 10 s, one overflow bin. Fine enough for a p99 on a chart. */
const FINE = 1000;
const COARSE = 900;
const BINS = FINE + COARSE + 1;

function binOf(ms: number): number {
  if (ms < FINE) return Math.max(0, Math.floor(ms));
  const c = Math.floor((ms - FINE) / 10);
  return c < COARSE ? FINE + c : BINS - 1;
}

/** Upper edge (ms) of a bin: a percentile read from it errs high, never low. */
function edgeOf(bin: number): number {
  return bin < FINE ? bin + 1 : FINE + (bin - FINE + 1) * 10;
}

/**
 * The engine's recent history for the console's charts: active calls, alerts per minute, verdict latency p99 and RTP
 * loss, sampled every `intervalMs` into fixed rings covering `spanMs` (an hour by default). It reads counters the
 * components already keep and the supervisor's verdict-latency events (binned, not kept), so its memory is fixed.
 */
export class EngineHistory {
  private readonly size: number;
  private readonly t: Float64Array;
  private readonly calls: Float64Array;
  private readonly alerts: Float64Array;
  private readonly p99: Float64Array;
  private readonly loss: Float64Array;
  private head = 0;
  private count = 0;
  private readonly bins = new Uint32Array(BINS);
  private binned = 0;
  private last: { at: number; alerts: number; received: number; lost: number } | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly onLatency = (seconds: number) => {
    this.bins[binOf(seconds * 1000)]++;
    this.binned++;
  };

  constructor(
    private readonly src: HistorySources,
    readonly intervalMs = 10_000,
    spanMs = 3_600_000,
    private readonly now: () => number = Date.now,
  ) {
    this.size = Math.max(2, Math.ceil(spanMs / intervalMs));
    this.t = new Float64Array(this.size);
    this.calls = new Float64Array(this.size);
    this.alerts = new Float64Array(this.size);
    this.p99 = new Float64Array(this.size);
    this.loss = new Float64Array(this.size);
  }

  attach(): void {
    this.src.supervisor.on('verdict-latency', this.onLatency);
    this.last = this.reading();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
  }

  detach(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.src.supervisor.off('verdict-latency', this.onLatency);
  }

  /** Close the current interval into one sample (the timer's job; public for tests). */
  sample(): void {
    const r = this.reading();
    const prev = this.last ?? r;
    this.last = r;
    const minutes = Math.max(1e-3, (r.at - prev.at) / 60_000);
    const received = Math.max(0, r.received - prev.received);
    const lost = Math.max(0, r.lost - prev.lost);
    const i = this.head;
    this.t[i] = r.at / 1000;
    this.calls[i] = this.src.supervisor.stats().activeCalls;
    this.alerts[i] = Math.max(0, r.alerts - prev.alerts) / minutes;
    this.p99[i] = this.percentile(0.99);
    this.loss[i] = received + lost > 0 ? (100 * lost) / (received + lost) : Number.NaN;
    this.bins.fill(0);
    this.binned = 0;
    this.head = (i + 1) % this.size;
    this.count = Math.min(this.count + 1, this.size);
  }

  snapshot(): EngineHistorySnapshot {
    const out: EngineHistorySnapshot = {
      intervalSeconds: this.intervalMs / 1000,
      t: [],
      activeCalls: [],
      alertsPerMinute: [],
      verdictP99Ms: [],
      rtpLossPercent: [],
    };
    const r2 = (v: number) => Math.round(v * 100) / 100;
    const orNull = (v: number) => (Number.isNaN(v) ? null : r2(v));
    for (let k = 0; k < this.count; k++) {
      const i = (this.head - this.count + k + this.size) % this.size;
      out.t.push(this.t[i]);
      out.activeCalls.push(this.calls[i]);
      out.alertsPerMinute.push(r2(this.alerts[i]));
      out.verdictP99Ms.push(orNull(this.p99[i]));
      out.rtpLossPercent.push(orNull(this.loss[i]));
    }
    return out;
  }

  private reading() {
    const rtp = this.src.rtpCounters();
    return { at: this.now(), alerts: this.src.supervisor.stats().alerts, received: rtp.received, lost: rtp.lost };
  }

  private percentile(q: number): number {
    if (this.binned === 0) return Number.NaN;
    const want = Math.ceil(q * this.binned);
    let seen = 0;
    for (let b = 0; b < BINS; b++) {
      seen += this.bins[b];
      if (seen >= want) return edgeOf(b);
    }
    return edgeOf(BINS - 1);
  }
}
