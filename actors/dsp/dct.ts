/** Orthonormal DCT-II as a precomputed coefficient matrix; only the first `outputs` coefficients (MFCC keeps 13). */
export class DctII {
  private readonly matrix: Float64Array;

  constructor(readonly inputs: number, readonly outputs: number) {
    this.matrix = new Float64Array(inputs * outputs);
    for (let k = 0; k < outputs; k++) {
      const scale = k === 0 ? Math.sqrt(1 / inputs) : Math.sqrt(2 / inputs);
      for (let n = 0; n < inputs; n++) this.matrix[k * inputs + n] = scale * Math.cos((Math.PI * k * (2 * n + 1)) / (2 * inputs));
    }
  }

  /** out[k] = Σ_n c_k·cos(πk(2n+1)/2N)·x[n], for k < outputs. */
  apply(x: ArrayLike<number>, xOffset: number, out: Float32Array | Float64Array, outOffset: number): void {
    const N = this.inputs;
    for (let k = 0; k < this.outputs; k++) {
      let acc = 0;
      const row = k * N;
      for (let n = 0; n < N; n++) acc += this.matrix[row + n] * x[xOffset + n];
      out[outOffset + k] = acc;
    }
  }
}
