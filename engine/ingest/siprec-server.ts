import type { Logger } from 'pino';
import type { LifecycleState } from '../../common/lifecycle.js';
import { createAllowList, normalizeAddress, type AddressAllowList } from './address-allow-list.js';
import { createCounters, type IngestCounters } from './ingest-counters.js';
import { CODECS, type AudioCodec } from './codecs/audio-codec.js';
import type { LegMedia } from './rtp-receiver.js';
import { LocalMediaHost } from './rtp-io/local-media-host.js';
import type { LegOutput, MediaHost, MediaLeg } from './rtp-io/media-host.js';
import type { TapSlot } from './leg-feed.js';
import { RtpIoHost } from './rtp-io/rtp-io-host.js';
import { type Direction, type Role } from './rs-metadata.js';
import { admitInvite } from './invite-admission.js';
import {
  ALLOWED_METHODS,
  dialogFromInvite,
  newTag,
  SiprecDialogs,
  type ReplyOptions,
  type SiprecDialog,
} from './siprec-dialog.js';
import { negotiateOffer, parseSdp, type MediaDecision } from './sdp.js';
import { parseCSeq, parseNameAddr, parseVia } from './sip-headers.js';
import { headerValue, headerValues, type SipRequest } from './sip-message.js';
import { parseSipMessage, salvageRequest } from './sip-parser.js';
import { buildResponse } from './sip-serializer.js';
import { SIPREC_ACCEPT, splitSiprecBody } from './siprec-body.js';
import { SipTransactionLayer, transactionKey, type ServerTransaction } from './sip-transaction.js';
import { SipTransport, type SipFlow } from './sip-transport.js';
import {
  IngestConfigError,
  resolveOptions,
  type SiprecServerOptions,
  type SiprecServerOptionsInput,
} from './siprec-options.js';

/**
 * SIPREC recording server (RFC 7866 SRS side): a SIP UAS that accepts recording sessions from an SBC, answers
 * receive-only G.711, G.722, Opus, AMR-WB or AMR (one codec per stream, wideband preferred), and feeds each recorded
 * stream as PCM16 at its rate (8 or 16 kHz) into a sink the engine supplies. Protocol only: what to
 * do with a call is the handler's business.
 *
 * Lifecycle: createSiprecServer() -> start() -> ... -> close(). close() ends every call with reason 'shutdown'
 * (sending BYE to the SBC) and releases every socket.
 *
 * The server wires the parts: SIP transport and transactions, admission of an INVITE (invite-admission.ts, pure),
 * the dialogs and their in-dialog requests (siprec-dialog.ts), and each call's media (a MediaHost: RTP receivers
 * here or on I/O threads), which it keeps here.
 */
export type { LegSink } from './rtp-receiver.js';
export type { SiprecServerOptionsInput } from './siprec-options.js';

export interface SiprecLegInfo {
  /** Position in `SiprecCallInfo.legs` (and in the sinks array the handler returns). */
  readonly index: number;
  /** SDP a=label of the m-line (the key rs-metadata uses). */
  readonly label: string | null;
  readonly participantId: string | null;
  readonly role: Role | 'unknown';
  /** E.164 of the participant, when their URI carries a number. */
  readonly number: string | null;
  readonly aor: string | null;
  readonly codec: AudioCodec;
  /** Rate of the PCM written to this leg's sink: 8000 (G.711, AMR) or 16000 (G.722, Opus, AMR-WB). */
  readonly sampleRate: number;
  readonly payloadType: number;
  readonly localPort: number;
  readonly remote: { readonly address: string; readonly port: number };
  /** True for the protected subscriber's voice. */
  readonly protected: boolean;
}

export interface SiprecCallInfo {
  /** SIP Call-ID of the recording session. */
  readonly callId: string;
  /** Recording session id from rs-metadata, if present. */
  readonly sessionId: string | null;
  readonly direction: Direction;
  readonly legs: readonly SiprecLegInfo[];
  /** Index into `legs` of the protected subscriber's voice, -1 if it could not be determined. */
  readonly protectedLeg: number;
  /** Epoch milliseconds when the INVITE was accepted. */
  readonly startedAt: number;
  /** The SBC that sent the INVITE. */
  readonly sbc: { readonly address: string; readonly port: number; readonly transport: string };
}

export type CallEndReason = 'bye' | 'cancel' | 'rtp-timeout' | 'shutdown' | 'error';

