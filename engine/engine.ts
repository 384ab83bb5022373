import { AlertDelivery } from './alerts/alert-delivery.js';
import { HeldAlerts, type StoreWork } from './alerts/held-alerts.js';
import { DebugCapture } from './calls/debug-capture.js';
import { SiprecBridge } from './calls/siprec-bridge.js';
import { SpeechService, type CallSpeechStatus } from './speech/speech-service.js';
import type { CallguardConfig } from './config/config-schema.js';
import { redactConfig } from './config/load-config.js';
import { HttpApi, HttpError, RawResponse } from './http/http-api.js';
import { CONSOLE_CSP, CONSOLE_HTML, CONSOLE_JS } from './ops/console-page.js';
import type { AlertDeliveryState } from './ops/alert-records.js';
import { registerAlertRoutes } from './ops/alert-routes.js';
import { registerCaptureRoutes } from './ops/capture-routes.js';
import { consoleState } from './ops/console-state.js';
import { CallTimelines } from './ops/call-timelines.js';
import { EngineHistory } from './ops/engine-history.js';
import { uplotAsset } from './ops/console-assets.js';
import { bearerAuthorizer, resolveHttpToken } from './ops/http-token.js';
import { EngineMetrics } from './ops/metrics.js';
import { evaluateReadiness } from './ops/readiness.js';
import { RecentAlerts, type RecentAlert } from './ops/recent-alerts.js';
import { RetentionSweeper } from './ops/retention-sweeper.js';
import { registerSubscriberRoutes } from './ops/subscriber-routes.js';
import { normalizeE164 } from './ops/subscriber-store.js';
import { LmdbStore } from './store/lmdb-store.js';
import { openStore } from './store/open-store.js';
import {
  StoreUnavailableError,
  type AlertRecordRepository,
  type CallguardStore,
  type StoreHealth,
  type SubscriberRepository,
} from './store/store.js';
import type { Logger } from './logger.js';
import { resolveModelSettings } from './model-settings.js';
import { Supervisor, type CallInfo } from './supervisor.js';
import type { AlertEvent } from '../actors/actor-events.js';
import { normalizeMsisdn, type AlertServiceEvent } from '../smpp/index.js';
import { CallguardError } from '../common/errors.js';
import { CloserStack, type LifecycleState } from '../common/lifecycle.js';

export interface EngineOptions {
  /** The clock retention limits are measured against (tests move it instead of waiting). */
  now?: () => number;
}

const DAY_MS = 86_400_000;

/**
 * The long-running engine: owns every component and their lifecycle — start in dependency order (pool, SMS delivery,
 * HTTP, then SIPREC last so no call arrives before the rest is ready), close in reverse.
 */
export class Engine {
  readonly supervisor: Supervisor;
  /** Spoken-content recognition (bounded slots); disabled with a logged reason where PocketSphinx is missing. */
  readonly speech: SpeechService;
  readonly alerts: AlertDelivery;
  readonly siprec: SiprecBridge;
  readonly http: HttpApi;
  readonly metrics: EngineMetrics;
  /** The last alerts raised, for the operator console. */
  readonly recentAlerts = new RecentAlerts();
  /** Per-call risk and cue timelines for the console (active calls and the last ended ones). */
  readonly timelines: CallTimelines;
  /** The last hour of calls, alerts, verdict p99 and RTP loss, for the console's engine charts. */
  readonly history: EngineHistory;
  /**
   * Subscribers, alert records and (when shared) consent: lmdb under data.dir, or PostgreSQL when store.url is set.
   * Open while the engine runs.
   */
  store: CallguardStore | null = null;
  /** Store work (alert decisions, record writes) waiting for the store to answer again. */
  readonly held: HeldAlerts;
  /**
   * Store outages seen (up → down), and calls let through the enrolment gate unchecked because the store was down.
   */
  readonly storeCounters = { outages: 0, gateUnchecked: 0 };
  /** Alert decisions under way (they await the store): close() lets them reach the outbox before SMS delivery stops. */
  private readonly deciding = new Set<Promise<void>>();
  /** Debug audio capture (<data.dir>/captures), off for every call unless switched on. */
  capture: DebugCapture | null = null;
  /** Enforces retention.* at start-up and every retention.sweepMinutes. */
  retention: RetentionSweeper | null = null;
  private readonly now: () => number;
  /** Where the admin token came from (http.token, the data dir, or generated at this start). */
  tokenSource: 'config' | 'file' | 'generated' | null = null;
  private sipListening = false;
  /** Where the engine is in its lifecycle (common/lifecycle.ts). */
  state: LifecycleState = 'idle';
  private starting: Promise<void> | null = null;
  private stopping: Promise<void> | null = null;
  /** Undo steps of what start() has started, unwound newest first by a failed start and by close(). */
  private readonly closers = new CloserStack();

