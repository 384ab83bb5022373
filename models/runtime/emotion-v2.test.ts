import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_FRONT_END } from '../../actors/features/front-end-config.js';
import { selectBackend } from './backend.js';
import { EMOTION_LABELS, checkManifest } from './manifest.js';
import { loadModelDir, type LoadedModel } from './model-files.js';
import { BatchedPredictor } from './predictor.js';
import { modelDir } from './shipped-model.js';
import { wavWindowInputs } from '../../test/support/wav-windows.js';
import { RAVDESS_DIR as RAVDESS } from '../training/ravdess.js';

/**
 * emotion-v2 (pooled corpora) end to end through the engine's path on voices it never heard: the RAVDESS actors its
 * final training held out (manifest training.heldOutSpeakers). Also: it keeps v1's 7 outputs (the training-only
 * classes were cut), and its manifest is refused against another front-end.
 */

const quiet = { info: () => {}, warn: () => {} };
let loaded: LoadedModel;
let predictor: BatchedPredictor;

test.before(async () => {
  await selectBackend({ prefer: ['wasm', 'cpu'], logger: quiet });
  loaded = await loadModelDir(modelDir('emotion-v2'), DEFAULT_FRONT_END);
  predictor = new BatchedPredictor(loaded.model, loaded.manifest);
});
test.after(() => {
  loaded.model.dispose();
});

/** Mean anger+fear over every window of the actor's clips of one RAVDESS emotion code. */
function meanScore(actor: string, code: string): number {
  const files = readdirSync(RAVDESS)
    .filter((f) => f.startsWith(`03-01-${code}-`) && f.endsWith(`-${actor}.wav`))
    .sort();
  assert.ok(files.length >= 4, `${files.length} clips of actor ${actor}, code ${code}`);
  const inputs = files.flatMap((f) => wavWindowInputs(join(RAVDESS, f), loaded.manifest));
  const probs = predictor.predict(inputs);
  return inputs.reduce((s, _, i) => s + predictor.highArousalNegative(probs, i), 0) / inputs.length;
}

test('7 outputs in v1’s order; the held-out speakers are named in the manifest', () => {
  assert.equal(loaded.model.outputs[0].shape, [null, EMOTION_LABELS.length]);
  assert.equal(loaded.manifest.labels, [...EMOTION_LABELS]);
  const held = (loaded.manifest.training as { heldOutSpeakers: string[] }).heldOutSpeakers;
  assert.ok(held.length >= 2, 'speakers kept out of the final training');
});

for (const actor of ['01', '02', '03', '04']) {
  test(`held-out RAVDESS actor ${actor}: angry speech scores higher anger+fear than neutral`, () => {
    const held = (loaded.manifest.training as { heldOutSpeakers: string[] }).heldOutSpeakers;
    assert.ok(held.includes(`ravdess-${actor}`), 'never heard in training');
    const angry = meanScore(actor, '05');
    const neutral = meanScore(actor, '01');
    assert.ok(angry > neutral + 0.2, `angry ${angry.toFixed(3)} vs neutral ${neutral.toFixed(3)}`);
  });
}

test('its manifest is refused against a front-end it was not trained for', () => {
  const bad = checkManifest(loaded.manifest, { ...DEFAULT_FRONT_END, melBands: DEFAULT_FRONT_END.melBands + 8 });
  assert.is(bad?.code, 'CG_MODEL_MISMATCH');
  assert.is(bad?.setting, 'frontEnd.melBands');
});

test.run();
