import { parseMediaType, type MediaType } from './media-type.js';

/**
 * multipart/mixed bodies (RFC 2046 5.1) as SIPREC INVITEs carry them: one SDP part and one rs-metadata part.
 * Never throws; bounded part count. Parts are views into the original body.
 */
export interface BodyPart {
  readonly contentType: MediaType | null;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

export type MultipartResult =
  | { ok: true; parts: BodyPart[] }
  | { ok: false; code: 'MULTIPART_NO_BOUNDARY' | 'MULTIPART_MALFORMED' | 'MULTIPART_TOO_MANY_PARTS'; detail: string };

const MAX_PARTS = 8;

export function parseMultipart(body: Buffer, boundary: string | null | undefined): MultipartResult {
  if (!boundary || boundary.length > 70)
    return { ok: false, code: 'MULTIPART_NO_BOUNDARY', detail: 'missing or bad boundary' };
  const delim = Buffer.from(`--${boundary}`, 'latin1');
  const parts: BodyPart[] = [];
  let pos = body.indexOf(delim);
  if (pos === -1) return { ok: false, code: 'MULTIPART_MALFORMED', detail: 'boundary not found' };
  for (;;) {
    let after = pos + delim.length;
    // Closing delimiter "--boundary--".
    if (body[after] === 45 && body[after + 1] === 45) break;
    // Skip transport padding and the CRLF (or bare LF) ending the delimiter line.
    while (after < body.length && (body[after] === 32 || body[after] === 9)) after++;
    if (body[after] === 13) after++;
    if (body[after] !== 10) return { ok: false, code: 'MULTIPART_MALFORMED', detail: 'delimiter line not terminated' };
    after++;
    const next = body.indexOf(delim, after);
    if (next === -1) return { ok: false, code: 'MULTIPART_MALFORMED', detail: 'missing closing delimiter' };
    // The CRLF before the next delimiter belongs to the delimiter.
    let end = next;
    if (body[end - 1] === 10) end--;
    if (body[end - 1] === 13) end--;
    const part = parsePart(body.subarray(after, Math.max(after, end)));
    if (!part) return { ok: false, code: 'MULTIPART_MALFORMED', detail: `part ${parts.length + 1} has bad headers` };
    parts.push(part);
    if (parts.length > MAX_PARTS)
      return { ok: false, code: 'MULTIPART_TOO_MANY_PARTS', detail: `> ${MAX_PARTS} parts` };
    pos = next;
  }
  return { ok: true, parts };
}

function parsePart(raw: Buffer): BodyPart | null {
  // A part with no headers starts directly with the empty line.
  let headEnd = -1;
  let sep = 0;
  if (raw[0] === 13 && raw[1] === 10) {
    headEnd = 0;
    sep = 2;
  } else if (raw[0] === 10) {
    headEnd = 0;
    sep = 1;
  } else {
    const crlf = raw.indexOf('\r\n\r\n');
    const lf = raw.indexOf('\n\n');
    if (crlf !== -1 && (lf === -1 || crlf < lf)) {
      headEnd = crlf;
      sep = 4;
    } else if (lf !== -1) {
      headEnd = lf;
      sep = 2;
    }
  }
  if (headEnd === -1) return null;
  const headers: Record<string, string> = Object.create(null);
  const text = raw.toString('latin1', 0, headEnd);
  for (const line of text.split(/\r?\n/)) {
    if (!line.trim()) continue;
    const colon = line.indexOf(':');
    if (colon <= 0) return null;
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { contentType: parseMediaType(headers['content-type']), headers, body: raw.subarray(headEnd + sep) };
}
