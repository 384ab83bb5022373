/**
 * SMPP benchmark: `node dist/smpp/smpp.bench.js` (npm run bench:smpp).
 * 1. Sustained submit_sm/s through the full path (enqueue -> lmdb outbox -> window 10 -> simulator ->
 *    submit_sm_resp -> outbox update), one bind, no TPS cap, receipts off so the SMSC side stays light.
 * 2. Alert latency from enqueue() to submit_sm on the wire (seen by the simulator), one alert at a time
 *    on an idle SMSC, receipts on.
 * Simulator and service share this process (and its 2 cores): the figures are a floor.
 * Env: BENCH_SMPP_N (default 20000), BENCH_SMPP_LAT_N (default 1000).
 */
import { rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { createAlertService } from './alert-service.js';
import { startSmscSimulator } from './smsc-simulator.js';
import { tempDir } from './test-harness.js';

const N = Number(process.env.BENCH_SMPP_N ?? 20_000);
const LAT_N = Number(process.env.BENCH_SMPP_LAT_N ?? 1_000);

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function throughput(): Promise<void> {
  const sim = await startSmscSimulator({ receipts: false });
  const dir = tempDir();
  const svc = createAlertService({
    smsc: `smpp://bench:bench@127.0.0.1:${sim.port}`,
    dataDir: dir,
    sender: 'ACME',
    window: 10,
    tps: 0,
    limits: { perHour: 1e9, oncePerCall: false },
  });
  await svc.start();
  await svc.ready();
  const text = 'ACME WARNING: this call may be a scam. Hang up now. Never share codes. Automated, may be wrong.';
  let first = 0;
  sim.events.once('submit', () => (first = performance.now()));
  const t0 = performance.now();
  // Keep up to 1000 enqueues in flight: enqueue resolves on commit, and lmdb batches commits.
  let next = 0;
  const worker = async () => {
    while (next < N) {
      const i = next++;
      const r = await svc.enqueue({ alertId: `tp-${i}`, to: `44770${String(i).padStart(7, '0')}`, text });
      if (!r.accepted) throw new Error(`refused: ${r.reason}`);
    }
  };
  await Promise.all(Array.from({ length: 1000 }, worker));
  const tEnq = performance.now();
  await sim.waitFor(() => sim.received.length >= N, 120_000);
  const tLast = performance.now();
  await new Promise<void>((resolve) => {
    const iv = setInterval(() => {
      if (svc.status().counters.submitted >= N) {
        clearInterval(iv);
        resolve();
      }
    }, 5);
  });
  const rate = N / ((tLast - first) / 1000);
  console.log(
    `throughput: ${N} alerts, window 10, 1 bind: ${rate.toFixed(0)} submit_sm/s sustained (first->last ` +
      `submit ${(tLast - first).toFixed(0)} ms; all enqueues persisted after ${(tEnq - t0).toFixed(0)} ms)`,
  );
  await svc.close();
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
}

async function latency(): Promise<void> {
  const sim = await startSmscSimulator();
  const dir = tempDir();
  const svc = createAlertService({
    smsc: `smpp://bench:bench@127.0.0.1:${sim.port}`,
    dataDir: dir,
    sender: 'ACME',
    limits: { perHour: 1e9, oncePerCall: false },
    tps: 0,
  });
  await svc.start();
  await svc.ready();
  const lat: number[] = [];
  for (let i = 0; i < LAT_N; i++) {
    const seen = new Promise<number>((resolve) => sim.events.once('submit', () => resolve(performance.now())));
    const t0 = performance.now();
    await svc.enqueue({ alertId: `lat-${i}`, to: '447700900999', explanation: 'The caller pressed for a code' });
    lat.push((await seen) - t0);
    // Idle SMSC: let the receipt round trip finish before the next alert.
    await new Promise((r) => setTimeout(r, 2));
  }
  lat.sort((a, b) => a - b);
  console.log(
    `latency enqueue -> submit_sm on the wire (${LAT_N} alerts, idle SMSC): p50 ${pct(lat, 50).toFixed(2)} ms, ` +
      `p99 ${pct(lat, 99).toFixed(2)} ms, max ${lat[lat.length - 1].toFixed(2)} ms`,
  );
  await svc.close();
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
}

await throughput();
await latency();
