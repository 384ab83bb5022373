import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { scoreAlerts, type AlertScore } from './alert-scoring.js';
import type { CallResult } from './call-generator.js';
import type { PlannedCall } from './call-plan.js';
import { openEngineSession, type EngineSessionOptions } from './engine-session.js';
import type { ChartPoint } from './load-chart.js';
import { mainAndIo, type StepReport } from './step-report.js';
import { runStep, sessionStepContext } from './load-step.js';
import { runCommit } from './run-provenance.js';
import type { MachineCpuSampler } from './proc-sampler.js';

/**
 * Same-run comparison (`--compare`): the same call plan against one freshly spawned engine per variant, one after the
 * other in one invocation, each with its own SMSC simulator. The variants differ only by engine settings, so the
 * table shows what each design choice buys under the same load: batched inference, and the own spectral front-end.
 */
export interface CompareVariant {
  name: string;
  description: string;
  /** CALLGUARD_* settings of the spawned engine. */
  env: Record<string, string>;
  /** Another built checkout of callguard to run instead of this one (`--baseline DIR`): a code change's reference. */
  root?: string;
}

export const COMPARE_VARIANTS: readonly CompareVariant[] = [
  {
    name: 'callguard',
    description:
      'as shipped: one predict per round for all ready windows (model.maxBatch 64), callguard spectral stage',
    env: {},
  },
  {
    name: 'unbatched',
    description: 'one predict per window (CALLGUARD_MODEL_MAX_BATCH=1)',
    env: { CALLGUARD_MODEL_MAX_BATCH: '1' },
  },
  {
    name: 'meyda',
    description:
      'spectral stage (FFT, mel bands, log; no MFCC, as the engine computes none) by meyda 5.6.3, no ' +
      'all-zero-frame shortcut (CALLGUARD_ENGINE_SPECTRAL_STAGE=meyda)',
    env: { CALLGUARD_ENGINE_SPECTRAL_STAGE: 'meyda' },
  },
  {
    name: 'rtp-main-thread',
    description: 'RTP received and decoded on the main thread, as before I/O threads (CALLGUARD_RTP_IO_THREADS=0)',
    env: { CALLGUARD_RTP_IO_THREADS: '0' },
  },
  {
    name: 'io-2',
    description: 'two RTP I/O threads (CALLGUARD_RTP_IO_THREADS=2)',
    env: { CALLGUARD_RTP_IO_THREADS: '2' },
  },
  {
    name: 'chunk-200ms',
    description:
      'a call is stepped once it has 200 ms of new audio, not 100 ms (CALLGUARD_ENGINE_MIN_CHUNK_SECONDS=0.2): half ' +
      'the tasks, messages and per-step preparations for the same windows',
    env: { CALLGUARD_ENGINE_MIN_CHUNK_SECONDS: '0.2' },
  },
  {
    name: 'workers-1',
    description: 'one actor worker thread (CALLGUARD_POOL_THREADS=1)',
    env: { CALLGUARD_POOL_THREADS: '1' },
  },
];

export interface VariantResult {
  variant: CompareVariant;
  step: StepReport;
  alerts: AlertScore;
  calls: CallResult[];
  /** Set when the variant could not be run at all (e.g. its engine did not start). */
  error?: string;
}

/**
 * A variant that runs another built checkout of callguard (a git worktree of the reference commit, `npm run build`
 * done) with its own defaults: the same plan in the same run against the build a code change is measured against.
 * Throws a clear error when `dir` holds no built engine.
 */
export function baselineVariant(dir: string): CompareVariant {
  const root = resolve(dir);
  if (!existsSync(join(root, 'bin/callguard.js')) || !existsSync(join(root, 'dist/engine/cli/main.js')))
    throw new Error(
      `--baseline ${dir}: no built callguard there (expected bin/callguard.js and dist/; run npm run build)`,
    );
  const commit = runCommit(root);
  const id = commit ? `${commit.sha.slice(0, 7)}${commit.dirty ? '-dirty' : ''}` : 'unknown-commit';
  return {
    name: `baseline-${id}`,
    description: `the engine of ${root} (commit ${commit ? commit.sha : 'unknown'}${commit?.dirty ? ', with uncommitted changes' : ''}) on its own defaults plus the run's --engine-env`,
    env: {},
    root,
  };
}

