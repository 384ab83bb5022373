import { isIP } from 'node:net';
import { CODECS, type AmrOptions, type AudioCodec } from './codecs/audio-codec.js';

/**
 * SDP (RFC 4566) parsing of a SIPREC offer, offer/answer negotiation (RFC 3264) for a receive-only recorder, and the
 * answer text. Never throws. Only what a recording server needs is modelled: connection, media lines, rtpmap,
 * direction, label (RFC 4574, the key rs-metadata uses to name a stream), fmtp (codec parameters).
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
  /** a=fmtp parameters per payload type, raw (e.g. "octet-align=1; mode-set=0,2,4"). */
  readonly fmtp: ReadonlyMap<number, string>;
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
  type Mutable = { -readonly [K in keyof SdpMedia]: SdpMedia[K] } & {
    rtpmap: Map<number, SdpRtpMap>;
    fmtp: Map<number, string>;
  };
  const media: Mutable[] = [];
  for (const raw of lines) {
    const line = raw.trimEnd();
    if (!line) continue;
    if (line.length < 2 || line[1] !== '=')
      return { ok: false, code: 'SDP_MALFORMED', detail: `bad line: ${line.slice(0, 40)}` };
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
        fmtp: new Map(),
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
        if (m)
          cur.rtpmap.set(Number(m[1]), {
            encoding: m[2].toUpperCase(),
            clockRate: Number(m[3]),
            channels: m[4] ? Number(m[4]) : 1,
          });
      } else if (name === 'fmtp' && cur) {
        const m = /^(\d{1,3}) (.{0,512})$/.exec(value.trim());
        if (m) cur.fmtp.set(Number(m[1]), m[2].trim());
      } else if (name === 'label' && cur) {
        cur.label = value.trim();
      }
    }
  }
  if (media.length === 0 && !origin) return { ok: false, code: 'SDP_MALFORMED', detail: 'no origin and no media' };
  return { ok: true, sdp: { origin, connection: sessConn, direction: sessDir, media } };
}

/** Per m-line outcome of negotiating an offer for a receive-only recorder. */
export type MediaDecision =
  | {
      accepted: true;
      index: number;
      label: string | null;
      codec: AudioCodec;
      payloadType: number;
      /** RFC 4867 options, for AMR and AMR-WB. */
      amr?: AmrOptions;
      /** Payload types that may arrive and are consumed without audio (telephone-event, CN). */
      skipPayloadTypes: number[];
      remote: { address: string; port: number };
      /** The offer says there is nothing to receive right now (hold). */
      onHold: boolean;
      answerDirection: SdpDirection;
    }
  | { accepted: false; index: number; label: string | null; reason: string };

const STATIC_PT: Record<number, { encoding: string; clockRate: number; channels: number }> = {
  0: { encoding: 'PCMU', clockRate: 8000, channels: 1 },
  8: { encoding: 'PCMA', clockRate: 8000, channels: 1 },
  9: { encoding: 'G722', clockRate: 8000, channels: 1 },
  13: { encoding: 'CN', clockRate: 8000, channels: 1 },
};

/** What the 488's Warning and a refused line say when no offered codec is one we decode. */
export const UNSUPPORTED_CODECS_REASON =
  'no supported codec offered (PCMU, PCMA, G722, opus, AMR-WB, AMR); EVS, SILK, iLBC, G.729 and others must be ' +
  'transcoded by the SBC';

/** Parses an fmtp value ("a=1; b=2,3") into lower-case names; values kept as written. */
function fmtpParams(value: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!value) return out;
  for (const part of value.split(';')) {
    const eq = part.indexOf('=');
    const k = (eq === -1 ? part : part.slice(0, eq)).trim().toLowerCase();
    if (k) out.set(k, eq === -1 ? '' : part.slice(eq + 1).trim());
  }
  return out;
}

/**
 * RFC 4867 8.1 parameters of an AMR or AMR-WB payload type, or the reason it cannot be received: interleaving, CRC,
 * robust sorting and more than one channel change the payload format and are not supported.
 */
function amrOptions(fmtp: string | undefined, channels: number, wideband: boolean): AmrOptions | string {
  if (channels !== 1) return 'multi-channel AMR not supported';
  const p = fmtpParams(fmtp);
  for (const k of ['crc', 'robust-sorting']) if (p.has(k) && p.get(k) !== '0') return `AMR ${k} not supported`;
  if (p.has('interleaving')) return 'AMR interleaving not supported';
  let modeSet: number[] | null = null;
  const ms = p.get('mode-set');
  if (ms !== undefined) {
    const max = wideband ? 8 : 7;
    modeSet = ms.split(',').map((x) => (/^\s*\d\s*$/.test(x) ? Number(x) : -1));
    if (modeSet.length === 0 || modeSet.some((m) => m < 0 || m > max)) return 'bad AMR mode-set';
  }
  return { octetAligned: p.get('octet-align') === '1', modeSet };
}

type Candidate = { codec: AudioCodec; pt: number; amr?: AmrOptions };

