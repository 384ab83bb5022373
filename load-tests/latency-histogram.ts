/**
 * Fixed-bucket histogram for hot-path timings (0.1 ms buckets up to 10 s, one overflow bucket): recording is an array
 * increment, so the pacer can time every packet without allocating; percentiles are read at report time.
 */
export class LatencyHistogram {
  private static readonly BUCKET_MS = 0.1;
  private static readonly BUCKETS = 100_000;
  private readonly counts = new Uint32Array(LatencyHistogram.BUCKETS + 1);
  count = 0;
  maxMs = 0;
  sumMs = 0;

  record(ms: number): void {
    const v = ms < 0 ? 0 : ms;
    const b = Math.min(LatencyHistogram.BUCKETS, Math.floor(v / LatencyHistogram.BUCKET_MS));
    this.counts[b]++;
    this.count++;
    this.sumMs += v;
    if (v > this.maxMs) this.maxMs = v;
  }

  /** Upper edge of the bucket holding the p-th percentile (0..100), in ms; 0 when empty. */
  percentile(p: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (let b = 0; b < this.counts.length; b++) {
      seen += this.counts[b];
      if (seen >= rank)
        return b === LatencyHistogram.BUCKETS ? this.maxMs : Math.min(this.maxMs, (b + 1) * LatencyHistogram.BUCKET_MS);
    }
    return this.maxMs;
  }

  /** Share of samples above `ms`. */
  fractionAbove(ms: number): number {
    if (this.count === 0) return 0;
    const b0 = Math.min(LatencyHistogram.BUCKETS, Math.floor(ms / LatencyHistogram.BUCKET_MS) + 1);
    let n = 0;
    for (let b = b0; b < this.counts.length; b++) n += this.counts[b];
    return n / this.count;
  }

  summary(): LatencySummary {
    return {
      count: this.count,
      p50Ms: round3(this.percentile(50)),
      p95Ms: round3(this.percentile(95)),
      p99Ms: round3(this.percentile(99)),
      maxMs: round3(this.maxMs),
      meanMs: this.count ? round3(this.sumMs / this.count) : 0,
    };
  }
}

export interface LatencySummary {
  count: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
}

/** Percentiles of a small sample (alert latencies, per-step figures): nearest-rank on a sorted copy. */
export function summarize(values: readonly number[]): LatencySummary {
  if (!values.length) return { count: 0, p50Ms: 0, p95Ms: 0, p99Ms: 0, maxMs: 0, meanMs: 0 };
  const s = [...values].sort((a, b) => a - b);
  const at = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
  return {
    count: s.length,
    p50Ms: round3(at(50)),
    p95Ms: round3(at(95)),
    p99Ms: round3(at(99)),
    maxMs: round3(s[s.length - 1]),
    meanMs: round3(s.reduce((a, b) => a + b, 0) / s.length),
  };
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
