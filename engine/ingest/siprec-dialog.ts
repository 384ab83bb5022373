import { randomBytes } from 'node:crypto';
import type { IngestCounters } from './ingest-counters.js';
import type { InviteOffer } from './invite-admission.js';
import { buildAnswer, type AnswerLine, type MediaDecision, type SdpSession } from './sdp.js';
import { parseCSeq, parseNameAddr, parseSipUriHostPort } from './sip-headers.js';
import { headerValue, headerValues, type SipRequest } from './sip-message.js';
import { buildRequest } from './sip-serializer.js';
import type { ServerTransaction, SipTransactionLayer } from './sip-transaction.js';
import type { SipFlow } from './sip-transport.js';

/**
 * A recording session's SIP dialog as the SRS (the UAS) holds it (RFC 3261 12), and what is handled with the dialog
 * alone: ACK, CANCEL, BYE, a missing ACK, the BYE we send, and the SDP answers of the offer/answer exchange. Media is
 * not here (drachtio keeps lib/dialog.js apart from the server the same way): the server owns each call's RTP and is
 * told, through `endCall`, when a BYE or a missing ACK ends a call.
 */

/** 'pending' while the INVITE is being admitted and its ports bound, 'answered' after our 200, 'confirmed' on ACK. */
export type DialogState = 'pending' | 'answered' | 'confirmed' | 'ended';

export interface SiprecDialog {
  readonly callId: string;
  readonly localTag: string;
  readonly remoteTag: string;
  /** INVITE's From value (becomes To of our BYE) and To value (becomes From of our BYE, with our tag). */
  readonly remoteFromHeader: string;
  readonly localToHeader: string;
  readonly remoteTarget: string;
  readonly routeSet: string[];
  readonly flow: SipFlow;
  remoteCSeq: number;
  localCSeq: number;
  state: DialogState;
  /** A CANCEL (or a shutdown) came while the INVITE was pending: whoever is admitting it cleans up. */
  cancelled: boolean;
  inviteTx: ServerTransaction;
  reinviteTx: ServerTransaction | null;
  /** Per offered m-line: the leg index, or -1 for rejected lines. */
  lineToLeg: number[];
  sdpSessionId: string;
  sdpVersion: number;
  lastAnswer: string;
}

/** The methods this SRS serves (Allow of 200s, 405s, 501s and the OPTIONS answer). */
export const ALLOWED_METHODS = 'INVITE, ACK, BYE, CANCEL, OPTIONS, UPDATE, INFO';

/** Options of a response the dialog layer sends; the server's `reply` builds and sends it on the transaction. */
export type ReplyOptions = { headers?: Array<[string, string]>; body?: string; contentType?: string; toTag?: string };

/** A fresh tag (RFC 3261 19.3): our half of a dialog's id, and the To tag of a response outside any dialog. */
export function newTag(): string {
  return randomBytes(6).toString('hex');
}

/** The dialog an admitted initial INVITE sets up, 'pending' until the server answers it. */
export function dialogFromInvite(tx: ServerTransaction, offer: InviteOffer): SiprecDialog {
  const req = tx.request;
  // Without a Contact (an RFC 2543 peer), in-dialog requests go where the INVITE came from.
  const peer = tx.flow.peer;
  const remoteTarget =
    offer.contactUri ??
    `sip:${peer.address.includes(':') ? `[${peer.address}]` : peer.address}:${peer.port}` +
      (peer.transport === 'udp' ? '' : `;transport=${peer.transport}`);
  return {
    callId: offer.callId,
    localTag: newTag(),
    remoteTag: offer.remoteTag,
    remoteFromHeader: headerValue(req, 'from')!,
    localToHeader: headerValue(req, 'to')!,
    remoteTarget,
    routeSet: headerValues(req, 'record-route'),
    flow: tx.flow,
    remoteCSeq: offer.cseq,
    localCSeq: 0,
    state: 'pending',
    cancelled: false,
    inviteTx: tx,
    reinviteTx: null,
    lineToLeg: [],
    sdpSessionId: String(Date.now()),
    sdpVersion: 1,
    lastAnswer: '',
  };
}