/** Pick variants by name ("callguard,unbatched"); unknown names are an error that lists the known ones. */
export function selectVariants(spec: string | undefined): CompareVariant[] {
  if (!spec) return [...COMPARE_VARIANTS];
  return spec.split(',').map((n) => {
    const v = COMPARE_VARIANTS.find((x) => x.name === n.trim());
    if (!v) throw new Error(`unknown variant "${n}" (known: ${COMPARE_VARIANTS.map((x) => x.name).join(', ')})`);
    return v;
  });
}

/** How a variant's engine is spawned: the run's --engine-env and --engine-node-arg, then the variant's own settings. */
export function variantSession(
  variant: CompareVariant,
  o: Pick<CompareOptions, 'engineEnv' | 'engineNodeArgs'>,
): EngineSessionOptions {
  return { env: { ...o.engineEnv, ...variant.env }, nodeArgs: o.engineNodeArgs, root: variant.root };
}

export interface CompareOptions {
  variants: readonly CompareVariant[];
  /** --engine-env and --engine-node-arg: given to every variant's engine (a variant's own settings win). */
  engineEnv?: Record<string, string>;
  engineNodeArgs?: string[];
  plan: PlannedCall[];
  warmUp: PlannedCall[];
  machine: MachineCpuSampler;
  chartPoints: ChartPoint[];
  lagThresholdSeconds: number;
  log(line: string): void;
}

export async function runComparison(o: CompareOptions): Promise<VariantResult[]> {
  const out: VariantResult[] = [];
  for (const variant of o.variants) {
    o.log(`variant ${variant.name}: ${variant.description}`);
    const session = await openEngineSession(variantSession(variant, o));
    try {
      const ctx = sessionStepContext(session, o);
      await runStep({ ...ctx, chartPoints: [], log: () => {} }, o.warmUp, o.warmUp.length, 'warm-up');
      const { step, result } = await runStep(ctx, o.plan, o.plan.length, variant.name);
      // Alerts of calls that just ended may still be in the engine's outbox.
      await new Promise((r) => setTimeout(r, 3000));
      out.push({ variant, step, alerts: scoreAlerts(result.calls, session.smsc.received), calls: result.calls });
      o.log(`variant ${variant.name}: ${step.sustainable ? 'kept up' : `fell behind (${step.reasons.join('; ')})`}`);
    } finally {
      await session.close();
    }
    // Let the machine settle between engines (sockets closed, CPU back to idle).
    await new Promise((r) => setTimeout(r, 3000));
  }
  return out;
}

/** The side-by-side table and what each variant was. */
export function compareMarkdown(results: readonly VariantResult[]): string[] {
  const L: string[] = ['## Same-run comparison', ''];
  for (const r of results) L.push(`- **${r.variant.name}**: ${r.variant.description}`);
  L.push('');
  L.push(
    '| variant | kept up | engine CPU % mean / peak (main thread / RTP I/O threads) | lag s p50 / max | verdict ' +
      'latency ms p50 / p95 / p99 | pool tasks/s | predicts/s | windows per predict | predict ms p50 / p99 | RTP lost | overrun ' +
      'samples | alerts: scam-like (recall) | false alerts on calm |',
  );
  L.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    const s = r.step;
    const m = s.engineMetrics;
    const v = m?.verdictLatencyMs;
    L.push(
      `| ${r.variant.name} | ${s.sustainable ? 'yes' : `**no**: ${s.reasons.join('; ')}`} ` +
        `| ${s.engine ? `${s.engine.cpuPercentMean} / ${s.engine.cpuPercentPeak}${mainAndIo(s.engine)}` : 'n/a'} ` +
        `| ${s.lagSeconds ? `${s.lagSeconds.p50} / ${s.lagSeconds.max}` : 'n/a'} ` +
        `| ${v ? `${v.p50} / ${v.p95} / ${v.p99}` : 'n/a'} | ${m?.poolTasksPerSecond ?? 'n/a'} ` +
        `| ${m?.predictsPerSecond ?? 'n/a'} ` +
        `| ${m?.inferenceBatch?.mean ?? 'n/a'} ` +
        `| ${m?.inferenceMs ? `${m.inferenceMs.p50} / ${m.inferenceMs.p99}` : 'n/a'} ` +
        `| ${s.rtpPacketsLost ?? 'n/a'} | ${s.ringOverrunSamples ?? 'n/a'} ` +
        `| ${r.alerts.alertedScam}/${r.alerts.scamCalls} (${r.alerts.recall}) ` +
        `| ${r.alerts.falseAlerts}/${r.alerts.calmCalls} |`,
    );
  }
  L.push('');
  return L;
}
