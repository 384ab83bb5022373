import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createAlertService } from './alert-service.js';
import { startSmscSimulator, type SmscSimulator } from './smsc-simulator.js';
import { HANG_GUARD_MS, tempDir, testServiceOptions, until } from './test-harness.js';

const CHILD = fileURLToPath(new URL('./crash-child.js', import.meta.url));

/** Runs the child until it has queued everything, then SIGKILLs it. */
async function queueInChildThenKill(
  sim: SmscSimulator,
  dir: string,
  count: number,
  prefix: string,
  beforeKill?: () => Promise<void>,
): Promise<void> {
  const child: ChildProcess = spawn(process.execPath, [CHILD, String(sim.port), dir, String(count), prefix], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  try {
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`child did not queue in time: ${err}`)), HANG_GUARD_MS);
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes(`QUEUED ${count}`)) {
          clearTimeout(t);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(t);
        reject(new Error(`child exited early (${code}): ${err}`));
      });
    });
    await beforeKill?.();
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }
}

async function restartAndCount(sim: SmscSimulator, dir: string, count: number, prefix: string): Promise<Set<string>> {
  const svc = createAlertService(testServiceOptions(sim, dir));
  await svc.start();
  try {
    const want = () => new Set(sim.received.map((s) => s.text).filter((t) => t.startsWith(prefix)));
    await until(() => want().size === count, `all ${count} delivered after restart`);
    await until(() => svc.status().outbox.queuedParts === 0, 'outbox drained');
    return want();
  } finally {
    await svc.close();
  }
}

test('SIGKILL during an SMSC outage: a fresh service on the same data dir delivers every alert', async () => {
  const sim = await startSmscSimulator({ systemId: 'callguard', password: 'secret' });
  const dir = tempDir();
  try {
    sim.setDown(true);
    await queueInChildThenKill(sim, dir, 50, 'outage-');
    assert.is(sim.received.length, 0);
    sim.setDown(false);
    const got = await restartAndCount(sim, dir, 50, 'outage-');
    assert.is(got.size, 50);
  } finally {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('SIGKILL with submits in flight (unacknowledged): they are resent after restart', async () => {
  const sim = await startSmscSimulator({ systemId: 'callguard', password: 'secret' });
  const dir = tempDir();
  try {
    sim.holdResponses(true);
    // Kill only once a full window (10) is on the wire, unanswered.
    await queueInChildThenKill(sim, dir, 15, 'inflight-', () => sim.waitFor(() => sim.received.length >= 10));
    assert.is(sim.received.length, 10);
    sim.holdResponses(false);
    sim.disconnectAll();
    const got = await restartAndCount(sim, dir, 15, 'inflight-');
    assert.is(got.size, 15);
    // At-least-once: whatever was in flight at the kill went out twice; nothing went out zero times.
    assert.ok(sim.received.length >= 15);
  } finally {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
