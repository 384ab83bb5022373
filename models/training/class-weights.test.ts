import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sampleWeights, type WeightedItem } from './class-weights.js';

const items = (spec: [string, number, number][]): WeightedItem[] =>
  spec.flatMap(([corpus, label, count]) => Array.from({ length: count }, () => ({ corpus, label })));

// A small corpus with a class of its own (label 2) beside a large corpus without it.
const pool = items([
  ['a', 0, 10],
  ['a', 1, 10],
  ['a', 2, 5],
  ['b', 0, 60],
  ['b', 1, 40],
]);
const sum = (w: Float32Array, pick: (it: WeightedItem) => boolean) =>
  pool.reduce((s, it, i) => s + (pick(it) ? w[i] : 0), 0);

test('pooled balance: every class the same total weight, mean 1 (v1 recipe)', () => {
  const w = sampleWeights(pool, 3, 'pooled');
  const per = [0, 1, 2].map((l) => sum(w, (it) => it.label === l));
  for (const p of per) assert.ok(Math.abs(p - pool.length / 3) < 1e-3, String(per));
  assert.ok(Math.abs(sum(w, () => true) / pool.length - 1) < 1e-6);
});

test('per-corpus balance: corpora weigh the same, classes the same within a corpus, mean 1', () => {
  const w = sampleWeights(pool, 3, 'per-corpus');
  const a = sum(w, (it) => it.corpus === 'a');
  const b = sum(w, (it) => it.corpus === 'b');
  assert.ok(Math.abs(a - b) < 1e-3, `${a} vs ${b}`);
  for (const l of [0, 1, 2]) assert.ok(Math.abs(sum(w, (it) => it.corpus === 'a' && it.label === l) - a / 3) < 1e-3);
  for (const l of [0, 1]) assert.ok(Math.abs(sum(w, (it) => it.corpus === 'b' && it.label === l) - b / 2) < 1e-3);
  assert.ok(Math.abs(sum(w, () => true) / pool.length - 1) < 1e-6);
  // The corpus-only class no longer outweighs the classes every corpus has (pooled gives it 7× a 'b' clip's weight).
  const only = w[pool.findIndex((it) => it.label === 2)];
  const aZero = w[pool.findIndex((it) => it.corpus === 'a' && it.label === 0)];
  assert.is(only, aZero * 2);
});

test('no balance: all ones', () => {
  assert.ok(sampleWeights(pool, 3, 'none').every((v) => v === 1));
});

test.run();
