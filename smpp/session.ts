/**
 * One SMPP 3.4 transceiver session over one TCP/TLS connection: bind, window, response timeouts,
 * enquire_link both ways, dead-link detection, graceful unbind. A session is used once: when it closes,
 * the owner (bind.ts) makes a fresh one, so no state leaks across reconnects (the `smpp` package's #248).
 *
 * Contract:
 * - `open()` resolves when bound, rejects with an SmppError (CG_SMPP_BIND_FAILED, CG_SMPP_TIMEOUT, ...).
 * - `submit()` needs a free window slot (`canSubmit`); it resolves with the submit_sm_resp PDU whatever its
 *   command_status, and rejects with CG_SMPP_TIMEOUT (slot freed) or CG_SMPP_DISCONNECTED.
 * - Incoming deliver_sm/data_sm go to `onDeliver`; the response is sent only once it resolves, with the
 *   status it returns (so the caller acks only what it persisted).
 * - 'close' is emitted exactly once, with the error that caused it (undefined after a clean unbind).
 */
import { EventEmitter } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import { decodePdu, encodePdu, isResponse, PduFramer, Status, type Pdu } from './codec.js';
import { SmppError } from './errors.js';
import { silentLogger, type Logger } from './logger.js';

export interface SessionOptions {
  host: string;
  port: number;
  /** TLS (ssmpp://). `true` uses defaults; an object is passed to tls.connect. */
  tls?: boolean | tls.ConnectionOptions;
  systemId: string;
  password: string;
  systemType?: string;
  /** Max outstanding submit_sm. */
  window: number;
  /** Deadline for any response (bind, submit, enquire_link, unbind). */
  responseTimeoutMs: number;
  /** How often we send enquire_link. */
  enquireLinkIntervalMs: number;
  /** No byte from the SMSC for this long declares the link dead. */
  deadLinkMs: number;
  /** Handles deliver_sm/data_sm; resolves with the command_status to answer. */
  onDeliver?: (pdu: Pdu) => Promise<number>;
  logger?: Logger;
  /** Label for logs, e.g. "127.0.0.1:2775#0". */
  name?: string;
}

export type SessionState = 'idle' | 'connecting' | 'binding' | 'bound' | 'unbinding' | 'closed';

interface Pending {
  resolve(pdu: Pdu): void;
  reject(err: SmppError): void;
  timer: NodeJS.Timeout;
  isSubmit: boolean;
}

export class SmppSession extends EventEmitter {
  state: SessionState = 'idle';
  private socket?: net.Socket;
  private readonly framer = new PduFramer();
  private readonly pending = new Map<number, Pending>();
  private seq = 0;
  private outstandingSubmits = 0;
  private needDrain = false;
  private lastRx = Date.now();
  private keepalive?: NodeJS.Timeout;
  private silenceCheck?: NodeJS.Timeout;
  private closeReason?: SmppError;
  private readonly log: Logger;
  /** Counters for status(). */
  /**
   * malformed: every PDU we could not read; of those, framingLost (a command_length outside [16, 65536]: the link is
   * dropped), badRequests (a request from the SMSC we could not decode: nacked, the link kept) and badResponses (a
   * response we could not read: the link is dropped). delivers: deliver_sm/data_sm answered.
   */
  readonly counters = {
    malformed: 0,
    framingLost: 0,
    badRequests: 0,
    badResponses: 0,
    delivers: 0,
    enquireLinksAnswered: 0,
  };

  constructor(private readonly opts: SessionOptions) {
    super();
    this.log = opts.logger ?? silentLogger;
  }

  /** Submits in flight. */
  get inFlight(): number {
    return this.outstandingSubmits;
  }

  /** True when a submit_sm can go out now (bound, window slot free, socket not backed up). */
  get canSubmit(): boolean {
    return this.state === 'bound' && !this.needDrain && this.outstandingSubmits < this.opts.window;
  }