/** What the dialog layer needs from the server that owns it. */
export interface DialogHost<C extends SiprecDialog> {
  readonly transactions: SipTransactionLayer;
  readonly counters: IngestCounters;
  /** Where our Contact and Via point: the advertised address and the SIP port (known once the transport listens). */
  readonly advertised: string;
  sipPort(): number;
  /** Where our SDP answers say to send RTP. */
  readonly mediaAddress: string;
  reply(tx: ServerTransaction, status: number, reason: string, o?: ReplyOptions): void;
  /** Ends a call the dialog saw end: a BYE from the SBC ('bye'), or no ACK for our 200 ('error', BYE sent). */
  endCall(call: C, reason: 'bye' | 'error', sendBye: boolean): void;
}

/**
 * The dialogs of every call, keyed by Call-ID (pending ones included), and their in-dialog handling. `C` is the
 * server's call record, a dialog with the media beside it, so what ends here reaches the server's record.
 */
export class SiprecDialogs<C extends SiprecDialog> {
  /** Every call by Call-ID, from the moment its INVITE is admitted until it ends. */
  readonly calls = new Map<string, C>();

  constructor(private readonly host: DialogHost<C>) {}

  /** The answered dialog an in-dialog request belongs to (Call-ID and both tags match), or null. */
  find(req: SipRequest): C | null {
    const rec = this.calls.get(headerValue(req, 'call-id')!);
    if (!rec || rec.state === 'pending' || rec.state === 'ended') return null;
    const to = parseNameAddr(headerValue(req, 'to')!)!;
    const from = parseNameAddr(headerValue(req, 'from')!)!;
    if (to.tag !== rec.localTag || (from.tag ?? '') !== rec.remoteTag) return null;
    return rec;
  }

  replyNoDialog(tx: ServerTransaction): void {
    this.host.counters['sip.unknownDialog']++;
    this.host.reply(tx, 481, 'Call/Transaction Does Not Exist');
  }

  /** ACK for a 2xx (a new transaction): stops our 200's retransmissions; the initial INVITE's confirms the call. */
  onAck(req: SipRequest): void {
    const rec = this.find(req);
    if (!rec) {
      this.host.counters['sip.unknownDialog']++;
      return;
    }
    const cseq = parseCSeq(headerValue(req, 'cseq')!)!;
    const tx =
      rec.reinviteTx && parseCSeq(headerValue(rec.reinviteTx.request, 'cseq')!)!.seq === cseq.seq
        ? rec.reinviteTx
        : rec.inviteTx;
    this.host.transactions.ack2xx(tx);
    if (tx === rec.inviteTx && rec.state === 'answered') rec.state = 'confirmed';
  }

  /** CANCEL of a pending INVITE: 200 to the CANCEL, 487 to the INVITE, and the admission told to give up. */
  onCancel(tx: ServerTransaction, invite: ServerTransaction | null): void {
    if (!invite) return this.replyNoDialog(tx);
    this.host.reply(tx, 200, 'OK');
    if (invite.finalStatus !== 0) return; // already answered: CANCEL has no effect (RFC 3261 9.2)
    const rec = this.calls.get(headerValue(invite.request, 'call-id')!);
    if (rec && rec.inviteTx === invite) rec.cancelled = true;
    this.host.counters['call.cancelled']++;
    this.host.reply(invite, 487, 'Request Terminated', { toTag: rec?.localTag });
  }

  onBye(tx: ServerTransaction): void {
    const rec = this.find(tx.request);
    if (!rec) return this.replyNoDialog(tx);
    this.host.reply(tx, 200, 'OK', { toTag: rec.localTag });
    this.host.endCall(rec, 'bye', false);
  }

  /** Our 200 to an initial INVITE was never ACKed (64*T1): the call ends with a BYE. */
  onAckTimeout(tx: ServerTransaction): void {
    for (const rec of this.calls.values()) {
      if (rec.inviteTx === tx && rec.state === 'answered') {
        this.host.counters['sip.ackTimeout']++;
        this.host.endCall(rec, 'error', true);
        return;
      }
    }
  }

  /** A re-INVITE: the dialog it belongs to, or null once answered (481 unknown dialog, 491 one still pending). */
  reinviteDialog(tx: ServerTransaction): C | null {
    const rec = this.find(tx.request);
    if (!rec) {
      this.replyNoDialog(tx);
      return null;
    }
    if (rec.reinviteTx && rec.reinviteTx.finalStatus === 0) {
      this.host.reply(tx, 491, 'Request Pending', { toTag: rec.localTag });
      return null;
    }
    return rec;
  }

