import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { backoffDelay } from './backoff.js';
import { TokenBucket } from './token-bucket.js';

test('token bucket: burst of rate/10, then refills at `rate` per second (injected clock)', () => {
  let now = 0;
  const b = new TokenBucket(100, () => now);
  let taken = 0;
  while (b.tryTake()) taken++;
  assert.is(taken, 10);
  assert.is(b.msUntilToken(), 10);
  now += 10;
  assert.ok(b.tryTake());
  assert.not.ok(b.tryTake());
  now += 1000;
  taken = 0;
  while (b.tryTake()) taken++;
  assert.is(taken, 10); // capped at the burst, not 100
  const unlimited = new TokenBucket(0, () => now);
  for (let i = 0; i < 1000; i++) assert.ok(unlimited.tryTake());
  assert.is(unlimited.msUntilToken(), 0);
});

test('back-off grows exponentially, is capped, and is jittered within [exp/2, exp]', () => {
  const p = { baseMs: 100, maxMs: 1000 };
  assert.is(
    backoffDelay(p, 0, () => 0),
    50,
  );
  assert.is(
    backoffDelay(p, 0, () => 1),
    100,
  );
  assert.is(
    backoffDelay(p, 3, () => 1),
    800,
  );
  assert.is(
    backoffDelay(p, 10, () => 1),
    1000,
  );
  assert.is(
    backoffDelay(p, 10, () => 0),
    500,
  );
});

test.run();
