import * as tf from '@tensorflow/tfjs';

/**
 * TF.js backend choice for the engine and the training: `tensorflow` (the optional @tensorflow/tfjs-node accelerator,
 * never a dependency) if it loads, else `wasm` (shipped inside @tensorflow/tfjs-backend-wasm, offline), else `cpu`.
 * The choice and every failed attempt are logged. Call once per thread (each piscina worker has its own TF.js).
 */

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

export interface BackendLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface BackendOptions {
  /** Order to try (default tensorflow, wasm, cpu). */
  prefer?: readonly BackendName[];
  /** pino-compatible logger; default writes one line per event to stderr. */
  logger?: BackendLogger;
  /** Threads for the wasm backend (default 1: the pool already uses one worker per core). */
  wasmThreads?: number;
  /** Module loader, replaceable in tests; default is a dynamic import(). */
  importModule?: (specifier: string) => Promise<unknown>;
}

export interface BackendChoice {
  name: BackendName;
  /** Backends tried before the chosen one, with why each was passed over. */
  fallbacks: { name: BackendName; reason: string }[];
}

const stderrLogger: BackendLogger = {
  info: (obj, msg) => process.stderr.write(`${JSON.stringify({ level: 'info', msg, ...obj })}\n`),
  warn: (obj, msg) => process.stderr.write(`${JSON.stringify({ level: 'warn', msg, ...obj })}\n`),
};

// A variable specifier keeps TypeScript from resolving the optional package at build time.
const TFJS_NODE = '@tensorflow/tfjs-node';
const TFJS_WASM = '@tensorflow/tfjs-backend-wasm';

async function tryBackend(name: BackendName, opts: BackendOptions): Promise<void> {
  const load = opts.importModule ?? ((s: string) => import(s));
  if (name === 'tensorflow') {
    await load(TFJS_NODE);
    if (!tf.findBackendFactory('tensorflow'))
      throw new Error(`${TFJS_NODE} loaded but registered no 'tensorflow' backend with this @tensorflow/tfjs`);
  } else if (name === 'wasm') {
    const wasm = (await load(TFJS_WASM)) as { setThreadsCount?: (n: number) => void };
    if (typeof wasm.setThreadsCount === 'function') wasm.setThreadsCount(Math.max(1, opts.wasmThreads ?? 1));
    if (!tf.findBackendFactory('wasm')) throw new Error(`${TFJS_WASM} registered no 'wasm' backend`);
  }
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`tf.setBackend('${name}') failed to initialise`);
  await tf.ready();
  if (tf.getBackend() !== name) throw new Error(`backend is ${tf.getBackend()} after selecting ${name}`);
}

function shortReason(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return (msg.split('\n')[0] ?? msg).slice(0, 200);
}

/** Select and initialise the best available backend; throws only if none of the preferred ones works. */
export async function selectBackend(opts: BackendOptions = {}): Promise<BackendChoice> {
  const log = opts.logger ?? stderrLogger;
  const order = opts.prefer ?? (['tensorflow', 'wasm', 'cpu'] as const);
  const fallbacks: BackendChoice['fallbacks'] = [];
  for (const name of order) {
    try {
      await tryBackend(name, opts);
      const choice = { name, fallbacks };
      log.info(
        { backend: name, fallbacks },
        fallbacks.length
          ? `tfjs backend: ${name} (fell back from ${fallbacks.map((f) => f.name).join(', ')})`
          : `tfjs backend: ${name}`,
      );
      return choice;
    } catch (err) {
      const reason = shortReason(err);
      fallbacks.push({ name, reason });
      log.warn({ backend: name, reason }, `tfjs backend ${name} unavailable`);
    }
  }
  throw new Error(
    `no TF.js backend could be initialised: ${fallbacks.map((f) => `${f.name}: ${f.reason}`).join('; ')}`,
  );
}

/**
 * Bytes of the wasm backend's linear memory in this thread (null on other backends). Emscripten grows it to the
 * largest batch ever run and never shrinks it, and V8 does not count it in any heap space: the gauges read it here.
 */
export function backendMemoryBytes(): number | null {
  if (tf.getBackend() !== 'wasm') return null;
  const heap = (tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } }).wasm?.HEAPU8;
  return heap ? heap.buffer.byteLength : null;
}
