import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SabPool } from './sab-pool.js';

test('a returned buffer is handed out again for the same size, zero-filled; other sizes are allocated', () => {
  const pool = new SabPool(1 << 20);
  const a = pool.take(4096);
  new Uint8Array(a).fill(7);
  pool.give(a);
  assert.is(pool.idle, 4096);
  const other = pool.take(8192);
  assert.is.not(other, a);
  const again = pool.take(4096);
  assert.is(again, a);
  assert.ok(
    new Uint8Array(again).every((v) => v === 0),
    'reused buffers are zero-filled like fresh ones',
  );
  assert.is(pool.reused, 1);
  assert.is(pool.idle, 0);
});

test('idle buffers are bounded: beyond the limit, returned buffers are left to the GC', () => {
  const pool = new SabPool(10000);
  const bufs = [pool.take(4096), pool.take(4096), pool.take(4096)];
  for (const b of bufs) pool.give(b);
  assert.is(pool.idle, 8192);
});

test('live bytes count what was taken and not given back, kept idle or not', () => {
  const pool = new SabPool(5000);
  const a = pool.take(4096);
  const b = pool.take(4096);
  assert.is(pool.liveBytes, 8192);
  pool.give(a);
  assert.is(pool.liveBytes, 4096);
  pool.give(b); // beyond the idle bound: dropped, but no longer live either
  assert.is(pool.liveBytes, 0);
  assert.is(pool.idle, 4096);
  pool.take(4096);
  assert.is(pool.liveBytes, 4096);
});

test.run();
