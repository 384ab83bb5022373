/**
 * The development set for tuning the recogniser and matcher: lines of our own corpora (models/speech/corpus, which the
 * domain LM was built from) grouped into short pseudo-calls, spoken by voices that the held-out evaluation does not
 * use (festival's kal and ked diphone voices, its slt HTS voice, espeak-ng variants). Reference intents are what the
 * matcher finds in the true text, so a change to recognition is judged by the intents it recovers, not by word
 * error rate alone. The held-out scripts (scripts.json) and voices (flite, espeak en-us) are never touched here.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { dirname } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
const corpusDir = resolve(here, '..', '..', '..', '..', 'models', 'speech', 'corpus');

/** Voices of the development set (never those of the held-out evaluation). */
export const DEV_VOICES = [
  'festival:kal_diphone',
  'festival:cmu_us_slt_arctic_hts',
  'espeak:en-gb-x-gbcwmd+m2',
  'espeak:en-gb+m6',
] as const;

export interface DevCall {
  id: string;
  kind: 'scam' | 'everyday';
  sentences: string[];
}

/**
 * Pseudo-calls of `perCall` consecutive corpus lines; every `stride`-th group, so a quick run still spans the corpus.
 */
export function devCalls(perCall = 6, stride = 3): DevCall[] {
  const out: DevCall[] = [];
  for (const kind of ['scam', 'everyday'] as const) {
    const lines = readFileSync(join(corpusDir, kind === 'scam' ? 'scam-calls.txt' : 'everyday-calls.txt'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    for (let g = 0, i = 0; i + perCall <= lines.length; i += perCall, g++)
      if (g % stride === 0) out.push({ id: `${kind}-${g}`, kind, sentences: lines.slice(i, i + perCall) });
  }
  return out;
}

/** One sentence to a WAV with a TTS engine ("flite:awb", "espeak:en-us+m3", "festival:kal_diphone"). */
export function speakSentence(text: string, voice: string, out: string): void {
  const i = voice.indexOf(':');
  const engine = voice.slice(0, i);
  const name = voice.slice(i + 1);
  if (engine === 'flite') execFileSync('flite', ['-voice', name, '-t', text, '-o', out]);
  else if (engine === 'espeak') execFileSync('espeak-ng', ['-v', name, '-s', '150', '-w', out, text]);
  else if (engine === 'festival') execFileSync('text2wave', ['-eval', `(voice_${name})`, '-o', out], { input: text });
  else throw new Error(`unknown TTS engine ${engine}`);
}

/**
 * A pseudo-call as an 8 kHz µ-law WAV (0.5 s lead-in, 0.5 s between sentences), cached under `cacheDir` by voice and
 * text so repeated tuning runs do not synthesise again.
 */
export function devCallWav(call: DevCall, voice: string, cacheDir: string): string {
  mkdirSync(cacheDir, { recursive: true });
  const key = createHash('sha1')
    .update(voice + '\n' + call.sentences.join('\n'))
    .digest('hex')
    .slice(0, 16);
  const out = join(cacheDir, `${key}.wav`);
  if (existsSync(out)) return out;
  const parts: string[] = [];
  call.sentences.forEach((text, i) => {
    const f = join(cacheDir, `${key}-s${i}.wav`);
    speakSentence(text, voice, f);
    const r = join(cacheDir, `${key}-r${i}.wav`);
    execFileSync('sox', [f, '-r', '8000', '-c', '1', '-b', '16', r, 'pad', '0', '0.5']);
    parts.push(r);
  });
  const pcm = join(cacheDir, `${key}-joined.wav`);
  execFileSync('sox', [...parts, pcm, 'pad', '0.5', '0']);
  execFileSync('sox', [pcm, '-r', '8000', '-e', 'mu-law', out]);
  execFileSync('rm', ['-f', pcm, ...parts, ...parts.map((p) => p.replace(/-r(\d+)\.wav$/, '-s$1.wav'))]);
  return out;
}
