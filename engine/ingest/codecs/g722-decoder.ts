/**
 * ITU-T G.722 (09/2012) decoder, 64 kbit/s mode (mode 1: the mode every RTP sender uses, RFC 3551 4.5.2), written from
 * the Recommendation's block diagrams (blocks 1L-6L, 1H-6H, 4 and the receive QMF). Streaming: the state is a few
 * small typed arrays per leg and `decode` allocates nothing. Each octet carries one 6-bit lower sub-band code (bits
 * 0-5) and one 2-bit higher sub-band code (bits 6-7) and yields two 16 kHz output samples.
 */

// Inverse quantiser tables (G.722 table 6/7 in fixed point, scaled by 2^3 as in the Recommendation's arithmetic).
/** 6-bit lower sub-band reconstruction levels (INVQBL, 64 kbit/s). */
const QM6 = Int32Array.of(
  -136,
  -136,
  -136,
  -136,
  -24808,
  -21904,
  -19008,
  -16704,
  -14984,
  -13512,
  -12280,
  -11192,
  -10232,
  -9360,
  -8576,
  -7856,
  -7192,
  -6576,
  -6000,
  -5456,
  -4944,
  -4464,
  -4008,
  -3576,
  -3168,
  -2776,
  -2400,
  -2032,
  -1688,
  -1360,
  -1040,
  -728,
  24808,
  21904,
  19008,
  16704,
  14984,
  13512,
  12280,
  11192,
  10232,
  9360,
  8576,
  7856,
  7192,
  6576,
  6000,
  5456,
  4944,
  4464,
  4008,
  3576,
  3168,
  2776,
  2400,
  2032,
  1688,
  1360,
  1040,
  728,
  432,
  136,
  -432,
  -136,
);
/** 4-bit levels used for the lower band's predictor and scale adaptation (INVQAL: the 4 most significant bits). */
const QM4 = Int32Array.of(
  0,
  -20456,
  -12896,
  -8968,
  -6288,
  -4240,
  -2584,
  -1200,
  20456,
  12896,
  8968,
  6288,
  4240,
  2584,
  1200,
  0,
);
/** 2-bit higher sub-band levels (INVQAH). */
const QM2 = Int32Array.of(-7408, -1616, 7408, 1616);
/** LOGSCL: 4-bit code -> magnitude index, and the log scale factor multipliers. */
const RL42 = Int32Array.of(0, 7, 6, 5, 4, 3, 2, 1, 7, 6, 5, 4, 3, 2, 1, 0);
const WL = Int32Array.of(-60, -30, 58, 172, 334, 538, 1198, 3042);
/** LOGSCH: 2-bit code -> magnitude index, and its multipliers. */
const RH2 = Int32Array.of(2, 1, 2, 1);
const WH = Int32Array.of(0, -214, 798);
/** SCALEL/SCALEH: the antilog table (2^(i/32) in Q11). */
const ILB = Int32Array.of(
  2048,
  2093,
  2139,
  2186,
  2233,
  2282,
  2332,
  2383,
  2435,
  2489,
  2543,
  2599,
  2656,
  2714,
  2774,
  2834,
  2896,
  2960,
  3025,
  3091,
  3158,
  3228,
  3298,
  3371,
  3444,
  3520,
  3597,
  3676,
  3756,
  3838,
  3922,
  4008,
);
/** Receive QMF coefficients h0..h11 (the 24-tap filter is symmetric: h(23-i) = h(i)). */
const QMF = Int32Array.of(3, -11, 12, 32, -210, 951, 3876, -805, 362, -156, 53, -11);

function sat16(x: number): number {
  return x > 32767 ? 32767 : x < -32768 ? -32768 : x;
}

/** One sub-band's ADPCM state: the pole-zero predictor (block 4) and the quantiser scale (blocks 3L/3H). */
class SubBand {
  /** Signal estimate se, and its pole (sp) and zero (sz) parts. */
  s = 0;
  sp = 0;
  sz = 0;
  /** Log scale factor (nbl / nbh) and the scale factor derived from it (detl / deth). */
  nb = 0;
  det: number;
  /** r: reconstructed signal, p: partially reconstructed signal, a/ap: pole coefficients, [0] newest. */
  readonly r = new Int32Array(3);
  readonly p = new Int32Array(3);
  readonly a = new Int32Array(3);
  readonly ap = new Int32Array(3);
  /** d: quantised difference signal, b/bp: zero coefficients, [0] newest. */
  readonly d = new Int32Array(7);
  readonly b = new Int32Array(7);
  readonly bp = new Int32Array(7);

  constructor(det: number) {
    this.det = det;
  }

