import type { EmotionLabel } from '../runtime/manifest.js';
import { loadNamedClips, type Clip, type TrainingOnlyLabel } from './clip.js';

/**
 * RAVDESS speech (telephone-band copy; 24 North American English actors), labelled from the file name
 * `03-01-EE-II-SS-RR-AA.wav` (README of the data folder). calm (02) and surprised (08) have no Emo-DB class: the name
 * parses (emotion null): the loader drops them, or keeps them as training-only labels (`withTrainingOnly`) — see
 * models/training/CROSS-CORPUS.md, "Decisions on classes", for why.
 */

export const RAVDESS_DIR = '/work/shared/data/ravdess-8k';

const EMOTION_BY_CODE: Record<string, EmotionLabel | null> = {
  '01': 'neutral',
  '02': null,
  '03': 'happiness',
  '04': 'sadness',
  '05': 'anger',
  '06': 'fear',
  '07': 'disgust',
  '08': null,
};

export interface RavdessName {
  /** Corpus-prefixed actor id, e.g. `ravdess-07`. */
  speaker: string;
  sex: 'm' | 'f';
  /** Mapped Emo-DB class, or null for calm / surprised. */
  emotion: EmotionLabel | null;
  trainingOnly: TrainingOnlyLabel | null;
  /** RAVDESS's own emotion code (01–08). */
  code: string;
  intensity: 'normal' | 'strong';
  text: string;
  version: string;
}

/** Parse a RAVDESS speech file name; null if it does not follow the scheme (song files, README, …). */
export function parseRavdessName(file: string): RavdessName | null {
  const m = /^03-01-(0[1-8])-(0[12])-(0[12])-(0[12])-(\d\d)\.wav$/.exec(file);
  if (!m) return null;
  const actor = Number(m[5]);
  if (actor < 1 || actor > 24) return null;
  return {
    speaker: `ravdess-${m[5]}`,
    sex: actor % 2 ? 'm' : 'f',
    emotion: EMOTION_BY_CODE[m[1]],
    trainingOnly: m[1] === '02' ? 'calm' : m[1] === '08' ? 'surprise' : null,
    code: m[1],
    intensity: m[2] === '01' ? 'normal' : 'strong',
    text: m[3],
    version: m[4],
  };
}

/** Every clip with an Emo-DB class (and calm/surprise if asked), sorted by file name (stable for seeded runs). */
export function loadRavdess(dir = RAVDESS_DIR, withTrainingOnly = false): Clip[] {
  return loadNamedClips(dir, 'ravdess', parseRavdessName, (n) => `${n.intensity}-${n.version}`, withTrainingOnly);
}
