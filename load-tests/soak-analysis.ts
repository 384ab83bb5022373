import type { MetricsScrape } from './engine-metrics-scraper.js';

/**
 * What a soak shows about memory: the engine's RSS (and main-thread heap) sampled over a run at constant concurrency.
 *  - Memory per call: steady-state mean RSS minus the RSS of the idle engine before the soak's calls (after the warm-up
 *    calls), divided by the mean number of active calls.
 *  - Flatness: the least-squares slope of RSS against time over the steady part (after `warmUpSeconds`, while calls
 *    were still being replaced), in MB per minute, and the change between the means of its first and last quarter.
 *    A slope within ±`flatSlopeMBPerMin` counts as flat; the threshold is part of the result, so the verdict is
 *    never read without it.
 */
export interface SoakSample {
  /** Seconds since the soak's calls started. */
  t: number;
  rssMB: number;
  /** Engine main-thread V8 heap used, MB (null when /metrics did not answer). */
  heapMB: number | null;
  /** V8 heap used summed over the worker threads, MB (null when /metrics did not report it). */
  workerHeapMB?: number | null;
  /** V8 heap committed by every thread (main + workers), MB: the part of RSS the JavaScript heaps hold. */
  committedHeapMB?: number | null;
  /** The workers' model-backend memory (wasm linear memories), MB. */
  backendMB?: number | null;
  /** Call slabs (SharedArrayBuffers) live plus idle, MB. */
  slabMB?: number | null;
  /** RSS minus the committed V8 heaps, the backend memory and the slabs: code, stacks, malloc, V8's own tables. */
  unattributedMB?: number | null;
  /**
   * The file-backed and shared part of RSS (node's code, the LMDB files kept under retention): page cache, not a leak.
   */
  fileMB?: number | null;
  activeCalls: number | null;
  cpuPercent: number | null;
}

export interface SoakAnalysis {
  seconds: number;
  concurrency: number;
  warmUpSeconds: number;
  baselineRssMB: number | null;
  steady: {
    from: number;
    to: number;
    samples: number;
    meanActiveCalls: number | null;
    rssMB: { mean: number; min: number; max: number };
    heapMB: { mean: number; min: number; max: number } | null;
  };
  memoryPerCallMB: number | null;
  rssSlopeMBPerMin: number;
  heapSlopeMBPerMin: number | null;
  /** Worker heaps (summed): steady mean/min/max and slope, null when not sampled. */
  workerHeapMB: { mean: number; min: number; max: number } | null;
  workerHeapSlopeMBPerMin: number | null;
  /** Committed V8 heaps (main + workers): steady mean/min/max and slope, null when not sampled. */
  committedHeapMB: { mean: number; min: number; max: number } | null;
  committedHeapSlopeMBPerMin: number | null;
  /** The same for the backend memory, the slabs and the rest of RSS (see SoakSample). */
  backendMB: { mean: number; min: number; max: number } | null;
  backendSlopeMBPerMin: number | null;
  slabMB: { mean: number; min: number; max: number } | null;
  slabSlopeMBPerMin: number | null;
  unattributedMB: { mean: number; min: number; max: number } | null;
  unattributedSlopeMBPerMin: number | null;
  fileMB: { mean: number; min: number; max: number } | null;
  fileSlopeMBPerMin: number | null;
  anonMB: { mean: number; min: number; max: number } | null;
  anonSlopeMBPerMin: number | null;
  rssFirstToLastQuarterMB: number;
  flatSlopeMBPerMin: number;
  flat: boolean;
  /** RSS once every call had ended (after the soak), MB. */
  afterRssMB: number | null;
}

/** Least-squares slope of y against x; 0 with fewer than two distinct x. */
export function slope(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length;
  if (n < 2) return 0;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
  }
  return sxx > 0 ? sxy / sxx : 0;
}

