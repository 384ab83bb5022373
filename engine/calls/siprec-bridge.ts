import { availableParallelism } from 'node:os';
import { autoIoThreads } from '../ingest/rtp-io/rtp-io-host.js';
import { createSiprecServer, type SiprecCallInfo, type SiprecServer } from '../ingest/siprec-server.js';
import type { CallguardConfig } from '../config/config-schema.js';
import type { Logger } from '../logger.js';
import { SupervisorError, type Supervisor } from '../supervisor.js';
import type { CallCapture, DebugCapture } from './debug-capture.js';
import { RingBuffer } from 'ringbuf.js';
import type { CallHandle } from '../supervisor.js';

/** The enrolment gate's answer for one call. */
export type GateAnswer = { analyse: true } | { analyse: false; reason: string };

/** SIPREC numbers and roles of each call, kept for the API (the supervisor knows audio, not SIP). */
export interface SiprecCallMeta {
  direction: string;
  sbc: string;
  legs: Array<{ label: string | null; role: string; number: string | null; codec: string; sampleRate: number }>;
}

/**
 * Attaches the SIPREC recording server to the supervisor: each accepted INVITE becomes a call whose legs' RTP, decoded
 * by ingest, is written straight into the actor's rings; BYE, CANCEL or an RTP timeout ends it.
 */
export class SiprecBridge {
  readonly server: SiprecServer;
  readonly meta = new Map<string, SiprecCallMeta>();
  /** New INVITEs get 503 while draining (SIGTERM). */
  draining = false;
  /** Decides per call whether it is analysed (subscribers.enforce); a call it refuses is answered but not analysed. */
  gate: ((info: SiprecCallInfo) => GateAnswer | Promise<GateAnswer>) | null = null;
  /** Calls answered but not analysed, by the gate's reason. */
  readonly skipped: Record<string, number> = {};
  /** Debug audio capture (set by the engine); null: audio never reaches the disk. */
  capture: DebugCapture | null = null;
  /** Each analysed call: its supervisor handle, leg roles, and its running capture (tap rings drained here). */
  private readonly calls = new Map<
    string,
    { handle: CallHandle; roles: string[]; rates: number[]; capture: RunningCapture | null; release: () => void }
  >();
  private captureTimer: NodeJS.Timeout | null = null;

  constructor(
    cfg: CallguardConfig,
    private readonly supervisor: Supervisor,
    private readonly log: Logger,
  ) {
    supervisor.on('call-ended', (e: { callId: string }) => this.meta.delete(e.callId));
    this.server = createSiprecServer(
      {
        host: cfg.sip.host,
        port: cfg.sip.port,
        transports: cfg.sip.transports,
        allow: cfg.sip.allow,
        advertisedAddress: cfg.sip.advertisedAddress || undefined,
        rtpPortMin: cfg.rtp.portMin,
        rtpPortMax: cfg.rtp.portMax,
        rtpTimeoutMs: Math.round(cfg.rtp.timeoutSeconds * 1000),
        recvBufferSize: cfg.rtp.recvBufferBytes || undefined,
        ioThreads: cfg.rtp.ioThreads === 'auto' ? autoIoThreads(availableParallelism()) : cfg.rtp.ioThreads,
        protectedLeg: cfg.sip.protectedLeg,
        countryCode: cfg.sip.countryCode || undefined,
        subscriberPrefixes: cfg.sip.subscriberPrefixes,
        maxCalls: cfg.engine.maxCalls,
        maxConnections: cfg.sip.maxConnections,
        maxConnectionsPerSource: cfg.sip.maxConnectionsPerSource,
        logger: log,
      },
      {
        onCallStart: (info) => this.start(info),
        // Kamailio's dispatcher probes with OPTIONS: a draining engine stays out of its rotation.
        onOptions: () => (this.draining ? { status: 503, reason: 'Service Unavailable (draining)' } : null),
        onCallEnd: (callId, reason) => {
          // The SIP facts (direction, codecs) stay until the supervisor has finished the call's audio: GET /calls
          // lists it until then. A call that never reached the supervisor has none.
          // (hasCall, not a listCalls() snapshot of every call: this runs once per call end.)
          if (!this.supervisor.hasCall(callId)) this.meta.delete(callId);
          const entry = this.calls.get(callId);
          if (entry?.capture) this.finishCapture(entry, `call ended (${reason})`);
          this.calls.delete(callId);
          this.supervisor.endCall(callId, reason);
          // Ingest has closed the legs: nothing writes the call's rings any more, they may be reused once it ends.
          entry?.release();
        },
      },
    );
  }

