import type { Clip, ClipLibrary, Emotion, G711Codec } from './emodb-clips.js';
import { SeededRandom } from './seeded-random.js';
import type { SpokenLibrary, SpokenScript } from './spoken-clips.js';

/**
 * What a load run will do, decided up front from a seed: when each call arrives, how long it lasts, its codec, its
 * numbers, whether it is calm or scam-like, and which clips each leg plays. Scam-like calls open with calm speech and
 * switch at `scamStartSeconds` to an angry caller (W clips) and a frightened callee (A clips): the ground truth the
 * report scores alerts against.
 */

export type CallKind = 'calm' | 'scam';

export interface SecondsRange {
  min: number;
  max: number;
}

export interface CallPlanOptions {
  calls: number;
  /** Mean arrival rate, calls per second. */
  ratePerSecond: number;
  /** 'uniform': exactly 1/rate apart; 'poisson': exponential gaps with that mean. */
  arrivals?: 'uniform' | 'poisson';
  /** Call length in seconds: fixed when min === max, else uniform in [min, max]. */
  durationSeconds: SecondsRange;
  /** Share of scam-like calls, 0..1. */
  scamFraction: number;
  /** When the scam-like audio starts, seconds into the call (snapped forward to a clip boundary). Default 4..10 s. */
  scamOnsetSeconds?: SecondsRange;
  /** Codec offered per call; 'mixed' alternates PCMU and PCMA. Default PCMU. */
  codec?: G711Codec | 'mixed';
  seed?: number;
  /** Numbering: caller +<callerPrefix><index>, protected callee +<calleePrefix><index>, both padded to 11 digits. */
  callerPrefix?: string;
  calleePrefix?: string;
  /**
   * 'overlapping' (default): both legs talk all the time, the worst case for the engine's CPU. 'turns': the parties
   * take turns, as on a real call: while one leg plays a clip the other plays silence of the same length.
   */
  conversation?: 'overlapping' | 'turns' | 'spoken';
  /**
   * 'spoken' conversations: the other party reads scripts sentence by sentence (benign ones; from the onset on, a scam
   * script) and the subscriber answers each sentence with a calm Emo-DB clip. Required with conversation 'spoken'.
   */
  spoken?: SpokenLibrary;
  /** Number of the first call (default 0). Plans of one run must not share numbers: alerts are matched to calls by
   * the protected number, and the engine limits SMS per number, so a reused number would mix up calls across plans. */
  firstIndex?: number;
}

export interface LegPlan {
  /** Clips in play order; the leg loops over them if they fall short (they never do: planned to cover the call). */
  readonly clips: readonly Clip[];
  /** Seconds into the leg where its first scam-like clip starts, null on calm calls. */
  readonly scamStartSeconds: number | null;
}

export interface PlannedCall {
  readonly index: number;
  readonly callId: string;
  readonly kind: CallKind;
  /** Milliseconds after the run starts at which the INVITE goes out. */
  readonly startOffsetMs: number;
  readonly durationSeconds: number;
  readonly codec: G711Codec;
  readonly callerNumber: string;
  readonly calleeNumber: string;
  /** First second of scam-like audio on either leg (call media time), null on calm calls. */
  readonly scamStartSeconds: number | null;
  /** [caller, callee]. */
  readonly legs: readonly [LegPlan, LegPlan];
  /** Spoken conversations: the scripts the caller reads, in order ("id/voice"). */
  readonly scripts?: readonly string[];
}

const CALM: readonly Emotion[] = ['N', 'L'];

