import type dgram from 'node:dgram';
import { parseSipLite, type SipLiteMessage } from './sip-lite.js';

/**
 * UDP client transactions (RFC 3261 17.1) for the generator's SIP socket: retransmit an INVITE every T1, doubling,
 * until any response (Timer A), give up after 64*T1 (Timer B); retransmit a non-INVITE (BYE) T1 doubling up to T2
 * until a final response, give up after 64*T1 (Timer F). Responses are matched on the top Via branch; everything
 * else (requests from the SRS, 2xx retransmissions after the INVITE transaction ended) goes to `onOther`.
 */
export interface TransactionCallbacks {
  onProvisional?(msg: SipLiteMessage): void;
  onFinal(msg: SipLiteMessage): void;
  onTimeout(): void;
}

export interface ClientTransactionStats {
  sent: number;
  retransmissions: number;
  timeouts: number;
  unparseable: number;
}

interface Tx {
  data: Buffer;
  invite: boolean;
  cb: TransactionCallbacks;
  interval: number;
  deadline: number;
  timer: NodeJS.Timeout | null;
  proceeding: boolean;
}

export class SipClientTransactions {
  readonly stats: ClientTransactionStats = { sent: 0, retransmissions: 0, timeouts: 0, unparseable: 0 };
  private readonly txs = new Map<string, Tx>();
  private readonly t2Ms: number;

  constructor(
    private readonly socket: dgram.Socket,
    private readonly dest: { host: string; port: number },
    private readonly t1Ms: number,
    private readonly onOther: (msg: SipLiteMessage, from: { address: string; port: number }) => void,
  ) {
    this.t2Ms = Math.max(t1Ms, 4000);
    socket.on('message', (data, rinfo) => this.onDatagram(data, rinfo));
  }

  /** Starts a client transaction for `data`, whose top Via carries `branch`. */
  send(branch: string, data: Buffer, invite: boolean, cb: TransactionCallbacks): void {
    const tx: Tx = {
      data,
      invite,
      cb,
      interval: this.t1Ms,
      deadline: Date.now() + 64 * this.t1Ms,
      timer: null,
      proceeding: false,
    };
    this.txs.set(branch, tx);
    this.transmit(data);
    this.stats.sent++;
    this.arm(branch, tx);
  }

  /** Sends without a transaction (ACK, responses to the SRS's requests). */
  sendRaw(data: Buffer, to?: { address: string; port: number }): void {
    this.transmit(data, to);
  }

  /** Drops every transaction without callbacks (shutdown). */
  close(): void {
    for (const tx of this.txs.values()) if (tx.timer) clearTimeout(tx.timer);
    this.txs.clear();
  }

  get pending(): number {
    return this.txs.size;
  }

  private arm(branch: string, tx: Tx): void {
    const wait = tx.proceeding
      ? Math.max(0, tx.deadline - Date.now())
      : Math.min(tx.interval, Math.max(0, tx.deadline - Date.now()));
    tx.timer = setTimeout(() => {
      if (this.txs.get(branch) !== tx) return;
      if (Date.now() >= tx.deadline) {
        this.txs.delete(branch);
        this.stats.timeouts++;
        tx.cb.onTimeout();
        return;
      }
      if (!tx.proceeding || !tx.invite) {
        this.transmit(tx.data);
        this.stats.retransmissions++;
      }
      tx.interval = tx.invite ? tx.interval * 2 : Math.min(tx.interval * 2, this.t2Ms);
      this.arm(branch, tx);
    }, wait);
  }

  private onDatagram(data: Buffer, rinfo: { address: string; port: number }): void {
    const msg = parseSipLite(data);
    if (!msg) {
      if (data.length > 4) this.stats.unparseable++; // CRLF keep-alives are not errors
      return;
    }
    if (msg.kind === 'response') {
      const branch = /branch=([^;,\s]+)/i.exec(msg.headers.get('via')?.[0] ?? '')?.[1] ?? '';
      const tx = this.txs.get(branch);
      if (tx) {
        if (msg.status < 200) {
          // INVITE: a provisional answer stops retransmissions (Timer A); BYE: retransmit at T2 pace from now on.
          if (tx.invite) tx.proceeding = true;
          else tx.interval = this.t2Ms;
          tx.cb.onProvisional?.(msg);
          return;
        }
        this.txs.delete(branch);
        if (tx.timer) clearTimeout(tx.timer);
        tx.cb.onFinal(msg);
        return;
      }
    }
    this.onOther(msg, rinfo);
  }

  private transmit(data: Buffer, to?: { address: string; port: number }): void {
    this.socket.send(data, to?.port ?? this.dest.port, to?.address ?? this.dest.host);
  }
}
