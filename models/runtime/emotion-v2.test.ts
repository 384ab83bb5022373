import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_FRONT_END } from '../../actors/features/front-end-config.js';
import { extractOffline } from '../../actors/features/offline-extractor.js';
import { parseWav } from '../../engine/media/wav-reader.js';
import { selectBackend } from './backend.js';
import { checkManifest } from './manifest.js';
import { loadModelDir, readManifest, type LoadedModel } from './model-files.js';
import { BatchedPredictor } from './predictor.js';
import { shippedModelDir } from './shipped-model.js';
import { assembleWindow } from './window-features.js';

/**
 * models/emotion-v2 (pooled corpora, issue 18) beside the default emotion-v1: the engine's manifest check accepts it,
 * and on RAVDESS actors it never heard (the manifest lists them under training.heldOutSpeakers) angry clips score
 * higher anger+fear than neutral ones, through the engine's path (streaming front-end → windows → batched predictor).
 */

const V2 = shippedModelDir().replace(/emotion-v1$/, 'emotion-v2');
const RAVDESS = '/work/shared/data/ravdess-8k';
const quiet = { info: () => {}, warn: () => {} };
let loaded: LoadedModel;
let predictor: BatchedPredictor;

test.before(async () => {
  await selectBackend({ prefer: ['wasm', 'cpu'], logger: quiet });
  loaded = await loadModelDir(V2, DEFAULT_FRONT_END);
  predictor = new BatchedPredictor(loaded.model, loaded.manifest);
});
test.after(() => {
  loaded.model.dispose();
});

test('emotion-v2 passes the front-end check and keeps the 7 labels; emotion-v1 still loads and stays the default', async () => {
  assert.ok(existsSync(join(V2, 'EVALUATION.md')));
  assert.is(checkManifest(JSON.parse(readFileSync(join(V2, 'manifest.json'), 'utf8')), DEFAULT_FRONT_END), null);
  assert.is(readManifest(V2, DEFAULT_FRONT_END).name, 'emotion-v2');
  assert.ok(shippedModelDir().endsWith('emotion-v1'));
  const v1 = await loadModelDir(shippedModelDir(), DEFAULT_FRONT_END);
  assert.equal(v1.manifest.labels, loaded.manifest.labels);
  v1.model.dispose();
});

/** Anger+fear score of every window of every clip of RAVDESS actor `actor` with emotion code `code`. */
function scores(actor: string, code: string): number[] {
  const files = readdirSync(RAVDESS).filter((f) => f.startsWith(`03-01-${code}-`) && f.endsWith(`-${actor}.wav`)).sort();
  assert.ok(files.length >= 4, `${files.length} clips of ${actor}/${code}`);
  const inputs: Float32Array[] = [];
  for (const f of files) {
    const wav = parseWav(new Uint8Array(readFileSync(join(RAVDESS, f))));
    const { rows, windows, geometry } = extractOffline(wav.channels[0], wav.sampleRate, DEFAULT_FRONT_END);
    for (const w of windows) inputs.push(assembleWindow(rows, w.startFrame, w.frames, geometry, loaded.manifest));
  }
  const probs = predictor.predict(inputs);
  return inputs.map((_, i) => predictor.highArousalNegative(probs, i));
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

test('held-out RAVDESS actors were not trained on', () => {
  const held = (loaded.manifest.training as { heldOutSpeakers?: string[] }).heldOutSpeakers ?? [];
  assert.equal(held, ['ravdess-01', 'ravdess-02']);
});

for (const actor of ['01', '02']) {
  test(`held-out RAVDESS actor ${actor}: angry clips score higher anger+fear than neutral clips`, () => {
    const angry = scores(actor, '05');
    const neutral = scores(actor, '01');
    assert.ok(mean(angry) > mean(neutral) + 0.2, `angry ${mean(angry).toFixed(3)} vs neutral ${mean(neutral).toFixed(3)}`);
  });
}

test.run();
