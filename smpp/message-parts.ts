/**
 * Turns alert text into submit_sm payloads: picks the data_coding (GSM-7 when the whole text fits the
 * default alphabet, else UCS-2), and splits long text into concatenated parts with an 8-bit-reference UDH.
 * Limits: 160 septets / 70 UCS-2 units for one part; 153 / 67 per part when concatenated.
 * A part never ends inside a GSM escape pair or a UTF-16 surrogate pair.
 */
import { decodeGsm7, encodeGsm7, gsmCharSeptets, isGsm7 } from './gsm7.js';

export const DATA_CODING_GSM7 = 0x00;
export const DATA_CODING_UCS2 = 0x08;
export const ESM_CLASS_UDHI = 0x40;

export interface EncodedMessage {
  dataCoding: number;
  encoding: 'gsm7' | 'ucs2';
  /** One short_message per part, UDH included when there is more than one part. */
  parts: Buffer[];
  /** esm_class to send: UDHI set when parts carry a UDH. */
  esmClass: number;
  /** Length in septets (GSM-7) or UTF-16 code units (UCS-2). */
  units: number;
}

/** UTF-16BE, which is what SMPP calls UCS-2 (surrogate pairs pass through as two units). */
export function encodeUcs2(text: string): Buffer {
  const b = Buffer.from(text, 'utf16le');
  return b.swap16();
}

/** Decodes UTF-16BE; an odd trailing byte is dropped. Never throws. */
export function decodeUcs2(bytes: Uint8Array): string {
  const even = bytes.length & ~1;
  const b = Buffer.from(bytes.subarray(0, even));
  return b.swap16().toString('utf16le');
}

/** Splits GSM-7 text into chunks of at most `max` septets without splitting an escape pair. */
function splitGsm(text: string, max: number): string[] {
  const out: string[] = [];
  let cur = '';
  let n = 0;
  for (const ch of text) {
    const s = gsmCharSeptets(ch);
    if (n + s > max) {
      out.push(cur);
      cur = '';
      n = 0;
    }
    cur += ch;
    n += s;
  }
  if (cur || out.length === 0) out.push(cur);
  return out;
}

/** Splits text into chunks of at most `max` UTF-16 units without splitting a surrogate pair. */
function splitUcs2(text: string, max: number): string[] {
  const out: string[] = [];
  let cur = '';
  for (const ch of text) {
    // for..of yields whole code points: a pair is added or moved to the next part as a unit.
    if (cur.length + ch.length > max) {
      out.push(cur);
      cur = '';
    }
    cur += ch;
  }
  if (cur || out.length === 0) out.push(cur);
  return out;
}

/** Counts units the way the splitter does. */
function gsmUnits(text: string): number {
  let n = 0;
  for (const ch of text) n += gsmCharSeptets(ch);
  return n;
}

/** The 6-octet concatenation UDH: IEI 0x00 (8-bit reference), ref, total, seq (1-based). */
export function concatUdh(ref: number, total: number, seq: number): Buffer {
  return Buffer.from([0x05, 0x00, 0x03, ref & 0xff, total & 0xff, seq & 0xff]);
}

/**
 * Encodes `text` for submit_sm. `ref` is the concatenation reference (keep it stable across retries so a
 * re-sent part joins the others on the handset).
 */
export function encodeMessage(text: string, ref: number): EncodedMessage {
  const gsm = isGsm7(text);
  const units = gsm ? gsmUnits(text) : text.length;
  const single = gsm ? 160 : 70;
  const multi = gsm ? 153 : 67;
  const chunks = units <= single ? [text] : gsm ? splitGsm(text, multi) : splitUcs2(text, multi);
  const enc = (s: string) => (gsm ? encodeGsm7(s) : encodeUcs2(s));
  const parts =
    chunks.length === 1
      ? [enc(chunks[0])]
      : chunks.map((c, i) => Buffer.concat([concatUdh(ref, chunks.length, i + 1), enc(c)]));
  return {
    dataCoding: gsm ? DATA_CODING_GSM7 : DATA_CODING_UCS2,
    encoding: gsm ? 'gsm7' : 'ucs2',
    parts,
    esmClass: chunks.length > 1 ? ESM_CLASS_UDHI : 0,
    units,
  };
}

/** Number of parts `text` needs (for template budgeting). */
export function countParts(text: string): number {
  return encodeMessage(text, 0).parts.length;
}

/**
 * Decodes a short_message as received (MO or receipt): strips the UDH when UDHI is set, then decodes by
 * data_coding (0 SMSC default, 8 UCS-2, anything else Latin-1 as a best effort). Never throws.
 */
export function decodeShortMessage(bytes: Buffer, dataCoding: number, esmClass: number): string {
  let body = bytes;
  if (esmClass & ESM_CLASS_UDHI && bytes.length > 0) body = bytes.subarray(Math.min(bytes.length, bytes[0] + 1));
  if (dataCoding === DATA_CODING_UCS2) return decodeUcs2(body);
  if (dataCoding === DATA_CODING_GSM7) return decodeSmscDefault(body);
  return body.toString('latin1');
}

/**
 * data_coding 0 is "SMSC default": most SMSCs mean unpacked GSM-7, some send ASCII. The two agree on
 * letters, digits, space and most punctuation; text that is all printable ASCII is read as ASCII because
 * the SMSCs that differ send exactly that (receipts above all).
 */
function decodeSmscDefault(b: Buffer): string {
  for (const x of b) if (x < 0x20 || x > 0x7e) return decodeGsm7(b);
  return b.toString('latin1');
}