/** Builds the plan; throws RangeError on nonsense options (zero rate, negative durations, fraction outside 0..1). */
export function planCalls(lib: ClipLibrary, o: CallPlanOptions): PlannedCall[] {
  if (!(o.calls >= 0) || !(o.ratePerSecond > 0)) throw new RangeError('calls must be >= 0 and ratePerSecond > 0');
  if (!(o.durationSeconds.min > 0) || o.durationSeconds.max < o.durationSeconds.min)
    throw new RangeError('bad durationSeconds range');
  if (!(o.scamFraction >= 0 && o.scamFraction <= 1)) throw new RangeError('scamFraction must be in 0..1');
  if (o.conversation === 'spoken' && !o.spoken) throw new RangeError("conversation 'spoken' needs a spoken library");
  const rng = new SeededRandom(o.seed ?? 1);
  const onset = o.scamOnsetSeconds ?? { min: 4, max: 10 };
  const runTag = (o.seed ?? 1).toString(36);
  const calls: PlannedCall[] = [];
  let t = 0;
  // Exactly round(calls * fraction) scam calls, spread by a shuffle: small runs keep the asked-for mix.
  const scamCount = Math.round(o.calls * o.scamFraction);
  const kinds: CallKind[] = Array.from({ length: o.calls }, (_, i) => (i < scamCount ? 'scam' : 'calm'));
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [kinds[i], kinds[j]] = [kinds[j], kinds[i]];
  }
  for (let i = 0; i < o.calls; i++) {
    const kind = kinds[i];
    // Whole 20 ms packets, so planned audio and sent audio agree exactly.
    const duration = Math.round(rng.uniform(o.durationSeconds.min, o.durationSeconds.max) * 50) / 50;
    const codec: G711Codec = o.codec === 'mixed' ? (i % 2 ? 'PCMA' : 'PCMU') : (o.codec ?? 'PCMU');
    const wantOnset = kind === 'scam' ? Math.min(rng.uniform(onset.min, onset.max), Math.max(0, duration - 4)) : null;
    let scripts: string[] | undefined;
    const [caller, callee] =
      o.conversation === 'spoken'
        ? planSpoken(lib, o.spoken!, rng, codec, duration, wantOnset, (scripts = []))
        : o.conversation === 'turns'
          ? planTurns(lib, rng, codec, duration, wantOnset)
          : [planLeg(lib, rng, codec, duration, wantOnset, 'W'), planLeg(lib, rng, codec, duration, wantOnset, 'A')];
    const starts = [caller.scamStartSeconds, callee.scamStartSeconds].filter((s): s is number => s !== null);
    calls.push({
      index: i,
      callId: `cg-load-${runTag}-${i}@127.0.0.1`,
      kind,
      startOffsetMs: Math.round(t * 1000),
      durationSeconds: duration,
      codec,
      callerNumber: number(o.callerPrefix ?? '4915', (o.firstIndex ?? 0) + i),
      calleeNumber: number(o.calleePrefix ?? '3361', (o.firstIndex ?? 0) + i),
      scamStartSeconds: starts.length ? Math.min(...starts) : null,
      legs: [caller, callee],
      ...(scripts ? { scripts } : {}),
    });
    t += o.arrivals === 'poisson' ? rng.exponential(1 / o.ratePerSecond) : 1 / o.ratePerSecond;
  }
  return calls;
}

function planLeg(
  lib: ClipLibrary,
  rng: SeededRandom,
  codec: G711Codec,
  duration: number,
  onset: number | null,
  scamEmotion: Emotion,
): LegPlan {
  const need = duration * 8000;
  const clips: Clip[] = [];
  let samples = 0;
  let scamStart: number | null = null;
  while (samples < need) {
    const scamNow = onset !== null && samples >= onset * 8000;
    if (scamNow && scamStart === null) scamStart = samples / 8000;
    const clip = pickClip(lib, rng, codec, scamNow ? scamEmotion : null);
    clips.push(clip);
    samples += clip.bytes.length;
  }
  // A long calm clip can carry the leg past its end before the onset: the last clip becomes scam-like instead.
  if (onset !== null && scamStart === null && clips.length) {
    const last = clips.length - 1;
    const start = samples - clips[last].bytes.length;
    const pool = lib.clips(scamEmotion, codec);
    if (pool.length) clips[last] = rng.pick(pool);
    scamStart = start / 8000;
  }
  return { clips, scamStartSeconds: scamStart };
}

