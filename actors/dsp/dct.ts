/** Orthonormal DCT-II as a precomputed coefficient matrix; only the first `outputs` coefficients (MFCC keeps 13). */
export class DctII {
  private readonly matrix: Float64Array;

  constructor(
    readonly inputs: number,
    readonly outputs: number,
  ) {
    this.matrix = new Float64Array(inputs * outputs);
    for (let k = 0; k < outputs; k++) {
      const scale = k === 0 ? Math.sqrt(1 / inputs) : Math.sqrt(2 / inputs);
      for (let n = 0; n < inputs; n++)
        this.matrix[k * inputs + n] = scale * Math.cos((Math.PI * k * (2 * n + 1)) / (2 * inputs));
    }
  }

  /** out[k] = Σ_n c_k·cos(πk(2n+1)/2N)·x[n], for k < outputs. */
  apply(x: ArrayLike<number>, xOffset: number, out: Float32Array | Float64Array, outOffset: number): void {
    const N = this.inputs;
    const N4 = N - (N % 4);
    const c = this.matrix;
    for (let k = 0; k < this.outputs; k++) {
      // Four accumulators: a single chain of dependent adds would run at the adder's latency, not its throughput.
      let a0 = 0;
      let a1 = 0;
      let a2 = 0;
      let a3 = 0;
      const row = k * N;
      let n = 0;
      for (; n < N4; n += 4) {
        a0 += c[row + n] * x[xOffset + n];
        a1 += c[row + n + 1] * x[xOffset + n + 1];
        a2 += c[row + n + 2] * x[xOffset + n + 2];
        a3 += c[row + n + 3] * x[xOffset + n + 3];
      }
      for (; n < N; n++) a0 += c[row + n] * x[xOffset + n];
      out[outOffset + k] = a0 + a1 + (a2 + a3);
    }
  }
}
