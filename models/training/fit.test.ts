import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mixBatch } from './fit.js';
import { Prng } from './prng.js';

test('Beta draws stay in [0, 1] with the right mean', () => {
  const r = new Prng(3);
  const xs = Array.from({ length: 4000 }, () => r.beta(0.2, 0.2));
  assert.ok(xs.every((x) => x >= 0 && x <= 1));
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  assert.ok(Math.abs(m - 0.5) < 0.03, `mean ${m}`);
  const ys = Array.from({ length: 4000 }, () => r.beta(2, 6));
  assert.ok(Math.abs(ys.reduce((a, b) => a + b, 0) / ys.length - 0.25) < 0.02);
});

test('mixup blends inputs, targets and weights with one λ ≥ 0.5, reproducibly from the seed', () => {
  const n = 4;
  const size = 3;
  const classes = 2;
  const make = () => ({
    x: Float32Array.from({ length: n * size }, (_, i) => Math.floor(i / size)),
    y: Float32Array.from([1, 0, 0, 1, 1, 0, 0, 1]),
    w: Float32Array.from([1, 2, 1, 2]),
  });
  const a = make();
  const lam = mixBatch(a.x, a.y, a.w, n, size, classes, new Prng(5), 0.4);
  const b = make();
  mixBatch(b.x, b.y, b.w, n, size, classes, new Prng(5), 0.4);
  assert.ok(lam >= 0.5 && lam <= 1);
  assert.equal(Array.from(a.x), Array.from(b.x));
  for (let k = 0; k < n; k++) assert.ok(Math.abs(a.y[2 * k] + a.y[2 * k + 1] - 1) < 1e-6, 'targets still sum to 1');
  assert.ok(a.w.every((v) => v >= 1 && v <= 2));
});

test.run();
