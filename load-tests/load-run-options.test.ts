import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseLoadArgs, type LoadRunOptions } from './load-run-options.js';

const parse = (...argv: string[]) => parseLoadArgs(argv) as LoadRunOptions;

test('defaults: a run of 20 calls of 30 s over 10 s, overlapping talk, no sipp', () => {
  const o = parse();
  assert.is(o.mode, 'run');
  assert.is(o.calls, 20);
  assert.equal(o.duration, { min: 30, max: 30 });
  assert.is(o.ratePerSecond, 2);
  assert.equal(o.ramp, { start: 25, step: 25, max: 1000, holdSeconds: 30 });
  assert.is(o.base.conversation, 'overlapping');
  assert.equal(o.base.scamOnsetSeconds, { min: 4, max: 10 });
  assert.is(o.sippCalls, null);
  assert.is(o.external, undefined);
});

test('modes, ranges, engine environment and help', () => {
  assert.is(parseLoadArgs(['--help']), 'help');
  const r = parse(
    '--ramp',
    '--ramp-start',
    '250',
    '--step-seconds',
    '40',
    '--duration',
    '30-60',
    '--engine-env',
    'A=1=2',
    '--sipp',
    '2',
  );
  assert.is(r.mode, 'ramp');
  assert.is(r.ramp.start, 250);
  assert.is(r.ramp.holdSeconds, 40);
  assert.equal(r.duration, { min: 30, max: 60 });
  assert.equal(r.engineEnv, { A: '1=2' });
  assert.is(r.sippCalls, 2);
  assert.is(parse('--soak', '900', '--soak-warm-up', '300').mode, 'soak');
  assert.equal(
    parse('--compare', '--variants', 'callguard').variants.map((v) => v.name),
    ['callguard'],
  );
  assert.equal(parse('--target', '127.0.0.1:5060').external?.target, { host: '127.0.0.1', port: 5060 });
});

const refusedTwoModesATitle =
  'refused: two modes, a soak no longer than its warm-up, fractional calls, a target off loopback, an unknown ' +
  'conversation';
test(refusedTwoModesATitle, () => {
  assert.throws(() => parse('--ramp', '--compare'), /separate modes/);
  assert.throws(() => parse('--soak', '100'), /longer than the warm-up/);
  assert.throws(() => parse('--calls', '2.5'), /whole number/);
  assert.throws(() => parse('--target', '10.0.0.1:5060'), /loopback only/);
  assert.throws(() => parse('--conversation', 'shouting'), /expected overlapping, turns or spoken/);
  assert.throws(() => parse('--compare', '--target', '127.0.0.1:5060'), /spawns its own engines/);
  assert.throws(() => parse('--duration', '60-30'), /bad range/);
});

test('--baseline: another built checkout runs first, named by its commit; refused without a built engine', () => {
  const repo = fileURLToPath(new URL('../..', import.meta.url));
  const o = parse('--compare', '--variants', 'callguard', '--baseline', repo);
  assert.equal(
    o.variants.map((v) => v.name.replace(/([0-9a-f]{7}(-dirty)?|unknown-commit)$/, 'SHA')),
    ['baseline-SHA', 'callguard'],
  );
  assert.is(o.variants[0].root, repo.replace(/\/$/, ''));
  assert.is(o.variants[1].root, undefined);
  const empty = mkdtempSync(join(tmpdir(), 'callguard-baseline-'));
  try {
    assert.throws(() => parse('--compare', '--baseline', empty), /no built callguard there/);
  } finally {
    rmSync(empty, { recursive: true });
  }
  assert.throws(() => parse('--baseline', repo), /--baseline is a --compare variant/);
});

test.run();
