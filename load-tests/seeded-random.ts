import { Mulberry32 } from '../actors/dsp/mulberry32.js';
/**
 * A small seeded PRNG (mulberry32) so a load plan is reproducible from its seed: the same calls, kinds, durations and
 * clips on every run, which is what makes two runs (or our generator and sipp) comparable.
 */
export class SeededRandom {
  private readonly g: Mulberry32;

  constructor(seed: number) {
    this.g = new Mulberry32(seed >>> 0 || 0x9e3779b9);
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.g.next();
  }

  /** Uniform in [min, max]. */
  uniform(min: number, max: number): number {
    return max <= min ? min : min + (max - min) * this.next();
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  /** Exponential inter-arrival time with the given mean (Poisson arrivals). */
  exponential(mean: number): number {
    return -mean * Math.log(1 - this.next());
  }
}