/** The codec a payload type's rtpmap names, with its parameters, or null when we do not decode it. */
function candidateOf(
  m: SdpMedia,
  pt: number,
  map: { encoding: string; clockRate: number; channels: number },
): Candidate | string | null {
  const e = map.encoding;
  if ((e === 'PCMU' || e === 'PCMA' || e === 'G722') && map.clockRate === 8000) return { codec: e, pt };
  if (e === 'OPUS' && map.clockRate === 48000 && (map.channels === 2 || map.channels === 1))
    return { codec: 'OPUS', pt };
  if ((e === 'AMR-WB' && map.clockRate === 16000) || (e === 'AMR' && map.clockRate === 8000)) {
    const opts = amrOptions(m.fmtp.get(pt), map.channels, e === 'AMR-WB');
    return typeof opts === 'string' ? opts : { codec: e, pt, amr: opts };
  }
  return null;
}

/**
 * Decides each m-line of an offer: audio over RTP/AVP(F) in PCMU, PCMA, G.722, Opus, AMR-WB or AMR is accepted, one
 * codec per line. Wideband codecs are preferred (the model and speech recognition gain from the bandwidth); within a
 * class the offer's order stands (the SBC lists the call's own codec first, so it need not transcode).
 */
export function negotiateOffer(sdp: SdpSession): MediaDecision[] {
  return sdp.media.map((m): MediaDecision => {
    const base = { index: m.index, label: m.label };
    if (m.type !== 'audio') return { ...base, accepted: false, reason: `media type ${m.type} not supported` };
    if (m.proto !== 'RTP/AVP' && m.proto !== 'RTP/AVPF')
      return { ...base, accepted: false, reason: `transport ${m.proto} not supported` };
    if (m.port === 0) return { ...base, accepted: false, reason: 'stream disabled in offer' };
    const conn = m.connection ?? sdp.connection;
    if (!conn) return { ...base, accepted: false, reason: 'no connection address' };
    let wideband: Candidate | null = null;
    let narrowband: Candidate | null = null;
    let refused: string | null = null;
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
      const c = candidateOf(m, pt, map);
      if (typeof c === 'string') refused ??= c;
      else if (c && CODECS[c.codec].wideband) wideband ??= c;
      else if (c) narrowband ??= c;
    }
    const chosen = wideband ?? narrowband;
    if (!chosen) return { ...base, accepted: false, reason: refused ?? UNSUPPORTED_CODECS_REASON };
    if (!skip.includes(13)) skip.push(13); // static CN may be sent without being offered
    const dir = m.direction ?? sdp.direction ?? 'sendrecv';
    // Hold: inactive, recvonly (nothing for us to receive), or the RFC 2543 0.0.0.0 convention.
    const onHold = dir === 'inactive' || dir === 'recvonly' || conn.address === '0.0.0.0';
    return {
      ...base,
      accepted: true,
      codec: chosen.codec,
      payloadType: chosen.pt,
      ...(chosen.amr ? { amr: chosen.amr } : {}),
      skipPayloadTypes: skip,
      remote: { address: conn.address, port: m.port },
      onHold,
      answerDirection: onHold ? 'inactive' : 'recvonly',
    };
  });
}

/** The answer's a=fmtp value for a chosen codec, or null. */
function answerFmtp(d: Extract<MediaDecision, { accepted: true }>): string | null {
  if (d.amr) {
    // RFC 4867 8.3.1: octet-align must match the offer; a mode-set offered is echoed (we decode any mode).
    const parts: string[] = [];
    if (d.amr.octetAligned) parts.push('octet-align=1');
    if (d.amr.modeSet) parts.push(`mode-set=${d.amr.modeSet.join(',')}`);
    return parts.length ? parts.join(';') : null;
  }
  // RFC 7587 7.1: we decode at 16 kHz in mono, so the sender need not spend bits above that.
  if (d.codec === 'OPUS') return 'maxplaybackrate=16000;stereo=0';
  return null;
}

export interface AnswerLine {
  /** The offer's m-line (its type and proto are echoed; rejected lines get port 0 as RFC 3264 6 requires). */
  offer: SdpMedia;
  decision: MediaDecision;
  localPort: number;
}

/** Builds the SDP answer: one m-line per offered line, in order. */
export function buildAnswer(opts: {
  sessionId: string;
  version: number;
  address: string;
  lines: readonly AnswerLine[];
}): string {
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
    const info = CODECS[decision.codec];
    out.push(`m=audio ${localPort} ${offer.proto} ${decision.payloadType}`);
    out.push(
      `a=rtpmap:${decision.payloadType} ${info.rtpmapName}/${info.clockRate}` +
        `${info.rtpmapChannels > 1 ? `/${info.rtpmapChannels}` : ''}`,
    );
    const fmtp = answerFmtp(decision);
    if (fmtp) out.push(`a=fmtp:${decision.payloadType} ${fmtp}`);
    if (decision.label !== null) out.push(`a=label:${decision.label}`);
    out.push(`a=${decision.answerDirection}`);
  }
  return out.join('\r\n') + '\r\n';
}
