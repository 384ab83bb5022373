import type { AlertScore } from './alert-scoring.js';
import type { GeneratorSummary } from './call-generator.js';
import type { LatencySummary } from './latency-histogram.js';

/**
 * The load report: one JSON document (everything measured, for machines and later comparison) and a Markdown page
 * (the figures a person asks for first). Field names say their unit.
 */
export interface StepReport {
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
  engine: { cpuPercentMean: number; cpuPercentPeak: number; peakRssMB: number; threads: number } | null;
  /** Engine lag from GET /calls over the window, seconds (per sample: the worst call). */
  lagSeconds: { p50: number; p95: number; p99: number; max: number; samples: number } | null;
  /** RTP packets the engine counted lost, and ring overrun samples, on this step's calls. */
  rtpPacketsLost: number | null;
  ringOverrunSamples: number | null;
  /** Per-leg audio the engine received vs what was sent, worst shortfall in seconds (last poll of each call). */
  audioShortfallSeconds: number | null;
  generator: GeneratorSummary;
  sustainable: boolean;
  /** Why not sustainable (or why the verdict is the generator's fault). */
  reasons: string[];
}

export interface LoadReport {
  tool: 'callguard load-tests/run-load';
  startedAt: string;
  finishedAt: string;
  mode: 'run' | 'ramp' | 'sipp';
  options: Record<string, unknown>;
  target: { sip: string; http: string | null; spawned: boolean; pid: number | null; note: string };
  clips: string;
  method: string[];
  steps: StepReport[];
  /** Ramp: the highest level that kept up; run: the run's level if it kept up, else null. */
  sustainedConcurrentCalls: number | null;
  alerts: AlertScore | null;
  /** Alerts as the engine itself listed them in GET /calls (policy decisions, whether or not an SMS went out). */
  engineListedAlerts: { scamCalls: number; calmCalls: number } | null;
  /** Audio-to-verdict latency per window: only if the engine exposes it; otherwise why not. */
  verdictLatency: LatencySummary | { unavailable: string };
  sippCrossCheck?: unknown;
  errors: string[];
}

export function reportMarkdown(r: LoadReport, chartFile: string | null): string {
  const L: string[] = [];
  L.push(`# callguard load report (${r.mode})`, '');
  L.push(`${r.startedAt} → ${r.finishedAt}. Target: SIP ${r.target.sip}, HTTP ${r.target.http ?? 'none'}, ${r.target.spawned ? `engine spawned as pid ${r.target.pid}` : 'external engine'}. ${r.target.note}`);
  L.push(`Audio: ${r.clips}.`, '');
  L.push(`**Sustained concurrent calls: ${r.sustainedConcurrentCalls ?? 'none (see reasons)'}**`, '');
  if (chartFile) L.push(`![latency and CPU vs concurrency](${chartFile})`, '');
  L.push('| level | calls | media max | engine CPU % mean/peak | RSS MB | lag s p50/p95/p99/max | RTP lost | overrun samples | audio shortfall s | gen send lag ms p50/p99/max | gen CPU % | other procs CPU % | failures | verdict |');
  L.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const s of r.steps) {
    const g = s.generator;
    L.push(
      `| ${s.targetConcurrency} | ${s.calls} | ${s.maxConcurrentMedia} | ${s.engine ? `${s.engine.cpuPercentMean} / ${s.engine.cpuPercentPeak}` : 'n/a'} | ${s.engine?.peakRssMB ?? 'n/a'} | ${s.lagSeconds ? `${s.lagSeconds.p50} / ${s.lagSeconds.p95} / ${s.lagSeconds.p99} / ${s.lagSeconds.max}` : 'n/a'} | ${s.rtpPacketsLost ?? 'n/a'} | ${s.ringOverrunSamples ?? 'n/a'} | ${s.audioShortfallSeconds ?? 'n/a'} | ${g.rtp.sendLag.p50Ms} / ${g.rtp.sendLag.p99Ms} / ${g.rtp.sendLag.maxMs} | ${g.cpuPercent} | ${s.otherCpuPercent ?? 'n/a'} | ${Object.entries(g.failures).map(([k, v]) => `${k}: ${v}`).join(', ') || '0'} | ${s.sustainable ? 'kept up' : `**fell behind**: ${s.reasons.join('; ')}`} |`,
    );
  }
  L.push('');
  if (r.alerts) {
    const a = r.alerts;
    L.push('## Alerts', '');
    L.push(`- scam-like calls alerted: ${a.alertedScam}/${a.scamCalls} (recall ${a.recall}); alerts before the scam-like audio began: ${a.earlyAlerts}`);
    L.push(`- false alerts on calm calls: ${a.falseAlerts}/${a.calmCalls} (${a.falseAlertRate})`);
    L.push(`- alert latency, first scam-like second → submit_sm at the SMSC: p50 ${fmtS(a.latencyMs.p50Ms)}, p95 ${fmtS(a.latencyMs.p95Ms)}, p99 ${fmtS(a.latencyMs.p99Ms)}, max ${fmtS(a.latencyMs.maxMs)} (n=${a.latencyMs.count})`);
    if (r.engineListedAlerts) L.push(`- alerts the engine listed in GET /calls (policy decisions): on ${r.engineListedAlerts.scamCalls} scam-like and ${r.engineListedAlerts.calmCalls} calm calls`);
    if (a.unmatchedSubmits) L.push(`- submit_sm to numbers of no planned call: ${a.unmatchedSubmits}`);
    L.push('');
  }
  L.push('## Audio-to-verdict latency', '');
  L.push('unavailable' in r.verdictLatency ? `Not measured: ${r.verdictLatency.unavailable}` : `p50 ${r.verdictLatency.p50Ms} ms, p95 ${r.verdictLatency.p95Ms} ms, p99 ${r.verdictLatency.p99Ms} ms`, '');
  if (r.sippCrossCheck) L.push('## sipp cross-check', '', '```json', JSON.stringify(r.sippCrossCheck, null, 2), '```', '');
  L.push('## Method', '', ...r.method.map((m) => `- ${m}`), '');
  if (r.errors.length) L.push('## Errors', '', ...r.errors.map((e) => `- ${e}`), '');
  return L.join('\n');
}

function fmtS(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}
