import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { analyseSoak, memoryParts, slope, type SoakSample } from './soak-analysis.js';

function samples(rss: (t: number) => number, seconds = 600): SoakSample[] {
  const out: SoakSample[] = [];
  for (let t = 0; t <= seconds; t++)
    out.push({
      t,
      rssMB: rss(t),
      heapMB: 50 + (t % 7),
      activeCalls: t < 30 ? Math.round((t / 30) * 100) : 100,
      cpuPercent: 90,
    });
  return out;
}

test('slope is least squares in units of y per x', () => {
  assert.is(slope([0, 1, 2, 3], [1, 3, 5, 7]), 2);
  assert.is(slope([1], [5]), 0);
});

test('a flat RSS with GC sawtooth is flat; memory per call from the idle baseline', () => {
  const a = analyseSoak({
    samples: samples((t) => 400 + ((t * 13) % 10)),
    seconds: 600,
    concurrency: 100,
    warmUpSeconds: 120,
    baselineRssMB: 300,
    afterRssMB: 410,
  });
  assert.ok(a.flat, `slope ${a.rssSlopeMBPerMin}`);
  assert.ok(Math.abs(a.rssSlopeMBPerMin) < 0.1);
  assert.is(a.steady.meanActiveCalls, 100);
  assert.ok(Math.abs(a.memoryPerCallMB! - 1.045) < 0.01, String(a.memoryPerCallMB));
  assert.is(a.steady.from, 120);
});

test('a leak of 2 MB per minute is reported as not flat, with its slope', () => {
  const a = analyseSoak({
    samples: samples((t) => 400 + (2 * t) / 60),
    seconds: 600,
    concurrency: 100,
    warmUpSeconds: 120,
    baselineRssMB: 300,
    afterRssMB: null,
  });
  assert.not.ok(a.flat);
  assert.ok(Math.abs(a.rssSlopeMBPerMin - 2) < 0.01);
  assert.ok(a.rssFirstToLastQuarterMB > 10);
  assert.throws(
    () =>
      analyseSoak({
        samples: samples(() => 1, 100),
        seconds: 100,
        concurrency: 1,
        warmUpSeconds: 120,
        baselineRssMB: null,
        afterRssMB: null,
      }),
    /too short/,
  );
});

test('worker heaps: their sum gets its own steady range and slope, null when the engine did not report it', () => {
  const grow = samples(() => 400).map((x) => ({ ...x, workerHeapMB: 60 + (1.5 * x.t) / 60 + (x.t % 5) }));
  const a = analyseSoak({
    samples: grow,
    seconds: 600,
    concurrency: 100,
    warmUpSeconds: 120,
    baselineRssMB: 300,
    afterRssMB: null,
  });
  assert.ok(Math.abs(a.workerHeapSlopeMBPerMin! - 1.5) < 0.05, String(a.workerHeapSlopeMBPerMin));
  assert.ok(a.workerHeapMB!.min >= 63 && a.workerHeapMB!.max <= 79, JSON.stringify(a.workerHeapMB));
  const committed = analyseSoak({
    samples: samples(() => 400).map((x) => ({ ...x, committedHeapMB: 150 - (0.5 * x.t) / 60 })),
    seconds: 600,
    concurrency: 100,
    warmUpSeconds: 120,
    baselineRssMB: 300,
    afterRssMB: null,
  });
  assert.ok(Math.abs(committed.committedHeapSlopeMBPerMin! + 0.5) < 0.01, String(committed.committedHeapSlopeMBPerMin));
  assert.equal([committed.committedHeapMB!.min, committed.committedHeapMB!.max], [145, 149]);
  const none = analyseSoak({
    samples: samples(() => 400),
    seconds: 600,
    concurrency: 100,
    warmUpSeconds: 120,
    baselineRssMB: 300,
    afterRssMB: null,
  });
  assert.is(none.workerHeapMB, null);
  assert.is(none.committedHeapMB, null);
  assert.is(none.committedHeapSlopeMBPerMin, null);
  assert.is(none.workerHeapSlopeMBPerMin, null);
});

