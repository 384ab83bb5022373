/**
 * PocketSphinx (Debian `libpocketsphinx3` 5prealpha, CMU's en-us acoustic model) reached through koffi's FFI: a
 * streaming decoder per leg. Native state: a decoder belongs to the thread that made it and must be freed with
 * `close()`. `loadPocketSphinx()` returns null with a reason when the library is not installed, so the engine runs
 * without spoken content rather than not at all.
 */
import { createRequire } from 'node:module';
import { CallguardError } from '../../common/errors.js';

/** One recognised word: its text, frames [start, end] at 100 frames/s from the utterance's start, log10 posterior. */
export interface RecognisedWord {
  word: string;
  startFrame: number;
  endFrame: number;
  /** Posterior probability of the word in the utterance's lattice (0..1). */
  confidence: number;
}

/** Options of one decoder. */
export interface DecoderOptions {
  hmm: string;
  lm: string;
  dict: string;
  /** Extra decoder arguments (name, value pairs: "-beam", "1e-40"). */
  extra?: string[];
}

interface Native {
  ps_args: () => unknown;
  cmd_ln_parse_r: (a: null, d: unknown, argc: number, argv: string[], strict: number) => unknown;
  cmd_ln_free_r: (c: unknown) => number;
  ps_init: (c: unknown) => unknown;
  ps_free: (p: unknown) => number;
  ps_start_utt: (p: unknown) => number;
  ps_end_utt: (p: unknown) => number;
  ps_process_raw: (p: unknown, data: Int16Array, n: number, noSearch: number, fullUtt: number) => number;
  ps_get_in_speech: (p: unknown) => number;
  ps_get_hyp: (p: unknown, score: null) => string | null;
  ps_seg_iter: (p: unknown) => unknown;
  ps_seg_next: (s: unknown) => unknown;
  ps_seg_word: (s: unknown) => string;
  ps_seg_frames: (s: unknown, sf: number[], ef: number[]) => void;
  ps_seg_prob: (s: unknown, a: null, l: null, b: null) => number;
  ps_seg_free: (s: unknown) => void;
  ps_get_logmath: (p: unknown) => unknown;
  logmath_exp: (lm: unknown, v: number) => number;
}

/** The library, bound once per thread. */
export interface PocketSphinx {
  readonly native: Native;
  /** A new streaming decoder; throws CG_ASR_INIT when the model files cannot be loaded. */
  decoder(opts: DecoderOptions): SphinxDecoder;
}

export class AsrError extends CallguardError<'CG_ASR_UNAVAILABLE' | 'CG_ASR_INIT' | 'CG_ASR_DECODE'> {
  override name = 'AsrError';
}

let cached: PocketSphinx | { error: string } | undefined;

/** Binds libpocketsphinx (once per thread); `{ error }` when koffi or the library is missing. */
export function loadPocketSphinx(): PocketSphinx | { error: string } {
  if (cached) return cached;
  try {
    const require = createRequire(import.meta.url);
    const koffi = require('koffi');
    const lib = koffi.load('libpocketsphinx.so.3');
    const base = koffi.load('libsphinxbase.so.3');
    koffi.opaque('ps_decoder_t');
    koffi.opaque('cmd_ln_t');
    koffi.opaque('ps_seg_t');
    const native: Native = {
      ps_args: lib.func('void *ps_args(void)'),
      cmd_ln_parse_r: base.func(
        'cmd_ln_t *cmd_ln_parse_r(cmd_ln_t *inout, void *defn, int argc, const char **argv, int strict)',
      ),
      cmd_ln_free_r: base.func('int cmd_ln_free_r(cmd_ln_t *c)'),
      ps_init: lib.func('ps_decoder_t *ps_init(cmd_ln_t *config)'),
      ps_free: lib.func('int ps_free(ps_decoder_t *ps)'),
      ps_start_utt: lib.func('int ps_start_utt(ps_decoder_t *ps)'),
      ps_end_utt: lib.func('int ps_end_utt(ps_decoder_t *ps)'),
      ps_process_raw: lib.func(
        'int ps_process_raw(ps_decoder_t *ps, const int16_t *data, size_t n, int no_search, int full_utt)',
      ),
      ps_get_in_speech: lib.func('uint8_t ps_get_in_speech(ps_decoder_t *ps)'),
      ps_get_hyp: lib.func('const char *ps_get_hyp(ps_decoder_t *ps, int32_t *score)'),
      ps_seg_iter: lib.func('ps_seg_t *ps_seg_iter(ps_decoder_t *ps)'),
      ps_seg_next: lib.func('ps_seg_t *ps_seg_next(ps_seg_t *seg)'),
      ps_seg_word: lib.func('const char *ps_seg_word(ps_seg_t *seg)'),
      ps_seg_frames: lib.func('void ps_seg_frames(ps_seg_t *seg, _Out_ int *sf, _Out_ int *ef)'),
      ps_seg_prob: lib.func('int32_t ps_seg_prob(ps_seg_t *seg, int32_t *a, int32_t *l, int32_t *b)'),
      ps_seg_free: lib.func('void ps_seg_free(ps_seg_t *seg)'),
      ps_get_logmath: lib.func('void *ps_get_logmath(ps_decoder_t *ps)'),
      logmath_exp: base.func('double logmath_exp(void *lmath, int v)'),
    };
    cached = { native, decoder: (opts) => new SphinxDecoder(native, opts) };
  } catch (err) {
    cached = {
      error:
        `PocketSphinx not available (${(err as Error).message.split('\n')[0]}): install Debian's pocketsphinx and ` +
        `pocketsphinx-en-us`,
    };
  }
  return cached;
}