/**
 * Both legs of a call that takes turns: the caller speaks first; each turn is one clip on the speaking leg and as
 * much silence on the other. From the onset on, the caller's turns are anger (W) and the callee's fear (A).
 */
function planTurns(
  lib: ClipLibrary,
  rng: SeededRandom,
  codec: G711Codec,
  duration: number,
  onset: number | null,
): [LegPlan, LegPlan] {
  const need = duration * 8000;
  const legs: [Clip[], Clip[]] = [[], []];
  const scamStart: [number | null, number | null] = [null, null];
  const scamEmotion: [Emotion, Emotion] = ['W', 'A'];
  let samples = 0;
  for (let turn = 0; samples < need; turn++) {
    const speaker = turn % 2;
    const scamNow = onset !== null && samples >= onset * 8000;
    const clip = pickClip(lib, rng, codec, scamNow ? scamEmotion[speaker] : null);
    if (scamNow && scamStart[speaker] === null) scamStart[speaker] = samples / 8000;
    legs[speaker].push(clip);
    legs[1 - speaker].push(silenceClip(codec, clip.bytes.length));
    samples += clip.bytes.length;
  }
  return [
    { clips: legs[0], scamStartSeconds: scamStart[0] },
    { clips: legs[1], scamStartSeconds: scamStart[1] },
  ];
}

/**
 * A spoken call: the caller reads a benign script, sentence by sentence, and the callee answers each sentence with a
 * calm clip (silence on the other leg meanwhile). From the onset the caller switches to a scam script (from its first
 * sentence: the claim, then the ask) and keeps to scam scripts; calm calls read benign scripts to the end.
 */
function planSpoken(
  lib: ClipLibrary,
  spoken: SpokenLibrary,
  rng: SeededRandom,
  codec: G711Codec,
  duration: number,
  onset: number | null,
  scripts: string[],
): [LegPlan, LegPlan] {
  const need = duration * 8000;
  const caller: Clip[] = [];
  const callee: Clip[] = [];
  const benign = spoken.scripts('benign', codec);
  const scam = spoken.scripts('scam', codec);
  if (!benign.length || !scam.length) throw new RangeError('the spoken library has no scripts');
  let script: SpokenScript = rng.pick(benign);
  scripts.push(`${script.id}/${script.voice}`);
  let next = 0;
  let scamStart: number | null = null;
  let samples = 0;
  while (samples < need) {
    if (onset !== null && scamStart === null && samples >= onset * 8000) {
      script = rng.pick(scam);
      scripts.push(`${script.id}/${script.voice}`);
      next = 0;
      scamStart = samples / 8000;
    } else if (next >= script.sentences.length) {
      script = rng.pick(scamStart !== null ? scam : benign);
      scripts.push(`${script.id}/${script.voice}`);
      next = 0;
    }
    const sentence = script.sentences[next++];
    caller.push(sentence);
    callee.push(silenceClip(codec, sentence.bytes.length));
    const reply = pickClip(lib, rng, codec, null);
    callee.push(reply);
    caller.push(silenceClip(codec, reply.bytes.length));
    samples += sentence.bytes.length + reply.bytes.length;
  }
  return [
    { clips: caller, scamStartSeconds: scamStart },
    { clips: callee, scamStartSeconds: null },
  ];
}

/** A clip of `emotion`, or of a calm one when null; neutral when the library has none of it. */
function pickClip(lib: ClipLibrary, rng: SeededRandom, codec: G711Codec, emotion: Emotion | null): Clip {
  const pool = lib.clips(emotion ?? rng.pick(CALM), codec);
  return pool.length ? rng.pick(pool) : rng.pick(lib.clips('N', codec));
}

/** A listener's silence: digital zero in the codec's law (µ-law 0xFF, A-law 0xD5). */
function silenceClip(codec: G711Codec, samples: number): Clip {
  return { name: 'silence', emotion: 'N', bytes: Buffer.alloc(samples, codec === 'PCMA' ? 0xd5 : 0xff) };
}

function number(prefix: string, i: number): string {
  return `+${prefix}${String(i).padStart(11 - prefix.length, '0')}`;
}
