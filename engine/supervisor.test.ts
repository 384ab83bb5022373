import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { WindowEvent } from '../actors/actor-events.js';
import { extractOffline } from '../actors/features/offline-extractor.js';
import { quietLog, speech, testConfig } from '../test/support/engine-fixtures.js';
import { within } from '../test/support/within.js';
import { Supervisor, SupervisorError, type CallHandle } from './supervisor.js';
import { readdirSync } from 'node:fs';
import { emodbDir } from '../test/support/repo-paths.js';
import { shippedModelDir } from '../models/runtime/shipped-model.js';
import type { AlertEvent } from '../actors/actor-events.js';
import type { InferenceStats } from '../actors/actor-step.js';
import { MIN_SPEECH_RATIO } from '../actors/policy/risk-policy.js';

/** The front-end the engine runs on its default config (the reference windows come from the same settings). */
const LIVE_FRONT_END = testConfig().features;

const CALLER = speech('03a01Wa.wav', '03a02Wb.wav', '03a04Wc.wav', '03a05Wa.wav');
const CALLEE = speech('08a01Na.wav', '08a02Na.wav', '08a04Nc.wav', '08a05Nb.wav');

/** The windows the offline (single-thread) front-end produces: what the pool must reproduce exactly. */
function expected(pcm: Int16Array) {
  return extractOffline(pcm, 8000, LIVE_FRONT_END).windows.map((w) => ({
    index: w.index,
    startFrame: w.startFrame,
    partial: w.partial,
    ...w.summary,
  }));
}

function collect(sup: Supervisor) {
  const byCall = new Map<string, WindowEvent[][]>();
  sup.on('window', (id: string, ev: WindowEvent) => {
    const legs = byCall.get(id) ?? [[], []];
    byCall.set(id, legs);
    legs[ev.leg].push(ev);
  });
  return (id: string, leg: number) =>
    (byCall.get(id)?.[leg] ?? []).map((w) => ({
      index: w.index,
      startFrame: w.startFrame,
      partial: w.partial,
      speechRatio: w.speechRatio,
      levelDbfs: w.levelDbfs,
      f0Median: w.f0Median,
      f0SpreadSemitones: w.f0SpreadSemitones,
      onsetsPerSecond: w.onsetsPerSecond,
      centroidHz: w.centroidHz,
    }));
}

async function feed(call: CallHandle, legs: Int16Array[], block = 1600): Promise<void> {
  return within(feedAll(call, legs, block), 60000, `feeding ${call.callId}`);
}

async function feedAll(call: CallHandle, legs: Int16Array[], block: number): Promise<void> {
  for (let off = 0; off < legs[0].length; off += block)
    for (let l = 0; l < legs.length; l++)
      await call.writeAll(l, legs[l].subarray(off, Math.min(off + block, legs[l].length)));
}

const twoLegs = (id: string) => ({
  callId: id,
  legs: [
    { sampleRate: 8000, role: 'caller' as const },
    { sampleRate: 8000, role: 'callee' as const },
  ],
  subscriberLeg: 1,
});

test('a two-leg call through the pool yields exactly the windows of the single-thread front-end', async () => {
  const sup = new Supervisor(testConfig(), quietLog);
  await sup.start();
  const windows = collect(sup);
  const call = sup.createCall(twoLegs('c1'));
  await feed(call, [CALLER, CALLEE]);
  sup.endCall('c1', 'bye');
  const ended = await within(call.ended, 60000, 'call end');
  await sup.close();
  assert.is(ended.state, 'ended');
  assert.is(ended.reason, 'bye');
  assert.equal(windows('c1', 0), expected(CALLER));
  assert.equal(windows('c1', 1), expected(CALLEE));
  assert.is(ended.info.legs[0].receivedSeconds, CALLER.length / 8000);
  assert.is(ended.info.legs[0].processedSeconds, CALLER.length / 8000);
  assert.is(ended.info.lagSeconds, 0);
});

