import {
  designResampler,
  resample,
  resamplerStateLength,
  type ResamplerDesign,
} from '../../../actors/dsp/resampler.js';

/**
 * Streaming PCM16 rate conversion for a leg whose codec changed rate mid-call (a re-INVITE from G.711 to AMR-WB, say):
 * the leg's ring keeps the rate the call started with. Buffers are sized once; `convert` allocates nothing.
 */
export class PcmRateConverter {
  private readonly design: ResamplerDesign;
  private readonly state: Float64Array;
  private readonly out: Float64Array;

  constructor(
    readonly inRate: number,
    readonly outRate: number,
    maxInput: number,
  ) {
    this.design = designResampler(inRate, outRate);
    this.state = new Float64Array(resamplerStateLength(this.design));
    this.out = new Float64Array(Math.ceil((maxInput * outRate) / inRate) + 2);
  }

  /** Most output samples `convert` can produce from `n` input samples. */
  maxOutput(n: number): number {
    return Math.ceil((n * this.outRate) / this.inRate) + 1;
  }

  /** Converts input[0..n) and writes the result to output from 0; returns the samples written. */
  convert(input: Int16Array, n: number, output: Int16Array): number {
    const m = resample(this.design, this.state, input, 0, n, this.out, 0);
    for (let i = 0; i < m; i++) {
      const v = Math.round(this.out[i]);
      output[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
    }
    return m;
  }
}