export interface SiprecCallHandler {
  /**
   * Called once the INVITE passed SIP/SDP/metadata checks; return one output per leg (same order) or a rejection.
   * An output is the call's shared feed (leg-feed.ts), null (answered, audio dropped), or a sink function, which
   * only works with RTP on this thread (`ioThreads: 0`): with I/O threads a call given one is refused with 500.
   */
  onCallStart(info: SiprecCallInfo): { sinks: LegOutput[] } | { reject: { status: number; reason: string } };
  /**
   * Answer to OPTIONS other than 200 (a load balancer's health probe): a draining engine answers 503 so the
   * dispatcher keeps new calls away until it is back. Absent or null: 200.
   */
  onOptions?(): { status: number; reason: string } | null;
  /** Called once per started call, after its buffered audio was written to the sinks. */
  onCallEnd(callId: string, reason: CallEndReason): void;
}

export interface ActiveLegStats {
  readonly index: number;
  readonly label: string | null;
  readonly role: Role | 'unknown';
  readonly number: string | null;
  readonly localPort: number;
  /** The codec being received now (a re-INVITE may change it) and the leg's PCM rate (fixed for the call). */
  readonly codec: AudioCodec;
  readonly sampleRate: number;
  readonly onHold: boolean;
  readonly packetsReceived: number;
  readonly packetsLost: number;
  readonly packetsLate: number;
  /** Seconds of audio written to the sink (received plus concealment silence). */
  readonly seconds: number;
}

export interface ActiveCall {
  readonly callId: string;
  readonly sessionId: string | null;
  readonly direction: Direction;
  readonly protectedLeg: number;
  readonly startedAt: number;
  /** 'answered' until the SBC's ACK arrives, then 'confirmed'. */
  readonly state: 'answered' | 'confirmed';
  readonly legs: readonly ActiveLegStats[];
}

export interface SiprecServerStats {
  readonly counters: Readonly<IngestCounters>;
  readonly activeCalls: number;
  readonly rtpPorts: { readonly used: number; readonly capacity: number };
  /** RTP I/O threads: legs each receives (empty without them) and the threads replaced after dying. */
  readonly ioThreads: {
    readonly legs: readonly number[];
    readonly busySeconds: readonly number[];
    /** CPU seconds of each thread since it (re)started; null where the platform cannot say. */
    readonly cpuSeconds: readonly (number | null)[];
    readonly restarts: number;
  };
}

export interface SiprecServer {
  start(): Promise<void>;
  close(): Promise<void>;
  stats(): SiprecServerStats;
  activeCalls(): ActiveCall[];
  /** Where SIP listens (after start). */
  address(): { host: string; port: number };
  /**
   * Installs (a ringbuf.js Int16 ring) or removes (null) a copy of a leg's decoded audio, made on the thread that
   * receives the leg; false when the call is unknown. Taps set before the legs start are applied when they do.
   */
  setLegTap(callId: string, leg: number, slot: TapSlot, ring: SharedArrayBuffer | null): boolean;
  /** Test hook: make RTP I/O thread `i` die (no-op without I/O threads). */
  crashIoThread(i: number): void;
}

/** Creates the server; throws IngestConfigError (CG_INGEST_OPTIONS, CG_ALLOW_LIST) on invalid options. */
export function createSiprecServer(
  options: SiprecServerOptionsInput & { logger?: Logger },
  handler: SiprecCallHandler,
): SiprecServer {
  return new SiprecServerImpl(resolveOptions(options), handler, options.logger);
}

/** SIP methods defined by RFC 3261 and its extensions: a request for one we do not serve gets 405, any other 501. */
const KNOWN_METHODS: ReadonlySet<string> = new Set([
  'INVITE',
  'ACK',
  'BYE',
  'CANCEL',
  'OPTIONS',
  'REGISTER',
  'PRACK',
  'SUBSCRIBE',
  'NOTIFY',
  'PUBLISH',
  'INFO',
  'REFER',
  'MESSAGE',
  'UPDATE',
]);
/** Single-value header fields (RFC 3261 7.3.1, 20): a second value makes the request malformed (RFC 4475 multi01). */
const SINGLE_VALUED = ['from', 'to', 'call-id', 'cseq', 'max-forwards', 'content-length'] as const;
/** Request-URI schemes this server takes; others get 416 (RFC 3261 8.2.2.1). */
const URI_SCHEMES = /^(sips?|tel):/i;
const SUPPORTED_OPTIONS = new Set(['siprec']);
const SERVER_NAME = 'callguard-srs';