  private start(info: SiprecCallInfo) {
    if (this.draining) return { reject: { status: 503, reason: 'Service Unavailable (draining)' } };
    const answer = this.gate?.(info);
    // A shared store answers later: the call is analysed meanwhile and stopped if the answer is no (see stopAnalysis).
    const later = answer instanceof Promise ? answer : null;
    const verdict = later ? undefined : (answer as GateAnswer | undefined);
    if (verdict && !verdict.analyse) {
      // Answered so the SBC does not retry or fail the subscriber's call, but no actor and no alert: audio is
      // discarded.
      this.skipped[verdict.reason] = (this.skipped[verdict.reason] ?? 0) + 1;
      this.log.debug({ callId: info.callId, reason: verdict.reason }, 'SIPREC call answered, not analysed');
      return { sinks: info.legs.map(() => null) };
    }
    try {
      const call = this.supervisor.createCall({
        callId: info.callId,
        source: 'siprec',
        // Each leg at its codec's rate (16 kHz for G.722, Opus, AMR-WB): the actor resamples for the model, and speech
        // recognition, fed from the same writes, gets the wideband signal.
        legs: info.legs.map((l) => ({
          sampleRate: l.sampleRate,
          label: l.label ?? undefined,
          role: l.role,
          number: l.number ?? undefined,
        })),
        subscriberLeg: info.protectedLeg >= 0 ? info.protectedLeg : undefined,
      });
      this.meta.set(info.callId, {
        direction: info.direction,
        sbc: `${info.sbc.transport}:${info.sbc.address}:${info.sbc.port}`,
        legs: info.legs.map((l) => ({
          label: l.label,
          role: l.role,
          number: l.number,
          codec: l.codec,
          sampleRate: l.sampleRate,
        })),
      });
      // Ingest (an RTP I/O thread, or this thread) writes each leg straight into the call's ring through its feed;
      // taps the supervisor installs (speech, capture) reach the thread that receives the leg.
      const callId = info.callId;
      const release = call.attachRemote({
        setTap: (leg, slot, ring) => void this.server.setLegTap(callId, leg, slot, ring),
      });
      this.calls.set(callId, {
        handle: call,
        roles: info.legs.map((l) => l.role),
        rates: info.legs.map((l) => l.sampleRate),
        capture: null,
        release,
      });
      if (this.capture?.wantsCall(info.legs.map((l) => l.number))) {
        try {
          this.startCapture(info.callId);
        } catch (err) {
          // A full capture area must not cost the subscriber their protection: the call is analysed uncaptured.
          this.log.warn({ callId: info.callId, err: (err as Error).message }, 'debug capture not started');
        }
      }
      if (later) {
        later.then(
          (v) => {
            if (!v.analyse) this.stopAnalysis(info.callId, v.reason);
          },
          (err: Error) =>
            this.log.error(
              { callId: info.callId, err: err.message },
              'subscriber check failed: the call stays analysed',
            ),
        );
      }
      return { sinks: [...call.feeds] };
    } catch (err) {
      const code = (err as SupervisorError).code;
      this.log.warn({ callId: info.callId, code }, 'SIPREC call refused by the supervisor');
      if (code === 'CG_TOO_MANY_CALLS') return { reject: { status: 503, reason: 'Service Unavailable (at capacity)' } };
      if (code === 'CG_DUPLICATE_CALL') return { reject: { status: 482, reason: 'Loop Detected' } };
      return { reject: { status: 500, reason: 'Server Internal Error' } };
    }
  }

