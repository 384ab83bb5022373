import { SeededRandom } from '../seeded-random.js';

/**
 * Real-speech calls for measuring the policy's timing offline: which corpus clips each leg plays, and when the
 * scam-like part starts. Pure (clips in, plan out); window-streams.ts turns a plan into the windows the policy sees.
 *
 * A scam-like call opens with calm speech for a seeded 10–30 s (snapped to the next turn), then the caller's turns
 * are angry takes and the callee's afraid takes: the shape of the load tests' calls, with the clips of two real
 * speakers. A calm call plays calm takes (neutral, and Emo-DB boredom / RAVDESS calm) on both legs for 10–20 minutes.
 * 'turns': the parties alternate, one take per turn, the listener silent; 'overlapping': both legs talk all the time
 * (the load tests' both-talking ramp, which the README's alert latency comes from).
 */

export type Voice = 'calm' | 'anger' | 'fear';
export type Conversation = 'turns' | 'overlapping';

/** One take of one speaker, mono PCM16 at 8 kHz. */
export interface SpeechClip {
  readonly corpus: string;
  readonly speaker: string;
  readonly voice: Voice;
  readonly file: string;
  readonly pcm: Int16Array;
}

export interface SpeechCallPlan {
  /** Stable name: corpus/conversation/kind/caller-callee/seed. */
  readonly id: string;
  readonly corpus: string;
  readonly conversation: Conversation;
  readonly kind: 'calm' | 'scam';
  readonly caller: string;
  readonly callee: string;
  /** Call second where the first scam-like take starts; null on calm calls. */
  readonly onsetSeconds: number | null;
  readonly durationSeconds: number;
  /** Per leg [caller, callee]: takes (by index into the clip list) or silences (negative: that many samples). */
  readonly legs: readonly [readonly number[], readonly number[]];
}

const RATE = 8000;

export interface PlanOptions {
  kind: 'calm' | 'scam';
  conversation: Conversation;
  seed: number;
  /** Scam-like calls: seconds of scam-like speech after the onset. */
  scamSeconds?: number;
  /** Calm calls: length range in seconds. */
  calmSeconds?: { min: number; max: number };
}

/** Plan one call between two speakers of `clips` (indices refer to `clips`). Throws when a speaker lacks a voice. */
export function planSpeechCall(
  clips: readonly SpeechClip[],
  caller: string,
  callee: string,
  o: PlanOptions,
): SpeechCallPlan {
  const rng = new SeededRandom(o.seed);
  const pool = (speaker: string, voice: Voice) => {
    const p = clips.flatMap((c, i) => (c.speaker === speaker && c.voice === voice ? [i] : []));
    if (!p.length) throw new RangeError(`no ${voice} takes of speaker ${speaker}`);
    return p;
  };
  const calm = [pool(caller, 'calm'), pool(callee, 'calm')];
  const scam = o.kind === 'scam' ? [pool(caller, 'anger'), pool(callee, 'fear')] : null;
  const calmRange = o.calmSeconds ?? { min: 600, max: 1200 };
  const lead = o.kind === 'scam' ? rng.uniform(10, 30) : Infinity;
  const duration = o.kind === 'scam' ? Infinity : Math.round(rng.uniform(calmRange.min, calmRange.max) * RATE) / RATE;
  const legs: [number[], number[]] = [[], []];
  const samples = [0, 0];
  // First scam-like sample of each leg (Infinity: none yet).
  const first = [Infinity, Infinity];
  const end = (o.kind === 'scam' ? lead + (o.scamSeconds ?? 120) : duration) * RATE;
  const take = (who: number, at: number) => {
    const scamNow = scam !== null && at >= lead * RATE;
    if (scamNow) first[who] = Math.min(first[who], at);
    return rng.pick(scamNow ? scam[who] : calm[who]);
  };
  if (o.conversation === 'turns') {
    for (let turn = 0; samples[0] < end; turn++) {
      const who = turn % 2;
      const i = take(who, samples[0]);
      const n = clips[i].pcm.length;
      legs[who].push(i);
      legs[1 - who].push(-n);
      samples[0] += n;
      samples[1] += n;
    }
  } else {
    // Both legs talk all the time; each switches to scam-like takes at its first take boundary after the lead-in.
    for (let who = 0; who < 2; who++) {
      while (samples[who] < end) {
        const i = take(who, samples[who]);
        legs[who].push(i);
        samples[who] += clips[i].pcm.length;
      }
    }
  }
  const onset = scam ? Math.min(first[0], first[1]) / RATE : null;
  const total = Math.min(samples[0], samples[1], end) / RATE;
  const corpus = clips[calm[0][0]].corpus;
  return {
    id: `${corpus}/${o.conversation}/${o.kind}/${caller}-${callee}/${o.seed}`,
    corpus,
    conversation: o.conversation,
    kind: o.kind,
    caller,
    callee,
    onsetSeconds: onset,
    durationSeconds: total,
    legs,
  };
}

/** The PCM of one leg of a plan, cut to the call's length. */
export function legPcm(clips: readonly SpeechClip[], plan: SpeechCallPlan, leg: 0 | 1): Int16Array {
  const out = new Int16Array(Math.round(plan.durationSeconds * RATE));
  let at = 0;
  for (const item of plan.legs[leg]) {
    if (at >= out.length) break;
    if (item < 0) at += -item;
    else {
      const pcm = clips[item].pcm.subarray(0, out.length - at);
      out.set(pcm, at);
      at += pcm.length;
    }
  }
  return out;
}
