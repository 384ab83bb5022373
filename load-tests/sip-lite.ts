/**
 * The little SIP the generator needs, written apart from engine/ingest on purpose: a harness that shared the engine's
 * parser would share its bugs. Parses one UDP datagram (request or response) into first line, headers (compact forms
 * expanded, names lower-cased) and body; returns null on anything it cannot read rather than throwing.
 */
export interface SipLiteMessage {
  readonly kind: 'request' | 'response';
  readonly method: string;
  readonly uri: string;
  readonly status: number;
  readonly reason: string;
  readonly headers: ReadonlyMap<string, readonly string[]>;
  readonly body: string;
}

const COMPACT: Record<string, string> = {
  i: 'call-id',
  f: 'from',
  t: 'to',
  v: 'via',
  m: 'contact',
  l: 'content-length',
  c: 'content-type',
  k: 'supported',
};

export function parseSipLite(data: Buffer): SipLiteMessage | null {
  const text = data.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const lines = text.slice(0, end).split('\r\n');
  const first = lines.shift() ?? '';
  const headers = new Map<string, string[]>();
  for (const line of lines) {
    if (/^[ \t]/.test(line)) continue; // folded continuation lines: not used by anything we read
    const colon = line.indexOf(':');
    if (colon <= 0) return null;
    const raw = line.slice(0, colon).trim().toLowerCase();
    const name = COMPACT[raw] ?? raw;
    const list = headers.get(name) ?? [];
    list.push(line.slice(colon + 1).trim());
    headers.set(name, list);
  }
  const len = Number(headers.get('content-length')?.[0] ?? '0');
  const body = Buffer.from(text.slice(end + 4), 'latin1')
    .subarray(0, Number.isFinite(len) ? len : 0)
    .toString('utf8');
  const resp = /^SIP\/2\.0 (\d{3}) ?(.*)$/.exec(first);
  if (resp)
    return {
      kind: 'response',
      method: cseqMethod(headers),
      uri: '',
      status: Number(resp[1]),
      reason: resp[2],
      headers,
      body,
    };
  const req = /^([A-Z]+) (\S+) SIP\/2\.0$/.exec(first);
  if (req) return { kind: 'request', method: req[1], uri: req[2], status: 0, reason: '', headers, body };
  return null;
}

export function header(m: SipLiteMessage, name: string): string {
  return m.headers.get(name)?.[0] ?? '';
}

/** The tag parameter of a From/To value, or ''. */
export function tagOf(nameAddr: string): string {
  return /;\s*tag=([^;>\s]+)/i.exec(nameAddr)?.[1] ?? '';
}

/** The URI inside <...> of a Contact value (or the bare value). */
export function uriOf(nameAddr: string): string {
  const m = /<([^>]+)>/.exec(nameAddr);
  return (m ? m[1] : nameAddr.split(';')[0]).trim();
}

/** m=audio ports (in offer order) and the session c= address of an SDP answer. */
export function answerMedia(sdp: string): { address: string; ports: number[] } {
  let address = '';
  const ports: number[] = [];
  for (const line of sdp.split(/\r?\n/)) {
    const c = /^c=IN IP[46] (\S+)/.exec(line);
    if (c && !address) address = c[1];
    const m = /^m=audio (\d+)/.exec(line);
    if (m) ports.push(Number(m[1]));
  }
  return { address, ports };
}

/** A response to `req` echoing its Via/From/To/Call-ID/CSeq (for requests the SRS sends us: BYE, OPTIONS). */
export function buildResponseTo(req: SipLiteMessage, status: number, reason: string, toTag?: string): Buffer {
  const lines = [`SIP/2.0 ${status} ${reason}`];
  for (const v of req.headers.get('via') ?? []) lines.push(`Via: ${v}`);
  lines.push(`From: ${header(req, 'from')}`);
  const to = header(req, 'to');
  lines.push(`To: ${to}${toTag && !tagOf(to) ? `;tag=${toTag}` : ''}`);
  lines.push(`Call-ID: ${header(req, 'call-id')}`, `CSeq: ${header(req, 'cseq')}`, 'Content-Length: 0', '', '');
  return Buffer.from(lines.join('\r\n'), 'latin1');
}

function cseqMethod(h: Map<string, string[]>): string {
  return (h.get('cseq')?.[0] ?? '').split(/\s+/)[1] ?? '';
}
