import { Histogram, Registry } from 'prom-client';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  diffHistogram,
  EngineMetricsScraper,
  histogramQuantile,
  parseHistograms,
  summarizeHistogram,
  sumMatching,
} from './engine-metrics-scraper.js';

async function exposition(values: number[], buckets: number[]): Promise<string> {
  const r = new Registry();
  const h = new Histogram({ name: 'x_seconds', help: 'x', buckets, registers: [r] });
  for (const v of values) h.observe(v);
  return r.metrics();
}

test('parses a prom-client histogram: cumulative buckets up to +Inf, count and sum', async () => {
  const h = parseHistograms(await exposition([0.05, 0.15, 0.15, 3], [0.1, 0.2, 1]), ['x_seconds', 'absent']).get(
    'x_seconds',
  )!;
  assert.equal(h.buckets, [
    { le: 0.1, count: 1 },
    { le: 0.2, count: 3 },
    { le: 1, count: 3 },
    { le: Infinity, count: 4 },
  ]);
  assert.is(h.count, 4);
  assert.ok(Math.abs(h.sum - 3.35) < 1e-9);
  assert.is(parseHistograms('', ['x_seconds']).size, 0);
});

const quantilesInterpolateInsideTheTitle =
  'quantiles interpolate inside the bucket like histogram_quantile(); +Inf reads as the highest finite bound';
test(quantilesInterpolateInsideTheTitle, () => {
  const h = {
    buckets: [
      { le: 0.1, count: 10 },
      { le: 0.2, count: 30 },
      { le: 1, count: 40 },
      { le: Infinity, count: 50 },
    ],
    count: 50,
    sum: 0,
  };
  assert.ok(Math.abs(histogramQuantile(h, 0.1)! - 0.05) < 1e-12, 'rank 5 of 10 in (0, 0.1]');
  assert.ok(Math.abs(histogramQuantile(h, 0.5)! - 0.175) < 1e-12, 'rank 25: 15 of 20 into (0.1, 0.2]');
  assert.is(histogramQuantile(h, 0.99), 1);
  assert.is(
    histogramQuantile(
      {
        buckets: [
          { le: 1, count: 0 },
          { le: Infinity, count: 0 },
        ],
        count: 0,
        sum: 0,
      },
      0.5,
    ),
    null,
  );
  assert.throws(() => histogramQuantile(h, 50), /0\.\.1/);
});

test('a step is the difference of two scrapes; changed buckets are an error', async () => {
  const b = [0.1, 0.2, 1];
  const before = parseHistograms(await exposition([0.05, 0.15], b), ['x_seconds']).get('x_seconds')!;
  const after = parseHistograms(await exposition([0.05, 0.15, 0.5, 0.5, 0.5], b), ['x_seconds']).get('x_seconds')!;
  const d = diffHistogram(after, before);
  assert.is(d.count, 3);
  assert.equal(
    d.buckets.map((x) => x.count),
    [0, 0, 3, 3],
  );
  const s = summarizeHistogram(d, 1000);
  assert.is(s.count, 3);
  assert.is(s.mean, 500);
  assert.is(s.maxBucket, 1000);
  assert.throws(() => diffHistogram(after, { ...before, buckets: before.buckets.slice(1) }), /buckets changed/);
});

test('RTP I/O threads: busy seconds summed over threads, their share of a core over a window', () => {
  const text =
    'callguard_rtp_io_thread_busy_seconds{thread="0"} 1.5\ncallguard_rtp_io_thread_busy_seconds{thread="1"} 2\n' +
    'callguard_rtp_io_thread_busy_seconds_other 7\n';
  assert.is(sumMatching(text, 'callguard_rtp_io_thread_busy_seconds'), 3.5);
  assert.is(sumMatching('', 'callguard_rtp_io_thread_busy_seconds'), null);
  const s = new EngineMetricsScraper('http://127.0.0.1:1/metrics');
  const scrape = (t: number, busy: number | null) =>
    s.scrapes.push({ t, ioThreadCpuSeconds: busy } as (typeof s.scrapes)[number]);
  scrape(1000, 1);
  scrape(2000, null);
  scrape(3000, 1.5);
  assert.is(s.ioThreadsCpuPercent(0, 5000), 25, '0.5 busy s in 2 s');
  assert.is(s.ioThreadsCpuPercent(2500, 5000), null, 'one scrape is no rate');
});

test('pool tasks per second: the counter differenced over the scrapes inside a window', () => {
  const s = new EngineMetricsScraper('http://127.0.0.1:1/metrics');
  const scrape = (t: number, tasks: number | null) =>
    s.scrapes.push({ t, poolTasks: tasks } as (typeof s.scrapes)[number]);
  scrape(1000, 100);
  scrape(2000, null);
  scrape(3000, 700);
  scrape(9000, 900);
  assert.is(s.poolTasksPerSecond(0, 5000), 300, '600 tasks in 2 s');
  assert.is(s.poolTasksPerSecond(2500, 5000), null, 'one scrape is no rate');
  assert.is(s.poolTasksPerSecond(0, 10_000), 100, '800 tasks in 8 s');
});

test.run();
