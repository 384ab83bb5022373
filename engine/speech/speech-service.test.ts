import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { quietLog, testConfig } from '../../test/support/engine-fixtures.js';
import { requireSpeechTools, script, spokenCall } from '../../test/support/spoken-audio.js';
import { loadPocketSphinx } from '../../actors/speech/pocketsphinx.js';
import type { AlertEvent } from '../../actors/actor-events.js';
import { Supervisor, type CallHandle } from '../supervisor.js';
import { SpeechService } from './speech-service.js';
import { shippedModelDir, shippedSpotterDir } from '../../models/runtime/shipped-model.js';

// The recognition slots with the real supervisor, actors, recognition threads and PocketSphinx, on TTS speech fed at
// the pace of a live call (0.2 s every 0.2 s).

function setUp(slots: number) {
  const ps = loadPocketSphinx();
  if ('error' in ps) assert.unreachable(ps.error);
  requireSpeechTools();
  const cfg = testConfig();
  const sup = new Supervisor(cfg, quietLog, null);
  const speech = new SpeechService({ ...cfg.speech, threads: 1, slotsPerThread: slots }, sup, quietLog);
  return { sup, speech };
}

/** Feed a leg in real time; the other leg gets silence of the same length (the subscriber listening). */
async function play(call: CallHandle, pcm: Int16Array, onProgress?: (seconds: number) => void): Promise<void> {
  const step = 1600;
  const silence = new Int16Array(step);
  const t0 = performance.now();
  for (let off = 0, k = 0; off < pcm.length; off += step, k++) {
    const n = Math.min(step, pcm.length - off);
    call.write(0, pcm, off, n);
    call.write(1, silence, 0, n);
    onProgress?.(off / 8000);
    const wait = t0 + (k + 1) * 200 - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
}

const legs = [
  { sampleRate: 8000, role: 'caller' as const },
  { sampleRate: 8000, role: 'callee' as const },
];

const aCalmScamScriptTitle =
  'a calm scam script alerts on what was said, through the recognition thread; a recognition thread that dies is ' +
  'restarted and the call is still heard';
test(aCalmScamScriptTitle, async () => {
  const { sup, speech } = setUp(2);
  await sup.start();
  try {
    assert.ok(await speech.start(), 'speech service started');
    const s = script('scam-bank-code');
    const { audio } = spokenCall(s.sentences, 'flite:awb');
    const alerts: AlertEvent[] = [];
    sup.on('alert', (_id: string, ev: AlertEvent) => alerts.push(ev));
    const call = sup.createCall({ callId: 'content-1', source: 'load-test', legs, subscriberLeg: 1 });
    assert.equal(
      speech.occupancy().inSlots,
      [{ callId: 'content-1', leg: 0 }],
      'the other party (caller) holds a slot',
    );
    let crashed = false;
    await play(call, audio.channels[0], (t) => {
      if (!crashed && t >= 3) {
        crashed = true;
        speech.crashThread(0);
      }
    });
    await new Promise((r) => setTimeout(r, 1500));
    const info = sup.callInfo('content-1')!;
    sup.endCall('content-1', 'bye');
    await call.ended;
    assert.is(speech.stats().threadRestarts, 1, 'the thread was restarted once');
    assert.ok(info.intents.length >= 2, `intents heard: ${info.intents.map((i) => i.intent).join(', ')}`);
    assert.ok(
      info.intents.some((i) => i.t > 5),
      'intents after the crash were heard',
    );
    const alert = alerts.find((a) => a.level === 'alert');
    assert.ok(alert, `alerted (heard ${info.intents.map((i) => i.intent).join(', ')})`);
    assert.is(alert!.basis, 'content');
    assert.not.match(JSON.stringify(alert), /verification|number back|yourself/i, 'no words in the alert');
  } finally {
    await speech.close();
    await sup.close();
  }
});

test('slots are bounded: a second call waits, and takes the slot when the first call ends', async () => {
  const { sup, speech } = setUp(1);
  await sup.start();
  try {
    assert.ok(await speech.start());
    const a = sup.createCall({ callId: 'slot-a', source: 'load-test', legs, subscriberLeg: 1 });
    const b = sup.createCall({ callId: 'slot-b', source: 'load-test', legs, subscriberLeg: 1 });
    assert.equal(speech.occupancy(), {
      inSlots: [{ callId: 'slot-a', leg: 0 }],
      queued: [{ callId: 'slot-b', leg: 0 }],
    });
    assert.is(speech.stats().busySlots, 1);
    assert.equal(speech.callStatus('slot-b'), {
      recognising: false,
      waiting: true,
      grants: 0,
      heldSeconds: 0,
      firstSlotAt: null,
    });
    assert.is(speech.callStatus('slot-a')!.grants, 1);
    assert.is(speech.callStatus('unknown'), null);
    // Two seconds of audio on b while it waits: its slot, when it comes, starts at call time 2 s.
    await b.writeAll(0, new Int16Array(16000));
    sup.endCall('slot-a', 'bye');
    await a.ended;
    assert.equal(speech.occupancy(), { inSlots: [{ callId: 'slot-b', leg: 0 }], queued: [] });
    const st = speech.callStatus('slot-b')!;
    assert.ok(st.recognising && !st.waiting && st.grants === 1, JSON.stringify(st));
    assert.is(st.firstSlotAt, 2);
    sup.endCall('slot-b', 'bye');
    await b.ended;
    assert.equal(speech.occupancy(), { inSlots: [], queued: [] });
  } finally {
    await speech.close();
    await sup.close();
  }
});

const timeSlicingALegTitle =
  'time-slicing: a leg that heard nothing in its slice hands its slot to a waiting leg and queues again';
test(timeSlicingALegTitle, async () => {
  const ps = loadPocketSphinx();
  if ('error' in ps) assert.unreachable(ps.error);
  const cfg = testConfig();
  const sup = new Supervisor(cfg, quietLog, null);
  const speech = new SpeechService({ ...cfg.speech, threads: 1, slotsPerThread: 1, sliceSeconds: 5 }, sup, quietLog);
  await sup.start();
  try {
    assert.ok(await speech.start());
    const a = sup.createCall({ callId: 'slice-a', source: 'load-test', legs, subscriberLeg: 1 });
    const b = sup.createCall({ callId: 'slice-b', source: 'load-test', legs, subscriberLeg: 1 });
    assert.equal(speech.occupancy().inSlots, [{ callId: 'slice-a', leg: 0 }]);
    // Both calls carry silence for a slice and a bit: a hears no intent.
    await Promise.all([play(a, new Int16Array(8000 * 7)), play(b, new Int16Array(8000 * 7))]);
    assert.equal(speech.occupancy(), {
      inSlots: [{ callId: 'slice-b', leg: 0 }],
      queued: [{ callId: 'slice-a', leg: 0 }],
    });
    assert.is(speech.stats().slotHandovers, 1);
    assert.is(speech.callStatus('slice-a')!.grants, 1);
    assert.ok(speech.callStatus('slice-a')!.heldSeconds >= 5);
    assert.ok(speech.callStatus('slice-b')!.firstSlotAt! >= 5, 'b was first heard at call time >= 5 s');
    for (const [id, c] of [
      ['slice-a', a],
      ['slice-b', b],
    ] as const) {
      sup.endCall(id, 'bye');
      await c.ended;
    }
  } finally {
    await speech.close();
    await sup.close();
  }
});

const theKeywordSpotterFlagsTitle =
  'the keyword spotter flags a scam call waiting for a slot: it takes the slot from a call that only listens ' +
  '(silence: no spotter windows) and heard nothing';
test(theKeywordSpotterFlagsTitle, async () => {
  const ps = loadPocketSphinx();
  if ('error' in ps) assert.unreachable(ps.error);
  requireSpeechTools();
  const cfg = testConfig();
  // The real emotion model and the shipped spotter on the workers: the spotter's scores come with the windows.
  const sup = new Supervisor(cfg, quietLog, {
    dir: shippedModelDir(),
    backend: 'wasm',
    maxBatch: 64,
    spotterDir: shippedSpotterDir(),
  });
  const speech = new SpeechService(
    { ...cfg.speech, threads: 1, slotsPerThread: 1, preemptAfterSeconds: 2 },
    sup,
    quietLog,
  );
  await sup.start();
  try {
    assert.ok(await speech.start());
    const benign = sup.createCall({ callId: 'spot-benign', source: 'load-test', legs, subscriberLeg: 1 });
    const scam = sup.createCall({ callId: 'spot-scam', source: 'load-test', legs, subscriberLeg: 1 });
    assert.equal(speech.occupancy(), {
      inSlots: [{ callId: 'spot-benign', leg: 0 }],
      queued: [{ callId: 'spot-scam', leg: 0 }],
    });
    const s = spokenCall(script('scam-tax-giftcard').sentences, 'flite:awb').audio.channels[0];
    const n = s.length;
    await Promise.all([play(benign, new Int16Array(n)), play(scam, s)]);
    assert.is(sup.callInfo('spot-benign')!.spotterScore, 0, 'silence gives the spotter nothing');
    const info = sup.callInfo('spot-scam')!;
    assert.ok(
      info.keywords.length > 0 && info.spotterScore > 0,
      `spotter heard nothing on the scam call (score ${info.spotterScore})`,
    );
    assert.ok(speech.stats().slotPreemptions >= 1, `preemptions ${speech.stats().slotPreemptions}`);
    const st = speech.callStatus('spot-scam')!;
    assert.ok(st.grants >= 1 && st.firstSlotAt !== null && st.firstSlotAt < n / 8000, JSON.stringify(st));
    for (const [id, c] of [
      ['spot-benign', benign],
      ['spot-scam', scam],
    ] as const) {
      sup.endCall(id, 'bye');
      await c.ended;
    }
  } finally {
    await speech.close();
    await sup.close();
  }
});

test('without PocketSphinx model files the service stays off and says why; calls are still analysed', async () => {
  const cfg = testConfig();
  const sup = new Supervisor(cfg, quietLog, null);
  const speech = new SpeechService({ ...cfg.speech, modelDir: '/nonexistent' }, sup, quietLog);
  await sup.start();
  try {
    assert.is(await speech.start(), false);
    assert.match(speech.stats().reason ?? '', /no manifest\.json in \/nonexistent/);
    const c = sup.createCall({ callId: 'no-speech', source: 'load-test', legs, subscriberLeg: 1 });
    await c.writeAll(0, new Int16Array(16000));
    sup.endCall('no-speech', 'bye');
    assert.is((await c.ended).state, 'ended');
  } finally {
    await speech.close();
    await sup.close();
  }
});

test.run();
