import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { performance } from 'node:perf_hooks';
import type { CallKind, PlannedCall } from './call-plan.js';
import { summarize, type LatencySummary } from './latency-histogram.js';
import { packetsFor, RtpLegStream } from './rtp-leg-stream.js';
import { RtpPacer } from './rtp-pacer.js';
import { SipClientTransactions } from './sip-client-transactions.js';
import { answerMedia, buildResponseTo, header, tagOf, uriOf, type SipLiteMessage } from './sip-lite.js';
import { MULTIPART_BOUNDARY, siprecOfferBody } from './siprec-offer.js';

/**
 * The load generator: plays an operator SBC forking calls to a SIPREC recording server. For each planned call, at its
 * arrival time: two RTP sockets, a multipart INVITE (SDP + rs-metadata), ACK to the 200, both legs at real-time pace
 * (one shared 20 ms pacer), then BYE. UDP, loopback only, bounded by the plan and a hard deadline: it always stops.
 *
 * Lifecycle: new CallGenerator(opts) -> start() -> await done (or stop()) -> GeneratorResult.
 */

export interface CallGeneratorOptions {
  /** SIPREC server to call; must be a loopback address. */
  target: { host: string; port: number };
  calls: readonly PlannedCall[];
  /** RFC 3261 T1 for INVITE/BYE retransmissions (default 500 ms). */
  t1Ms?: number;
  /** Hard bound on the whole run; default: last arrival + longest call + 60 s. */
  maxRunSeconds?: number;
  /** Called as calls change state (progress output, ramp control). */
  onCallEvent?(e: { call: CallResult; event: 'answered' | 'ended' }): void;
}

export type CallOutcome =
  'completed' | 'rejected' | 'invite-timeout' | 'bye-failed' | 'ended-by-server' | 'aborted' | 'socket-error';

/** What happened to one call; times are epoch milliseconds (0 when the step never happened). */
export interface CallResult {
  index: number;
  callId: string;
  kind: CallKind;
  codec: 'PCMU' | 'PCMA';
  callerNumber: string;
  calleeNumber: string;
  durationSeconds: number;
  /** Seconds of media time where scam-like audio starts, null on calm calls. */
  scamStartSeconds: number | null;
  outcome: CallOutcome | 'pending';
  /** Final INVITE status (0: none), and the BYE's. */
  inviteStatus: number;
  byeStatus: number;
  inviteSentAt: number;
  answeredAt: number;
  /** When packet 0 of both legs was due: media time zero, the reference for scam-like audio and alert latency. */
  mediaStartAt: number;
  mediaEndAt: number;
  endedAt: number;
  packetsSent: [number, number];
  plannedPackets: [number, number];
}

export interface GeneratorResult {
  calls: CallResult[];
  summary: GeneratorSummary;
}

export interface GeneratorSummary {
  attempted: number;
  answered: number;
  completed: number;
  failed: number;
  failures: Record<string, number>;
  /** INVITE sent to 200 received. */
  setupMs: LatencySummary;
  maxConcurrentMedia: number;
  sip: { requests: number; retransmissions: number; timeouts: number; unparseable: number; serverByes: number };
  rtp: {
    packetsSent: number;
    /** Per packet: send time minus due time. p99 of a few ms means the generator kept real time. */
    sendLag: LatencySummary;
    /** Share of packets sent more than 10 ms late. */
    lateOver10Ms: number;
    /** Per 20 ms tick: time spent sending. */
    tickWork: LatencySummary;
    copiedSends: number;
    sendErrors: number;
    deferredPackets: number;
  };
  /** The generator process's own CPU over the run (user+system), % of one core. */
  cpuPercent: number;
  wallSeconds: number;
}

