import type { WorkerDescription } from '../../actors/worker-control.js';
import type { AlertServiceStatus } from '../../smpp/index.js';

/** One readiness condition. */
export interface ReadinessCheck {
  name: 'pool' | 'workers' | 'sip' | 'smpp' | 'draining' | 'store';
  ok: boolean;
  detail: string;
}

export interface ReadinessInput {
  /** The pool exists (the supervisor started it). */
  poolUp: boolean;
  threads: number;
  modelEnabled: boolean;
  workers: WorkerDescription[];
  sipListening: boolean;
  draining: boolean;
  smpp: AlertServiceStatus | null;
  /** The store's health (PostgreSQL can be down; lmdb is always up) and the alerts held meanwhile. */
  store?: {
    kind: 'lmdb' | 'postgres';
    state: 'up' | 'down';
    since: number;
    lastError: string | null;
    heldAlerts: number;
  } | null;
}

/**
 * Ready means: the pool is up and every configured worker answered its control channel (with its model loaded when
 * model.enabled), SIP is listening and not draining, and SMS can leave — at least one SMPP bind is bound, or the
 * persistent outbox is accepting alerts (they wait there for the SMSC) — and the store answers: while PostgreSQL is
 * down the engine still analyses, but no alert can be checked against consent, so it is not ready (and says how many
 * alerts are held). Pure: the engine gathers the input.
 */
export function evaluateReadiness(i: ReadinessInput): { ready: boolean; checks: ReadinessCheck[] } {
  const checks: ReadinessCheck[] = [];
  checks.push({ name: 'pool', ok: i.poolUp, detail: i.poolUp ? 'worker pool running' : 'worker pool not running' });
  const described = i.workers.length;
  const missingModel = i.modelEnabled ? i.workers.filter((w) => !w.model).length : 0;
  const workersOk = i.poolUp && described >= i.threads && missingModel === 0;
  checks.push({
    name: 'workers',
    ok: workersOk,
    detail:
      `${described}/${i.threads} workers answered` +
      (i.modelEnabled ? `, ${described - missingModel} with the model loaded` : ' (model disabled)'),
  });
  checks.push({
    name: 'sip',
    ok: i.sipListening,
    detail: i.sipListening ? 'SIPREC listening' : 'SIPREC not listening',
  });
  checks.push({
    name: 'draining',
    ok: !i.draining,
    detail: i.draining ? 'draining: new calls refused' : 'accepting calls',
  });
  const bound = i.smpp?.binds.filter((b) => b.state === 'bound').length ?? 0;
  const accepting = i.smpp?.state === 'running';
  checks.push({
    name: 'smpp',
    ok: bound > 0 || accepting,
    detail: i.smpp
      ? `${bound}/${i.smpp.binds.length} binds bound; outbox ${accepting ? 'accepting' : i.smpp.state}`
      : 'SMS delivery not running',
  });
  if (i.store) {
    const s = i.store;
    const down = s.state === 'down';
    checks.push({
      name: 'store',
      ok: !down,
      detail: down
        ? `${s.kind} unavailable since ${new Date(s.since).toISOString()} ` +
          `(${s.lastError ?? 'no answer'}): ${s.heldAlerts} alert(s) held until consent can be checked`
        : `${s.kind} available` + (s.heldAlerts ? `, ${s.heldAlerts} held alert(s) being released` : ''),
    });
  }
  return { ready: checks.every((c) => c.ok), checks };
}