  /** Connects and binds as transceiver. */
  open(): Promise<void> {
    if (this.state !== 'idle') return Promise.reject(new SmppError('CG_SMPP_CLOSED', 'session already used'));
    this.state = 'connecting';
    const { host, port } = this.opts;
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const fail = (err: SmppError) => {
        if (settled) return;
        settled = true;
        reject(err);
      };
      const onConnect = () => {
        this.state = 'binding';
        this.lastRx = Date.now();
        this.request('bind_transceiver', {
          system_id: this.opts.systemId,
          password: this.opts.password,
          system_type: this.opts.systemType ?? '',
          interface_version: 0x34,
          addr_ton: 0,
          addr_npi: 0,
          address_range: '',
        })
          .then((resp) => {
            if (resp.command_status !== Status.ROK) {
              const err = new SmppError(
                'CG_SMPP_BIND_FAILED',
                `bind refused: status ${resp.command_status}`,
                resp.command_status,
              );
              this.destroy(err);
              return fail(err);
            }
            this.state = 'bound';
            this.startTimers();
            settled = true;
            resolve();
          })
          .catch((err: SmppError) => {
            this.destroy(err);
            fail(err);
          });
      };
      const t = this.opts.tls;
      const socket = t
        ? tls.connect(
            { host, port, servername: net.isIP(host) ? undefined : host, ...(typeof t === 'object' ? t : {}) },
            onConnect,
          )
        : net.connect({ host, port }, onConnect);
      socket.setNoDelay(true);
      this.socket = socket;
      socket.on('data', (chunk: Buffer) => this.onData(chunk));
      socket.on('drain', () => {
        this.needDrain = false;
        this.emit('drain');
      });
      socket.on('error', (err) => {
        const e = new SmppError('CG_SMPP_DISCONNECTED', `socket error: ${err.message}`);
        this.destroy(e);
        fail(e);
      });
      socket.on('close', () => {
        const e = new SmppError('CG_SMPP_DISCONNECTED', 'connection closed');
        this.destroy(this.closeReason ?? (this.state === 'unbinding' ? undefined : e));
        fail(this.closeReason ?? e);
      });
    });
  }

  /** Sends submit_sm; the caller checks `canSubmit` first. */
  submit(fields: Record<string, unknown>): Promise<Pdu> {
    if (this.state !== 'bound') return Promise.reject(new SmppError('CG_SMPP_NOT_BOUND', `session is ${this.state}`));
    if (this.outstandingSubmits >= this.opts.window)
      return Promise.reject(new SmppError('CG_SMPP_WINDOW_FULL', 'window full'));
    return this.request('submit_sm', fields, true);
  }

  /** Sends a request and tracks its response deadline. */
  private request(command: string, fields: Record<string, unknown>, isSubmit = false): Promise<Pdu> {
    const socket = this.socket;
    if (!socket || socket.destroyed) return Promise.reject(new SmppError('CG_SMPP_DISCONNECTED', 'not connected'));
    this.seq = this.seq >= 0x7fffffff ? 1 : this.seq + 1;
    const seq = this.seq;
    const buf = encodePdu(command, { ...fields, sequence_number: seq });
    return new Promise<Pdu>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (!this.pending.delete(seq)) return;
        if (isSubmit) this.outstandingSubmits--;
        reject(
          new SmppError('CG_SMPP_TIMEOUT', `${command} seq ${seq}: no response in ${this.opts.responseTimeoutMs} ms`),
        );
        if (isSubmit) this.emit('slot');
      }, this.opts.responseTimeoutMs);
      this.pending.set(seq, { resolve, reject, timer, isSubmit });
      if (isSubmit) this.outstandingSubmits++;
      this.write(buf);
    });
  }

  private write(buf: Buffer): void {
    const socket = this.socket;
    if (!socket || socket.destroyed) return;
    // Node queues the bytes even when write() returns false; we stop submitting until 'drain'.
    if (!socket.write(buf)) this.needDrain = true;
  }

  private respond(req: Pdu, command: string, status: number, fields: Record<string, unknown> = {}): void {
    this.write(encodePdu(command, { ...fields, command_status: status, sequence_number: req.sequence_number }));
  }

  private onData(chunk: Buffer): void {
    this.lastRx = Date.now();
    this.framer.push(chunk);
    for (;;) {
      const next = this.framer.next();
      if (next === null) return;
      if (next instanceof Error) {
        this.counters.malformed++;
        this.counters.framingLost++;
        this.log.warn({ session: this.opts.name, err: next.message }, 'smpp framing lost, dropping link');
        this.destroy(new SmppError('CG_SMPP_PARSE', next.message));
        return;
      }
      const decoded = decodePdu(next);
      if (!decoded.ok) {
        this.counters.malformed++;
        if (decoded.commandId !== undefined && !isResponse(decoded.commandId)) {
          this.counters.badRequests++;
          // A bad request from the SMSC: answer it so it is not retried forever, and carry on (framing is intact).
          this.write(
            encodePdu('generic_nack', {
              command_status: decoded.error === 'unknown command_id' ? Status.RINVCMDID : Status.RINVCMDLEN,
              sequence_number: decoded.sequence ?? 0,
            }),
          );
          this.log.warn({ session: this.opts.name, err: decoded.error }, 'malformed smpp request nacked');
          continue;
        }
        this.counters.badResponses++;
        // A response we cannot read: we no longer know what the SMSC did; start over on a fresh session.
        this.log.warn({ session: this.opts.name, err: decoded.error }, 'malformed smpp response, dropping link');
        this.destroy(new SmppError('CG_SMPP_PARSE', decoded.error));
        return;
      }
      this.onPdu(decoded.pdu);
      if (this.state === 'closed') return;
    }
  }

  private onPdu(pdu: Pdu): void {
    if (isResponse(pdu.command_id)) {
      const p = this.pending.get(pdu.sequence_number);
      if (!p) return; // late response after its timeout: the slot was already freed
      this.pending.delete(pdu.sequence_number);
      clearTimeout(p.timer);
      if (p.isSubmit) this.outstandingSubmits--;
      p.resolve(pdu);
      if (p.isSubmit) this.emit('slot');
      return;
    }
    switch (pdu.command) {
      case 'enquire_link':
        this.counters.enquireLinksAnswered++;
        this.respond(pdu, 'enquire_link_resp', Status.ROK);
        return;
      case 'unbind':
        this.respond(pdu, 'unbind_resp', Status.ROK);
        this.log.info({ session: this.opts.name }, 'smsc unbound us');
        this.destroy(new SmppError('CG_SMPP_DISCONNECTED', 'unbound by smsc'));
        return;
      case 'deliver_sm':
      case 'data_sm': {
        const resp = `${pdu.command}_resp`;
        const handler = this.opts.onDeliver;
        this.counters.delivers++;
        if (!handler) return this.respond(pdu, resp, Status.ROK, { message_id: '' });
        handler(pdu).then(
          (status) => this.respond(pdu, resp, status, { message_id: '' }),
          (err: Error) => {
            this.log.error(
              { session: this.opts.name, err: err.message },
              'deliver_sm handler failed; asking smsc to retry',
            );
            this.respond(pdu, resp, Status.RX_T_APPN, { message_id: '' });
          },
        );
        return;
      }
      case 'alert_notification':
        return; // no response defined
      default:
        this.write(
          encodePdu('generic_nack', { command_status: Status.RINVCMDID, sequence_number: pdu.sequence_number }),
        );
    }
  }

  private startTimers(): void {
    this.keepalive = setInterval(() => {
      if (this.state !== 'bound') return;
      this.request('enquire_link', {}).catch((err: SmppError) => {
        if (err.code === 'CG_SMPP_TIMEOUT') this.destroy(new SmppError('CG_SMPP_DEAD_LINK', 'enquire_link unanswered'));
      });
    }, this.opts.enquireLinkIntervalMs);
    const checkEvery = Math.max(10, Math.floor(this.opts.deadLinkMs / 4));
    this.silenceCheck = setInterval(() => {
      if (Date.now() - this.lastRx > this.opts.deadLinkMs) {
        this.destroy(new SmppError('CG_SMPP_DEAD_LINK', `no traffic for ${this.opts.deadLinkMs} ms`));
      }
    }, checkEvery);
    this.keepalive.unref();
    this.silenceCheck.unref();
  }

  /**
   * Graceful close: stop submitting, wait up to `drainMs` for outstanding submits to be answered,
   * unbind, wait for unbind_resp (bounded), close the socket.
   */
  async unbind(drainMs: number): Promise<void> {
    if (this.state !== 'bound') return this.destroy();
    this.state = 'unbinding';
    if (this.outstandingSubmits > 0) await this.waitDrained(drainMs);
    if (this.socket && !this.socket.destroyed) {
      await this.request('unbind', {}).catch(() => undefined);
    }
    this.destroy();
  }

  private waitDrained(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        this.off('slot', onSlot);
        this.off('close', finish);
        resolve();
      };
      const onSlot = () => {
        if (this.outstandingSubmits === 0) finish();
      };
      const timer = setTimeout(finish, ms);
      this.on('slot', onSlot);
      this.on('close', finish);
    });
  }

  /** Closes now. Outstanding requests reject with CG_SMPP_DISCONNECTED (or `reason`). Idempotent. */
  destroy(reason?: SmppError): void {
    if (this.state === 'closed') return;
    const wasUnbinding = this.state === 'unbinding';
    this.state = 'closed';
    this.closeReason = reason;
    clearInterval(this.keepalive);
    clearInterval(this.silenceCheck);
    const err = reason ?? new SmppError('CG_SMPP_DISCONNECTED', 'session closed');
    for (const [seq, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(seq);
      if (p.isSubmit) this.outstandingSubmits--;
      p.reject(err);
    }
    if (this.socket && !this.socket.destroyed) {
      if (wasUnbinding && !reason) this.socket.end();
      else this.socket.destroy();
    }
    this.emit('close', reason);
  }
}
