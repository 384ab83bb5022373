import { Mulberry32 } from '../../actors/dsp/mulberry32.js';
/**
 * Seeded pseudo-random numbers for everything the training draws (augmentation, shuffling, initialisers, dropout):
 * mulberry32, a 32-bit state generator that is fast and good enough for this.
 */
export class Prng {
  private readonly g: Mulberry32;
  constructor(seed: number) {
    this.g = new Mulberry32((seed >>> 0) ^ 0x9e3779b9);
  }
  /** Uniform in [0, 1). */
  next(): number {
    return this.g.next();
  }
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
  /** Standard normal (Box–Muller). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  /** Gamma(shape, 1) by Marsaglia–Tsang (shape < 1 via the U^(1/shape) boost). */
  gamma(shape: number): number {
    if (shape < 1) return this.gamma(shape + 1) * Math.pow(1 - this.next(), 1 / shape);
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      const x = this.normal();
      const v0 = 1 + c * x;
      if (v0 <= 0) continue;
      const v = v0 * v0 * v0;
      const u = 1 - this.next();
      if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
    }
  }
  /** Beta(a, b) from two gammas (mixup's mixing weight). */
  beta(a: number, b: number): number {
    const x = this.gamma(a);
    const y = this.gamma(b);
    return x + y > 0 ? x / (x + y) : 0.5;
  }
  /** A fresh 31-bit seed for a sub-stream (initialisers, per-clip augmentation). */
  seed(): number {
    return Math.floor(this.next() * 0x7fffffff);
  }
  /** In-place Fisher–Yates shuffle. */
  shuffle<T>(xs: T[]): T[] {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [xs[i], xs[j]] = [xs[j], xs[i]];
    }
    return xs;
  }
}

/**
 * Run `fn` with Math.random replaced by a seeded generator: TF.js draws unseeded randomness (dropout masks, which must
 * differ per step, so they cannot take a fixed layer seed) from Math.random. Restored afterwards.
 */
export async function withSeededMathRandom<T>(seed: number, fn: () => Promise<T>): Promise<T> {
  const saved = Math.random;
  const rng = new Prng(seed);
  Math.random = () => rng.next();
  try {
    return await fn();
  } finally {
    Math.random = saved;
  }
}