interface CallState {
  plan: PlannedCall;
  result: CallResult;
  sockets: dgram.Socket[];
  legs: RtpLegStream[];
  legsDone: number;
  fromTag: string;
  toTag: string;
  remoteTarget: string;
  /**
   * Route headers of in-dialog requests: the 200's Record-Route, reversed (RFC 3261 12.1.2), so a proxy stays on the
   * path.
   */
  routeSet: string[];
  inviteBranch: string;
  ack: Buffer | null;
  cseq: number;
  phase: 'waiting' | 'inviting' | 'media' | 'ending' | 'done';
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

export class CallGenerator {
  readonly done: Promise<GeneratorResult>;
  private resolveDone!: (r: GeneratorResult) => void;
  private readonly states: CallState[];
  private readonly byCallId = new Map<string, CallState>();
  private readonly pacer = new RtpPacer();
  private sipSocket: dgram.Socket | null = null;
  private tx: SipClientTransactions | null = null;
  private localPort = 0;
  private timers: NodeJS.Timeout[] = [];
  private deadline: NodeJS.Timeout | null = null;
  private startedAt = 0;
  private cpuStart: NodeJS.CpuUsage | null = null;
  private finished = 0;
  private media = 0;
  private maxMedia = 0;
  private serverByes = 0;
  private closed = false;
  private readonly host = '127.0.0.1';

  constructor(private readonly opts: CallGeneratorOptions) {
    if (!isLoopback(opts.target.host))
      throw new RangeError(`load target must be a loopback address, got ${opts.target.host}`);
    this.done = new Promise((r) => (this.resolveDone = r));
    this.states = opts.calls.map((plan) => ({
      plan,
      result: {
        index: plan.index,
        callId: plan.callId,
        kind: plan.kind,
        codec: plan.codec,
        callerNumber: plan.callerNumber,
        calleeNumber: plan.calleeNumber,
        durationSeconds: plan.durationSeconds,
        scamStartSeconds: plan.scamStartSeconds,
        outcome: 'pending',
        inviteStatus: 0,
        byeStatus: 0,
        inviteSentAt: 0,
        answeredAt: 0,
        mediaStartAt: 0,
        mediaEndAt: 0,
        endedAt: 0,
        packetsSent: [0, 0],
        plannedPackets: [packetsFor(plan.durationSeconds), packetsFor(plan.durationSeconds)],
      },
      sockets: [],
      legs: [],
      legsDone: 0,
      fromTag: randomBytes(5).toString('hex'),
      toTag: '',
      routeSet: [],
      remoteTarget: '',
      inviteBranch: '',
      ack: null,
      cseq: 1,
      phase: 'waiting',
    }));
    for (const s of this.states) this.byCallId.set(s.plan.callId, s);
  }

  /** Calls with media flowing now. */
  get mediaCalls(): number {
    return this.media;
  }

  get pacerStats(): RtpPacer['stats'] {
    return this.pacer.stats;
  }

  async start(): Promise<void> {
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((res, rej) => {
      sock.once('error', rej);
      sock.bind(0, this.host, () => {
        sock.off('error', rej);
        res();
      });
    });
    sock.on('error', () => {}); // ICMP port unreachable on loopback shows up here; counted as timeouts instead
    this.sipSocket = sock;
    this.localPort = sock.address().port;
    this.tx = new SipClientTransactions(sock, this.opts.target, this.opts.t1Ms ?? 500, (m, from) =>
      this.onOther(m, from),
    );
    this.startedAt = Date.now();
    this.cpuStart = process.cpuUsage();
    this.pacer.start();
    const lastStart = this.states.reduce((m, s) => Math.max(m, s.plan.startOffsetMs), 0);
    const longest = this.states.reduce((m, s) => Math.max(m, s.plan.durationSeconds), 0);
    const bound = this.opts.maxRunSeconds ?? lastStart / 1000 + longest + 60;
    this.deadline = setTimeout(() => this.abortAll(), bound * 1000);
    for (const s of this.states) this.timers.push(setTimeout(() => void this.invite(s), s.plan.startOffsetMs));
    if (this.states.length === 0) this.finish();
  }

