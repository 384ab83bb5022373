import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EMOTION_LABELS } from '../runtime/manifest.js';
import { sharedScores } from './corpus-scores.js';

test('5-class scores: only shared-class clips count, prediction restricted to the 5 classes', () => {
  const L = EMOTION_LABELS.length;
  const row = (top: string, second?: string) => {
    const p = new Array<number>(L).fill(0.01);
    p[EMOTION_LABELS.indexOf(top as never)] = 0.6;
    if (second) p[EMOTION_LABELS.indexOf(second as never)] = 0.3;
    return p;
  };
  // A fear clip predicted boredom first and fear second counts as fear; a disgust clip is not scored.
  const probs = [...row('boredom', 'fear'), ...row('anger'), ...row('neutral'), ...row('disgust')];
  const labels = ['fear', 'anger', 'neutral', 'disgust'].map((e) => EMOTION_LABELS.indexOf(e as never));
  const s = sharedScores(probs, labels);
  assert.is(s.n, 3);
  assert.is(s.recall.fear, 1);
  assert.is(s.recall.anger, 1);
  assert.is(s.uar, 1);
  assert.is(s.highArousalNegativeAuc, 1);
});

test.run();
