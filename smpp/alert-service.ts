/**
 * The alert sender: persistent outbox in, submit_sm out over one or more binds, receipts and MO replies in.
 *
 * Delivery contract:
 * - `enqueue()` resolves only after the alert is committed to the outbox; from then on it is delivered
 *   at least once, across SMSC outages and process restarts (SIGKILL included).
 * - A submit unacknowledged when its link drops is requeued and sent again: a rare duplicate is accepted,
 *   a lost alert is not. Same for a submit whose response timed out (counted toward the retry cap).
 * - command_status policy: ESME_RTHROTTLED pauses the bind with back-off and requeues (not counted);
 *   RMSGQFUL, RSYSERR, RX_T_APPN, RUNKNOWNERR and timeouts retry with back-off up to `retry.maxAttempts`;
 *   any other non-zero status is permanent: the alert goes to the dead-letter store with the reason.
 * - deliver_sm (receipts, MO) is acknowledged only after its effect is committed.
 * Lifecycle: start() -> ready() (first bind up) -> close() (drain the window, unbind, close the store).
 */
import { EventEmitter } from 'node:events';
import type tls from 'node:tls';
import { destinationAddress, normalizeMsisdn, senderAddress, type SmppAddress } from './address.js';
import type { BackoffPolicy } from './backoff.js';
import { backoffDelay } from './backoff.js';
import { SmscBind, type BindState } from './bind.js';
import { Status, statusName, type Pdu } from './codec.js';
import { SmppError } from './errors.js';
import { silentLogger, type Logger } from './logger.js';
import { encodeGsm7 } from './gsm7.js';
import { decodeShortMessage, encodeMessage, encodeUcs2, type EncodedMessage } from './message-parts.js';
import { classifyMo } from './mo.js';
import type { ConsentLedger } from './consent-ledger.js';
import { FINAL_STATES, Outbox, type AlertRecord, type AlertState, type PartState } from './outbox.js';
import { OutboxLedger } from './outbox-ledger.js';
import { isReceipt, messageIdCandidates, messageIdKey, parseReceipt, type ReceiptState } from './receipt.js';
import { parseSmscUrls, type SmscEndpoint } from './smsc-url.js';
import { renderAlertText, renderConfirmation, type TemplateOptions } from './templates.js';

export interface AlertServiceOptions {
  /** SMSC endpoints, or the CALLGUARD_SMPP_URL string. */
  smsc: SmscEndpoint[] | string;
  /** Directory for the lmdb outbox (CALLGUARD_DATA_DIR). */
  dataDir: string;
  /** Source address: digits -> TON 1/NPI 1, else alphanumeric TON 5/NPI 0. */
  sender: string;
  /** Binds opened to each endpoint (default 1). Submits go round-robin over bound binds. */
  bindsPerEndpoint?: number;
  /** Outstanding submit_sm per bind (default 10). */
  window?: number;
  /** submit_sm per second per bind; 0 = unlimited (default 50). */
  tps?: number;
  systemType?: string;
  /** Default 30 000. */
  enquireLinkIntervalMs?: number;
  /** Deadline for any SMSC response (default 10 000). */
  responseTimeoutMs?: number;
  /** Silence that declares a link dead (default 3 x enquireLinkIntervalMs). */
  deadLinkMs?: number;
  /** Reconnect back-off (default 1 s .. 30 s, jittered). */
  reconnect?: BackoffPolicy;
  /** Pause after ESME_RTHROTTLED (default 1 s .. 30 s). */
  throttleBackoff?: BackoffPolicy;
  /** Retries for transient errors and timeouts (default 2 s .. 60 s, 8 attempts). */
  retry?: BackoffPolicy & { maxAttempts: number };
  /** Per-subscriber limits (default 3 per hour, one per call). */
  limits?: { perHour?: number; oncePerCall?: boolean };
  /**
   * Where opt-outs, the limits' counts and MO feedback are kept: default, this service's own outbox (one engine);
   * a shared ledger (PostgreSQL) when several engines serve the same subscribers. When the ledger cannot answer, an
   * alert is refused with reason `consent_unavailable` (the caller may hold and retry it: the retry is idempotent)
   * and an MO is answered ESME_RX_T_APPN so the SMSC delivers it again.
   */
  consent?: ConsentLedger;
  /** Branding and wording. */
  templates?: TemplateOptions;
  /** Validity period of alerts (default 30 min; a stale scam warning is noise). */
  validityMinutes?: number;
  /** Send long alerts as one submit_sm with message_payload instead of concatenated parts (default false). */
  useMessagePayload?: boolean;
  /** Extra tls.connect options for ssmpp:// endpoints (ca, rejectUnauthorized...). */
  tls?: tls.ConnectionOptions;
  /** How long close() waits for the window to drain (default 5 000). */
  drainTimeoutMs?: number;
  logger?: Logger;
  /** Called for every AlertServiceEvent (same as the 'event' event). */
  onEvent?: (e: AlertServiceEvent) => void;
  /** Called with the seconds from each submit_sm to its response (any status; timeouts have no response). */
  onSubmitResponse?: (seconds: number) => void;
}

