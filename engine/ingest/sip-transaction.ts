import type { SipRequest, SipResponse } from './sip-message.js';
import { headerValue, headerValues } from './sip-message.js';
import { parseCSeq, parseNameAddr, parseVia } from './sip-headers.js';
import type { SipFlow } from './sip-transport.js';

/**
 * RFC 3261 section 17 transactions for a UAS, plus the small client side needed to send BYE:
 * - INVITE server transaction: retransmitted INVITEs get the last response again; final responses are retransmitted
 *   over UDP (T1 doubling up to T2) until ACK; 2xx ACKs arrive on a new branch, so the dialog layer reports them with
 *   `ack2xx` (the RFC 6026 "Accepted" state), and a missing ACK after 64*T1 is reported with `onAckTimeout`.
 * - Non-INVITE server transaction: the final response is cached for 64*T1 to answer retransmissions.
 * - Client non-INVITE (our BYE): retransmitted until any final response or 64*T1.
 */
export interface SipTimers {
  t1Ms: number;
  t2Ms: number;
  t4Ms: number;
}

export interface ServerTransaction {
  readonly key: string;
  readonly method: string;
  readonly request: SipRequest;
  readonly flow: SipFlow;
  /** Final status sent, 0 while none. */
  finalStatus: number;
  lastResponse: Buffer | null;
  acked: boolean;
  timer: NodeJS.Timeout | null;
  retransmitInterval: number;
  deadline: number;
}

export type MatchResult =
  | { kind: 'new'; tx: ServerTransaction }
  | { kind: 'retransmission'; tx: ServerTransaction }
  | { kind: 'ack-absorbed' }
  | { kind: 'ack-dialog' } // an ACK with no matching transaction: for a 2xx, handled by the dialog
  | { kind: 'cancel'; tx: ServerTransaction; invite: ServerTransaction | null };

interface ClientTransaction {
  timer: NodeJS.Timeout | null;
  interval: number;
  deadline: number;
  onDone: (status: number | null) => void;
}

/** Transaction identity per RFC 3261 17.2.3 (branch + sent-by + method), with an RFC 2543 fallback. */
export function transactionKey(req: SipRequest, methodOverride?: string): string | null {
  const topVia = headerValues(req, 'via')[0];
  const via = topVia ? parseVia(topVia) : null;
  if (!via) return null;
  const method = methodOverride ?? (req.method === 'ACK' ? 'INVITE' : req.method);
  const sentBy = `${via.host}:${via.port ?? ''}`;
  if (via.branch && via.branch.startsWith('z9hG4bK')) return `${via.branch}|${sentBy}|${method}`;
  const cseq = parseCSeq(headerValue(req, 'cseq') ?? '');
  const from = parseNameAddr(headerValue(req, 'from') ?? '');
  return `2543|${headerValue(req, 'call-id')}|${cseq?.seq}|${from?.tag}|${topVia}|${method}`;
}

export class SipTransactionLayer {
  private readonly server = new Map<string, ServerTransaction>();
  private readonly client = new Map<string, ClientTransaction>();
  private closed = false;

  constructor(
    private readonly timers: SipTimers,
    private readonly onAckTimeout: (tx: ServerTransaction) => void,
  ) {}

  get size(): number {
    return this.server.size + this.client.size;
  }

  /** Classifies an incoming request; for retransmissions the cached response has already been re-sent. */
  match(req: SipRequest, flow: SipFlow, key: string): MatchResult {
    if (req.method === 'ACK') {
      const tx = this.server.get(key);
      if (tx && tx.finalStatus >= 300) {
        if (!tx.acked) {
          tx.acked = true;
          // Timer I: absorb further ACK retransmissions for T4 over UDP, none over streams.
          this.schedule(tx, flow.peer.transport === 'udp' ? this.timers.t4Ms : 0, () => this.server.delete(tx.key));
        }
        return { kind: 'ack-absorbed' };
      }
      return { kind: 'ack-dialog' };
    }
    const existing = this.server.get(key);
    if (existing) {
      if (existing.lastResponse) existing.flow.send(existing.lastResponse);
      return { kind: 'retransmission', tx: existing };
    }
    const tx: ServerTransaction = {
      key,
      method: req.method,
      request: req,
      flow,
      finalStatus: 0,
      lastResponse: null,
      acked: false,
      timer: null,
      retransmitInterval: this.timers.t1Ms,
      deadline: 0,
    };
    this.server.set(key, tx);
    // Guard against a transaction the core never answers.
    this.schedule(tx, 128 * this.timers.t1Ms, () => this.server.delete(key));
    if (req.method === 'CANCEL') {
      const inviteKey = key.replace(/\|CANCEL$/, '|INVITE');
      return { kind: 'cancel', tx, invite: this.server.get(inviteKey) ?? null };
    }
    return { kind: 'new', tx };
  }