  constructor(
    readonly config: CallguardConfig,
    readonly log: Logger,
    opts: EngineOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
    this.supervisor = new Supervisor(config, log.child({ component: 'supervisor' }), resolveModelSettings(config));
    this.supervisor.on('alert', (callId: string, ev: AlertEvent, info: CallInfo) => {
      const p = this.deliverAlert(callId, ev, info).finally(() => this.deciding.delete(p));
      this.deciding.add(p);
    });
    this.alerts = new AlertDelivery(config, log);
    this.speech = new SpeechService(config.speech, this.supervisor, log.child({ component: 'speech' }));
    this.siprec = new SiprecBridge(config, this.supervisor, log.child({ component: 'siprec' }));
    this.http = new HttpApi(config.http.host, config.http.port, log.child({ component: 'http' }), {
      allowedHosts: config.http.allowedHosts,
    });
    this.metrics = new EngineMetrics(this);
    this.timelines = new CallTimelines(this.supervisor);
    this.history = new EngineHistory(
      {
        supervisor: this.supervisor,
        rtpCounters: () => {
          const c = this.siprec.server.stats().counters;
          return { received: c['rtp.received'], lost: c['rtp.lost'] };
        },
      },
      config.http.historySeconds * 1000,
    );
    this.alerts.onSubmitResponse = (s) => this.metrics.observeSmppResponse(s);
    this.held = new HeldAlerts(
      Math.round(config.store.retrySeconds * 1000),
      () => this.store?.probe() ?? Promise.resolve(false),
      log.child({ component: 'store' }),
    );
    if (config.subscribers.enforce)
      this.siprec.gate = (info) =>
        this.analysisGate(info.protectedLeg >= 0 ? (info.legs[info.protectedLeg]?.number ?? null) : null);
    this.routes();
  }

  private routes(): void {
    this.http.get('/healthz', () => ({ status: 'ok' }));
    this.http.get('/readyz', async () => {
      const r = await this.readiness();
      return new RawResponse(r.ready ? 200 : 503, {
        ready: r.ready,
        notReady: r.checks.filter((c) => !c.ok).map((c) => c.name),
        checks: r.checks,
      });
    });
    this.http.get('/metrics', async () => {
      const m = await this.metrics.scrape();
      return new RawResponse(200, m.text, m.contentType);
    });
    this.http.get('/calls', () => ({ calls: this.callsView() }), { auth: true });
    registerSubscriberRoutes(this.http, () => this.subscribers);
    registerAlertRoutes(
      this.http,
      () => this.alertRecords,
      (id) => this.alerts.service?.getAlert(id),
    );
    registerCaptureRoutes(this.http, this.siprec, () => this.capture);
    const page = {
      'content-security-policy': CONSOLE_CSP,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    };
    this.http.get('/', () => new RawResponse(200, CONSOLE_HTML, 'text/html; charset=utf-8', page));
    this.http.get('/console.js', () => new RawResponse(200, CONSOLE_JS, 'text/javascript; charset=utf-8', page));
    this.http.get('/console/state', () => consoleState(this), { auth: true });
    this.http.get('/console/history', () => this.history.snapshot(), { auth: true });
    this.http.get(
      '/console/calls/:callId/timeline',
      (_req, _url, { params }) => {
        const t = this.timelines.get(params.callId);
        if (!t) throw new HttpError(404, 'NOT_FOUND', 'no timeline for this call (unknown, or ended too long ago)');
        return t;
      },
      { auth: true },
    );
    // The charting library, served from node_modules: the console must work on a management network with no Internet.
    this.http.get(
      '/vendor/uplot.js',
      () => new RawResponse(200, uplotAsset('js'), 'text/javascript; charset=utf-8', page),
    );
    this.http.get('/vendor/uplot.css', () => new RawResponse(200, uplotAsset('css'), 'text/css; charset=utf-8', page));
  }

