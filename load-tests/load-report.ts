import { speechMarkdown, type SpeechLoadSummary } from './speech-summary.js';
import type { AlertScore } from './alert-scoring.js';
import type { HistogramSummary } from './engine-metrics-scraper.js';
import { compareMarkdown, type VariantResult } from './load-compare.js';
import type { SoakAnalysis, SoakSample } from './soak-analysis.js';
import { provenanceMarkdown, type RunCommit, type RunMachine } from './run-provenance.js';
import { mainAndIo, type StepReport } from './step-report.js';
import { soakMarkdown, type SoakResult } from './soak-run.js';

/**
 * The load report: one JSON document (everything measured, for machines and later comparison) and a Markdown page
 * (the figures a person asks for first). Field names say their unit.
 */
export interface LoadReport {
  tool: 'callguard load-tests/run-load';
  startedAt: string;
  finishedAt: string;
  /** The checkout that ran (git rev-parse HEAD and whether tracked files differed), null when not a git checkout. */
  commit: RunCommit | null;
  /** The machine that ran it: cores, CPU model, memory, Node, load average at the start and the end. */
  machine: RunMachine;
  mode: 'run' | 'ramp' | 'sipp' | 'compare' | 'soak';
  options: Record<string, unknown>;
  target: { sip: string; http: string | null; spawned: boolean; pid: number | null; note: string };
  clips: string;
  method: string[];
  steps: StepReport[];
  /** Ramp: the highest level that kept up; run: the run's level if it kept up, else null. */
  sustainedConcurrentCalls: number | null;
  /** The issue's bar, stricter than keeping up: see withinLatencyTarget. */
  withinLatencyTarget?: LatencyTargetResult;
  alerts: AlertScore | null;
  /** Alerts as the engine itself listed them in GET /calls (policy decisions, whether or not an SMS went out). */
  engineListedAlerts: { scamCalls: number; calmCalls: number } | null;
  /**
   * Audio-to-verdict latency per window in ms, as the engine measured it (the last step's steady window); else why not.
   */
  verdictLatency: (HistogramSummary & { source: string }) | { unavailable: string };
  sippCrossCheck?: unknown;
  /** --compare: one result per engine variant, same plan. */
  compare?: VariantResult[];
  /** --soak: the memory verdict, steady-part figures and every sample. */
  soak?: { analysis: SoakAnalysis; steady: SoakResult['steady']; alerts: SoakResult['alerts']; samples: SoakSample[] };
  /** --conversation spoken: the content path under load (slots, coverage, intents, alerts by basis). */
  speech?: SpeechLoadSummary;
  errors: string[];
}

/** Verdict p99 the capacity target asks for (audio-to-verdict, per window). */
export const VERDICT_P99_TARGET_MS = 250;

/** The level held to the full target, or why none is known. */
export interface LatencyTargetResult {
  p99LimitMs: number;
  /** Calls of the highest level held to it (a ramp's level; a single run's most concurrent calls in media). */
  calls: number | null;
  /** True when the first level that is not held lacked the data to judge it (no engine histogram, no GET /calls). */
  unknown: boolean;
}

/**
 * The highest level held to the full target: it and every level below it kept up, scored their windows with a steady
 * verdict p99 within `p99LimitMs`, and lost no RTP and no ring samples. `calls` is null when the first level misses.
 */
export function withinLatencyTarget(
  steps: readonly StepReport[],
  p99LimitMs = VERDICT_P99_TARGET_MS,
): LatencyTargetResult {
  let calls: number | null = null;
  for (const s of [...steps].sort((a, b) => a.targetConcurrency - b.targetConcurrency)) {
    const p99 = s.engineMetrics?.verdictLatencyMs?.p99 ?? null;
    if (p99 === null || s.rtpPacketsLost === null || s.ringOverrunSamples === null)
      return { p99LimitMs, calls, unknown: s.sustainable };
    if (!(s.sustainable && p99 <= p99LimitMs && s.rtpPacketsLost === 0 && s.ringOverrunSamples === 0)) break;
    calls = s.label === 'run' ? s.maxConcurrentMedia : s.targetConcurrency;
  }
  return { p99LimitMs, calls, unknown: false };
}

