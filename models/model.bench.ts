import { DEFAULT_FRONT_END } from '../actors/features/front-end-config.js';
import { selectBackend } from './runtime/backend.js';
import { loadModelDir } from './runtime/model-files.js';
import { BatchedPredictor } from './runtime/predictor.js';
import { shippedModelDir } from './runtime/shipped-model.js';

/**
 * Windows per second through the shipped model on this thread: batched (one predict per 32 or 64 windows) next to
 * one predict per window, in one run. `npm run bench:model` (node dist/models/model.bench.js [--seconds S]
 * [--dirs models/emotion-v1,models/emotion-v2]): several model directories are measured one after the other in the
 * same process, so a candidate's cost per window is compared with the shipped model's under the same load.
 */

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : def;
}

function measure(
  p: BatchedPredictor,
  batch: number,
  seconds: number,
): { windowsPerSecond: number; msPerWindow: number; calls: number } {
  const size = p.frames * p.features;
  const ws = Array.from({ length: batch }, (_, k) =>
    Float32Array.from({ length: size }, (_, i) => Math.sin(i * 0.37 + k)),
  );
  for (let i = 0; i < 5; i++) p.predict(ws);
  let calls = 0;
  const t0 = performance.now();
  let dt: number;
  do {
    for (let i = 0; i < 10; i++) p.predict(ws);
    calls += 10;
    dt = performance.now() - t0;
  } while (dt < seconds * 1000);
  const windows = calls * batch;
  return { windowsPerSecond: windows / (dt / 1000), msPerWindow: dt / windows, calls };
}

async function benchDir(dir: string, seconds: number, backendName: string): Promise<void> {
  const { model, manifest, weightBytes } = await loadModelDir(dir, DEFAULT_FRONT_END);
  const p = new BatchedPredictor(model, manifest);
  console.log(
    `model ${manifest.name}: ${model.countParams()} parameters, ${weightBytes} bytes of weights, input ` +
      `[${manifest.window.frames} x ${manifest.input.featureCount}], backend ${backendName}`,
  );
  const rows: [string, ReturnType<typeof measure>][] = [];
  for (const b of [1, 8, 32, 64]) rows.push([`batch ${b}`, measure(p, b, seconds)]);
  for (const [name, r] of rows)
    console.log(
      `${name.padEnd(9)} ${r.windowsPerSecond.toFixed(0).padStart(7)} ` +
        `windows/s  ${(r.msPerWindow * 1000).toFixed(1).padStart(7)} µs/window  (${r.calls} predicts)`,
    );
  const single = rows[0][1].windowsPerSecond;
  const b32 = rows[2][1].windowsPerSecond;
  console.log(
    `batched (32) / unbatched: ${(b32 / single).toFixed(2)}x; target >= 2000 windows/s batched and >= 2x ` +
      `unbatched: ${b32 >= 2000 && b32 >= 2 * single ? 'met' : 'NOT met'}`,
  );
  model.dispose();
}

async function main(): Promise<void> {
  const seconds = Number(arg('seconds', '3'));
  const backend = await selectBackend();
  const dirs = arg('dirs', '').split(',').filter(Boolean);
  for (const dir of dirs.length ? dirs : [shippedModelDir()]) await benchDir(dir, seconds, backend.name);
}

await main();