  /** Ends the run now: calls in progress are torn down (BYE sent, not awaited) and marked 'aborted'. */
  async stop(): Promise<GeneratorResult> {
    this.abortAll();
    return this.done;
  }

  // ---- per call ------------------------------------------------------------------------------------------------

  private async invite(s: CallState): Promise<void> {
    if (this.closed) return;
    s.phase = 'inviting';
    try {
      for (let i = 0; i < 2; i++) {
        const sock = dgram.createSocket('udp4');
        s.sockets.push(sock);
        await new Promise<void>((res, rej) => {
          sock.once('error', rej);
          sock.bind(0, this.host, () => {
            sock.off('error', rej);
            res();
          });
        });
      }
    } catch {
      return this.end(s, 'socket-error');
    }
    if (this.closed || s.phase !== 'inviting') return;
    const ports = [s.sockets[0].address().port, s.sockets[1].address().port] as const;
    const body = siprecOfferBody({
      sessionId: `cg${s.plan.index}x${s.fromTag}`,
      address: this.host,
      ports,
      codec: s.plan.codec,
      callerNumber: s.plan.callerNumber,
      calleeNumber: s.plan.calleeNumber,
    });
    s.inviteBranch = newBranch();
    const data = this.request(
      'INVITE',
      s,
      `sip:srs@${this.targetHostPort()}`,
      s.inviteBranch,
      1,
      [
        'Require: siprec',
        `Contact: <sip:sbc@${this.host}:${this.localPort}>;+sip.src`,
        `Content-Type: multipart/mixed;boundary=${MULTIPART_BOUNDARY}`,
      ],
      body,
    );
    s.result.inviteSentAt = Date.now();
    this.tx!.send(s.inviteBranch, data, true, {
      onFinal: (m) => this.onInviteFinal(s, m),
      onTimeout: () => this.end(s, 'invite-timeout'),
    });
  }

  private onInviteFinal(s: CallState, m: SipLiteMessage): void {
    s.result.inviteStatus = m.status;
    s.toTag = tagOf(header(m, 'to'));
    if (m.status >= 300) {
      // Non-2xx ACK belongs to the INVITE transaction: same branch, To with the response's tag (RFC 3261 17.1.1.3).
      this.tx!.sendRaw(
        this.request('ACK', s, `sip:srs@${this.targetHostPort()}`, s.inviteBranch, 1, [], '', header(m, 'to')),
      );
      return this.end(s, 'rejected');
    }
    if (s.phase !== 'inviting') return;
    s.result.answeredAt = Date.now();
    s.remoteTarget = uriOf(header(m, 'contact')) || `sip:srs@${this.targetHostPort()}`;
    s.routeSet = (m.headers.get('record-route') ?? [])
      .flatMap((v) => v.split(/,(?=\s*<)/).map((r) => r.trim()))
      .reverse();
    s.ack = this.request('ACK', s, s.remoteTarget, newBranch(), 1, [], '', header(m, 'to'));
    this.tx!.sendRaw(s.ack);
    const answer = answerMedia(m.body);
    const address = answer.address && answer.address !== '0.0.0.0' ? answer.address : this.opts.target.host;
    if (answer.ports.length < 2 || !answer.ports[0] || !answer.ports[1] || !isLoopback(address)) {
      this.opts.onCallEvent?.({ call: s.result, event: 'answered' });
      return this.hangUp(s, 'rejected');
    }
    s.phase = 'media';
    this.media++;
    if (this.media > this.maxMedia) this.maxMedia = this.media;
    const pt = s.plan.codec === 'PCMA' ? 8 : 0;
    let connected = 0;
    for (let i = 0; i < 2; i++) {
      s.sockets[i].connect(answer.ports[i], address, () => {
        if (++connected < 2 || s.phase !== 'media') return;
        for (let k = 0; k < 2; k++) {
          const leg = new RtpLegStream(
            s.sockets[k],
            s.plan.legs[k].clips,
            pt,
            randomBytes(4).readUInt32BE(0),
            s.plan.durationSeconds,
            Math.random,
          );
          s.legs.push(leg);
          this.pacer.add(leg, () => {
            if (++s.legsDone === 2) this.hangUp(s, 'completed');
          });
        }
        s.result.mediaStartAt = Math.round(performance.timeOrigin + s.legs[0].startAt);
        this.opts.onCallEvent?.({ call: s.result, event: 'answered' });
      });
    }
  }

