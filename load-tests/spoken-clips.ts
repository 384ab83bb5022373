import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { linearToAlaw, linearToUlaw } from '../actors/dsp/g711.js';
import { parseWav } from '../engine/media/wav-reader.js';
import { speakSentence } from '../models/speech/eval/dev-set.js';
import { loadScripts } from '../models/speech/eval/evaluate-content.js';
import type { Clip, G711Codec } from './emodb-clips.js';

/**
 * Spoken calls for load runs of the spoken-content path (`--conversation spoken`): the held-out evaluation scripts
 * (models/speech/eval/scripts.json, scam and benign) read sentence by sentence by TTS voices, one clip per sentence,
 * pre-encoded to the call's G.711 law. Synthesised once per machine (cached by voice and text in the temp directory).
 */

export interface SpokenScript {
  readonly id: string;
  readonly kind: 'scam' | 'benign';
  readonly voice: string;
  /** One clip per sentence, in order. */
  readonly sentences: readonly Clip[];
}

export interface SpokenLibrary {
  readonly source: string;
  scripts(kind: 'scam' | 'benign', codec: G711Codec): readonly SpokenScript[];
}

/** The evaluation's voices (flite): never used to build or tune the recogniser. */
export const SPOKEN_VOICES = ['flite:awb', 'flite:rms', 'flite:kal', 'flite:slt'] as const;

/** Synthesises (or reads from the cache) every script with every voice; needs flite and sox. */
export function buildSpokenLibrary(
  voices: readonly string[] = SPOKEN_VOICES,
  cacheDir = join(tmpdir(), 'callguard-spoken-clips'),
): SpokenLibrary {
  mkdirSync(cacheDir, { recursive: true });
  const pcm: Array<{ id: string; kind: 'scam' | 'benign'; voice: string; sentences: Int16Array[] }> = [];
  for (const s of loadScripts())
    for (const voice of voices) {
      const sentences = s.sentences.map((text) => {
        const key = createHash('sha1').update(`${voice}\n${text}`).digest('hex').slice(0, 20);
        const out = join(cacheDir, `${key}.wav`);
        if (!existsSync(out)) {
          const raw = join(cacheDir, `${key}.raw.wav`);
          speakSentence(text, voice, raw);
          // 8 kHz, 0.3 s of pause after the sentence (a talker's breath before the other party answers).
          execFileSync('sox', [raw, '-r', '8000', '-c', '1', '-b', '16', out, 'pad', '0', '0.3'], { stdio: 'ignore' });
          execFileSync('rm', ['-f', raw]);
        }
        return parseWav(readFileSync(out)).channels[0];
      });
      pcm.push({ id: s.id, kind: s.kind, voice, sentences });
    }
  const cache = new Map<string, SpokenScript[]>();
  return {
    source: `scripts.json read by ${voices.join(', ')}`,
    scripts(kind, codec) {
      const key = kind + codec;
      let list = cache.get(key);
      if (!list) {
        const encode = codec === 'PCMA' ? linearToAlaw : linearToUlaw;
        list = pcm
          .filter((p) => p.kind === kind)
          .map((p) => ({
            id: p.id,
            kind: p.kind,
            voice: p.voice,
            sentences: p.sentences.map((x, i) => {
              const bytes = Buffer.allocUnsafe(x.length);
              for (let j = 0; j < x.length; j++) bytes[j] = encode(x[j]);
              return { name: `${p.id}/${p.voice}/${i}`, emotion: 'N' as const, bytes };
            }),
          }));
        cache.set(key, list);
      }
      return list;
    },
  };
}
