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
  const lines: string[] = [`SIP/2.0 ${status} ${reason}`];
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
    lines.push(`${canon}: ${value}`);
  }
  if (opts.serverName) lines.push(`Server: ${opts.serverName}`);
  for (const [n, v] of opts.headers ?? []) lines.push(`${n}: ${v}`);
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
  const lines = [`${method} ${uri} SIP/2.0`, 'Max-Forwards: 70'];
  for (const [n, v] of headers) lines.push(`${n}: ${v}`);
  return finish(lines, body, contentType);
}

function finish(lines: string[], body: Buffer | string | undefined, contentType: string | undefined): Buffer {
  const bodyBuf = body === undefined ? Buffer.alloc(0) : typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  if (bodyBuf.length > 0 && contentType) lines.push(`Content-Type: ${contentType}`);
  lines.push(`Content-Length: ${bodyBuf.length}`);
  const head = Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1');
  return bodyBuf.length ? Buffer.concat([head, bodyBuf]) : head;
}
