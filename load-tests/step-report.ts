import type { GeneratorSummary } from './call-generator.js';
import type { HistogramSummary } from './engine-metrics-scraper.js';

/**
 * One measured step of a load run (a ramp level, a run, a soak or a comparison variant), as the report keeps it. In
 * its own module because the step runner, the comparison, the soak and the report all read it. Field names say their
 * unit.
 */
export interface StepReport {
  /** What the step was: a ramp level, 'run', 'soak' or a comparison variant's name. */
  label?: string;
  /** Concurrency asked for (ramp level) or the run's call count. */
  targetConcurrency: number;
  calls: number;
  /** Calls with media flowing at once, as the generator counted them. */
  maxConcurrentMedia: number;
  /** The steady window measured: from the last call answered to the first call ended, epoch ms. */
  window: { from: number; to: number };
  /** All processes on the box over the window, % of one core; `other` = machine - engine - generator (a shared box). */
  machineCpuPercent: number | null;
  otherCpuPercent: number | null;
  engine: {
    cpuPercentMean: number;
    cpuPercentPeak: number;
    /**
     * The engine's main thread alone (SIP, scheduling, SMPP, HTTP; RTP too without I/O threads): one thread, so about
     * 100 at most.
     */
    mainThreadCpuPercentMean?: number | null;
    /** The RTP I/O threads together (the engine's own busy-time gauge, differenced over the window), % of one core. */
    ioThreadsCpuPercent?: number | null;
    peakRssMB: number;
    threads: number;
  } | null;
  /** Engine lag from GET /calls over the window, seconds (per sample: the worst call). */
  lagSeconds: { p50: number; p95: number; p99: number; max: number; samples: number } | null;
  /** RTP packets the engine counted lost, and ring overrun samples, on this step's calls. */
  rtpPacketsLost: number | null;
  ringOverrunSamples: number | null;
  /** Per-leg audio the engine received vs what was sent, worst shortfall in seconds (last poll of each call). */
  audioShortfallSeconds: number | null;
  /** Calls of the step that reached media, and how many of them GET /calls listed at least once (null: not polled). */
  callsInMedia: number;
  callsSeenByEngine: number | null;
  generator: GeneratorSummary;
  /** The engine's own histograms (GET /metrics), null when it has none. */
  engineMetrics: EngineStepMetrics | null;
  sustainable: boolean;
  /** Why not sustainable (or why the verdict is the generator's fault). */
  reasons: string[];
}

/**
 * From the engine's /metrics, differenced between scrapes (every 2 s) inside the steady window, so percentiles are
 * interpolated inside the engine's buckets. Verdict latency: per scored window, arrival of its last RTP packet at
 * ingest to its verdict at the supervisor, ms. Inference: windows per predict and ms per predict.
 */
export interface EngineStepMetrics {
  steadySpanMs: number;
  verdictLatencyMs: HistogramSummary | null;
  /** Every window of the step, arrivals and departures included. */
  verdictLatencyMsWholeStep: HistogramSummary;
  inferenceBatch: HistogramSummary | null;
  inferenceMs: HistogramSummary | null;
  predictsPerSecond: number | null;
  windowsPerSecond: number | null;
  /** Tasks the supervisor handed to the worker pool per second (each posts one message to a worker). */
  poolTasksPerSecond?: number | null;
}

/**
 * " (main / I/O)" after the engine's CPU in the tables: the main thread's share and the RTP I/O threads' (when any).
 */
export function mainAndIo(e: {
  mainThreadCpuPercentMean?: number | null;
  ioThreadsCpuPercent?: number | null;
}): string {
  if (e.mainThreadCpuPercentMean == null) return '';
  return e.ioThreadsCpuPercent != null
    ? ` (${e.mainThreadCpuPercentMean} / ${e.ioThreadsCpuPercent})`
    : ` (${e.mainThreadCpuPercentMean})`;
}
