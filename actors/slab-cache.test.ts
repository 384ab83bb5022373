import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { CallSlabHandles } from './call-slab.js';
import { SlabCache, type WireCall } from './slab-cache.js';

const slab = (callId: string) => ({ callId }) as unknown as CallSlabHandles;
const wire = (key: number, withSlab: boolean): WireCall => ({
  key,
  callId: `c${key}`,
  final: false,
  ...(withSlab ? { slab: slab(`c${key}`) } : {}),
});

test('a slab given once is reused by key; a call never given is reported unknown, not stepped', () => {
  const cache = new SlabCache();
  let r = cache.resolve([wire(1, true), wire(2, false)], 0);
  assert.equal(
    r.known.map((c) => c.slab.callId),
    ['c1'],
  );
  assert.equal(
    r.unknown.map((w) => w.callId),
    ['c2'],
  );
  r = cache.resolve([wire(1, false), wire(2, true)], 10);
  assert.equal(
    r.known.map((c) => c.slab.callId),
    ['c1', 'c2'],
  );
  assert.is(r.unknown.length, 0);
});

test('a newer slab for the same key replaces the old one; idle entries are dropped after 30 s', () => {
  const cache = new SlabCache();
  cache.resolve([wire(1, true)], 0);
  const fresh: WireCall = { key: 1, callId: 'c1', final: true, slab: slab('c1-new') };
  assert.is(cache.resolve([fresh], 5).known[0].slab.callId, 'c1-new');
  assert.is(cache.resolve([wire(1, false)], 6).known[0].final, false, 'the task says final, not the cache');
  // Only key 2 is used from now on; the sweep runs every 256 tasks.
  for (let t = 0; t < 256; t++) cache.resolve([wire(2, t === 0)], 40_000 + t);
  assert.is(cache.size, 1, 'key 1, idle for 40 s, was dropped');
  assert.is(cache.resolve([wire(1, false)], 41_000).unknown.length, 1);
});

test.run();