function stats(v: readonly number[]): { mean: number; min: number; max: number } {
  return {
    mean: round1(v.reduce((a, b) => a + b, 0) / v.length),
    min: round1(Math.min(...v)),
    max: round1(Math.max(...v)),
  };
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

/** Steady stats and slope (MB/min, 2 decimals) of a series some samples lack; nulls when too few have it. */
function optionalSeries(
  steady: readonly SoakSample[],
  pick: (s: SoakSample) => number | null | undefined,
): { stats: { mean: number; min: number; max: number } | null; slope: number | null } {
  const pts = steady.flatMap((s) => {
    const v = pick(s);
    return v == null ? [] : [{ minute: s.t / 60, v }];
  });
  return {
    stats: pts.length ? stats(pts.map((p) => p.v)) : null,
    slope:
      pts.length >= 2
        ? Math.round(
            slope(
              pts.map((p) => p.minute),
              pts.map((p) => p.v),
            ) * 100,
          ) / 100
        : null,
  };
}

export function analyseSoak(o: {
  samples: readonly SoakSample[];
  seconds: number;
  concurrency: number;
  warmUpSeconds: number;
  baselineRssMB: number | null;
  afterRssMB: number | null;
  flatSlopeMBPerMin?: number;
}): SoakAnalysis {
  const flatSlope = o.flatSlopeMBPerMin ?? 0.5;
  const steady = o.samples.filter((s) => s.t >= o.warmUpSeconds && s.t <= o.seconds);
  if (steady.length < 4)
    throw new Error(
      `soak: ${steady.length} samples after the ${o.warmUpSeconds} s warm-up; the soak is too short to judge`,
    );
  const minutes = steady.map((s) => s.t / 60);
  const rss = steady.map((s) => s.rssMB);
  const heap = optionalSeries(steady, (s) => s.heapMB);
  const workerHeap = optionalSeries(steady, (s) => s.workerHeapMB);
  const committedHeap = optionalSeries(steady, (s) => s.committedHeapMB);
  const backend = optionalSeries(steady, (s) => s.backendMB);
  const slab = optionalSeries(steady, (s) => s.slabMB);
  const unattributed = optionalSeries(steady, (s) => s.unattributedMB);
  const file = optionalSeries(steady, (s) => s.fileMB);
  const anon = optionalSeries(steady, anonMB);
  const active = steady.filter((s) => s.activeCalls !== null).map((s) => s.activeCalls!);
  const meanActive = active.length ? active.reduce((a, b) => a + b, 0) / active.length : null;
  const q = Math.max(1, Math.floor(steady.length / 4));
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  const rssSlope = slope(minutes, rss);
  const rssStats = stats(rss);
  return {
    seconds: o.seconds,
    concurrency: o.concurrency,
    warmUpSeconds: o.warmUpSeconds,
    baselineRssMB: o.baselineRssMB,
    steady: {
      from: steady[0].t,
      to: steady[steady.length - 1].t,
      samples: steady.length,
      meanActiveCalls: meanActive === null ? null : round1(meanActive),
      rssMB: rssStats,
      heapMB: heap.stats,
    },
    memoryPerCallMB:
      o.baselineRssMB !== null && meanActive
        ? Math.round(((rssStats.mean - o.baselineRssMB) / meanActive) * 100) / 100
        : null,
    rssSlopeMBPerMin: Math.round(rssSlope * 100) / 100,
    heapSlopeMBPerMin: heap.slope,
    workerHeapMB: workerHeap.stats,
    workerHeapSlopeMBPerMin: workerHeap.slope,
    committedHeapMB: committedHeap.stats,
    committedHeapSlopeMBPerMin: committedHeap.slope,
    backendMB: backend.stats,
    backendSlopeMBPerMin: backend.slope,
    slabMB: slab.stats,
    slabSlopeMBPerMin: slab.slope,
    unattributedMB: unattributed.stats,
    unattributedSlopeMBPerMin: unattributed.slope,
    fileMB: file.stats,
    fileSlopeMBPerMin: file.slope,
    anonMB: anon.stats,
    anonSlopeMBPerMin: anon.slope,
    rssFirstToLastQuarterMB: round1(mean(rss.slice(-q)) - mean(rss.slice(0, q))),
    flatSlopeMBPerMin: flatSlope,
    flat: Math.abs(rssSlope) <= flatSlope,
    afterRssMB: o.afterRssMB,
  };
}

/**
 * RSS minus its file-backed part (heaps, slabs, wasm, malloc, stacks: where a leak would show), null when not sampled.
 */
export function anonMB(s: Pick<SoakSample, 'rssMB' | 'fileMB'>): number | null {
  return s.fileMB == null ? null : Math.round((s.rssMB - s.fileMB) * 10) / 10;
}

/** Bytes in the unit of the soak's RSS samples (/proc reports kB, which they divide by 1024), one decimal. */
export function mib(bytes: number): number {
  return Math.round((bytes / 2 ** 20) * 10) / 10;
}

/**
 * The RSS split into what the engine's gauges account for (MB of 2^20 bytes like the RSS samples, one decimal), and the
 * rest.
 */
export function memoryParts(
  rssMB: number,
  m: Pick<MetricsScrape, 'heapTotalBytes' | 'workerHeapTotalBytes' | 'workerBackendBytes' | 'slabBytes'> | undefined,
): Pick<SoakSample, 'committedHeapMB' | 'backendMB' | 'slabMB' | 'unattributedMB'> {
  const committed =
    m?.heapTotalBytes != null && m.workerHeapTotalBytes != null ? m.heapTotalBytes + m.workerHeapTotalBytes : null;
  const backend = m?.workerBackendBytes ?? null;
  const slab = m?.slabBytes ?? null;
  return {
    committedHeapMB: committed === null ? null : mib(committed),
    backendMB: backend === null ? null : mib(backend),
    slabMB: slab === null ? null : mib(slab),
    unattributedMB:
      committed === null || backend === null || slab === null
        ? null
        : Math.round((rssMB - (committed + backend + slab) / 2 ** 20) * 10) / 10,
  };
}