  /**
   * The gate said no after the call started (a shared store answered): audio is discarded from now on and the actor
   * ends; the SIP dialog stays up (answered either way). Counted with the calls the gate refused at once.
   */
  private stopAnalysis(callId: string, reason: string): void {
    const entry = this.calls.get(callId);
    if (!entry) return;
    this.skipped[reason] = (this.skipped[reason] ?? 0) + 1;
    entry.handle.discard();
    if (entry.capture) this.finishCapture(entry, 'call not analysed');
    this.supervisor.endCall(callId, `not analysed: ${reason}`);
    this.log.debug({ callId, reason }, 'SIPREC call answered, not analysed');
  }

  /**
   * Starts writing a running call's legs to WAV (debug capture): a tap ring per leg, filled on the thread that
   * receives the leg and drained here every CAPTURE_DRAIN_MS. Returns the file paths, or null when the call is not
   * running here; throws when capture is not available or the size limit is reached.
   */
  startCapture(callId: string): string[] | null {
    const entry = this.calls.get(callId);
    if (!entry) return null;
    if (entry.capture) return entry.capture.cap.paths;
    if (!this.capture) throw new Error('debug capture is not available');
    const cap = this.capture.open(
      callId,
      entry.roles.map((role) => ({ role })),
    );
    const rings = entry.rates.map((rate) => RingBuffer.getStorageForCapacity(rate * CAPTURE_RING_SECONDS, Int16Array));
    entry.capture = { cap, rings: rings.map((r) => new RingBuffer(r, Int16Array)) };
    rings.forEach((ring, leg) => this.supervisor.setLegTap(callId, leg, 'capture', ring));
    this.captureTimer ??= setInterval(() => this.drainCaptures(), CAPTURE_DRAIN_MS).unref();
    return cap.paths;
  }

  /** Stops a call's capture (the files stay, under retention). False when the call is not running or not captured. */
  stopCapture(callId: string): boolean {
    const entry = this.calls.get(callId);
    if (!entry?.capture) return false;
    this.finishCapture(entry, 'stopped by the admin API');
    return true;
  }

  /** Stops the capture timer (engine stop). */
  close(): void {
    if (this.captureTimer) clearInterval(this.captureTimer);
    this.captureTimer = null;
  }

  private finishCapture(entry: { handle: CallHandle; capture: RunningCapture | null }, reason: string): void {
    const running = entry.capture!;
    entry.capture = null;
    running.rings.forEach((_, leg) => this.supervisor.setLegTap(entry.handle.callId, leg, 'capture', null));
    drainCapture(running);
    running.cap.close(reason);
  }

  private drainCaptures(): void {
    let any = false;
    for (const entry of this.calls.values()) {
      if (!entry.capture) continue;
      any = true;
      drainCapture(entry.capture);
    }
    if (!any && this.captureTimer) {
      clearInterval(this.captureTimer);
      this.captureTimer = null;
    }
  }
}

/** Seconds of audio a capture tap ring holds between drains (drained every CAPTURE_DRAIN_MS). */
const CAPTURE_RING_SECONDS = 4;
const CAPTURE_DRAIN_MS = 250;
const drainBuffer = new Int16Array(16000);

interface RunningCapture {
  cap: CallCapture;
  rings: RingBuffer[];
}

function drainCapture(c: RunningCapture): void {
  c.rings.forEach((ring, leg) => {
    for (let n = ring.pop(drainBuffer, drainBuffer.length); n > 0; n = ring.pop(drainBuffer, drainBuffer.length))
      c.cap.write(leg, drainBuffer, 0, n);
  });
}