/** What the engine enqueues. `text` overrides the template; else it is rendered from explanation/actions. */
export interface AlertInput {
  alertId: string;
  callId?: string;
  to: string;
  text?: string;
  explanation?: string;
  actions?: string[];
  language?: string;
  createdAt?: number;
}

export interface EnqueueResult {
  accepted: boolean;
  reason?: string;
}

export type AlertServiceEvent =
  | { type: 'queued'; alertId: string; to: string; parts: number }
  | { type: 'submitted'; alertId: string; messageIds: string[] }
  | { type: 'delivered' | 'undeliverable' | 'expired'; alertId: string; receipt: ReceiptState }
  | { type: 'failed'; alertId: string; reason: string }
  | { type: 'feedback'; msisdn: string; alertId?: string; verdict: 'scam' | 'not-scam'; text: string }
  | { type: 'opt-out' | 'opt-in'; msisdn: string }
  | { type: 'mo'; msisdn: string; text: string }
  | { type: 'bind'; bind: string; state: BindState; error?: string };

export interface AlertServiceStatus {
  state: 'created' | 'running' | 'closing' | 'closed';
  binds: Array<{
    name: string;
    state: BindState;
    inFlight: number;
    window: number;
    lastError?: string;
    counters: SmscBind['counters'];
  }>;
  window: { size: number; inFlight: number };
  outbox: { queuedParts: number; pendingAlerts: number; awaitingReceipt: number };
  counters: Record<keyof AlertService['counters'], number>;
}

interface Work {
  alertId: string;
  part: number;
}

const MAX_AWAITING = 50_000;
const TRANSIENT = new Set<number>([Status.RMSGQFUL, Status.RSYSERR, Status.RX_T_APPN, Status.RUNKNOWNERR]);

export class AlertService extends EventEmitter {
  readonly counters = {
    enqueued: 0,
    rejected: 0,
    submitted: 0,
    retried: 0,
    requeuedOnDisconnect: 0,
    throttled: 0,
    timeouts: 0,
    deadLettered: 0,
    delivered: 0,
    undeliverable: 0,
    expired: 0,
    receipts: 0,
    unmatchedReceipts: 0,
    staleReceipts: 0,
    mo: 0,
  };
  private state: AlertServiceStatus['state'] = 'created';
  private outbox?: Outbox;
  private consent?: ConsentLedger;
  private readonly binds: SmscBind[] = [];
  private readonly smscKeys = new Map<SmscBind, string>();
  /** SMSC key -> the key receipts were indexed under before the system id was part of it (host:port). */
  private readonly legacyKeys = new Map<string, string>();
  private rr = 0;
  private readonly log: Logger;
  private readonly opts: Required<
    Pick<
      AlertServiceOptions,
      | 'window'
      | 'tps'
      | 'responseTimeoutMs'
      | 'enquireLinkIntervalMs'
      | 'deadLinkMs'
      | 'validityMinutes'
      | 'drainTimeoutMs'
    >
  > &
    AlertServiceOptions;
  private readonly retry: BackoffPolicy & { maxAttempts: number };
  private readonly limits: { perHour: number; oncePerCall: boolean };
  private readonly templateOpts: TemplateOptions;
  private readonly source: SmppAddress;
  /** Records not yet final, by alertId (write-through cache of the outbox). */
  private readonly active = new Map<string, AlertRecord>();
  private readonly encoded = new Map<string, EncodedMessage>();
  /** message_id key -> part, for receipts that beat the outbox commit. */
  private readonly recentIds = new Map<string, { alertId: string; part: number }>();
  private queue: Work[] = [];
  private qHead = 0;
  /**
   * Parts awaiting a submit_sm_resp: key -> the SMSC key it went to and which send it is (a receipt waits for those).
   */
  private readonly inFlight = new Map<string, { smsc: string; send: number }>();
  private sends = 0;
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  /** Submitted alerts awaiting receipts, oldest first (a Set keeps insertion order and O(1) removal). */
  private readonly awaiting = new Set<string>();
  /** deliver_sm handlers still running (their deliver_sm_resp not yet sent). */
  private readonly delivering = new Set<Promise<number>>();
  private wakeTimer?: NodeJS.Timeout;
  private pumping = false;
  private readyWaiters: Array<{ resolve: () => void; reject: (err: Error) => void }> = [];
  private outcomeWaiters: Array<() => void> = [];

