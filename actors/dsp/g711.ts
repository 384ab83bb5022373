/**
 * ITU-T G.711 µ-law and A-law codecs as 256-entry lookup tables (decode) and the standard segment search (encode).
 * Decode is the hot path (one table read per sample); tables are built once at module load.
 */

/** Decode one µ-law byte to a 16-bit linear sample (ITU-T G.711, as in the reference `ulaw2linear`). */
function ulawToLinear(byte: number): number {
  const u = ~byte & 0xff;
  let t = ((u & 0x0f) << 3) + 0x84;
  t <<= (u & 0x70) >> 4;
  return u & 0x80 ? 0x84 - t : t - 0x84;
}

/** Decode one A-law byte to a 16-bit linear sample (ITU-T G.711, as in the reference `alaw2linear`). */
function alawToLinear(byte: number): number {
  const a = byte ^ 0x55;
  let t = (a & 0x0f) << 4;
  const seg = (a & 0x70) >> 4;
  if (seg === 0) t += 8;
  else if (seg === 1) t += 0x108;
  else t = (t + 0x108) << (seg - 1);
  return a & 0x80 ? t : -t;
}

/** µ-law byte → PCM16 table. */
export const ULAW_TO_PCM: Int16Array = Int16Array.from({ length: 256 }, (_, i) => ulawToLinear(i));
/** A-law byte → PCM16 table. */
export const ALAW_TO_PCM: Int16Array = Int16Array.from({ length: 256 }, (_, i) => alawToLinear(i));

const ULAW_SEG_END = [0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff, 0x1fff];
const ALAW_SEG_END = [0x1f, 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff];

function segment(value: number, ends: readonly number[]): number {
  let s = 0;
  while (s < 8 && value > ends[s]) s++;
  return s;
}

/** Encode one PCM16 sample to µ-law (used for fixtures, test peers and the load generator). */
export function linearToUlaw(sample: number): number {
  let pcm = sample >> 2;
  let mask = 0xff;
  if (pcm < 0) {
    pcm = -pcm;
    mask = 0x7f;
  }
  if (pcm > 8159) pcm = 8159;
  pcm += 0x84 >> 2;
  const s = segment(pcm, ULAW_SEG_END);
  if (s >= 8) return 0x7f ^ mask;
  return ((s << 4) | ((pcm >> (s + 1)) & 0xf)) ^ mask;
}

/** Encode one PCM16 sample to A-law. */
export function linearToAlaw(sample: number): number {
  let pcm = sample >> 3;
  let mask: number;
  if (pcm >= 0) mask = 0xd5;
  else {
    mask = 0x55;
    pcm = -pcm - 1;
  }
  const s = segment(pcm, ALAW_SEG_END);
  if (s >= 8) return 0x7f ^ mask;
  let aval = s << 4;
  aval |= s < 2 ? (pcm >> 1) & 0xf : (pcm >> s) & 0xf;
  return aval ^ mask;
}
