/** Analysis windows for short-time spectra. Hann and Hamming are periodic (DFT-even, as scipy `get_window` with
 * fftbins=True and librosa use); povey is Kaldi's symmetric Hann raised to 0.85. */
export type WindowType = 'hann' | 'hamming' | 'povey';

/** Build a window of `length` coefficients. */
export function makeWindow(type: WindowType, length: number): Float64Array {
  const w = new Float64Array(length);
  for (let n = 0; n < length; n++) {
    switch (type) {
      case 'hann':
        w[n] = 0.5 - 0.5 * Math.cos((2 * Math.PI * n) / length);
        break;
      case 'hamming':
        w[n] = 0.54 - 0.46 * Math.cos((2 * Math.PI * n) / length);
        break;
      case 'povey':
        w[n] = Math.pow(0.5 - 0.5 * Math.cos((2 * Math.PI * n) / (length - 1)), 0.85);
        break;
    }
  }
  return w;
}
