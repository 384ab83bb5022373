import { mapLegs, type LegMapping, type LegRules } from './call-legs.js';
import { parseRsMetadata, type RsMetadata } from './rs-metadata.js';
import { negotiateOffer, parseSdp, type MediaDecision, type SdpSession } from './sdp.js';
import { parseCSeq, parseNameAddr } from './sip-headers.js';
import { headerValue, type SipRequest } from './sip-message.js';
import { warningValue } from './sip-serializer.js';
import { splitSiprecBody, type SipRejection } from './siprec-body.js';

/**
 * Admission of an initial SIPREC INVITE, apart from sockets and server state (drachtio keeps admission, dialog and
 * transport apart the same way): the Contact, the body split, the SDP negotiated for a receive-only recorder and the
 * rs-metadata tied to its m-lines. Pure: the same request and options always give the same answer, and hostile
 * input gives a rejection, never a throw. What depends on the server (shutdown, loops, capacity, RTP ports, the
 * handler's say) is decided by the caller.
 */

/** What admission needs of the server's options (SiprecServerOptions has them all). */
export interface AdmissionOptions extends LegRules {
  /** Country code (digits, optional '+') used to turn national numbers into E.164. */
  readonly countryCode?: string;
}

/** An INVITE fit to answer: the negotiated offer, the legs it records, and the dialog fields it sets up. */
export interface InviteOffer {
  readonly callId: string;
  /** The Contact URI (where in-dialog requests go); null for an RFC 2543 peer without Contact. */
  readonly contactUri: string | null;
  /** The From tag ('' for an RFC 2543 peer, RFC 3261 12.2.1.1) and the INVITE's CSeq number. */
  readonly remoteTag: string;
  readonly cseq: number;
  readonly sdp: SdpSession;
  /** One decision per offered m-line, in order; at least one is accepted. */
  readonly decisions: readonly MediaDecision[];
  /** The accepted decisions in m-line order: leg i is accepted[i]. */
  readonly accepted: ReadonlyArray<Extract<MediaDecision, { accepted: true }>>;
  readonly metadata: RsMetadata;
  readonly mapping: LegMapping;
}

export type Admission = { ok: true; offer: InviteOffer } | ({ ok: false } & SipRejection);

/**
 * Checks an initial INVITE (one that passed the server's mandatory-header check) and turns it into an offer, or
 * says what to answer: 400 for a bad Contact, body, SDP or metadata; 415 for another body type; 488 when the SDP or
 * the metadata is missing or no stream is acceptable.
 */
export function admitInvite(req: SipRequest, options: AdmissionOptions): Admission {
  const callId = headerValue(req, 'call-id');
  const from = parseNameAddr(headerValue(req, 'from') ?? '');
  const cseq = parseCSeq(headerValue(req, 'cseq') ?? '');
  // The server's header check has already answered these; kept so that admission never throws on its own.
  if (!callId) return reject(400, 'Bad Request (Call-ID)');
  if (!from) return reject(400, 'Bad Request (From)');
  if (!cseq) return reject(400, 'Bad Request (CSeq)');

  const contactValue = headerValue(req, 'contact');
  const contact = contactValue === undefined ? null : parseNameAddr(contactValue);
  // No Contact at all: an RFC 2543 peer (RFC 4475 inv2543). In-dialog requests then go where the INVITE came from.
  if (contactValue !== undefined && !contact) return reject(400, 'Bad Request (Contact)');

  const body = splitSiprecBody(req);
  if ('status' in body) return { ok: false, ...body };
  if (!body.sdp) return reject(488, 'Not Acceptable Here', [['Warning', warningValue(399, 'SDP offer required')]]);
  if (body.metadata === null)
    return reject(
      488,
      'Not Acceptable Here',
      [['Warning', warningValue(399, 'rs-metadata required')]],
      'metadata.rejected',
    );
  const sdpResult = parseSdp(body.sdp);
  if (!sdpResult.ok) return reject(400, 'Bad Request (malformed SDP)', [], 'sdp.malformed');
  const sdp = sdpResult.sdp;
  const decisions = negotiateOffer(sdp);
  const accepted = decisions.filter((d): d is Extract<MediaDecision, { accepted: true }> => d.accepted);
  if (accepted.length === 0) {
    const noAudio = !sdp.media.some((m) => m.type === 'audio');
    const first = decisions.find((d) => !d.accepted);
    const why = noAudio ? 'no audio stream offered' : first && !first.accepted ? first.reason : 'no acceptable stream';
    return reject(488, 'Not Acceptable Here', [['Warning', warningValue(noAudio ? 304 : 305, why)]], 'sdp.rejected');
  }
  const md = parseRsMetadata(body.metadata, options.countryCode?.replace('+', ''));
  if (!md.ok) {
    const malformed = md.code === 'METADATA_MALFORMED';
    return reject(
      400,
      `Bad Request (${malformed ? 'malformed' : 'invalid'} rs-metadata)`,
      [['Warning', warningValue(399, md.detail)]],
      malformed ? 'metadata.malformed' : 'metadata.rejected',
    );
  }
  const mapping = mapLegs(decisions, md.metadata, {
    protectedLeg: options.protectedLeg,
    subscriberPrefixes: options.subscriberPrefixes,
    defaultDirection: options.defaultDirection,
  });
  return {
    ok: true,
    offer: {
      callId,
      contactUri: contact?.uri ?? null,
      remoteTag: from.tag ?? '',
      cseq: cseq.seq,
      sdp,
      decisions,
      accepted,
      metadata: md.metadata,
      mapping,
    },
  };
}

function reject(
  status: number,
  reason: string,
  headers: Array<[string, string]> = [],
  counter?: SipRejection['counter'],
): Admission {
  return counter ? { ok: false, status, reason, headers, counter } : { ok: false, status, reason, headers };
}
