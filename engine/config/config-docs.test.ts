import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { repoRoot } from '../../test/support/repo-paths.js';
import { configKeyDocs, renderConfigMarkdown } from './config-docs.js';
import { loadConfig } from './load-config.js';

test('every setting is documented: a doc comment on its key in config-schema.ts (or the policy key list)', () => {
  const docs = configKeyDocs();
  const missing = docs.filter((d) => d.meaning.length < 10).map((d) => d.key);
  assert.equal(missing, []);
  // The table covers exactly the settings the loader knows.
  const cfg = loadConfig({ env: {} }) as unknown as Record<string, Record<string, unknown>>;
  const known = Object.entries(cfg).flatMap(([s, v]) => Object.keys(v).map((k) => `${s}.${k}`));
  assert.equal(docs.map((d) => d.key).sort(), known.sort());
  assert.ok(docs.find((d) => d.key === 'rtp.portMin')?.env === 'CALLGUARD_RTP_PORT_MIN');
  assert.is(docs.find((d) => d.key === 'pool.threads')?.default, "the machine's cores");
});

test('docs/CONFIGURATION.md is the generated table (npm run docs:config)', () => {
  assert.fixture(readFileSync(join(repoRoot, 'docs/CONFIGURATION.md'), 'utf8'), renderConfigMarkdown());
});

test.run();
