import type { AlertService } from '../../smpp/index.js';
import type { SiprecServer } from '../ingest/siprec-server.js';
import type { Supervisor } from '../supervisor.js';
import { maskNumber } from './number-mask.js';
import type { RecentAlerts } from './recent-alerts.js';

export interface ConsoleSources {
  readonly config: { engine: { maxCalls: number }; pool: { threads: number }; subscribers: { enforce: boolean } };
  readonly supervisor: Supervisor;
  readonly siprec: {
    readonly server: SiprecServer;
    readonly draining: boolean;
    readonly meta: Map<string, { direction: string; legs?: Array<{ codec: string; sampleRate: number }> }>;
  };
  readonly alerts: { readonly service: AlertService | null; readonly simulator: unknown };
  readonly recentAlerts: RecentAlerts;
}

const r3 = (v: number) => Math.round(v * 1000) / 1000;
const mask = (n: string | null | undefined) => (n ? maskNumber(n) : null);

/**
 * What the operator console shows, in one read-only snapshot: capacity, the SMPP link, active calls with their live
 * risk, and the recent alerts with their delivery state. Numbers are masked even here: the console never needs them.
 */
export async function consoleState(src: ConsoleSources) {
  const calls = src.supervisor.listCalls();
  const sip = src.siprec.server.stats();
  const sms = src.alerts.service?.status() ?? null;
  const workers = await src.supervisor.describeWorkers();
  let maxLag = 0;
  for (const c of calls) maxLag = Math.max(maxLag, c.lagSeconds);
  return {
    now: new Date().toISOString(),
    capacity: {
      activeCalls: calls.length,
      maxCalls: src.config.engine.maxCalls,
      sipCalls: sip.activeCalls,
      rtpPorts: sip.rtpPorts,
      workers: workers.length,
      threads: src.config.pool.threads,
      maxLagSeconds: r3(maxLag),
      draining: src.siprec.draining,
      enforce: src.config.subscribers.enforce,
    },
    smpp: sms
      ? {
          state: sms.state,
          simulator: !!src.alerts.simulator,
          binds: sms.binds.map((b) => ({
            name: b.name,
            state: b.state,
            inFlight: b.inFlight,
            window: b.window,
            lastError: b.lastError ?? null,
          })),
          window: sms.window,
          outbox: sms.outbox,
        }
      : null,
    calls: calls.map((c) => {
      const sub = c.subscriberLeg !== null ? c.legs[c.subscriberLeg] : undefined;
      return {
        callId: c.callId,
        startedAt: c.startedAt,
        direction: src.siprec.meta.get(c.callId)?.direction ?? null,
        /** Each leg's codec and rate as the SBC negotiated them, e.g. "AMR-WB 16k / PCMA 8k". */
        codecs:
          src.siprec.meta
            .get(c.callId)
            ?.legs?.map((l) => `${l.codec} ${l.sampleRate / 1000}k`)
            .join(' / ') ?? null,
        subscriber: mask(sub?.number),
        risk: c.risk === null ? null : r3(c.risk),
        /** Spoken intents heard (names only), distinct, in the order first heard. */
        intents: [...new Set(c.intents.map((i) => i.intent))],
        /** Keyword classes the spotter heard (names only), in the order first heard. */
        keywords: c.keywords.map((k) => k.keyword),
        lagSeconds: r3(c.lagSeconds),
        seconds: r3(Math.max(0, ...c.legs.map((l) => l.processedSeconds))),
        alerts: c.alerts.length,
        state: c.state,
      };
    }),
    alerts: src.recentAlerts.list().map((a) => {
      const rec = src.alerts.service?.getAlert(a.alertId);
      return {
        alertId: a.alertId,
        callId: a.callId,
        at: a.at,
        level: a.level,
        risk: r3(a.risk),
        to: mask(a.to),
        explanation: a.explanation,
        delivery:
          a.accepted === false
            ? `not sent: ${a.reason ?? 'refused'}`
            : (rec?.state ?? (a.accepted === null ? 'pending' : 'unknown')),
      };
    }),
  };
}