/** A call: its SIP dialog (siprec-dialog.ts) with what the handler was told and the RTP receiving its legs. */
interface CallRecord extends SiprecDialog {
  info: SiprecCallInfo | null;
  receivers: MediaLeg[];
  /** Taps set before the legs started (the handler's own call start installs them). */
  pendingTaps: Array<[leg: number, slot: TapSlot, ring: SharedArrayBuffer | null]>;
  lastActivityAt: number;
}

class SiprecServerImpl implements SiprecServer {
  private readonly counters = createCounters();
  private readonly dialogs: SiprecDialogs<CallRecord>;
  private readonly calls: Map<string, CallRecord>;
  private readonly allowList: AddressAllowList;
  private readonly media: MediaHost;
  private readonly transactions: SipTransactionLayer;
  private readonly transport: SipTransport;
  private readonly advertised: string;
  private readonly mediaAddress: string;
  private sweepTimer: NodeJS.Timeout | null = null;
  private lifecycle: LifecycleState = 'idle';

  constructor(
    private readonly opts: SiprecServerOptions,
    private readonly handler: SiprecCallHandler,
    private readonly log?: Logger,
  ) {
    const allow = createAllowList(opts.allow);
    if (!allow.ok) throw new IngestConfigError('CG_ALLOW_LIST', `sip.allow: ${allow.detail}`, { setting: 'sip.allow' });
    this.allowList = allow.list;
    this.advertised = opts.advertisedAddress ?? opts.host;
    this.mediaAddress = opts.mediaAddress ?? this.advertised;
    const mediaOpts = {
      host: this.mediaAddress,
      portMin: opts.rtpPortMin,
      portMax: opts.rtpPortMax,
      recvBufferSize: opts.recvBufferSize,
      jitterDepth: opts.jitterDepth,
      allow: opts.allow,
    };
    this.media =
      opts.ioThreads > 0
        ? new RtpIoHost(mediaOpts, opts.ioThreads, log)
        : new LocalMediaHost(mediaOpts, this.allowList, this.counters);
    this.transactions = new SipTransactionLayer(
      { t1Ms: opts.sipT1Ms, t2Ms: Math.max(opts.sipT1Ms, 4000), t4Ms: Math.max(opts.sipT1Ms, 5000) },
      (tx) => this.dialogs.onAckTimeout(tx),
    );
    this.transport = new SipTransport({
      host: opts.host,
      port: opts.port,
      udp: opts.transports.includes('udp'),
      tcp: opts.transports.includes('tcp'),
      tls: opts.tls,
      maxMessageBytes: opts.maxMessageBytes,
      tcpIdleTimeoutMs: opts.tcpIdleTimeoutMs,
      tcpMessageTimeoutMs: opts.tcpMessageTimeoutMs,
      maxConnections: opts.maxConnections,
      maxConnectionsPerSource: opts.maxConnectionsPerSource,
      log,
      isAllowed: (a) => this.allowList.allows(a),
      onMessage: (data, flow) => this.onMessage(data, flow),
      counters: this.counters,
    });
    this.dialogs = new SiprecDialogs<CallRecord>({
      transactions: this.transactions,
      counters: this.counters,
      advertised: this.advertised,
      sipPort: () => this.transport.port,
      mediaAddress: this.mediaAddress,
      reply: (tx, status, reason, o) => this.reply(tx, status, reason, o),
      endCall: (rec, reason, sendBye) => void this.endCall(rec, reason, sendBye),
    });
    this.calls = this.dialogs.calls;
  }

  /** Where the server is in its lifecycle (common/lifecycle.ts): INVITEs get 503 from 'closing' on. */
  get state(): LifecycleState {
    return this.lifecycle;
  }

  /** Idempotent: compiles the codecs, listens, starts the RTP timeout sweep. A closed server stays closed. */
  async start(): Promise<void> {
    if (this.lifecycle !== 'idle') return;
    this.lifecycle = 'starting';
    // The wasm decoders are compiled (and the I/O threads started) here, so no INVITE waits on it.
    await this.media.start();
    await this.transport.start();
    const sweepMs = Math.min(1000, Math.max(50, Math.floor(this.opts.rtpTimeoutMs / 4)));
    this.sweepTimer = setInterval(() => this.sweep(), sweepMs);
    this.sweepTimer.unref();
    // A close() during the start wins: it already stopped what was started.
    if (this.lifecycle === 'starting') this.lifecycle = 'running';
    this.log?.info({ host: this.opts.host, port: this.transport.port }, 'siprec server listening');
  }

