import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_POLICY_CONFIG, POLICY_CONFIG_KEYS, PolicyConfigError, validatePolicyConfig } from './policy-config.js';

function fails(input: unknown, field: string, message: RegExp): void {
  try {
    validatePolicyConfig(input);
  } catch (e) {
    assert.instance(e, PolicyConfigError);
    const err = e as PolicyConfigError;
    assert.is(err.code, 'CG_POLICY_CONFIG');
    assert.is(err.field, field);
    assert.match(err.message, new RegExp(`^policy\\.${field.replace(/[()]/g, '\\$&')}: `));
    assert.match(err.message, message);
    return;
  }
  assert.unreachable(`expected ${field} to be rejected`);
}

test('defaults validate and round-trip', () => {
  assert.equal(validatePolicyConfig({}), { ...DEFAULT_POLICY_CONFIG });
  assert.equal(validatePolicyConfig(), { ...DEFAULT_POLICY_CONFIG });
  const c = validatePolicyConfig({ threshold: 0.7, escalation: true, escalationThreshold: 0.9 });
  assert.is(c.threshold, 0.7);
  assert.is(c.escalation, true);
  assert.is(c.minSpeechSeconds, DEFAULT_POLICY_CONFIG.minSpeechSeconds);
  assert.ok(Object.isFrozen(c));
});

test('errors name the field', () => {
  fails({ threshold: 1.5 }, 'threshold', /must be <= 1, got 1.5/);
  fails({ threshold: '0.5' }, 'threshold', /finite number, got "0.5"/);
  fails({ minSpeechSeconds: NaN }, 'minSpeechSeconds', /finite number/);
  fails({ confirmSeconds: -1 }, 'confirmSeconds', /must be >= 0/);
  fails({ escalation: 'yes' }, 'escalation', /boolean/);
  fails({ thresold: 0.5 }, 'thresold', /unknown key/);
  fails({ threshold: 0.4, hysteresis: 0.45 }, 'hysteresis', /below threshold/);
  fails({ threshold: 0.8 }, 'acousticOnlyThreshold', /must be >= threshold/);
  fails({ escalationThreshold: 0.5 }, 'escalationThreshold', /must exceed threshold/);
  fails({ weightPressureEmotion: 0, weightPressureAcoustic: 0 }, 'weightPressureAcoustic', /must be > 0/);
  fails(null, '(root)', /must be an object/);
  fails([1], '(root)', /must be an object/);
});

test('key list: every config key is described once, with env name, default and bounds', () => {
  const keys = POLICY_CONFIG_KEYS.map((k) => k.key).sort();
  assert.equal(keys, Object.keys(DEFAULT_POLICY_CONFIG).sort());
  for (const k of POLICY_CONFIG_KEYS) {
    assert.match(k.env, /^CALLGUARD_POLICY_[A-Z0-9_]+$/);
    assert.is(DEFAULT_POLICY_CONFIG[k.key], k.default);
    assert.ok(k.description.length > 10);
    if (k.type === 'number')
      assert.ok(
        typeof k.min === 'number' &&
          typeof k.max === 'number' &&
          (k.default as number) >= k.min &&
          (k.default as number) <= k.max,
        k.key,
      );
  }
  assert.is(POLICY_CONFIG_KEYS.find((k) => k.key === 'minSpeechSeconds')!.env, 'CALLGUARD_POLICY_MIN_SPEECH_SECONDS');
  assert.is(new Set(POLICY_CONFIG_KEYS.map((k) => k.env)).size, POLICY_CONFIG_KEYS.length);
});

test.run();
