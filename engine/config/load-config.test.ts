import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ConfigError, envName, loadConfig, redactConfig } from './load-config.js';

const dir = mkdtempSync(join(tmpdir(), 'cg-config-'));

function expectConfigError(fn: () => unknown, pattern: RegExp): void {
  try {
    fn();
  } catch (err) {
    assert.instance(err, ConfigError);
    assert.match((err as Error).message, pattern);
    return;
  }
  assert.unreachable('expected a ConfigError');
}

test('defaults: every setting has one', () => {
  const c = loadConfig({ env: {} });
  assert.is(c.sip.host, '127.0.0.1');
  assert.is(c.sip.port, 5060);
  assert.is(c.http.port, 8080);
  assert.is(c.features.sampleRate, 8000);
  assert.ok(c.pool.threads >= 1);
  assert.is(c.data.dir, './data');
});

test('env names follow CALLGUARD_<SECTION>_<KEY>', () => {
  assert.is(envName('pool', 'threads'), 'CALLGUARD_POOL_THREADS');
  assert.is(envName('rtp', 'portMin'), 'CALLGUARD_RTP_PORT_MIN');
  assert.is(envName('smpp', 'url'), 'CALLGUARD_SMPP_URL');
});

test('file < environment: YAML file values, overridden by variables, typed by the setting', () => {
  const file = join(dir, 'c.yaml');
  writeFileSync(file, 'pool:\n  threads: 3\nsip:\n  port: 5070\n  allow: [10.0.0.1]\nfeatures:\n  window: povey\n');
  const c = loadConfig({
    file,
    env: { CALLGUARD_SIP_PORT: '5080', CALLGUARD_SIP_ALLOW: '192.0.2.0/24, ::1', CALLGUARD_HTTP_HOST: '0.0.0.0' },
  });
  assert.is(c.pool.threads, 3);
  assert.is(c.sip.port, 5080);
  assert.equal(c.sip.allow, ['192.0.2.0/24', '::1']);
  assert.is(c.features.window, 'povey');
  assert.is(c.http.host, '0.0.0.0');
});

test('JSON config files work too; CALLGUARD_CONFIG names the file', () => {
  const file = join(dir, 'c.json');
  writeFileSync(file, JSON.stringify({ engine: { tickMs: 50 } }));
  assert.is(loadConfig({ env: { CALLGUARD_CONFIG: file } }).engine.tickMs, 50);
});

test('bad values name the key and what is allowed', () => {
  expectConfigError(
    () => loadConfig({ env: { CALLGUARD_POOL_THREADS: 'many' } }),
    /CALLGUARD_POOL_THREADS: expected a number/,
  );
  expectConfigError(() => loadConfig({ env: { CALLGUARD_POOL_THREADS: '0' } }), /pool\.threads/);
  // A hop longer than the window would leave audio no window ever analyses.
  expectConfigError(
    () => loadConfig({ env: { CALLGUARD_FEATURES_WINDOW_HOP_SECONDS: '3' } }),
    /features\.windowHopSeconds: must not exceed features\.windowSeconds/,
  );
  expectConfigError(() => loadConfig({ env: { CALLGUARD_SIP_PORTT: '1' } }), /CALLGUARD_SIP_PORTT: unknown setting/);
  expectConfigError(() => loadConfig({ env: { CALLGUARD_FEATURES_SAMPLE_RATE: '11025' } }), /features\.sampleRate/);
  expectConfigError(
    () => loadConfig({ env: { CALLGUARD_RTP_PORT_MIN: '30000', CALLGUARD_RTP_PORT_MAX: '20000' } }),
    /rtp\.portMin: must not exceed rtp\.portMax/,
  );
  const file = join(dir, 'bad.yaml');
  writeFileSync(file, 'sip:\n  prot: 5060\n');
  expectConfigError(() => loadConfig({ file, env: {} }), /sip.*unknown setting.*prot/);
  writeFileSync(file, 'sip: [unclosed\n');
  expectConfigError(() => loadConfig({ file, env: {} }), /not valid YAML/);
  expectConfigError(() => loadConfig({ file: join(dir, 'missing.yaml'), env: {} }), /missing\.yaml/);
});

const aSectionWithEveryTitle =
  'a section with every key commented out means defaults; ring too small for a chunk plus the lockstep slack is ' +
  'refused';
test(aSectionWithEveryTitle, () => {
  const file = join(dir, 'empty-section.yaml');
  writeFileSync(file, 'engine:\n  # tickMs: 50\nsip:\n');
  assert.is(loadConfig({ file, env: {} }).engine.tickMs, 25);
  expectConfigError(
    () => loadConfig({ env: { CALLGUARD_ENGINE_RING_SECONDS: '2', CALLGUARD_ENGINE_MAX_CHUNK_SECONDS: '1.5' } }),
    /engine\.ringSeconds: must be at least engine\.maxChunkSeconds \+ 1/,
  );
  expectConfigError(() => loadConfig({ env: { CALLGUARD_ENGINE_RING_SECONDS: '1' } }), /engine\.ringSeconds/);
});

test('secrets are masked for printing', () => {
  const c = loadConfig({
    env: { CALLGUARD_SMPP_URL: 'smpp://esme:s3cret@127.0.0.1:2775,ssmpp://b:pw2@10.0.0.2:3550' },
  });
  const r = redactConfig(c);
  assert.not.match(r.smpp.url, /s3cret|pw2/);
  assert.match(r.smpp.url, /smpp:\/\/esme:\*\*\*@127\.0\.0\.1:2775/);
  assert.match(c.smpp.url, /s3cret/);
});

test('comparison switches: model.maxBatch (1..64) and engine.spectralStage, from the environment, checked', () => {
  const c = loadConfig({ env: { CALLGUARD_MODEL_MAX_BATCH: '1', CALLGUARD_ENGINE_SPECTRAL_STAGE: 'meyda' } });
  assert.is(c.model.maxBatch, 1);
  assert.is(c.engine.spectralStage, 'meyda');
  assert.is(loadConfig({ env: {} }).model.maxBatch, 64);
  assert.is(loadConfig({ env: {} }).engine.spectralStage, 'callguard');
  expectConfigError(() => loadConfig({ env: { CALLGUARD_MODEL_MAX_BATCH: '0' } }), /model\.maxBatch/);
  expectConfigError(() => loadConfig({ env: { CALLGUARD_MODEL_MAX_BATCH: '65' } }), /model\.maxBatch/);
  expectConfigError(() => loadConfig({ env: { CALLGUARD_ENGINE_SPECTRAL_STAGE: 'librosa' } }), /engine\.spectralStage/);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
