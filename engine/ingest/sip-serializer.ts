import type { SipRequest } from './sip-message.js';
import { parseVia } from './sip-headers.js';

/**
 * Builds outgoing SIP responses and requests as bytes. Responses copy Via/From/To/Call-ID/CSeq from the request as
 * RFC 3261 8.2.6 requires; the top Via gets `received`/`rport` (RFC 3261 18.2.1, RFC 3581) so the SBC can match it.
 */
export interface ResponseOptions {
  /** To-tag to add when the request's To has none (every final response of a UAS carries one). */
  toTag?: string;
  /** Extra headers in order, e.g. [['Contact', '<sip:...>'], ['Warning', '...']]. */
  headers?: ReadonlyArray<readonly [string, string]>;
  body?: Buffer | string;
  contentType?: string;
  /** Source of the request, used to stamp received/rport on the top Via. */
  remote?: { address: string; port: number };
  serverName?: string;
}

const CANONICAL: Record<string, string> = {
  via: 'Via',
  from: 'From',
  to: 'To',
  'call-id': 'Call-ID',
  cseq: 'CSeq',
};

/**
 * The one place where text meets the wire: every start line and header value is cleaned here, whichever caller
 * built it, so nothing a peer sent (a metadata element name in a Warning, a reason from a handler) can add header
 * lines or end the header block. Control characters (CR, LF, NUL, the rest of C0 and DEL, but not HTAB) become a
 * space; header names that are not tokens are dropped; characters above U+00FF become '?'. Bytes 0x80-0xFF are left as
 * they are in copied headers (display names are UTF-8, and Via/From/To/Call-ID must come back byte for byte).
 */
export function headerSafe(value: string): string {
  // Characters above U+00FF would be written as their low byte by the latin1 encoding (U+010A as LF): '?' instead.
  /* eslint-disable no-control-regex -- control characters are exactly what a header must not carry */
  return /[\x00-\x08\x0a-\x1f\x7f\u0100-\uffff]/.test(value)
    ? value.replace(/[\x00-\x08\x0a-\x1f\x7f]/g, ' ').replace(/[\u0100-\uffff]/g, '?')
    : value;
  /* eslint-enable no-control-regex */
}

/** A reason phrase or quoted text we write ourselves: printable ASCII only, at most `max` characters. */
export function asciiText(text: string, max = 120): string {
  return text
    .replace(/[^\x20-\x7e]/g, ' ')
    .trim()
    .slice(0, max);
}

/** A Warning header value (RFC 3261 20.43): code, agent, and the text as a quoted-string with \ and " escaped. */
export function warningValue(code: number, text: string): string {
  return `${code} callguard "${asciiText(text).replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

const TOKEN = /^[A-Za-z0-9.!%*_+`'~-]+$/;

export function stampTopVia(value: string, remote: { address: string; port: number }): string {
  const via = parseVia(value);
  if (!via) return value;
  let out = value;
  if ('rport' in via.params && via.params['rport'] === null) {
    out = out.replace(/;\s*rport(?=;|$|\s)/i, `;rport=${remote.port}`);
  }
  if (via.host !== remote.address && !('received' in via.params)) out += `;received=${remote.address}`;
  return out;
}

export function buildResponse(req: SipRequest, status: number, reason: string, opts: ResponseOptions = {}): Buffer {
  const lines: string[] = [`SIP/2.0 ${status} ${asciiText(reason, 100) || 'Unknown'}`];
  let firstVia = true;
  for (const h of req.headers) {
    const canon = CANONICAL[h.name];
    if (!canon) continue;
    let value = h.value;
    if (h.name === 'via' && firstVia) {
      firstVia = false;
      if (opts.remote) value = stampTopVia(value, opts.remote);
    }
    if (h.name === 'to' && opts.toTag && !/;\s*tag=/i.test(value)) value += `;tag=${opts.toTag}`;
    lines.push(`${canon}: ${headerSafe(value)}`);
  }
  if (opts.serverName) lines.push(`Server: ${headerSafe(opts.serverName)}`);
  for (const [n, v] of opts.headers ?? []) if (TOKEN.test(n)) lines.push(`${n}: ${headerSafe(v)}`);
  return finish(lines, opts.body, opts.contentType);
}

/** Builds a request (used for the UAS-initiated BYE). `headers` must include Via, From, To, Call-ID, CSeq. */
export function buildRequest(
  method: string,
  uri: string,
  headers: ReadonlyArray<readonly [string, string]>,
  body?: Buffer | string,
  contentType?: string,
): Buffer {
  // eslint-disable-next-line no-control-regex -- a request URI must carry no control character or space
  const lines = [`${method} ${uri.replace(/[\x00-\x20\x7f]/g, '')} SIP/2.0`, 'Max-Forwards: 70'];
  for (const [n, v] of headers) if (TOKEN.test(n)) lines.push(`${n}: ${headerSafe(v)}`);
  return finish(lines, body, contentType);
}

function finish(lines: string[], body: Buffer | string | undefined, contentType: string | undefined): Buffer {
  const bodyBuf = body === undefined ? Buffer.alloc(0) : typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  if (bodyBuf.length > 0 && contentType) lines.push(`Content-Type: ${headerSafe(contentType)}`);
  lines.push(`Content-Length: ${bodyBuf.length}`);
  const head = Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1');
  return bodyBuf.length ? Buffer.concat([head, bodyBuf]) : head;
}
