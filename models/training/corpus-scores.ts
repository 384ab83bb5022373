import { EMOTION_LABELS } from '../runtime/manifest.js';
import { SHARED_EMOTIONS } from './corpora.js';
import type { CvResult } from './cross-validate.js';
import { score, type Scores } from './experiment.js';
import { argmax, confusion, rocAuc, uar } from './metrics.js';

/**
 * Per-corpus figures from the pooled held-out predictions of a cross-validation: the 7-class scores of each corpus,
 * and the 5-class scores on the classes every corpus shares (neutral, happiness, sadness, anger, fear). For the
 * 5-class figure only clips of those classes count and the prediction is the most probable of those 5 classes — the
 * usual cross-corpus convention, so a corpus without boredom or disgust is not scored on classes it cannot have.
 */

export interface SharedScores {
  n: number;
  uar: number;
  /** Rows/columns in SHARED_EMOTIONS order. */
  confusion: number[][];
  /** Recall per shared class. */
  recall: Record<string, number>;
  /** P(anger) + P(fear) vs the rest, on the shared-class clips. */
  highArousalNegativeAuc: number;
}

export interface CorpusScores {
  corpus: string;
  speakers: number;
  all: Scores;
  shared: SharedScores;
  fearRecall: number;
}

const L = EMOTION_LABELS.length;

export function sharedScores(probs: ArrayLike<number>, labels: readonly number[]): SharedScores {
  const cols = SHARED_EMOTIONS.map((e) => EMOTION_LABELS.indexOf(e));
  const truth: number[] = [];
  const pred: number[] = [];
  const han: number[] = [];
  const pos: boolean[] = [];
  const ia = EMOTION_LABELS.indexOf('anger');
  const ifr = EMOTION_LABELS.indexOf('fear');
  labels.forEach((l, i) => {
    const t = cols.indexOf(l);
    if (t < 0) return;
    const sub = cols.map((c) => probs[i * L + c]);
    truth.push(t);
    pred.push(argmax(sub, 0, cols.length));
    han.push(probs[i * L + ia] + probs[i * L + ifr]);
    pos.push(l === ia || l === ifr);
  });
  const cm = confusion(truth, pred, cols.length);
  const recall: Record<string, number> = {};
  SHARED_EMOTIONS.forEach((e, i) => {
    const n = cm[i].reduce((a, b) => a + b, 0);
    recall[e] = n ? cm[i][i] / n : NaN;
  });
  return { n: truth.length, uar: uar(cm), confusion: cm, recall, highArousalNegativeAuc: rocAuc(han, pos) };
}

/** Figures per corpus (clean copies by default) from a CvResult with pooled predictions. */
export function corpusScores(cv: CvResult, which: 'clean' | 'augmented' = 'clean'): CorpusScores[] {
  if (!cv.pooled) throw new Error('cross-validation result has no pooled predictions');
  const { clips } = cv.pooled;
  const probs = cv.pooled[which];
  const corpora = [...new Set(clips.map((c) => c.corpus))];
  const fear = EMOTION_LABELS.indexOf('fear');
  return corpora.map((corpus) => {
    const idx = clips.map((c, i) => (c.corpus === corpus ? i : -1)).filter((i) => i >= 0);
    const p = new Float32Array(idx.length * L);
    idx.forEach((i, k) => p.set(probs.slice(i * L, (i + 1) * L), k * L));
    const labels = idx.map((i) => clips[i].label);
    const all = score(p, labels);
    const fr = all.confusion[fear].reduce((a, b) => a + b, 0);
    return {
      corpus,
      speakers: new Set(idx.map((i) => clips[i].speaker)).size,
      all,
      shared: sharedScores(p, labels),
      fearRecall: fr ? all.confusion[fear][fear] / fr : NaN,
    };
  });
}
