import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_FRONT_END, frontEndGeometry } from '../../actors/features/front-end-config.js';
import { selectBackend } from '../runtime/backend.js';
import { DEFAULT_ARCH } from './architecture.js';
import { buildRows, type ClipRows } from './dataset.js';
import { loadEmoDb } from './emodb.js';
import { DEFAULT_FEATURES, trainRun, type RunConfig } from './experiment.js';
import { DEFAULT_FIT } from './fit.js';
import { withSeededMathRandom } from './prng.js';

const g = frontEndGeometry(DEFAULT_FRONT_END);
let rows: ClipRows[];

test.before(async () => {
  await selectBackend({ prefer: ['wasm', 'cpu'], logger: { info: () => {}, warn: () => {} } });
  const clips = loadEmoDb()
    .filter((c) => c.speaker === '03')
    .slice(0, 12);
  rows = buildRows(clips, DEFAULT_FRONT_END, 1, 5);
});

async function weightsAfterTraining(seed: number): Promise<number[]> {
  const run: RunConfig = {
    features: DEFAULT_FEATURES,
    levelNorm: 'voiced-mean',
    arch: { ...DEFAULT_ARCH, units: [8, 8, 8], stdPool: true },
    fit: { ...DEFAULT_FIT, epochs: 1, repeats: 1, batchSize: 6, seed },
  };
  const { model } = await withSeededMathRandom(seed, () => trainRun(rows, g, run, () => {}));
  const w = model.getWeights().flatMap((t) => Array.from(t.dataSync()));
  model.dispose();
  return w;
}

test('feature extraction with augmentation is reproducible from the seed', () => {
  const again = buildRows(
    loadEmoDb()
      .filter((c) => c.speaker === '03')
      .slice(0, 12),
    DEFAULT_FRONT_END,
    1,
    5,
  );
  assert.equal(Array.from(again[3].copies[1].rows), Array.from(rows[3].copies[1].rows));
  assert.not.equal(
    Array.from(rows[3].copies[1].rows.subarray(0, 2000)),
    Array.from(rows[3].copies[0].rows.subarray(0, 2000)),
  );
});

test('the same seed trains the same weights; another seed does not', async () => {
  const a = await weightsAfterTraining(3);
  const b = await weightsAfterTraining(3);
  const c = await weightsAfterTraining(4);
  assert.is(a.length, b.length);
  assert.ok(
    a.every((v, i) => v === b[i]),
    'same seed, same weights',
  );
  assert.ok(
    a.some((v, i) => v !== c[i]),
    'different seed, different weights',
  );
});

test.run();
