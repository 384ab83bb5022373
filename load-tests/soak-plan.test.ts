import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { syntheticClips } from './emodb-clips.js';
import { plannedConcurrency, planSoak, runBoundSeconds } from './soak-plan.js';

const soakPlanConstantConcurrencyTitle =
  'soak plan: constant concurrency after the ramp, calls replaced as they end, unique calls, nothing starts after ' +
  'the end';
test(soakPlanConstantConcurrencyTitle, () => {
  const plan = planSoak(syntheticClips(), {
    concurrency: 20,
    seconds: 300,
    durationSeconds: { min: 20, max: 40 },
    scamFraction: 0.3,
    seed: 5,
    rampSeconds: 10,
    gapSeconds: 1,
  });
  assert.ok(plan.length > 20 * (300 / 41), `${plan.length} calls`);
  assert.is(new Set(plan.map((c) => c.callId)).size, plan.length);
  assert.is(new Set(plan.map((c) => c.calleeNumber)).size, plan.length);
  assert.ok(plan.every((c) => c.startOffsetMs < 300000));
  // A slot is empty only during the 1 s gap between its calls (calls last 20-40 s): never above 20, about 20 on
  // average.
  let sum = 0;
  let samples = 0;
  for (let t = 10; t < 300; t += 0.5) {
    const n = plannedConcurrency(plan, t);
    assert.ok(n >= 14 && n <= 20, `t=${t}: ${n} calls`);
    sum += n;
    samples++;
  }
  assert.ok(sum / samples >= 19, `mean ${sum / samples}`);
  assert.ok(plan.some((c) => c.kind === 'scam') && plan.some((c) => c.kind === 'calm'));
  assert.throws(
    () =>
      planSoak(syntheticClips(), { concurrency: 0, seconds: 10, durationSeconds: { min: 5, max: 5 }, scamFraction: 0 }),
    /concurrency/,
  );
});

test('the run bound never cuts a soak short: the default grows with --soak, a shorter bound given is refused', () => {
  // A 1800 s soak once hit the old fixed 1800 s default and ended without its memory analysis.
  assert.is(runBoundSeconds(0, undefined), 1800);
  assert.is(runBoundSeconds(600, undefined), 1800);
  assert.is(runBoundSeconds(1800, undefined), 2100);
  assert.is(runBoundSeconds(3900, undefined), 4200);
  assert.is(runBoundSeconds(0, '60'), 60);
  assert.is(runBoundSeconds(1800, '4800'), 4800);
  assert.throws(() => runBoundSeconds(1800, '1800'), /shorter than --soak 1800/);
  assert.throws(() => runBoundSeconds(0, 'soon'), /expected a number/);
});

test.run();
