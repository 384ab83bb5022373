import { RingBuffer } from 'ringbuf.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { speech } from '../test/support/engine-fixtures.js';
import { EventReader, type WindowEvent } from './actor-events.js';
import { ActorStep } from './actor-step.js';
import { attachCall, createCallSlab } from './call-slab.js';
import { DEFAULT_FRONT_END, frontEndGeometry } from './features/front-end-config.js';
import { createSpectralStage } from './features/spectral-stage.js';
import { DEFAULT_POLICY_CONFIG } from './policy/risk-policy.js';

const g = frontEndGeometry(DEFAULT_FRONT_END);
const pcm = speech('03a01Wa.wav', '03a02Wb.wav', '03a04Wc.wav', '08a01Na.wav', '08a02Na.wav');

/**
 * One leg of real speech through an actor step with the given spectral stage: its window events and final feature rows.
 */
function run(stage: 'callguard' | 'meyda') {
  const slab = createCallSlab(`s-${stage}`, {
    geometry: g,
    inputRates: [8000],
    roles: ['caller'],
    protectedLeg: -1,
    ringSamples: pcm.length + 10,
    maxChunkSamples: 4000,
    eventBytes: 1 << 20,
  });
  new RingBuffer(slab.rings[0], Int16Array).push(pcm);
  const step = new ActorStep(g, 0.5, 800, 64, DEFAULT_POLICY_CONFIG, null, stage);
  const reader = new EventReader(new RingBuffer(slab.events, Uint8Array));
  const windows: WindowEvent[] = [];
  for (let i = 0; i < 50; i++) {
    const [o] = step.runTask([{ slab, final: true }]);
    for (const ev of reader.drain()) if (ev.type === 'window') windows.push(ev);
    if ('finished' in o && o.finished) break;
  }
  const leg = attachCall(g, slab).legs[0];
  return { windows, history: leg.history.slice() };
}

const engineSpectralstageMeydaReachesTitle =
  "engine.spectralStage meyda reaches the actor: the same windows, spectral features within meyda's float32, not " +
  'bit-identical';
test(engineSpectralstageMeydaReachesTitle, () => {
  const ours = run('callguard');
  const theirs = run('meyda');
  assert.ok(ours.windows.length >= 10);
  assert.equal(
    theirs.windows.map((w) => [w.index, w.startFrame, w.frames]),
    ours.windows.map((w) => [w.index, w.startFrame, w.frames]),
  );
  for (let i = 0; i < ours.windows.length; i++) {
    const a = ours.windows[i];
    const b = theirs.windows[i];
    // Level, VAD and pitch come from the time domain: untouched by the spectral stage.
    assert.is(b.levelDbfs, a.levelDbfs);
    assert.is(b.f0Median, a.f0Median);
    assert.ok(
      Math.abs(b.centroidHz - a.centroidHz) <= 1e-4 * Math.max(1, a.centroidHz),
      `window ${i}: centroid ${b.centroidHz} vs ${a.centroidHz}`,
    );
  }
  let worst = 0;
  let differing = 0;
  for (let r = 0; r < ours.history.length; r += g.rowStride) {
    for (let m = 0; m < g.cfg.melBands; m++) {
      const d = Math.abs(ours.history[r + g.melOffset + m] - theirs.history[r + g.melOffset + m]);
      worst = Math.max(worst, d);
      if (d > 0) differing++;
    }
  }
  assert.ok(worst < 0.0095, `log-mel differs by ${worst}`);
  assert.ok(differing > 0, "meyda's float32 spectrum leaves traces: identical rows would mean the stage was not used");
  assert.throws(() => createSpectralStage('librosa' as 'meyda', g), /unknown spectral stage/);
});

test.run();