  /** Idempotent: ends every call (BYE to the SBC), then stops listening. */
  async close(): Promise<void> {
    if (this.lifecycle === 'closing' || this.lifecycle === 'closed') return;
    this.lifecycle = 'closing';
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    const ends: Promise<void>[] = [];
    for (const rec of [...this.calls.values()]) {
      if (rec.state === 'pending') {
        rec.cancelled = true; // the INVITE still binding ports will clean up and answer 503
        continue;
      }
      ends.push(this.endCall(rec, 'shutdown', true));
    }
    await Promise.all(ends);
    await this.media.close();
    this.transactions.close();
    await this.transport.close();
    this.lifecycle = 'closed';
  }

  private get isClosing(): boolean {
    return this.lifecycle === 'closing' || this.lifecycle === 'closed';
  }

  setLegTap(callId: string, leg: number, slot: TapSlot, ring: SharedArrayBuffer | null): boolean {
    const rec = this.calls.get(callId);
    if (!rec) return false;
    if (rec.receivers.length) rec.receivers[leg]?.setTap(slot, ring);
    else rec.pendingTaps.push([leg, slot, ring]);
    return true;
  }

  crashIoThread(i: number): void {
    if (this.media instanceof RtpIoHost) this.media.crashThread(i);
  }

  address(): { host: string; port: number } {
    return { host: this.opts.host, port: this.transport.port };
  }

  stats(): SiprecServerStats {
    let active = 0;
    for (const r of this.calls.values()) if (r.state === 'answered' || r.state === 'confirmed') active++;
    const counters = { ...this.counters };
    this.media.addCounters(counters);
    return {
      counters,
      activeCalls: active,
      rtpPorts: { used: this.media.portsUsed, capacity: this.media.portCapacity },
      ioThreads:
        this.media instanceof RtpIoHost
          ? {
              legs: this.media.legsPerThread(),
              busySeconds: this.media.busySeconds(),
              cpuSeconds: this.media.cpuSeconds(),
              restarts: this.media.threadRestarts,
            }
          : { legs: [], busySeconds: [], cpuSeconds: [], restarts: 0 },
    };
  }

  activeCalls(): ActiveCall[] {
    const out: ActiveCall[] = [];
    for (const rec of this.calls.values()) {
      if (!rec.info || (rec.state !== 'answered' && rec.state !== 'confirmed')) continue;
      const info = rec.info;
      out.push({
        callId: info.callId,
        sessionId: info.sessionId,
        direction: info.direction,
        protectedLeg: info.protectedLeg,
        startedAt: info.startedAt,
        state: rec.state,
        legs: info.legs.map((l, i) => {
          const r = rec.receivers[i];
          return {
            index: l.index,
            label: l.label,
            role: l.role,
            number: l.number,
            localPort: l.localPort,
            codec: r.codec,
            sampleRate: r.sampleRate,
            onHold: r.onHold,
            packetsReceived: r.packetsReceived,
            packetsLost: r.packetsLost,
            packetsLate: r.packetsLate,
            seconds: r.seconds,
          };
        }),
      });
    }
    return out;
  }

  // ---- SIP dispatch -------------------------------------------------------------------------------------------

