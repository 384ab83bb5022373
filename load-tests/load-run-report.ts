import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { AlertScore } from './alert-scoring.js';
import type { EngineSession } from './engine-session.js';
import { renderLoadChart } from './load-chart.js';
import {
  latencyTargetText,
  reportMarkdown,
  VERDICT_P99_TARGET_MS,
  withinLatencyTarget,
  type LoadReport,
} from './load-report.js';
import type { LoadRunOptions } from './load-run-options.js';
import type { LoadRunState } from './load-run-modes.js';
import type { RunCommit, RunMachine } from './run-provenance.js';
import { renderSoakChart } from './soak-chart.js';
import { summariseSpeech } from './speech-summary.js';

/** What the report is built from besides the run's state: when and where it ran, against which engine. */
export interface LoadRunFacts {
  options: LoadRunOptions;
  started: Date;
  commit: RunCommit | null;
  machine: RunMachine;
  session: EngineSession | null;
  clips: string;
  alerts: AlertScore | null;
}

/** The report of a run (or of as much of it as ran), from its state. */
export function buildLoadReport(f: LoadRunFacts, st: LoadRunState): LoadReport {
  const { options: o, session } = f;
  const { steps, allCalls, soak } = st;
  const poller = session?.poller ?? null;
  const lastMetrics = [...steps].reverse().find((x) => x.engineMetrics?.verdictLatencyMs)
    ?.engineMetrics?.verdictLatencyMs;
  return {
    tool: 'callguard load-tests/run-load',
    startedAt: f.started.toISOString(),
    finishedAt: new Date().toISOString(),
    commit: f.commit,
    machine: f.machine,
    mode: o.mode,
    options: { ...o.args, calls: o.calls, duration: o.duration, lagThreshold: o.lagThreshold },
    target: {
      sip: session ? `${session.target.host}:${session.target.port}` : 'one spawned engine per variant',
      http: session?.httpBase ?? null,
      spawned: !session || !!session.engine,
      pid: session?.engine?.pid ?? null,
      note: poller && !poller.available ? 'GET /calls never answered: lag, loss and overruns not measured.' : '',
    },
    clips: f.clips,
    method: [
      'Calls: SIPREC over UDP from one SIP socket (multipart SDP + RFC 7865 rs-metadata, INVITE retransmitted per ' +
        'T1), two RTP legs per call from their own connected sockets, 160-byte G.711 packets every 20 ms paced by ' +
        'one timer for all legs.',
      'Generator health: send lag = send time minus due time of every packet; p99 above 20 ms marks a level as ' +
        'generator-limited.',
      'Engine CPU and RSS: /proc/<pid>/stat utime+stime (all threads, CLK_TCK ticks) differenced every second, % ' +
        'of one core; the main thread alone (in brackets) from /proc/<pid>/task/<pid>/stat the same way, then the ' +
        'RTP I/O threads from their own CPU gauge (callguard_rtp_io_thread_cpu_seconds, each thread reading ' +
        '/proc/thread-self); VmRSS and Threads from /proc/<pid>/status. Only when the engine is our child process.',
      'Engine lag, RTP loss, ring overruns, seconds received: GET /calls polled every second (lagSeconds = ' +
        'unprocessed backlog of the worst leg). A step is judged over the window when all its calls were in media.',
      'Audio-to-verdict latency: measured by the engine per scored window, from the arrival of the RTP packet ' +
        'carrying the last sample the window covers (its write into the leg ring, in the same event-loop turn as ' +
        "the datagram when packets arrive in order) to the window's scored event (model + policy) reaching the " +
        'supervisor; exported as the histogram callguard_window_verdict_latency_seconds, scraped from GET /metrics ' +
        "every 2 s and differenced over the steady window. Percentiles are interpolated inside the engine's buckets " +
        '(25 ms apart between 0.1 and 0.25 s). Inference batch size and predict time come the same way from ' +
        'callguard_inference_batch_size and callguard_inference_seconds.',
      "Alerts: the run's own SMSC simulator; each call has its own callee (protected) number, so a submit_sm maps " +
        'to a call. Latency = first submit_sm part arrival - (media start + first scam-like second).',
      'Ground truth: calm calls play Emo-DB neutral/boredom clips on both legs; scam-like calls switch at the ' +
        'recorded onset to anger (caller) and fear (callee) clips.',
      o.base.conversation === 'spoken'
        ? 'Conversation: spoken. The caller reads the held-out evaluation scripts ' +
          '(models/speech/eval/scripts.json) sentence by sentence in flite voices (awb, rms, kal, slt), benign ' +
          'ones, and from the onset on scam-like calls a scam script; the subscriber answers each sentence with a ' +
          'calm Emo-DB clip. Ground truth: the onset of the scam script.'
        : o.base.conversation === 'turns'
          ? 'Conversation: the parties take turns (the caller first); while one leg plays a clip the other plays ' +
            'digital silence of the same length.'
          : 'Conversation: both legs play clips back to back at the same time (the worst case for the engine: no ' +
            'leg is ever silent).',
      ...(o.mode === 'compare'
        ? [
            'Comparison: the same seeded plan against one freshly spawned engine per variant, one after the ' +
              'other, each warmed up with 5 calls of 6 s first and given its own SMSC simulator.',
          ]
        : []),
      ...(o.mode === 'soak'
        ? [
            'Soak: constant concurrency, each call replaced 1 s after it ends (random lengths, so ends are ' +
              'scattered); engine RSS from /proc every second, main-thread heap from /metrics; memory verdict over ' +
              'the part after the warm-up.',
          ]
        : []),
    ],
    steps,
    sustainedConcurrentCalls: st.sustained,
    ...(o.mode === 'ramp' || o.mode === 'run' ? { withinLatencyTarget: withinLatencyTarget(steps) } : {}),
    alerts: allCalls.length && f.alerts ? f.alerts : null,
    engineListedAlerts: poller?.available
      ? {
          scamCalls: allCalls.filter((c) => c.kind === 'scam' && (poller.calls.get(c.callId)?.alerts.length ?? 0) > 0)
            .length,
          calmCalls: allCalls.filter((c) => c.kind === 'calm' && (poller.calls.get(c.callId)?.alerts.length ?? 0) > 0)
            .length,
        }
      : null,
    verdictLatency: soak?.steady.verdictLatencyMs
      ? {
          ...soak.steady.verdictLatencyMs,
          source: `engine histogram, steady part of the soak (after ${soak.analysis.warmUpSeconds} s)`,
        }
      : o.mode === 'compare'
        ? { unavailable: 'per variant: see the comparison table' }
        : lastMetrics
          ? {
              ...lastMetrics,
              source:
                'engine histogram, steady window of the last step measured ' +
                `(${steps[steps.length - 1].label ?? steps[steps.length - 1].targetConcurrency})`,
            }
          : { unavailable: 'the engine did not answer GET /metrics with callguard_window_verdict_latency_seconds' },
    sippCrossCheck: st.sippResult,
    compare: st.compare ?? undefined,
    soak: soak
      ? { analysis: soak.analysis, steady: soak.steady, alerts: soak.alerts, samples: soak.samples }
      : undefined,
    speech: o.base.conversation === 'spoken' && poller?.available ? summariseSpeech(allCalls, poller.calls) : undefined,
    errors: st.errors,
  };
}

