import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseWav } from '../../engine/media/wav-reader.js';
import { EMOTION_LABELS, type EmotionLabel } from '../runtime/manifest.js';

/**
 * One labelled training/evaluation clip, whatever corpus it came from. Speaker ids are unique across corpora (Emo-DB
 * keeps its own two-digit ids so v1's folds and tables stay as they were; the others are prefixed with the corpus),
 * because every protocol holds speakers out and two corpora may both have a speaker "01".
 */

export type CorpusId = 'emodb' | 'ravdess' | 'emovo' | 'nemo';

/**
 * Classes some corpora have and Emo-DB does not (RAVDESS calm; RAVDESS, EMOVO, nEMO surprise). Optionally trained as
 * extra outputs the shipped model does not have (its head is cut back to EMOTION_LABELS after training), so their
 * clips teach the shared layers without putting label noise into the 7 classes (models/training/CROSS-CORPUS.md).
 */
export const TRAINING_ONLY_LABELS = ['calm', 'surprise'] as const;
export type TrainingOnlyLabel = (typeof TRAINING_ONLY_LABELS)[number];
/** Training label order: the 7 runtime labels, then the training-only ones (label indices 7, 8). */
export const TRAINING_LABELS = [...EMOTION_LABELS, ...TRAINING_ONLY_LABELS] as const;
export type ClipEmotion = EmotionLabel | TrainingOnlyLabel;

export interface Clip {
  corpus: CorpusId;
  file: string;
  speaker: string;
  sex: 'm' | 'f';
  /** Sentence id within the corpus (or the sentence text); informational. */
  text: string;
  emotion: ClipEmotion;
  /** Index into TRAINING_LABELS (= EMOTION_LABELS for the 7 runtime classes). */
  label: number;
  version: string;
  sampleRate: number;
  pcm: Int16Array;
}

/** First channel and rate of a WAV file (µ-law and PCM are decoded by the engine's reader). */
export function readClipAudio(path: string): { sampleRate: number; pcm: Int16Array } {
  const wav = parseWav(new Uint8Array(readFileSync(path)));
  return { sampleRate: wav.sampleRate, pcm: wav.channels[0] };
}

/** What a corpus's file-name parser gives for one file (null: not a clip, or no Emo-DB class). */
export interface NamedClip {
  speaker: string;
  sex: 'm' | 'f';
  text: string;
  emotion: EmotionLabel | null;
  /** calm / surprise for a clip without an Emo-DB class that can be trained as a training-only class. */
  trainingOnly?: TrainingOnlyLabel | null;
}

/**
 * Every clip of a corpus folder whose name parses to an Emo-DB class (and, with `withTrainingOnly`, to a
 * training-only class), sorted by file name (stable for seeded runs).
 */
export function loadNamedClips<N extends NamedClip>(
  dir: string,
  corpus: CorpusId,
  parse: (file: string) => N | null,
  version: (n: N) => string,
  withTrainingOnly = false,
): Clip[] {
  const clips: Clip[] = [];
  for (const file of readdirSync(dir).sort()) {
    const n = parse(file);
    const emotion: ClipEmotion | null | undefined = n?.emotion ?? (withTrainingOnly ? n?.trainingOnly : null);
    if (!n || !emotion) continue;
    clips.push({
      corpus,
      file,
      speaker: n.speaker,
      sex: n.sex,
      text: n.text,
      emotion,
      label: TRAINING_LABELS.indexOf(emotion),
      version: version(n),
      ...readClipAudio(join(dir, file)),
    });
  }
  return clips;
}
