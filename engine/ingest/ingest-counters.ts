/**
 * Counters for every input the ingest rejects, drops or ignores. One flat object shared by the SIP and RTP paths so
 * `stats()` is a cheap snapshot; names are stable (dashboards and tests key on them).
 */
export const COUNTER_NAMES = [
  'sip.received',
  'sip.keepalive',
  'sip.malformed',
  'sip.forbidden',
  'sip.connectionLimit',
  'sip.acceptError',
  'sip.slowMessage',
  'sip.oversize',
  'sip.tooManyHeaders',
  'sip.retransmission',
  'sip.unknownDialog',
  'sip.methodNotAllowed',
  'sip.badExtension',
  'sip.unexpectedResponse',
  'sip.ackTimeout',
  'sip.sendError',
  'sdp.malformed',
  'sdp.rejected',
  'metadata.malformed',
  'metadata.rejected',
  'call.rejected',
  'call.started',
  'call.ended',
  'call.cancelled',
  'call.overload',
  'rtp.received',
  'rtp.badPacket',
  'rtp.rtcp',
  'rtp.wrongSsrc',
  'rtp.ssrcChange',
  'rtp.wrongSource',
  'rtp.unlatchedSource',
  'rtp.relatch',
  'rtp.timestampJump',
  'rtp.aheadOfClock',
  'rtp.lost',
  'rtp.late',
  'rtp.duplicate',
  'rtp.resync',
  'rtp.ignoredPayload',
  'rtp.unknownPayload',
  'rtp.onHold',
  'rtp.lateStart',
  'rtp.sinkError',
  'rtp.timeout',
  // Codec payloads (G.722, Opus, AMR): rejected as undecodable, AMR frames outside the negotiated mode-set (decoded
  // anyway), and losses the decoder concealed rather than silence filling them.
  'codec.badPayload',
  'codec.modeOutsideSet',
  'codec.concealed',
] as const;

export type CounterName = (typeof COUNTER_NAMES)[number];
export type IngestCounters = Record<CounterName, number>;

/** A zeroed counters object with every name present, so its shape never changes on the hot path. */
export function createCounters(): IngestCounters {
  const c = {} as IngestCounters;
  for (const name of COUNTER_NAMES) c[name] = 0;
  return c;
}
