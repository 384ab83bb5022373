/**
 * A bundled SMSC for tests, benchmarks and `callguard smsc-sim`, on the `smpp` package's server mode.
 * It records every submit_sm, answers with message ids, sends delivery receipts, and injects faults on
 * demand: throttling, error statuses, dropped or slow responses, outages, disconnects, MO messages,
 * SMSC-initiated enquire_link and unbind. All controls act on the running instance.
 */
import { EventEmitter } from 'node:events';
import type net from 'node:net';
import { smppLib, Status, type Pdu } from './codec.js';
import { silentLogger, type Logger } from './logger.js';
import { decodeShortMessage } from './message-parts.js';
import type { ReceiptState } from './receipt.js';

export interface SmscSimulatorOptions {
  port?: number;
  host?: string;
  /** Accept only these credentials (any when omitted). */
  systemId?: string;
  password?: string;
  /** Delivery receipts for registered_delivery submits (default on, DELIVRD, TLVs and text). */
  receipts?: ReceiptOptions | false;
  /** message_id format in submit_sm_resp (default hex). */
  messageIdFormat?: 'hex' | 'decimal';
  /** Delay before each submit_sm_resp (default 0). */
  responseDelayMs?: number;
  /** Serve TLS (for ssmpp:// clients). */
  tls?: { key: string | Buffer; cert: string | Buffer };
  logger?: Logger;
}

export interface ReceiptOptions {
  stat?: ReceiptState;
  /** Put receipted_message_id/message_state TLVs in (default true); text is always there. */
  tlv?: boolean;
  /** Id format in the receipt text (default: same as message_id). Tests the ESME's hex/decimal matching. */
  textIdFormat?: 'hex' | 'decimal';
  delayMs?: number;
  /** Send the receipt before the submit_sm_resp (an SMSC whose receipt path outruns its response path). */
  beforeResponse?: boolean;
}

export interface ReceivedSubmit {
  at: number;
  systemId: string;
  messageId: string;
  source: string;
  sourceTon: number;
  sourceNpi: number;
  destination: string;
  dataCoding: number;
  esmClass: number;
  registeredDelivery: number;
  validityPeriod: string;
  shortMessage: Buffer;
  /** Concatenation info from the UDH, when present. */
  concat?: { ref: number; total: number; seq: number };
  /** Decoded body (UDH stripped). */
  text: string;
  messagePayload?: Buffer;
}

interface LibSession extends EventEmitter {
  socket: net.Socket;
  send(pdu: unknown, responseCallback?: (resp: Pdu) => void): boolean;
  destroy(): void;
}
type Fault = { kind: 'status'; status: number } | { kind: 'drop' };

export interface SmscSimulator {
  readonly port: number;
  readonly host: string;
  /** Every submit_sm accepted or not, in arrival order. */
  readonly received: ReceivedSubmit[];
  readonly stats: {
    binds: number;
    bindRejects: number;
    enquireLinks: number;
    unbinds: number;
    maxOutstanding: number;
    deliverAcks: number[];
  };
  /** Emits 'submit' (ReceivedSubmit), 'bind' (systemId). */
  readonly events: EventEmitter;
  /** Answer the next `n` submits with ESME_RTHROTTLED. */
  throttleNext(n: number): void;
  /** Answer the next `n` submits with `status`. */
  failNext(n: number, status: number): void;
  /** Never answer the next `n` submits (the ESME must time out). */
  dropNext(n: number): void;
  setResponseDelay(ms: number): void;
  /** Hold every submit_sm_resp until released (window tests). */
  holdResponses(on: boolean): void;
  releaseHeld(): void;
  setReceipts(r: ReceiptOptions | false): void;
  /** Message ids start again from the first (an SMSC restart or counter wrap: ids are reused). */
  restartIds(): void;
  /** Outage: drop all sessions and refuse new ones (connections are closed at once) until setDown(false). */
  setDown(down: boolean): void;
  /** Close every connected session abruptly (TCP reset-like). */
  disconnectAll(): void;
  /** SMSC-initiated unbind on every session. */
  unbindAll(): void;
  /** Sends enquire_link on every bound session; resolves with how many answered (within timeoutMs). */
  enquireLink(timeoutMs?: number): Promise<number>;
  /** Sends an MO deliver_sm from `from`; resolves with the deliver_sm_resp command_status (or -1 on timeout). */
  sendMo(from: string, text: string, opts?: { dataCoding?: number; to?: string; timeoutMs?: number }): Promise<number>;
  /** Sends a raw deliver_sm (receipt tests); resolves with the response status (or -1). */
  sendDeliver(fields: Record<string, unknown>, timeoutMs?: number): Promise<number>;
  /** Resolves once `pred()` holds, checked on every submit and every 20 ms; rejects after timeoutMs. */
  waitFor(pred: () => boolean, timeoutMs?: number): Promise<void>;
  /** Number of bound sessions now. */
  boundSessions(): number;
  close(): Promise<void>;
}

