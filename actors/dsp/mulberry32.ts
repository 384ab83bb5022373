/**
 * mulberry32: a small, fast, seeded 32-bit generator. Everything in the project that must be reproducible from a seed
 * (training, augmentation, load plans, synthetic calls, fuzz tests) draws from this one step; callers pick their own
 * seeding so their historical sequences are unchanged.
 */
export class Mulberry32 {
  private state: number;

  constructor(state: number) {
    this.state = state >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}

/** The generator as a function, seeded directly with `seed`. */
export function seededRandom(seed: number): () => number {
  const g = new Mulberry32(seed);
  return () => g.next();
}
