import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { reportMarkdown, type LoadReport } from './load-report.js';
import { machineAtEnd, machineAtStart, runCommit } from './run-provenance.js';

/**
 * A scratch git repository with one commit; git's identity given on the command line, not read from the user's config.
 */
function scratchRepo(): { dir: string; sha: string } {
  const dir = mkdtempSync(join(tmpdir(), 'cg-provenance-'));
  const git = (...args: string[]) =>
    execFileSync('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@example.invalid', ...args], {
      encoding: 'utf8',
    });
  git('init', '-q');
  writeFileSync(join(dir, 'a.txt'), 'one\n');
  git('add', 'a.txt');
  git('commit', '-qm', 'one');
  return { dir, sha: git('rev-parse', 'HEAD').trim() };
}

test('the commit of a checkout, dirty only when a tracked file changed; null outside a checkout', () => {
  const { dir, sha } = scratchRepo();
  const plain = mkdtempSync(join(tmpdir(), 'cg-provenance-plain-'));
  try {
    assert.equal(runCommit(dir), { sha, dirty: false });
    writeFileSync(join(dir, 'untracked.txt'), 'x');
    assert.equal(
      runCommit(dir),
      { sha, dirty: false },
      'an untracked file (a report being written) is not a change to the build',
    );
    writeFileSync(join(dir, 'a.txt'), 'two\n');
    assert.equal(runCommit(dir), { sha, dirty: true });
    assert.is(runCommit(plain), null);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(plain, { recursive: true, force: true });
  }
});

test('the machine: cores, model, memory, node, load average at the start and at the end', () => {
  const m = machineAtStart();
  assert.is(m.cores, cpus().length);
  assert.ok(m.cores >= 1 && m.model.length > 0 && m.totalMemoryMB > 0);
  assert.is(m.nodeVersion, process.version);
  assert.is(m.loadAverageStart.length, 3);
  assert.is(m.loadAverageEnd, null);
  const end = machineAtEnd(m);
  assert.is(end.loadAverageEnd?.length, 3);
  assert.equal(end.loadAverageStart, m.loadAverageStart);
});

test('report.md prints the commit and the machine', () => {
  const machine = {
    ...machineAtEnd(machineAtStart()),
    cores: 2,
    model: 'Test CPU',
    totalMemoryMB: 4096,
    loadAverageStart: [0.5, 0.4, 0.3],
    loadAverageEnd: [1.9, 1, 0.5],
  };
  const report: LoadReport = {
    tool: 'callguard load-tests/run-load',
    startedAt: '2026-12-07T00:00:00.000Z',
    finishedAt: '2026-12-07T00:01:00.000Z',
    commit: { sha: 'a'.repeat(40), dirty: true },
    machine,
    mode: 'run',
    options: {},
    target: { sip: '127.0.0.1:5060', http: null, spawned: true, pid: 1, note: '' },
    clips: 'test clips',
    method: [],
    steps: [],
    sustainedConcurrentCalls: null,
    alerts: null,
    engineListedAlerts: null,
    verdictLatency: { unavailable: 'test' },
    errors: [],
  };
  const md = reportMarkdown(report, null);
  assert.match(md, `Commit: \`${'a'.repeat(40)}\` with uncommitted changes.`);
  assert.match(
    md,
    `Machine: 2 × Test CPU, 4096 MB, Node ${process.version}; load average (1 / 5 / 15 min) 0.5 / 0.4 / 0.3 at ` +
      `the start, 1.9 / 1 / 0.5 at the end.`,
  );
  assert.match(reportMarkdown({ ...report, commit: null }, null), 'Commit: not a git checkout.');
});

test.run();
