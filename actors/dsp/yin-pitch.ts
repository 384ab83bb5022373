/**
 * YIN fundamental-frequency estimator (de Cheveigné & Kawahara, 2002): difference function, cumulative mean
 * normalised difference (CMND), absolute threshold with local-minimum walk, parabolic refinement.
 * Allocation-free: the caller owns the scratch arrays, the block cache and the result object.
 */
export interface YinParams {
  /** Integration window in samples. */
  window: number;
  /** Smallest and largest lag searched (samples): fs/fmax and fs/fmin. */
  tauMin: number;
  tauMax: number;
  /** CMND threshold below which a lag counts as periodic. */
  threshold: number;
}

export interface YinResult {
  /** Refined period in samples (0 when not computed). */
  period: number;
  /** CMND at the chosen lag: 0 = perfectly periodic, ~1 = noise. */
  aperiodicity: number;
  /** True when a lag fell below the threshold. */
  periodic: boolean;
}

/** Samples of history YIN needs: the window plus the largest lag plus one for the refinement neighbour. */
export function yinBufferLength(p: YinParams): number {
  return p.window + p.tauMax + 1;
}

/** Entries of the `diff`/`cmnd` scratch and of one cached block: lags 0 .. tauMax + 1. */
export function yinLagCount(p: YinParams): number {
  return p.tauMax + 2;
}

/**
 * How a frame's integration window splits into blocks that successive frames share. With a 100-sample window and a
 * 40-sample hop, blocks of gcd(100, 40) = 20 samples make every frame's window 5 blocks, 3 of them already computed
 * for the previous frame: the difference function is the sum of cached per-block partial sums, so each frame pays
 * for 2 new blocks instead of its whole window.
 */
export interface YinBlocking {
  /** Samples per block. */
  size: number;
  /** Blocks per window (= cache slots). */
  count: number;
  /** Blocks the window advances per frame hop. */
  perHop: number;
  /** False when window and hop share no useful block size: every frame computes its window afresh. */
  cached: boolean;
}

/** Largest cache this leg state affords per leg; beyond it (odd hops) frames compute their window afresh. */
const MAX_BLOCKS = 25;

export function yinBlocking(p: YinParams, hopSamples: number): YinBlocking {
  let a = p.window;
  let b = hopSamples;
  while (b) [a, b] = [b, a % b];
  const count = p.window / a;
  if (count > MAX_BLOCKS) return { size: p.window, count: 1, perHop: 1, cached: false };
  return { size: a, count, perHop: hopSamples / a, cached: true };
}

/** Float64 slots the block cache needs in the leg state: one tag per slot, then each slot's partial sums. */
export function yinCacheLength(p: YinParams, bl: YinBlocking): number {
  return bl.count * (1 + yinLagCount(p));
}

/** diff[1..last] for the samples j in [from, from + n): sum of (buf[j] - buf[j + tau])². */
function blockDifference(
  buf: Float64Array,
  from: number,
  n: number,
  last: number,
  out: Float64Array,
  outAt: number,
): void {
  const end = from + n;
  let tau = 1;
  // Four lags per pass: each x[j] is loaded once for all four, and the lagged samples slide through registers. Each
  // lag's sum still runs over j in order, so the result does not depend on this grouping.
  for (; tau + 3 <= last; tau += 4) {
    let a0 = 0;
    let a1 = 0;
    let a2 = 0;
    let a3 = 0;
    let y0 = buf[from + tau];
    let y1 = buf[from + tau + 1];
    let y2 = buf[from + tau + 2];
    for (let j = from; j < end; j++) {
      const x = buf[j];
      const y3 = buf[j + tau + 3];
      const d0 = x - y0;
      const d1 = x - y1;
      const d2 = x - y2;
      const d3 = x - y3;
      a0 += d0 * d0;
      a1 += d1 * d1;
      a2 += d2 * d2;
      a3 += d3 * d3;
      y0 = y1;
      y1 = y2;
      y2 = y3;
    }
    out[outAt + tau] = a0;
    out[outAt + tau + 1] = a1;
    out[outAt + tau + 2] = a2;
    out[outAt + tau + 3] = a3;
  }
  for (; tau <= last; tau++) {
    let a = 0;
    for (let j = from; j < end; j++) {
      const d = buf[j] - buf[j + tau];
      a += d * d;
    }
    out[outAt + tau] = a;
  }
}

