/**
 * Training material for the keyword spotter: sentences with and without scam keywords spoken by TTS voices, each
 * with the time span of every keyword phrase in it, then joined into call-like streams with real speech (RAVDESS,
 * Emo-DB, EMOVO, nEMO: voices with no English keyword) between them. Windows cut from the streams the way the actor
 * cuts them are labelled per keyword class: present (the phrase lies wholly inside), absent, or unknown (cut by the
 * window's edge, left out of the loss).
 *
 * Spans without forced alignment: the sentence is spoken three times by the same voice at the same rate, whole, its
 * words before the phrase, and those words with the phrase; the phrase runs from the end of the second to the end of
 * the third (speech trimmed of leading and trailing silence). Good to about a tenth of a second, ample for 2 s windows.
 */
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { designResampler, resample, resamplerStateLength } from '../../actors/dsp/resampler.js';
import { parseWav } from '../../engine/media/wav-reader.js';
import { spokenWords } from '../speech/text-normalise.js';
import { Prng } from '../training/prng.js';
import { CARRIER_PREFIXES, CARRIER_SUFFIXES, KEYWORD_CLASSES } from './keywords.js';

const run = promisify(execFile);

/** A keyword phrase's place in a clip, in seconds from the clip's start. */
export interface KeywordSpan {
  cls: number;
  start: number;
  end: number;
}

/** A clip at 8 kHz with its keyword spans (none for a negative). */
export interface LabelledClip {
  id: string;
  pcm: Int16Array;
  spans: KeywordSpan[];
  source: string;
}

export interface SentencePlan {
  text: string;
  /** Word index range of each keyword phrase found in the text. */
  phrases: Array<{ cls: number; from: number; to: number }>;
}

/** Keyword phrases as word lists, longest first (so "gift cards" wins over "cards"). */
function phraseTable(): Array<{ cls: number; words: string[] }> {
  const t: Array<{ cls: number; words: string[] }> = [];
  KEYWORD_CLASSES.forEach((k, cls) => k.phrases.forEach((p) => t.push({ cls, words: spokenWords(p) })));
  return t.sort((a, b) => b.words.length - a.words.length);
}

/** Every keyword phrase in a text (non-overlapping, left to right, longest match first). */
export function findPhrases(text: string): SentencePlan {
  const words = spokenWords(text);
  const table = phraseTable();
  const phrases: SentencePlan['phrases'] = [];
  for (let i = 0; i < words.length;) {
    const m = table.find((p) => p.words.every((w, j) => words[i + j] === w));
    if (m) {
      phrases.push({ cls: m.cls, from: i, to: i + m.words.length });
      i += m.words.length;
    } else i++;
  }
  return { text: words.join(' '), phrases };
}

/** Template sentences: each phrase of each class inside neutral carrier fragments, `perPhrase` times. */
export function templateSentences(rng: Prng, perPhrase: number): string[] {
  const out: string[] = [];
  for (const k of KEYWORD_CLASSES)
    for (const p of k.phrases)
      for (let i = 0; i < perPhrase; i++)
        out.push([rng.pick(CARRIER_PREFIXES), p, rng.pick(CARRIER_SUFFIXES)].filter(Boolean).join(' '));
  return out;
}

/**
 * Training voices: espeak-ng accents and variants, festival's ked. Never flite (the evaluation's), never plain en-us.
 */
export function trainingVoices(): string[] {
  const accents = ['en-gb', 'en-gb-x-rp', 'en-gb-scotland', 'en-gb-x-gbclan', 'en-gb-x-gbcwmd', 'en-029', 'en-us'];
  const variants = [
    'm1',
    'm2',
    'm3',
    'm4',
    'm5',
    'm6',
    'm7',
    'f1',
    'f2',
    'f3',
    'f4',
    'f5',
    'klatt',
    'klatt2',
    'klatt3',
    'klatt4',
    'croak',
    'whisper',
  ];
  const v: string[] = [];
  for (const a of accents) for (const x of variants) if (x !== 'whisper') v.push(`espeak:${a}+${x}`);
  v.push('festival:ked_diphone');
  return v;
}

/** Speech part of a clip: first and last sample louder than the floor (s). */
function speechBounds(pcm: Int16Array, rate: number): [number, number] {
  const floor = 300;
  let a = 0;
  let b = pcm.length - 1;
  while (a < pcm.length && Math.abs(pcm[a]) < floor) a++;
  while (b > a && Math.abs(pcm[b]) < floor) b--;
  return [a / rate, (b + 1) / rate];
}

function to8k(pcm: Int16Array, rate: number): Int16Array {
  if (rate === 8000) return pcm;
  const d = designResampler(rate, 8000);
  const st = new Float64Array(resamplerStateLength(d));
  const y = new Float64Array(Math.ceil((pcm.length * 8000) / rate) + 16);
  const n = resample(d, st, Float64Array.from(pcm), 0, pcm.length, y, 0);
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.max(-32768, Math.min(32767, Math.round(y[i])));
  return out;
}