/** Starts the simulator; resolves once listening (port 0 picks a free port). */
export async function startSmscSimulator(options: SmscSimulatorOptions = {}): Promise<SmscSimulator> {
  const log = options.logger ?? silentLogger;
  const host = options.host ?? '127.0.0.1';
  const events = new EventEmitter();
  events.setMaxListeners(0);
  const received: ReceivedSubmit[] = [];
  const stats = {
    binds: 0,
    bindRejects: 0,
    enquireLinks: 0,
    unbinds: 0,
    maxOutstanding: 0,
    deliverAcks: [] as number[],
  };
  const faults: Fault[] = [];
  let receipts: ReceiptOptions | false = options.receipts ?? {};
  let responseDelay = options.responseDelayMs ?? 0;
  let down = false;
  let hold = false;
  const held: Array<() => void> = [];
  let nextId = 0x10000;
  const bound = new Set<LibSession>();
  const all = new Set<LibSession>();
  const timers = new Set<NodeJS.Timeout>();

  const later = (ms: number, fn: () => void) => {
    if (ms <= 0) return fn();
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };
  const respond = (session: LibSession, req: Pdu, fields: Record<string, unknown>) => {
    session.send(new smppLib.PDU(`${req.command}_resp`, { ...fields, sequence_number: req.sequence_number }));
  };
  const formatId = (n: number, f: 'hex' | 'decimal' | undefined) =>
    f === 'decimal' ? String(n) : n.toString(16).toUpperCase();

  const server = smppLib.createServer(
    options.tls ? { key: options.tls.key, cert: options.tls.cert } : {},
    (raw: unknown) => {
      const session = raw as LibSession;
      all.add(session);
      session.socket.setNoDelay(true);
      if (down) {
        session.socket.destroy();
        return;
      }
      let systemId = '';
      let outstanding = 0;
      session.on('error', (err: Error) => {
        log.debug({ err: err.message }, 'smsc-sim session error');
        session.socket.destroy();
      });
      session.socket.on('close', () => {
        bound.delete(session);
        all.delete(session);
      });
      session.on('pdu', (pdu: Pdu) => {
        switch (pdu.command) {
          case 'bind_transceiver':
          case 'bind_transmitter':
          case 'bind_receiver': {
            const ok =
              (!options.systemId || pdu.system_id === options.systemId) &&
              (options.password === undefined || pdu.password === options.password);
            if (!ok) {
              stats.bindRejects++;
              session.send(
                new smppLib.PDU(`${pdu.command}_resp`, {
                  sequence_number: pdu.sequence_number,
                  command_status: Status.RBINDFAIL,
                }),
              );
              return;
            }
            systemId = String(pdu.system_id ?? '');
            stats.binds++;
            bound.add(session);
            respond(session, pdu, { system_id: 'callguard-sim' });
            events.emit('bind', systemId);
            return;
          }
          case 'enquire_link':
            stats.enquireLinks++;
            respond(session, pdu, {});
            return;
          case 'unbind':
            stats.unbinds++;
            respond(session, pdu, {});
            bound.delete(session);
            later(0, () => session.socket.end());
            return;
          case 'submit_sm': {
            if (!bound.has(session)) {
              session.send(
                new smppLib.PDU('submit_sm_resp', {
                  sequence_number: pdu.sequence_number,
                  command_status: Status.RINVBNDSTS,
                }),
              );
              return;
            }
            const messageId = formatId(nextId++, options.messageIdFormat);
            const rec = toReceived(pdu, systemId, messageId);
            received.push(rec);
            log.info(
              {
                systemId,
                messageId,
                from: rec.source,
                to: rec.destination,
                dataCoding: rec.dataCoding,
                concat: rec.concat,
                text: rec.text,
              },
              'smsc-sim submit_sm',
            );
            outstanding++;
            stats.maxOutstanding = Math.max(stats.maxOutstanding, outstanding);
            const fault = faults.shift();
            if (fault?.kind === 'drop') {
              outstanding--;
              events.emit('submit', rec);
              return;
            }
            const send = () => {
              outstanding--;
              if (session.socket.destroyed) return;
              if (fault?.kind === 'status') {
                session.send(
                  new smppLib.PDU('submit_sm_resp', {
                    sequence_number: pdu.sequence_number,
                    command_status: fault.status,
                  }),
                );
                return;
              }
              const r = receipts;
              const wantsReceipt = r && (rec.registeredDelivery & 0x03) !== 0;
              if (wantsReceipt && r.beforeResponse) sendReceipt(session, rec, r);
              respond(session, pdu, { message_id: messageId });
              if (wantsReceipt && !r.beforeResponse) later(r.delayMs ?? 0, () => sendReceipt(session, rec, r));
            };
            if (hold) held.push(send);
            else later(responseDelay, send);
            events.emit('submit', rec);
            return;
          }
          default:
            if (!(pdu.command_id & 0x80000000)) {
              session.send(
                new smppLib.PDU('generic_nack', {
                  sequence_number: pdu.sequence_number,
                  command_status: Status.RINVCMDID,
                }),
              );
            }
        }
      });
    },
  );

  const sendReceipt = (session: LibSession, rec: ReceivedSubmit, r: ReceiptOptions) => {
    if (session.socket.destroyed) return;
    const stat = r.stat ?? 'DELIVRD';
    const n = parseInt(rec.messageId, options.messageIdFormat === 'decimal' ? 10 : 16);
    const textId = r.textIdFormat ? formatId(n, r.textIdFormat) : rec.messageId;
    const d = new Date();
    const ts =
      `${String(d.getUTCFullYear()).slice(2)}${String(d.getUTCMonth() + 1).padStart(2, '0')}` +
      `${String(d.getUTCDate()).padStart(2, '0')}${String(d.getUTCHours()).padStart(2, '0')}` +
      `${String(d.getUTCMinutes()).padStart(2, '0')}`;
    const text =
      `id:${textId} sub:001 dlvrd:${stat === 'DELIVRD' ? '001' : '000'} submit date:${ts} done date:${ts} ` +
      `stat:${stat} err:000 text:${rec.text.slice(0, 20).replace(/[^\x20-\x7e]/g, '.')}`;
    const stateNum: Record<string, number> = {
      ENROUTE: 1,
      DELIVRD: 2,
      EXPIRED: 3,
      DELETED: 4,
      UNDELIV: 5,
      ACCEPTD: 6,
      UNKNOWN: 7,
      REJECTD: 8,
    };
    const fields: Record<string, unknown> = {
      source_addr_ton: 1,
      source_addr_npi: 1,
      source_addr: rec.destination,
      dest_addr_ton: rec.sourceTon,
      dest_addr_npi: rec.sourceNpi,
      destination_addr: rec.source,
      esm_class: 0x04,
      data_coding: 0,
      short_message: Buffer.from(text, 'latin1'),
    };
    if (r.tlv !== false) {
      fields.receipted_message_id = rec.messageId;
      fields.message_state = stateNum[stat] ?? 7;
    }
    sendDeliverOn(session, fields, 10_000).catch(() => undefined);
  };

  const sendDeliverOn = (session: LibSession, fields: Record<string, unknown>, timeoutMs: number) =>
    new Promise<number>((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve(-1);
      }, timeoutMs);
      timers.add(t);
      session.send(new smppLib.PDU('deliver_sm', { service_type: '', ...fields }), (resp: Pdu) => {
        clearTimeout(t);
        timers.delete(t);
        stats.deliverAcks.push(resp.command_status);
        resolve(resp.command_status);
      });
    });

  const firstBound = () => {
    const s = [...bound].find((x) => !x.socket.destroyed);
    if (!s) throw new Error('smsc-sim: no bound session');
    return s;
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as net.AddressInfo).port;
  log.info({ host, port }, 'smsc simulator listening');

  const sim: SmscSimulator = {
    port,
    host,
    received,
    stats,
    events,
    throttleNext: (n) => {
      for (let i = 0; i < n; i++) faults.push({ kind: 'status', status: Status.RTHROTTLED });
    },
    failNext: (n, status) => {
      for (let i = 0; i < n; i++) faults.push({ kind: 'status', status });
    },
    dropNext: (n) => {
      for (let i = 0; i < n; i++) faults.push({ kind: 'drop' });
    },
    setResponseDelay: (ms) => {
      responseDelay = ms;
    },
    holdResponses: (on) => {
      hold = on;
    },
    releaseHeld: () => {
      for (const f of held.splice(0)) f();
    },
    setReceipts: (r) => {
      receipts = r;
    },
    restartIds: () => {
      nextId = 0x10000;
    },
    setDown: (d) => {
      down = d;
      if (d) sim.disconnectAll();
    },
    disconnectAll: () => {
      for (const s of all) s.socket.destroy();
      bound.clear();
    },
    unbindAll: () => {
      for (const s of bound) s.send(new smppLib.PDU('unbind', {}));
    },
    enquireLink: async (timeoutMs = 5_000) => {
      const answers = await Promise.all(
        [...bound].map(
          (s) =>
            new Promise<boolean>((resolve) => {
              const t = setTimeout(() => resolve(false), timeoutMs);
              s.send(new smppLib.PDU('enquire_link', {}), () => {
                clearTimeout(t);
                resolve(true);
              });
            }),
        ),
      );
      return answers.filter(Boolean).length;
    },
    sendMo: (from, text, opts = {}) => {
      const dc = opts.dataCoding ?? 0;
      const body = dc === 8 ? Buffer.from(text, 'utf16le').swap16() : Buffer.from(text, 'latin1');
      return sendDeliverOn(
        firstBound(),
        {
          source_addr_ton: 1,
          source_addr_npi: 1,
          source_addr: from,
          dest_addr_ton: 5,
          dest_addr_npi: 0,
          destination_addr: opts.to ?? 'CallGuard',
          esm_class: 0,
          data_coding: dc,
          short_message: body,
        },
        opts.timeoutMs ?? 10_000,
      );
    },
    sendDeliver: (fields, timeoutMs = 10_000) => sendDeliverOn(firstBound(), fields, timeoutMs),
    waitFor: (pred, timeoutMs = 15_000) =>
      new Promise<void>((resolve, reject) => {
        if (pred()) return resolve();
        const check = () => {
          if (!pred()) return;
          cleanup();
          resolve();
        };
        const iv = setInterval(check, 20);
        const t = setTimeout(() => {
          cleanup();
          reject(new Error(`smsc-sim: condition not met within ${timeoutMs} ms (received ${received.length})`));
        }, timeoutMs);
        const cleanup = () => {
          clearInterval(iv);
          clearTimeout(t);
          events.off('submit', check);
        };
        events.on('submit', check);
      }),
    boundSessions: () => bound.size,
    close: async () => {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      held.length = 0;
      for (const s of all) s.socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return sim;
}

function toReceived(pdu: Pdu, systemId: string, messageId: string): ReceivedSubmit {
  const sm = Buffer.isBuffer(pdu.short_message) ? pdu.short_message : Buffer.alloc(0);
  const payload = Buffer.isBuffer(pdu.message_payload) ? pdu.message_payload : undefined;
  const esm = Number(pdu.esm_class ?? 0);
  const dc = Number(pdu.data_coding ?? 0);
  const rec: ReceivedSubmit = {
    at: Date.now(),
    systemId,
    messageId,
    source: String(pdu.source_addr ?? ''),
    sourceTon: Number(pdu.source_addr_ton ?? 0),
    sourceNpi: Number(pdu.source_addr_npi ?? 0),
    destination: String(pdu.destination_addr ?? ''),
    dataCoding: dc,
    esmClass: esm,
    registeredDelivery: Number(pdu.registered_delivery ?? 0),
    validityPeriod: typeof pdu.validity_period === 'string' ? pdu.validity_period : '',
    shortMessage: sm,
    text: decodeShortMessage(sm.length ? sm : (payload ?? sm), dc, esm),
  };
  if (payload) rec.messagePayload = payload;
  if (esm & 0x40 && sm.length >= 6 && sm[0] === 5 && sm[1] === 0 && sm[2] === 3)
    rec.concat = { ref: sm[3], total: sm[4], seq: sm[5] };
  return rec;
}