/**
 * YIN on `buf[at .. at + yinBufferLength)`, the window of frame number `frame` of a stream. Block partial sums are
 * kept in `cache[cacheAt .. + yinCacheLength)` (zero-initialised; part of the caller's streaming state) and reused by
 * later frames. A block's sums depend only on its samples, so results do not depend on which frames ran YIN before.
 * Returns how many blocks had to be computed (the rest came from the cache).
 */
export function yinStreaming(
  buf: Float64Array,
  at: number,
  frame: number,
  p: YinParams,
  bl: YinBlocking,
  cache: Float64Array,
  cacheAt: number,
  diff: Float64Array,
  cmnd: Float64Array,
  out: YinResult,
): number {
  const lags = yinLagCount(p) | 0;
  const last = lags - 1;
  const count = bl.count | 0;
  const size = bl.size | 0;
  diff.fill(0, 0, lags);
  const blocks = cacheAt + count;
  let computed = 0;
  for (let i = 0; i < count; i++) {
    // Block numbers count from frame 0's first block, so tag 0 can mean "empty".
    const n = frame * bl.perHop + i;
    const slot = n % count;
    const base = blocks + slot * lags;
    if (!bl.cached || cache[cacheAt + slot] !== n + 1) {
      blockDifference(buf, at + i * size, size, last, cache, base);
      cache[cacheAt + slot] = n + 1;
      computed++;
    }
    for (let tau = 1; tau <= last; tau++) diff[tau] += cache[base + tau];
  }
  yinPick(diff, p, cmnd, out);
  return computed;
}

/** Plain YIN over one buffer (no cache): the definition the streaming form must agree with. */
export function yin(
  buf: Float64Array,
  at: number,
  p: YinParams,
  diff: Float64Array,
  cmnd: Float64Array,
  out: YinResult,
): void {
  diff[0] = 0;
  blockDifference(buf, at, p.window, p.tauMax + 1, diff, 0);
  yinPick(diff, p, cmnd, out);
}

/** CMND from the difference function, threshold search with local-minimum walk, parabolic refinement. */
function yinPick(diff: Float64Array, p: YinParams, cmnd: Float64Array, out: YinResult): void {
  const { tauMin, tauMax, threshold } = p;
  const last = tauMax + 1;
  cmnd[0] = 1;
  let running = 0;
  for (let tau = 1; tau <= last; tau++) {
    const d = diff[tau];
    running += d;
    cmnd[tau] = running > 0 ? (d * tau) / running : 1;
  }
  let tau = -1;
  for (let t = tauMin; t <= tauMax; t++) {
    if (cmnd[t] < threshold) {
      tau = t;
      while (tau + 1 <= tauMax && cmnd[tau + 1] < cmnd[tau]) tau++;
      break;
    }
  }
  out.periodic = tau >= 0;
  if (tau < 0) {
    tau = tauMin;
    for (let t = tauMin + 1; t <= tauMax; t++) if (cmnd[t] < cmnd[tau]) tau = t;
  }
  out.aperiodicity = cmnd[tau];
  const a = cmnd[tau - 1];
  const b = cmnd[tau];
  const c = cmnd[tau + 1];
  const den = a - 2 * b + c;
  let shift = den !== 0 ? (0.5 * (a - c)) / den : 0;
  if (shift > 1) shift = 1;
  else if (shift < -1) shift = -1;
  out.period = tau + shift;
}
