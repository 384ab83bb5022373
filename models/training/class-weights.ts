/**
 * Loss weight per training clip. 'pooled' (v1's recipe) balances the classes over the whole training set. On pooled
 * corpora that over-weights a class only one corpus has (Emo-DB's boredom: ~5 % of the pool gets ~3× weight), and the
 * net learns it as "this corpus, low arousal". 'per-corpus' balances the classes within each corpus, then gives every
 * corpus the same total weight, so a corpus-specific class weighs what it weighs inside its own corpus.
 */

export type ClassBalance = 'pooled' | 'per-corpus';

export interface WeightedItem {
  corpus: string;
  label: number;
}

/** One weight per item, mean 1 (classes absent from the items get none); `balance` off gives all ones. */
export function sampleWeights(
  items: readonly WeightedItem[],
  classes: number,
  balance: ClassBalance | 'none',
): Float32Array {
  const n = items.length;
  const w = new Float32Array(n).fill(1);
  if (balance === 'none' || n === 0) return w;
  if (balance === 'pooled') {
    const counts = new Array<number>(classes).fill(0);
    for (const it of items) counts[it.label]++;
    items.forEach((it, i) => (w[i] = n / (classes * counts[it.label])));
    return w;
  }
  const cells = new Map<string, Map<number, number>>();
  for (const it of items) {
    const c = cells.get(it.corpus) ?? new Map<number, number>();
    c.set(it.label, (c.get(it.label) ?? 0) + 1);
    cells.set(it.corpus, c);
  }
  const corpora = cells.size;
  items.forEach((it, i) => {
    const c = cells.get(it.corpus)!;
    w[i] = n / (corpora * c.size * c.get(it.label)!);
  });
  return w;
}