  /** Protected subscribers of the store in use (null while the engine is stopped). */
  get subscribers(): SubscriberRepository | null {
    return this.store?.subscribers ?? null;
  }

  /** Alert records of the store in use (null while the engine is stopped). */
  get alertRecords(): AlertRecordRepository | null {
    return this.store?.alerts ?? null;
  }

  /**
   * subscribers.enforce: analyse only enrolled subscribers who have not opted out (the call is answered either way).
   * The embedded store answers at once; PostgreSQL answers later, and the call is analysed meanwhile (the bridge stops
   * it if the answer is no). While PostgreSQL is down the call is analysed: nothing is sent before consent is checked.
   */
  analysisGate(number: string | null): GateVerdict | Promise<GateVerdict> {
    if (!number) return { analyse: false, reason: 'no_subscriber_number' };
    const store = this.store;
    if (!store || store instanceof LmdbStore) {
      if (!store?.subscribers.has(number)) return { analyse: false, reason: 'not_enrolled' };
      if (this.alerts.service?.isOptedOut(number)) return { analyse: false, reason: 'opted_out' };
      return { analyse: true };
    }
    return this.sharedGate(store, number);
  }

  private async sharedGate(store: CallguardStore, number: string): Promise<GateVerdict> {
    const n = normalizeE164(number);
    if (!n) return { analyse: false, reason: 'not_enrolled' };
    try {
      // Subscribers are keyed '+E.164', consent as the SMS side keys numbers (digits only).
      const [sub, optedOut] = await Promise.all([
        store.subscribers.get(n),
        store.consent!.isOptedOut(normalizeMsisdn(n)!),
      ]);
      if (!sub) return { analyse: false, reason: 'not_enrolled' };
      if (optedOut) return { analyse: false, reason: 'opted_out' };
      return { analyse: true };
    } catch (err) {
      if (!(err instanceof StoreUnavailableError)) throw err;
      this.storeCounters.gateUnchecked++;
      return { analyse: true };
    }
  }

  /** The /readyz verdict: pool and every worker (with its model), SIP listening and not draining, SMS able to leave. */
  async readiness() {
    const poolUp = this.state === 'running' && this.supervisor.actorPool !== null;
    return evaluateReadiness({
      poolUp,
      threads: this.config.pool.threads,
      modelEnabled: this.config.model.enabled,
      workers: poolUp ? await this.supervisor.describeWorkers() : [],
      sipListening: this.sipListening,
      draining: this.siprec.draining,
      smpp: this.alerts.service?.status() ?? null,
      store: this.store ? { kind: this.store.kind, ...this.store.health(), heldAlerts: this.held.size('alert') } : null,
    });
  }

