import { AlertDelivery } from './alerts/alert-delivery.js';
import { SiprecBridge } from './calls/siprec-bridge.js';
import type { CallguardConfig } from './config/config-schema.js';
import { redactConfig } from './config/load-config.js';
import { HttpApi } from './http/http-api.js';
import type { Logger } from './logger.js';
import { resolveModelSettings } from './model-settings.js';
import { Supervisor, type CallInfo } from './supervisor.js';
import type { AlertEvent } from '../actors/actor-events.js';

/**
 * The long-running engine: owns every component and their lifecycle — start in dependency order (pool, SMS delivery,
 * HTTP, then SIPREC last so no call arrives before the rest is ready), close in reverse.
 */
export class Engine {
  readonly supervisor: Supervisor;
  readonly alerts: AlertDelivery;
  readonly siprec: SiprecBridge;
  readonly http: HttpApi;
  private started = false;

  constructor(readonly config: CallguardConfig, readonly log: Logger) {
    this.supervisor = new Supervisor(config, log.child({ component: 'supervisor' }), resolveModelSettings(config));
    this.supervisor.on('alert', (callId: string, ev: AlertEvent, info: CallInfo) => void this.deliverAlert(callId, ev, info));
    this.alerts = new AlertDelivery(config, log);
    this.siprec = new SiprecBridge(config, this.supervisor, log.child({ component: 'siprec' }));
    this.http = new HttpApi(config.http.host, config.http.port, log.child({ component: 'http' }));
    this.routes();
  }

  private routes(): void {
    this.http.get('/healthz', () => ({ status: 'ok' }));
    this.http.get('/calls', () => ({ calls: this.callsView() }));
  }

  /** Hand a policy alert to the SMS outbox, addressed to the protected subscriber's number. */
  private async deliverAlert(callId: string, ev: AlertEvent, info: CallInfo): Promise<void> {
    const leg = info.subscriberLeg !== null ? info.legs[info.subscriberLeg] : undefined;
    const to = leg?.number;
    const log = this.log.child({ component: 'alerts', callId });
    if (!to) {
      log.error({ level: ev.level, risk: ev.risk }, 'scam alert raised but the subscriber has no number in the SIPREC metadata: not sent');
      return;
    }
    const service = this.alerts.service;
    if (!service) {
      log.error({ level: ev.level }, 'scam alert raised while SMS delivery is not running');
      return;
    }
    const res = await service.enqueue({ alertId: `${callId}#${ev.level}`, callId, to, explanation: ev.explanation, actions: ev.actions });
    log.info({ level: ev.level, risk: Math.round(ev.risk * 1000) / 1000, accepted: res.accepted, reason: res.reason, explanation: ev.explanation }, 'scam alert');
  }

  /** Active calls as the API shows them: audio progress per leg from the supervisor, SIP facts and RTP loss from ingest. */
  callsView() {
    const media = new Map(this.siprec.server.activeCalls().map((c) => [c.callId, c]));
    return this.supervisor.listCalls().map((c) => {
      const m = media.get(c.callId);
      const meta = this.siprec.meta.get(c.callId);
      return {
        callId: c.callId,
        state: c.state,
        source: c.source,
        startedAt: c.startedAt,
        direction: meta?.direction ?? null,
        subscriberLeg: c.subscriberLeg,
        lagSeconds: round(c.lagSeconds),
        restarts: c.restarts,
        risk: c.risk === null ? null : round(c.risk),
        alerts: c.alerts.map((a) => ({ level: a.level, t: round(a.t), risk: round(a.risk), explanation: a.explanation })),
        legs: c.legs.map((l, i) => ({
          label: l.label ?? null,
          role: l.role ?? null,
          number: l.number ?? null,
          codec: meta?.legs[i]?.codec ?? null,
          secondsReceived: round(l.receivedSeconds),
          secondsAnalysed: round(l.processedSeconds),
          packetsReceived: m?.legs[i]?.packetsReceived ?? null,
          packetsLost: m?.legs[i]?.packetsLost ?? null,
          overrunSamples: l.overrunSamples,
          windows: l.windows,
        })),
      };
    });
  }

  async start(): Promise<void> {
    this.log.info({ config: redactConfig(this.config) }, 'callguard starting');
    await this.supervisor.start();
    await this.alerts.start();
    await this.http.start();
    await this.siprec.server.start();
    const sip = this.siprec.server.address();
    this.log.info({ sip: `${sip.host}:${sip.port}`, transports: this.config.sip.transports, http: this.http.address(), smsc: this.alerts.simulator ? 'bundled simulator' : 'configured' }, 'callguard ready');
    this.started = true;
  }

  async close(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    await this.siprec.server.close();
    await this.http.close();
    await this.supervisor.close();
    await this.alerts.close();
    this.log.info('callguard stopped');
  }
}

const round = (v: number) => Math.round(v * 1000) / 1000;
