/**
 * Streaming recognition of one leg: 8 kHz PCM16 in (the leg's own audio, as ingest decodes it), upsampled to the
 * acoustic model's 16 kHz, decoded by PocketSphinx with the domain LM, words matched against the intent lexicon.
 * Results are intents with call times; the words stay inside this object unless `keepWords` (analyze --words).
 *
 * Native state: a decoder is PocketSphinx's, not the slab's. A recogniser lost with its thread loses the utterance in
 * progress (at most `maxUtteranceSeconds` of audio); the next one starts at the ring's read position.
 */
import { designResampler, resample, resamplerStateLength, type ResamplerDesign } from '../dsp/resampler.js';
import { IntentMatcher, type IntentHit, type TimedWord } from './intent-matcher.js';
import type { PocketSphinx, SphinxDecoder } from './pocketsphinx.js';

/** Where the recogniser's model files are. */
export interface SpeechModelFiles {
  hmm: string;
  lm: string;
  dict: string;
  /**
   * MLLR transform of the acoustic model to the telephone channel (models/speech/adaptation), when the model has one.
   */
  mllr?: string;
}

export interface LegRecogniserOptions {
  /** Input sample rate (8000 for G.711 legs; 16000 goes straight in). */
  inputRate: number;
  /** Call time (s) of the first sample fed (a slot may start mid-call). */
  startSeconds: number;
  /** An utterance longer than this is ended by force (bounds latency and the audio a crash can lose). Default 8 s. */
  maxUtteranceSeconds?: number;
  /** Keep the words of each hit (analyze --words only; never in the engine). */
  keepWords?: boolean;
  /** Extra PocketSphinx arguments. */
  decoderArgs?: string[];
  /** Every utterance's words (the word-error-rate evaluation only; the engine never sets it). */
  onUtterance?: (words: string[]) => void;
}

/**
 * PocketSphinx settings for telephone speech. The en-us model's initial cepstral mean is that of 16 kHz wideband
 * speech; 8 kHz audio upsampled has none above 4 kHz and a very different mean, so live CMN took the first 5-10 s of
 * every leg to adapt and lost them. The initial mean here is where live CMN settled on 4 minutes of the Asterisk
 * prompts (a real voice) and on µ-law TTS (their means agree within a few units). Shorter end-of-speech (0.25 s)
 * splits a talker's sentences into utterances, so intents come sooner.
 */
/**
 * Search settings chosen on the development set (models/speech/eval/tune-decoder.ts; with the channel adaptation):
 * without the flat-lexicon second pass and with language weight 8 the intents recovered were the same (41 of 84)
 * as with the defaults (fwdflat, weight 6.5) at 38 % less CPU (0.052 against 0.084 CPU s per audio second). The
 * second pass alone off, at weight 6.5, lost 4 intents; weight 12 lost 15.
 */
const SEARCH_ARGS: readonly string[] = ['-fwdflat', 'no', '-lw', '8'];

export const DEFAULT_DECODER_ARGS: readonly string[] = [
  '-vad_postspeech',
  '25',
  '-vad_prespeech',
  '15',
  '-cmninit',
  '49.5,36.0,-28.0,41.0,-21.0,0.0,13.0,-26.0,19.0,-12.0,-3.0,9.0,-13.7',
  ...SEARCH_ARGS,
];

/**
 * Decoder argument lists (flag, value pairs) merged left to right: a later value of a flag replaces an earlier one
 * (PocketSphinx refuses a flag given twice).
 */
export function mergeArgs(...lists: ReadonlyArray<readonly string[]>): string[] {
  const m = new Map<string, string>();
  for (const l of lists) for (let i = 0; i + 1 < l.length; i += 2) m.set(l[i], l[i + 1]);
  return [...m].flat();
}

/** An intent heard, as the recogniser reports it. */
export interface HeardIntent {
  intent: IntentHit['intent'];
  /** Call time (s) of the phrase's last word. */
  t: number;
  confidence: number;
  /** Call time (s) at which the recogniser produced it (the end of the audio it had been fed). */
  availableAt: number;
  /** The matched words, only with keepWords. */
  words?: string[];
}

const MODEL_RATE = 16000;
const FRAME_RATE = 100;
/** Words of the previous utterance kept so a phrase split by a pause still matches. */
const CONTEXT_WORDS = 6;
/** The same intent again within this many seconds of the last hit is the same request, not a new one. */
const REPEAT_SECONDS = 4;