test('workers terminated mid-stream are replaced and every call still gets every window exactly once', async () => {
  const sup = new Supervisor(testConfig({ engine: { maxRestarts: 1000 } }), quietLog);
  await sup.start();
  const windows = collect(sup);
  const long0 = speech(...Array.from({ length: 6 }, () => ['03a01Wa.wav', '03a02Wb.wav', '03a04Wc.wav']).flat());
  const long1 = speech(...Array.from({ length: 6 }, () => ['08a01Na.wav', '08a02Na.wav', '08a04Nc.wav']).flat());
  const calls = ['k1', 'k2', 'k3'].map((id) => sup.createCall(twoLegs(id)));
  let kills = 0;
  const killer = setInterval(() => {
    const w = sup.actorPool?.workers[kills % 2];
    if (w && kills < 12) {
      kills++;
      void w.terminate();
    }
  }, 15);
  await Promise.all(calls.map((c) => feed(c, [long0, long1], 800)));
  clearInterval(killer);
  for (const c of calls) sup.endCall(c.callId, 'bye');
  const ended = await within(Promise.all(calls.map((c) => c.ended)), 60000, 'calls end');
  const stats = sup.stats();
  await sup.close();
  assert.ok(kills > 0);
  assert.ok(stats.workerCrashes >= 1, `worker crashes seen: ${stats.workerCrashes} (kills ${kills})`);
  for (const e of ended) assert.is(e.state, 'ended');
  const e0 = expected(long0);
  const e1 = expected(long1);
  for (const id of ['k1', 'k2', 'k3']) {
    assert.equal(windows(id, 0), e0, `${id} caller`);
    assert.equal(windows(id, 1), e1, `${id} callee`);
  }
});

test('a pool whose workers all die during bootstrap is rebuilt and its calls complete', async () => {
  const sup = new Supervisor(testConfig(), quietLog);
  await sup.start();
  for (const w of sup.actorPool!.workers) void w.terminate();
  const windows = collect(sup);
  const call = sup.createCall(twoLegs('b1'));
  await feed(call, [CALLER, CALLEE]);
  sup.endCall('b1', 'bye');
  const ended = await within(call.ended, 60000, 'call end');
  await sup.close();
  assert.is(ended.state, 'ended');
  assert.equal(windows('b1', 0), expected(CALLER));
  assert.equal(windows('b1', 1), expected(CALLEE));
});

test('a ring overrun is counted and reported, the call carries on and ends normally', async () => {
  const sup = new Supervisor(testConfig({ engine: { ringSeconds: 0.5 } }), quietLog);
  await sup.start();
  const overruns: number[] = [];
  sup.on('overrun', (o: { samples: number }) => overruns.push(o.samples));
  const call = sup.createCall({ callId: 'o1', legs: [{ sampleRate: 8000 }] });
  const written = call.write(0, CALLER.subarray(0, 16000));
  assert.ok(written < 16000 && written >= 3900, `written ${written}`);
  await within(call.writeAll(0, CALLER.subarray(16000, 32000)), 60000, 'writeAll');
  sup.endCall('o1', 'bye');
  const ended = await within(call.ended, 60000, 'call end');
  const stats = sup.stats();
  await sup.close();
  assert.is(ended.state, 'ended');
  assert.is(ended.info.legs[0].overrunSamples, 16000 - written);
  assert.is(stats.overrunSamples, 16000 - written);
  // Reported from the tick, whichever thread wrote the leg.
  assert.is(
    overruns.reduce((a, b) => a + b, 0),
    16000 - written,
  );
  assert.is(ended.info.legs[0].processedSeconds, (written + 16000) / 8000);
});

async function corruptedCallRun(scribble: (state: SharedArrayBuffer) => void) {
  const sup = new Supervisor(testConfig(), quietLog);
  await sup.start();
  const windows = collect(sup);
  const restarted: string[] = [];
  const errors: string[] = [];
  sup.on('actor-restarted', (r: { callId: string }) => restarted.push(r.callId));
  sup.on('actor-error', (id: string) => errors.push(id));
  const bad = sup.createCall(twoLegs('bad'));
  const good = sup.createCall(twoLegs('good'));
  const half = 32000;
  await Promise.all([
    feed(bad, [CALLER.subarray(0, half), CALLEE.subarray(0, half)]),
    feed(good, [CALLER.subarray(0, half), CALLEE.subarray(0, half)]),
  ]);
  scribble(
    (sup as unknown as { calls: Map<string, { slab: { state: SharedArrayBuffer } }> }).calls.get('bad')!.slab.state,
  );
  await Promise.all([
    feed(bad, [CALLER.subarray(half), CALLEE.subarray(half)]),
    feed(good, [CALLER.subarray(half), CALLEE.subarray(half)]),
  ]);
  sup.endCall('bad', 'bye');
  sup.endCall('good', 'bye');
  const [eb, eg] = await within(Promise.all([bad.ended, good.ended]), 60000, 'calls end');
  await sup.close();
  assert.is(eb.state, 'ended');
  assert.is(eg.info.restarts, 0);
  assert.equal(windows('good', 0), expected(CALLER));
  assert.equal(windows('good', 1), expected(CALLEE));
  assert.ok(windows('bad', 0).length > 0, 'the damaged actor keeps producing windows');
  assert.ok(!errors.includes('good') && !restarted.includes('good'));
  return { restarted, errors, bad: eb };
}

