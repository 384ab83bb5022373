/**
 * YIN fundamental-frequency estimator (de Cheveigné & Kawahara, 2002): difference function, cumulative mean
 * normalised difference (CMND), absolute threshold with local-minimum walk, parabolic refinement.
 * Allocation-free: the caller owns the scratch arrays and the result object.
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

/**
 * Run YIN on `buf[at .. at + yinBufferLength)`; `diff` and `cmnd` are scratch of at least tauMax + 2 entries.
 * Lags are computed in increasing order and the search stops as soon as the first dip's local minimum (and the
 * neighbour the refinement needs) is known: the result is the same as computing every lag, at a fraction of the cost
 * on voiced frames.
 */
export function yin(buf: Float64Array, at: number, p: YinParams, diff: Float64Array, cmnd: Float64Array, out: YinResult): void {
  const { window: W, tauMin, tauMax, threshold } = p;
  const last = tauMax + 1;
  const W4 = W - (W % 4);
  diff[0] = 0;
  cmnd[0] = 1;
  let running = 0;
  let found = -1;
  for (let tau = 1; tau <= last; tau++) {
    // Four independent accumulators let the CPU overlap the multiply-adds.
    let a0 = 0;
    let a1 = 0;
    let a2 = 0;
    let a3 = 0;
    let j = at;
    const end4 = at + W4;
    for (; j < end4; j += 4) {
      const d0 = buf[j] - buf[j + tau];
      const d1 = buf[j + 1] - buf[j + 1 + tau];
      const d2 = buf[j + 2] - buf[j + 2 + tau];
      const d3 = buf[j + 3] - buf[j + 3 + tau];
      a0 += d0 * d0;
      a1 += d1 * d1;
      a2 += d2 * d2;
      a3 += d3 * d3;
    }
    for (; j < at + W; j++) {
      const d = buf[j] - buf[j + tau];
      a0 += d * d;
    }
    const acc = a0 + a1 + a2 + a3;
    diff[tau] = acc;
    running += acc;
    const c = running > 0 ? (acc * tau) / running : 1;
    cmnd[tau] = c;
    if (found < 0) {
      if (tau >= tauMin && tau <= tauMax && c < threshold) found = tau;
    } else if (tau <= tauMax && c < cmnd[found]) {
      found = tau;
    } else break;
  }
  out.periodic = found >= 0;
  let tau = found;
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