/**
 * The run's report folder, made if missing: `out`, or load-tests/reports/<start time>. Under load-tests/reports a
 * .gitignore keeps reports out of git.
 */
export function prepareReportDir(repoRoot: string, out: string | undefined, started: Date): string {
  const reportsRoot = join(repoRoot, 'load-tests/reports');
  const outDir = resolve(out ?? join(reportsRoot, started.toISOString().replace(/[:.]/g, '-')));
  mkdirSync(outDir, { recursive: true });
  if (outDir.startsWith(reportsRoot) && !existsSync(join(reportsRoot, '.gitignore')))
    writeFileSync(join(reportsRoot, '.gitignore'), '*\n!.gitignore\n');
  return outDir;
}

/** The run's one-line outcome for the console: the level sustained and how the alerts scored. */
export function runSummary(mode: LoadRunOptions['mode'], st: LoadRunState, alerts: AlertScore): string {
  const target =
    mode === 'ramp' || mode === 'run'
      ? ` (within verdict p99 ≤ ${VERDICT_P99_TARGET_MS} ms: ${latencyTargetText(withinLatencyTarget(st.steps))})`
      : '';
  return (
    `sustained concurrent calls: ${st.sustained ?? 'none'}${target}; ` +
    `alerts: recall ${alerts.recall}, false ${alerts.falseAlerts}/${alerts.calmCalls}, ` +
    `latency p50 ${(alerts.latencyMs.p50Ms / 1000).toFixed(2)} s`
  );
}

/** Write report.json (with every call and chart sample), the chart and report.md into `outDir`. */
export async function writeLoadReport(
  outDir: string,
  report: LoadReport,
  st: LoadRunState,
  session: EngineSession | null,
): Promise<void> {
  const { soak, compare, chartPoints } = st;
  // The chart's samples are kept too: a chart can then be read against its data (which step a sample belongs to).
  writeFileSync(
    join(outDir, 'report.json'),
    JSON.stringify(
      {
        ...report,
        calls: st.allCalls.map((c) => ({ ...c, engine: session?.poller?.calls.get(c.callId) ?? null })),
        compareCalls: compare?.map((r) => ({ variant: r.variant.name, calls: r.calls })),
        chartPoints,
      },
      null,
      2,
    ),
  );
  let chart: string | null = null;
  try {
    if (soak) {
      writeFileSync(
        join(outDir, 'soak-chart.png'),
        await renderSoakChart(
          soak.samples,
          soak.analysis.warmUpSeconds,
          `callguard soak: ${soak.analysis.concurrency} calls for ${soak.analysis.seconds} s`,
        ),
      );
      chart = 'soak-chart.png';
    } else if (chartPoints.length) {
      writeFileSync(
        join(outDir, 'load-chart.png'),
        await renderLoadChart(chartPoints, `callguard ${report.mode}: lag and CPU vs concurrent calls`),
      );
      chart = 'load-chart.png';
    }
  } catch (err) {
    st.errors.push(`chart: ${(err as Error).message}`);
  }
  writeFileSync(join(outDir, 'report.md'), reportMarkdown(report, chart, soak));
}
