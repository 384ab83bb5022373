import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { repoRoot } from '../test/support/repo-paths.js';
import { renderErrorsMarkdown } from './error-docs.js';
import { CallguardError, ERROR_CATALOGUE, isErrorCode } from './errors.js';

/** The TypeScript sources (tests excluded: they may name codes that must not exist). */
function sources(): Array<{ path: string; text: string }> {
  const out: Array<{ path: string; text: string }> = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(join(repoRoot, dir), { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !e.name.endsWith('.d.ts'))
        out.push({ path: p, text: readFileSync(join(repoRoot, p), 'utf8') });
    }
  };
  for (const d of ['common', 'engine', 'actors', 'models', 'smpp', 'load-tests']) walk(d);
  return out;
}

test('every CG_* code in the source is in the catalogue, and every catalogue code is used', () => {
  const used = new Set<string>();
  for (const f of sources()) {
    if (f.path.startsWith('common/')) continue;
    for (const m of f.text.matchAll(/'(CG_[A-Z0-9_]+)'/g)) {
      assert.ok(isErrorCode(m[1]), `${f.path}: ${m[1]} is not in common/errors.ts`);
      used.add(m[1]);
    }
  }
  const unused = Object.keys(ERROR_CATALOGUE).filter((c) => !used.has(c));
  assert.equal(unused, [], 'catalogue codes nobody raises');
});

test('every error class derives from CallguardError and names itself', () => {
  for (const f of sources()) {
    for (const m of f.text.matchAll(/class (\w+) extends (\w+)(?:<[^{]*>)? \{([^]*?)\n\}/g)) {
      const [, name, base, body] = m;
      if (!/Error$/.test(name)) continue;
      // The HTTP API's answers carry the API's own codes (docs/HTTP-API.md); the CLI's and the demo's usage errors
      // never leave their program.
      if (name === 'HttpError' || name === 'UsageError' || name === 'DemoError') continue;
      assert.ok(base === 'CallguardError' || base.endsWith('Error'), `${f.path}: ${name} extends ${base}`);
      assert.is.not(base, 'Error', `${f.path}: ${name} must extend CallguardError`);
      assert.ok(body.includes(`override name = '${name}'`), `${f.path}: ${name} sets its name`);
    }
    assert.not.match(f.text, /Object\.assign\(new Error/, `${f.path}: ad-hoc error with a code (use CallguardError)`);
  }
});

test('CallguardError carries code, setting, cause and name', () => {
  const cause = new Error('EADDRINUSE');
  const e = new CallguardError('CG_START_FAILED', 'cannot listen', { setting: 'sip.port', cause });
  assert.instance(e, Error);
  assert.is(e.code, 'CG_START_FAILED');
  assert.is(e.setting, 'sip.port');
  assert.is(e.cause, cause);
  assert.is(e.name, 'CallguardError');
  assert.is(new CallguardError('CG_BAD_FILE', 'x').setting, undefined);
});

test('docs/ERRORS.md is the generated catalogue (npm run docs:errors)', () => {
  assert.fixture(readFileSync(join(repoRoot, 'docs/ERRORS.md'), 'utf8'), renderErrorsMarkdown());
});

test.run();
