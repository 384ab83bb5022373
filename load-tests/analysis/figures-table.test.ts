import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  commandOf,
  FIGURES_END,
  FIGURES_START,
  figuresMarkdown,
  figuresRow,
  latestOfEachKind,
  replaceFiguresBlock,
  type ReportFigures,
} from './figures-table.js';

// The options as run-load.ts keeps them: the command line's values, then calls, duration and lagThreshold as numbers.
const ramp: ReportFigures = {
  startedAt: '2026-11-25T00:32:46.714Z',
  mode: 'ramp',
  options: {
    ramp: true,
    'ramp-start': '250',
    'ramp-step': '25',
    'ramp-max': '550',
    'step-seconds': '40',
    out: '/tmp/x',
    calls: 20,
    duration: { min: 30, max: 30 },
    lagThreshold: 1,
  },
  sustainedConcurrentCalls: 425,
  withinLatencyTarget: { p99LimitMs: 250, calls: 350 },
  steps: [
    { targetConcurrency: 325, engineMetrics: { verdictLatencyMs: { p99: 150.2 } } },
    { targetConcurrency: 350, engineMetrics: { verdictLatencyMs: { p99: 161.6 } } },
  ],
};
const soak: ReportFigures = {
  startedAt: '2026-12-02T08:30:19.243Z',
  mode: 'soak',
  commit: { sha: '0123456789abcdef0123456789abcdef01234567', dirty: true },
  options: { soak: '3900', 'engine-env': ['A=1', 'B=2'], calls: 150, duration: { min: 30, max: 60 }, lagThreshold: 1 },
  soak: { analysis: { concurrency: 150, seconds: 3900 }, steady: { verdictLatencyMs: { p99: 129.81 } } },
};

test('the command a report ran: its options without --out, sizes only where the mode reads them', () => {
  assert.is(commandOf(ramp), 'npm run load -- --ramp --ramp-start 250 --ramp-step 25 --ramp-max 550 --step-seconds 40');
  assert.is(
    commandOf(soak),
    'npm run load -- --soak 3900 --engine-env A=1 --engine-env B=2 --calls 150 --duration 30-60',
  );
});

const rowsARampHeldTitle =
  'rows: a ramp held to the target with the p99 of that level; a soak with its recorded commit, else the commit ' +
  'that added it';
test(rowsARampHeldTitle, () => {
  const r = figuresRow('2026-11-25-ramp-both-talking', ramp, () => '389a057');
  assert.equal(
    [r.date, r.commit, r.callsHeld, r.verdictP99],
    ['2026-11-25', '389a057 (added in)', '425 kept up; 350 within p99 ≤ 250 ms', '162 ms at 350'],
  );
  const s = figuresRow('2026-12-02-soak-1h-jemalloc', soak, () => 'unused');
  assert.equal([s.commit, s.callsHeld, s.verdictP99], ['0123456 (dirty)', '150 for 65 min', '130 ms']);
  assert.match(figuresMarkdown([s]), '| [2026-12-02-soak-1h-jemalloc](2026-12-02-soak-1h-jemalloc/) | 2026-12-02 |');
  assert.equal(
    latestOfEachKind([r, s, { ...r, run: 'newer', date: '2026-12-01' }]).map((x) => x.run),
    ['2026-12-02-soak-1h-jemalloc', 'newer'],
  );
});

test('the generated block is replaced between its markers, the text around it kept', () => {
  const doc = `# Runs\n\n${FIGURES_START}\nold\n${FIGURES_END}\n\nafter\n`;
  assert.is(replaceFiguresBlock(doc, 'new'), `# Runs\n\n${FIGURES_START}\n\nnew\n\n${FIGURES_END}\n\nafter\n`);
  assert.throws(() => replaceFiguresBlock('# no markers', 'new'), /markers are missing/);
});

test('docs/capacity/README.md indexes every run folder, and every folder it links exists', () => {
  const dir = resolve(dirname(fileURLToPath(import.meta.url)), '../../../docs/capacity');
  const index = readFileSync(join(dir, 'README.md'), 'utf8');
  const folders = readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name);
  assert.ok(folders.length > 0);
  for (const f of folders) assert.ok(index.includes(`](${f}/)`), `${f} is not in the index`);
  for (const [, link] of index.matchAll(/\]\(([^)#]+)\)/g))
    assert.ok(existsSync(join(dir, link)), `the index links ${link}, which does not exist`);
});

test.run();