test('RSS split: what the gauges account for, and the rest, whose growth the analysis reports on its own', () => {
  const M = 2 ** 20;
  // The same unit as the RSS samples (kB / 1024): a decimal megabyte here would shift the rest by 5 % of the RSS.
  const parts = memoryParts(400, {
    heapTotalBytes: 80 * M,
    workerHeapTotalBytes: 60 * M,
    workerBackendBytes: 20 * M,
    slabBytes: 150 * M,
  });
  assert.equal(parts, { committedHeapMB: 140, backendMB: 20, slabMB: 150, unattributedMB: 90 });
  // A gauge missing (an older engine): the rest cannot be told, and is not guessed.
  assert.is(
    memoryParts(400, {
      heapTotalBytes: 80 * M,
      workerHeapTotalBytes: 60 * M,
      workerBackendBytes: null,
      slabBytes: 150 * M,
    }).unattributedMB,
    null,
  );
  assert.equal(memoryParts(400, undefined), {
    committedHeapMB: null,
    backendMB: null,
    slabMB: null,
    unattributedMB: null,
  });
  // Flat heaps, wasm and slabs with a growing RSS: the growth lands in the rest.
  const grow = samples((t) => 400 + t / 60).map((x) => ({
    ...x,
    ...memoryParts(x.rssMB, {
      heapTotalBytes: 80 * M,
      workerHeapTotalBytes: 60 * M,
      workerBackendBytes: 20 * M,
      slabBytes: 150 * M,
    }),
  }));
  const a = analyseSoak({
    samples: grow,
    seconds: 600,
    concurrency: 100,
    warmUpSeconds: 120,
    baselineRssMB: 300,
    afterRssMB: null,
  });
  assert.ok(Math.abs(a.unattributedSlopeMBPerMin! - 1) < 0.02, String(a.unattributedSlopeMBPerMin));
  assert.is(a.slabSlopeMBPerMin, 0);
  assert.is(a.backendSlopeMBPerMin, 0);
});

test('RSS growth in kept files (page cache) is told from anonymous growth: each gets its own slope', () => {
  // 1 MB/min of LMDB pages under a flat anonymous part: RSS grows, the anonymous slope is 0.
  const pages = samples((t) => 400 + t / 60).map((x) => ({ ...x, fileMB: 60 + x.t / 60 }));
  const a = analyseSoak({
    samples: pages,
    seconds: 600,
    concurrency: 100,
    warmUpSeconds: 120,
    baselineRssMB: 300,
    afterRssMB: null,
  });
  assert.not.ok(a.flat, 'the verdict is still on RSS');
  assert.is(a.anonSlopeMBPerMin, 0);
  assert.ok(Math.abs(a.fileSlopeMBPerMin! - 1) < 0.02, String(a.fileSlopeMBPerMin));
  // A leak in anonymous memory shows there whatever the files do.
  const leak = analyseSoak({
    samples: samples((t) => 400 + t / 60).map((x) => ({ ...x, fileMB: 60 })),
    seconds: 600,
    concurrency: 100,
    warmUpSeconds: 120,
    baselineRssMB: 300,
    afterRssMB: null,
  });
  assert.ok(Math.abs(leak.anonSlopeMBPerMin! - 1) < 0.02, String(leak.anonSlopeMBPerMin));
  assert.is(leak.fileSlopeMBPerMin, 0);
  const none = analyseSoak({
    samples: samples(() => 400),
    seconds: 600,
    concurrency: 100,
    warmUpSeconds: 120,
    baselineRssMB: 300,
    afterRssMB: null,
  });
  assert.equal([none.anonMB, none.anonSlopeMBPerMin, none.fileMB], [null, null, null]);
});

test.run();