  /** A new offer (re-INVITE or UPDATE) in order takes the dialog's CSeq; one out of order is answered 500 here. */
  takeOffer(tx: ServerTransaction, rec: C): boolean {
    const cseq = parseCSeq(headerValue(tx.request, 'cseq')!)!;
    if (cseq.seq <= rec.remoteCSeq) {
      this.host.reply(tx, 500, 'Server Internal Error (CSeq out of order)', { toTag: rec.localTag });
      return false;
    }
    rec.remoteCSeq = cseq.seq;
    if (tx.request.method === 'INVITE') rec.reinviteTx = tx;
    return true;
  }

  /**
   * Our SDP answer to `sdp`, kept as the dialog's last answer: each offered line answered on its leg's local port
   * (`legPorts[leg]`), lines without a leg refused.
   */
  answer(rec: C, sdp: SdpSession, decisions: readonly MediaDecision[], legPorts: readonly number[]): string {
    const lines: AnswerLine[] = sdp.media.map((offer, i) => {
      const leg = rec.lineToLeg[i] ?? -1;
      const d = decisions[i];
      // Lines without a receiver (added by a re-INVITE) are refused: the handler's sinks are fixed at call start.
      const decision: MediaDecision =
        leg === -1 && d.accepted ? { accepted: false, index: i, label: d.label, reason: 'new stream' } : d;
      return { offer, decision, localPort: leg === -1 ? 0 : legPorts[leg] };
    });
    rec.lastAnswer = buildAnswer({
      sessionId: rec.sdpSessionId,
      version: rec.sdpVersion,
      address: this.host.mediaAddress,
      lines,
    });
    return rec.lastAnswer;
  }

  /** 200 OK carrying the dialog's last SDP answer, with our Contact. */
  replyWithAnswer(tx: ServerTransaction, rec: C): void {
    this.host.reply(tx, 200, 'OK', {
      toTag: rec.localTag,
      headers: this.answerHeaders(tx),
      body: rec.lastAnswer,
      contentType: 'application/sdp',
    });
  }

  private answerHeaders(tx: ServerTransaction): Array<[string, string]> {
    const h: Array<[string, string]> = [];
    // Record-Route is copied into 2xx responses so proxies between us and the SBC stay on the path (RFC 3261 12.1.1).
    for (const rr of tx.request.headers) if (rr.name === 'record-route') h.push(['Record-Route', rr.value]);
    const t = tx.flow.peer.transport;
    const host = bracketed(this.host.advertised);
    h.push(['Contact', `<sip:srs@${host}:${this.host.sipPort()}${t === 'udp' ? '' : `;transport=${t}`}>;+sip.srs`]);
    h.push(['Allow', ALLOWED_METHODS], ['Supported', 'siprec']);
    return h;
  }

  /** UAS-initiated BYE (RTP timeout, missing ACK, shutdown): To/From swapped, Route from Record-Route. */
  sendBye(rec: C): void {
    const udp = rec.flow.peer.transport === 'udp';
    if (!udp && !rec.flow.isOpen()) {
      this.host.counters['sip.sendError']++;
      return;
    }
    const branch = `z9hG4bK${randomBytes(8).toString('hex')}`;
    const transport = rec.flow.peer.transport.toUpperCase();
    const via = `SIP/2.0/${transport} ${bracketed(this.host.advertised)}:${this.host.sipPort()}`;
    const headers: Array<[string, string]> = [
      ['Via', `${via};branch=${branch};rport`],
      ['From', /;\s*tag=/i.test(rec.localToHeader) ? rec.localToHeader : `${rec.localToHeader};tag=${rec.localTag}`],
      ['To', rec.remoteFromHeader],
      ['Call-ID', rec.callId],
      ['CSeq', `${++rec.localCSeq} BYE`],
    ];
    for (const r of rec.routeSet) headers.push(['Route', r]);
    const data = buildRequest('BYE', rec.remoteTarget, headers);
    // Loose routing: the first Route hop if any, else the remote target; over streams, the same connection.
    const next = rec.routeSet.length
      ? parseSipUriHostPort(parseNameAddr(rec.routeSet[0])?.uri ?? '')
      : parseSipUriHostPort(rec.remoteTarget);
    const dest = udp
      ? { address: next && isLiteralIp(next.host) ? next.host : rec.flow.peer.address, port: next?.port ?? 5060 }
      : undefined;
    this.host.transactions.sendRequest(
      `${branch}|BYE`,
      () => rec.flow.send(data, dest),
      udp,
      () => {},
    );
  }
}

function bracketed(address: string): string {
  return address.includes(':') ? `[${address}]` : address;
}

function isLiteralIp(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':');
}
