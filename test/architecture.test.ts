import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { repoRoot } from './support/repo-paths.js';

/** Every source file (tests included) with the project files it imports, as paths relative to the repository. */
function importGraph(): Map<string, string[]> {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(join(repoRoot, dir), { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) files.push(p);
    }
  };
  for (const d of ['common', 'engine', 'actors', 'models', 'smpp', 'load-tests', 'test']) walk(d);
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const f of files) {
    const text = readFileSync(join(repoRoot, f), 'utf8');
    const deps = [...text.matchAll(/(?:import|export)[^'";]*?from\s+['"](\.[^'"]+)['"]/g)].map((m) =>
      relative(repoRoot, resolve(repoRoot, dirname(f), m[1].replace(/\.js$/, '.ts'))),
    );
    graph.set(
      f,
      deps.filter((d) => known.has(d)),
    );
  }
  return graph;
}

test('no import cycles (Tarjan over every source file)', () => {
  const g = importGraph();
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of g.get(v)!) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const c: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        c.push(w);
      } while (w !== v);
      if (c.length > 1 || g.get(v)!.includes(v)) cycles.push(c);
    }
  };
  for (const f of g.keys()) if (!index.has(f)) visit(f);
  assert.equal(cycles, []);
});

/**
 * Offline tools (benchmarks, training, evaluation, model builds) may read WAV files through engine/media: the rule is
 * about what runs in the engine's process and workers.
 */
const OFFLINE =
  /(\.test\.ts|\.bench\.ts)$|^(test|load-tests|models\/training|models\/speech\/eval|models\/speech\/adaptation|models\/spotter)\//;

test('imports flow downward: nothing below engine imports it; smpp stands alone; common imports nothing', () => {
  const bad: string[] = [];
  for (const [f, deps] of importGraph()) {
    if (OFFLINE.test(f)) continue;
    const top = f.split('/')[0];
    for (const d of deps) {
      const to = d.split('/')[0];
      if (top === 'common' && to !== 'common') bad.push(`${f} -> ${d}`);
      if ((top === 'actors' || top === 'models' || top === 'smpp') && to === 'engine') bad.push(`${f} -> ${d}`);
      if (top === 'smpp' && to !== 'smpp' && to !== 'common') bad.push(`${f} -> ${d}`);
    }
  }
  assert.equal(bad, []);
});

test.run();
