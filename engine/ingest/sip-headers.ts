/**
 * Parsers for the structured SIP headers the UAS needs: Via, name-addr (From/To/Contact), CSeq, parameters.
 * Each returns null on malformed input instead of throwing.
 */

export interface SipParams {
  readonly [name: string]: string | null;
}

/** Parses `;a=b;c` into { a: 'b', c: null } (names lower-cased, values unquoted). */
export function parseParams(text: string): Record<string, string | null> {
  const out: Record<string, string | null> = Object.create(null);
  for (const part of text.split(';')) {
    const p = part.trim();
    if (!p) continue;
    const eq = p.indexOf('=');
    if (eq === -1) out[p.toLowerCase()] = null;
    else {
      let v = p.slice(eq + 1).trim();
      if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
      out[p.slice(0, eq).trim().toLowerCase()] = v;
    }
  }
  return out;
}

export interface Via {
  readonly transport: string; // upper-case: UDP, TCP, TLS...
  readonly host: string; // IPv6 without brackets
  readonly port: number | null;
  readonly params: Record<string, string | null>;
  readonly branch: string | null;
}

const VIA_RE =
  /^SIP\s*\/\s*2\.0\s*\/\s*([A-Za-z0-9-]+)\s+(\[[0-9A-Fa-f:.]+\]|[^\s;:]+)(?:\s*:\s*(\d{1,5}))?\s*((?:;.*)?)$/;

export function parseVia(value: string): Via | null {
  const m = VIA_RE.exec(value.trim());
  if (!m) return null;
  const port = m[3] === undefined ? null : Number(m[3]);
  if (port !== null && (port < 1 || port > 65535)) return null;
  const host = m[2].startsWith('[') ? m[2].slice(1, -1) : m[2];
  const params = parseParams(m[4]);
  return { transport: m[1].toUpperCase(), host, port, params, branch: params['branch'] ?? null };
}

export interface NameAddr {
  readonly displayName: string | null;
  readonly uri: string;
  readonly params: Record<string, string | null>;
  readonly tag: string | null;
}

/** Parses From/To/Contact values: `"Name" <sip:u@h>;tag=x`, `<sip:u@h>`, or a bare `sip:u@h;tag=x`. */
export function parseNameAddr(value: string): NameAddr | null {
  const v = value.trim();
  if (!v) return null;
  // A quoted display name may hold '<' and escaped quotes (\" and \\): find where it closes first. One that never
  // closes makes the value unreadable (RFC 4475 quotbal: no guessing where it was meant to end).
  let from = 0;
  if (v.startsWith('"')) {
    let i = 1;
    while (i < v.length && v[i] !== '"') i += v[i] === '\\' ? 2 : 1;
    if (i >= v.length) return null;
    from = i + 1;
  }
  const lt = v.indexOf('<', from);
  if (lt !== -1) {
    const gt = v.indexOf('>', lt);
    if (gt === -1) return null;
    let display = v.slice(0, lt).trim();
    if (display.startsWith('"')) display = display.slice(1, from - 1);
    const uri = v.slice(lt + 1, gt).trim();
    if (!uri) return null;
    const params = parseParams(v.slice(gt + 1));
    return { displayName: display || null, uri, params, tag: params['tag'] ?? null };
  }
  // Bare addr-spec: parameters after the URI belong to the header (RFC 3261 20.10).
  const semi = v.indexOf(';');
  // LWS may separate the URI from its header parameters (RFC 4475 wsinv: "sip:u@h ;   tag    = 1918181833n").
  const uri = (semi === -1 ? v : v.slice(0, semi)).trim();
  if (!/^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$/.test(uri)) return null;
  const params = parseParams(semi === -1 ? '' : v.slice(semi));
  return { displayName: null, uri, params, tag: params['tag'] ?? null };
}

export interface CSeq {
  readonly seq: number;
  readonly method: string;
}

export function parseCSeq(value: string): CSeq | null {
  const m = /^(\d{1,10})\s+([A-Za-z0-9.!%*_+`'~-]+)$/.exec(value.trim());
  if (!m) return null;
  const seq = Number(m[1]);
  if (seq >= 2 ** 31) return null; // RFC 3261 8.1.1.5: less than 2**31
  return { seq, method: m[2].toUpperCase() };
}

/** Host and port of a sip:/sips: URI (for sending in-dialog requests to the remote Contact). */
export function parseSipUriHostPort(
  uri: string,
): { host: string; port: number | null; transport: string | null } | null {
  const m = /^sips?:(?:[^@;?]*@)?(\[[0-9A-Fa-f:.]+\]|[^:;?>]+)(?::(\d{1,5}))?([^?]*)/i.exec(uri.trim());
  if (!m) return null;
  const host = m[1].startsWith('[') ? m[1].slice(1, -1) : m[1];
  const params = parseParams(m[3] ?? '');
  return { host, port: m[2] ? Number(m[2]) : null, transport: params['transport']?.toUpperCase() ?? null };
}