  /**
   * Hand a policy alert to the SMS outbox, addressed to the protected subscriber's number, through the store: the
   * record is written, the subscriber still enrolled (subscribers.enforce) and consent and limits admitted by the
   * ledger before the outbox takes it. While the store is down the decision is held (nothing sent) and retried.
   */
  private async deliverAlert(callId: string, ev: AlertEvent, info: CallInfo): Promise<void> {
    const leg = info.subscriberLeg !== null ? info.legs[info.subscriberLeg] : undefined;
    const to = leg?.number ?? null;
    const alertId = `${callId}#${ev.level}`;
    const at = this.now();
    const recent = this.recentAlerts.add({
      alertId,
      callId,
      at: new Date().toISOString(),
      level: ev.level,
      risk: ev.risk,
      explanation: ev.explanation,
      to,
      accepted: null,
      reason: null,
    });
    const holdMs = this.config.store.holdAfterCallSeconds * 1000;
    let lastLive = Date.now();
    const work: StoreWork = {
      kind: 'alert',
      key: alertId,
      run: () => this.decideAlert(alertId, callId, ev, to, at, recent),
      // Relevant while its call is up, and for store.holdAfterCallSeconds after: a warning later than that is noise.
      relevant: () => {
        if (this.supervisor.hasCall(callId)) lastLive = Date.now();
        return Date.now() - lastLive <= holdMs;
      },
      // Dropped unsent: the record (perhaps never written, the store was down) says so.
      expire: () => {
        recent.accepted = false;
        recent.reason = 'consent_unchecked';
        return {
          kind: 'record',
          key: alertId,
          relevant: () => true,
          run: async () => {
            const records = this.store?.alerts;
            if (!records) throw new StoreUnavailableError('store not open');
            await this.recordWrite(
              records.add({
                alertId,
                callId,
                to,
                at,
                level: ev.level,
                risk: ev.risk,
                explanation: ev.explanation,
                state: 'refused',
                reason: 'consent_unchecked',
              }),
            );
            await this.recordWrite(records.setState(alertId, 'refused', 'consent_unchecked'));
          },
        };
      },
    };
    if ((await this.held.submit(work)) === 'held') recent.reason = 'held_store_unavailable';
  }

  /**
   * One attempt at an alert decision; every step is idempotent per alertId, so a retry after an outage repeats none.
   */
  private async decideAlert(
    alertId: string,
    callId: string,
    ev: AlertEvent,
    to: string | null,
    at: number,
    recent: RecentAlert,
  ): Promise<void> {
    const store = this.store;
    if (!store) throw new StoreUnavailableError('store not open');
    const log = this.log.child({ component: 'alerts', callId });
    await this.recordWrite(
      store.alerts.add({
        alertId,
        callId,
        to,
        at,
        level: ev.level,
        risk: ev.risk,
        explanation: ev.explanation,
        state: 'raised',
        reason: null,
      }),
    );
    const refuse = async (reason: string) => {
      recent.accepted = false;
      recent.reason = reason;
      await this.recordWrite(store.alerts.setState(alertId, 'refused', reason));
    };
    if (!to) {
      await refuse('no_number');
      log.error(
        { level: ev.level, risk: ev.risk },
        'scam alert raised but the subscriber has no number in the SIPREC metadata: not sent',
      );
      return;
    }
    const service = this.alerts.service;
    if (!service) {
      await refuse('sms_not_running');
      log.error({ level: ev.level }, 'scam alert raised while SMS delivery is not running');
      return;
    }
    const subscriber = await store.subscribers.get(to);
    // Enrolment is checked again at alert time: a subscriber removed during the call (on any engine) is not alerted.
    if (this.config.subscribers.enforce && !subscriber) {
      await refuse('not_enrolled');
      log.info({ level: ev.level }, 'scam alert raised for a number no longer enrolled: not sent');
      return;
    }
    const res = await service.enqueue({
      alertId,
      callId,
      to,
      explanation: ev.explanation,
      actions: ev.actions,
      language: subscriber?.language ?? undefined,
    });
    if (res.reason === 'consent_unavailable') throw new StoreUnavailableError('consent ledger unavailable');
    recent.accepted = res.accepted;
    recent.reason = res.reason ?? null;
    if (!res.accepted) await refuse(res.reason ?? 'refused');
    log.info(
      {
        level: ev.level,
        risk: Math.round(ev.risk * 1000) / 1000,
        accepted: res.accepted,
        reason: res.reason,
        explanation: ev.explanation,
      },
      'scam alert',
    );
  }