/**
 * A streaming decoder: feed 16 kHz PCM16 with `process`; it follows PocketSphinx's own voice-activity decision and
 * reports each finished utterance's words. `flush()` ends the utterance in progress (end of call, or an utterance
 * that ran past the caller's limit).
 */
export class SphinxDecoder {
  private ps: unknown;
  private config: unknown;
  private inUtt = false;
  private wasSpeech = false;
  private readonly sf = [0];
  private readonly ef = [0];

  constructor(
    private readonly n: Native,
    opts: DecoderOptions,
  ) {
    const argv = [
      '-hmm',
      opts.hmm,
      '-lm',
      opts.lm,
      '-dict',
      opts.dict,
      '-logfn',
      '/dev/null',
      '-cmn',
      'live',
      ...(opts.extra ?? []),
    ];
    this.config = n.cmd_ln_parse_r(null, n.ps_args(), argv.length, argv, 1);
    if (!this.config)
      throw new AsrError(
        'CG_ASR_INIT',
        `PocketSphinx refused its configuration (${argv.filter((_, i) => i % 2 === 0).join(' ')})`,
      );
    this.ps = n.ps_init(this.config);
    if (!this.ps) {
      n.cmd_ln_free_r(this.config);
      throw new AsrError(
        'CG_ASR_INIT',
        `PocketSphinx could not load its model (hmm ${opts.hmm}, lm ${opts.lm}, dict ${opts.dict})`,
      );
    }
  }

  /** True while the decoder is inside an utterance (its VAD heard speech and has not yet heard the end of it). */
  get inSpeech(): boolean {
    return this.wasSpeech;
  }

  /**
   * Decode samples; returns the words of an utterance that ended inside them (PocketSphinx's VAD heard its end),
   * or null. Frame numbers count from that utterance's start.
   */
  process(pcm: Int16Array, length: number = pcm.length): RecognisedWord[] | null {
    if (!this.ps) throw new AsrError('CG_ASR_DECODE', 'decoder closed');
    if (!this.inUtt) {
      if (this.n.ps_start_utt(this.ps) < 0) throw new AsrError('CG_ASR_DECODE', 'ps_start_utt failed');
      this.inUtt = true;
      this.wasSpeech = false;
    }
    const view = length === pcm.length ? pcm : pcm.subarray(0, length);
    if (this.n.ps_process_raw(this.ps, view, length, 0, 0) < 0)
      throw new AsrError('CG_ASR_DECODE', 'ps_process_raw failed');
    const speech = this.n.ps_get_in_speech(this.ps) !== 0;
    if (speech) this.wasSpeech = true;
    if (!speech && this.wasSpeech) return this.endUtterance();
    return null;
  }

  /** Ends the utterance in progress and returns its words ([] when it held none). */
  flush(): RecognisedWord[] {
    if (!this.ps || !this.inUtt) return [];
    return this.endUtterance();
  }

  /** Words of the best hypothesis so far in the utterance in progress (a partial result; no posteriors). */
  partial(): string | null {
    if (!this.ps || !this.inUtt) return null;
    return this.n.ps_get_hyp(this.ps, null);
  }

  close(): void {
    if (this.ps) {
      this.n.ps_free(this.ps);
      this.n.cmd_ln_free_r(this.config);
    }
    this.ps = null;
    this.inUtt = false;
  }

  private endUtterance(): RecognisedWord[] {
    this.n.ps_end_utt(this.ps);
    this.inUtt = false;
    this.wasSpeech = false;
    const words: RecognisedWord[] = [];
    const lmath = this.n.ps_get_logmath(this.ps);
    for (let seg = this.n.ps_seg_iter(this.ps); seg; seg = this.n.ps_seg_next(seg)) {
      const w = this.n.ps_seg_word(seg);
      this.n.ps_seg_frames(seg, this.sf, this.ef);
      const post = this.n.ps_seg_prob(seg, null, null, null);
      // Fillers (<s>, </s>, <sil>, [NOISE], ++breath++) carry no words; alternates such as "the(2)" lose the tag.
      if (!w || w.startsWith('<') || w.startsWith('[') || w.startsWith('+')) continue;
      words.push({
        word: w.replace(/\(\d+\)$/, ''),
        startFrame: this.sf[0],
        endFrame: this.ef[0],
        confidence: Math.min(1, Math.max(0, this.n.logmath_exp(lmath, post))),
      });
    }
    return words;
  }
}
