import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { EMOTION_LABELS, type EmotionLabel } from '../runtime/manifest.js';
import { readClipAudio, type Clip } from './clip.js';

/** Emo-DB (telephone-band copy) clips, labelled from the file name only (`SSTTTEV.wav`). Training/evaluation only. */

export const EMODB_DIR = '/work/shared/data/emodb-8k';

const EMOTION_BY_LETTER: Record<string, EmotionLabel> = {
  W: 'anger',
  L: 'boredom',
  E: 'disgust',
  A: 'fear',
  F: 'happiness',
  T: 'sadness',
  N: 'neutral',
};
export const SPEAKER_SEX: Record<string, 'm' | 'f'> = {
  '03': 'm',
  '08': 'f',
  '09': 'f',
  '11': 'm',
  '12': 'm',
  '13': 'f',
  '15': 'm',
  '16': 'f',
};

export type { Clip } from './clip.js';

/** Parse `SSTTTEV.wav`; null if the name does not follow the scheme. */
export function parseClipName(
  file: string,
): { speaker: string; text: string; emotion: EmotionLabel; version: string } | null {
  const m = /^(\d\d)([a-z]\d\d)([WLEAFTN])([a-z])\.wav$/.exec(file);
  if (!m) return null;
  return { speaker: m[1], text: m[2], emotion: EMOTION_BY_LETTER[m[3]], version: m[4] };
}

/** Load every clip of the directory, sorted by file name (a stable order for seeded runs). */
export function loadEmoDb(dir = EMODB_DIR): Clip[] {
  const clips: Clip[] = [];
  for (const file of readdirSync(dir).sort()) {
    const meta = parseClipName(file);
    if (!meta) continue;
    clips.push({
      corpus: 'emodb',
      file,
      ...meta,
      sex: SPEAKER_SEX[meta.speaker] ?? 'm',
      label: EMOTION_LABELS.indexOf(meta.emotion),
      ...readClipAudio(join(dir, file)),
    });
  }
  return clips;
}
