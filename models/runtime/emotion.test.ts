import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_FRONT_END } from '../../actors/features/front-end-config.js';
import { wavWindowInputs } from '../../test/support/wav-windows.js';
import { selectBackend } from './backend.js';
import { loadModelDir, type LoadedModel } from './model-files.js';
import { BatchedPredictor } from './predictor.js';
import { shippedModelDir } from './shipped-model.js';

/**
 * End to end through the engine's path: WAV → streaming front-end → the windows it emits → assembleWindow →
 * batched predictor. The shipped model has heard these speakers (it is trained on all 8), so this checks the plumbing
 * and the direction of the scores, not generalisation (that is EVALUATION.md's job).
 */

const DATA = '/work/shared/data/emodb-8k';
const quiet = { info: () => {}, warn: () => {} };
let loaded: LoadedModel;
let predictor: BatchedPredictor;

test.before(async () => {
  await selectBackend({ prefer: ['wasm', 'cpu'], logger: quiet });
  loaded = await loadModelDir(shippedModelDir(), DEFAULT_FRONT_END);
  predictor = new BatchedPredictor(loaded.model, loaded.manifest);
});
test.after(() => {
  loaded.model.dispose();
});

/** Anger+fear score of every window of every clip of `speaker` with emotion letter `letter`. */
function scores(speaker: string, letter: string): number[] {
  const files = readdirSync(DATA)
    .filter((f) => f.startsWith(speaker) && f[5] === letter)
    .sort();
  assert.ok(files.length >= 3, `${files.length} clips of ${speaker}/${letter}`);
  const inputs: Float32Array[] = [];
  for (const f of files) {
    const windows = wavWindowInputs(join(DATA, f), loaded.manifest);
    assert.ok(windows.length >= 1, `${f} gives a window`);
    inputs.push(...windows);
  }
  const probs = predictor.predict(inputs);
  return inputs.map((_, i) => predictor.highArousalNegative(probs, i));
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

for (const speaker of ['03', '08']) {
  test(`speaker ${speaker}: angry clips score higher anger+fear than neutral clips`, () => {
    const angry = scores(speaker, 'W');
    const neutral = scores(speaker, 'N');
    assert.ok(
      mean(angry) > mean(neutral) + 0.3,
      `angry ${mean(angry).toFixed(3)} vs neutral ${mean(neutral).toFixed(3)}`,
    );
  });
}

test.run();