  /** Block 4: reconstruction, predictor adaptation (UPPOL1/2, UPZERO), delays and the next signal estimate. */
  adapt(dq: number): void {
    const { r, p, a, ap, d, b, bp } = this;
    // RECONS and PARREC
    d[0] = dq;
    r[0] = sat16(this.s + dq);
    p[0] = sat16(this.sz + dq);
    // UPPOL2: the second pole coefficient, from the signs of p over three samples.
    const sg0 = p[0] >> 15;
    const sg1 = p[1] >> 15;
    const sg2 = p[2] >> 15;
    let wd1 = sat16(a[1] * 4);
    let wd2 = sg0 === sg1 ? -wd1 : wd1;
    if (wd2 > 32767) wd2 = 32767;
    let wd3 = (wd2 >> 7) + (sg0 === sg2 ? 128 : -128) + ((a[2] * 32512) >> 15);
    ap[2] = wd3 > 12288 ? 12288 : wd3 < -12288 ? -12288 : wd3;
    // UPPOL1: the first, limited so the pole pair stays stable.
    wd1 = sg0 === sg1 ? 192 : -192;
    wd2 = (a[1] * 32640) >> 15;
    let ap1 = sat16(wd1 + wd2);
    wd3 = sat16(15360 - ap[2]);
    if (ap1 > wd3) ap1 = wd3;
    else if (ap1 < -wd3) ap1 = -wd3;
    ap[1] = ap1;
    // UPZERO: sign-sign update of the six zero coefficients.
    const step = dq === 0 ? 0 : 128;
    const sgd = dq >> 15;
    for (let i = 1; i < 7; i++) {
      const w = d[i] >> 15 === sgd ? step : -step;
      bp[i] = sat16(w + ((b[i] * 32640) >> 15));
    }
    // DELAYA
    for (let i = 6; i > 0; i--) {
      d[i] = d[i - 1];
      b[i] = bp[i];
    }
    r[2] = r[1];
    r[1] = r[0];
    p[2] = p[1];
    p[1] = p[0];
    a[2] = ap[2];
    a[1] = ap[1];
    // FILTEP, FILTEZ, PREDIC
    const sp = sat16(((a[1] * sat16(r[1] * 2)) >> 15) + ((a[2] * sat16(r[2] * 2)) >> 15));
    let sz = 0;
    for (let i = 6; i > 0; i--) sz += (b[i] * sat16(d[i] * 2)) >> 15;
    this.sp = sp;
    this.sz = sat16(sz);
    this.s = sat16(sp + this.sz);
  }

  /** LOGSCL / LOGSCH then SCALEL / SCALEH: the next scale factor from the log scale and a code's multiplier. */
  scale(multiplier: number, maxNb: number, shiftBase: number): void {
    let nb = ((this.nb * 127) >> 7) + multiplier;
    nb = nb < 0 ? 0 : nb > maxNb ? maxNb : nb;
    this.nb = nb;
    const frac = (nb >> 6) & 31;
    const shift = shiftBase - (nb >> 11);
    this.det = (shift < 0 ? ILB[frac] << -shift : ILB[frac] >> shift) << 2;
  }
}

/** A streaming G.722 decoder for one leg. */
export class G722Decoder {
  private low = new SubBand(32);
  private high = new SubBand(8);
  /** The receive QMF's 24-sample delay line, newest last. */
  private readonly x = new Int32Array(24);

  /** Decodes `length` octets into 2*length samples of PCM16 at 16 kHz, written to `out` from `outOffset`. */
  decode(buf: Uint8Array, offset: number, length: number, out: Int16Array, outOffset: number): number {
    const low = this.low;
    const high = this.high;
    const x = this.x;
    let o = outOffset;
    for (let k = 0; k < length; k++) {
      const code = buf[offset + k];
      const ilow = code & 0x3f;
      const ihigh = code >> 6;
      // Lower sub-band: 6-bit reconstruction (INVQBL, RECONS, LIMIT), 4-bit adaptation (INVQAL, LOGSCL, SCALEL).
      let rlow = low.s + ((low.det * QM6[ilow]) >> 15);
      rlow = rlow > 16383 ? 16383 : rlow < -16384 ? -16384 : rlow;
      const i4 = ilow >> 2;
      const dlow = (low.det * QM4[i4]) >> 15;
      low.scale(WL[RL42[i4]], 18432, 8);
      low.adapt(dlow);
      // Higher sub-band (INVQAH, RECONS, LIMIT, LOGSCH, SCALEH).
      const dhigh = (high.det * QM2[ihigh]) >> 15;
      let rhigh = dhigh + high.s;
      rhigh = rhigh > 16383 ? 16383 : rhigh < -16384 ? -16384 : rhigh;
      high.scale(WH[RH2[ihigh]], 22528, 10);
      high.adapt(dhigh);
      // Receive QMF: two output samples per input pair.
      for (let i = 0; i < 22; i++) x[i] = x[i + 2];
      x[22] = rlow + rhigh;
      x[23] = rlow - rhigh;
      let xout1 = 0;
      let xout2 = 0;
      for (let i = 0; i < 12; i++) {
        xout2 += x[2 * i] * QMF[i];
        xout1 += x[2 * i + 1] * QMF[11 - i];
      }
      out[o++] = sat16(xout1 >> 11);
      out[o++] = sat16(xout2 >> 11);
    }
    return o - outOffset;
  }

  /** Back to the initial state (a new stream). */
  reset(): void {
    this.low = new SubBand(32);
    this.high = new SubBand(8);
    this.x.fill(0);
  }
}
