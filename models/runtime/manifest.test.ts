import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_FRONT_END } from '../../actors/features/front-end-config.js';
import {
  EMOTION_LABELS,
  ModelMismatchError,
  assertManifest,
  checkManifest,
  manifestFrontEnd,
  type ModelManifest,
} from './manifest.js';

function goodManifest(): ModelManifest {
  const F = 40 + 2;
  return {
    format: 'callguard-model/1',
    name: 'x',
    task: 'emotion-7',
    createdAt: '2025-01-01T00:00:00Z',
    frontEnd: manifestFrontEnd(DEFAULT_FRONT_END),
    window: { frames: 200, hopFrames: 50, minFrames: 100, padding: 'wrap' },
    input: {
      layout: 'batch-frames-features',
      features: ['mel', 'f0Semitones', 'voiced'],
      featureCount: F,
      levelNorm: 'voiced-mean',
      mean: new Array(F).fill(0),
      std: new Array(F).fill(1),
    },
    labels: [...EMOTION_LABELS],
    highArousalNegative: ['anger', 'fear'],
    architecture: {},
    training: {},
    augmentation: {},
    seed: 1,
    evaluation: {},
  };
}

test('a manifest that matches the front-end passes', () => {
  assert.is(checkManifest(goodManifest(), DEFAULT_FRONT_END), null);
  assert.ok(assertManifest(goodManifest(), DEFAULT_FRONT_END));
});

test('a different mel band count is refused with CG_MODEL_MISMATCH naming the setting', () => {
  const err = checkManifest(goodManifest(), { ...DEFAULT_FRONT_END, melBands: 64 });
  assert.instance(err, ModelMismatchError);
  assert.is(err!.code, 'CG_MODEL_MISMATCH');
  assert.is(err!.setting, 'frontEnd.melBands');
  assert.match(err!.message, /melBands/);
  assert.match(err!.message, /40/);
  assert.match(err!.message, /64/);
});

test('sample rate, hop, mel scale and window length differences are each named', () => {
  const cases: [Partial<typeof DEFAULT_FRONT_END>, string][] = [
    [{ sampleRate: 16000 }, 'frontEnd.sampleRate'],
    [{ hopMs: 20 }, 'frontEnd.hopMs'],
    [{ melScale: 'htk' }, 'frontEnd.melScale'],
    [{ melNorm: 'none' as never }, 'frontEnd.melNorm'],
    [{ windowSeconds: 3 }, 'frontEnd.windowSeconds'],
  ];
  for (const [change, setting] of cases) {
    const err = checkManifest(goodManifest(), { ...DEFAULT_FRONT_END, ...change });
    assert.ok(err, setting);
    assert.is(err!.code, 'CG_MODEL_MISMATCH');
    assert.is(err!.setting, setting);
  }
});

test('a different window hop is accepted (it changes how often the model runs, not its input)', () => {
  assert.is(checkManifest(goodManifest(), { ...DEFAULT_FRONT_END, windowHopSeconds: 1 }), null);
});

test('malformed manifests are refused, never thrown', () => {
  assert.is(checkManifest(null, DEFAULT_FRONT_END)!.code, 'CG_MODEL_MISMATCH');
  assert.is(checkManifest('x', DEFAULT_FRONT_END)!.setting, 'manifest');
  const m = goodManifest();
  m.input.std[3] = 0;
  assert.is(checkManifest(m, DEFAULT_FRONT_END)!.setting, 'input.std');
  const m2 = goodManifest();
  m2.labels = [...EMOTION_LABELS].reverse();
  assert.is(checkManifest(m2, DEFAULT_FRONT_END)!.setting, 'labels');
  const m3 = goodManifest();
  m3.input.featureCount = 41;
  assert.is(checkManifest(m3, DEFAULT_FRONT_END)!.setting, 'input.featureCount');
  const m4 = goodManifest();
  m4.window.frames = 300;
  assert.is(checkManifest(m4, DEFAULT_FRONT_END)!.setting, 'window.frames');
  assert.throws(
    () => assertManifest(m4, DEFAULT_FRONT_END),
    (e: unknown) => (e as ModelMismatchError).code === 'CG_MODEL_MISMATCH',
  );
});

test('a keyword spotter manifest: distinct labels with one intent category each; an unknown task is refused', () => {
  const spot: ModelManifest = {
    ...goodManifest(),
    task: 'keywords',
    labels: ['code', 'giftcard'],
    highArousalNegative: [],
    keywordCategories: ['ask', 'pay'],
  };
  assert.is(checkManifest(spot, DEFAULT_FRONT_END), null);
  assert.is(checkManifest({ ...spot, keywordCategories: ['ask'] }, DEFAULT_FRONT_END)!.setting, 'keywordCategories');
  assert.is(checkManifest({ ...spot, labels: ['code', 'code'] }, DEFAULT_FRONT_END)!.setting, 'labels');
  assert.is(checkManifest({ ...spot, labels: [] }, DEFAULT_FRONT_END)!.setting, 'labels');
  assert.is(checkManifest({ ...goodManifest(), task: 'asr' as never }, DEFAULT_FRONT_END)!.setting, 'task');
});

test.run();
