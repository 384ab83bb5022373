import type { Clip, CorpusId } from './clip.js';
import { loadEmoDb } from './emodb.js';
import { loadEmovo } from './emovo.js';
import { loadNemo } from './nemo.js';
import { loadRavdess } from './ravdess.js';

/**
 * The four acted-emotion corpora under /work/shared/data as one list of clips, optionally thinned to at most N clips
 * per (speaker, emotion) cell of a corpus. Thinning is a compute budget, not a method: on a shared 2-core box the
 * 8 + 4 training runs of a cross-validation cannot afford nEMO's 3,800 clips, and a cap keeps every speaker and class
 * while stopping the big corpora from drowning Emo-DB's 428 clips. Which clips stay depends only on the seed and the
 * file name.
 */

export const CORPUS_IDS: readonly CorpusId[] = ['emodb', 'ravdess', 'emovo', 'nemo'];

/**
 * The classes every corpus has (boredom is Emo-DB only, disgust is missing from nEMO): cross-corpus scores use these.
 */
export const SHARED_EMOTIONS = ['neutral', 'happiness', 'sadness', 'anger', 'fear'] as const;

const LOADERS: Record<CorpusId, (withTrainingOnly: boolean) => Clip[]> = {
  emodb: () => loadEmoDb(),
  ravdess: (t) => loadRavdess(undefined, t),
  emovo: (t) => loadEmovo(undefined, t),
  nemo: (t) => loadNemo(undefined, t),
};

/** `emodb,ravdess` → ids; throws on an unknown name. */
export function parseCorpusList(s: string): CorpusId[] {
  return s
    .split(',')
    .filter(Boolean)
    .map((x) => {
      if (!(CORPUS_IDS as readonly string[]).includes(x))
        throw new Error(`unknown corpus ${x} (known: ${CORPUS_IDS.join(', ')})`);
      return x as CorpusId;
    });
}

/** `ravdess:3,nemo:8` → per-corpus cap; a corpus not named is not thinned. */
export function parseCaps(s: string): Partial<Record<CorpusId, number>> {
  const out: Partial<Record<CorpusId, number>> = {};
  for (const part of s.split(',').filter(Boolean)) {
    const [id, n] = part.split(':');
    out[parseCorpusList(id)[0]] = Number(n);
  }
  return out;
}

function fileHash(seed: number, file: string): number {
  let h = (seed ^ 0x5bd1e995) >>> 0;
  for (const ch of file) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return h;
}

/** Keep at most `cap` clips per (speaker, emotion), chosen by a seeded hash of the file name; order preserved. */
export function capPerCell(clips: readonly Clip[], cap: number, seed: number): Clip[] {
  const cells = new Map<string, Clip[]>();
  for (const c of clips) {
    const k = `${c.speaker}/${c.emotion}`;
    cells.set(k, [...(cells.get(k) ?? []), c]);
  }
  const keep = new Set<Clip>();
  for (const list of cells.values())
    for (const c of [...list].sort((a, b) => fileHash(seed, a.file) - fileHash(seed, b.file)).slice(0, cap))
      keep.add(c);
  return clips.filter((c) => keep.has(c));
}

/**
 * Load the named corpora (in CORPUS_IDS order), each thinned by its cap if one is given; `withTrainingOnly` keeps the
 * calm and surprise clips (labels 7, 8: TRAINING_ONLY_LABELS).
 */
export function loadCorpora(
  ids: readonly CorpusId[],
  caps: Partial<Record<CorpusId, number>> = {},
  seed = 1,
  withTrainingOnly = false,
): Clip[] {
  const out: Clip[] = [];
  for (const id of CORPUS_IDS) {
    if (!ids.includes(id)) continue;
    const all = LOADERS[id](withTrainingOnly);
    const cap = caps[id];
    out.push(...(cap && cap > 0 ? capPerCell(all, cap, seed) : all));
  }
  return out;
}

/** Clips per corpus and emotion, for logs and EVALUATION.md. */
export function countsByCorpus(
  clips: readonly Pick<Clip, 'corpus' | 'emotion' | 'speaker'>[],
): Record<string, { clips: number; speakers: number; byEmotion: Record<string, number> }> {
  const out: Record<string, { clips: number; speakers: number; byEmotion: Record<string, number> }> = {};
  const speakers: Record<string, Set<string>> = {};
  for (const c of clips) {
    const e = (out[c.corpus] ??= { clips: 0, speakers: 0, byEmotion: {} });
    e.clips++;
    e.byEmotion[c.emotion] = (e.byEmotion[c.emotion] ?? 0) + 1;
    (speakers[c.corpus] ??= new Set()).add(c.speaker);
    e.speakers = speakers[c.corpus].size;
  }
  return out;
}
