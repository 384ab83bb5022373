import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { stepWaitSeconds } from './step-readiness.js';

const near = (a: number, b: number) => Math.abs(a - b) < 1e-12;

test('ready (0) when every leg holds a chunk; otherwise the wait is the emptiest leg’s shortfall', () => {
  assert.is(stepWaitSeconds([0.1, 0.25], 0.1), 0);
  assert.ok(near(stepWaitSeconds([0.04, 0.3], 0.1), 0.06));
});

test('legs drifted more than the slack apart: the fullest leg decides (a silent leg does not stall the call)', () => {
  assert.is(stepWaitSeconds([0, 1.5], 0.1), 0);
  assert.ok(near(stepWaitSeconds([0, 0.05], 0.1), 0.1), 'within the slack the emptiest leg decides');
  assert.is(stepWaitSeconds([0.02, 1.5], 0.1), 0, 'past the slack: the fullest leg holds a chunk');
});

test('a silent leg: the wait ends when the gap may pass the slack, not when the silent leg fills', () => {
  // Legs 0.99 s apart: 10 ms more on the talking leg and the fullest leg decides (lockstep slack is 1 s).
  assert.ok(near(stepWaitSeconds([0, 0.99], 0.1), 0.01), String(stepWaitSeconds([0, 0.99], 0.1)));
  // Exactly the slack apart is not past it (the actor's rule is strict): not ready, and no zero wait (a zero would
  // hand the pool an empty task on every tick while both legs are quiet; CI caught that on 2026-12-07).
  assert.ok(stepWaitSeconds([0, 1], 0.1) > 0, 'a lockstep slack apart is not yet past it');
  assert.ok(stepWaitSeconds([0.5, 1.5], 0.1) === 0, 'both legs hold a chunk');
  assert.ok(near(stepWaitSeconds([0.05, 0.5], 0.1), 0.05), 'the silent leg filling is sooner here');
  // Beyond the slack but the fullest leg short of a chunk (cannot happen with a 1 s slack and 0.1 s chunks, but the
  // function must not return a negative or zero wait for a call that is not ready).
  assert.ok(near(stepWaitSeconds([0, 1.05], 2), 0.95));
});

test('one leg, and no legs at all', () => {
  assert.is(stepWaitSeconds([0.2], 0.1), 0);
  assert.ok(near(stepWaitSeconds([0.03], 0.1), 0.07));
  assert.is(stepWaitSeconds([], 0.1), 0.1);
});

test.run();
