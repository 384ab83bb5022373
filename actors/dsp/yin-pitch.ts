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

/** Run YIN on `buf[0 .. yinBufferLength)`; `diff` and `cmnd` are scratch of at least tauMax + 2 entries. */
export function yin(buf: ArrayLike<number>, p: YinParams, diff: Float64Array, cmnd: Float64Array, out: YinResult): void {
  const { window: W, tauMin, tauMax, threshold } = p;
  const last = tauMax + 1;
  diff[0] = 0;
  for (let tau = 1; tau <= last; tau++) {
    let acc = 0;
    for (let j = 0; j < W; j++) {
      const d = buf[j] - buf[j + tau];
      acc += d * d;
    }
    diff[tau] = acc;
  }
  cmnd[0] = 1;
  let running = 0;
  for (let tau = 1; tau <= last; tau++) {
    running += diff[tau];
    cmnd[tau] = running > 0 ? (diff[tau] * tau) / running : 1;
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
