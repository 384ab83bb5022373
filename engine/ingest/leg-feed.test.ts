import { Worker } from 'node:worker_threads';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RingBuffer } from 'ringbuf.js';
import { createLegFeed, LegFeedReader, LegFeedWriter, type LegFeedDescriptor } from './leg-feed.js';

function feed(ringSamples: number, arrivals: number): LegFeedDescriptor {
  return { ring: RingBuffer.getStorageForCapacity(ringSamples, Int16Array), feed: createLegFeed(arrivals) };
}

const packet = new Int16Array(160).fill(7);

test('a position maps to the write that carried it; not yet written is null', () => {
  const d = feed(8000, 16);
  const w = new LegFeedWriter(d);
  const r = new LegFeedReader(d.feed);
  const times: number[] = [];
  for (let i = 0; i < 10; i++) {
    w.write(packet, 0, 160);
    times.push(r.arrivalOf(160 * (i + 1))!);
  }
  assert.is(r.pushed, 1600);
  const r2 = new LegFeedReader(d.feed);
  assert.is(r2.arrivalOf(1), times[0]);
  assert.is(r2.arrivalOf(160), times[0]);
  assert.is(r2.arrivalOf(161), times[1]);
  assert.is(r2.arrivalOf(1600), times[9]);
  assert.is(r2.arrivalOf(1601), null, 'not received yet');
  assert.is(r2.unknown, 0);
  for (let i = 1; i < times.length; i++) assert.ok(times[i] >= times[i - 1]);
  assert.ok(Math.abs(times[9] - (performance.timeOrigin + performance.now())) < 5000, 'absolute wall time');
});

test('lookups go forward: a position behind an entry passed is unknown, not guessed', () => {
  const d = feed(8000, 16);
  const w = new LegFeedWriter(d);
  const r = new LegFeedReader(d.feed);
  for (let i = 0; i < 10; i++) w.write(packet, 0, 160);
  const t800 = r.arrivalOf(800);
  assert.ok(t800 !== null);
  assert.is(r.arrivalOf(800), t800, 'the same position again is still covered');
  assert.is(r.arrivalOf(700), t800, 'inside the entry found: same write');
  assert.is(r.arrivalOf(640), null, 'before the entry found');
  assert.is(r.unknown, 1);
});

test('entries the producer overwrote answer unknown, the surviving ones answer', () => {
  const d = feed(8000, 4);
  const w = new LegFeedWriter(d);
  const r = new LegFeedReader(d.feed);
  for (let i = 0; i < 10; i++) w.write(packet, 0, 100);
  assert.is(r.arrivalOf(550), null, 'overwritten');
  assert.is(r.arrivalOf(700), null, 'where the oldest survivor starts is unknown');
  assert.ok(r.arrivalOf(701) !== null);
  assert.ok(r.arrivalOf(1000) !== null);
  assert.is(r.unknown, 2);
  assert.throws(() => createLegFeed(1), /arrivalEntries/);
});

test('a full ring: what does not fit is counted as overrun; taps get every sample; discard stops writes', () => {
  const d = feed(400, 8);
  const w = new LegFeedWriter(d);
  const r = new LegFeedReader(d.feed);
  const tapSab = RingBuffer.getStorageForCapacity(1000, Int16Array);
  w.setTap('speech', tapSab);
  const small = RingBuffer.getStorageForCapacity(200, Int16Array);
  w.setTap('capture', small);
  let took = 0;
  for (let i = 0; i < 4; i++) took += w.write(packet, 0, 160);
  assert.ok(took < 640 && took >= 400, `took ${took}`);
  assert.is(r.pushed, took);
  assert.is(r.overrun, 640 - took);
  assert.is(new RingBuffer(tapSab, Int16Array).availableRead(), 640);
  assert.is(r.tapDropped('speech'), 0);
  assert.is(r.tapDropped('capture'), 640 - new RingBuffer(small, Int16Array).availableRead());
  r.discard();
  assert.is(w.write(packet, 0, 160), 0);
  assert.is(r.pushed, took);
  // A producer taking over (an I/O thread restarted) goes on from the published figures.
  const w2 = new LegFeedWriter(d);
  assert.is(w2.write(packet, 0, 160), 0, 'still discarding');
});

test('across threads: a worker writes 20 ms packets, this thread reads figures and arrival times', async () => {
  const d = feed(16000, 64);
  const url = new URL('./leg-feed.js', import.meta.url).href;
  const src = `
    const { workerData, parentPort } = require('node:worker_threads');
    import(workerData.url).then(({ LegFeedWriter }) => {
      const w = new LegFeedWriter(workerData.d);
      const pcm = new Int16Array(160);
      let i = 0;
      const t = setInterval(() => {
        for (let k = 0; k < 160; k++) pcm[k] = i;
        w.write(pcm, 0, 160);
        if (++i === 50) { clearInterval(t); parentPort.postMessage('done'); }
      }, 2);
    });`;
  const worker = new Worker(src, { eval: true, workerData: { url, d } });
  const r = new LegFeedReader(d.feed);
  const ring = new RingBuffer(d.ring, Int16Array);
  const out = new Int16Array(8000);
  let got = 0;
  let last = -1;
  let monotonic = true;
  const positions: number[] = [];
  const done = new Promise((res) => worker.once('message', res));
  let finished = false;
  void done.then(() => (finished = true));
  while (!finished || ring.availableRead() > 0) {
    const n = ring.pop(out, out.length);
    for (let k = 0; k < n; k++) if (out[k] < last) monotonic = false;
    if (n) last = out[n - 1];
    got += n;
    if (n) positions.push(got);
    await new Promise((res) => setTimeout(res, 1));
  }
  await worker.terminate();
  assert.is(got, 8000);
  assert.is(r.pushed, 8000);
  assert.ok(monotonic, 'samples in order');
  // Samples can be read a moment before their arrival entry is published (push, then publish); once it is, every
  // position read has a non-decreasing time.
  let prev = 0;
  for (const p of positions) {
    const t = r.arrivalOf(p);
    assert.ok(t !== null && t >= prev, `arrival of ${p}`);
    prev = t;
  }
});

test.run();
