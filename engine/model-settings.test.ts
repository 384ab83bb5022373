import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { shippedModelDir, shippedSpotterDir } from '../models/runtime/shipped-model.js';
import { repoRoot } from '../test/support/repo-paths.js';
import { testConfig } from '../test/support/engine-fixtures.js';
import { ModelSettingsError, resolveModelSettings } from './model-settings.js';

const dir = mkdtempSync(join(tmpdir(), 'cg-model-'));

test('the shipped model matches the default front-end', () => {
  const s = resolveModelSettings(testConfig());
  assert.ok(s);
  assert.is(s!.dir, shippedModelDir());
});

test('a model built for another front-end is refused with CG_MODEL_MISMATCH naming the setting', () => {
  const c = testConfig();
  const other = { ...c, features: { ...c.features, melBands: 64 } };
  try {
    resolveModelSettings(other);
    assert.unreachable('expected a mismatch');
  } catch (err) {
    assert.instance(err, ModelSettingsError);
    assert.is((err as ModelSettingsError).code, 'CG_MODEL_MISMATCH');
    assert.match((err as Error).message, /melBands/);
  }
});

const anOperatorModelDirectoryTitle =
  'an operator model directory: missing manifest and corrupt manifest are clear errors; disabled model is null';
test(anOperatorModelDirectoryTitle, () => {
  const c = testConfig();
  assert.is(resolveModelSettings({ ...c, model: { ...c.model, enabled: false } }), null);
  try {
    resolveModelSettings({ ...c, model: { ...c.model, dir: join(dir, 'nothing-here') } });
    assert.unreachable('expected CG_MODEL_MISSING');
  } catch (err) {
    assert.is((err as ModelSettingsError).code, 'CG_MODEL_MISSING');
  }
  const copy = join(dir, 'copy');
  cpSync(shippedModelDir(), copy, { recursive: true });
  assert.is(resolveModelSettings({ ...c, model: { ...c.model, dir: copy } })!.dir, copy);
  writeFileSync(join(copy, 'manifest.json'), '{ not json');
  try {
    resolveModelSettings({ ...c, model: { ...c.model, dir: copy } });
    assert.unreachable('expected CG_MODEL_INVALID');
  } catch (err) {
    assert.is((err as ModelSettingsError).code, 'CG_MODEL_INVALID');
  }
});

test('serve refuses to start on a mismatching model: one line, exit status 2', () => {
  const copy = join(dir, 'other-rate');
  cpSync(shippedModelDir(), copy, { recursive: true });
  const m = JSON.parse(readFileSync(join(copy, 'manifest.json'), 'utf8'));
  m.frontEnd.window = m.frontEnd.window === 'hann' ? 'povey' : 'hann';
  writeFileSync(join(copy, 'manifest.json'), JSON.stringify(m));
  const r = spawnSync(process.execPath, [join(repoRoot, 'bin/callguard.js'), 'serve'], {
    encoding: 'utf8',
    timeout: 30000,
    env: {
      ...process.env,
      CALLGUARD_MODEL_DIR: copy,
      CALLGUARD_SIP_PORT: '0',
      CALLGUARD_HTTP_PORT: '0',
      CALLGUARD_DATA_DIR: join(dir, 'data'),
    },
  });
  assert.is(r.status, 2, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.is(lines.length, 1, r.stderr);
  assert.match(lines[0], /^callguard: error: model .* does not match the engine's front-end: .*window/);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
const theKeywordSpotterOffTitle =
  'the keyword spotter: off by default, the shipped one when switched on, and an emotion model given as spotter is ' +
  'refused';
test(theKeywordSpotterOffTitle, () => {
  const c0 = testConfig();
  assert.is(resolveModelSettings(c0)!.spotterDir, null);
  const c = { ...c0, model: { ...c0.model, spotter: true } };
  assert.is(resolveModelSettings(c)!.spotterDir, shippedSpotterDir());
  try {
    resolveModelSettings({ ...c, model: { ...c.model, spotterDir: shippedModelDir() } });
    assert.unreachable('expected CG_MODEL_MISMATCH');
  } catch (err) {
    assert.is((err as ModelSettingsError).code, 'CG_MODEL_MISMATCH');
    assert.match((err as Error).message, /not a keyword spotter/);
  }
  try {
    resolveModelSettings({ ...c, model: { ...c.model, spotterDir: join(dir, 'no-spotter') } });
    assert.unreachable('expected CG_MODEL_MISSING');
  } catch (err) {
    assert.is((err as ModelSettingsError).code, 'CG_MODEL_MISSING');
    assert.match((err as Error).message, /model\.spotter=false/);
  }
});

test.run();