  /** A record write: an outage is thrown (the caller holds its work), any other failure is logged and passed over. */
  private async recordWrite(p: Promise<boolean>): Promise<void> {
    try {
      await p;
    } catch (err) {
      if (err instanceof StoreUnavailableError) throw err;
      this.recordFailed(err as Error);
    }
  }

  /** An alert record's state change as store work (held in order behind anything else held). */
  private recordWork(alertId: string, state: AlertDeliveryState, reason: string | null = null): StoreWork {
    return {
      kind: 'record',
      key: alertId,
      run: async () => {
        const records = this.store?.alerts;
        if (!records) throw new StoreUnavailableError('store not open');
        await this.recordWrite(records.setState(alertId, state, reason));
      },
      relevant: () => true,
    };
  }

  /**
   * Active calls as the API shows them: audio progress per leg from the supervisor, SIP facts and RTP loss from ingest.
   */
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
        alerts: c.alerts.map((a) => ({
          level: a.level,
          t: round(a.t),
          risk: round(a.risk),
          explanation: a.explanation,
          basis: a.basis ?? 'acoustic',
        })),
        intents: c.intents.map((i) => ({ intent: i.intent, t: round(i.t) })),
        spotterScore: round(c.spotterScore),
        keywords: c.keywords.map((k) => ({ keyword: k.keyword, t: round(k.t) })),
        speech: speechView(this.speech.callStatus(c.callId)),
        legs: c.legs.map((l, i) => ({
          label: l.label ?? null,
          role: l.role ?? null,
          number: l.number ?? null,
          // The codec received now (a re-INVITE may change it); the rate the leg's audio is analysed at (fixed).
          codec: m?.legs[i]?.codec ?? meta?.legs[i]?.codec ?? null,
          sampleRate: l.sampleRate ?? null,
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

  /** Start every component; on failure, close whatever did start and throw an EngineStartError saying what and why. */
  /** Idempotent; a start that fails undoes what it had started (newest first) and throws EngineStartError. */
  async start(): Promise<void> {
    if (this.state !== 'idle') return this.starting ?? undefined;
    this.state = 'starting';
    this.starting = (async () => {
      try {
        await this.startComponents();
        this.state = 'running';
      } catch (err) {
        await this.closers.unwind(() => {
          // Best effort: the start already failed; what matters is that nothing keeps the process alive.
        });
        this.state = 'closed';
        throw startError(err, this.config);
      }
    })();
    return this.starting;
  }

  /** SMS outcomes become the alert records' delivery state (service SMS such as STOP confirmations have no record). */
  private readonly onSmsEvent = (e: AlertServiceEvent) => {
    let w: StoreWork | undefined;
    if (
      e.type === 'queued' ||
      e.type === 'submitted' ||
      e.type === 'delivered' ||
      e.type === 'undeliverable' ||
      e.type === 'expired'
    )
      w = this.recordWork(e.alertId, e.type);
    else if (e.type === 'failed') w = this.recordWork(e.alertId, 'failed', e.reason);
    if (w) void this.held.submit(w);
  };

  /** PostgreSQL went down or came back: logged once per change, counted, and the held work retried. */
  private readonly onStoreHealth = (h: StoreHealth) => {
    if (h.state === 'down') {
      this.storeCounters.outages++;
      this.log.error(
        { component: 'store', err: h.lastError },
        'store unavailable: analysis goes on, alerts are held until consent can be checked',
      );
    } else {
      this.log.info({ component: 'store', heldAlerts: this.held.size('alert') }, 'store available again');
      void this.held.retry();
    }
  };

  /**
   * An alert record write failed (store closing at shutdown, disk full): the SMS path is unaffected, so log and go on.
   */
  private recordFailed(err: Error): false {
    this.log.error({ component: 'alerts', err: err.message }, 'alert record not written');
    return false;
  }

  /**
   * The retention limits as sweep tasks: alert records and their SMS after retention.alertDays, captures per
   * retention.capture*.
   */
  private retentionSweeper(): RetentionSweeper {
    const ret = this.config.retention;
    const alertCutoff = (now: number) => now - ret.alertDays * DAY_MS;
    return new RetentionSweeper(
      [
        { kind: 'alert_records', purge: (now) => this.alertRecords?.purgeBefore(alertCutoff(now)) ?? 0 },
        { kind: 'sms_outbox', purge: (now) => this.alerts.service?.purgeBefore(alertCutoff(now), now) ?? 0 },
        { kind: 'captures', purge: (now) => this.capture?.purge(now) ?? 0 },
      ],
      ret.sweepMinutes * 60_000,
      this.log.child({ component: 'retention' }),
      this.now,
    );
  }

  /**
   * Start each part in dependency order, pushing its closer on the one stack that both a failed start and close()
   * unwind, newest first. A closer is pushed as its step begins: every close() here tolerates a part that started only
   * halfway, and a step that throws midway must still be undone. SMS delivery starts before the supervisor so that it
   * closes after it: the alerts of the calls' last windows, raised while the supervisor drains, still reach the outbox.
   */
  private async startComponents(): Promise<void> {
    const shown = redactConfig(this.config);
    if (shown.http.token) shown.http.token = '***';
    this.log.info({ config: shown }, 'callguard starting');
    const tok = resolveHttpToken(this.config.http.token, this.config.data.dir, this.log.child({ component: 'http' }));
    this.tokenSource = tok.source;
    this.http.setAuthorizer(bearerAuthorizer(tok.token));
    const stack = this.closers;
    this.store = await openStore(this.config, this.log);
    stack.push('store', async () => {
      // After SMS delivery has closed (newest first): no alert decision or record write is left to make.
      this.held.close();
      await this.store?.close();
      this.store = null;
    });
    this.store.watchHealth(this.onStoreHealth);
    this.alerts.consent = this.store.consent;
    const ret = this.config.retention;
    this.capture = new DebugCapture(
      this.config.data.dir,
      this.config.capture.numbers,
      { maxAgeMs: ret.captureHours * 3600_000, maxBytes: ret.captureMaxBytes },
      this.log.child({ component: 'capture' }),
    );
    this.siprec.capture = this.capture;
    stack.push('captures', () => this.capture?.closeAll());
    stack.push('sms', () => this.alerts.close());
    await this.alerts.start();
    this.alerts.service?.on('event', this.onSmsEvent);
    stack.push('sms events', () => this.alerts.service?.off('event', this.onSmsEvent));
    // Unwound after the supervisor has drained: the alerts of the calls' last windows are decided before SMS stops.
    stack.push('alert decisions', () => Promise.allSettled([...this.deciding]));
    stack.push('supervisor', () => this.supervisor.close());
    await this.supervisor.start();
    stack.push('speech', () => this.speech.close());
    await this.speech.start();
    this.retention = this.retentionSweeper();
    stack.push('retention', () => this.retention?.close());
    await this.retention.start();
    this.metrics.attach();
    stack.push('metrics', () => this.metrics.detach());
    this.timelines.attach();
    stack.push('timelines', () => this.timelines.detach());
    this.history.attach();
    stack.push('history', () => this.history.detach());
    stack.push('http', () => this.http.close());
    await this.http.start();
    stack.push('sip', async () => {
      this.sipListening = false;
      await this.siprec.server.close();
      this.siprec.close();
    });
    await this.siprec.server.start();
    this.sipListening = true;
    const sip = this.siprec.server.address();
    const web = this.http.address();
    const consoleUrl = `http://${web.host.includes(':') ? `[${web.host}]` : web.host}:${web.port}/`;
    this.log.info(
      {
        sip: `${sip.host}:${sip.port}`,
        transports: this.config.sip.transports,
        http: web,
        console: consoleUrl,
        smsc: this.alerts.simulator ? 'bundled simulator' : 'configured',
      },
      'callguard ready',
    );
  }

  /**
   * Idempotent: stops taking calls, lets the calls' last windows and alerts drain, then closes the rest, newest first.
   */
  async close(): Promise<void> {
    if (this.state === 'starting') await this.starting?.catch(() => undefined);
    if (this.state !== 'running') return this.stopping ?? undefined;
    this.state = 'closing';
    this.stopping = this.closers
      .unwind((name, err) =>
        this.log.error({ component: name, err: (err as Error)?.message ?? String(err) }, 'close step failed'),
      )
      .then(() => {
        this.state = 'closed';
        this.log.info('callguard stopped');
      });
    return this.stopping;
  }
}

/**
 * Graceful stop (SIGTERM): refuse new calls (SIP 503, /readyz 503), let the running calls end on their own for at most
 * engine.drainSeconds, then close — which ends what is left, drains the SMPP window and unbinds.
 */
export async function drainAndClose(
  engine: Engine,
  drainSeconds = engine.config.engine.drainSeconds,
): Promise<{ drained: boolean; left: number }> {
  engine.siprec.draining = true;
  const active = () => Math.max(engine.siprec.server.stats().activeCalls, engine.supervisor.stats().activeCalls);
  const deadline = Date.now() + drainSeconds * 1000;
  if (active() > 0)
    engine.log.info({ calls: active(), drainSeconds }, 'draining: new calls refused, waiting for running calls to end');
  while (active() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  const left = active();
  if (left > 0) engine.log.warn({ calls: left }, 'drain deadline reached: ending the remaining calls');
  await engine.close();
  return { drained: left === 0, left };
}

const round = (v: number) => Math.round(v * 1000) / 1000;

/** Whether a SIPREC call is analysed (subscribers.enforce), and why not. */
export type GateVerdict = { analyse: true } | { analyse: false; reason: string };

/** The engine could not start; the message names the setting when it can (a port in use, say). */
export class EngineStartError extends CallguardError<'CG_START_FAILED'> {
  override name = 'EngineStartError';
  constructor(message: string, opts: { setting?: string; cause?: unknown } = {}) {
    super('CG_START_FAILED', message, opts);
  }
}

function startError(err: unknown, cfg: CallguardConfig): EngineStartError {
  const e = err as NodeJS.ErrnoException & { address?: string; port?: number };
  if (e?.code === 'EADDRINUSE' || e?.code === 'EACCES' || e?.code === 'EADDRNOTAVAIL') {
    const port = e.port ?? Number(/:(\d+)$/.exec(e.message ?? '')?.[1]);
    const setting =
      port === cfg.sip.port
        ? 'sip.port'
        : port === cfg.http.port
          ? 'http.port'
          : port === cfg.smpp.simulatorPort
            ? 'smpp.simulatorPort'
            : 'a listening port';
    const why =
      e.code === 'EADDRINUSE'
        ? 'address already in use'
        : e.code === 'EACCES'
          ? 'permission denied'
          : 'address not available';
    return new EngineStartError(
      `cannot listen on ${e.address ?? ''}${e.address ? ':' : ''}${port} (${setting}): ${why}`,
      { cause: err, ...(setting.includes('.') ? { setting } : {}) },
    );
  }
  return new EngineStartError(`start failed: ${(err as Error)?.message ?? String(err)}`, {
    cause: err,
    ...((err as { setting?: string })?.setting ? { setting: (err as { setting: string }).setting } : {}),
  });
}

/** A call's recognition status as GET /calls shows it (null when recognition does not follow the call). */
function speechView(st: CallSpeechStatus | null) {
  return (
    st && {
      recognising: st.recognising,
      waiting: st.waiting,
      grants: st.grants,
      heldSeconds: round(st.heldSeconds),
      firstSlotAt: st.firstSlotAt === null ? null : round(st.firstSlotAt),
    }
  );
}