  /** Sends BYE and ends the call with `outcome` once it is answered (or times out). */
  private hangUp(s: CallState, outcome: CallOutcome): void {
    if (s.phase === 'ending' || s.phase === 'done') return;
    this.stopMedia(s);
    s.phase = 'ending';
    const branch = newBranch();
    const data = this.request('BYE', s, s.remoteTarget, branch, ++s.cseq, [], '', undefined);
    this.tx!.send(branch, data, false, {
      onFinal: (m) => {
        s.result.byeStatus = m.status;
        this.end(s, m.status < 300 ? outcome : 'bye-failed');
      },
      onTimeout: () => this.end(s, 'bye-failed'),
    });
  }

  private stopMedia(s: CallState): void {
    if (s.phase === 'media') {
      this.media--;
      s.result.mediaEndAt = Date.now();
    }
    for (const l of s.legs) this.pacer.remove(l);
    s.result.packetsSent = [s.legs[0]?.packetsSent ?? 0, s.legs[1]?.packetsSent ?? 0];
  }

  private end(s: CallState, outcome: CallOutcome): void {
    if (s.phase === 'done') return;
    this.stopMedia(s);
    s.phase = 'done';
    s.result.outcome = outcome;
    s.result.endedAt = Date.now();
    for (const sock of s.sockets) sock.close();
    s.sockets = [];
    this.opts.onCallEvent?.({ call: s.result, event: 'ended' });
    if (++this.finished === this.states.length) this.finish();
  }

  /** Requests from the SRS (BYE on RTP timeout or shutdown, OPTIONS) and 2xx retransmissions to re-ACK. */
  private onOther(m: SipLiteMessage, from: { address: string; port: number }): void {
    const s = this.byCallId.get(header(m, 'call-id'));
    if (m.kind === 'response') {
      if (s && s.ack && m.method === 'INVITE' && m.status >= 200 && m.status < 300) this.tx!.sendRaw(s.ack);
      return;
    }
    if (m.method === 'ACK') return;
    if (m.method === 'OPTIONS') return this.tx!.sendRaw(buildResponseTo(m, 200, 'OK'), from);
    if (m.method !== 'BYE') return this.tx!.sendRaw(buildResponseTo(m, 501, 'Not Implemented'), from);
    if (!s || s.phase === 'done')
      return this.tx!.sendRaw(buildResponseTo(m, 481, 'Call/Transaction Does Not Exist'), from);
    this.tx!.sendRaw(buildResponseTo(m, 200, 'OK'), from);
    // A BYE crossing ours (phase 'ending') changes nothing: our BYE's answer ends the call.
    if (s.phase === 'ending') return;
    this.serverByes++;
    this.end(s, 'ended-by-server');
  }

  private abortAll(): void {
    if (this.closed) return;
    for (const t of this.timers) clearTimeout(t);
    for (const s of this.states) {
      if (s.phase === 'done') continue;
      if (s.phase === 'media' && s.remoteTarget) {
        // Best effort: tell the server the call is over, without waiting for the answer.
        this.tx!.sendRaw(this.request('BYE', s, s.remoteTarget, newBranch(), ++s.cseq, [], '', undefined));
      }
      this.end(s, 'aborted');
    }
    this.finish();
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    if (this.deadline) clearTimeout(this.deadline);
    this.pacer.stop();
    this.tx?.close();
    this.sipSocket?.close();
    this.resolveDone({ calls: this.states.map((s) => s.result), summary: this.summary() });
  }