/** The target result as one phrase: the calls, 'none', or 'unknown' when the data to judge was missing. */
export function latencyTargetText(r: LatencyTargetResult): string {
  return r.calls !== null
    ? String(r.calls)
    : r.unknown
      ? 'unknown (no verdict histogram or loss counts from the engine)'
      : 'none';
}

export function reportMarkdown(r: LoadReport, chartFile: string | null, soak: SoakResult | null = null): string {
  const L: string[] = [];
  L.push(`# callguard load report (${r.mode})`, '');
  const engine = !r.target.spawned
    ? 'external engine'
    : r.target.pid === null
      ? 'one engine spawned per variant'
      : `engine spawned as pid ${r.target.pid}`;
  L.push(
    `${r.startedAt} → ${r.finishedAt}. Target: SIP ${r.target.sip}, HTTP ${r.target.http ?? 'none'}, ` +
      `${engine}. ${r.target.note}`,
  );
  L.push(`Audio: ${r.clips}.`, '');
  L.push(...provenanceMarkdown(r.commit, r.machine), '');
  if (soak) L.push(...soakMarkdown(soak, chartFile));
  else if (r.compare) L.push(...compareMarkdown(r.compare));
  else {
    L.push(`**Sustained concurrent calls: ${r.sustainedConcurrentCalls ?? 'none (see reasons)'}**`, '');
    if (r.withinLatencyTarget)
      L.push(
        `**Within the latency target (verdict p99 ≤ ${r.withinLatencyTarget.p99LimitMs} ms, no RTP loss, no ` +
          `ring overruns, every lower level too): ${latencyTargetText(r.withinLatencyTarget)}**`,
        '',
      );
    if (chartFile) L.push(`![latency and CPU vs concurrency](${chartFile})`, '');
  }
  if (r.compare) L.push('Each variant in full:', '');
  if (r.steps.length) L.push(...stepTable(r.steps), '');
  if (r.alerts) {
    const a = r.alerts;
    L.push('## Alerts', '');
    L.push(
      `- scam-like calls alerted: ${a.alertedScam}/${a.scamCalls} (recall ${a.recall}); alerts before the ` +
        `scam-like audio began: ${a.earlyAlerts}`,
    );
    L.push(`- false alerts on calm calls: ${a.falseAlerts}/${a.calmCalls} (${a.falseAlertRate})`);
    L.push(
      `- alert latency, first scam-like second → submit_sm at the SMSC: p50 ${fmtS(a.latencyMs.p50Ms)}, ` +
        `p95 ${fmtS(a.latencyMs.p95Ms)}, p99 ${fmtS(a.latencyMs.p99Ms)}, max ${fmtS(a.latencyMs.maxMs)} ` +
        `(n=${a.latencyMs.count})`,
    );
    if (r.engineListedAlerts)
      L.push(
        `- alerts the engine listed in GET /calls (policy decisions): on ${r.engineListedAlerts.scamCalls} ` +
          `scam-like and ${r.engineListedAlerts.calmCalls} calm calls`,
      );
    if (a.unmatchedSubmits) L.push(`- submit_sm to numbers of no planned call: ${a.unmatchedSubmits}`);
    L.push('');
  }
  if (r.speech) L.push(...speechMarkdown(r.speech));
  L.push('## Audio-to-verdict latency', '');
  if ('unavailable' in r.verdictLatency) L.push(`Not measured: ${r.verdictLatency.unavailable}`, '');
  else {
    const v = r.verdictLatency;
    L.push(
      `${v.source}: p50 ${v.p50} ms, p95 ${v.p95} ms, p99 ${v.p99} ms over ${v.count} windows (mean ${v.mean} ms).`,
      '',
    );
  }
  const withMetrics = r.steps.filter((s) => s.engineMetrics);
  if (withMetrics.length) {
    L.push(
      "Per step, from the engine's histograms (`callguard_window_verdict_latency_seconds`, " +
        '`callguard_inference_batch_size`, `callguard_inference_seconds`), steady window unless noted:',
      '',
    );
    L.push(
      '| step | windows scored | verdict latency ms p50 / p95 / p99 | whole step p99 (arrivals, departures) | ' +
        'windows/s | pool tasks/s | predicts/s | windows per predict (mean) | predict ms p50 / p99 |',
    );
    L.push('|---|---|---|---|---|---|---|---|---|');
    for (const s of withMetrics) {
      const m = s.engineMetrics!;
      const v = m.verdictLatencyMs;
      L.push(
        `| ${s.label ?? s.targetConcurrency} | ${v?.count ?? 'n/a'} ` +
          `| ${v ? `${v.p50} / ${v.p95} / ${v.p99}` : 'n/a'} | ${m.verdictLatencyMsWholeStep.p99} ` +
          `| ${m.windowsPerSecond ?? 'n/a'} | ${m.poolTasksPerSecond ?? 'n/a'} | ${m.predictsPerSecond ?? 'n/a'} | ${m.inferenceBatch?.mean ?? 'n/a'} ` +
          `| ${m.inferenceMs ? `${m.inferenceMs.p50} / ${m.inferenceMs.p99}` : 'n/a'} |`,
      );
    }
    L.push('');
  }
  if (r.sippCrossCheck)
    L.push('## sipp cross-check', '', '```json', JSON.stringify(r.sippCrossCheck, null, 2), '```', '');
  L.push('## Method', '', ...r.method.map((m) => `- ${m}`), '');
  if (r.errors.length) L.push('## Errors', '', ...r.errors.map((e) => `- ${e}`), '');
  return L.join('\n');
}

