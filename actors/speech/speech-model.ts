/**
 * The spoken-content model files: the shipped domain LM and dictionary (models/speech-en-v1, built by
 * models/speech/build-speech-model.ts) over Debian's pocketsphinx-en-us acoustic model, or an operator's directory
 * with the same manifest.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SpeechModelFiles } from './leg-recogniser.js';
import { CallguardError } from '../../common/errors.js';

/** `<repo>/models/speech-en-v1` (the code runs from dist/, the model is beside the sources). */
export function shippedSpeechModelDir(): string {
  return fileURLToPath(new URL('../../../models/speech-en-v1', import.meta.url));
}

export class SpeechModelError extends CallguardError<'CG_SPEECH_MODEL'> {
  override name = 'SpeechModelError';
  constructor(message: string) {
    super('CG_SPEECH_MODEL', message);
  }
}

/** Model files of a speech model directory; throws SpeechModelError naming what is missing. */
export function speechModelFiles(dir: string = shippedSpeechModelDir()): SpeechModelFiles & { name: string } {
  const manifestPath = join(dir, 'manifest.json');
  if (!existsSync(manifestPath)) throw new SpeechModelError(`speech model: no manifest.json in ${dir}`);
  let m: { name?: string; acousticModel?: { dir?: string }; files?: { lm?: string; dict?: string; mllr?: string } };
  try {
    m = JSON.parse(readFileSync(manifestPath, 'utf8'));
  } catch (err) {
    throw new SpeechModelError(`speech model: ${manifestPath} is not JSON (${(err as Error).message})`);
  }
  const hmm = m.acousticModel?.dir;
  const lm = m.files?.lm ? join(dir, m.files.lm) : '';
  const dict = m.files?.dict ? join(dir, m.files.dict) : '';
  if (!hmm || !existsSync(join(hmm, 'mdef')))
    throw new SpeechModelError(
      `speech model: acoustic model ${hmm ?? '(none)'} not found (install Debian's pocketsphinx-en-us)`,
    );
  if (!lm || !existsSync(lm)) throw new SpeechModelError(`speech model: language model ${lm || '(none)'} not found`);
  if (!dict || !existsSync(dict)) throw new SpeechModelError(`speech model: dictionary ${dict || '(none)'} not found`);
  const mllr = m.files?.mllr ? join(dir, m.files.mllr) : undefined;
  if (mllr && !existsSync(mllr)) throw new SpeechModelError(`speech model: channel adaptation ${mllr} not found`);
  return { name: m.name ?? 'speech', hmm, lm, dict, ...(mllr ? { mllr } : {}) };
}
