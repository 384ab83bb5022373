import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProcSampler, readStatus } from './proc-sampler.js';

/** A child node process that spins on its main thread, or in one worker thread while its main thread sleeps. */
function spinner(where: 'main' | 'worker') {
  const spin = 'const end = Date.now() + 20000; while (Date.now() < end) {}';
  const code =
    where === 'main'
      ? spin
      : `new (require('node:worker_threads').Worker)(${JSON.stringify(spin)}, { eval: true }); setTimeout(() ` +
        `=> {}, 20000);`;
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

const LMDB = createRequire(import.meta.url).resolve('lmdb');

/**
 * RSS of a child after it touched `mb` MB of anonymous memory, or read a file of that size through the page cache by
 * mmap.
 */
async function residentAfter(kind: 'anon' | 'file', mb: number, file: string) {
  const code =
    kind === 'anon'
      ? `globalThis.keep = Buffer.alloc(${mb} << 20, 1); process.stdout.write('ready'); setTimeout(() => {}, 20000);`
      : // A file read into a Buffer is anonymous memory; a mapping of it is file-backed. lmdb reads its file through a
        // map
        // (getBinaryFast copies each value into one reused buffer, so no 96 MB of copies).
        `const { open } = require(${JSON.stringify(LMDB)}); const db = open({ path: ${JSON.stringify(file)}, ` +
        `readOnly: true }); let n = 0; for (let i = 0; i < 96; i++) n += db.getBinaryFast(i).length; ` +
        `process.stdout.write('ready'); setTimeout(() => {}, 20000);`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise((r, reject) => {
      child.stdout!.once('data', r);
      child.once('exit', (c) => reject(new Error(`child exited ${c}`)));
    });
    return readStatus(child.pid!);
  } finally {
    child.kill('SIGKILL');
  }
}

const rssIsSplitIntoTitle =
  'RSS is split into file-backed and anonymous: 96 MB of heap memory is anonymous, an LMDB file read through its ' +
  'map is file-backed';
test(rssIsSplitIntoTitle, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cg-rss-split-'));
  try {
    const { open } = await import('lmdb');
    const db = open({ path: join(dir, 'db') });
    const blob = Buffer.alloc(1 << 20, 7);
    for (let i = 0; i < 96; i++) void db.put(i, blob);
    await db.close();
    const anon = (await residentAfter('anon', 96, ''))!;
    const file = (await residentAfter('file', 96, join(dir, 'db')))!;
    console.log(
      `  anon child: RSS ${anon.rssMB} MB, file-backed ${anon.rssFileMB}; lmdb child: RSS ${file.rssMB}, ` +
        `file-backed ${file.rssFileMB}`,
    );
    assert.ok(anon.rssFileMB !== null && file.rssFileMB !== null, 'RssFile is reported');
    // Node's own code and libraries are file-backed in both: the difference is the 96 MB.
    assert.ok(anon.rssMB - anon.rssFileMB! > 90, `anonymous ${anon.rssMB - anon.rssFileMB!} MB of ${anon.rssMB}`);
    assert.ok(file.rssFileMB! - anon.rssFileMB! > 90, `file-backed ${file.rssFileMB} MB against ${anon.rssFileMB}`);
    assert.ok(
      file.rssMB - file.rssFileMB! < anon.rssMB - anon.rssFileMB! - 60,
      'reading the map did not grow anonymous memory by as much',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
