/**
 * SIP message model shared by the parser, the transaction layer and the server. Header names are stored lower-case in
 * their long form (compact forms expanded) so lookups are exact string compares.
 */
export interface SipHeader {
  readonly name: string;
  readonly value: string;
}

interface SipMessageBase {
  readonly headers: readonly SipHeader[];
  readonly body: Buffer;
}

export interface SipRequest extends SipMessageBase {
  readonly kind: 'request';
  readonly method: string;
  readonly uri: string;
}

export interface SipResponse extends SipMessageBase {
  readonly kind: 'response';
  readonly status: number;
  readonly reason: string;
}

export type SipMessage = SipRequest | SipResponse;

/** First value of a header (by long lower-case name), or undefined. */
export function headerValue(msg: SipMessage, name: string): string | undefined {
  for (const h of msg.headers) if (h.name === name) return h.value;
  return undefined;
}

/**
 * All values of a list-valued header (Via, Require, Supported...), splitting comma-separated values while respecting
 * quoted strings and <...> so a comma inside a URI or display name does not split.
 */
export function headerValues(msg: SipMessage, name: string): string[] {
  const out: string[] = [];
  for (const h of msg.headers) if (h.name === name) for (const v of splitHeaderList(h.value)) out.push(v);
  return out;
}

export function splitHeaderList(value: string): string[] {
  const out: string[] = [];
  let depthAngle = 0;
  let inQuote = false;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (inQuote) {
      if (c === 92 /* \ */) i++;
      else if (c === 34) inQuote = false;
    } else if (c === 34) inQuote = true;
    else if (c === 60) depthAngle++;
    else if (c === 62 && depthAngle > 0) depthAngle--;
    else if (c === 44 && depthAngle === 0) {
      const part = value.slice(start, i).trim();
      if (part) out.push(part);
      start = i + 1;
    }
  }
  const last = value.slice(start).trim();
  if (last) out.push(last);
  return out;
}
