import type { EmotionLabel } from '../runtime/manifest.js';
import { loadNamedClips, type Clip, type TrainingOnlyLabel } from './clip.js';

/**
 * EMOVO (telephone-band copy; 6 Italian actors f1–f3, m1–m3, 14 sentences), labelled from the file name
 * `EMO-SPK-SENT.wav`. sor (surprise) has no Emo-DB class: it parses (emotion null) and the loader drops it.
 */

export const EMOVO_DIR = '/work/shared/data/emovo-8k';

const EMOTION_BY_CODE: Record<string, EmotionLabel | null> = {
  dis: 'disgust',
  gio: 'happiness',
  neu: 'neutral',
  pau: 'fear',
  rab: 'anger',
  tri: 'sadness',
  sor: null,
};

export interface EmovoName {
  /** Corpus-prefixed speaker id, e.g. `emovo-f1`. */
  speaker: string;
  sex: 'm' | 'f';
  emotion: EmotionLabel | null;
  trainingOnly: TrainingOnlyLabel | null;
  code: string;
  /** Sentence id (b1, d2, l3, n1, t1, …). */
  text: string;
}

/** Parse an EMOVO file name; null if it does not follow the scheme. */
export function parseEmovoName(file: string): EmovoName | null {
  const m = /^(dis|gio|neu|pau|rab|tri|sor)-([fm][1-3])-([a-z]+\d*)\.wav$/.exec(file);
  if (!m) return null;
  return {
    speaker: `emovo-${m[2]}`,
    sex: m[2][0] as 'm' | 'f',
    emotion: EMOTION_BY_CODE[m[1]],
    trainingOnly: m[1] === 'sor' ? 'surprise' : null,
    code: m[1],
    text: m[3],
  };
}

/** Every clip with an Emo-DB class (and surprise if asked), sorted by file name. */
export function loadEmovo(dir = EMOVO_DIR, withTrainingOnly = false): Clip[] {
  return loadNamedClips(dir, 'emovo', parseEmovoName, () => '', withTrainingOnly);
}
