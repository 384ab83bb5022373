import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { selectBackend, type BackendLogger } from './backend.js';

function capture(): { logger: BackendLogger; lines: { level: string; obj: object; msg: string }[] } {
  const lines: { level: string; obj: object; msg: string }[] = [];
  return {
    lines,
    logger: {
      info: (obj, msg) => lines.push({ level: 'info', obj, msg }),
      warn: (obj, msg) => lines.push({ level: 'warn', obj, msg }),
    },
  };
}

test('without @tensorflow/tfjs-node the runtime falls back to wasm and says so', async () => {
  const { logger, lines } = capture();
  // A loader that behaves as if tfjs-node were not installed, whatever this machine has.
  const importModule = (s: string) =>
    s === '@tensorflow/tfjs-node'
      ? Promise.reject(Object.assign(new Error(`Cannot find package '${s}'`), { code: 'ERR_MODULE_NOT_FOUND' }))
      : import(s);
  const choice = await selectBackend({ logger, importModule });
  assert.is(choice.name, 'wasm');
  assert.is(tf.getBackend(), 'wasm');
  assert.is(choice.fallbacks[0].name, 'tensorflow');
  assert.match(choice.fallbacks[0].reason, /Cannot find package/);
  const warn = lines.find((l) => l.level === 'warn');
  assert.ok(warn && /tensorflow/.test(warn.msg));
  const info = lines.find((l) => l.level === 'info');
  assert.ok(info, 'the chosen backend is logged');
  assert.match(info!.msg, /wasm/);
  assert.match(info!.msg, /fell back from tensorflow/);
});

test('the real loader on this machine also ends on wasm (tfjs-node is not installed here)', async () => {
  const { logger } = capture();
  const choice = await selectBackend({ logger });
  assert.is(choice.name, 'wasm');
});

test('if wasm fails too, cpu is used; if nothing works, the error lists every reason', async () => {
  const { logger } = capture();
  const importModule = (s: string) => Promise.reject(new Error(`no ${s} here`));
  const choice = await selectBackend({ logger, importModule });
  assert.is(choice.name, 'cpu');
  assert.equal(
    choice.fallbacks.map((f) => f.name),
    ['tensorflow', 'wasm'],
  );
  try {
    await selectBackend({ logger, importModule, prefer: ['tensorflow'] });
    assert.unreachable('should throw');
  } catch (err) {
    assert.match((err as Error).message, /tensorflow: no @tensorflow\/tfjs-node here/);
  }
  // Leave the process on wasm for the other suites.
  assert.is((await selectBackend({ logger, prefer: ['wasm'] })).name, 'wasm');
});

test.run();