  private summary(): GeneratorSummary {
    const results = this.states.map((s) => s.result);
    const failures: Record<string, number> = {};
    for (const r of results) if (r.outcome !== 'completed') failures[r.outcome] = (failures[r.outcome] ?? 0) + 1;
    const cpu = process.cpuUsage(this.cpuStart ?? undefined);
    const wall = (Date.now() - this.startedAt) / 1000;
    const p = this.pacer.stats;
    let copied = 0;
    let errors = 0;
    for (const s of this.states)
      for (const l of s.legs) {
        copied += l.copiedSends;
        errors += l.sendErrors;
      }
    return {
      attempted: results.filter((r) => r.inviteSentAt > 0).length,
      answered: results.filter((r) => r.answeredAt > 0).length,
      completed: results.filter((r) => r.outcome === 'completed').length,
      failed: results.filter((r) => r.outcome !== 'completed').length,
      failures,
      setupMs: summarize(results.filter((r) => r.answeredAt > 0).map((r) => r.answeredAt - r.inviteSentAt)),
      maxConcurrentMedia: this.maxMedia,
      sip: {
        requests: this.tx?.stats.sent ?? 0,
        retransmissions: this.tx?.stats.retransmissions ?? 0,
        timeouts: this.tx?.stats.timeouts ?? 0,
        unparseable: this.tx?.stats.unparseable ?? 0,
        serverByes: this.serverByes,
      },
      rtp: {
        packetsSent: p.packetsSent,
        sendLag: p.sendLag.summary(),
        lateOver10Ms: p.sendLag.fractionAbove(10),
        tickWork: p.tickWork.summary(),
        copiedSends: copied,
        sendErrors: errors,
        deferredPackets: p.deferredPackets,
      },
      cpuPercent: wall > 0 ? Math.round(((cpu.user + cpu.system) / 1000 / (wall * 1000)) * 1000) / 10 : 0,
      wallSeconds: Math.round(wall * 10) / 10,
    };
  }

  // ---- SIP text ------------------------------------------------------------------------------------------------

  private targetHostPort(): string {
    const h = this.opts.target.host.includes(':') ? `[${this.opts.target.host}]` : this.opts.target.host;
    return `${h}:${this.opts.target.port}`;
  }

  private request(
    method: string,
    s: CallState,
    uri: string,
    branch: string,
    cseq: number,
    extra: string[],
    body: string,
    toOverride?: string,
  ): Buffer {
    const bodyBuf = Buffer.from(body, 'utf8');
    const to = toOverride ?? `<sip:srs@${this.targetHostPort()}>${s.toTag ? `;tag=${s.toTag}` : ''}`;
    const lines = [
      `${method} ${uri} SIP/2.0`,
      `Via: SIP/2.0/UDP ${this.host}:${this.localPort};branch=${branch};rport`,
      'Max-Forwards: 70',
      `From: <sip:sbc@${this.host}:${this.localPort}>;tag=${s.fromTag}`,
      `To: ${to}`,
      `Call-ID: ${s.plan.callId}`,
      `CSeq: ${cseq} ${method}`,
      'User-Agent: callguard-load',
      // In-dialog requests (they carry the To tag) follow the route set; requests still go to the target's socket.
      ...(s.toTag && method !== 'INVITE' ? s.routeSet.map((r) => `Route: ${r}`) : []),
      ...extra,
      `Content-Length: ${bodyBuf.length}`,
      '',
      '',
    ];
    return Buffer.concat([Buffer.from(lines.join('\r\n'), 'latin1'), bodyBuf]);
  }
}

/** Runs a plan to the end and returns what happened. */
export async function runCalls(opts: CallGeneratorOptions): Promise<GeneratorResult> {
  const g = new CallGenerator(opts);
  await g.start();
  return g.done;
}

function newBranch(): string {
  return `z9hG4bK-cg${randomBytes(6).toString('hex')}`;
}
