import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { latencyTargetText, withinLatencyTarget } from './load-report.js';
import type { StepReport } from './step-report.js';

/** A ramp level with just the fields the target reads. */
function level(calls: number, p99: number | null, extra: Partial<StepReport> = {}): StepReport {
  const summary = p99 === null ? null : { count: 1000, mean: p99 / 2, p50: p99 / 2, p95: p99, p99, maxBucket: p99 };
  return {
    targetConcurrency: calls,
    calls,
    maxConcurrentMedia: calls,
    window: { from: 0, to: 1 },
    machineCpuPercent: null,
    otherCpuPercent: null,
    engine: null,
    lagSeconds: null,
    rtpPacketsLost: 0,
    ringOverrunSamples: 0,
    audioShortfallSeconds: 0,
    callsInMedia: calls,
    callsSeenByEngine: calls,
    generator: {} as StepReport['generator'],
    engineMetrics: summary ? ({ verdictLatencyMs: summary } as StepReport['engineMetrics']) : null,
    sustainable: true,
    reasons: [],
    ...extra,
  };
}

const held = (steps: StepReport[]) => withinLatencyTarget(steps).calls;

const withinTheLatencyTargetTitle =
  'within the latency target: the highest level that, with every level below it, kept up at p99 <= 250 ms, lossless';
test(withinTheLatencyTargetTitle, () => {
  assert.is(held([level(250, 144), level(300, 187), level(350, 1458)]), 300);
  assert.is(held([level(300, 250), level(250, 100)]), 300, 'order of steps does not matter; 250 ms is within');
  // A later level that happens to come in under the bar does not count past one that missed it.
  assert.is(held([level(250, 100), level(300, 400), level(350, 200)]), 250);
  assert.is(held([level(250, 100), level(300, 120, { rtpPacketsLost: 3 })]), 250, 'RTP loss');
  assert.is(held([level(250, 100), level(300, 120, { ringOverrunSamples: 160 })]), 250, 'overruns');
  assert.is(held([level(250, 100), level(300, 120, { sustainable: false })]), 250, 'fell behind');
  assert.is(held([level(250, null)]), null, 'no engine histogram: not within');
  assert.is(
    latencyTargetText(withinLatencyTarget([level(250, null)])),
    'unknown (no verdict histogram or loss counts from the engine)',
  );
  assert.is(
    latencyTargetText(withinLatencyTarget([level(250, 100), level(300, 120, { rtpPacketsLost: null })])),
    '250',
    'known up to the level without data',
  );
  assert.is(latencyTargetText(withinLatencyTarget([level(250, 300)])), 'none');
  // A single run reports the calls that were actually in media at once, like its sustained figure.
  assert.is(held([level(20, 100, { label: 'run', maxConcurrentMedia: 14 })]), 14);
  assert.is(held([level(250, 251)]), null);
  assert.is(held([]), null);
});

test.run();