  constructor(options: AlertServiceOptions) {
    super();
    const enquire = options.enquireLinkIntervalMs ?? 30_000;
    this.opts = {
      window: 10,
      tps: 50,
      responseTimeoutMs: 10_000,
      validityMinutes: 30,
      drainTimeoutMs: 5_000,
      ...options,
      enquireLinkIntervalMs: enquire,
      deadLinkMs: options.deadLinkMs ?? 3 * enquire,
    };
    this.retry = options.retry ?? { baseMs: 2_000, maxMs: 60_000, maxAttempts: 8 };
    this.limits = { perHour: options.limits?.perHour ?? 3, oncePerCall: options.limits?.oncePerCall ?? true };
    this.templateOpts = options.templates ?? { brand: 'Your operator' };
    this.log = options.logger ?? silentLogger;
    if (!options.sender) throw new SmppError('CG_SMPP_CONFIG', 'sender is required');
    this.source = senderAddress(options.sender);
    const endpoints = typeof options.smsc === 'string' ? parseSmscUrls(options.smsc) : options.smsc;
    if (endpoints.length === 0) throw new SmppError('CG_SMPP_CONFIG', 'no SMSC endpoint');
    const perEndpoint = Math.max(1, options.bindsPerEndpoint ?? 1);
    // Interleave endpoints so round-robin spreads over SMSCs, not just over binds of the first one.
    for (let i = 0; i < perEndpoint; i++) {
      for (const ep of endpoints) {
        // Message ids are only unique per SMSC (and per account on it): the receipt index is keyed by endpoint and
        // system id too.
        const smscKey = `${ep.host}:${ep.port}/${ep.systemId}`;
        this.legacyKeys.set(smscKey, `${ep.host}:${ep.port}`);
        const bind = new SmscBind({
          name: `${ep.host}:${ep.port}#${i}`,
          host: ep.host,
          port: ep.port,
          tls: ep.tls ? (options.tls ?? true) : false,
          systemId: ep.systemId,
          password: ep.password,
          systemType: ep.systemType ?? options.systemType ?? '',
          window: this.opts.window,
          tps: this.opts.tps,
          responseTimeoutMs: this.opts.responseTimeoutMs,
          enquireLinkIntervalMs: this.opts.enquireLinkIntervalMs,
          deadLinkMs: this.opts.deadLinkMs,
          reconnect: options.reconnect ?? { baseMs: 1_000, maxMs: 30_000 },
          throttle: options.throttleBackoff ?? { baseMs: 1_000, maxMs: 30_000 },
          logger: this.log,
          onDeliver: (pdu) => this.trackDeliver(this.onDeliver(pdu, smscKey)),
        });
        bind.on('ready', () => this.pump());
        bind.on('state', (state: BindState) => {
          this.emitEvent({
            type: 'bind',
            bind: bind.name,
            state,
            ...(bind.lastError ? { error: bind.lastError } : {}),
          });
          if (state === 'bound') {
            for (const w of this.readyWaiters.splice(0)) w.resolve();
          }
        });
        this.smscKeys.set(bind, smscKey);
        this.binds.push(bind);
      }
    }
  }

  /** Opens the outbox, reloads pending alerts, starts binding. Resolves once the outbox is loaded. */
  async start(): Promise<void> {
    if (this.state !== 'created') throw new SmppError('CG_SMPP_CLOSED', `cannot start: service is ${this.state}`);
    this.outbox = new Outbox(this.opts.dataDir);
    this.consent = this.opts.consent ?? new OutboxLedger(this.outbox);
    if (this.outbox.reindexedAtOpen)
      this.log.info(
        'SMS outbox was not closed cleanly by this release (first start, a crash, or a rollback): its retention ' +
          'indexes were checked',
      );
    let reloaded = 0;
    for (const id of this.outbox.pendingIds()) {
      const rec = this.outbox.get(id);
      if (!rec || FINAL_STATES.has(rec.state)) continue;
      this.active.set(id, rec);
      rec.parts.forEach((p, i) => {
        if (p.state === 'queued') {
          this.queue.push({ alertId: id, part: i });
          reloaded++;
        }
      });
    }
    if (reloaded) this.log.info({ parts: reloaded }, 'reloaded pending alerts from outbox');
    this.state = 'running';
    for (const b of this.binds) b.start();
  }

  /** Resolves when at least one bind is bound (or rejects when closed first). */
  ready(): Promise<void> {
    if (this.state === 'closing' || this.state === 'closed')
      return Promise.reject(new SmppError('CG_SMPP_CLOSED', 'alert service closed before a bind came up'));
    if (this.binds.some((b) => b.state === 'bound')) return Promise.resolve();
    return new Promise((resolve, reject) => this.readyWaiters.push({ resolve, reject }));
  }

  /** Queues an alert. Resolves after it is persisted; `accepted: false` says why it will not be sent. */
  async enqueue(alert: AlertInput): Promise<EnqueueResult> {
    if (this.state !== 'running' || !this.outbox) return { accepted: false, reason: 'not_running' };
    const to = normalizeMsisdn(alert.to);
    if (!to) return this.reject('invalid_msisdn');
    if (!alert.alertId) return this.reject('invalid_alert_id');
    const text =
      alert.text ??
      renderAlertText(
        { explanation: alert.explanation, actions: alert.actions, language: alert.language },
        this.templateOpts,
      );
    return this.admit(
      { alertId: alert.alertId, callId: alert.callId, to, text, language: alert.language, createdAt: alert.createdAt },
      false,
    );
  }

