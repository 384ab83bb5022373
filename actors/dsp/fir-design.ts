/** Window-method lowpass FIR design, equal to scipy.signal.firwin(numtaps, cutoff) with its default Hamming window
 * and unity gain at DC. `cutoff` is relative to Nyquist (0..1). */
export function firwinLowpass(numtaps: number, cutoff: number): Float64Array {
  const h = new Float64Array(numtaps);
  const alpha = (numtaps - 1) / 2;
  let sum = 0;
  for (let n = 0; n < numtaps; n++) {
    const m = n - alpha;
    const sinc = m === 0 ? 1 : Math.sin(Math.PI * cutoff * m) / (Math.PI * cutoff * m);
    const hamming = 0.54 - 0.46 * Math.cos((2 * Math.PI * n) / (numtaps - 1));
    h[n] = cutoff * sinc * hamming;
    sum += h[n];
  }
  for (let n = 0; n < numtaps; n++) h[n] /= sum;
  // Exactly symmetric (cos rounding can differ in the last bit), so folded filtering equals the direct form.
  for (let n = 0; n < numtaps >> 1; n++) h[numtaps - 1 - n] = h[n];
  return h;
}