/** The per-step table (ramp levels, a run, one comparison variant). */
export function stepTable(steps: readonly StepReport[]): string[] {
  const L: string[] = [];
  L.push(
    '| step | calls (in media / listed by engine) | media max | engine CPU % mean/peak (main thread / RTP I/O ' +
      'threads) | RSS MB | lag s p50/p95/p99/max | verdict latency ms p50/p99 | RTP lost | overrun samples | audio ' +
      'shortfall s | gen send lag ms p50/p99/max | gen CPU % | other procs CPU % | failures | verdict |',
  );
  L.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const s of steps) {
    const g = s.generator;
    const v = s.engineMetrics?.verdictLatencyMs;
    // One cell per column, each a string as the row's template literal gave it (`${x}`), joined as before.
    const cells: string[] = [
      `${s.label ?? s.targetConcurrency}`,
      `${s.calls} (${s.callsInMedia} / ${s.callsSeenByEngine ?? 'n/a'})`,
      `${s.maxConcurrentMedia}`,
      s.engine ? `${s.engine.cpuPercentMean} / ${s.engine.cpuPercentPeak}${mainAndIo(s.engine)}` : 'n/a',
      `${s.engine?.peakRssMB ?? 'n/a'}`,
      s.lagSeconds ? `${s.lagSeconds.p50} / ${s.lagSeconds.p95} / ${s.lagSeconds.p99} / ${s.lagSeconds.max}` : 'n/a',
      v ? `${v.p50} / ${v.p99}` : 'n/a',
      `${s.rtpPacketsLost ?? 'n/a'}`,
      `${s.ringOverrunSamples ?? 'n/a'}`,
      `${s.audioShortfallSeconds ?? 'n/a'}`,
      `${g.rtp.sendLag.p50Ms} / ${g.rtp.sendLag.p99Ms} / ${g.rtp.sendLag.maxMs}`,
      `${g.cpuPercent}`,
      `${s.otherCpuPercent ?? 'n/a'}`,
      Object.entries(g.failures)
        .map(([k, v]) => `${k}: ${v}`)
        .join(', ') || '0',
      s.sustainable ? 'kept up' : `**fell behind**: ${s.reasons.join('; ')}`,
    ];
    L.push(`| ${cells.join(' | ')} |`);
  }
  return L;
}

function fmtS(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}
