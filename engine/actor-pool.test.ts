import { Worker } from 'node:worker_threads';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ActorWorkerData, StepTask } from '../actors/actor-worker.js';
import { ActorPool, workerExecArgv } from './actor-pool.js';

/**
 * The actor workers run with require(esm) off: piscina require()s the worker file first, and on Node 20.19+ that
 * loads our ESM worker (top-level await) by require and then by import, a race that aborted the process with a V8
 * fatal error in the CLI tests. With the flag, a worker's require() of ESM throws at once and piscina imports it.
 */
test('actor workers: require(esm) is off in them, so piscina falls back to import() at once', async () => {
  const args = workerExecArgv([
    '--expose-gc',
    '--cpu-prof',
    '--cpu-prof-dir',
    '/tmp/p',
    '--experimental-require-module',
  ]);
  assert.equal(
    args,
    ['--cpu-prof', '--cpu-prof-dir', '/tmp/p', '--no-experimental-require-module'],
    'V8 flags (process-wide) left out, worker flags and their values kept',
  );
  const dir = mkdtempSync(join(tmpdir(), 'callguard-esm-'));
  const esm = join(dir, 'tla.mjs');
  writeFileSync(esm, 'await Promise.resolve(); export default 1;\n');
  const code =
    "const { parentPort } = require('node:worker_threads'); " +
    `try { require(${JSON.stringify(esm)}); parentPort.postMessage('required'); } ` +
    'catch (e) { parentPort.postMessage(e.code); }';
  const w = new Worker(code, { eval: true, execArgv: args });
  const answer = await new Promise((resolve) => w.once('message', resolve));
  await w.terminate();
  assert.is(answer, 'ERR_REQUIRE_ESM');
});

test('lifecycle: an unstarted pool runs nothing, spawns no thread; idempotent close(); stays closed', async () => {
  const pool = new ActorPool(1, {} as ActorWorkerData);
  assert.is(pool.state, 'idle');
  assert.equal([pool.workers.length, pool.queued], [0, 0]);
  await pool.run({} as StepTask).then(
    () => assert.unreachable('ran without a pool'),
    (err: Error) => assert.match(err.message, /not started/),
  );
  await Promise.all([pool.close(), pool.close()]);
  assert.is(pool.state, 'closed');
  pool.start();
  assert.equal([pool.state, pool.workers.length], ['closed', 0]);
});

test.run();
