/**
 * Streaming rational resampler (up L, down M) with a Kaiser-windowed sinc polyphase filter. The whole streaming state
 * (input history and phase) lives in a caller-provided Float64Array so it can sit in shared memory and survive the
 * worker that last ran it: chunk boundaries never change the output.
 */
export interface ResamplerDesign {
  up: number;
  down: number;
  /** Taps per polyphase branch. */
  tapsPerPhase: number;
  /** Polyphase coefficients: phase p uses coeffs[p*tapsPerPhase .. +tapsPerPhase), applied to x[n], x[n-1], … */
  coeffs: Float64Array;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  for (let k = 1; k < 50; k++) {
    term *= (x / (2 * k)) * (x / (2 * k));
    sum += term;
    if (term < 1e-12 * sum) break;
  }
  return sum;
}

/** Design the filter for inRate → outRate; identity rates give a single unit tap. */
export function designResampler(inRate: number, outRate: number, baseTaps = 24, beta = 8): ResamplerDesign {
  const g = gcd(inRate, outRate);
  const up = outRate / g;
  const down = inRate / g;
  if (up === 1 && down === 1) return { up, down, tapsPerPhase: 1, coeffs: Float64Array.of(1) };
  // Decimation needs a filter as long in output samples as interpolation does: scale taps with the ratio.
  const tapsPerPhase = Math.ceil(baseTaps * Math.max(1, down / up));
  const total = up * tapsPerPhase;
  // Cut-off a little under the lower Nyquist so the transition band ends before aliasing starts.
  const cutoff = (0.92 * 1) / Math.max(up, down);
  const proto = new Float64Array(total);
  const centre = (total - 1) / 2;
  const i0b = besselI0(beta);
  for (let n = 0; n < total; n++) {
    const m = n - centre;
    const sinc = m === 0 ? 1 : Math.sin(Math.PI * cutoff * m) / (Math.PI * cutoff * m);
    const r = (2 * n) / (total - 1) - 1;
    const kaiser = besselI0(beta * Math.sqrt(Math.max(0, 1 - r * r))) / i0b;
    proto[n] = up * cutoff * sinc * kaiser;
  }
  const coeffs = new Float64Array(total);
  for (let p = 0; p < up; p++) for (let t = 0; t < tapsPerPhase; t++) coeffs[p * tapsPerPhase + t] = proto[t * up + p];
  return { up, down, tapsPerPhase, coeffs };
}

/** Size of the Float64Array state a resampler needs: input history plus two counters. */
export function resamplerStateLength(d: ResamplerDesign): number {
  return d.tapsPerPhase + 2;
}

const S_WRITE = 0; // samples of input consumed so far, modulo tapsPerPhase (history write position)
const S_PHASE = 1; // position of the next output on the upsampled grid, relative to the newest input sample

/**
 * Feed `n` input samples; writes the outputs to `out` and returns their count. `out` must hold
 * ceil(n * up / down) + 1 samples. `state` is `resamplerStateLength(d)` long, zero-initialised.
 */
export function resample(
  d: ResamplerDesign,
  state: Float64Array,
  input: ArrayLike<number>,
  inOffset: number,
  n: number,
  out: Float64Array,
  outOffset: number,
): number {
  const { up, down, tapsPerPhase: T, coeffs } = d;
  if (up === 1 && down === 1) {
    for (let i = 0; i < n; i++) out[outOffset + i] = input[inOffset + i];
    return n;
  }
  const hist = 2;
  let w = state[S_WRITE];
  let phase = state[S_PHASE];
  let produced = 0;
  for (let i = 0; i < n; i++) {
    state[hist + w] = input[inOffset + i];
    w = w + 1 === T ? 0 : w + 1;
    // Outputs whose upsampled-grid position falls at this input sample (phase < up).
    while (phase < up) {
      const base = phase * T;
      let acc = 0;
      let idx = w;
      for (let t = 0; t < T; t++) {
        idx = idx === 0 ? T - 1 : idx - 1;
        acc += coeffs[base + t] * state[hist + idx];
      }
      out[outOffset + produced++] = acc;
      phase += down;
    }
    phase -= up;
  }
  state[S_WRITE] = w;
  state[S_PHASE] = phase;
  return produced;
}