  /** Sends a response on the transaction and arms the retransmission/lifetime timers it needs. */
  respond(tx: ServerTransaction, status: number, data: Buffer): void {
    if (this.closed) return;
    tx.lastResponse = data;
    tx.flow.send(data);
    if (status < 200) return;
    tx.finalStatus = status;
    const udp = tx.flow.peer.transport === 'udp';
    const lifetime = 64 * this.timers.t1Ms;
    if (tx.method !== 'INVITE') {
      // Timer J (UDP) keeps the response for retransmitted requests; streams need none.
      this.schedule(tx, udp ? lifetime : 0, () => this.server.delete(tx.key));
      return;
    }
    tx.deadline = Date.now() + lifetime;
    tx.retransmitInterval = this.timers.t1Ms;
    if (udp) this.armRetransmit(tx);
    else this.schedule(tx, lifetime, () => this.expireInvite(tx));
  }

  /** The dialog saw the ACK for this INVITE's 2xx: stop retransmitting, keep absorbing INVITE retransmissions. */
  ack2xx(tx: ServerTransaction): void {
    if (tx.acked) return;
    tx.acked = true;
    this.schedule(tx, Math.max(0, tx.deadline - Date.now()), () => this.server.delete(tx.key));
  }

  /** Sends a client non-INVITE request (BYE), retransmitting over UDP until `onResponse` sees a final answer. */
  sendRequest(branchKey: string, send: () => void, udp: boolean, onDone: (status: number | null) => void): void {
    if (this.closed) return onDone(null);
    const ct: ClientTransaction = {
      timer: null,
      interval: this.timers.t1Ms,
      deadline: Date.now() + 64 * this.timers.t1Ms,
      onDone,
    };
    this.client.set(branchKey, ct);
    send();
    const tick = (): void => {
      if (Date.now() >= ct.deadline) {
        this.client.delete(branchKey);
        ct.onDone(null);
        return;
      }
      if (udp) {
        send();
        ct.interval = Math.min(ct.interval * 2, this.timers.t2Ms);
      }
      ct.timer = setTimeout(tick, udp ? ct.interval : ct.deadline - Date.now());
      ct.timer.unref();
    };
    ct.timer = setTimeout(tick, udp ? ct.interval : 64 * this.timers.t1Ms);
    ct.timer.unref();
  }

  /** Matches a response to a client transaction; returns false for strays. */
  onResponse(res: SipResponse): boolean {
    const via = parseVia(headerValues(res, 'via')[0] ?? '');
    const cseq = parseCSeq(headerValue(res, 'cseq') ?? '');
    if (!via?.branch || !cseq) return false;
    const key = `${via.branch}|${cseq.method}`;
    const ct = this.client.get(key);
    if (!ct) return false;
    if (res.status >= 200) {
      if (ct.timer) clearTimeout(ct.timer);
      this.client.delete(key);
      ct.onDone(res.status);
    }
    return true;
  }

  /** Stops every timer; pending client requests complete with null. */
  close(): void {
    this.closed = true;
    for (const tx of this.server.values()) if (tx.timer) clearTimeout(tx.timer);
    this.server.clear();
    for (const ct of this.client.values()) {
      if (ct.timer) clearTimeout(ct.timer);
      ct.onDone(null);
    }
    this.client.clear();
  }

  private armRetransmit(tx: ServerTransaction): void {
    this.schedule(tx, tx.retransmitInterval, () => {
      if (tx.acked) return;
      if (Date.now() >= tx.deadline) return this.expireInvite(tx);
      if (tx.lastResponse) tx.flow.send(tx.lastResponse);
      tx.retransmitInterval = Math.min(tx.retransmitInterval * 2, this.timers.t2Ms);
      this.armRetransmit(tx);
    });
  }

  private expireInvite(tx: ServerTransaction): void {
    this.server.delete(tx.key);
    // Timer H / 2xx without ACK: the dialog must be torn down (RFC 3261 13.3.1.4).
    if (!tx.acked && tx.finalStatus >= 200 && tx.finalStatus < 300) this.onAckTimeout(tx);
  }

  private schedule(tx: ServerTransaction, ms: number, fn: () => void): void {
    if (tx.timer) clearTimeout(tx.timer);
    tx.timer = null;
    if (this.closed) return;
    if (ms <= 0) {
      fn();
      return;
    }
    tx.timer = setTimeout(() => {
      tx.timer = null;
      fn();
    }, ms);
    tx.timer.unref();
  }
}
