import { ALAW_TO_PCM, ULAW_TO_PCM, linearToAlaw, linearToUlaw } from '../../actors/dsp/g711.js';
import { designResampler, resample, resamplerStateLength } from '../../actors/dsp/resampler.js';
import type { Prng } from './prng.js';

/**
 * Telephone-channel augmentation of 8 kHz PCM16: speed/pitch change (resampling by a few percent), level change,
 * additive noise at an SNR, a G.711 µ-law or A-law round trip, and packet-loss gaps (20 ms zeroed). Every draw comes
 * from the given Prng, so a seed reproduces the same audio.
 */

export const AUGMENTATION = {
  speedFactors: [0.95, 0.96, 0.97, 1.03, 1.04, 1.05],
  speedProbability: 0.5,
  gainDb: [-20, 6],
  noiseProbability: 0.7,
  snrDb: [5, 30],
  noiseKinds: ['white', 'brown', 'hum-babble'],
  codecs: ['ulaw', 'alaw', 'none'],
  packetLossProbability: 0.4,
  packetLossRate: [0.01, 0.06],
  packetMs: 20,
} as const;

export interface AugmentRecord {
  speed: number;
  gainDb: number;
  snrDb: number | null;
  noise: string | null;
  codec: string;
  lostPackets: number;
}

/** Resample so the clip plays `factor` times slower (factor < 1 speeds up and raises the pitch). */
export function changeSpeed(x: Int16Array, rate: number, factor: number): Int16Array {
  const outRate = Math.round(rate * factor);
  if (outRate === rate) return x.slice();
  const d = designResampler(rate, outRate);
  const st = new Float64Array(resamplerStateLength(d));
  const out = new Float64Array(Math.ceil((x.length * d.up) / d.down) + 2);
  const m = resample(d, st, x, 0, x.length, out, 0);
  const y = new Int16Array(m);
  for (let i = 0; i < m; i++) y[i] = Math.max(-32768, Math.min(32767, Math.round(out[i])));
  return y;
}

function activePower(x: Float64Array): number {
  // Mean power of the louder half of 20 ms blocks: a speech-level estimate that ignores pauses.
  const B = 160;
  const p: number[] = [];
  for (let o = 0; o + B <= x.length; o += B) {
    let s = 0;
    for (let i = o; i < o + B; i++) s += x[i] * x[i];
    p.push(s / B);
  }
  p.sort((a, b) => b - a);
  const top = p.slice(0, Math.max(1, Math.ceil(p.length / 2)));
  return top.reduce((a, b) => a + b, 0) / top.length;
}

function makeNoise(kind: string, n: number, rng: Prng): Float64Array {
  const z = new Float64Array(n);
  if (kind === 'white') for (let i = 0; i < n; i++) z[i] = rng.normal();
  else if (kind === 'brown') {
    let b = 0;
    for (let i = 0; i < n; i++) {
      b = 0.98 * b + rng.normal();
      z[i] = b;
    }
  } else {
    // Low hum plus amplitude-modulated band noise: a crude stand-in for a noisy room.
    const f = rng.uniform(50, 120);
    let b = 0;
    for (let i = 0; i < n; i++) {
      b = 0.9 * b + rng.normal();
      const am = 0.6 + 0.4 * Math.sin((2 * Math.PI * 3 * i) / 8000);
      z[i] = am * b + 0.5 * Math.sin((2 * Math.PI * f * i) / 8000);
    }
  }
  return z;
}

/** One random telephone-channel rendition of `pcm`. */
export function augmentClip(pcm: Int16Array, rate: number, rng: Prng): { pcm: Int16Array; record: AugmentRecord } {
  const A = AUGMENTATION;
  const speed = rng.next() < A.speedProbability ? rng.pick(A.speedFactors) : 1;
  let src = speed === 1 ? pcm : changeSpeed(pcm, rate, speed);
  const x = new Float64Array(src.length);
  const gainDb = rng.uniform(A.gainDb[0], A.gainDb[1]);
  const gain = 10 ** (gainDb / 20);
  for (let i = 0; i < x.length; i++) x[i] = src[i] * gain;
  let snrDb: number | null = null;
  let noise: string | null = null;
  if (rng.next() < A.noiseProbability) {
    snrDb = rng.uniform(A.snrDb[0], A.snrDb[1]);
    noise = rng.pick(A.noiseKinds);
    const z = makeNoise(noise, x.length, rng);
    const ps = activePower(x);
    let pz = 0;
    for (let i = 0; i < z.length; i++) pz += z[i] * z[i];
    pz /= z.length;
    const k = pz > 0 ? Math.sqrt(ps / (pz * 10 ** (snrDb / 10))) : 0;
    for (let i = 0; i < x.length; i++) x[i] += k * z[i];
  }
  const codec = rng.pick(A.codecs);
  const y = new Int16Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const s = Math.max(-32768, Math.min(32767, Math.round(x[i])));
    y[i] = codec === 'ulaw' ? ULAW_TO_PCM[linearToUlaw(s)] : codec === 'alaw' ? ALAW_TO_PCM[linearToAlaw(s)] : s;
  }
  let lostPackets = 0;
  if (rng.next() < A.packetLossProbability) {
    const P = (rate * A.packetMs) / 1000;
    const lossRate = rng.uniform(A.packetLossRate[0], A.packetLossRate[1]);
    for (let o = 0; o + P <= y.length; o += P) {
      if (rng.next() < lossRate) {
        y.fill(0, o, o + P);
        lostPackets++;
      }
    }
  }
  src = y;
  return { pcm: src, record: { speed, gainDb, snrDb, noise, codec, lostPackets } };
}
