import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * `npm run bench [-- NAME...]`: every `bench:*` script of package.json in turn (or those named, e.g. `policy smpp`),
 * compiled once up front. A failing benchmark is reported and the others still run; the exit code is 1 if any failed.
 * Figures are printed by each benchmark, never judged here.
 */

const COMPILE = /^tsc -p tsconfig\.json && /;

export interface Benchmark {
  /** The npm script's name, e.g. `bench:policy`. */
  name: string;
  /** Its command without the compile step, which `npm run bench` runs once for all. */
  command: string;
}

/**
 * The benchmarks among package.json's scripts, in their order there; `only` keeps those named (with or without
 * `bench:`).
 */
export function benchmarksOf(scripts: Record<string, string>, only: readonly string[] = []): Benchmark[] {
  const wanted = new Set(only.map((n) => (n.startsWith('bench:') ? n : `bench:${n}`)));
  const all = Object.entries(scripts)
    .filter(([name]) => name.startsWith('bench:'))
    .map(([name, script]) => ({ name, command: script.replace(COMPILE, '') }));
  const unknown = [...wanted].filter((n) => !all.some((b) => b.name === n));
  if (unknown.length)
    throw new Error(`no such benchmark: ${unknown.join(', ')} (known: ${all.map((b) => b.name).join(', ')})`);
  return wanted.size ? all.filter((b) => wanted.has(b.name)) : all;
}

function main(): number {
  const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
  const scripts = (JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { scripts: Record<string, string> })
    .scripts;
  const benches = benchmarksOf(scripts, process.argv.slice(2));
  const results: Array<{ name: string; ok: boolean; seconds: number }> = [];
  for (const b of benches) {
    process.stdout.write(`\n== ${b.name}: ${b.command}\n`);
    const t0 = Date.now();
    const r = spawnSync(b.command, { cwd: repo, shell: true, stdio: 'inherit' });
    results.push({ name: b.name, ok: r.status === 0, seconds: Math.round((Date.now() - t0) / 100) / 10 });
  }
  process.stdout.write('\n== summary\n');
  for (const r of results) process.stdout.write(`${r.ok ? 'ok    ' : 'FAILED'} ${r.name} (${r.seconds} s)\n`);
  return results.every((r) => r.ok) ? 0 : 1;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    process.exitCode = main();
  } catch (err) {
    process.stderr.write(`run-benchmarks: ${(err as Error).message}\n`);
    process.exitCode = 2;
  }
}
