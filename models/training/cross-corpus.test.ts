import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EMOTION_LABELS } from '../runtime/manifest.js';
import { mergeResults, type CrossCorpusResult } from './cross-corpus.js';
import { score, type RunConfig } from './experiment.js';
import { DEFAULT_ARCH } from './architecture.js';
import { DEFAULT_FIT } from './fit.js';

const L = EMOTION_LABELS.length;
const run: RunConfig = { features: [], levelNorm: 'voiced-mean', arch: DEFAULT_ARCH, fit: DEFAULT_FIT };

/** A result of one fold: clips of `corpus` with one-hot probabilities (correct when `right`). */
function part(fold: string, corpus: string, labels: number[], right: boolean[]): CrossCorpusResult {
  const probs = labels.flatMap((l, i) => EMOTION_LABELS.map((_, j) => (j === (right[i] ? l : (l + 1) % L) ? 1 : 0)));
  const clips = labels.map((label, i) => ({ corpus, speaker: `${corpus}-${fold}`, file: `${fold}-${i}.wav`, label }));
  const s = score(Float32Array.from(probs), labels);
  return {
    command: `run ${fold}`,
    protocol: 'pooled',
    data: {},
    caps: {},
    cv: {
      folds: [{ heldOut: [fold], name: fold, clean: s, augmented: s, finalLoss: 1 }],
      clean: s,
      augmented: s,
      run,
      copies: 3,
      foldKind: 'pooled-speakers',
      seconds: 10,
      pooled: { clips, clean: probs, augmented: probs },
    },
    perCorpus: { clean: [], augmented: [] },
  };
}

test('merging fold runs pools their predictions and recomputes the scores per corpus', () => {
  const a = part('f0', 'emodb', [0, 3, 6], [true, true, false]);
  const b = part('f1', 'ravdess', [0, 3, 6, 6], [true, false, true, true]);
  const m = mergeResults([a, b]);
  assert.is(m.cv.folds.length, 2);
  assert.is(m.cv.pooled!.clips.length, 7);
  assert.is(m.cv.seconds, 20);
  assert.is(m.cv.clean.accuracy, 5 / 7);
  assert.equal(
    m.perCorpus.clean.map((s) => [s.corpus, s.all.n, s.all.accuracy]),
    [
      ['emodb', 3, 2 / 3],
      ['ravdess', 4, 3 / 4],
    ],
  );
});

test('merging refuses a fold twice or another recipe', () => {
  const a = part('f0', 'emodb', [0], [true]);
  assert.throws(() => mergeResults([a, part('f0', 'emodb', [1], [true])]), /twice/);
  const other = part('f1', 'emodb', [0], [true]);
  other.cv.run = { ...run, fit: { ...DEFAULT_FIT, epochs: 3 } };
  assert.throws(() => mergeResults([a, other]), /recipe/);
});

test.run();
