import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { repoRoot } from '../../test/support/repo-paths.js';

/**
 * What the README's first screen promises a newcomer after `npm start` on a fresh checkout: the token printed once,
 * the bundled SMSC simulator announced as such, `callguard ready` with the console URL, and the console answering
 * there.
 */
const firstRunOfServeTitle =
  'first run of serve: generated token printed once, simulator warning, ready line with the console URL that ' +
  'serves the console';
test(firstRunOfServeTitle, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cg-first-run-'));
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    CALLGUARD_POOL_THREADS: '2',
    CALLGUARD_SIP_PORT: '0',
    CALLGUARD_HTTP_PORT: '0',
    CALLGUARD_SMPP_SIMULATOR_PORT: '0',
    CALLGUARD_DATA_DIR: join(dir, 'data'),
  };
  for (const k of Object.keys(env))
    if (k === 'CALLGUARD_SMPP_URL' || k === 'CALLGUARD_HTTP_TOKEN' || k === 'CALLGUARD_CONFIG') delete env[k];
  const child = spawn(process.execPath, [join(repoRoot, 'bin', 'callguard.js'), 'serve'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  try {
    const deadline = Date.now() + 30000;
    while (!out.includes('callguard ready') && Date.now() < deadline && child.exitCode === null)
      await new Promise((r) => setTimeout(r, 50));
    const lines = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const token = readFileSync(join(dir, 'data', 'http-token'), 'utf8').trim();
    const tokenLines = lines.filter((l) => String(l.msg).includes(token));
    assert.is(tokenLines.length, 1, 'the token is printed exactly once');
    assert.match(tokenLines[0].msg, 'admin API token generated (shown once');
    assert.ok(
      lines.some((l) => /BUNDLED SMSC SIMULATOR/.test(l.msg)),
      'simulator announced',
    );
    const ready = lines.find((l) => l.msg === 'callguard ready');
    assert.ok(ready, out);
    assert.is(ready.smsc, 'bundled simulator');
    assert.match(ready.console, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await fetch(ready.console);
    assert.is(page.status, 200);
    assert.match(await page.text(), '<html');
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