export class LegRecogniser {
  private readonly decoder: SphinxDecoder;
  private readonly design: ResamplerDesign | null;
  private readonly rsState: Float64Array;
  private in: Float64Array = new Float64Array(0);
  private out: Float64Array = new Float64Array(0);
  private pcm16: Int16Array = new Int16Array(0);
  /** Model-rate samples fed so far, and the sample at which the utterance in progress started (forced ends). */
  private fed = 0;
  private uttStart = 0;
  private uttOpen = false;
  private context: TimedWord[] = [];
  private readonly lastHit = new Map<string, number>();
  private readonly maxUttSamples: number;
  /** Seconds of audio decoded and words recognised (for metrics; no text). */
  audioSeconds = 0;
  words = 0;
  utterances = 0;

  constructor(
    ps: PocketSphinx,
    files: SpeechModelFiles,
    private readonly matcher: IntentMatcher,
    private readonly opts: LegRecogniserOptions,
  ) {
    this.decoder = ps.decoder({
      hmm: files.hmm,
      lm: files.lm,
      dict: files.dict,
      extra: mergeArgs(DEFAULT_DECODER_ARGS, files.mllr ? ['-mllr', files.mllr] : [], opts.decoderArgs ?? []),
    });
    this.design = opts.inputRate === MODEL_RATE ? null : designResampler(opts.inputRate, MODEL_RATE);
    this.rsState = new Float64Array(this.design ? resamplerStateLength(this.design) : 0);
    this.maxUttSamples = Math.round((opts.maxUtteranceSeconds ?? 8) * MODEL_RATE);
  }

  /** Call time (s) of the audio fed so far. */
  get position(): number {
    return this.opts.startSeconds + this.fed / MODEL_RATE;
  }

  /** Decode samples [offset, offset + length) of the leg; returns the intents of any utterance that ended. */
  feed(pcm: Int16Array, offset = 0, length = pcm.length - offset): HeardIntent[] {
    if (length <= 0) return [];
    let samples: Int16Array;
    let n: number;
    if (this.design) {
      if (this.in.length < length) this.in = new Float64Array(length);
      for (let i = 0; i < length; i++) this.in[i] = pcm[offset + i];
      const cap = Math.ceil((length * MODEL_RATE) / this.opts.inputRate) + 8;
      if (this.out.length < cap) this.out = new Float64Array(cap);
      n = resample(this.design, this.rsState, this.in, 0, length, this.out, 0);
      if (this.pcm16.length < n) this.pcm16 = new Int16Array(cap);
      for (let i = 0; i < n; i++) {
        const v = Math.round(this.out[i]);
        this.pcm16[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
      }
      samples = this.pcm16;
    } else {
      samples = pcm.subarray(offset, offset + length);
      n = length;
    }
    if (!this.uttOpen) {
      this.uttStart = this.fed;
      this.uttOpen = true;
    }
    const words = this.decoder.process(samples, n);
    this.fed += n;
    this.audioSeconds += n / MODEL_RATE;
    if (words) return this.finishUtterance(words);
    if (this.fed - this.uttStart >= this.maxUttSamples) return this.finishUtterance(this.decoder.flush());
    return [];
  }

  /** End of the leg (call ended, slot released): the utterance in progress is decoded and matched. */
  finish(): HeardIntent[] {
    if (!this.uttOpen) return [];
    return this.finishUtterance(this.decoder.flush());
  }

  close(): void {
    this.decoder.close();
  }

  private finishUtterance(words: ReturnType<SphinxDecoder['flush']>): HeardIntent[] {
    // PocketSphinx numbers frames from the decoder's first sample, not the utterance's.
    const base = this.opts.startSeconds;
    this.uttOpen = false;
    this.utterances++;
    this.words += words.length;
    this.opts.onUtterance?.(words.map((w) => w.word));
    const timed: TimedWord[] = words.map((w) => ({
      word: w.word,
      confidence: w.confidence,
      start: base + w.startFrame / FRAME_RATE,
      end: base + (w.endFrame + 1) / FRAME_RATE,
    }));
    const run = [...this.context, ...timed];
    this.context = run.slice(-CONTEXT_WORDS);
    const availableAt = this.position;
    const out: HeardIntent[] = [];
    for (const hit of this.matcher.find(run)) {
      // A hit made only of the previous utterance's words was reported with it.
      if (timed.length === 0 || hit.end < timed[0].start) continue;
      const last = this.lastHit.get(hit.intent);
      this.lastHit.set(hit.intent, hit.end);
      if (last !== undefined && hit.start - last < REPEAT_SECONDS) continue;
      out.push({
        intent: hit.intent,
        t: hit.end,
        confidence: hit.confidence,
        availableAt,
        ...(this.opts.keepWords ? { words: hit.words } : {}),
      });
    }
    return out;
  }
}
