import { CallGenerator, type GeneratorResult } from './call-generator.js';
import type { PlannedCall } from './call-plan.js';
import type { EngineCallsPoller } from './engine-calls-poller.js';
import { summarizeHistogram, type EngineMetricsScraper } from './engine-metrics-scraper.js';
import type { ChartPoint } from './load-chart.js';
import type { EngineStepMetrics, StepReport } from './step-report.js';
import type { MachineCpuSampler, ProcSampler } from './proc-sampler.js';

/**
 * One measured level of load: run a plan through the generator while sampling the engine (CPU/RSS from /proc, lag and
 * loss from GET /calls), then judge it over its steady window — the span when every call of the step was in media.
 */
export interface StepContext {
  target: { host: string; port: number };
  poller: EngineCallsPoller | null;
  sampler: ProcSampler | null;
  /** GET /metrics: the engine's own verdict latency and inference histograms. */
  scraper: EngineMetricsScraper | null;
  machine: MachineCpuSampler | null;
  /** Samples for the chart are appended here. */
  chartPoints: ChartPoint[];
  /** Engine lag (s) above which a level is not sustainable. */
  lagThresholdSeconds: number;
  /** Generator send lag p99 (ms) above which the generator, not the engine, is the bottleneck. */
  generatorLagLimitMs: number;
  log(line: string): void;
  engineExited(): boolean;
}

/** Generator send lag p99 (ms) above which a level is the generator's fault, not the engine's. */
export const GENERATOR_LAG_LIMIT_MS = 20;

/** What a step reads from an engine session (engine-session.ts): its SIP target, pollers and samplers. */
export interface StepSession {
  readonly target: { host: string; port: number };
  readonly poller: EngineCallsPoller | null;
  readonly sampler: ProcSampler | null;
  readonly scraper: EngineMetricsScraper | null;
  readonly engine: { exited(): boolean } | null;
}

/** The step context of an engine session, for one run, ramp, comparison variant or soak. */
export function sessionStepContext(
  s: StepSession,
  o: {
    machine: MachineCpuSampler | null;
    chartPoints: ChartPoint[];
    lagThresholdSeconds: number;
    log(line: string): void;
  },
): StepContext {
  return {
    target: s.target,
    poller: s.poller,
    sampler: s.sampler,
    scraper: s.scraper,
    machine: o.machine,
    chartPoints: o.chartPoints,
    lagThresholdSeconds: o.lagThresholdSeconds,
    generatorLagLimitMs: GENERATOR_LAG_LIMIT_MS,
    log: o.log,
    engineExited: () => s.engine?.exited() ?? false,
  };
}

export async function runStep(
  ctx: StepContext,
  plan: PlannedCall[],
  targetConcurrency: number,
  label: string,
): Promise<{ step: StepReport; result: GeneratorResult }> {
  const gen = new CallGenerator({ target: ctx.target, calls: plan });
  const first = await ctx.scraper?.scrape();
  await gen.start();
  let lastLog = 0;
  const tick = setInterval(() => {
    const now = Date.now();
    const poll = ctx.poller?.last;
    const proc = ctx.sampler?.last;
    ctx.chartPoints.push({
      concurrency: gen.mediaCalls,
      lagMs: poll && now - poll.t < 2500 ? Math.round(poll.maxLagSeconds * 1000) : null,
      cpuPercent: proc && now - proc.t < 2500 ? proc.cpuPercent : null,
      mainThreadCpuPercent: proc && now - proc.t < 2500 ? proc.mainThreadCpuPercent : null,
      series: label,
    });
    if (now - lastLog >= 5000) {
      lastLog = now;
      const p = gen.pacerStats;
      ctx.log(
        `[${label}] media calls ${gen.mediaCalls}, engine CPU ${proc?.cpuPercent ?? '?'}% (main ` +
          `thread ${proc?.mainThreadCpuPercent ?? '?'}%) RSS ${proc?.rssMB ?? '?'} MB, lag ` +
          `max ${poll ? poll.maxLagSeconds.toFixed(3) : '?'} s, RTP lost ${poll?.packetsLost ?? '?'}, send lag ` +
          `p99 ${p.sendLag.percentile(99).toFixed(1)} ms`,
      );
    }
  }, 1000);
  const result = await gen.done;
  clearInterval(tick);
  await ctx.poller?.poll(); // the latest counters of calls that just ended are gone; this catches the last live ones
  // Windows of the last calls are scored after their BYE (the final partial ones): give them a moment to land.
  await new Promise((r) => setTimeout(r, 1500));
  const last = await ctx.scraper?.scrape();
  const step = judge(ctx, plan, targetConcurrency, result);
  step.label = label;
  step.engineMetrics = engineMetrics(ctx.scraper, step.window, first?.t, last?.t);
  const v = step.engineMetrics?.verdictLatencyMs;
  if (v?.p99 != null)
    ctx.log(
      `[${label}] verdict latency (engine, steady window) p50 ${v.p50} ms, p99 ${v.p99} ms over ${v.count} windows`,
    );
  return { step, result };
}

