import { createSiprecServer, type SiprecCallInfo, type SiprecServer } from '../ingest/siprec-server.js';
import type { CallguardConfig } from '../config/config-schema.js';
import type { Logger } from '../logger.js';
import { SupervisorError, type Supervisor } from '../supervisor.js';
import type { CallCapture, DebugCapture } from './debug-capture.js';
import type { LegSink } from '../ingest/siprec-server.js';

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
  /** The sinks ingest writes each analysed call's legs into, kept so a capture can be spliced in while the call runs. */
  private readonly sinks = new Map<
    string,
    { sinks: LegSink[]; writes: Array<LegSink['write']>; roles: string[]; capture: CallCapture | null }
  >();

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
          if (!this.supervisor.listCalls().some((c) => c.callId === callId)) this.meta.delete(callId);
          this.sinks.get(callId)?.capture?.close(`call ended (${reason})`);
          this.sinks.delete(callId);
          this.supervisor.endCall(callId, reason);
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
      // Answered so the SBC does not retry or fail the subscriber's call, but no actor and no alert: audio is discarded.
      this.skipped[verdict.reason] = (this.skipped[verdict.reason] ?? 0) + 1;
      this.log.debug({ callId: info.callId, reason: verdict.reason }, 'SIPREC call answered, not analysed');
      return { sinks: info.legs.map(() => ({ write: () => {} })) };
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
      // Ingest reuses its PCM buffer, so copy it in: ring.push copies, nothing is kept.
      const sinks: LegSink[] = info.legs.map((_, i) => ({
        write: (pcm: Int16Array, offset: number, length: number) => void call.write(i, pcm, offset, length),
      }));
      this.sinks.set(info.callId, {
        sinks,
        writes: sinks.map((k) => k.write),
        roles: info.legs.map((l) => l.role),
        capture: null,
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
      return { sinks };
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
    const entry = this.sinks.get(callId);
    if (!entry) return;
    this.skipped[reason] = (this.skipped[reason] ?? 0) + 1;
    for (const sink of entry.sinks) sink.write = () => {};
    entry.writes = entry.sinks.map(() => () => {});
    entry.capture?.close('call not analysed');
    entry.capture = null;
    this.supervisor.endCall(callId, `not analysed: ${reason}`);
    this.log.debug({ callId, reason }, 'SIPREC call answered, not analysed');
  }

  /**
   * Starts writing a running call's legs to WAV (debug capture). Ingest calls each leg's sink object, so replacing
   * its `write` tees the audio without a check on the path of calls that are not captured. Returns the file paths,
   * or null when the call is not running here; throws when capture is not available or the size limit is reached.
   */
  startCapture(callId: string): string[] | null {
    const entry = this.sinks.get(callId);
    if (!entry) return null;
    if (entry.capture) return entry.capture.paths;
    if (!this.capture) throw new Error('debug capture is not available');
    const cap = this.capture.open(
      callId,
      entry.roles.map((role) => ({ role })),
    );
    entry.capture = cap;
    entry.sinks.forEach((sink, i) => {
      const analyse = entry.writes[i];
      sink.write = (pcm, offset, length) => {
        analyse(pcm, offset, length);
        cap.write(i, pcm, offset, length);
      };
    });
    return cap.paths;
  }

  /** Stops a call's capture (the files stay, under retention). False when the call is not running or not captured. */
  stopCapture(callId: string): boolean {
    const entry = this.sinks.get(callId);
    if (!entry?.capture) return false;
    entry.sinks.forEach((sink, i) => (sink.write = entry.writes[i]));
    entry.capture.close('stopped by the admin API');
    entry.capture = null;
    return true;
  }
}
