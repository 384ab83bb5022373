/**
 * GSM 03.38 default alphabet and its extension table, as unpacked septets (one per octet), which is how
 * SMPP carries data_coding 0x00 text; the SMSC packs them for the air interface.
 * Extension characters cost two septets (ESC + code): every count here is in septets, never in chars.
 */

const BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u001bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
/** Extension table: char -> code after ESC (0x1B). */
const EXTENSION: ReadonlyArray<[string, number]> = [
  ['\f', 0x0a],
  ['^', 0x14],
  ['{', 0x28],
  ['}', 0x29],
  ['\\', 0x2f],
  ['[', 0x3c],
  ['~', 0x3d],
  [']', 0x3e],
  ['|', 0x40],
  ['€', 0x65],
];
export const GSM_ESC = 0x1b;

const basicCode = new Map<string, number>();
for (let i = 0; i < BASIC.length; i++) if (i !== GSM_ESC) basicCode.set(BASIC[i], i);
const extCode = new Map<string, number>(EXTENSION);
const extChar = new Map<number, string>(EXTENSION.map(([c, n]) => [n, c]));

/** Septets one character costs: 1 (basic), 2 (extension) or 0 when it is not in the alphabet. */
export function gsmCharSeptets(ch: string): 0 | 1 | 2 {
  if (basicCode.has(ch)) return 1;
  if (extCode.has(ch)) return 2;
  return 0;
}

/** True when every character of `text` is in the default alphabet or its extension table. */
export function isGsm7(text: string): boolean {
  for (const ch of text) if (gsmCharSeptets(ch) === 0) return false;
  return true;
}

/** Length of `text` in septets, or -1 if it is not GSM-7 encodable. */
export function gsm7Length(text: string): number {
  let n = 0;
  for (const ch of text) {
    const s = gsmCharSeptets(ch);
    if (s === 0) return -1;
    n += s;
  }
  return n;
}

/** Encodes GSM-7 text as unpacked septets. Characters outside the alphabet become '?'. */
export function encodeGsm7(text: string): Buffer {
  const out: number[] = [];
  for (const ch of text) {
    const b = basicCode.get(ch);
    if (b !== undefined) out.push(b);
    else {
      const e = extCode.get(ch);
      if (e !== undefined) out.push(GSM_ESC, e);
      else out.push(0x3f);
    }
  }
  return Buffer.from(out);
}

/** Decodes unpacked septets. Never throws: unknown escapes and bytes > 0x7F decode as '?' / space. */
export function decodeGsm7(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b === GSM_ESC) {
      const next = bytes[i + 1];
      i++;
      if (next === undefined) break;
      s += extChar.get(next) ?? ' ';
    } else s += b < 0x80 ? BASIC[b] : '?';
  }
  return s;
}
