/**
 * Reads the engine's own histograms from its Prometheus endpoint (GET /metrics, text exposition format 0.0.4) during a
 * load run: audio-to-verdict latency per window and the model's batch sizes and predict durations. A histogram is
 * cumulative since the engine started, so a step's figures are the difference of two scrapes, and its percentiles are
 * interpolated inside the buckets the way Prometheus' histogram_quantile() does (so they are only as fine as the
 * engine's buckets: 25 ms apart around the usual verdict latency).
 */
export interface HistogramSnapshot {
  /** Cumulative counts per upper bound `le`, ascending, ending with +Inf. */
  buckets: Array<{ le: number; count: number }>;
  count: number;
  sum: number;
}

export const ENGINE_HISTOGRAMS = [
  'callguard_window_verdict_latency_seconds',
  'callguard_inference_batch_size',
  'callguard_inference_seconds',
] as const;

/** The named unlabelled histograms in an exposition text; a name not present is absent from the map. */
export function parseHistograms(text: string, names: readonly string[]): Map<string, HistogramSnapshot> {
  const out = new Map<string, HistogramSnapshot>();
  const wanted = new Set(names);
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const [, metric, labels, raw] = m;
    const base = metric.replace(/_(bucket|sum|count)$/, '');
    if (!wanted.has(base)) continue;
    const value = Number(raw);
    let h = out.get(base);
    if (!h) out.set(base, (h = { buckets: [], count: 0, sum: 0 }));
    if (metric.endsWith('_bucket')) {
      const le = /le="([^"]+)"/.exec(labels ?? '')?.[1];
      if (le === undefined) continue;
      h.buckets.push({ le: le === '+Inf' ? Infinity : Number(le), count: value });
    } else if (metric.endsWith('_sum')) h.sum = value;
    else if (metric.endsWith('_count')) h.count = value;
  }
  for (const h of out.values()) h.buckets.sort((a, b) => a.le - b.le);
  return out;
}

/** What was observed between two scrapes of the same histogram (`before` may be null: since the engine started). */
export function diffHistogram(
  after: HistogramSnapshot,
  before: HistogramSnapshot | null | undefined,
): HistogramSnapshot {
  if (!before) return after;
  if (before.buckets.length !== after.buckets.length || before.buckets.some((b, i) => b.le !== after.buckets[i].le))
    throw new Error('histogram buckets changed between scrapes');
  return {
    buckets: after.buckets.map((b, i) => ({ le: b.le, count: b.count - before.buckets[i].count })),
    count: after.count - before.count,
    sum: after.sum - before.sum,
  };
}

/**
 * The q-quantile (0..1) by linear interpolation inside the bucket holding it, as Prometheus' histogram_quantile():
 * the lowest bucket interpolates from 0, a quantile in the +Inf bucket reads as the highest finite bound. Null when
 * empty.
 */
