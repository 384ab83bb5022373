import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildExplanation, EXPLANATION_MAX_CHARS } from './alert-explanation.js';
import { emptyCues } from './risk-policy.js';

const strong = {
  ...emptyCues(),
  pressure: 0.9,
  anger: 0.6,
  modelCoverage: 1,
  speechRate: 0.8,
  loudness: 0.7,
  pitchRaise: 0.9,
  pressureSeconds: 42,
  distress: 0.8,
  distressSeconds: 20,
  fear: 0.5,
  sadness: 0.1,
  dominance: 0.9,
  overlap: 0.9,
};

test('names the driving cues, short and plain', () => {
  const s = buildExplanation(strong, 'alert');
  assert.is(
    s,
    'Caller sounded angry and tense for 40 s and did most of the talking and talked over you; you sounded afraid.',
  );
  assert.ok(s.length <= EXPLANATION_MAX_CHARS);
});

test('only the cues that are there', () => {
  const s = buildExplanation(
    { ...emptyCues(), pressure: 0.7, speechRate: 0.6, loudness: 0.5, pressureSeconds: 3 },
    'alert',
  );
  assert.is(s, 'Caller sounded urgent and loud.');
  assert.is(
    buildExplanation(
      { ...strong, otherRole: 'callee', fear: 0.1, sadness: 0.5, dominance: 0, overlap: 0, pressureSeconds: 200 },
      'alert',
    ),
    'The other person sounded angry and tense for 3 min; you sounded upset.',
  );
  // Without a model, "angry" is never claimed.
  assert.not.match(buildExplanation({ ...strong, modelCoverage: 0 }, 'alert'), /angry/);
});

test('escalation is prefixed and clauses are dropped to stay within the limit', () => {
  const s = buildExplanation({ ...strong, otherRole: 'callee' }, 'escalation');
  assert.ok(s.startsWith('Still high risk: The other person sounded'), s);
  assert.ok(s.length <= EXPLANATION_MAX_CHARS, `${s.length}: ${s}`);
  assert.match(s, /^[\x20-\x7e]+$/);
});

test.run();
