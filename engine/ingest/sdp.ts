import { isIP } from 'node:net';

/**
 * SDP (RFC 4566) parsing of a SIPREC offer, offer/answer negotiation (RFC 3264) for a receive-only recorder, and the
 * answer text. Never throws. Only what a recording server needs is modelled: connection, media lines, rtpmap,
 * direction, label (RFC 4574, the key rs-metadata uses to name a stream).
 */
export type SdpDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

export interface SdpConnection {
  readonly addrType: 'IP4' | 'IP6';
  readonly address: string;
}

export interface SdpRtpMap {
  readonly encoding: string; // upper-case, e.g. PCMU, TELEPHONE-EVENT
  readonly clockRate: number;
  readonly channels: number;
}

export interface SdpMedia {
  readonly index: number;
  readonly type: string; // audio, video, ...
  readonly port: number;
  readonly proto: string; // RTP/AVP, RTP/SAVP, ...
  readonly formats: readonly string[];
  readonly rtpmap: ReadonlyMap<number, SdpRtpMap>;
  readonly direction: SdpDirection | null;
  readonly label: string | null;
  readonly connection: SdpConnection | null;
}

export interface SdpSession {
  readonly origin: { username: string; sessionId: string; version: string; address: string } | null;
  readonly connection: SdpConnection | null;
  readonly direction: SdpDirection | null;
  readonly media: readonly SdpMedia[];
}

export type SdpParseResult = { ok: true; sdp: SdpSession } | { ok: false; code: 'SDP_MALFORMED'; detail: string };

const MAX_MEDIA = 16;
const MAX_LINES = 512;
const DIRECTIONS = new Set(['sendrecv', 'sendonly', 'recvonly', 'inactive']);

export function parseSdp(text: string): SdpParseResult {
  const lines = text.split(/\r?\n/);
  if (lines.length > MAX_LINES) return { ok: false, code: 'SDP_MALFORMED', detail: 'too many lines' };
  if (!lines[0]?.startsWith('v=0')) return { ok: false, code: 'SDP_MALFORMED', detail: 'does not start with v=0' };
  let origin: SdpSession['origin'] = null;
  let sessConn: SdpConnection | null = null;
  let sessDir: SdpDirection | null = null;
  type Mutable = { -readonly [K in keyof SdpMedia]: SdpMedia[K] } & { rtpmap: Map<number, SdpRtpMap> };
  const media: Mutable[] = [];
  for (const raw of lines) {
    const line = raw.trimEnd();
    if (!line) continue;
    if (line.length < 2 || line[1] !== '=') return { ok: false, code: 'SDP_MALFORMED', detail: `bad line: ${line.slice(0, 40)}` };
    const t = line[0];
    const v = line.slice(2);
    const cur = media[media.length - 1];
    if (t === 'm') {
      const m = /^([a-z]+) (\d{1,5})(?:\/\d+)? ([A-Za-z0-9/._-]+)((?: \S+)*)$/.exec(v);
      if (!m) return { ok: false, code: 'SDP_MALFORMED', detail: `bad m= line: ${v.slice(0, 60)}` };
      if (media.length >= MAX_MEDIA) return { ok: false, code: 'SDP_MALFORMED', detail: 'too many m= lines' };
      const port = Number(m[2]);
      if (port > 65535) return { ok: false, code: 'SDP_MALFORMED', detail: 'bad port' };
      media.push({
        index: media.length,
        type: m[1],
        port,
        proto: m[3].toUpperCase(),
        formats: m[4].trim() ? m[4].trim().split(' ') : [],
        rtpmap: new Map(),
        direction: null,
        label: null,
        connection: null,
      });
    } else if (t === 'o') {
      const p = v.split(' ');
      if (p.length !== 6) return { ok: false, code: 'SDP_MALFORMED', detail: 'bad o= line' };
      origin = { username: p[0], sessionId: p[1], version: p[2], address: p[5] };
    } else if (t === 'c') {
      const m = /^IN (IP4|IP6) (\S+?)(?:\/\d+){0,2}$/.exec(v);
      if (!m || isIP(m[2]) === 0) return { ok: false, code: 'SDP_MALFORMED', detail: `bad c= line: ${v.slice(0, 60)}` };
      const conn: SdpConnection = { addrType: m[1] as 'IP4' | 'IP6', address: m[2] };
      if (cur) cur.connection = conn;
      else sessConn = conn;
    } else if (t === 'a') {
      const colon = v.indexOf(':');
      const name = colon === -1 ? v : v.slice(0, colon);
      const value = colon === -1 ? '' : v.slice(colon + 1);
      if (DIRECTIONS.has(name)) {
        if (cur) cur.direction = name as SdpDirection;
        else sessDir = name as SdpDirection;
      } else if (name === 'rtpmap' && cur) {
        const m = /^(\d{1,3}) ([A-Za-z0-9_.-]+)\/(\d+)(?:\/(\d+))?$/.exec(value.trim());
        if (m) cur.rtpmap.set(Number(m[1]), { encoding: m[2].toUpperCase(), clockRate: Number(m[3]), channels: m[4] ? Number(m[4]) : 1 });
      } else if (name === 'label' && cur) {
        cur.label = value.trim();
      }
    }
  }
  if (media.length === 0 && !origin) return { ok: false, code: 'SDP_MALFORMED', detail: 'no origin and no media' };
  return { ok: true, sdp: { origin, connection: sessConn, direction: sessDir, media } };
}

