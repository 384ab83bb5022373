import type { Clip } from './clip.js';
import { SPEAKER_SEX } from './emodb.js';

/**
 * Speaker-independent folds over pooled corpora. A fold names the speakers it holds out; everything else trains.
 * - pooledSpeakerFolds: 8 folds aligned with v1's Emo-DB leave-one-speaker-out (fold i holds out the i-th Emo-DB
 *   speaker) that also hold out every 8th speaker of each other corpus. One set of 8 trainings thus gives Emo-DB LOSO
 *   figures comparable with v1 and a leave-speakers-out figure for every corpus.
 * - corpusFolds: leave-one-corpus-out — train on the other corpora, test on all speakers of the held-out one: the
 *   honest measure of a model that meets new voices, languages and recording set-ups.
 */

export interface SpeakerFold {
  name: string;
  heldOut: string[];
}

function speakersOf(clips: readonly Pick<Clip, 'corpus' | 'speaker'>[], corpus: string): string[] {
  return [...new Set(clips.filter((c) => c.corpus === corpus).map((c) => c.speaker))].sort();
}

export function pooledSpeakerFolds(clips: readonly Pick<Clip, 'corpus' | 'speaker'>[], k = 8): SpeakerFold[] {
  const emodb = speakersOf(clips, 'emodb');
  const folds: SpeakerFold[] = Array.from({ length: k }, (_, i) => ({
    name: emodb[i] ? `emodb ${emodb[i]} (${SPEAKER_SEX[emodb[i]]}) + others` : `fold ${i}`,
    heldOut: emodb[i] ? [emodb[i]] : [],
  }));
  if (emodb.length > k) throw new RangeError(`${emodb.length} Emo-DB speakers do not fit ${k} folds`);
  const others = [...new Set(clips.map((c) => c.corpus))].filter((c) => c !== 'emodb').sort();
  for (const corpus of others) speakersOf(clips, corpus).forEach((s, j) => folds[j % k].heldOut.push(s));
  return folds.filter((f) => f.heldOut.length > 0);
}

export function corpusFolds(clips: readonly Pick<Clip, 'corpus' | 'speaker'>[]): SpeakerFold[] {
  return [...new Set(clips.map((c) => c.corpus))]
    .sort()
    .map((corpus) => ({ name: `${corpus} held out`, heldOut: speakersOf(clips, corpus) }));
}