  private onMessage(data: Buffer, flow: SipFlow): void {
    const c = this.counters;
    c['sip.received']++;
    const parsed = parseSipMessage(data, {
      maxMessageBytes: this.opts.maxMessageBytes,
      maxHeaders: this.opts.maxHeaders,
    });
    if (!parsed.ok) {
      switch (parsed.code) {
        case 'SIP_EMPTY':
          c['sip.keepalive']++;
          return;
        case 'SIP_OVERSIZE': {
          c['sip.oversize']++;
          // A datagram is at most 64 KiB, so parsing it once more without the limit is bounded; it lets us answer 513.
          const again = parseSipMessage(data, { maxMessageBytes: 65535, maxHeaders: this.opts.maxHeaders });
          if (
            again.ok &&
            again.message.kind === 'request' &&
            again.message.method !== 'ACK' &&
            this.allowList.allows(flow.peer.address)
          ) {
            this.replyStateless(again.message, flow, 513, 'Message Too Large');
          }
          return;
        }
        case 'SIP_TOO_MANY_HEADERS':
          c['sip.tooManyHeaders']++;
          return;
        default:
          c['sip.malformed']++;
          this.answerUnparsable(data, flow, parsed.code);
          return;
      }
    }
    const msg = parsed.message;
    if (msg.kind === 'response') {
      if (!this.transactions.onResponse(msg)) c['sip.unexpectedResponse']++;
      return;
    }
    if (!this.allowList.allows(flow.peer.address)) {
      c['sip.forbidden']++;
      if (msg.method !== 'ACK') this.replyStateless(msg, flow, 403, 'Forbidden');
      return;
    }
    const problem = this.checkMandatoryHeaders(msg);
    if (problem) {
      c['sip.malformed']++;
      if (problem !== 'Via' && msg.method !== 'ACK') this.replyStateless(msg, flow, 400, `Bad Request (${problem})`);
      return;
    }
    const replyFlow = this.replyFlowFor(msg, flow);
    const key = transactionKey(msg)!;
    const m = this.transactions.match(msg, replyFlow, key);
    switch (m.kind) {
      case 'retransmission':
        c['sip.retransmission']++;
        return;
      case 'ack-absorbed':
        return;
      case 'ack-dialog':
        this.dialogs.onAck(msg);
        return;
      case 'cancel':
        this.dialogs.onCancel(m.tx, m.invite);
        return;
      case 'new':
        this.onNewRequest(m.tx);
        return;
    }
  }

  /**
   * A datagram that is not a well-formed request but still names where to answer (a readable Via and the other
   * mandatory fields) gets a 400 saying what is wrong, or 505 for a version other than 2.0, sent statelessly, as
   * RFC 3261 and RFC 4475 expect (a Content-Length beyond the datagram, a bad or conflicting one, extra spaces in
   * the request line). Responses and what has no readable Via are dropped, and all of them were counted.
   */
  private answerUnparsable(data: Buffer, flow: SipFlow, code: string): void {
    if (!this.allowList.allows(flow.peer.address)) return;
    const req = salvageRequest(data, this.opts.maxHeaders);
    if (!req || req.method === 'ACK') return;
    if (code !== 'SIP_BAD_VERSION' && this.checkMandatoryHeaders(req) === 'Via') return;
    if (code === 'SIP_BAD_VERSION') {
      // Its Via names another version too, so it cannot be read as ours: answer where it came from (RFC 4475 badvers).
      if (
        req.headers.some((h) => h.name === 'via') &&
        req.headers.some((h) => h.name === 'call-id') &&
        req.headers.some((h) => h.name === 'cseq')
      ) {
        flow.send(buildResponse(req, 505, 'Version Not Supported', { toTag: newTag(), serverName: SERVER_NAME }));
      }
      return;
    }
    const what =
      code === 'SIP_BAD_START_LINE'
        ? 'Request-Line'
        : code === 'SIP_BAD_HEADER'
          ? 'header syntax'
          : code.startsWith('SIP_B')
            ? 'Content-Length'
            : 'malformed';
    this.replyStateless(req, flow, 400, `Bad Request (${what})`);
  }

  /** Returns the name of the first missing/bad mandatory header (RFC 3261 8.1.1), or null. */
  private checkMandatoryHeaders(req: SipRequest): string | null {
    const vias = headerValues(req, 'via');
    const via = vias[0];
    if (!via || !parseVia(via)) return 'Via';
    // Empty parameters or empty list elements (";;", ",,"): RFC 4475 badinv01.
    if (req.headers.some((h) => h.name === 'via' && /;\s*[;,]|,\s*(,|$)|;\s*$/.test(h.value))) return 'Via parameters';
    if (req.uri.startsWith('<')) return 'Request-URI';
    for (const name of SINGLE_VALUED)
      if (req.headers.filter((h) => h.name === name).length > 1) return `more than one ${name}`;
    if (!headerValue(req, 'call-id')) return 'Call-ID';
    if (!parseNameAddr(headerValue(req, 'from') ?? '')) return 'From';
    if (!parseNameAddr(headerValue(req, 'to') ?? '')) return 'To';
    const cseq = parseCSeq(headerValue(req, 'cseq') ?? '');
    if (!cseq || cseq.method !== req.method) return 'CSeq';
    return null;
  }

