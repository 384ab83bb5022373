import { scoreAlerts, type AlertScore } from './alert-scoring.js';
import type { CallResult } from './call-generator.js';
import type { PlannedCall } from './call-plan.js';
import { summarizeHistogram, type HistogramSummary } from './engine-metrics-scraper.js';
import type { EngineSession } from './engine-session.js';
import type { ChartPoint } from './load-chart.js';
import type { StepReport } from './step-report.js';
import { runStep, sessionStepContext } from './load-step.js';
import type { MachineCpuSampler } from './proc-sampler.js';
import { analyseSoak, anonMB, memoryParts, mib, type SoakAnalysis, type SoakSample } from './soak-analysis.js';

/**
 * `--soak S`: hold a constant number of calls for S seconds (calls replaced as they end, see soak-plan.ts) against a
 * spawned engine, sampling its RSS every second (/proc), its main-thread heap (/metrics) and its active calls
 * (GET /calls), then judge memory per call and whether RSS stays flat (soak-analysis.ts).
 */
export interface SoakResult {
  analysis: SoakAnalysis;
  samples: SoakSample[];
  step: StepReport;
  alerts: AlertScore;
  calls: CallResult[];
  /** Over the steady part (after warm-up, until the last call started). */
  steady: {
    verdictLatencyMs: HistogramSummary | null;
    lagSeconds: { p50: number; p99: number; max: number } | null;
    engineCpuPercentMean: number | null;
    otherCpuPercentMean: number | null;
  };
}

export interface SoakOptions {
  session: EngineSession;
  plan: PlannedCall[];
  warmUp: PlannedCall[];
  concurrency: number;
  seconds: number;
  warmUpSeconds: number;
  machine: MachineCpuSampler;
  chartPoints: ChartPoint[];
  lagThresholdSeconds: number;
  log(line: string): void;
}

export async function runSoak(o: SoakOptions): Promise<SoakResult> {
  const s = o.session;
  if (!s.sampler) throw new Error('--soak measures the engine process: it needs a spawned engine (no --target)');
  const ctx = sessionStepContext(s, o);
  await runStep({ ...ctx, chartPoints: [], log: () => {} }, o.warmUp, o.warmUp.length, 'warm-up');
  await sleep(5000);
  const idle = s.sampler.samples.slice(-3);
  const baselineRssMB = idle.length
    ? Math.round((idle.reduce((a, x) => a + x.rssMB, 0) / idle.length) * 10) / 10
    : null;
  o.log(
    `soak: idle engine RSS ${baselineRssMB} MB; ${o.plan.length} calls keep ${o.concurrency} up for ${o.seconds} s`,
  );
  const t0 = Date.now();
  const { step, result } = await runStep(ctx, o.plan, o.concurrency, 'soak');
  await sleep(10000);
  const afterRssMB = s.sampler.last?.rssMB ?? null;

  const scrapes = s.scraper?.scrapes ?? [];
  const polls = s.poller?.samples ?? [];
  const nearest = <T extends { t: number }>(xs: readonly T[], t: number, within: number): T | undefined => {
    let best: T | undefined;
    for (const x of xs)
      if (Math.abs(x.t - t) <= within && (!best || Math.abs(x.t - t) < Math.abs(best.t - t))) best = x;
    return best;
  };
  const samples: SoakSample[] = s.sampler.samples
    .filter((x) => x.t >= t0)
    .map((x) => {
      const m = nearest(scrapes, x.t, 2500);
      const p = nearest(polls, x.t, 1500);
      return {
        t: Math.round((x.t - t0) / 100) / 10,
        rssMB: x.rssMB,
        heapMB: m?.heapUsedBytes != null ? mib(m.heapUsedBytes) : null,
        workerHeapMB: m?.workerHeapUsedBytes != null ? mib(m.workerHeapUsedBytes) : null,
        ...memoryParts(x.rssMB, m),
        fileMB: x.rssFileMB,
        activeCalls: p ? p.activeCalls : null,
        cpuPercent: x.cpuPercent,
      };
    });
  const analysis = analyseSoak({
    samples,
    seconds: o.seconds,
    concurrency: o.concurrency,
    warmUpSeconds: o.warmUpSeconds,
    baselineRssMB,
    afterRssMB,
  });

  const from = t0 + o.warmUpSeconds * 1000;
  const to = t0 + o.seconds * 1000;
  const verdict = s.scraper?.between('callguard_window_verdict_latency_seconds', from, to);
  const lags = polls
    .filter((x) => x.t >= from && x.t <= to && x.activeCalls > 0)
    .map((x) => x.maxLagSeconds)
    .sort((a, b) => a - b);
  const q = (p: number) => lags[Math.min(lags.length - 1, Math.max(0, Math.ceil((p / 100) * lags.length) - 1))];
  const cpu = s.sampler.samples.filter((x) => x.t >= from && x.t <= to);
  const engineCpu = cpu.length ? Math.round((cpu.reduce((a, x) => a + x.cpuPercent, 0) / cpu.length) * 10) / 10 : null;
  const machine = o.machine.mean(from, to);
  return {
    analysis,
    samples,
    step,
    alerts: scoreAlerts(result.calls, s.smsc.received),
    calls: result.calls,
    steady: {
      verdictLatencyMs: verdict ? summarizeHistogram(verdict.histogram, 1000) : null,
      lagSeconds: lags.length ? { p50: q(50), p99: q(99), max: lags[lags.length - 1] } : null,
      engineCpuPercentMean: engineCpu,
      // Everything but the engine and this generator process (which uses about a tenth of a core at this load).
      otherCpuPercentMean:
        machine !== null && engineCpu !== null
          ? Math.max(0, Math.round((machine - engineCpu - step.generator.cpuPercent) * 10) / 10)
          : null,
    },
  };
}

