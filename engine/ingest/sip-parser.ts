import type { SipHeader, SipMessage, SipRequest } from './sip-message.js';

/**
 * SIP message parser (RFC 3261 section 7). Never throws: hostile input yields a coded error. Bounded by the caller's
 * limits so a flood of headers or a huge datagram costs at most `maxMessageBytes` of work.
 */
export interface SipParseLimits {
  /** Whole message (headers + body) in bytes. */
  maxMessageBytes: number;
  /** Header fields (after unfolding). */
  maxHeaders: number;
}

export type SipParseErrorCode =
  | 'SIP_EMPTY'
  | 'SIP_OVERSIZE'
  | 'SIP_NO_HEADER_END'
  | 'SIP_BAD_START_LINE'
  | 'SIP_BAD_VERSION'
  | 'SIP_BAD_HEADER'
  | 'SIP_TOO_MANY_HEADERS'
  | 'SIP_BAD_CONTENT_LENGTH'
  | 'SIP_BODY_TRUNCATED';

export type SipParseResult = { ok: true; message: SipMessage } | { ok: false; code: SipParseErrorCode; detail: string };

const COMPACT: Record<string, string> = {
  v: 'via',
  f: 'from',
  t: 'to',
  i: 'call-id',
  m: 'contact',
  l: 'content-length',
  c: 'content-type',
  k: 'supported',
  s: 'subject',
  e: 'content-encoding',
  o: 'event',
  r: 'refer-to',
  u: 'allow-events',
};