  /** UDP responses go to the source address, and to the source port when the top Via asks for rport (RFC 3581). */
  private replyFlowFor(req: SipRequest, flow: SipFlow): SipFlow {
    if (flow.peer.transport !== 'udp') return flow;
    const via = parseVia(headerValues(req, 'via')[0] ?? '');
    const port = via && !('rport' in via.params) ? (via.port ?? 5060) : flow.peer.port;
    if (port === flow.peer.port) return flow;
    const dest = { address: flow.peer.address, port };
    return { peer: flow.peer, send: (d) => flow.send(d, dest), isOpen: flow.isOpen };
  }

  private replyStateless(req: SipRequest, flow: SipFlow, status: number, reason: string): void {
    const viaOk = parseVia(headerValues(req, 'via')[0] ?? '');
    if (!viaOk) return;
    flow.send(buildResponse(req, status, reason, { toTag: newTag(), remote: flow.peer, serverName: SERVER_NAME }));
  }

  private reply(tx: ServerTransaction, status: number, reason: string, o: ReplyOptions = {}): void {
    const data = buildResponse(tx.request, status, reason, {
      toTag: status === 100 ? undefined : (o.toTag ?? newTag()),
      remote: tx.flow.peer,
      headers: o.headers,
      body: o.body,
      contentType: o.contentType,
      serverName: SERVER_NAME,
    });
    this.transactions.respond(tx, status, data);
  }

  private onNewRequest(tx: ServerTransaction): void {
    const req = tx.request;
    if (!URI_SCHEMES.test(req.uri)) {
      this.counters['sip.malformed']++;
      this.reply(tx, 416, 'Unsupported URI Scheme');
      return;
    }
    const unsupported = headerValues(req, 'require').filter((o) => !SUPPORTED_OPTIONS.has(o.toLowerCase()));
    if (unsupported.length && req.method !== 'CANCEL') {
      this.counters['sip.badExtension']++;
      this.reply(tx, 420, 'Bad Extension', { headers: [['Unsupported', unsupported.join(', ')]] });
      return;
    }
    const toTag = parseNameAddr(headerValue(req, 'to')!)!.tag;
    switch (req.method) {
      case 'INVITE':
        if (toTag) this.onReinvite(tx);
        else void this.onInitialInvite(tx);
        return;
      case 'BYE':
        this.dialogs.onBye(tx);
        return;
      case 'OPTIONS': {
        const refuse = this.handler.onOptions?.() ?? null;
        this.reply(tx, refuse?.status ?? 200, refuse?.reason ?? 'OK', {
          headers: [
            ['Allow', ALLOWED_METHODS],
            ['Accept', SIPREC_ACCEPT],
            ['Supported', 'siprec'],
          ],
        });
        return;
      }
      case 'UPDATE':
      case 'INFO': {
        const rec = this.dialogs.find(req);
        if (!rec) return this.dialogs.replyNoDialog(tx);
        if (req.method === 'UPDATE' && req.body.length > 0) return this.onMediaUpdate(tx, rec);
        this.reply(tx, 200, 'OK', { toTag: rec.localTag });
        return;
      }
      default:
        this.counters['sip.methodNotAllowed']++;
        // RFC 3261 8.2.1: a method we know of but do not serve is 405; one we do not recognise at all is 501.
        if (KNOWN_METHODS.has(req.method))
          this.reply(tx, 405, 'Method Not Allowed', { headers: [['Allow', ALLOWED_METHODS]] });
        else this.reply(tx, 501, 'Not Implemented', { headers: [['Allow', ALLOWED_METHODS]] });
    }
  }

  // ---- INVITE ------------------------------------------------------------------------------------------------