export function histogramQuantile(h: HistogramSnapshot, q: number): number | null {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile must be in 0..1, got ${q}`);
  const total = h.buckets.length ? h.buckets[h.buckets.length - 1].count : 0;
  if (total <= 0) return null;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const b of h.buckets) {
    if (b.count >= rank) {
      if (b.le === Infinity) return prevLe;
      if (b.count === prevCount) return b.le;
      return prevLe + ((b.le - prevLe) * (rank - prevCount)) / (b.count - prevCount);
    }
    prevLe = b.le;
    prevCount = b.count;
  }
  return prevLe;
}

/** Percentiles in the report's units (ms for seconds histograms, as-is otherwise), rounded for reading. */
export interface HistogramSummary {
  count: number;
  mean: number | null;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  /** Upper bound of the highest non-empty bucket (the largest value is at most this). */
  maxBucket: number | null;
}

export function summarizeHistogram(h: HistogramSnapshot, scale = 1): HistogramSummary {
  const r = (x: number | null) => (x === null ? null : Math.round(x * scale * 100) / 100);
  let maxBucket: number | null = null;
  let prev = 0;
  for (const b of h.buckets) {
    if (b.count > prev) maxBucket = b.le;
    prev = b.count;
  }
  return {
    count: h.count,
    mean: h.count > 0 ? r(h.sum / h.count) : null,
    p50: r(histogramQuantile(h, 0.5)),
    p95: r(histogramQuantile(h, 0.95)),
    p99: r(histogramQuantile(h, 0.99)),
    maxBucket: maxBucket === null ? null : maxBucket === Infinity ? Infinity : r(maxBucket),
  };
}

export interface MetricsScrape {
  /** Epoch ms when the answer came back. */
  t: number;
  histograms: Map<string, HistogramSnapshot>;
  /** Engine main-thread heap and the process RSS as the engine reports them (prom-client default metrics). */
  heapUsedBytes: number | null;
  /** V8 heap in use summed over the worker threads (null when the engine does not report it). */
  workerHeapUsedBytes: number | null;
  /** V8 heap committed: the main thread's and the workers' sum (null when not reported). */
  heapTotalBytes: number | null;
  workerHeapTotalBytes: number | null;
  rssBytes: number | null;
  externalBytes: number | null;
  /** The workers' model-backend memory (wasm linear memories), summed; null when not reported. */
  workerBackendBytes: number | null;
  /** Call slabs, live plus idle (SharedArrayBuffers allocated by the main thread); null when not reported. */
  slabBytes: number | null;
  /**
   * CPU seconds of the RTP I/O threads, summed, as each thread measures itself; their event-loop busy seconds where
   * the engine cannot measure CPU per thread (not Linux). Null without I/O threads or when not reported.
   */
  ioThreadCpuSeconds: number | null;
  /** Tasks handed to the worker pool since the engine started (`callguard_pool_tasks_total`); null when not reported. */
  poolTasks: number | null;
}

/** Scrapes /metrics every `periodMs` and keeps every scrape (a few kB each), for per-step and per-window diffs. */
export class EngineMetricsScraper {
  readonly scrapes: MetricsScrape[] = [];
  errors = 0;
  private timer: NodeJS.Timeout | null = null;
  private busy: Promise<MetricsScrape | null> | null = null;

  constructor(
    private readonly url: string,
    private readonly periodMs = 2000,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.scrape(), this.periodMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.busy;
  }

  /** One scrape now (also used at step boundaries); null when the engine did not answer. */
  scrape(): Promise<MetricsScrape | null> {
    if (this.busy) return this.busy;
    this.busy = (async () => {
      try {
        const r = await fetch(this.url, { signal: AbortSignal.timeout(5000) });
        if (!r.ok) throw new Error(String(r.status));
        const text = await r.text();
        const s: MetricsScrape = {
          t: Date.now(),
          histograms: parseHistograms(text, ENGINE_HISTOGRAMS),
          heapUsedBytes: gauge(text, 'callguard_nodejs_heap_size_used_bytes'),
          workerHeapUsedBytes: gauge(text, 'callguard_worker_heap_used_bytes\\{thread="all"\\}'),
          heapTotalBytes: gauge(text, 'callguard_nodejs_heap_size_total_bytes'),
          workerHeapTotalBytes: gauge(text, 'callguard_worker_heap_total_bytes\\{thread="all"\\}'),
          rssBytes: gauge(text, 'callguard_process_resident_memory_bytes'),
          externalBytes: gauge(text, 'callguard_nodejs_external_memory_bytes'),
          workerBackendBytes: gauge(text, 'callguard_worker_backend_memory_bytes\\{thread="all"\\}'),
          ioThreadCpuSeconds: null,
          poolTasks: gauge(text, 'callguard_pool_tasks_total'),
          slabBytes: sumOrNull(
            gauge(text, 'callguard_call_slab_bytes\\{state="live"\\}'),
            gauge(text, 'callguard_call_slab_bytes\\{state="idle"\\}'),
          ),
        };
        s.ioThreadCpuSeconds =
          sumMatching(text, 'callguard_rtp_io_thread_cpu_seconds') ??
          sumMatching(text, 'callguard_rtp_io_thread_busy_seconds');
        this.scrapes.push(s);
        return s;
      } catch {
        this.errors++;
        return null;
      } finally {
        this.busy = null;
      }
    })();
    return this.busy;
  }

  /**
   * The RTP I/O threads' share of a core over [from, to], in % (CPU seconds differenced between the first and last
   * scrapes inside the span); null without two such scrapes or without I/O threads.
   */
  ioThreadsCpuPercent(from: number, to: number): number | null {
    const perSecond = this.counterRate((x) => x.ioThreadCpuSeconds, from, to);
    // CPU s / elapsed s, as % of one core, to 0.1.
    return perSecond === null ? null : Math.round(perSecond * 1000) / 10;
  }

  /**
   * Tasks handed to the worker pool per second over [from, to] (the counter differenced between the first and last
   * scrapes inside the span, to 0.1); null without two such scrapes.
   */
  poolTasksPerSecond(from: number, to: number): number | null {
    const perSecond = this.counterRate((x) => x.poolTasks, from, to);
    return perSecond === null ? null : Math.round(perSecond * 10) / 10;
  }

  /** A counter's increase per second between the first and last scrapes inside [from, to] that report it. */
  private counterRate(pick: (s: MetricsScrape) => number | null, from: number, to: number): number | null {
    const inside = this.scrapes.filter((x) => x.t >= from && x.t <= to && pick(x) !== null);
    if (inside.length < 2) return null;
    const a = inside[0];
    const b = inside[inside.length - 1];
    const d = pick(b)! - pick(a)!;
    if (b.t <= a.t || d < 0) return null;
    return (1000 * d) / (b.t - a.t);
  }

  /**
   * The histogram observed between two scrapes inside [from, to]: the first at or after `from` and the last at or
   * before `to` (so nothing from outside the span is counted). Null with fewer than two scrapes inside.
   */
  between(name: string, from: number, to: number): { histogram: HistogramSnapshot; from: number; to: number } | null {
    const inside = this.scrapes.filter((x) => x.t >= from && x.t <= to);
    if (inside.length < 2) return null;
    const first = inside[0];
    const last = inside[inside.length - 1];
    const a = last.histograms.get(name);
    if (!a) return null;
    return { histogram: diffHistogram(a, first.histograms.get(name)), from: first.t, to: last.t };
  }
}

function gauge(text: string, name: string): number | null {
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})?\\s+(\\S+)`, 'm').exec(text);
  const v = m ? Number(m[1]) : NaN;
  return Number.isFinite(v) ? v : null;
}

function sumOrNull(a: number | null, b: number | null): number | null {
  return a === null || b === null ? null : a + b;
}

/** Sum of every sample of a metric family (all label sets), or null when it has none. */
export function sumMatching(text: string, name: string): number | null {
  let sum = 0;
  let any = false;
  for (const m of text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.eE+-]+)$`, 'gm'))) {
    sum += Number(m[1]);
    any = true;
  }
  return any ? sum : null;
}