// RFC 3261 token characters, for header names and methods.
const TOKEN_RE = /^[A-Za-z0-9.!%*_+`'~-]+$/;
const REQUEST_LINE_RE = /^([A-Za-z0-9.!%*_+`'~-]+) (\S+) SIP\/(\d+\.\d+)$/;
const STATUS_LINE_RE = /^SIP\/(\d+\.\d+) (\d{3}) ?(.*)$/;

/** Offset of the CRLFCRLF (or bare LFLF, tolerated) ending the header block, and the separator length; -1 if none. */
export function findHeaderEnd(buf: Buffer, from = 0, limit = buf.length): { index: number; sepLength: number } {
  const end = Math.min(limit, buf.length);
  for (let i = from; i < end - 1; i++) {
    if (buf[i] !== 10) continue;
    if (buf[i + 1] === 10) return { index: i, sepLength: 2 };
    if (buf[i + 1] === 13 && i + 2 < end && buf[i + 2] === 10) return { index: i, sepLength: 3 };
  }
  return { index: -1, sepLength: 0 };
}

/** One logical header line as a field (canonical name, trimmed value); null without a colon or with a bad name. */
function headerField(line: string): SipHeader | null {
  const colon = line.indexOf(':');
  if (colon <= 0) return null;
  const rawName = line.slice(0, colon).trim();
  return TOKEN_RE.test(rawName) ? { name: headerName(rawName), value: line.slice(colon + 1).trim() } : null;
}

/** Canonical (long, lower-case) name of a header field name as written. */
function headerName(raw: string): string {
  const lower = raw.toLowerCase();
  return COMPACT[lower] ?? lower;
}

/**
 * The header block as logical lines: the start line, then one line per header field with folded continuation lines
 * (starting with SP or HTAB, RFC 3261 7.3.1) joined on. null when there are more than `maxLines`. The one reader
 * of header lines: the stream framer and the message parser both use it, so a TCP stream is cut where the parser
 * reads the Content-Length, whatever folding a peer sends.
 */
export function unfoldHeaderLines(head: string, maxLines = Infinity): string[] | null {
  const lines: string[] = [];
  for (const raw of head.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if ((line.startsWith(' ') || line.startsWith('\t')) && lines.length > 1) {
      lines[lines.length - 1] += ' ' + line.trim();
    } else {
      lines.push(line);
    }
    if (lines.length > maxLines) return null;
  }
  return lines;
}

/**
 * The Content-Length of a header block (from unfoldHeaderLines): null when absent; an error when it is not a
 * number or when two Content-Length fields disagree (RFC 4475 3.1.2.9: such a message cannot be framed safely).
 */
export function contentLength(
  lines: readonly string[],
): { ok: true; value: number | null } | { ok: false; detail: string } {
  let value: number | null = null;
  for (let i = 1; i < lines.length; i++) {
    const h = headerField(lines[i]);
    if (!h || h.name !== 'content-length') continue;
    const v = h.value;
    if (!/^\d{1,9}$/.test(v)) return { ok: false, detail: 'Content-Length is not a number' };
    const n = Number(v);
    if (value !== null && n !== value)
      return { ok: false, detail: `conflicting Content-Length values ${value} and ${n}` };
    value = n;
  }
  return { ok: true, value };
}

/** Parses one complete SIP message (a UDP datagram, or one message framed from a TCP stream). */
export function parseSipMessage(buf: Buffer, limits: SipParseLimits): SipParseResult {
  if (buf.length > limits.maxMessageBytes) {
    return { ok: false, code: 'SIP_OVERSIZE', detail: `${buf.length} bytes > ${limits.maxMessageBytes}` };
  }
  // RFC 3261 7.5: ignore CRLFs preceding the start line.
  let start = 0;
  while (start < buf.length && (buf[start] === 13 || buf[start] === 10)) start++;
  if (start >= buf.length) return { ok: false, code: 'SIP_EMPTY', detail: 'no content' };
  const { index: headEnd, sepLength } = findHeaderEnd(buf, start);
  if (headEnd === -1) return { ok: false, code: 'SIP_NO_HEADER_END', detail: 'missing empty line after headers' };
  // latin1 never throws and maps bytes 1:1; header values are ASCII in practice and UTF-8 display names stay intact
  // as bytes if re-encoded with latin1 on the way out.
  const head = buf.toString('latin1', start, headEnd);
  const lines = unfoldHeaderLines(head, limits.maxHeaders + 1);
  if (lines === null)
    return { ok: false, code: 'SIP_TOO_MANY_HEADERS', detail: `more than ${limits.maxHeaders} header fields` };
  const startLine = lines[0] ?? '';
  const headers: SipHeader[] = [];
  for (let i = 1; i < lines.length; i++) {
    const h = headerField(lines[i]);
    if (!h) return { ok: false, code: 'SIP_BAD_HEADER', detail: `no colon or a bad header name on line ${i}` };
    headers.push(h);
  }

  const bodyStart = headEnd + sepLength;
  const available = buf.length - bodyStart;
  let bodyLength = available;
  const cl = contentLength(lines);
  if (!cl.ok) return { ok: false, code: 'SIP_BAD_CONTENT_LENGTH', detail: cl.detail };
  if (cl.value !== null) {
    if (cl.value > available)
      return { ok: false, code: 'SIP_BODY_TRUNCATED', detail: `Content-Length ${cl.value} > ${available}` };
    bodyLength = cl.value;
  }
  // subarray keeps a view (no copy); callers that keep bodies past the datagram's life copy them.
  const body = buf.subarray(bodyStart, bodyStart + bodyLength);

  const req = REQUEST_LINE_RE.exec(startLine);
  if (req) {
    if (req[3] !== '2.0') return { ok: false, code: 'SIP_BAD_VERSION', detail: `SIP/${req[3]}` };
    return { ok: true, message: { kind: 'request', method: req[1].toUpperCase(), uri: req[2], headers, body } };
  }
  const res = STATUS_LINE_RE.exec(startLine);
  if (res) {
    if (res[1] !== '2.0') return { ok: false, code: 'SIP_BAD_VERSION', detail: `SIP/${res[1]}` };
    const status = Number(res[2]);
    if (status < 100 || status > 699) return { ok: false, code: 'SIP_BAD_START_LINE', detail: `status ${status}` };
    return { ok: true, message: { kind: 'response', status, reason: res[3], headers, body } };
  }
  return { ok: false, code: 'SIP_BAD_START_LINE', detail: 'neither a request line nor a status line' };
}

/**
 * What can be read of a request that failed to parse, to answer it with an error (never to act on it): the method
 * (first token of the start line), the headers whose lines are well formed, no body. null for responses and for
 * anything without a header block.
 */
export function salvageRequest(buf: Buffer, maxHeaders: number): SipRequest | null {
  let start = 0;
  while (start < buf.length && (buf[start] === 13 || buf[start] === 10)) start++;
  const { index } = findHeaderEnd(buf, start);
  if (index === -1) return null;
  const lines = unfoldHeaderLines(buf.toString('latin1', start, index), maxHeaders + 1);
  if (!lines || lines.length < 2 || lines[0].startsWith('SIP/')) return null;
  const first = lines[0].trim().split(/\s+/);
  if (!TOKEN_RE.test(first[0] ?? '')) return null;
  const headers = lines
    .slice(1)
    .map(headerField)
    .filter((h): h is SipHeader => h !== null);
  return { kind: 'request', method: first[0].toUpperCase(), uri: first[1] ?? '', headers, body: Buffer.alloc(0) };
}
