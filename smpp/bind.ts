/**
 * One logical bind to one SMSC endpoint that stays up: it opens a fresh SmppSession, re-opens it after any
 * loss with jittered back-off, and carries the per-bind TPS bucket and throttle pause, which outlive
 * sessions. Events: 'state' (BindState), 'ready' (a submit may go out now), 'lost' (session gone; the
 * error says why).
 */
import { EventEmitter } from 'node:events';
import { backoffDelay, type BackoffPolicy } from './backoff.js';
import type { Pdu } from './codec.js';
import { SmppError } from './errors.js';
import { silentLogger, type Logger } from './logger.js';
import { SmppSession, type SessionOptions } from './session.js';
import { TokenBucket } from './token-bucket.js';

export type BindState = 'down' | 'connecting' | 'bound' | 'closing' | 'closed';

export interface BindOptions extends Omit<SessionOptions, 'name' | 'logger'> {
  /** Label, e.g. "127.0.0.1:2775#0". */
  name: string;
  tps: number;
  reconnect: BackoffPolicy;
  throttle: BackoffPolicy;
  logger?: Logger;
}

export class SmscBind extends EventEmitter {
  state: BindState = 'down';
  session?: SmppSession;
  lastError?: string;
  /**
   * Per bind, over all its sessions: binds, failures, lost links, throttling, and what its SMSC sent that we refused.
   */
  readonly counters = {
    binds: 0,
    bindFailures: 0,
    disconnects: 0,
    throttled: 0,
    framingLost: 0,
    badRequests: 0,
    badResponses: 0,
    delivers: 0,
  };
  private readonly bucket: TokenBucket;
  private throttledUntil = 0;
  private throttleStreak = 0;
  private reconnectAttempt = 0;
  private reconnectTimer?: NodeJS.Timeout;
  private wakeTimer?: NodeJS.Timeout;
  private readonly log: Logger;

  constructor(readonly opts: BindOptions) {
    super();
    this.bucket = new TokenBucket(opts.tps);
    this.log = opts.logger ?? silentLogger;
  }

  /** The counters with the live session's included (they move into `counters` when a session closes). */
  totals(): SmscBind['counters'] {
    const t = { ...this.counters };
    const live = this.session?.counters;
    if (live) for (const k of ['framingLost', 'badRequests', 'badResponses', 'delivers'] as const) t[k] += live[k];
    return t;
  }

  get name(): string {
    return this.opts.name;
  }

  /** Starts connecting (and keeps reconnecting until close()). */
  start(): void {
    if (this.state !== 'down') return;
    this.connect();
  }

  private setState(s: BindState): void {
    if (this.state === s) return;
    this.state = s;
    this.emit('state', s);
  }

  private connect(): void {
    this.reconnectTimer = undefined;
    if (this.state === 'closing' || this.state === 'closed') return;
    this.setState('connecting');
    const session = new SmppSession({ ...this.opts, name: this.opts.name, logger: this.log });
    this.session = session;
    session.on('slot', () => this.emit('ready'));
    session.on('drain', () => this.emit('ready'));
    session.once('close', (err?: SmppError) => {
      if (this.session === session) this.session = undefined;
      for (const k of ['framingLost', 'badRequests', 'badResponses', 'delivers'] as const)
        this.counters[k] += session.counters[k];
      if (err) this.lastError = err.message;
      if (this.state === 'bound') {
        this.counters.disconnects++;
        this.log.warn({ bind: this.name, code: err?.code, err: err?.message }, 'smpp bind lost');
      }
      this.emit('lost', err);
      if (this.state === 'closing' || this.state === 'closed') return;
      this.setState('down');
      this.scheduleReconnect();
    });
    session.open().then(
      () => {
        if (this.state !== 'connecting') return session.destroy();
        this.counters.binds++;
        this.reconnectAttempt = 0;
        this.lastError = undefined;
        this.log.info({ bind: this.name }, 'smpp bound');
        this.setState('bound');
        this.emit('ready');
      },
      (err: SmppError) => {
        this.counters.bindFailures++;
        this.lastError = err.message;
        this.log.warn({ bind: this.name, code: err.code, err: err.message }, 'smpp bind failed');
      },
    );
  }

  private scheduleReconnect(): void {
    if (this.reconnectTimer) return;
    const delay = backoffDelay(this.opts.reconnect, this.reconnectAttempt++);
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  /** True when a submit_sm may go out on this bind now (bound, window slot, not throttled, token). */
  get canSubmit(): boolean {
    return this.state === 'bound' && !!this.session?.canSubmit && Date.now() >= this.throttledUntil;
  }

  /** Takes a TPS token; false means wait `msUntilReady()`. */
  takeToken(): boolean {
    return this.bucket.tryTake();
  }

  /** Milliseconds until the throttle pause or the TPS bucket lets the next submit out. */
  msUntilReady(): number {
    return Math.max(this.throttledUntil - Date.now(), this.bucket.msUntilToken(), 0);
  }

  /** Submits on the current session. */
  submit(fields: Record<string, unknown>): Promise<Pdu> {
    const s = this.session;
    if (!s || this.state !== 'bound')
      return Promise.reject(new SmppError('CG_SMPP_NOT_BOUND', `bind ${this.name} is ${this.state}`));
    return s.submit(fields);
  }

  /** The SMSC said ESME_RTHROTTLED: pause this bind with growing back-off. */
  throttled(): void {
    this.counters.throttled++;
    const pause = backoffDelay(this.opts.throttle, this.throttleStreak++);
    this.throttledUntil = Math.max(this.throttledUntil, Date.now() + pause);
    this.log.warn({ bind: this.name, pauseMs: pause }, 'smsc throttled us');
    clearTimeout(this.wakeTimer);
    this.wakeTimer = setTimeout(() => this.emit('ready'), pause);
  }

  /** A submit was accepted: the throttle streak is over. */
  accepted(): void {
    this.throttleStreak = 0;
  }

  /** Graceful: drain the window (bounded by drainMs), unbind, stop reconnecting. */
  async close(drainMs: number): Promise<void> {
    if (this.state === 'closed') return;
    this.setState('closing');
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.wakeTimer);
    const s = this.session;
    if (s) await s.unbind(drainMs);
    this.setState('closed');
  }
}
