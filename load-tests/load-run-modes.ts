import type { CallResult } from './call-generator.js';
import { planCalls, type PlannedCall } from './call-plan.js';
import type { ClipLibrary } from './emodb-clips.js';
import type { EngineSession } from './engine-session.js';
import { runComparison, type VariantResult } from './load-compare.js';
import type { ChartPoint } from './load-chart.js';
import type { LoadRunOptions } from './load-run-options.js';
import { runStep, sessionStepContext } from './load-step.js';
import type { MachineCpuSampler } from './proc-sampler.js';
import { runSippCrossCheck } from './sipp-cross-check.js';
import { planSoak } from './soak-plan.js';
import { runSoak, type SoakResult } from './soak-run.js';
import type { StepReport } from './step-report.js';

/**
 * What a load run has measured so far. The modes fill it as they go and the report reads it, also when --max-seconds
 * ends the run halfway: whatever was measured by then is reported.
 */
export interface LoadRunState {
  steps: StepReport[];
  allCalls: CallResult[];
  chartPoints: ChartPoint[];
  /** The highest level that kept up (a run: its calls in media), null while none has. */
  sustained: number | null;
  sippResult: unknown;
  compare: VariantResult[] | null;
  soak: SoakResult | null;
  errors: string[];
}

/** The state of a run before anything was measured. */
export function emptyRunState(): LoadRunState {
  return {
    steps: [],
    allCalls: [],
    chartPoints: [],
    sustained: null,
    sippResult: undefined,
    compare: null,
    soak: null,
    errors: [],
  };
}

/**
 * What the modes run with: the clips, the warm-up plan, the run's engine (null for --compare) and the machine sampler.
 */
export interface LoadRunContext {
  options: LoadRunOptions;
  lib: ClipLibrary;
  warm: PlannedCall[];
  session: EngineSession | null;
  machine: MachineCpuSampler;
  log(line: string): void;
}

/**
 * Warm-up calls, not judged: an engine's first calls pay for model load and JIT, which is not what a level measures.
 * They are numbered far from the measured plans' numbers (see CallPlanOptions.firstIndex).
 */
export function warmUpPlan(lib: ClipLibrary, base: LoadRunOptions['base']): PlannedCall[] {
  return planCalls(lib, {
    ...base,
    seed: 999,
    firstIndex: 9_000_000,
    calls: 5,
    ratePerSecond: 5,
    durationSeconds: { min: 6, max: 6 },
    scamFraction: 0,
  });
}

/** Run the mode the options ask for (a run, a ramp, a comparison or a soak), filling `state`. */
export async function runLoadMode(c: LoadRunContext, state: LoadRunState): Promise<void> {
  const o = c.options;
  const { base, calls, duration } = o;
  if (o.mode === 'compare') {
    const rate = o.ratePerSecond;
    const plan = planCalls(c.lib, { ...base, calls, ratePerSecond: rate, durationSeconds: duration });
    c.log(
      `compare ${o.variants.map((v) => v.name).join(', ')}: each gets ${calls} calls, ${rate}/s, ` +
        `${duration.min}-${duration.max} s, ${Math.round((base.scamFraction ?? 0) * 100)}% scam-like`,
    );
    state.compare = await runComparison({
      variants: o.variants,
      engineEnv: o.engineEnv,
      engineNodeArgs: o.engineNodeArgs,
      plan,
      warmUp: c.warm,
      machine: c.machine,
      chartPoints: state.chartPoints,
      lagThresholdSeconds: o.lagThreshold,
      log: c.log,
    });
    for (const r of state.compare) state.steps.push(r.step);
  } else if (o.mode === 'soak') {
    const plan = planSoak(c.lib, { ...base, concurrency: calls, seconds: o.soakSeconds, durationSeconds: duration });
    const soak = await runSoak({
      session: c.session!,
      plan,
      warmUp: c.warm,
      concurrency: calls,
      seconds: o.soakSeconds,
      warmUpSeconds: o.soakWarmUpSeconds,
      machine: c.machine,
      chartPoints: state.chartPoints,
      lagThresholdSeconds: o.lagThreshold,
      log: c.log,
    });
    state.soak = soak;
    state.steps.push(soak.step);
    state.allCalls.push(...soak.calls);
    if (soak.step.sustainable) state.sustained = calls;
    c.log(
      `soak: RSS slope ${soak.analysis.rssSlopeMBPerMin} MB/min (${soak.analysis.flat ? 'flat' : 'not flat'}), ` +
        `memory per call ${soak.analysis.memoryPerCallMB} MB`,
    );
  } else {
    const s = c.session!;
    const ctx = sessionStepContext(s, {
      machine: c.machine,
      chartPoints: state.chartPoints,
      lagThresholdSeconds: o.lagThreshold,
      log: c.log,
    });
    c.log('warm-up: 5 calls of 6 s (not judged)');
    await runStep({ ...ctx, chartPoints: [], log: () => {} }, c.warm, 5, 'warm-up');
    if (o.mode === 'ramp') {
      const { start, step, max, holdSeconds: hold } = o.ramp;
      let seed = base.seed ?? 1;
      let firstIndex = 0;
      for (let level = start; level <= max; level += step) {
        // All calls of a level arrive within ~5 s and each lasts the arrival spread plus the hold, so they overlap.
        const spread = Math.min(10, Math.max(2, level / 50));
        const plan = planCalls(c.lib, {
          ...base,
          seed: seed++,
          firstIndex,
          calls: level,
          ratePerSecond: level / spread,
          durationSeconds: { min: hold + spread, max: hold + spread },
        });
        firstIndex += level;
        c.log(`ramp level ${level}: ${level} calls of ${hold + spread} s`);
        const { step: rep, result } = await runStep(ctx, plan, level, `${level}`);
        state.steps.push(rep);
        state.allCalls.push(...result.calls);
        if (!rep.sustainable) {
          c.log(`level ${level} not sustainable: ${rep.reasons.join('; ')}`);
          break;
        }
        state.sustained = level;
        await sleep(3000); // let the engine drain between levels
      }
    } else {
      const rate = o.ratePerSecond;
      const plan = planCalls(c.lib, { ...base, calls, ratePerSecond: rate, durationSeconds: duration });
      c.log(
        `run: ${calls} calls, ${rate}/s, ${duration.min}-${duration.max} s, ` +
          `${Math.round((base.scamFraction ?? 0) * 100)}% scam-like`,
      );
      const { step: rep, result } = await runStep(ctx, plan, calls, 'run');
      state.steps.push(rep);
      state.allCalls.push(...result.calls);
      if (rep.sustainable) state.sustained = rep.maxConcurrentMedia;
      else c.log(`fell behind: ${rep.reasons.join('; ')}`);
    }
    if (o.sippCalls !== null) {
      const n = o.sippCalls;
      c.log(`sipp cross-check: ${n} calls`);
      state.sippResult = await runSippCrossCheck({
        target: s.target,
        calls: n,
        rate: Math.max(1, n / 5),
        durationSeconds: Math.min(20, duration.min),
        lib: c.lib,
        poller: s.poller,
        log: c.log,
        ourCalls: state.allCalls,
      });
    }
  }
  // Alerts for calls that just ended may still be in the engine's outbox.
  await sleep(3000);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
