import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { ProcSampler } from './proc-sampler.js';

/** A child node process that spins on its main thread, or in one worker thread while its main thread sleeps. */
function spinner(where: 'main' | 'worker') {
  const spin = 'const end = Date.now() + 20000; while (Date.now() < end) {}';
  const code = where === 'main' ? spin : `new (require('node:worker_threads').Worker)(${JSON.stringify(spin)}, { eval: true }); setTimeout(() => {}, 20000);`;
  return spawn(process.execPath, ['-e', code], { stdio: 'ignore' });
}

async function sampleOf(where: 'main' | 'worker') {
  const child = spinner(where);
  try {
    await new Promise((r) => setTimeout(r, 300));
    const s = new ProcSampler(child.pid!, 400);
    s.start();
    await new Promise((r) => setTimeout(r, 2100));
    s.stop();
    return s.samples;
  } finally {
    child.kill('SIGKILL');
  }
}

// Shares, not speeds: whatever CPU the busy thread gets on a loaded box, the sampler must put it on the right thread.
test('the main thread is told apart: CPU spent in a worker is not counted as the main thread’s', async () => {
  const samples = await sampleOf('worker');
  assert.ok(samples.length >= 3, `samples: ${samples.length}`);
  const total = samples.reduce((a, x) => a + x.cpuPercent, 0);
  const main = samples.reduce((a, x) => a + (x.mainThreadCpuPercent ?? NaN), 0);
  assert.ok(Number.isFinite(main), 'every sample has a main-thread figure');
  assert.ok(total > 0, 'the worker burned CPU');
  assert.ok(main < total / 2, `main thread ${main} of ${total}`);
});

test('a process busy on its main thread shows that CPU as the main thread’s', async () => {
  const samples = await sampleOf('main');
  const total = samples.reduce((a, x) => a + x.cpuPercent, 0);
  const main = samples.reduce((a, x) => a + (x.mainThreadCpuPercent ?? 0), 0);
  assert.ok(total > 0, 'the main thread burned CPU');
  // The two stat files are read a moment apart and rounded to clock ticks each: allow a tick per sample either way.
  const tickPoints = 100 / 100 / 0.4; // one tick of a 100 Hz CLK_TCK over the 0.4 s period, in percentage points
  assert.ok(main >= total * 0.8 && main <= total + tickPoints * 2 * samples.length, `main thread ${main} of ${total}`);
});

test.run();
