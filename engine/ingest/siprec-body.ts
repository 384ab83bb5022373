import type { CounterName } from './ingest-counters.js';
import { parseMediaType } from './media-type.js';
import { parseMultipart } from './multipart.js';
import { headerValue, type SipRequest } from './sip-message.js';

/** The body types an SRS takes (the Accept of a 415 and of the OPTIONS answer). */
export const SIPREC_ACCEPT = 'application/sdp, application/rs-metadata+xml, multipart/mixed';

/** A request refused, as the SIP answer to send and the counter that records why (beyond 'call.rejected'). */
export interface SipRejection {
  readonly status: number;
  readonly reason: string;
  readonly headers: Array<[string, string]>;
  readonly counter?: CounterName;
}

/**
 * Splits a SIPREC request body (RFC 7866 7.1: bare SDP, or multipart/mixed with SDP and rs-metadata) into its SDP
 * and metadata text, either null when absent; or says which error to answer. Never throws on hostile bodies.
 */
export function splitSiprecBody(req: SipRequest): { sdp: string | null; metadata: string | null } | SipRejection {
  if (req.body.length === 0) return { sdp: null, metadata: null };
  const ct = parseMediaType(headerValue(req, 'content-type'));
  if (ct?.type === 'application/sdp') return { sdp: req.body.toString('utf8'), metadata: null };
  if (ct?.type === 'multipart/mixed') {
    const mp = parseMultipart(req.body, ct.params['boundary']);
    if (!mp.ok)
      return { status: 400, reason: 'Bad Request (malformed multipart body)', headers: [], counter: 'sip.malformed' };
    let sdp: string | null = null;
    let metadata: string | null = null;
    for (const p of mp.parts) {
      if (p.contentType?.type === 'application/sdp') sdp ??= p.body.toString('utf8');
      else if (p.contentType?.type === 'application/rs-metadata+xml') metadata ??= p.body.toString('utf8');
    }
    return { sdp, metadata };
  }
  return { status: 415, reason: 'Unsupported Media Type', headers: [['Accept', SIPREC_ACCEPT]] };
}
