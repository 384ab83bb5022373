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
});

test('one leg, and no legs at all', () => {
  assert.is(stepWaitSeconds([0.2], 0.1), 0);
  assert.ok(near(stepWaitSeconds([0.03], 0.1), 0.07));
  assert.is(stepWaitSeconds([], 0.1), 0.1);
});

test.run();