async function synth(
  text: string,
  voice: string,
  opts: { speed: number; pitch: number },
  out: string,
): Promise<{ pcm: Int16Array; rate: number }> {
  const i = voice.indexOf(':');
  const engine = voice.slice(0, i);
  const name = voice.slice(i + 1);
  if (engine === 'espeak')
    await run('espeak-ng', ['-v', name, '-s', String(opts.speed), '-p', String(opts.pitch), '-w', out, text]);
  else if (engine === 'festival') {
    const child = execFile('text2wave', ['-eval', `(voice_${name})`, '-o', out]);
    child.stdin!.end(text);
    await new Promise<void>((res, rej) =>
      child.on('exit', (c) => (c === 0 ? res() : rej(new Error(`text2wave exited ${c}`)))),
    );
  } else throw new Error(`unknown TTS engine ${engine}`);
  const w = parseWav(readFileSync(out));
  return { pcm: w.channels[0], rate: w.sampleRate };
}

/**
 * Speak a sentence and find its keyword spans. Cached in `cache` by voice, rate, pitch and text (a rebuild with the
 * same seed reads the same files).
 */
export async function speakLabelled(
  plan: SentencePlan,
  voice: string,
  opts: { speed: number; pitch: number },
  cache: string,
): Promise<LabelledClip | null> {
  const key = createHash('sha1').update(`${voice}|${opts.speed}|${opts.pitch}|${plan.text}`).digest('hex').slice(0, 20);
  const meta = join(cache, `${key}.json`);
  const pcmFile = join(cache, `${key}.pcm`);
  if (existsSync(meta) && existsSync(pcmFile)) {
    const m = JSON.parse(readFileSync(meta, 'utf8')) as { spans: KeywordSpan[] };
    const b = readFileSync(pcmFile);
    return {
      id: key,
      pcm: new Int16Array(b.buffer, b.byteOffset, b.length / 2).slice(),
      spans: m.spans,
      source: voice,
    };
  }
  const tmp = join(cache, `${key}.tmp.wav`);
  const full = await synth(plan.text, voice, opts, tmp);
  const [s0] = speechBounds(full.pcm, full.rate);
  const words = plan.text.split(' ');
  const spans: KeywordSpan[] = [];
  for (const p of plan.phrases) {
    let before = 0;
    if (p.from > 0) {
      const pre = await synth(words.slice(0, p.from).join(' '), voice, opts, tmp);
      const [a, b] = speechBounds(pre.pcm, pre.rate);
      before = b - a;
    }
    const upto = await synth(words.slice(0, p.to).join(' '), voice, opts, tmp);
    const [a, b] = speechBounds(upto.pcm, upto.rate);
    // The words before are said a little faster inside the sentence than alone: start the phrase 50 ms early.
    spans.push({ cls: p.cls, start: Math.max(0, s0 + before - 0.05), end: s0 + (b - a) + 0.05 });
  }
  const pcm = to8k(full.pcm, full.rate);
  writeFileSync(pcmFile, Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength));
  writeFileSync(meta, JSON.stringify({ text: plan.text, voice, ...opts, spans }));
  return { id: key, pcm, spans, source: voice };
}

/** Real recordings with no English keywords: every `stride`-th file of each 8 kHz corpus under `dataDir`. */
export function realNegatives(dataDir: string, stride: number): LabelledClip[] {
  const out: LabelledClip[] = [];
  for (const corpus of ['ravdess-8k', 'emodb-8k', 'emovo-8k', 'nemo-8k']) {
    const dir = join(dataDir, corpus);
    if (!existsSync(dir)) continue;
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('.wav'))
      .sort();
    for (let i = 0; i < files.length; i += stride) {
      try {
        const w = parseWav(readFileSync(join(dir, files[i])));
        out.push({ id: `${corpus}/${files[i]}`, pcm: to8k(w.channels[0], w.sampleRate), spans: [], source: corpus });
      } catch {
        // an unreadable file is left out (the corpora's READMEs list a few broken ones)
      }
    }
  }
  return out;
}

