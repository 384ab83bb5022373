import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Engine } from '../engine/engine.js';
import { quietLog, testConfig } from '../test/support/engine-fixtures.js';
import { within } from '../test/support/within.js';
import { runCalls } from './call-generator.js';
import { planCalls } from './call-plan.js';
import { defaultClipLibrary } from './emodb-clips.js';
import { parseHistograms, summarizeHistogram } from './engine-metrics-scraper.js';

/**
 * The engine's own latency and inference metrics after real SIPREC calls (generator → SIP/RTP ingest → rings →
 * pool → model → policy): every scored window has exactly one audio-to-verdict observation, each ≥ 0 and finite,
 * and every window went through exactly one model predict unless it had too little speech to be scored. No timing is
 * asserted.
 */
const twoRealCallsOneTitle =
  'two real calls: one verdict latency per scored window, each window with speech in one predict, the report ' +
  'parser agrees';
test(twoRealCallsOneTitle, async () => {
  const c = testConfig();
  const dir = mkdtempSync(join(tmpdir(), 'cg-load-metrics-'));
  const base = 47000 + (process.pid % 100) * 10;
  const engine = new Engine(
    {
      ...c,
      sip: { ...c.sip, port: 0, transports: ['udp'] },
      http: { ...c.http, port: 0, token: 'metrics-test' },
      rtp: { ...c.rtp, portMin: base, portMax: base + 9 },
      smpp: { ...c.smpp, simulatorPort: 0 },
      data: { dir },
    },
    quietLog,
  );
  const latencies: number[] = [];
  engine.supervisor.on('verdict-latency', (s: number) => latencies.push(s));
  await engine.start();
  try {
    await within(untilWorkersLoaded(engine), 90000, 'workers loading the model');
    const plan = planCalls(defaultClipLibrary(), {
      calls: 2,
      ratePerSecond: 4,
      durationSeconds: { min: 7, max: 7 },
      scamFraction: 0.5,
      seed: 11,
    });
    const r = await runCalls({ target: engine.siprec.server.address(), calls: plan, maxRunSeconds: 40 });
    assert.is(r.summary.completed, 2, JSON.stringify(r.summary.failures));
    await within(untilCallsEnded(engine, 2), 30000, 'engine ending both calls');

    const stats = engine.supervisor.stats();
    // 7 s per leg: at least this many windows on the hop grid each (a final window over the last 2 s may come on top).
    const perLeg = Math.floor((7 - c.features.windowSeconds) / c.features.windowHopSeconds);
    assert.ok(perLeg >= 5 && stats.windows >= 2 * 2 * perLeg, `windows scored: ${stats.windows}`);
    assert.is(stats.verdictLatencyUnknown, 0);
    assert.is(latencies.length, stats.windows, 'one latency per scored window');
    for (const s of latencies) assert.ok(Number.isFinite(s) && s >= 0, `latency ${s}`);

    const text = (await engine.metrics.scrape()).text;
    const skipped = Number(/^callguard_inference_skipped_windows_total (\S+)/m.exec(text)?.[1]);
    assert.ok(Number.isInteger(skipped), 'skipped windows counted');
    const h = parseHistograms(text, [
      'callguard_window_verdict_latency_seconds',
      'callguard_inference_batch_size',
      'callguard_inference_seconds',
    ]);
    const verdict = h.get('callguard_window_verdict_latency_seconds')!;
    const batch = h.get('callguard_inference_batch_size')!;
    const infer = h.get('callguard_inference_seconds')!;
    const v = summarizeHistogram(verdict, 1000);
    console.log(
      `  ${stats.windows} windows; verdict latency p50/p99 ${v.p50}/${v.p99} ms; ${batch.count} predicts, mean ` +
        `batch ${(batch.sum / batch.count).toFixed(1)}, mean ` +
        `predict ${((infer.sum / infer.count) * 1000).toFixed(2)} ms, ${skipped} windows skipped (printed, not ` +
        `asserted)`,
    );
    assert.is(verdict.count, stats.windows);
    assert.ok(
      Math.abs(verdict.sum - latencies.reduce((a, b) => a + b, 0)) < 1e-6 * stats.windows + 1e-9,
      'histogram sum = sum of observations',
    );
    assert.is(verdict.buckets[verdict.buckets.length - 1].le, Infinity);
    assert.is(verdict.buckets[verdict.buckets.length - 1].count, verdict.count);
    // Each window with enough speech is predicted exactly once, the others not at all (a round's events always fit its
    // mailbox, so no round is replayed here).
    assert.ok(batch.count > 0);
    assert.is(batch.sum + skipped, stats.windows);
    assert.is(infer.count, batch.count);
    assert.ok(Number.isFinite(infer.sum) && infer.sum > 0);
  } finally {
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

async function untilWorkersLoaded(engine: Engine): Promise<void> {
  for (;;) {
    const ws = await engine.supervisor.describeWorkers();
    if (ws.length >= engine.config.pool.threads && ws.every((w) => w.model)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function untilCallsEnded(engine: Engine, n: number): Promise<void> {
  while (engine.supervisor.stats().callsEnded < n) await new Promise((r) => setTimeout(r, 50));
}

test.run();
