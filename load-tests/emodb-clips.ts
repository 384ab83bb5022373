import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { linearToAlaw, linearToUlaw } from '../actors/dsp/g711.js';
import { parseWav } from '../engine/media/wav-reader.js';

/**
 * The audio a load test plays: Emo-DB clips (8 kHz, ~2 s each) grouped by emotion letter, pre-encoded to the G.711
 * law a call negotiates, so the send path only copies bytes. Calls reference clips; nothing is materialised per call
 * (500 calls x 2 legs x 120 s would be ~1 GB of audio).
 */

/** Emo-DB emotion letters: W anger, A fear, N neutral, F happiness, T sadness, L boredom, E disgust. */
export type Emotion = 'W' | 'A' | 'N' | 'F' | 'T' | 'L' | 'E';
export type G711Codec = 'PCMU' | 'PCMA';

export interface Clip {
  readonly name: string;
  readonly emotion: Emotion;
  /** One byte per sample, already in the codec's law. */
  readonly bytes: Buffer;
}

export interface ClipLibrary {
  /** Where the clips came from: a directory, or 'synthetic'. */
  readonly source: string;
  clips(emotion: Emotion, codec: G711Codec): readonly Clip[];
}

const EMOTIONS: readonly Emotion[] = ['W', 'A', 'N', 'F', 'T', 'L', 'E'];

/** The emodb-8k directory if present: $CALLGUARD_SHARED_DIR/data/emodb-8k, ../shared beside the repo, /work/shared. */
export function findEmodbDir(): string | null {
  const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..'); // dist/load-tests -> repo
  const roots = [process.env.CALLGUARD_SHARED_DIR, resolve(repoRoot, '../shared'), '/work/shared'].filter(
    Boolean,
  ) as string[];
  for (const r of roots) {
    const d = join(r, 'data/emodb-8k');
    if (existsSync(d)) return d;
  }
  return null;
}

/** Loads every SSTTTEV.wav under `dir` (unreadable files are skipped and named in `skipped`). */
export function loadEmodbClips(dir: string): ClipLibrary & { skipped: string[] } {
  const pcm = new Map<Emotion, Array<{ name: string; pcm: Int16Array }>>();
  const skipped: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const m = /^\d\d[a-z]\d\d([WANFTLE])[a-z]?\.wav$/.exec(name);
    if (!m) continue;
    try {
      const wav = parseWav(readFileSync(join(dir, name)));
      if (wav.sampleRate !== 8000) throw new Error(`rate ${wav.sampleRate}`);
      const e = m[1] as Emotion;
      if (!pcm.has(e)) pcm.set(e, []);
      pcm.get(e)!.push({ name, pcm: wav.channels[0] });
    } catch {
      skipped.push(name);
    }
  }
  return Object.assign(libraryFromPcm(dir, pcm), { skipped });
}

/**
 * Tones standing in for each emotion (different pitch and loudness per letter), for machines without the data set:
 * enough for correctness tests of the transport, meaningless for the detector.
 */
export function syntheticClips(): ClipLibrary {
  const pcm = new Map<Emotion, Array<{ name: string; pcm: Int16Array }>>();
  EMOTIONS.forEach((e, k) => {
    const f = 150 + 40 * k;
    const amp = e === 'W' ? 12000 : 5000;
    pcm.set(e, [
      {
        name: `synthetic-${e}`,
        pcm: Int16Array.from({ length: 16000 }, (_, i) => Math.round(amp * Math.sin((2 * Math.PI * f * i) / 8000))),
      },
    ]);
  });
  return libraryFromPcm('synthetic', pcm);
}

/** The data set when it is there, else synthetic tones. */
export function defaultClipLibrary(): ClipLibrary {
  const dir = findEmodbDir();
  if (dir) {
    const lib = loadEmodbClips(dir);
    if (lib.clips('W', 'PCMU').length && lib.clips('N', 'PCMU').length) return lib;
  }
  return syntheticClips();
}

function libraryFromPcm(source: string, pcm: Map<Emotion, Array<{ name: string; pcm: Int16Array }>>): ClipLibrary {
  const cache = new Map<string, Clip[]>();
  return {
    source,
    clips(emotion, codec) {
      const key = emotion + codec;
      let list = cache.get(key);
      if (!list) {
        const encode = codec === 'PCMA' ? linearToAlaw : linearToUlaw;
        list = (pcm.get(emotion) ?? []).map((c) => {
          const bytes = Buffer.allocUnsafe(c.pcm.length);
          for (let i = 0; i < c.pcm.length; i++) bytes[i] = encode(c.pcm[i]);
          return { name: c.name, emotion, bytes };
        });
        cache.set(key, list);
      }
      return list;
    },
  };
}
