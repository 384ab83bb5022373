/** Evaluation metrics: confusion matrix, unweighted average recall, accuracy, binary ROC AUC. */

export function confusion(truth: readonly number[], pred: readonly number[], classes: number): number[][] {
  const m = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  truth.forEach((t, i) => m[t][pred[i]]++);
  return m;
}

/** Mean over classes of recall (classes absent from `truth` are skipped). */
export function uar(cm: number[][]): number {
  let s = 0;
  let k = 0;
  for (let i = 0; i < cm.length; i++) {
    const n = cm[i].reduce((a, b) => a + b, 0);
    if (n === 0) continue;
    s += cm[i][i] / n;
    k++;
  }
  return k ? s / k : 0;
}

export function accuracy(cm: number[][]): number {
  let hit = 0;
  let n = 0;
  cm.forEach((row, i) => row.forEach((v, j) => ((n += v), i === j && (hit += v))));
  return n ? hit / n : 0;
}

/** ROC AUC of scores for positives vs negatives (Mann–Whitney, ties count half). */
export function rocAuc(scores: readonly number[], positive: readonly boolean[]): number {
  const idx = scores.map((s, i) => [s, i] as const).sort((a, b) => a[0] - b[0]);
  const ranks = new Array<number>(scores.length);
  for (let i = 0; i < idx.length;) {
    let j = i;
    while (j + 1 < idx.length && idx[j + 1][0] === idx[i][0]) j++;
    const r = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[idx[k][1]] = r;
    i = j + 1;
  }
  let nPos = 0;
  let sumPos = 0;
  positive.forEach((p, i) => {
    if (p) {
      nPos++;
      sumPos += ranks[i];
    }
  });
  const nNeg = scores.length - nPos;
  if (!nPos || !nNeg) return NaN;
  return (sumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

export function argmax(p: ArrayLike<number>, offset: number, n: number): number {
  let best = 0;
  for (let j = 1; j < n; j++) if (p[offset + j] > p[offset + best]) best = j;
  return best;
}
