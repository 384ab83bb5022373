import { readFileSync } from 'node:fs';
import { parseWav } from '../../engine/media/wav-reader.js';
import type { EmotionLabel } from '../runtime/manifest.js';

/**
 * One labelled training/evaluation clip, whatever corpus it came from. Speaker ids are unique across corpora (Emo-DB
 * keeps its own two-digit ids so v1's folds and tables stay as they were; the others are prefixed with the corpus),
 * because every protocol holds speakers out and two corpora may both have a speaker "01".
 */

export type CorpusId = 'emodb' | 'ravdess' | 'emovo' | 'nemo';

export interface Clip {
  corpus: CorpusId;
  file: string;
  speaker: string;
  sex: 'm' | 'f';
  /** Sentence id within the corpus (or the sentence text); informational. */
  text: string;
  emotion: EmotionLabel;
  /** Index into EMOTION_LABELS. */
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