/** Clips joined with gaps of 0.15–0.6 s (low noise, as a line carries) into streams of about `seconds`. */
export function joinStreams(clips: LabelledClip[], seconds: number, rng: Prng): LabelledClip[] {
  const order = clips.map((_, i) => i);
  rng.shuffle(order);
  const streams: LabelledClip[] = [];
  let parts: Int16Array[] = [];
  let spans: KeywordSpan[] = [];
  let len = 0;
  const flush = () => {
    if (!len) return;
    const pcm = new Int16Array(len);
    let o = 0;
    for (const p of parts) {
      pcm.set(p, o);
      o += p.length;
    }
    streams.push({ id: `stream-${streams.length}`, pcm, spans, source: 'stream' });
    parts = [];
    spans = [];
    len = 0;
  };
  for (const i of order) {
    const c = clips[i];
    const gap = new Int16Array(Math.round(8000 * rng.uniform(0.15, 0.6)));
    for (let k = 0; k < gap.length; k++) gap[k] = Math.round(rng.normal() * 8);
    parts.push(gap);
    len += gap.length;
    for (const s of c.spans) spans.push({ cls: s.cls, start: s.start + len / 8000, end: s.end + len / 8000 });
    parts.push(c.pcm);
    len += c.pcm.length;
    if (len >= seconds * 8000) flush();
  }
  flush();
  return streams;
}

/**
 * Labels of the window [startFrame, startFrame + frames) at 100 frames/s: 1 when a span of the class lies inside,
 * 0 when none touches it, -1 when one is cut by an edge (unknown: left out of the loss).
 */
export function windowLabels(
  spans: readonly KeywordSpan[],
  startFrame: number,
  frames: number,
  classes: number,
  out: Float32Array,
  offset = 0,
): void {
  const t0 = startFrame / 100;
  const t1 = (startFrame + frames) / 100;
  for (let k = 0; k < classes; k++) out[offset + k] = 0;
  for (const s of spans) {
    if (s.end <= t0 || s.start >= t1) continue;
    const inside = s.start >= t0 && s.end <= t1;
    if (inside) out[offset + s.cls] = 1;
    else if (out[offset + s.cls] !== 1) out[offset + s.cls] = -1;
  }
}

/** Ensure the cache directory exists; returns it. */
export function cacheDir(dir: string): string {
  mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * Festival for one voice over a batch of sentences, in one process (`festival --pipe` reading a Scheme script): per
 * sentence a WAV and a file with each word's start and end time (festival's own segmentation, exact). Festival's
 * stdout is block-buffered on a pipe, so the times go to files, read after the process ends.
 */
export async function festivalBatch(
  voice: string,
  items: ReadonlyArray<{ text: string; wav: string; times: string; stretch: number }>,
): Promise<void> {
  const lines = [`(voice_${voice})`];
  for (const it of items) {
    const safe = it.text.replace(/["\\]/g, '');
    lines.push(
      `(Parameter.set 'Duration_Stretch ${it.stretch.toFixed(3)})`,
      `(set! utt (utt.synth (Utterance Text "${safe}")))`,
      `(utt.save.wave utt "${it.wav}" 'riff)`,
      `(set! fd (fopen "${it.times}" "w"))`,
      `(mapcar (lambda (w) (format fd "%s %f %f\\n" (item.name w) (item.feat w ` +
        `"R:SylStructure.daughter1.daughter1.segment_start") (item.feat w "word_end"))) (utt.relation.items utt ` +
        `'Word))`,
      `(fclose fd)`,
    );
  }
  const child = spawn('festival', ['--pipe'], { stdio: ['pipe', 'ignore', 'ignore'] });
  child.stdin!.end(lines.join('\n') + '\n');
  await new Promise<void>((res, rej) =>
    child.on('exit', (c) => (c === 0 ? res() : rej(new Error(`festival exited ${c}`)))),
  );
}

/**
 * Keyword spans of a sentence festival spoke, from its word-times file; null when festival worded a phrase differently.
 */
export function festivalSpans(plan: SentencePlan, timesFile: string): KeywordSpan[] | null {
  const words = readFileSync(timesFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [word, s, e] = l.split(' ');
      return { word: word.toLowerCase(), start: Number(s), end: Number(e) };
    });
  const textWords = plan.text.split(' ');
  const spans: KeywordSpan[] = [];
  for (const p of plan.phrases) {
    const want = textWords.slice(p.from, p.to);
    // Festival may split or expand a token; find the phrase's words in its word list, in order.
    const at = words.findIndex((_, i) => want.every((w, j) => words[i + j]?.word === w));
    if (at < 0) return null;
    spans.push({ cls: p.cls, start: Math.max(0, words[at].start - 0.03), end: words[at + want.length - 1].end + 0.03 });
  }
  return spans;
}

/** A festival clip's 8 kHz audio and spans written to the cache (the same files speakLabelled writes). */
export function storeClip(
  cache: string,
  key: string,
  meta: Record<string, unknown>,
  wav: string,
  spans: KeywordSpan[],
): LabelledClip {
  const w = parseWav(readFileSync(wav));
  const pcm = to8k(w.channels[0], w.sampleRate);
  writeFileSync(join(cache, `${key}.pcm`), Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength));
  writeFileSync(join(cache, `${key}.json`), JSON.stringify({ ...meta, spans }));
  return { id: key, pcm, spans, source: String(meta.voice) };
}