/** The soak section of the report: verdict, figures, and the samples every 30 s. */
export function soakMarkdown(r: SoakResult, chartFile: string | null): string[] {
  const a = r.analysis;
  const L: string[] = ['## Soak', ''];
  const anonAndFile =
    a.anonSlopeMBPerMin === null
      ? ''
      : `; anonymous RSS ${a.anonSlopeMBPerMin} MB/min, file-backed ${a.fileSlopeMBPerMin} MB/min`;
  L.push(
    `**${a.concurrency} concurrent two-leg calls held for ${a.seconds} s (calls replaced as they end; ` +
      `${r.calls.length} calls in all). RSS ${a.flat ? 'flat' : 'NOT flat'}: ${a.rssSlopeMBPerMin} MB/min after the ` +
      `${a.warmUpSeconds} s warm-up (flat means within ±${a.flatSlopeMBPerMin} MB/min)${anonAndFile}. ` +
      `Memory per call: ${a.memoryPerCallMB ?? 'n/a'} MB.**`,
    '',
  );
  if (chartFile) L.push(`![RSS and heap over the soak](${chartFile})`, '');
  L.push('| figure | value |', '|---|---|');
  L.push(`| idle engine RSS before the soak (after 5 warm-up calls) | ${a.baselineRssMB ?? 'n/a'} MB |`);
  L.push(
    `| steady part judged | ${a.steady.from}–${a.steady.to} s, ${a.steady.samples} ` +
      `samples, ${a.steady.meanActiveCalls ?? 'n/a'} active calls on average |`,
  );
  L.push(`| RSS mean / min / max | ${a.steady.rssMB.mean} / ${a.steady.rssMB.min} / ${a.steady.rssMB.max} MB |`);
  L.push(`| RSS slope (least squares) | ${a.rssSlopeMBPerMin} MB/min |`);
  L.push(`| RSS last quarter minus first quarter | ${a.rssFirstToLastQuarterMB} MB |`);
  const row = (label: string, x: { mean: number; min: number; max: number } | null, slope: number | null) =>
    L.push(
      `| ${label} mean / min / max, slope | ${x ? `${x.mean} / ${x.min} / ${x.max} MB, ${slope} MB/min` : 'n/a'} |`,
    );
  row('main-thread heap', a.steady.heapMB, a.heapSlopeMBPerMin);
  row('worker heaps (sum)', a.workerHeapMB, a.workerHeapSlopeMBPerMin);
  row('V8 heaps committed (main + workers)', a.committedHeapMB, a.committedHeapSlopeMBPerMin);
  row('wasm memory of the model backends (workers, sum)', a.backendMB, a.backendSlopeMBPerMin);
  row('call slabs (SharedArrayBuffers, live + idle)', a.slabMB, a.slabSlopeMBPerMin);
  row(
    'rest of RSS (RSS − V8 heaps committed − wasm − slabs: code, stacks, malloc, V8 tables; committed ' +
      'sizes are subtracted, so a lower bound)',
    a.unattributedMB,
    a.unattributedSlopeMBPerMin,
  );
  row(
    "file-backed RSS (RssFile + RssShmem: node's code, the LMDB files kept under retention; page cache)",
    a.fileMB,
    a.fileSlopeMBPerMin,
  );
  row(
    'anonymous RSS (RSS − file-backed: heaps, slabs, wasm, malloc, stacks; where a leak would show)',
    a.anonMB,
    a.anonSlopeMBPerMin,
  );
  L.push(`| memory per call ((mean RSS − idle RSS) / mean active calls) | ${a.memoryPerCallMB ?? 'n/a'} MB |`);
  L.push(`| RSS 10 s after the last call ended | ${a.afterRssMB ?? 'n/a'} MB |`);
  const v = r.steady.verdictLatencyMs;
  const verdict = v ? `${v.p50} / ${v.p95} / ${v.p99} ms over ${v.count} windows` : 'n/a';
  L.push(`| verdict latency p50 / p95 / p99 (engine, steady part) | ${verdict} |`);
  const lag = r.steady.lagSeconds;
  L.push(`| engine lag p50 / p99 / max (steady part) | ${lag ? `${lag.p50} / ${lag.p99} / ${lag.max} s` : 'n/a'} |`);
  L.push(`| engine CPU mean (steady part) | ${r.steady.engineCpuPercentMean ?? 'n/a'} % of one core |`);
  L.push(
    `| other processes' CPU mean (steady part; the machine was shared) ` +
      `| ${r.steady.otherCpuPercentMean ?? 'n/a'} % of one core |`,
  );
  L.push(
    `| RTP lost, ring overrun samples (whole soak) ` +
      `| ${r.step.rtpPacketsLost ?? 'n/a'}, ${r.step.ringOverrunSamples ?? 'n/a'} |`,
  );
  L.push(`| calls failed | ${r.step.generator.failed} ${JSON.stringify(r.step.generator.failures)} |`);
  L.push(
    `| alerts: scam-like calls alerted, false alerts on calm calls ` +
      `| ${r.alerts.alertedScam}/${r.alerts.scamCalls} ` +
      `(recall ${r.alerts.recall}), ${r.alerts.falseAlerts}/${r.alerts.calmCalls} |`,
  );
  L.push('');
  L.push('Samples every 30 s (from the 1 s series in report.json):', '');
  L.push(
    '| t s | active calls | RSS MB | anonymous MB | file-backed MB | main heap MB | worker heaps MB | V8 heaps ' +
      'committed MB | wasm MB | slabs MB | rest MB | engine CPU % |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
  );
  let next = 0;
  for (const x of r.samples) {
    if (x.t < next) continue;
    next = Math.floor(x.t / 30) * 30 + 30;
    L.push(
      `| ${x.t} | ${x.activeCalls ?? 'n/a'} | ${x.rssMB} | ${anonMB(x) ?? 'n/a'} | ${x.fileMB ?? 'n/a'} ` +
        `| ${x.heapMB ?? 'n/a'} | ${x.workerHeapMB ?? 'n/a'} | ${x.committedHeapMB ?? 'n/a'} ` +
        `| ${x.backendMB ?? 'n/a'} | ${x.slabMB ?? 'n/a'} | ${x.unattributedMB ?? 'n/a'} ` +
        `| ${x.cpuPercent ?? 'n/a'} |`,
    );
  }
  L.push('');
  return L;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