/** Per m-line outcome of negotiating an offer for a receive-only G.711 recorder. */
export type MediaDecision =
  | {
      accepted: true;
      index: number;
      label: string | null;
      codec: 'PCMU' | 'PCMA';
      payloadType: number;
      /** Payload types that may arrive and are consumed without audio (telephone-event, CN). */
      skipPayloadTypes: number[];
      remote: { address: string; port: number };
      /** The offer says there is nothing to receive right now (hold). */
      onHold: boolean;
      answerDirection: SdpDirection;
    }
  | { accepted: false; index: number; label: string | null; reason: string };

const STATIC_PT: Record<number, { encoding: string; clockRate: number }> = {
  0: { encoding: 'PCMU', clockRate: 8000 },
  8: { encoding: 'PCMA', clockRate: 8000 },
  13: { encoding: 'CN', clockRate: 8000 },
};

/** Decides each m-line of an offer. Audio over RTP/AVP(F) with PCMU or PCMA at 8 kHz is accepted; the rest rejected. */
export function negotiateOffer(sdp: SdpSession): MediaDecision[] {
  return sdp.media.map((m): MediaDecision => {
    const base = { index: m.index, label: m.label };
    if (m.type !== 'audio') return { ...base, accepted: false, reason: `media type ${m.type} not supported` };
    if (m.proto !== 'RTP/AVP' && m.proto !== 'RTP/AVPF') return { ...base, accepted: false, reason: `transport ${m.proto} not supported` };
    if (m.port === 0) return { ...base, accepted: false, reason: 'stream disabled in offer' };
    const conn = m.connection ?? sdp.connection;
    if (!conn) return { ...base, accepted: false, reason: 'no connection address' };
    let chosen: { codec: 'PCMU' | 'PCMA'; pt: number } | null = null;
    const skip: number[] = [];
    for (const f of m.formats) {
      if (!/^\d{1,3}$/.test(f)) continue;
      const pt = Number(f);
      const map = m.rtpmap.get(pt) ?? STATIC_PT[pt];
      if (!map) continue;
      if (map.encoding === 'TELEPHONE-EVENT' || map.encoding === 'CN') {
        skip.push(pt);
        continue;
      }
      if (!chosen && map.clockRate === 8000 && (map.encoding === 'PCMU' || map.encoding === 'PCMA')) {
        chosen = { codec: map.encoding, pt };
      }
    }
    if (!chosen) return { ...base, accepted: false, reason: 'no PCMU or PCMA at 8000 Hz offered' };
    if (!skip.includes(13)) skip.push(13); // static CN may be sent without being offered
    const dir = m.direction ?? sdp.direction ?? 'sendrecv';
    // Hold: inactive, recvonly (nothing for us to receive), or the RFC 2543 0.0.0.0 convention.
    const onHold = dir === 'inactive' || dir === 'recvonly' || conn.address === '0.0.0.0';
    return {
      ...base,
      accepted: true,
      codec: chosen.codec,
      payloadType: chosen.pt,
      skipPayloadTypes: skip,
      remote: { address: conn.address, port: m.port },
      onHold,
      answerDirection: onHold ? 'inactive' : 'recvonly',
    };
  });
}

export interface AnswerLine {
  /** The offer's m-line (its type and proto are echoed; rejected lines get port 0 as RFC 3264 6 requires). */
  offer: SdpMedia;
  decision: MediaDecision;
  localPort: number;
}

/** Builds the SDP answer: one m-line per offered line, in order. */
export function buildAnswer(opts: { sessionId: string; version: number; address: string; lines: readonly AnswerLine[] }): string {
  const ipv = isIP(opts.address) === 6 ? 'IP6' : 'IP4';
  const out = [
    'v=0',
    `o=callguard ${opts.sessionId} ${opts.version} IN ${ipv} ${opts.address}`,
    's=callguard recording',
    `c=IN ${ipv} ${opts.address}`,
    't=0 0',
  ];
  for (const { offer, decision, localPort } of opts.lines) {
    if (!decision.accepted) {
      out.push(`m=${offer.type} 0 ${offer.proto} ${offer.formats[0] ?? '0'}`);
      continue;
    }
    out.push(`m=audio ${localPort} ${offer.proto} ${decision.payloadType}`);
    out.push(`a=rtpmap:${decision.payloadType} ${decision.codec}/8000`);
    if (decision.label !== null) out.push(`a=label:${decision.label}`);
    out.push(`a=${decision.answerDirection}`);
  }
  return out.join('\r\n') + '\r\n';
}
