/**
 * Recognition of a whole leg at once, for `analyze`, the evaluation and the benchmark: the same LegRecogniser the
 * recognition threads run, fed in the chunks a live leg would bring (0.2 s), on the calling thread.
 */
import { IntentMatcher } from './intent-matcher.js';
import { LegRecogniser, type HeardIntent, type LegRecogniserOptions, type SpeechModelFiles } from './leg-recogniser.js';
import { AsrError, loadPocketSphinx } from './pocketsphinx.js';

export interface OfflineRecognition {
  intents: HeardIntent[];
  audioSeconds: number;
  /** CPU seconds the recognition took on this thread (process CPU, measured around it). */
  cpuSeconds: number;
  words: number;
  utterances: number;
}

/** Recognise `pcm` (one leg at `rate`); throws AsrError when PocketSphinx is not installed. */
export function recogniseLeg(
  files: SpeechModelFiles,
  pcm: Int16Array,
  rate: number,
  opts: Omit<LegRecogniserOptions, 'inputRate' | 'startSeconds'> & { matcher?: IntentMatcher } = {},
): OfflineRecognition {
  const ps = loadPocketSphinx();
  if ('error' in ps) throw new AsrError('CG_ASR_UNAVAILABLE', ps.error);
  const { matcher, ...rest } = opts;
  const rec = new LegRecogniser(ps, files, matcher ?? new IntentMatcher(), {
    ...rest,
    inputRate: rate,
    startSeconds: 0,
  });
  const chunk = Math.round(rate / 5);
  const intents: HeardIntent[] = [];
  const cpu0 = process.cpuUsage();
  try {
    for (let off = 0; off < pcm.length; off += chunk)
      intents.push(...rec.feed(pcm, off, Math.min(chunk, pcm.length - off)));
    intents.push(...rec.finish());
  } finally {
    rec.close();
  }
  const c = process.cpuUsage(cpu0);
  return {
    intents,
    audioSeconds: pcm.length / rate,
    cpuSeconds: (c.user + c.system) / 1e6,
    words: rec.words,
    utterances: rec.utterances,
  };
}