const aCallWhoseSlabTitle =
  'a call whose slab header is overwritten is restarted by the supervisor alone; the other call is untouched';
test(aCallWhoseSlabTitle, async () => {
  const r = await corruptedCallRun((state) => new Int32Array(state).fill(-1, 0, 40));
  assert.equal(r.restarted, ['bad']);
  assert.is(r.bad.info.restarts, 1);
});

test('a call whose policy state is overwritten restarts its policy alone; the other call is untouched', async () => {
  const r = await corruptedCallRun((state) => new Float64Array(state).fill(Number.NaN, 2, 20));
  assert.equal(r.restarted, []);
  assert.ok(r.errors.length >= 1 && r.errors.every((id) => id === 'bad'), `actor errors: ${r.errors}`);
});

test('each worker answers on its comlink control channel, and a replacement worker announces itself', async () => {
  const sup = new Supervisor(testConfig(), quietLog);
  await sup.start();
  let ds = await waitForWorkers(sup, 2);
  const before = ds.map((d) => d.threadId);
  assert.is(new Set(before).size, 2);
  for (const d of ds) assert.ok(d.heapUsedBytes > 0 && Date.parse(d.startedAt) > 0);
  const call = sup.createCall(twoLegs('w1'));
  await feed(call, [CALLER, CALLEE]);
  sup.endCall('w1', 'bye');
  await within(call.ended, 60000, 'call end');
  ds = await sup.describeWorkers();
  assert.ok(ds.reduce((n, d) => n + d.callSteps, 0) > 0, 'steps are counted');
  await sup.actorPool!.workers[0].terminate();
  const deadline = Date.now() + 30000;
  do {
    ds = await sup.describeWorkers();
    if (ds.length === 2 && ds.some((d) => !before.includes(d.threadId))) break;
    await new Promise((r) => setTimeout(r, 50));
  } while (Date.now() < deadline);
  await sup.close();
  assert.is(ds.length, 2);
  assert.ok(
    ds.some((d) => !before.includes(d.threadId)),
    'the replacement worker registered',
  );
});

test('pool.youngGenerationMb reaches each worker: its heap limit moves with the young generation given', async () => {
  const limit = async (youngGenerationMb: number) => {
    const sup = new Supervisor(testConfig({ pool: { threads: 1, youngGenerationMb } }), quietLog);
    await sup.start();
    try {
      const [d] = await waitForWorkers(sup, 1);
      return d.heapLimitBytes;
    } finally {
      await sup.close();
    }
  };
  const small = await limit(6);
  const large = await limit(96);
  // V8 adds the young generation (or two thirds of it, the semi-spaces) to the heap limit: 60-90 MB apart here.
  const apart = (large - small) / 2 ** 20;
  assert.ok(apart >= 55 && apart <= 95, `heap limits ${small} and ${large} are ${apart} MB apart`);
});

