import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ArrivalCheckpoints } from './arrival-checkpoints.js';

test('a position maps to the write that carried it: 160-sample packets at 20 ms', () => {
  const a = new ArrivalCheckpoints(16);
  for (let i = 1; i <= 10; i++) a.record(160 * i, 1000 + 20 * i);
  assert.is(a.arrivalOf(1), 1020);
  assert.is(a.arrivalOf(160), 1020);
  assert.is(a.arrivalOf(161), 1040);
  assert.is(a.arrivalOf(1600), 1200);
  assert.is(a.arrivalOf(1601), null, 'not received yet');
  assert.is(a.unknown, 0);
});

test('lookups go forward: a position behind the last answer is unknown, not guessed', () => {
  const a = new ArrivalCheckpoints(16);
  for (let i = 1; i <= 10; i++) a.record(160 * i, 20 * i);
  assert.is(a.arrivalOf(800), 100);
  assert.is(a.arrivalOf(800), 100, 'the same position again is still covered');
  assert.is(a.arrivalOf(700), 100, 'inside the entry found: same write');
  assert.is(a.arrivalOf(640), null, 'dropped: before the entry found');
  assert.is(a.unknown, 1);
});

test('when full the oldest entries are overwritten and their positions become unknown', () => {
  const a = new ArrivalCheckpoints(4);
  for (let i = 1; i <= 10; i++) a.record(100 * i, i);
  assert.is(a.arrivalOf(550), null, 'overwritten');
  assert.is(a.arrivalOf(600), null, 'the kept entries cover (600, 1000] only');
  assert.is(a.arrivalOf(601), 7);
  assert.is(a.arrivalOf(650), 7);
  assert.is(a.arrivalOf(1000), 10);
  assert.is(a.unknown, 2);
});

test('writes that add nothing keep the first arrival; clear() restarts positions from 0', () => {
  const a = new ArrivalCheckpoints(8);
  a.record(160, 5);
  a.record(160, 9);
  a.record(320, 25);
  assert.is(a.arrivalOf(100), 5);
  a.clear();
  a.record(80, 40);
  assert.is(a.arrivalOf(80), 40);
  assert.throws(() => new ArrivalCheckpoints(1), /capacity/);
});

test.run();