  private reject(reason: string): EnqueueResult {
    this.counters.rejected++;
    return { accepted: false, reason };
  }

  private async admit(
    a: { alertId: string; callId?: string; to: string; text: string; language?: string; createdAt?: number },
    service: boolean,
  ): Promise<EnqueueResult> {
    const outbox = this.outbox!;
    const now = Date.now();
    const ref = (Math.random() * 256) | 0;
    const enc = this.encode(a.text, ref);
    const rec: AlertRecord = {
      alertId: a.alertId,
      to: a.to,
      text: a.text,
      createdAt: a.createdAt ?? now,
      updatedAt: now,
      state: 'queued',
      ref,
      parts: enc.parts.map(() => ({ state: 'queued' as PartState, attempts: 0 })),
    };
    if (a.callId) rec.callId = a.callId;
    if (a.language) rec.language = a.language;
    if (service) rec.service = true;
    if (!service) {
      // Consent and limits first, in the ledger (shared by every engine when it is PostgreSQL); the outbox then only
      // refuses an alertId it already holds. Both are idempotent per alertId, so a retry after a lost answer is safe.
      let verdict;
      try {
        verdict = await this.consent!.admit(
          { alertId: rec.alertId, callId: rec.callId, to: rec.to, at: now },
          this.limits,
        );
      } catch (err) {
        this.log.warn(
          { alertId: rec.alertId, err: (err as Error).message },
          'consent ledger unavailable: alert not admitted',
        );
        return this.reject('consent_unavailable');
      }
      if (!verdict.accepted) return this.reject(verdict.reason);
    }
    const res = await outbox.admit(rec, null, now);
    if (!res.accepted) return this.reject(res.reason);
    if (res.duplicate) return { accepted: true, reason: 'duplicate_alert' };
    this.counters.enqueued++;
    this.active.set(rec.alertId, rec);
    this.encoded.set(rec.alertId, enc);
    for (let i = 0; i < rec.parts.length; i++) this.queue.push({ alertId: rec.alertId, part: i });
    this.emitEvent({ type: 'queued', alertId: rec.alertId, to: rec.to, parts: rec.parts.length });
    this.pump();
    return { accepted: true };
  }

  private encode(text: string, ref: number): EncodedMessage {
    const enc = encodeMessage(text, ref);
    if (!this.opts.useMessagePayload || enc.parts.length === 1) return enc;
    const payload = enc.encoding === 'gsm7' ? encodeGsm7(text) : encodeUcs2(text);
    return { ...enc, parts: [payload], esmClass: 0 };
  }

  /** True when the number replied STOP (and has not replied START since), as this engine's own outbox knows it. */
  isOptedOut(msisdn: string): boolean {
    const n = normalizeMsisdn(msisdn);
    return !!n && !!this.outbox?.isOptedOut(n);
  }

  /** The consent ledger in use (the outbox's own unless a shared one was given); undefined before start(). */
  get ledger(): ConsentLedger | undefined {
    return this.consent;
  }

  /** The stored record of an alert (for the CLI, tests and the console). */
  getAlert(alertId: string): AlertRecord | undefined {
    return this.active.get(alertId) ?? this.outbox?.get(alertId);
  }

  /** The dead-letter reason of a failed alert. */
  deadLetterReason(alertId: string): string | undefined {
    return this.outbox?.deadLetterReason(alertId);
  }

  /**
   * Retention: deletes the outbox's alert records (SMS text, number, delivery state) last changed before `cutoff`
   * and no longer in flight, and MO messages older than it. Resolves with the number of alert records deleted.
   */
  async purgeBefore(cutoff: number, now = Date.now()): Promise<number> {
    if (!this.outbox || this.state !== 'running') return 0;
    return this.outbox.purgeBefore(cutoff, now);
  }

  /**
   * MO log (STOP, NOT SCAM, ...) of this engine's outbox, oldest first (a shared ledger keeps its own:
   * `ledger.moLog()`).
   */
  moLog() {
    return this.outbox?.moLog() ?? [];
  }

  status(): AlertServiceStatus {
    let awaiting = 0;
    let pending = 0;
    for (const r of this.active.values()) {
      if (r.state === 'submitted') awaiting++;
      else if (r.state === 'queued') pending++;
    }
    const inFlight = this.binds.reduce((n, b) => n + (b.session?.inFlight ?? 0), 0);
    return {
      state: this.state,
      binds: this.binds.map((b) => ({
        name: b.name,
        state: b.state,
        inFlight: b.session?.inFlight ?? 0,
        window: this.opts.window,
        ...(b.lastError ? { lastError: b.lastError } : {}),
        counters: b.totals(),
      })),
      window: { size: this.opts.window * this.binds.length, inFlight },
      outbox: {
        queuedParts: this.queue.length - this.qHead + this.inFlight.size,
        pendingAlerts: pending,
        awaitingReceipt: awaiting,
      },
      counters: { ...this.counters },
    };
  }