  private async onInitialInvite(tx: ServerTransaction): Promise<void> {
    const req = tx.request;
    const c = this.counters;
    const callId = headerValue(req, 'call-id')!;
    if (this.isClosing) return this.reply(tx, 503, 'Service Unavailable', { headers: [['Retry-After', '5']] });
    if (this.calls.has(callId)) return this.reply(tx, 482, 'Loop Detected');
    if (this.calls.size >= this.opts.maxCalls) {
      c['call.overload']++;
      return this.reply(tx, 503, 'Service Unavailable', { headers: [['Retry-After', '5']] });
    }
    this.reply(tx, 100, 'Trying');
    const admission = admitInvite(req, this.opts);
    if (!admission.ok) {
      if (admission.counter) c[admission.counter]++;
      return this.rejectCall(tx, admission.status, admission.reason, admission.headers);
    }
    const { sdp, decisions, accepted, mapping, metadata } = admission.offer;
    const rec: CallRecord = {
      ...dialogFromInvite(tx, admission.offer),
      info: null,
      receivers: [],
      pendingTaps: [],
      lastActivityAt: Date.now(),
    };
    this.calls.set(callId, rec);

    // Bind one RTP port and make one decoder per accepted line (here or on an RTP I/O thread).
    const prepared = await this.media.prepare(callId, accepted.map(legMediaOf));
    const release = (): void => {
      if (prepared.ok) prepared.release();
      this.calls.delete(callId);
    };
    if (rec.cancelled || this.isClosing) {
      release();
      // CANCEL already answered the INVITE with 487; a shutdown has not.
      if (tx.finalStatus === 0) this.rejectCall(tx, 503, 'Service Unavailable');
      return;
    }
    if (!prepared.ok) {
      release();
      c['call.overload']++;
      this.log?.warn({ callId, failure: prepared.detail }, 'no RTP port');
      return this.rejectCall(tx, 503, 'Service Unavailable', [['Retry-After', '5']]);
    }

    const legs: SiprecLegInfo[] = mapping.legs.map((l, i) => ({
      index: i,
      label: l.label,
      participantId: l.participantId,
      role: l.role,
      number: l.e164,
      aor: l.aor,
      codec: accepted[i].codec,
      sampleRate: CODECS[accepted[i].codec].sampleRate,
      payloadType: accepted[i].payloadType,
      localPort: prepared.ports[i],
      remote: accepted[i].remote,
      protected: i === mapping.protectedLeg,
    }));
    const info: SiprecCallInfo = {
      callId,
      sessionId: metadata.sessionId,
      direction: mapping.direction,
      legs,
      protectedLeg: mapping.protectedLeg,
      startedAt: Date.now(),
      sbc: { address: tx.flow.peer.address, port: tx.flow.peer.port, transport: tx.flow.peer.transport },
    };

    let decision: ReturnType<SiprecCallHandler['onCallStart']>;
    try {
      decision = this.handler.onCallStart(info);
    } catch (err) {
      release();
      this.log?.error({ err, callId }, 'onCallStart threw');
      return this.rejectCall(tx, 500, 'Server Internal Error');
    }
    if ('reject' in decision) {
      release();
      const status = decision.reject.status >= 400 && decision.reject.status <= 699 ? decision.reject.status : 500;
      return this.rejectCall(tx, status, sanitizeReason(decision.reject.reason));
    }
    if (!decision.sinks || decision.sinks.length !== legs.length) {
      release();
      this.log?.error({ callId }, 'onCallStart returned the wrong number of sinks');
      return this.rejectCall(tx, 500, 'Server Internal Error');
    }

    try {
      rec.receivers = prepared.start(decision.sinks);
      for (const [leg, slot, ring] of rec.pendingTaps) rec.receivers[leg]?.setTap(slot, ring);
      rec.pendingTaps = [];
    } catch (err) {
      release();
      this.log?.error({ callId, err: (err as Error).message }, 'onCallStart returned outputs RTP ingest cannot take');
      return this.rejectCall(tx, 500, 'Server Internal Error');
    }
    rec.info = info;
    let next = 0;
    rec.lineToLeg = decisions.map((d) => (d.accepted ? next++ : -1));
    this.dialogs.answer(
      rec,
      sdp,
      decisions,
      rec.receivers.map((r) => r.localPort),
    );
    rec.state = 'answered';
    rec.lastActivityAt = Date.now();
    c['call.started']++;
    this.log?.info(
      { callId, sessionId: info.sessionId, legs: legs.length, direction: info.direction },
      'recording session started',
    );
    this.dialogs.replyWithAnswer(tx, rec);
  }

  private rejectCall(
    tx: ServerTransaction,
    status: number,
    reason: string,
    headers: Array<[string, string]> = [],
  ): void {
    this.counters['call.rejected']++;
    this.reply(tx, status, reason, { headers });
  }

  private onReinvite(tx: ServerTransaction): void {
    const rec = this.dialogs.reinviteDialog(tx);
    if (rec) this.onMediaUpdate(tx, rec);
  }

