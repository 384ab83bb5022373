import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EmotionLabel } from '../runtime/manifest.js';
import { readClipAudio, TRAINING_LABELS, type Clip } from './clip.js';

/**
 * nEMO (telephone-band copy; 9 Polish actors). Labels, speaker and gender come from the corpus's own `data.tsv`
 * (file_id, emotion, raw_text, normalized_text, speaker_id, gender, age); the file name `SPK_emotion_N.wav` repeats
 * speaker and emotion, and the loader refuses a row where they disagree. surprised has no Emo-DB class and is dropped.
 */

export const NEMO_DIR = '/work/shared/data/nemo-8k';

const EMOTION_BY_NAME: Record<string, EmotionLabel | null> = {
  anger: 'anger',
  fear: 'fear',
  happiness: 'happiness',
  sadness: 'sadness',
  neutral: 'neutral',
  surprised: null,
};

export interface NemoRow {
  file: string;
  /** Corpus-prefixed speaker id, e.g. `nemo-EB0`. */
  speaker: string;
  sex: 'm' | 'f';
  emotion: EmotionLabel | null;
  /** nEMO's own label. */
  source: string;
  text: string;
}

/** Parse `SPK_emotion_N.wav`; null if it does not follow the scheme. */
export function parseNemoName(
  file: string,
): { speaker: string; source: string; emotion: EmotionLabel | null; take: string } | null {
  const m = /^([A-Z]{2}\d)_([a-z]+)_(\d+)\.wav$/.exec(file);
  if (!m || !(m[2] in EMOTION_BY_NAME)) return null;
  return { speaker: `nemo-${m[1]}`, source: m[2], emotion: EMOTION_BY_NAME[m[2]], take: m[3] };
}

/** The rows of data.tsv (every file, surprised included), in file order. */
export function readNemoTable(dir = NEMO_DIR): NemoRow[] {
  const lines = readFileSync(join(dir, 'data.tsv'), 'utf8')
    .split('\n')
    .filter((l) => l.trim());
  const head = lines[0].split('\t');
  const col = (name: string) => {
    const i = head.indexOf(name);
    if (i < 0) throw new Error(`nEMO data.tsv: no column ${name}`);
    return i;
  };
  const [cf, ce, ct, cs, cg] = ['file_id', 'emotion', 'raw_text', 'speaker_id', 'gender'].map(col);
  return lines.slice(1).map((l) => {
    const c = l.split('\t');
    const file = c[cf].trim();
    const source = c[ce].trim();
    const speaker = `nemo-${c[cs].trim()}`;
    const byName = parseNemoName(file);
    if (!byName || byName.source !== source || byName.speaker !== speaker)
      throw new Error(`nEMO data.tsv row ${file}: emotion/speaker disagree with the file name`);
    if (!(source in EMOTION_BY_NAME)) throw new Error(`nEMO data.tsv row ${file}: unknown emotion ${source}`);
    return {
      file,
      speaker,
      sex: c[cg].trim() === 'female' ? 'f' : 'm',
      emotion: EMOTION_BY_NAME[source],
      source,
      text: c[ct].trim(),
    };
  });
}

/** Every clip with an Emo-DB class (and surprise if asked), sorted by file name. */
export function loadNemo(dir = NEMO_DIR, withTrainingOnly = false): Clip[] {
  const clips: Clip[] = [];
  for (const r of readNemoTable(dir).sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0))) {
    const emotion = r.emotion ?? (withTrainingOnly && r.source === 'surprised' ? 'surprise' : null);
    if (!emotion || !existsSync(join(dir, r.file))) continue;
    clips.push({
      corpus: 'nemo',
      file: r.file,
      speaker: r.speaker,
      sex: r.sex,
      text: r.text,
      emotion,
      label: TRAINING_LABELS.indexOf(emotion),
      version: '',
      ...readClipAudio(join(dir, r.file)),
    });
  }
  return clips;
}
