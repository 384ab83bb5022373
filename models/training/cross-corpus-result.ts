import type { countsByCorpus } from './corpora.js';
import type { CorpusScores } from './corpus-scores.js';
import type { CvResult } from './cross-validate.js';

/** What one cross-corpus protocol run saves (JSON) and what its markdown report reads. */
export interface CrossCorpusResult {
  command: string;
  protocol: 'pooled' | 'corpus';
  data: ReturnType<typeof countsByCorpus>;
  caps: Record<string, number>;
  cv: CvResult;
  perCorpus: { clean: CorpusScores[]; augmented: CorpusScores[] };
}