async function waitForWorkers(sup: Supervisor, n: number) {
  const deadline = Date.now() + 30000;
  for (;;) {
    const ds = await sup.describeWorkers();
    if (ds.length >= n || Date.now() > deadline) return ds;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Clips of one speaker and emotion letter, repeated to `seconds`. */
function takes(speaker: string, emotion: string, seconds: number): Int16Array {
  const names = readdirSync(emodbDir)
    .filter((f) => f.startsWith(speaker) && f[5] === emotion)
    .sort();
  const out = new Int16Array(seconds * 8000);
  const all = speech(...names);
  for (let o = 0; o < out.length; o += all.length) out.set(all.subarray(0, Math.min(all.length, out.length - o)), o);
  return out;
}

async function scamRun(kill: boolean) {
  const sup = new Supervisor(testConfig({ engine: { maxRestarts: 1000 } }), quietLog, {
    dir: shippedModelDir(),
    backend: 'wasm',
    maxBatch: 64,
  });
  await sup.start();
  const risks: Array<[number, number, number | null, number[] | null]> = [];
  const features: string[] = [];
  const alerts: AlertEvent[] = [];
  sup.on('window', (_id: string, w: WindowEvent) => {
    risks.push([w.leg, w.index, w.risk, w.emotions]);
    features.push(
      JSON.stringify([
        w.leg,
        w.index,
        w.speechRatio,
        w.levelDbfs,
        w.f0Median,
        w.f0SpreadSemitones,
        w.onsetsPerSecond,
        w.centroidHz,
      ]),
    );
  });
  sup.on('alert', (_id: string, a: AlertEvent) => alerts.push(a));
  const call = sup.createCall(twoLegs('scam'));
  let kills = 0;
  const killer = kill
    ? setInterval(() => {
        const w = sup.actorPool?.workers[kills % 2];
        if (w && kills < 8) {
          kills++;
          void w.terminate();
        }
      }, 150)
    : null;
  await feed(call, [takes('11', 'W', 40), takes('16', 'A', 40)], 4000);
  if (killer) clearInterval(killer);
  sup.endCall('scam', 'bye');
  await within(call.ended, 90000, 'call end');
  const stats = sup.stats();
  await sup.close();
  return { risks, features: features.sort(), alerts, stats, kills };
}

const withTheEmotionModelTitle =
  'with the emotion model and the policy in the loop, killed workers lose no window and the alert is raised ' +
  'exactly once';
test(withTheEmotionModelTitle, async () => {
  const clean = await scamRun(false);
  assert.is(clean.alerts.length, 1, 'an angry caller and an afraid callee raise one alert');
  assert.ok(clean.risks.every(([, , r, e]) => r !== null && e !== null && e.length === 7));
  const killed = await scamRun(true);
  assert.ok(killed.stats.workerCrashes >= 1, `crashes ${killed.stats.workerCrashes}`);
  // Every window of both legs exactly once, with the same acoustic features, and one alert.
  assert.equal(killed.features, clean.features);
  assert.is(killed.alerts.length, 1);
  assert.is(killed.alerts[0].level, 'alert');
});

const oneSilentLegNoTitle =
  'one silent leg: no busy loop of empty tasks, and the talking leg is analysed once it is a lockstep slack ahead';
test(oneSilentLegNoTitle, async () => {
  const sup = new Supervisor(testConfig(), quietLog);
  await sup.start();
  const call = sup.createCall(twoLegs('oneway'));
  call.write(0, CALLER.subarray(0, 24000));
  // The talking leg is analysed until it is only the lockstep slack ahead of the silent one…
  const deadline = Date.now() + 30000;
  while (sup.callInfo('oneway')!.legs[0].processedSeconds < 2 && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 20));
  const info = sup.callInfo('oneway')!;
  // …and then, with no new audio, no task is scheduled at all (before the fix: thousands of empty tasks a second).
  const before = sup.stats().tasks;
  await new Promise((r) => setTimeout(r, 300));
  const after = sup.stats().tasks;
  await sup.close();
  assert.is(info.legs[0].processedSeconds, 2);
  assert.is(info.legs[0].backlogSeconds, 1);
  assert.is(info.legs[1].processedSeconds, 0);
  assert.is(after - before, 0, `${after - before} empty tasks while idle`);
});

/**
 * A two-leg call through the model with at most `maxBatch` windows per predict: the predicts and each window's
 * probabilities.
 */
async function modelRun(maxBatch: number) {
  const sup = new Supervisor(testConfig(), quietLog, { dir: shippedModelDir(), backend: 'wasm', maxBatch });
  await sup.start();
  const batches: number[] = [];
  let skipped = 0;
  const emotions = new Map<string, number[] | null>();
  sup.on('inference', (s: InferenceStats) => {
    batches.push(...s.batches);
    skipped += s.skipped;
  });
  sup.on('window', (_id: string, w: WindowEvent) => emotions.set(`${w.leg}/${w.index}`, w.emotions));
  const call = sup.createCall(twoLegs('batch'));
  await feed(call, [CALLER, CALLEE], 8000);
  sup.endCall('batch', 'bye');
  await within(call.ended, 90000, 'call end');
  const windows = sup.stats().windows;
  await sup.close();
  // Windows with too little speech are not sent to the model at all: what is predicted is the rest.
  return { batches, emotions, windows, scored: windows - skipped };
}

const modelMaxbatchMakesOneTitle =
  'model.maxBatch 1 makes one predict per window; batched rounds share predicts; the probabilities agree';
test(modelMaxbatchMakesOneTitle, async () => {
  const batched = await modelRun(64);
  const single = await modelRun(1);
  assert.is(single.windows, batched.windows);
  assert.is(single.scored, batched.scored);
  assert.ok(single.scored >= 10, `${single.scored} windows scored`);
  assert.is(single.batches.length, single.scored);
  assert.ok(single.batches.every((b) => b === 1));
  // Both legs advance in lockstep, so their windows complete in the same rounds and share a predict.
  assert.is(
    batched.batches.reduce((a, b) => a + b, 0),
    batched.scored,
  );
  assert.ok(
    batched.batches.length < batched.scored,
    `${batched.batches.length} predicts for ${batched.scored} windows`,
  );
  for (const [k, p] of batched.emotions) {
    const q = single.emotions.get(k);
    if (p === null) {
      assert.is(q, null, k);
      continue;
    }
    assert.ok(q && p.length === q.length, k);
    for (let i = 0; i < p!.length; i++) assert.ok(Math.abs(p![i] - q![i]) < 1e-4, `${k}[${i}]: ${p![i]} vs ${q![i]}`);
  }
});

test('windows with too little speech for the policy are not sent to the model; their emotions are null', async () => {
  const sup = new Supervisor(testConfig(), quietLog, { dir: shippedModelDir(), backend: 'wasm', maxBatch: 64 });
  await sup.start();
  let scored = 0;
  let skipped = 0;
  sup.on('inference', (s: InferenceStats) => {
    scored += s.batches.reduce((a, b) => a + b, 0);
    skipped += s.skipped;
  });
  const windows: WindowEvent[] = [];
  sup.on('window', (_id: string, w: WindowEvent) => windows.push(w));
  // The callee listens (digital silence) for the first half, then talks.
  const callee = CALLEE.slice();
  callee.fill(0, 0, callee.length >> 1);
  const call = sup.createCall(twoLegs('listen'));
  await feed(call, [CALLER, callee], 8000);
  sup.endCall('listen', 'bye');
  await within(call.ended, 90000, 'call end');
  await sup.close();
  const quiet = windows.filter((w) => w.speechRatio < MIN_SPEECH_RATIO);
  const talking = windows.filter((w) => w.speechRatio >= MIN_SPEECH_RATIO);
  assert.ok(quiet.length >= 3, `${quiet.length} quiet windows`);
  assert.ok(quiet.every((w) => w.emotions === null));
  assert.ok(talking.every((w) => w.emotions !== null && w.emotions.length === 7));
  assert.is(skipped, quiet.length);
  assert.is(scored, talking.length);
});

const theSharedBuffersOfTitle =
  'the shared buffers of ended calls are reused by later calls, which still get exactly their own windows';
test(theSharedBuffersOfTitle, async () => {
  const sup = new Supervisor(testConfig(), quietLog);
  await sup.start();
  const windows = collect(sup);
  for (const id of ['s1', 's2', 's3']) {
    const call = sup.createCall(twoLegs(id));
    await feed(call, [CALLER, CALLEE]);
    sup.endCall(id, 'bye');
    await within(call.ended, 60000, 'call end');
  }
  const stats = sup.stats();
  await sup.close();
  // state, two rings and the mailbox of s1 serve s2, then those of s2 serve s3.
  assert.is(stats.slabBuffersReused, 8);
  const want = extractOffline(CALLER, 8000, LIVE_FRONT_END).windows.map((w) => [
    w.index,
    w.summary.levelDbfs,
    w.summary.f0Median,
  ]);
  for (const id of ['s1', 's2', 's3']) {
    const got = windows(id, 0).sort((a, b) => a.index - b.index);
    assert.equal(
      got.map((w) => [w.index, w.levelDbfs, w.f0Median]),
      want,
      `${id}: a recycled slab starts from a clean state`,
    );
  }
});

test('admission: duplicate call ids and calls over capacity are refused with codes', async () => {
  const sup = new Supervisor(testConfig({ engine: { maxCalls: 1 } }), quietLog);
  assert.throws(
    () => sup.createCall(twoLegs('x')),
    (e: SupervisorError) => e.code === 'CG_NOT_RUNNING',
  );
  await sup.start();
  sup.createCall(twoLegs('x'));
  assert.throws(
    () => sup.createCall(twoLegs('x')),
    (e: SupervisorError) => e.code === 'CG_DUPLICATE_CALL',
  );
  assert.throws(
    () => sup.createCall(twoLegs('y')),
    (e: SupervisorError) => e.code === 'CG_TOO_MANY_CALLS',
  );
  assert.is(sup.listCalls().length, 1);
  await sup.close();
  const sup2 = new Supervisor(testConfig(), quietLog);
  await sup2.start();
  assert.throws(
    () => sup2.createCall({ callId: 'z', legs: [{ sampleRate: 96000 }] }),
    (e: SupervisorError) => e.code === 'CG_BAD_CALL',
  );
  assert.throws(
    () => sup2.createCall({ callId: 'z', legs: [{ sampleRate: 47999 }] }),
    (e: SupervisorError) => e.code === 'CG_BAD_CALL',
  );
  await sup2.close();
});

test.run();
