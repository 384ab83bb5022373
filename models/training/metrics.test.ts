import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { augmentClip } from './augment.js';
import { parseClipName } from './emodb.js';
import { accuracy, confusion, rocAuc, uar } from './metrics.js';
import { Prng } from './prng.js';

test('UAR is the mean of per-class recalls, accuracy the diagonal share', () => {
  const cm = confusion([0, 0, 0, 0, 1, 1], [0, 0, 0, 1, 1, 0], 2);
  assert.equal(cm, [
    [3, 1],
    [1, 1],
  ]);
  assert.ok(Math.abs(uar(cm) - (0.75 + 0.5) / 2) < 1e-12);
  assert.ok(Math.abs(accuracy(cm) - 4 / 6) < 1e-12);
});

test('ROC AUC: perfect, inverted, ties and a hand-computed case', () => {
  assert.is(rocAuc([0.1, 0.2, 0.8, 0.9], [false, false, true, true]), 1);
  assert.is(rocAuc([0.9, 0.8, 0.2, 0.1], [false, false, true, true]), 0);
  assert.is(rocAuc([0.5, 0.5, 0.5, 0.5], [false, true, false, true]), 0.5);
  // positives 0.4, 0.8; negatives 0.1, 0.5, 0.9 → pairs won: (0.4>0.1) + (0.8>0.1, 0.8>0.5) = 3 of 6.
  assert.is(rocAuc([0.4, 0.8, 0.1, 0.5, 0.9], [true, true, false, false, false]), 0.5);
});

test('file names give speaker, text and emotion', () => {
  assert.equal(parseClipName('03a01Wa.wav'), { speaker: '03', text: 'a01', emotion: 'anger', version: 'a' });
  assert.is(parseClipName('16b10Ab.wav')!.emotion, 'fear');
  assert.is(parseClipName('README.md'), null);
});

test('augmentation is reproducible from the seed and changes the audio', () => {
  const pcm = Int16Array.from({ length: 16000 }, (_, i) => Math.round(8000 * Math.sin(i / 5)));
  const a = augmentClip(pcm, 8000, new Prng(7));
  const b = augmentClip(pcm, 8000, new Prng(7));
  const c = augmentClip(pcm, 8000, new Prng(8));
  assert.equal(a.record, b.record);
  assert.equal(Array.from(a.pcm), Array.from(b.pcm));
  assert.not.equal(Array.from(a.pcm.subarray(0, 500)), Array.from(c.pcm.subarray(0, 500)));
});

test.run();