/** The engine's histograms over the steady window (and the whole step), differenced between /metrics scrapes. */
function engineMetrics(
  scraper: EngineMetricsScraper | null,
  window: { from: number; to: number },
  first: number | undefined,
  last: number | undefined,
): EngineStepMetrics | null {
  if (!scraper || first === undefined || last === undefined) return null;
  const steady = (name: string) => scraper.between(name, window.from, window.to);
  const whole = scraper.between('callguard_window_verdict_latency_seconds', first, last);
  const verdict = steady('callguard_window_verdict_latency_seconds');
  const batch = steady('callguard_inference_batch_size');
  const infer = steady('callguard_inference_seconds');
  if (!whole) return null;
  return {
    steadySpanMs: verdict ? verdict.to - verdict.from : 0,
    verdictLatencyMs: verdict ? summarizeHistogram(verdict.histogram, 1000) : null,
    verdictLatencyMsWholeStep: summarizeHistogram(whole.histogram, 1000),
    inferenceBatch: batch ? summarizeHistogram(batch.histogram) : null,
    inferenceMs: infer ? summarizeHistogram(infer.histogram, 1000) : null,
    predictsPerSecond:
      batch && batch.to > batch.from
        ? Math.round((batch.histogram.count / ((batch.to - batch.from) / 1000)) * 10) / 10
        : null,
    windowsPerSecond:
      verdict && verdict.to > verdict.from
        ? Math.round((verdict.histogram.count / ((verdict.to - verdict.from) / 1000)) * 10) / 10
        : null,
    poolTasksPerSecond: scraper.poolTasksPerSecond(window.from, window.to),
  };
}

