/**
 * A small backoff trigram language model in ARPA format, for PocketSphinx's domain LM. Probabilities are interpolated
 * absolute discounting (Ney's discount D = n1 / (n1 + 2 n2) per order) written in backoff form: every kept n-gram
 * carries its interpolated probability, and each history's backoff weight is recomputed from what was kept, so the
 * model stays normalised after pruning (Katz's renormalisation). No library on npm writes ARPA models; SRILM and
 * KenLM are not in Debian.
 */

export interface NgramOptions {
  /** Trigrams seen fewer times than this are pruned (default 2: keeps the model small and the decoder fast). */
  minTrigramCount?: number;
  /** Bigrams seen fewer times than this are pruned (default 1: all kept). */
  minBigramCount?: number;
}

export interface WeightedSentences {
  sentences: string[][];
  /** Each sentence counts this many times (a small everyday corpus weighed against a large scam corpus). */
  weight: number;
}

const BOS = '<s>';
const EOS = '</s>';
const SEP = '\u0001';

/** Per-history totals and type counts of one order's counts. */
function histories(m: Map<string, number>): Map<string, { count: number; types: number }> {
  const h = new Map<string, { count: number; types: number }>();
  for (const [k, v] of m) {
    const hk = k.slice(0, k.lastIndexOf(SEP));
    const e = h.get(hk) ?? { count: 0, types: 0 };
    e.count += v;
    e.types += 1;
    h.set(hk, e);
  }
  return h;
}

/**
 * One order: interpolated probabilities of the n-grams kept (count >= min, history accepted), and the backoff weight
 * of each history, recomputed from what was kept so the order stays normalised.
 */
function interpolate(
  counts: Map<string, number>,
  hist: Map<string, { count: number; types: number }>,
  d: number,
  min: number,
  lower: (h: string, w: string) => number,
  keepHistory: (h: string) => boolean = () => true,
): { p: Map<string, number>; bow: Map<string, number> } {
  const p = new Map<string, number>();
  const kept = new Map<string, { sum: number; lower: number }>();
  for (const [k, v] of counts) {
    if (v < min) continue;
    const j = k.lastIndexOf(SEP);
    const h = k.slice(0, j);
    if (!keepHistory(h)) continue;
    const w = k.slice(j + 1);
    const hs = hist.get(h)!;
    const pl = lower(h, w);
    const pk = Math.max(0, v - d) / hs.count + ((d * hs.types) / hs.count) * pl;
    p.set(k, pk);
    const e = kept.get(h) ?? { sum: 0, lower: 0 };
    e.sum += pk;
    e.lower += pl;
    kept.set(h, e);
  }
  const bow = new Map<string, number>();
  for (const [h, e] of kept) bow.set(h, Math.max(1e-12, 1 - e.sum) / Math.max(1e-12, 1 - e.lower));
  return { p, bow };
}

/** Counts of a corpus, then an ARPA text. Words are used as given (normalise first). */
export function buildArpa(
  corpora: WeightedSentences[],
  opts: NgramOptions = {},
): { arpa: string; vocabulary: string[]; counts: [number, number, number] } {
  const minTri = opts.minTrigramCount ?? 2;
  const minBi = opts.minBigramCount ?? 1;
  const c1 = new Map<string, number>();
  const c2 = new Map<string, number>();
  const c3 = new Map<string, number>();
  const add = (m: Map<string, number>, k: string, w: number) => m.set(k, (m.get(k) ?? 0) + w);
  for (const { sentences, weight } of corpora) {
    for (const s of sentences) {
      const t = [BOS, ...s, EOS];
      for (let i = 0; i < t.length; i++) {
        add(c1, t[i], weight);
        if (i >= 1) add(c2, t[i - 1] + SEP + t[i], weight);
        if (i >= 2) add(c3, t[i - 2] + SEP + t[i - 1] + SEP + t[i], weight);
      }
    }
  }
  const discount = (m: Map<string, number>) => {
    let n1 = 0;
    let n2 = 0;
    for (const v of m.values()) {
      if (v === 1) n1++;
      else if (v === 2) n2++;
    }
    return n1 + 2 * n2 > 0 ? Math.min(0.9, Math.max(0.1, n1 / (n1 + 2 * n2))) : 0.5;
  };
  const d1 = discount(c1);
  const d2 = discount(c2);
  const d3 = discount(c3);

  // Unigrams: absolute discount interpolated with a uniform distribution over the vocabulary. <s> is never predicted.
  const vocab = [...c1.keys()].filter((w) => w !== BOS).sort();
  let total = 0;
  for (const w of vocab) total += c1.get(w)!;
  const V = vocab.length;
  const p1 = new Map<string, number>();
  for (const w of vocab) p1.set(w, Math.max(0, c1.get(w)! - d1) / total + (d1 * V) / total / V);

  // Bigrams interpolated with the unigram, then trigrams with the bigram; kept ones only, and each history's weight.
  const o2 = interpolate(c2, histories(c2), d2, minBi, (_h, w) => p1.get(w) ?? 0);
  const p2 = o2.p;
  const bow1 = o2.bow;
  const p2full = (h: string, w: string): number => p2.get(h + SEP + w) ?? (bow1.get(h) ?? 1) * (p1.get(w) ?? 0);
  // ARPA needs a trigram's history as a bigram.
  const o3 = interpolate(
    c3,
    histories(c3),
    d3,
    minTri,
    (h, w) => p2full(h.slice(h.indexOf(SEP) + 1), w),
    (h) => p2.has(h),
  );
  const p3 = o3.p;
  const bow2 = o3.bow;

  const lg = (x: number) => (x > 0 ? Math.log10(x) : -99).toFixed(6);
  const lines: string[] = [
    '\\data\\',
    `ngram 1=${V + 1}`,
    `ngram 2=${p2.size}`,
    `ngram 3=${p3.size}`,
    '',
    '\\1-grams:',
  ];
  lines.push(`-99.000000\t${BOS}\t${lg(bow1.get(BOS) ?? 1)}`);
  for (const w of vocab)
    lines.push(bow1.has(w) ? `${lg(p1.get(w)!)}\t${w}\t${lg(bow1.get(w)!)}` : `${lg(p1.get(w)!)}\t${w}`);
  lines.push('', '\\2-grams:');
  for (const k of [...p2.keys()].sort()) {
    const words = k.split(SEP).join(' ');
    lines.push(bow2.has(k) ? `${lg(p2.get(k)!)}\t${words}\t${lg(bow2.get(k)!)}` : `${lg(p2.get(k)!)}\t${words}`);
  }
  lines.push('', '\\3-grams:');
  for (const k of [...p3.keys()].sort()) lines.push(`${lg(p3.get(k)!)}\t${k.split(SEP).join(' ')}`);
  lines.push('', '\\end\\', '');
  return { arpa: lines.join('\n'), vocabulary: vocab.filter((w) => w !== EOS), counts: [V + 1, p2.size, p3.size] };
}
