import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../../engine/config/load-config.js';
import type { CallguardConfig } from '../../engine/config/config-schema.js';
import { parseWav } from '../../engine/media/wav-reader.js';
import { emodbDir } from './repo-paths.js';

/** A silent logger for tests. */
export const quietLog = pino({ level: 'silent' });

/**
 * Engine defaults with overrides, as the tests run it (2 workers, fast ticks). Enrolment is not enforced: the tests'
 * calls use numbers nobody enrolled; the tests of enrolment itself (engine/ops/engine-ops.test.ts) switch it on.
 */
export function testConfig(
  overrides: { engine?: Partial<CallguardConfig['engine']>; pool?: Partial<CallguardConfig['pool']> } = {},
): CallguardConfig {
  const c = loadConfig({ env: {} });
  return {
    ...c,
    pool: { ...c.pool, threads: 2, ...overrides.pool },
    engine: { ...c.engine, tickMs: 5, ...overrides.engine },
    subscribers: { ...c.subscribers, enforce: false },
  };
}

/** Concatenate Emo-DB clips (decoded PCM16, 8 kHz) into one signal. */
export function speech(...names: string[]): Int16Array {
  const parts = names.map((n) => parseWav(readFileSync(join(emodbDir, n))).channels[0]);
  const out = new Int16Array(parts.reduce((s, p) => s + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