function judge(ctx: StepContext, plan: PlannedCall[], targetConcurrency: number, result: GeneratorResult): StepReport {
  const calls = result.calls.filter((c) => c.mediaStartAt > 0);
  let from = Math.max(0, ...calls.map((c) => c.mediaStartAt));
  let to = Math.min(Infinity, ...calls.map((c) => c.mediaEndAt || Infinity));
  if (!(to - from >= 2000)) {
    // Calls never all overlapped (arrivals spread wider than durations): judge over the whole media span.
    from = Math.min(...calls.map((c) => c.mediaStartAt));
    to = Math.max(...calls.map((c) => c.mediaEndAt || c.endedAt));
  }
  const reasons: string[] = [];
  const s = result.summary;
  if (s.failed)
    reasons.push(
      `${s.failed} calls failed (${Object.entries(s.failures)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')})`,
    );
  if (ctx.engineExited()) reasons.push('the engine process exited');

  const proc = ctx.sampler ? ctx.sampler.samples.filter((x) => x.t >= from && x.t <= to) : [];
  const engine = proc.length
    ? {
        cpuPercentMean: meanOf(proc.map((x) => x.cpuPercent)) ?? 0,
        cpuPercentPeak: Math.max(...proc.map((x) => x.cpuPercent)),
        mainThreadCpuPercentMean: meanOf(proc.map((x) => x.mainThreadCpuPercent)),
        ioThreadsCpuPercent: ctx.scraper?.ioThreadsCpuPercent(from, to) ?? null,
        peakRssMB: Math.max(...proc.map((x) => x.rssMB)),
        threads: Math.max(...proc.map((x) => x.threads)),
      }
    : null;

  let lagSeconds: StepReport['lagSeconds'] = null;
  let lost: number | null = null;
  let overrun: number | null = null;
  let shortfall: number | null = null;
  let seen: number | null = null;
  const poller = ctx.poller;
  if (poller?.available) {
    const lags = poller.samples
      .filter((x) => x.t >= from && x.t <= to && x.activeCalls > 0)
      .map((x) => x.maxLagSeconds)
      .sort((a, b) => a - b);
    const q = (p: number) =>
      lags.length ? lags[Math.min(lags.length - 1, Math.ceil((p / 100) * lags.length) - 1)] : 0;
    lagSeconds = {
      p50: q(50),
      p95: q(95),
      p99: q(99),
      max: lags.length ? lags[lags.length - 1] : 0,
      samples: lags.length,
    };
    lost = 0;
    overrun = 0;
    shortfall = 0;
    const byId = new Map(result.calls.map((c) => [c.callId, c]));
    for (const p of plan) {
      const pc = poller.calls.get(p.callId);
      const c = byId.get(p.callId);
      if (!pc || !c || !c.mediaStartAt) continue;
      lost += pc.packetsLost.reduce((a, b) => a + b, 0);
      overrun += pc.overrunSamples.reduce((a, b) => a + b, 0);
      // What had been sent by the last poll that saw the call, less what the engine said it had received.
      const sent = Math.min(p.durationSeconds, Math.max(0, (pc.lastSeenAt - c.mediaStartAt) / 1000));
      const got = pc.secondsReceived.length ? Math.min(...pc.secondsReceived) : 0;
      shortfall = Math.max(shortfall, Math.round((sent - got) * 1000) / 1000);
    }
    seen = calls.filter((c) => poller.calls.has(c.callId)).length;
    // A call that two or more answers of GET /calls, taken while it was in media, did not list was not analysed
    // (refused, or lost between SIP and the supervisor), whatever its SIP outcome says. Counted in answers, not
    // seconds: a busy engine answers less often than once a second.
    const answered = poller.samples.map((x) => x.t);
    const unseen = calls.filter((c) => {
      if (poller.calls.has(c.callId)) return false;
      const end = c.mediaEndAt || c.endedAt || Infinity;
      return answered.filter((t) => t >= c.mediaStartAt && t <= end).length >= 2;
    }).length;
    if (unseen > 0)
      reasons.push(
        `the engine never listed ${unseen} calls that were in media through two or more answers of GET /calls`,
      );
    if (lagSeconds.max > ctx.lagThresholdSeconds)
      reasons.push(`engine lag ${lagSeconds.max.toFixed(3)} s > ${ctx.lagThresholdSeconds} s`);
    if (lost > 0) reasons.push(`RTP loss: ${lost} packets`);
    if (overrun > 0) reasons.push(`ring overruns: ${overrun} samples`);
  }
  if (s.rtp.sendLag.p99Ms > ctx.generatorLagLimitMs) {
    reasons.push(
      `GENERATOR fell behind (send lag p99 ${s.rtp.sendLag.p99Ms} ms > ${ctx.generatorLagLimitMs} ms): the ` +
        `engine's figures at this level are not trustworthy`,
    );
  }
  const machine = ctx.machine?.mean(from, to) ?? null;
  const other = machine !== null && engine ? machine - engine.cpuPercentMean - s.cpuPercent : null;
  if (other !== null && other > 50)
    reasons.push(
      `SHARED BOX: other processes used ${Math.round(other)}% of a core during the window; measure on an idle machine`,
    );
  return {
    targetConcurrency,
    machineCpuPercent: machine,
    otherCpuPercent: other === null ? null : Math.max(0, Math.round(other * 10) / 10),
    calls: plan.length,
    maxConcurrentMedia: s.maxConcurrentMedia,
    window: { from, to },
    engine,
    lagSeconds,
    rtpPacketsLost: lost,
    ringOverrunSamples: overrun,
    audioShortfallSeconds: shortfall,
    callsInMedia: calls.length,
    callsSeenByEngine: seen,
    generator: s,
    engineMetrics: null,
    sustainable: reasons.length === 0,
    reasons,
  };
}

/** Mean of the known values to one decimal, null when there are none. */
function meanOf(xs: ReadonlyArray<number | null>): number | null {
  const known = xs.filter((x): x is number => x !== null);
  return known.length ? Math.round((known.reduce((a, x) => a + x, 0) / known.length) * 10) / 10 : null;
}
