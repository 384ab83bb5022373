import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { selectVariants, variantSession } from './load-compare.js';

test('every variant engine gets the run’s --engine-env and --engine-node-arg; the variant’s own settings win', () => {
  // Until 2026-12-07 --compare dropped both silently (a profile asked for with --engine-node-arg was never taken).
  const [unbatched] = selectVariants('unbatched');
  const s = variantSession(unbatched, {
    engineEnv: { CALLGUARD_MODEL_MAX_BATCH: '64', CALLGUARD_LOG_LEVEL: 'info' },
    engineNodeArgs: ['--perf-basic-prof'],
  });
  assert.equal(s.env, { CALLGUARD_MODEL_MAX_BATCH: '1', CALLGUARD_LOG_LEVEL: 'info' });
  assert.equal(s.nodeArgs, ['--perf-basic-prof']);
  assert.is(s.root, undefined);
  assert.equal(variantSession({ name: 'b', description: '', env: {}, root: '/x' }, {}), {
    env: {},
    nodeArgs: undefined,
    root: '/x',
  });
});

test.run();
