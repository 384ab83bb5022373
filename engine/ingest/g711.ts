/**
 * ITU-T G.711 µ-law and A-law, table-based: each 256-entry Int16 decode table is built once at module load, so a
 * decode is one lookup per sample. (actors/ has its own copy for now; the lead may dedupe.) The encoders exist for
 * tests, fixtures and the benchmark, not for the receive path.
 */

function ulawToLinear(u: number): number {
  const v = ~u & 0xff;
  let t = ((v & 0x0f) << 3) + 0x84;
  t <<= (v & 0x70) >> 4;
  return v & 0x80 ? 0x84 - t : t - 0x84;
}

function alawToLinear(a: number): number {
  const v = a ^ 0x55;
  let t = (v & 0x0f) << 4;
  const seg = (v & 0x70) >> 4;
  if (seg === 0) t += 8;
  else if (seg === 1) t += 0x108;
  else t = (t + 0x108) << (seg - 1);
  return v & 0x80 ? t : -t;
}

export const ULAW_TO_PCM16: Int16Array = (() => {
  const t = new Int16Array(256);
  for (let i = 0; i < 256; i++) t[i] = ulawToLinear(i);
  return t;
})();

export const ALAW_TO_PCM16: Int16Array = (() => {
  const t = new Int16Array(256);
  for (let i = 0; i < 256; i++) t[i] = alawToLinear(i);
  return t;
})();

/** The byte a silent G.711 frame is made of (µ-law 0xFF, A-law 0xD5). */
export const ULAW_SILENCE = 0xff;
export const ALAW_SILENCE = 0xd5;

/** Decodes `length` G.711 bytes from `src[srcOffset..]` into `dst[dstOffset..]` with a decode table. No allocation. */
export function decodeG711(
  table: Int16Array,
  src: Uint8Array,
  srcOffset: number,
  length: number,
  dst: Int16Array,
  dstOffset: number,
): void {
  for (let i = 0; i < length; i++) dst[dstOffset + i] = table[src[srcOffset + i]];
}

const SEG_UEND = [0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff, 0x1fff];
const SEG_AEND = [0x1f, 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff];

function segmentOf(v: number, ends: readonly number[]): number {
  for (let i = 0; i < 8; i++) if (v <= ends[i]) return i;
  return 8;
}

/** Linear PCM16 to µ-law (ITU-T G.711, bias 0x84). */
export function linearToUlaw(sample: number): number {
  let pcm = sample >> 2; // 14-bit domain
  let mask: number;
  if (pcm < 0) {
    pcm = -pcm;
    mask = 0x7f;
  } else mask = 0xff;
  if (pcm > 8159) pcm = 8159;
  pcm += 0x84 >> 2;
  const seg = segmentOf(pcm, SEG_UEND);
  if (seg >= 8) return 0x7f ^ mask;
  return ((seg << 4) | ((pcm >> (seg + 1)) & 0x0f)) ^ mask;
}

/** Linear PCM16 to A-law (ITU-T G.711). */
export function linearToAlaw(sample: number): number {
  let pcm = sample >> 3; // 13-bit domain
  let mask: number;
  if (pcm >= 0) mask = 0xd5;
  else {
    mask = 0x55;
    pcm = -pcm - 1;
  }
  const seg = segmentOf(pcm, SEG_AEND);
  if (seg >= 8) return 0x7f ^ mask;
  let aval = seg << 4;
  aval |= seg < 2 ? (pcm >> 1) & 0x0f : (pcm >> seg) & 0x0f;
  return aval ^ mask;
}
