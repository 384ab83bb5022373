import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { accrueEvidence, MAX_STRENGTH, speechConfidence } from './evidence-gate.js';

const THR = 0.6;
const HYST = 0.08;

/** Evidence after `seconds` one-second steps at a constant risk and confidence. */
function accrue(risk: number, seconds: number, confidence = 1, start = 0): number {
  const st = new Float64Array([start]);
  for (let i = 0; i < seconds; i++) accrueEvidence(st, 0, risk, THR, HYST, 1, confidence);
  return st[0];
}

test('at the threshold the evidence grows one second per second: the old confirmation timer', () => {
  assert.is(accrue(THR, 6), 6);
});

test('stronger risk confirms faster, in proportion to its margin, up to MAX_STRENGTH', () => {
  assert.ok(Math.abs(accrue(THR + HYST, 1) - 2) < 1e-9);
  assert.ok(Math.abs(accrue(THR + 2 * HYST, 1) - 3) < 1e-9);
  assert.is(accrue(1, 1), MAX_STRENGTH);
});

test('weak confidence (little speech heard) accrues in proportion; full confidence after minSpeechSeconds', () => {
  assert.is(speechConfidence(0, 8), 0);
  assert.is(speechConfidence(2, 8), 0.25);
  assert.is(speechConfidence(20, 8), 1);
  assert.is(speechConfidence(5, 0), 1);
  assert.ok(Math.abs(accrue(THR, 4, 0.25) - 1) < 1e-9);
});

test('a dip within the hysteresis band holds the evidence; a deeper dip resets it', () => {
  assert.is(accrue(THR - HYST / 2, 5, 1, 3), 3);
  assert.is(accrue(THR - HYST - 0.01, 1, 1, 3), 0);
});

test.run();