  /** Graceful stop: no new alerts, drain the window (bounded), unbind, commit and close the outbox. */
  async close(): Promise<void> {
    if (this.state === 'closed' || this.state === 'closing') return;
    this.state = 'closing';
    clearTimeout(this.wakeTimer);
    for (const t of this.retryTimers) clearTimeout(t);
    this.retryTimers.clear();
    // Receipt handlers waiting for submit outcomes stop waiting now (they check the state).
    this.settled();
    // Every deliver_sm that arrived before the unbind gets its deliver_sm_resp first (an SMSC resends a receipt it
    // was never answered, and a receipt handler may still be writing its record).
    await this.deliversSettled();
    await Promise.all(this.binds.map((b) => b.close(this.opts.drainTimeoutMs)));
    // ...and those that arrived during the drain, before the outbox closes under them.
    await this.deliversSettled();
    // Let the submit outcomes that arrived during the drain be written before the store closes.
    await new Promise((r) => setImmediate(r));
    await this.outbox?.close();
    this.state = 'closed';
    for (const w of this.readyWaiters.splice(0))
      w.reject(new SmppError('CG_SMPP_CLOSED', 'alert service closed before a bind came up'));
    this.settled();
  }

  private emitEvent(e: AlertServiceEvent): void {
    this.emit('event', e);
    try {
      this.opts.onEvent?.(e);
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'onEvent callback threw');
    }
  }

  // ---- dispatch ----

  /** Moves queued parts onto binds while some bind has a slot and a token. Re-entrancy safe. */
  private pump(): void {
    if (this.pumping || this.state !== 'running') return;
    this.pumping = true;
    try {
      while (this.qHead < this.queue.length) {
        const bind = this.pickBind();
        if (!bind) break;
        const work = this.queue[this.qHead++];
        const rec = this.active.get(work.alertId);
        const key = `${work.alertId}#${work.part}`;
        if (!rec || rec.parts[work.part]?.state !== 'queued' || this.inFlight.has(key)) continue;
        this.send(bind, rec, work.part, key);
      }
      if (this.qHead > 1024 && this.qHead * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.qHead);
        this.qHead = 0;
      }
    } finally {
      this.pumping = false;
    }
  }

  /** Next bind (round-robin) that may submit now; arms a wake-up timer when only time stands in the way. */
  private pickBind(): SmscBind | undefined {
    let wait = Infinity;
    for (let i = 0; i < this.binds.length; i++) {
      const b = this.binds[(this.rr + i) % this.binds.length];
      // Window full or socket backed up: the bind's 'ready' event wakes us, no timer needed.
      if (b.state !== 'bound' || !b.session?.canSubmit) continue;
      const ms = b.msUntilReady(); // throttle pause or TPS bucket
      if (ms > 0 || !b.takeToken()) {
        wait = Math.min(wait, Math.max(1, ms));
        continue;
      }
      this.rr = (this.rr + i + 1) % this.binds.length;
      return b;
    }
    if (wait !== Infinity && !this.wakeTimer) {
      this.wakeTimer = setTimeout(() => {
        this.wakeTimer = undefined;
        this.pump();
      }, wait);
    }
    return undefined;
  }

  private submitFields(rec: AlertRecord, part: number): Record<string, unknown> {
    let enc = this.encoded.get(rec.alertId);
    if (!enc) {
      enc = this.encode(rec.text, rec.ref);
      this.encoded.set(rec.alertId, enc);
    }
    const dest = destinationAddress(rec.to);
    const payload = enc.parts[part];
    const long = this.opts.useMessagePayload && payload.length > 254;
    return {
      service_type: '',
      source_addr_ton: this.source.ton,
      source_addr_npi: this.source.npi,
      source_addr: this.source.addr,
      dest_addr_ton: dest.ton,
      dest_addr_npi: dest.npi,
      destination_addr: dest.addr,
      esm_class: enc.esmClass,
      protocol_id: 0,
      priority_flag: 1,
      schedule_delivery_time: '',
      validity_period: relativeValidity(this.opts.validityMinutes),
      registered_delivery: 0x01,
      replace_if_present_flag: 0,
      data_coding: enc.dataCoding,
      sm_default_msg_id: 0,
      short_message: long ? Buffer.alloc(0) : payload,
      ...(long ? { message_payload: payload } : {}),
    };
  }

  private send(bind: SmscBind, rec: AlertRecord, part: number, key: string): void {
    this.inFlight.set(key, { smsc: this.smscKeys.get(bind) ?? '', send: ++this.sends });
    const sentAt = performance.now();
    bind.submit(this.submitFields(rec, part)).then(
      (resp) => {
        this.inFlight.delete(key);
        this.opts.onSubmitResponse?.((performance.now() - sentAt) / 1000);
        this.onSubmitResp(bind, rec, part, resp);
        this.settled();
        this.pump();
      },
      (err: SmppError) => {
        this.inFlight.delete(key);
        this.onSubmitError(rec, part, err);
        this.settled();
        this.pump();
      },
    );
  }

  private settled(): void {
    if (this.outcomeWaiters.length) for (const w of this.outcomeWaiters.splice(0)) w();
  }

  /** Resolves at the next submit outcome or after `ms`. */
  private nextSubmitOutcome(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, Math.max(1, ms));
      this.outcomeWaiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  private onSubmitResp(bind: SmscBind, rec: AlertRecord, part: number, resp: Pdu): void {
    const p = rec.parts[part];
    // A generic_nack claiming success is nonsense: treat it as a system error (transient).
    const status =
      resp.command === 'generic_nack' && resp.command_status === Status.ROK ? Status.RSYSERR : resp.command_status;
    if (status === Status.ROK) {
      bind.accepted();
      const messageId = typeof resp.message_id === 'string' ? resp.message_id : '';
      p.state = 'submitted';
      p.messageId = messageId;
      this.counters.submitted++;
      if (messageId) {
        const idKey = `${this.smscKeys.get(bind)}|${messageIdKey(messageId)}`;
        this.remember(idKey, rec.alertId, part);
        void this.outbox?.indexMessageId(idKey, { alertId: rec.alertId, part });
      }
      if (rec.parts.every((x) => x.state !== 'queued') && rec.state === 'queued') {
        rec.state = 'submitted';
        this.encoded.delete(rec.alertId);
        this.trackAwaiting(rec.alertId);
        this.emitEvent({
          type: 'submitted',
          alertId: rec.alertId,
          messageIds: rec.parts.map((x) => x.messageId ?? ''),
        });
      }
      this.persist(rec);
      return;
    }
    if (status === Status.RTHROTTLED) {
      this.counters.throttled++;
      bind.throttled();
      this.requeue(rec.alertId, part, true);
      return;
    }
    const reason = statusName(status);
    if (TRANSIENT.has(status)) return this.retryLater(rec, part, reason);
    this.fail(rec, part, `permanent: ${reason}`);
  }

  private onSubmitError(rec: AlertRecord, part: number, err: SmppError): void {
    if (this.state !== 'running') return; // stays queued in the outbox; resent after restart
    if (err.code === 'CG_SMPP_TIMEOUT') {
      this.counters.timeouts++;
      return this.retryLater(rec, part, 'response timeout');
    }
    // Link lost with the submit outstanding: we cannot know whether the SMSC took it. Resend (rare duplicate).
    this.counters.requeuedOnDisconnect++;
    this.requeue(rec.alertId, part, true);
  }

  private retryLater(rec: AlertRecord, part: number, reason: string): void {
    const p = rec.parts[part];
    p.attempts++;
    p.error = reason;
    if (p.attempts >= this.retry.maxAttempts)
      return this.fail(rec, part, `gave up after ${p.attempts} attempts: ${reason}`);
    this.counters.retried++;
    this.persist(rec);
    const t = setTimeout(
      () => {
        this.retryTimers.delete(t);
        this.requeue(rec.alertId, part, false);
        this.pump();
      },
      backoffDelay(this.retry, p.attempts - 1),
    );
    this.retryTimers.add(t);
  }

  /** Puts a part back in line; at the front when it lost its turn through no fault of its own. */
  private requeue(alertId: string, part: number, front: boolean): void {
    if (front && this.qHead > 0) this.queue[--this.qHead] = { alertId, part };
    else if (front) this.queue.unshift({ alertId, part });
    else this.queue.push({ alertId, part });
  }

  private fail(rec: AlertRecord, part: number, reason: string): void {
    rec.parts[part].state = 'failed';
    rec.parts[part].error = reason;
    rec.state = 'failed';
    rec.error = reason;
    rec.updatedAt = Date.now();
    this.counters.deadLettered++;
    this.log.warn({ alertId: rec.alertId, reason }, 'alert dead-lettered');
    // Sibling parts still queued are pointless without this one.
    for (const p of rec.parts) if (p.state === 'queued') p.state = 'failed';
    // Event after the commit, so a listener that reads the store sees the dead letter.
    const done = () => {
      this.forget(rec);
      this.emitEvent({ type: 'failed', alertId: rec.alertId, reason });
    };
    const write = this.outbox?.deadLetter(rec, reason);
    if (write)
      write.then(done, (err: Error) => {
        this.log.error({ alertId: rec.alertId, err: err.message }, 'dead-letter write failed');
        done();
      });
    else done();
  }

  private persist(rec: AlertRecord): Promise<boolean> {
    rec.updatedAt = Date.now();
    const p = this.outbox!.save(rec);
    p.catch((err: Error) => this.log.error({ alertId: rec.alertId, err: err.message }, 'outbox write failed'));
    return p;
  }

  private forget(rec: AlertRecord): void {
    this.active.delete(rec.alertId);
    this.awaiting.delete(rec.alertId);
    this.encoded.delete(rec.alertId);
  }

  /**
   * Submitted alerts wait in memory for their receipts; some SMSCs never send them. Past `MAX_AWAITING`,
   * the oldest are dropped from memory only (they stay in the outbox, where a late receipt still finds them).
   */
  private trackAwaiting(alertId: string): void {
    this.awaiting.add(alertId);
    while (this.awaiting.size > MAX_AWAITING) {
      const old = this.awaiting.values().next().value as string;
      this.awaiting.delete(old);
      if (this.active.get(old)?.state === 'submitted') this.active.delete(old);
    }
  }

  /**
   * The part a receipt names: of the newest submits under each candidate id form, one still awaiting a receipt if
   * there is one (an id form may still point at an old alert while another points at the pending one).
   */
  private matchReceipt(candidates: string[]): { alertId: string; part: number } | undefined {
    let first: { alertId: string; part: number } | undefined;
    for (const c of candidates) {
      const ref = this.recentIds.get(c) ?? this.outbox?.lookupMessageId([c]);
      if (!ref) continue;
      const rec = this.active.get(ref.alertId) ?? this.outbox?.get(ref.alertId);
      if (rec?.parts[ref.part]?.state === 'submitted') return ref;
      first ??= ref;
    }
    return first;
  }

  private remember(idKey: string, alertId: string, part: number): void {
    // Delete first so a reused id moves to the young end (the Map's order is what eviction reads).
    this.recentIds.delete(idKey);
    this.recentIds.set(idKey, { alertId, part });
    if (this.recentIds.size > 100_000) {
      const oldest = this.recentIds.keys().next().value;
      if (oldest !== undefined) this.recentIds.delete(oldest);
    }
  }

  // ---- deliver_sm: receipts and MO ----

  /** Waits (at most drainTimeoutMs) for the deliver_sm handlers running now, and one turn for their responses. */
  private async deliversSettled(): Promise<void> {
    if (this.delivering.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.delivering]),
      new Promise((r) => (timer = setTimeout(r, this.opts.drainTimeoutMs))),
    ]);
    clearTimeout(timer);
    await new Promise((r) => setImmediate(r));
  }

  /** Keeps a deliver_sm handler in `delivering` until it settles (close() waits for them). */
  private trackDeliver(p: Promise<number>): Promise<number> {
    this.delivering.add(p);
    const done = () => void this.delivering.delete(p);
    p.then(done, done);
    return p;
  }

  private async onDeliver(pdu: Pdu, smscKey: string): Promise<number> {
    if (!this.outbox || this.state === 'closed') return Status.RX_T_APPN;
    if (isReceipt(pdu)) return this.onReceipt(pdu, smscKey);
    return this.onMo(pdu);
  }

  private async onReceipt(pdu: Pdu, smscKey: string): Promise<number> {
    this.counters.receipts++;
    const r = parseReceipt(pdu);
    if (!r) {
      this.counters.unmatchedReceipts++;
      return Status.ROK; // unreadable: nothing to retry for
    }
    const ids = messageIdCandidates(r.messageId);
    // Keys written before the system id was part of them (host:port only) still match, after the current ones.
    const legacy = this.legacyKeys.get(smscKey) ?? smscKey;
    const candidates = [...ids.map((c) => `${smscKey}|${c}`), ...ids.map((c) => `${legacy}|${c}`)];
    // SMSCs reuse message ids (counter wrap, restart, a fail-over pair), so an id may name an old alert and a new
    // one. The newest submit with the id wins: the index is overwritten at each submit_sm_resp. A receipt can beat
    // its own submit_sm_resp (read in the same TCP chunk before the resp's callbacks ran, or sent first), so it is
    // held until every submit that was awaiting its response on this SMSC when it arrived has settled (bounded by
    // the response timeout), and only then matched and acknowledged. A match to a part that is no longer awaiting
    // a receipt (an old, final record) is never applied.
    const deadline = Date.now() + this.opts.responseTimeoutMs;
    // The sends themselves, not the parts: a part resent after a timeout is a later send, not one to wait for.
    const before = [...this.inFlight].filter(([, f]) => f.smsc === smscKey).map(([k, f]) => [k, f.send] as const);
    const pending = () => before.some(([k, send]) => this.inFlight.get(k)?.send === send);
    await new Promise((resolve) => setImmediate(resolve));
    while (pending() && Date.now() < deadline && this.state === 'running') {
      await this.nextSubmitOutcome(deadline - Date.now());
    }
    let ref = this.matchReceipt(candidates);
    // Still nothing: the SMSC sent it before a submit this engine has not yet sent the resp of was even in flight
    // (another bind of the same SMSC). Wait for whatever is outstanding, then call it unmatched.
    while (!ref && this.inFlight.size > 0 && Date.now() < deadline && this.state === 'running') {
      await this.nextSubmitOutcome(deadline - Date.now());
      ref = this.matchReceipt(candidates);
    }
    const rec = ref && (this.active.get(ref.alertId) ?? this.outbox!.get(ref.alertId));
    if (!ref || !rec || !rec.parts[ref.part]) {
      this.counters.unmatchedReceipts++;
      this.log.debug({ messageId: r.messageId, stat: r.state }, 'receipt for unknown message');
      return Status.ROK;
    }
    if (rec.parts[ref.part].state !== 'submitted') {
      // A duplicate receipt, or a reused id whose newest submit already has its final state: nothing to apply.
      this.counters.staleReceipts++;
      this.log.debug(
        { messageId: r.messageId, stat: r.state, alertId: rec.alertId, part: ref.part },
        'receipt for a part already final',
      );
      return Status.ROK;
    }
    const partState = receiptToPartState(r.state);
    if (!partState) return Status.ROK; // ENROUTE / ACCEPTD / UNKNOWN: not final
    const p = rec.parts[ref.part];
    p.state = partState;
    if (r.error) p.error = `err:${r.error}`;
    const alertState = overallState(rec);
    const becameFinal = alertState !== rec.state && FINAL_STATES.has(alertState);
    rec.state = alertState;
    await this.persist(rec);
    if (becameFinal) {
      this.forget(rec);
      if (alertState === 'delivered') this.counters.delivered++;
      else if (alertState === 'undeliverable') this.counters.undeliverable++;
      else if (alertState === 'expired') this.counters.expired++;
      if (alertState === 'delivered' || alertState === 'undeliverable' || alertState === 'expired') {
        this.emitEvent({ type: alertState, alertId: rec.alertId, receipt: r.state });
      }
    }
    return Status.ROK;
  }

  private async onMo(pdu: Pdu): Promise<number> {
    this.counters.mo++;
    const outbox = this.outbox!;
    const raw =
      Buffer.isBuffer(pdu.short_message) && pdu.short_message.length
        ? pdu.short_message
        : Buffer.isBuffer(pdu.message_payload)
          ? pdu.message_payload
          : Buffer.alloc(0);
    const text = decodeShortMessage(
      raw,
      typeof pdu.data_coding === 'number' ? pdu.data_coding : 0,
      typeof pdu.esm_class === 'number' ? pdu.esm_class : 0,
    );
    const from = normalizeMsisdn(typeof pdu.source_addr === 'string' ? pdu.source_addr : '');
    if (!from) {
      this.log.warn({ text: text.slice(0, 40) }, 'MO from an unreadable number ignored');
      return Status.ROK;
    }
    const intent = classifyMo(text);
    const ledger = this.consent!;
    let alertId: string | undefined;
    try {
      alertId = await ledger.lastAlertFor(from);
      await ledger.recordMo({ at: Date.now(), from, text, intent, ...(alertId ? { alertId } : {}) });
      if (intent === 'opt-out' || intent === 'opt-in') await ledger.setOptOut(from, intent === 'opt-out', Date.now());
    } catch (err) {
      // Not acknowledged: the SMSC delivers it again later, so a STOP is never dropped while the ledger is away.
      this.log.warn(
        { err: (err as Error).message, intent },
        'consent ledger unavailable: MO answered with a temporary error',
      );
      return Status.RX_T_APPN;
    }
    switch (intent) {
      case 'opt-out':
      case 'opt-in': {
        this.emitEvent({ type: intent, msisdn: from });
        const confirm = renderConfirmation(intent, this.templateOpts);
        await this.admit({ alertId: `${intent}:${from}:${Date.now()}`, to: from, text: confirm }, true);
        break;
      }
      case 'scam':
      case 'not-scam': {
        const rec = alertId ? (this.active.get(alertId) ?? outbox.get(alertId)) : undefined;
        if (rec) {
          rec.feedback = { verdict: intent, at: Date.now(), text };
          await this.persist(rec);
        }
        this.emitEvent({ type: 'feedback', msisdn: from, verdict: intent, text, ...(alertId ? { alertId } : {}) });
        break;
      }
      default:
        this.emitEvent({ type: 'mo', msisdn: from, text });
    }
    return Status.ROK;
  }
}