  /** re-INVITE or UPDATE with a new offer: hold/resume, codec or address change on existing streams. */
  private onMediaUpdate(tx: ServerTransaction, rec: CallRecord): void {
    const req = tx.request;
    if (!this.dialogs.takeOffer(tx, rec)) return;
    const body = splitSiprecBody(req);
    if ('status' in body) {
      if (body.counter) this.counters[body.counter]++;
      return this.reply(tx, body.status, body.reason, { toTag: rec.localTag, headers: body.headers });
    }
    if (!body.sdp) {
      // Offerless re-INVITE (session refresh): our current SDP becomes the offer; the answer in the ACK is ignored.
      return this.dialogs.replyWithAnswer(tx, rec);
    }
    const parsed = parseSdp(body.sdp);
    if (!parsed.ok) {
      this.counters['sdp.malformed']++;
      return this.reply(tx, 400, 'Bad Request (malformed SDP)', { toTag: rec.localTag });
    }
    const decisions = negotiateOffer(parsed.sdp);
    const held: LegMedia = {
      payloadType: -1,
      codec: 'PCMU',
      skipPayloadTypes: [],
      expectedAddress: null,
      onHold: true,
    };
    // Each leg applies its line (a codec change makes a new decoder first); the answer waits for all of them.
    const updates: Array<Promise<void>> = [];
    for (let i = 0; i < Math.max(decisions.length, rec.lineToLeg.length); i++) {
      const leg = rec.lineToLeg[i] ?? -1;
      if (leg === -1) continue;
      const d = decisions[i];
      // A line now refused (port 0, unsupported codec) is treated as on hold rather than torn down; m-lines may not
      // be removed in a re-offer, so missing lines keep their receiver but go quiet.
      updates.push(rec.receivers[leg].updateMedia(d?.accepted ? legMediaOf(d) : held));
    }
    void Promise.allSettled(updates).then(() => {
      if (rec.state === 'ended') return this.reply(tx, 481, 'Call/Transaction Does Not Exist');
      rec.sdpVersion++;
      rec.lastActivityAt = Date.now();
      this.dialogs.answer(
        rec,
        parsed.sdp,
        decisions,
        rec.receivers.map((r) => r.localPort),
      );
      this.dialogs.replyWithAnswer(tx, rec);
    });
  }

  // ---- call end ----------------------------------------------------------------------------------------------

  private sweep(): void {
    const now = Date.now();
    for (const rec of this.calls.values()) {
      if (rec.state !== 'answered' && rec.state !== 'confirmed') continue;
      let active = false;
      let heard = false;
      for (const r of rec.receivers) {
        if (r.onHold) continue;
        active = true;
        if (r.takeActivity() > 0) heard = true;
      }
      // A call entirely on hold does not time out: the SBC said there is nothing to send.
      if (!active || heard) {
        rec.lastActivityAt = now;
        continue;
      }
      if (now - rec.lastActivityAt >= this.opts.rtpTimeoutMs) {
        this.counters['rtp.timeout']++;
        this.log?.info({ callId: rec.callId }, 'RTP inactivity timeout');
        void this.endCall(rec, 'rtp-timeout', true);
      }
    }
  }

  private async endCall(rec: CallRecord, reason: CallEndReason, sendBye: boolean): Promise<void> {
    if (rec.state === 'ended') return;
    rec.state = 'ended';
    this.calls.delete(rec.callId);
    const closing = rec.receivers.map((r) => r.close());
    if (sendBye) this.dialogs.sendBye(rec);
    this.counters['call.ended']++;
    // Each leg's close plays its jitter buffer out into the output (on the I/O thread, if there is one) before the
    // handler hears of the end, so the call's last audio is in its rings when its analysis is finished.
    await Promise.all(closing);
    try {
      this.handler.onCallEnd(rec.callId, reason);
    } catch (err) {
      this.log?.error({ err, callId: rec.callId }, 'onCallEnd threw');
    }
    this.log?.info({ callId: rec.callId, reason }, 'recording session ended');
  }
}

function legMediaOf(d: Extract<MediaDecision, { accepted: true }>): LegMedia {
  return {
    payloadType: d.payloadType,
    codec: d.codec,
    ...(d.amr ? { amr: d.amr } : {}),
    skipPayloadTypes: d.skipPayloadTypes,
    expectedAddress: normalizeAddress(d.remote.address),
    onHold: d.onHold,
  };
}

/** Handler-supplied reason phrases go on the wire: keep them to one printable line. */
function sanitizeReason(reason: string): string {
  const r = reason
    .replace(/[^\x20-\x7e]/g, ' ')
    .trim()
    .slice(0, 100);
  return r || 'Rejected';
}
