/** Shared set-up for the smpp tests: a simulator, a service on a temp dir, event waits, and cleanup. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createAlertService,
  type AlertService,
  type AlertServiceEvent,
  type AlertServiceOptions,
} from './alert-service.js';
import { startSmscSimulator, type SmscSimulator, type SmscSimulatorOptions } from './smsc-simulator.js';

/** Generous bound so a broken test fails instead of hanging; never a timing assertion. */
export const HANG_GUARD_MS = 20_000;

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'callguard-smpp-'));
}

/** Options fast enough for tests (small back-offs), unlimited TPS, generous response timeouts. */
export function testServiceOptions(
  sim: { port: number },
  dataDir: string,
  extra: Partial<AlertServiceOptions> = {},
): AlertServiceOptions {
  return {
    smsc: `smpp://callguard:secret@127.0.0.1:${sim.port}`,
    dataDir,
    sender: 'ACME',
    tps: 0,
    responseTimeoutMs: 5_000,
    reconnect: { baseMs: 20, maxMs: 200 },
    throttleBackoff: { baseMs: 10, maxMs: 50 },
    retry: { baseMs: 10, maxMs: 50, maxAttempts: 5 },
    limits: { perHour: 1000 },
    templates: { brand: 'ACME' },
    ...extra,
  };
}

/** Resolves with the first event matching `pred` (rejects after HANG_GUARD_MS). */
export function waitEvent(
  svc: AlertService,
  pred: (e: AlertServiceEvent) => boolean,
  label = 'event',
): Promise<AlertServiceEvent> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      svc.off('event', on);
      reject(new Error(`timed out waiting for ${label}`));
    }, HANG_GUARD_MS);
    const on = (e: AlertServiceEvent) => {
      if (!pred(e)) return;
      clearTimeout(t);
      svc.off('event', on);
      resolve(e);
    };
    svc.on('event', on);
  });
}

/** Resolves once `pred()` holds (polled), rejecting after HANG_GUARD_MS. */
export async function until(pred: () => boolean, label = 'condition'): Promise<void> {
  const end = Date.now() + HANG_GUARD_MS;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${label}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export interface Rig {
  sim: SmscSimulator;
  svc: AlertService;
  dir: string;
  events: AlertServiceEvent[];
  cleanup(): Promise<void>;
}

/** A started simulator and service (bound unless `bound: false`). Always call cleanup() in finally. */
export async function rig(
  opts: { sim?: SmscSimulatorOptions; svc?: Partial<AlertServiceOptions>; bound?: boolean; dir?: string } = {},
): Promise<Rig> {
  const sim = await startSmscSimulator({ systemId: 'callguard', password: 'secret', ...opts.sim });
  const dir = opts.dir ?? tempDir();
  const svc = createAlertService(testServiceOptions(sim, dir, opts.svc));
  const events: AlertServiceEvent[] = [];
  svc.on('event', (e: AlertServiceEvent) => events.push(e));
  await svc.start();
  if (opts.bound !== false) await svc.ready();
  return {
    sim,
    svc,
    dir,
    events,
    async cleanup() {
      await svc.close();
      await sim.close();
      if (!opts.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
