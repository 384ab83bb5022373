import { RingBuffer } from 'ringbuf.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { speech } from '../test/support/engine-fixtures.js';
import { EventReader, type WindowEvent } from './actor-events.js';
import { ActorStep, mailboxMargin, restartLeg } from './actor-step.js';
import { attachCall, CallHeaderSlot, createCallSlab, LegStateSlot } from './call-slab.js';
import { DEFAULT_FRONT_END, frontEndGeometry } from './features/front-end-config.js';
import { extractOffline } from './features/offline-extractor.js';
import { DEFAULT_POLICY_CONFIG } from './policy/risk-policy.js';

const g = frontEndGeometry(DEFAULT_FRONT_END);

const aMailboxWithRoomTitle =
  'a mailbox with room for only one round makes steps stop early; after each drain they resume, and no window is ' +
  'lost or repeated';
test(aMailboxWithRoomTitle, () => {
  const pcm = speech('03a01Wa.wav', '03a02Wb.wav', '03a04Wc.wav', '03a05Wa.wav', '03b01Wa.wav');
  const margin = mailboxMargin(g, 1, 0.5);
  const slab = createCallSlab('m1', {
    geometry: g,
    inputRates: [8000],
    roles: ['caller'],
    protectedLeg: -1,
    ringSamples: pcm.length + 10,
    maxChunkSamples: 4000,
    eventBytes: margin + 500,
  });
  new RingBuffer(slab.rings[0], Int16Array).push(pcm);
  // Four rounds per task, but the mailbox is only drained between tasks.
  const step = new ActorStep(g, 0.5, 800, 4, DEFAULT_POLICY_CONFIG, null);
  const reader = new EventReader(new RingBuffer(slab.events, Uint8Array));
  const seen: number[] = [];
  const events = new Map<number, WindowEvent>();
  let tasks = 0;
  let finished = false;
  while (!finished && tasks < 200) {
    tasks++;
    const [o] = step.runTask([{ slab, final: true }]);
    for (const ev of reader.drain())
      if (ev.type === 'window') {
        seen.push(ev.index);
        events.set(ev.index, ev);
      }
    finished = 'finished' in o && o.finished;
  }
  assert.ok(finished, `not finished after ${tasks} tasks`);
  // 10 s in 0.5 s chunks is 20 rounds: with 4 rounds per task that would be 5 tasks if the mailbox never filled.
  assert.ok(tasks > 6, `only ${tasks} tasks: the mailbox never held a step back`);
  const want = extractOffline(pcm, 8000, DEFAULT_FRONT_END).windows;
  assert.equal(
    seen,
    want.map((w) => w.index),
  );
  for (const w of want) assert.is(events.get(w.index)!.levelDbfs, w.summary.levelDbfs);
});

test('a leg restart in a round that is replayed after a crash is counted once', () => {
  const slab = createCallSlab('r1', {
    geometry: g,
    inputRates: [8000, 8000],
    roles: ['caller', 'callee'],
    protectedLeg: 1,
    ringSamples: 8000,
    maxChunkSamples: 4000,
    eventBytes: 1 << 16,
  });
  const view = attachCall(g, slab);
  const leg = view.legs[1];
  const active = Atomics.load(view.header, CallHeaderSlot.active);
  const work = leg.states[1 - active];
  // The round that crashed: the leg restarted in the work copy, which never got published.
  work.set(leg.states[active]);
  restartLeg(leg, work, new Error('boom'));
  // The replay starts again from the published copy and restarts the leg again, then publishes.
  work.set(leg.states[active]);
  const ev = restartLeg(leg, work, new Error('boom'));
  Atomics.store(view.header, CallHeaderSlot.active, 1 - active);
  assert.is(ev.type, 'actor-error');
  assert.is(leg.states[1 - active][LegStateSlot.legRestarts], 1);
  assert.is(leg.states[1 - active][LegStateSlot.droppedChunks], 1);
  assert.is(view.legs[0].states[1 - active][LegStateSlot.legRestarts], 0);
  // A later published round restarts the leg again (at the end of the stream: no chunk lost): the counts add up.
  const now = 1 - active;
  leg.states[active].set(leg.states[now]);
  restartLeg(leg, leg.states[active], new Error('boom'), false);
  Atomics.store(view.header, CallHeaderSlot.active, active);
  assert.is(leg.states[active][LegStateSlot.legRestarts], 2);
  assert.is(leg.states[active][LegStateSlot.droppedChunks], 1);
});

test.run();
