import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CallguardConfig } from '../../engine/config/config-schema.js';
import { Engine } from '../../engine/engine.js';
import { demoCalls } from '../../load-tests/demo-calls.js';
import { findEmodbDir, loadEmodbClips } from '../../load-tests/emodb-clips.js';
import type { PlannedCall } from '../../load-tests/call-plan.js';
import { freeUdpPort } from './sipp-runner.js';
import { quietLog, testConfig } from './engine-fixtures.js';

export const ENGINE_TOKEN = 'shared-store-token';

/**
 * An engine as one of several behind a dispatcher: on `store.url` (PostgreSQL), enrolment enforced, its own SMSC,
 * SIP on a fixed UDP port (the dispatcher list names it), one worker, and the policy the demo test uses so an 8 s
 * scam-like call alerts (the default needs ~30 s of speech).
 */
export async function sharedEngine(o: {
  storeUrl: string;
  smscPort: number;
  rtpBase: number;
  perHour?: number;
  holdAfterCallSeconds?: number;
  dirs: string[];
}): Promise<Engine> {
  const c = testConfig({ engine: { tickMs: 100 }, pool: { threads: 1 } });
  const dir = mkdtempSync(join(tmpdir(), 'cg-shared-'));
  o.dirs.push(dir);
  const cfg: CallguardConfig = {
    ...c,
    policy: {
      ...c.policy,
      minSpeechSeconds: 4,
      confirmSeconds: 1,
      riskSmoothingSeconds: 1,
      cueSmoothingSeconds: 2,
      baselineSeconds: 2,
    },
    sip: { ...c.sip, port: await freeUdpPort(), host: '127.0.0.1', transports: ['udp'] },
    http: { ...c.http, port: 0, token: ENGINE_TOKEN },
    rtp: { ...c.rtp, portMin: o.rtpBase, portMax: o.rtpBase + 39 },
    smpp: { ...c.smpp, url: `smpp://callguard:secret@127.0.0.1:${o.smscPort}`, perHour: o.perHour ?? 3 },
    store: {
      ...c.store,
      url: o.storeUrl,
      retrySeconds: 0.2,
      statementTimeoutMs: 1000,
      connectTimeoutMs: 1000,
      holdAfterCallSeconds: o.holdAfterCallSeconds ?? 120,
    },
    subscribers: { enforce: true },
    speech: { ...c.speech, enabled: false },
    data: { dir },
  };
  const engine = new Engine(cfg, quietLog);
  await engine.start();
  return engine;
}

/** The engine's admin API. */
export function api(engine: Engine) {
  const { port } = engine.http.address();
  return async (path: string, init: { method?: string; body?: unknown } = {}) => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, {
      method: init.method ?? 'GET',
      headers: {
        authorization: `Bearer ${ENGINE_TOKEN}`,
        ...(init.body ? { 'content-type': 'application/json' } : {}),
      },
      body: init.body ? JSON.stringify(init.body) : undefined,
    });
    const text = await res.text();
    let body: any = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON (metrics text): the caller reads the text
    }
    return { status: res.status, body };
  };
}

/** Polls `cond` every 100 ms; throws after `ms` (a guard against hangs, not a timing check). */
export async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 60000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`${what}: not reached after ${ms / 1000} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Scam-like SIPREC calls (the demo's: an angry caller, a frightened callee from the first second), one per protected
 * number, `seconds` long, placed `spacingMs` apart; call ids carry `tag` so reruns and rounds differ.
 */
export function scamCalls(tag: string, callees: string[], seconds = 8, spacingMs = 300): PlannedCall[] {
  const dir = findEmodbDir();
  if (!dir) throw new Error('Emo-DB clips not found beside the repository (../shared/data/emodb-8k)');
  const [, scam] = demoCalls(loadEmodbClips(dir), { seconds, runTag: '0000', seed: 7 });
  return callees.map((callee, i) => ({
    ...scam.plan,
    index: i,
    callId: `cg-${tag}-${i}@127.0.0.1`,
    startOffsetMs: i * spacingMs,
    callerNumber: `+491510000${String(i).padStart(3, '0')}`,
    calleeNumber: callee,
  }));
}

/** Which engine took each call (call ids from the supervisors' call-started events). */
export function trackCalls(engines: Record<string, Engine>): Map<string, string> {
  const took = new Map<string, string>();
  for (const [name, e] of Object.entries(engines))
    e.supervisor.on('call-started', (spec: { callId: string }) => took.set(spec.callId, name));
  return took;
}
