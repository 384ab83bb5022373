import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Mulberry32 } from './mulberry32.js';
import {
  yin,
  yinBlocking,
  yinBufferLength,
  yinCacheLength,
  yinLagCount,
  yinStreaming,
  type YinParams,
  type YinResult,
} from './yin-pitch.js';

const P: YinParams = { window: 100, tauMin: 10, tauMax: 66, threshold: 0.15 };

/** A voiced-ish test signal: two harmonics with drifting pitch, plus noise, at 4 kHz. */
function signal(n: number, seed: number): Float64Array {
  const rnd = new Mulberry32(seed);
  const x = new Float64Array(n);
  let phase = 0;
  for (let i = 0; i < n; i++) {
    phase += (2 * Math.PI * (120 + 60 * Math.sin(i / 900))) / 4000;
    x[i] = 0.4 * Math.sin(phase) + 0.2 * Math.sin(2 * phase + 0.3) + 0.05 * (rnd.next() - 0.5);
  }
  return x;
}

/**
 * Run the streaming form over frames at `hop`, skipping the frames `skip` says, and compare each with plain YIN.
 * Returns the frames compared and how many blocks each had to compute.
 */
function agree(hop: number, skip: (frame: number) => boolean): { compared: number; computed: number[] } {
  const bl = yinBlocking(P, hop);
  const x = signal(hop * 400 + yinBufferLength(P), 7);
  const cache = new Float64Array(3 + yinCacheLength(P, bl)).fill(0);
  const lags = yinLagCount(P);
  const d1 = new Float64Array(lags);
  const c1 = new Float64Array(lags);
  const d2 = new Float64Array(lags);
  const c2 = new Float64Array(lags);
  const a: YinResult = { period: 0, aperiodicity: 1, periodic: false };
  const b: YinResult = { period: 0, aperiodicity: 1, periodic: false };
  let compared = 0;
  const computed: number[] = [];
  for (let f = 0; f < 400; f++) {
    if (skip(f)) {
      computed.push(-1);
      continue;
    }
    computed.push(yinStreaming(x, f * hop, f, P, bl, cache, 3, d1, c1, a));
    yin(x, f * hop, P, d2, c2, b);
    for (let t = 1; t < lags; t++)
      assert.ok(
        Math.abs(d1[t] - d2[t]) <= 1e-12 * Math.max(1, d2[t]),
        `hop ${hop} frame ${f} lag ${t}: ${d1[t]} vs ${d2[t]}`,
      );
    assert.is(a.periodic, b.periodic, `hop ${hop} frame ${f}: voicing`);
    assert.ok(Math.abs(a.period - b.period) < 1e-9, `hop ${hop} frame ${f}: period ${a.period} vs ${b.period}`);
    compared++;
  }
  return { compared, computed };
}

test('block-cached YIN equals plain YIN on every frame, whichever frames ran before it', () => {
  const rnd = new Mulberry32(11);
  const gaps = Array.from({ length: 400 }, () => rnd.next() < 0.3);
  const all = agree(40, () => false);
  assert.is(all.compared, 400);
  // The saving: after the first frame, each frame computes only the 2 blocks its 40-sample hop brings in.
  assert.is(all.computed[0], 5);
  assert.ok(
    all.computed.slice(1).every((n) => n === 2),
    'steady-state frames compute 2 of their 5 blocks',
  );
  // Gated frames leave holes in the cache: the frames after them must recompute, not reuse stale blocks.
  const gappy = agree(40, (f) => gaps[f]);
  assert.ok(gappy.compared > 200);
  assert.ok(gappy.computed.some((n) => n > 2));
  assert.ok(agree(40, (f) => f % 3 === 1).compared > 200);
});

test('block geometry follows the hop: shared blocks where window and hop have a common size, afresh otherwise', () => {
  assert.equal(yinBlocking(P, 40), { size: 20, count: 5, perHop: 2, cached: true });
  assert.equal(yinBlocking(P, 50), { size: 50, count: 2, perHop: 1, cached: true });
  assert.equal(yinBlocking(P, 120), { size: 20, count: 5, perHop: 6, cached: true });
  assert.is(yinBlocking(P, 33).cached, false);
  for (const hop of [50, 120, 33, 10]) assert.ok(agree(hop, (f) => f % 5 === 2).compared > 100, `hop ${hop}`);
});

test('a pure tone gives its period', () => {
  const x = new Float64Array(yinBufferLength(P));
  for (let i = 0; i < x.length; i++) x[i] = Math.sin((2 * Math.PI * 200 * i) / 4000);
  const lags = yinLagCount(P);
  const r: YinResult = { period: 0, aperiodicity: 1, periodic: false };
  yin(x, 0, P, new Float64Array(lags), new Float64Array(lags), r);
  assert.ok(r.periodic);
  assert.ok(Math.abs(r.period / 20 - 1) < 0.005, `period ${r.period}`);
});

test.run();
