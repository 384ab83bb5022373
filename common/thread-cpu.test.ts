import { Worker } from 'node:worker_threads';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { threadCpuSeconds } from './thread-cpu.js';

const here = new URL('./thread-cpu.js', import.meta.url).href;

/** A worker that spins for `ms` and reports its own thread CPU before and after. */
function spinInWorker(ms: number): Promise<[number, number]> {
  const code = `
    import { parentPort } from 'node:worker_threads';
    import { threadCpuSeconds } from '${here}';
    const a = threadCpuSeconds();
    const end = Date.now() + ${ms};
    while (Date.now() < end);
    parentPort.postMessage([a, threadCpuSeconds()]);`;
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL(`data:text/javascript,${encodeURIComponent(code)}`));
    w.once('message', (m: [number, number]) => void w.terminate().then(() => resolve(m)));
    w.once('error', reject);
  });
}

test('a thread sees its own CPU, not another thread’s', async () => {
  const before = threadCpuSeconds();
  assert.ok(before !== null && before > 0, 'Linux reports the main thread’s CPU');
  const [a, b] = await spinInWorker(300);
  const after = threadCpuSeconds()!;
  // On a shared box the spin may get less than its wall time, but some of it; the main thread only waited.
  assert.ok(b - a > 0.05, `worker used ${b - a} s`);
  assert.ok(a < 0.5, `a new thread starts near zero (${a})`);
  assert.ok(after - before! < (b - a) / 2 + 0.05, `main thread ${after - before!} s while the worker spun ${b - a} s`);
});

test.run();
