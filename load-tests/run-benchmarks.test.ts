import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { benchmarksOf } from './run-benchmarks.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

const theBenchmarksOfPackageTitle =
  'the benchmarks of package.json, in order, without their compile step; a selection by name; an unknown name refused';
test(theBenchmarksOfPackageTitle, () => {
  const scripts = {
    build: 'tsc -p tsconfig.json',
    'bench:a': 'tsc -p tsconfig.json && node dist/a.bench.js',
    'bench:b': 'node --expose-gc dist/b.bench.js',
  };
  assert.equal(benchmarksOf(scripts), [
    { name: 'bench:a', command: 'node dist/a.bench.js' },
    { name: 'bench:b', command: 'node --expose-gc dist/b.bench.js' },
  ]);
  assert.equal(
    benchmarksOf(scripts, ['b']).map((b) => b.name),
    ['bench:b'],
  );
  assert.throws(() => benchmarksOf(scripts, ['c']), /no such benchmark: bench:c/);
});

test('every *.bench.ts in the repository has a bench:* script that runs it', () => {
  const scripts = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { scripts: Record<string, string> })
    .scripts;
  const commands = benchmarksOf(scripts)
    .map((b) => b.command)
    .join('\n');
  const sources: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.name === 'node_modules' || e.name === 'dist' || e.name.startsWith('.')) continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.bench.ts')) sources.push(relative(REPO, p));
    }
  };
  walk(REPO);
  assert.ok(sources.length > 0);
  for (const s of sources)
    assert.ok(commands.includes(`dist/${s.replace(/\.ts$/, '.js')}`), `${s} has no bench:* script`);
});

test.run();