function receiptToPartState(s: ReceiptState): PartState | undefined {
  switch (s) {
    case 'DELIVRD':
      return 'delivered';
    case 'EXPIRED':
      return 'expired';
    case 'UNDELIV':
    case 'REJECTD':
    case 'DELETED':
      return 'undeliverable';
    default:
      return undefined;
  }
}

/** Alert state from its parts: final only when every part is; delivered only if all were. */
function overallState(rec: AlertRecord): AlertState {
  if (rec.parts.some((p) => p.state === 'queued')) return 'queued';
  if (rec.parts.some((p) => p.state === 'submitted')) return 'submitted';
  if (rec.parts.every((p) => p.state === 'delivered')) return 'delivered';
  return rec.parts.find((p) => p.state !== 'delivered')!.state;
}

/** SMPP relative validity period "YYMMDDhhmmss000R". */
export function relativeValidity(minutes: number): string {
  const m = Math.max(1, Math.round(minutes));
  const days = Math.min(99, Math.floor(m / 1440));
  const hours = Math.floor((m % 1440) / 60);
  const mins = m % 60;
  const two = (n: number) => String(n).padStart(2, '0');
  return `0000${two(days)}${two(hours)}${two(mins)}00000R`;
}

/** Creates the service (call start() next). */
export function createAlertService(options: AlertServiceOptions): AlertService {
  return new AlertService(options);
}
