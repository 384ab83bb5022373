import type { G711Codec } from './emodb-clips.js';

/**
 * The body an SBC's SIPREC client puts in its INVITE (RFC 7866): multipart/mixed with an SDP offer of two
 * a=sendonly audio streams (labels 1 and 2: caller, callee) and RFC 7865 rs-metadata naming both participants and
 * which stream each one sends. Participant order makes the first the caller, as SBCs list them.
 */
export interface SiprecOfferParams {
  sessionId: string;
  address: string;
  ports: readonly [number, number];
  codec: G711Codec;
  callerNumber: string;
  calleeNumber: string;
}

export const MULTIPART_BOUNDARY = 'cg-load-boundary';

export function siprecOfferBody(p: SiprecOfferParams): string {
  const pt = p.codec === 'PCMA' ? 8 : 0;
  const media = (port: number, label: string) => [
    `m=audio ${port} RTP/AVP ${pt} 101`,
    `a=rtpmap:${pt} ${p.codec}/8000`,
    'a=rtpmap:101 telephone-event/8000',
    'a=ptime:20',
    `a=label:${label}`,
    'a=sendonly',
  ];
  const sdp = [
    'v=0',
    `o=CG-SBC ${Date.now() % 1e9} 1 IN IP4 ${p.address}`,
    's=SIPREC',
    `c=IN IP4 ${p.address}`,
    't=0 0',
    ...media(p.ports[0], '1'),
    ...media(p.ports[1], '2'),
    '',
  ].join('\r\n');
  const sid = p.sessionId;
  const md = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<recording xmlns="urn:ietf:params:xml:ns:recording:1">',
    '  <datamode>complete</datamode>',
    `  <session session_id="${sid}"/>`,
    `  <participant participant_id="${sid}-p1"><nameID aor="sip:${p.callerNumber}@sbc.load.invalid"/></participant>`,
    `  <participant participant_id="${sid}-p2"><nameID aor="tel:${p.calleeNumber}"/></participant>`,
    `  <stream stream_id="${sid}-s1" session_id="${sid}"><label>1</label></stream>`,
    `  <stream stream_id="${sid}-s2" session_id="${sid}"><label>2</label></stream>`,
    `  <participantstreamassoc ` +
      `participant_id="${sid}-p1"><send>${sid}-s1</send><recv>${sid}-s2</recv></participantstreamassoc>`,
    `  <participantstreamassoc ` +
      `participant_id="${sid}-p2"><send>${sid}-s2</send><recv>${sid}-s1</recv></participantstreamassoc>`,
    '</recording>',
    '',
  ].join('\r\n');
  const b = MULTIPART_BOUNDARY;
  return (
    `--${b}\r\nContent-Type: application/sdp\r\n\r\n${sdp}\r\n--${b}\r\nContent-Type: ` +
    `application/rs-metadata+xml\r\nContent-Disposition: recording-session\r\n\r\n${md}\r\n--${b}--\r\n`
  );
}
