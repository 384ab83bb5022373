import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { repoRoot } from '../../test/support/repo-paths.js';
import { loadConfig } from '../config/load-config.js';
import { HttpError } from '../http/http-api.js';
import { TOKEN_FILE, bearerAuthorizer, resolveHttpToken } from './http-token.js';
import { maskNumber, maskNumbersDeep, maskText } from './number-mask.js';
import { createOpsLogger } from './ops-logger.js';
import { evaluateReadiness, type ReadinessInput } from './readiness.js';
import { subscribersCommand } from './subscribers-command.js';
import { MAX_IMPORT_ROWS, SubscriberStore, normalizeE164 } from './subscriber-store.js';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'cg-ops-'));
  dirs.push(d);
  return d;
};

/** A logger whose JSON lines land in an array. */
function capture(maskNumbers: boolean) {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      cb();
    },
  });
  return { log: createOpsLogger('info', maskNumbers, stream), lines };
}

test('maskNumber keeps the country code, first digits and last two digits', () => {
  assert.is(maskNumber('+33612345678'), '+33612****78');
  assert.is(maskNumber('33612345678'), '33612****78');
  assert.is(maskNumber('+447700900555'), '+44770*****55');
  assert.is(maskNumber('12345'), '***45');
  assert.is(maskNumber('1234'), '****');
  assert.is(maskNumber('ACME'), 'ACME');
  assert.is(
    maskText('call from sip:+33612345678@ims.example.net to tel:0698765432'),
    'call from sip:+33612****78@ims.example.net to tel:06987***32',
  );
  assert.is(maskText('submit to 33698765432 failed'), 'submit to 33698****32 failed');
  assert.is(
    maskText('window 12345678 of call-9876543210x'),
    'window 12345678 of call-9876543210x',
    'short runs and runs inside identifiers stay',
  );
  // Quantities named by a protocol field are not phone numbers (the probe saw command_length 2147483648 masked).
  assert.is(
    maskText('PDU refused: command_length 2147483648 > 65536'),
    'PDU refused: command_length 2147483648 > 65536',
  );
  assert.is(
    maskText('seq=3369876543 bytes: 1048576000 receivedBytes 4294967296'),
    'seq=3369876543 bytes: 1048576000 receivedBytes 4294967296',
  );
  assert.is(
    maskText('alert for 33698765432 queued, number 447700900555'),
    'alert for 33698****32 queued, number 44770*****55',
  );
  assert.is(
    maskText('command_length +33698765432'),
    'command_length +33698****32',
    'a + number is a phone number whatever precedes it',
  );
  const obj = { callId: '33698765432@sbc', legs: [{ number: '+33698765432', role: 'callee' }], to: '447700900555' };
  assert.equal(maskNumbersDeep(obj), {
    callId: '33698765432@sbc',
    legs: [{ number: '+33698****32', role: 'callee' }],
    to: '44770*****55',
  });
  assert.is(obj.legs[0].number, '+33698765432', 'the logged object itself is not changed');
});

const logMasknumbersCallRelatedTitle =
  'log.maskNumbers: call-related log lines carry masked numbers (fields, nested legs, message); off leaves them';
test(logMasknumbersCallRelatedTitle, () => {
  const { log, lines } = capture(true);
  const child = log.child({ component: 'alerts', callId: 'c1' });
  child.info({ to: '+33698765432', legs: [{ number: '+33612345678' }] }, 'scam alert for +33698765432');
  child.warn({ err: new Error('submit to 33698765432 failed'), msisdn: '33698765432' }, 'failed');
  const all = lines.join('\n');
  assert.not.match(all, '33698765432');
  assert.not.match(all, '33612345678');
  const first = JSON.parse(lines[0]);
  assert.is(first.to, '+33698****32');
  assert.is(first.legs[0].number, '+33612****78');
  assert.is(first.msg, 'scam alert for +33698****32');
  assert.is(first.callId, 'c1');
  assert.is(JSON.parse(lines[1]).msisdn, '33698****32');

  const plain = capture(false);
  plain.log.info({ to: '+33698765432' }, 'x');
  assert.is(JSON.parse(plain.lines[0]).to, '+33698765432');
});

test('log.maskNumbers and subscribers.enforce default to true; the admin token is masked in the logged config', () => {
  const c = loadConfig({ env: { CALLGUARD_HTTP_TOKEN: 'sekret-token-value' } });
  assert.is(c.log.maskNumbers, true);
  assert.is(c.subscribers.enforce, true);
  assert.is(c.engine.drainSeconds, 30);
  assert.is(c.http.token, 'sekret-token-value');
  const trial = loadConfig({ env: { CALLGUARD_LOG_MASK_NUMBERS: 'false', CALLGUARD_SUBSCRIBERS_ENFORCE: 'false' } });
  assert.is(trial.log.maskNumbers, false);
  assert.is(trial.subscribers.enforce, false);
  const { log, lines } = capture(true);
  log.info({ config: c }, 'starting');
  assert.not.match(lines[0], 'sekret-token-value');
});

test('http token: generated once with mode 0600 and printed once; read back later; http.token wins', () => {
  const dir = tempDir();
  const a = capture(true);
  const first = resolveHttpToken('', dir, a.log);
  assert.is(first.source, 'generated');
  assert.ok(first.token.length >= 40);
  assert.is(statSync(join(dir, TOKEN_FILE)).mode & 0o777, 0o600);
  assert.is(readFileSync(join(dir, TOKEN_FILE), 'utf8').trim(), first.token);
  assert.is(a.lines.filter((l) => l.includes(first.token)).length, 1, 'the token is printed once at generation');
  const b = capture(true);
  const second = resolveHttpToken('', dir, b.log);
  assert.equal([second.source, second.token], ['file', first.token]);
  assert.not.ok(
    b.lines.some((l) => l.includes(first.token)),
    'later starts do not print it',
  );
  assert.equal(resolveHttpToken('configured', dir, b.log).token, 'configured');
});

test('bearer authorizer: only the exact token passes, with 401 errors otherwise', () => {
  const check = bearerAuthorizer('s3cret-token');
  const req = (authorization?: string) =>
    ({ headers: authorization === undefined ? {} : { authorization } }) as IncomingMessage;
  check(req('Bearer s3cret-token'));
  check(req('bearer s3cret-token'));
  for (const bad of [
    undefined,
    '',
    'Bearer',
    'Bearer s3cret-tokeN',
    'Bearer s3cret-token2',
    'Basic czNjcmV0',
    's3cret-token',
  ]) {
    try {
      check(req(bad));
      assert.unreachable(`accepted ${bad}`);
    } catch (err) {
      assert.instance(err, HttpError);
      assert.is((err as HttpError).status, 401);
    }
  }
});

const ready: ReadinessInput = {
  poolUp: true,
  threads: 2,
  modelEnabled: true,
  workers: [1, 2].map((threadId) => ({
    threadId,
    startedAt: '',
    heapUsedBytes: 0,
    heapTotalBytes: 0,
    heapSpaces: {},
    heapLimitBytes: 0,
    externalBytes: 0,
    backendMemoryBytes: null,
    cpuSeconds: null,
    tasks: 0,
    callSteps: 0,
    model: { name: 'm', backend: 'wasm' },
  })),
  sipListening: true,
  draining: false,
  smpp: {
    state: 'running',
    binds: [{ name: 'a', state: 'bound', inFlight: 0, window: 10, counters: {} as any }],
    window: { size: 10, inFlight: 0 },
    outbox: { queuedParts: 0, pendingAlerts: 0, awaitingReceipt: 0 },
    counters: {} as any,
  },
};
const failing = (i: ReadinessInput) =>
  evaluateReadiness(i)
    .checks.filter((c) => !c.ok)
    .map((c) => c.name);

test('readiness: every condition is needed and each failure is named', () => {
  assert.equal(evaluateReadiness(ready).ready, true);
  assert.equal(failing({ ...ready, workers: ready.workers.slice(1) }), ['workers']);
  assert.equal(failing({ ...ready, workers: [ready.workers[0], { ...ready.workers[1], model: null }] }), ['workers']);
  assert.equal(
    failing({ ...ready, modelEnabled: false, workers: ready.workers.map((w) => ({ ...w, model: null })) }),
    [],
  );
  assert.equal(failing({ ...ready, poolUp: false, workers: [] }), ['pool', 'workers']);
  assert.equal(failing({ ...ready, sipListening: false }), ['sip']);
  assert.equal(failing({ ...ready, draining: true }), ['draining']);
  assert.equal(failing({ ...ready, smpp: null }), ['smpp']);
  const down = { ...ready.smpp!, binds: [{ ...ready.smpp!.binds[0], state: 'connecting' as const }] };
  assert.equal(failing({ ...ready, smpp: down }), [], 'SMSC down but the outbox accepts: still ready');
  assert.equal(failing({ ...ready, smpp: { ...down, state: 'closing' } }), ['smpp']);
});

test('subscriber store: E.164 only, per-subscriber language, add/update/get/remove persist across reopen', async () => {
  assert.is(normalizeE164('+33 6 12-34-56-78'), '+33612345678');
  assert.is(normalizeE164('0033612345678'), '+33612345678');
  for (const bad of ['0612345678', '+0612345678', '+12', 'abc', '+336123456789012345', ''])
    assert.is(normalizeE164(bad), null, bad);
  const dir = tempDir();
  let s = new SubscriberStore(dir);
  assert.equal((await s.add('+33612345678', 'fr')).created, true);
  assert.equal((await s.add('+33612345678', 'fr-BE')).created, false);
  await s.add('+447700900555');
  await s.add('12345').then(
    () => assert.unreachable('short number accepted'),
    (err) => assert.is(err.code, 'CG_BAD_MSISDN'),
  );
  try {
    await s.add('+33612345679', 'not a language!');
    assert.unreachable('bad language accepted');
  } catch (err) {
    assert.is((err as any).code, 'CG_BAD_LANGUAGE');
  }
  await s.close();
  s = new SubscriberStore(dir);
  assert.is(s.count(), 2);
  assert.is(s.get('+33612345678')?.language, 'fr-BE');
  assert.is(s.get('+447700900555')?.language, null);
  assert.is(await s.remove('+447700900555'), true);
  assert.is(await s.remove('+447700900555'), false);
  assert.is(s.has('+447700900555'), false);
  await s.close();
});

test('subscriber CSV import: header, comments, per-row errors with line numbers, 10,000-row cap', async () => {
  const s = new SubscriberStore(tempDir());
  const csv = [
    'msisdn,language',
    '+33612345678,fr',
    '# a comment',
    '',
    '+447700900555',
    'garbage,en',
    '+33698765432,??',
    '+4915112345678,de,extra',
    '+33612345678,en',
  ].join('\r\n');
  const r = await s.importCsv(csv);
  assert.is(r.rows, 6);
  assert.is(r.added, 2);
  assert.is(r.updated, 1);
  assert.equal(
    r.errors.map((e) => [e.line, e.code]),
    [
      [6, 'CG_BAD_MSISDN'],
      [7, 'CG_BAD_LANGUAGE'],
      [8, 'CG_BAD_CSV'],
    ],
  );
  assert.is(s.get('+33612345678')?.language, 'en', 'a later row updates an earlier one');
  const big = Array.from({ length: MAX_IMPORT_ROWS + 1 }, (_, i) => `+3361${String(i).padStart(7, '0')}`).join('\n');
  try {
    await s.importCsv(big);
    assert.unreachable('oversized import accepted');
  } catch (err) {
    assert.is((err as any).code, 'CG_TOO_MANY_ROWS');
  }
  const exact = await s.importCsv(big.split('\n').slice(0, MAX_IMPORT_ROWS).join('\n'));
  assert.equal([exact.rows, exact.added, exact.errors.length], [MAX_IMPORT_ROWS, MAX_IMPORT_ROWS, 0]);
  await s.close();
});

test('CLI subscribers command: add, get, import with a report, remove; exit codes', async () => {
  const dir = tempDir();
  const cfg = { ...loadConfig({ env: {} }), data: { dir } };
  assert.equal((await subscribersCommand(cfg, 'add', '+33612345678', 'fr')).code, 0);
  const got = await subscribersCommand(cfg, 'get', '+33612345678');
  assert.is((got.output as any).subscriber.language, 'fr');
  assert.is((await subscribersCommand(cfg, 'add', '0612', undefined)).code, 2);
  const file = join(dir, 'subs.csv');
  writeFileSync(file, '+447700900555,en\nnope\n');
  const imp = await subscribersCommand(cfg, 'import', file);
  assert.is(imp.code, 1);
  assert.equal([(imp.output as any).added, (imp.output as any).errors[0].line], [1, 2]);
  assert.is((await subscribersCommand(cfg, 'import', join(dir, 'missing.csv'))).code, 2);
  assert.is((await subscribersCommand(cfg, 'remove', '+447700900555')).code, 0);
  assert.is((await subscribersCommand(cfg, 'remove', '+447700900555')).code, 1);
});

test('config --print masks http.token', () => {
  const r = spawnSync(process.execPath, [join(repoRoot, 'bin/callguard.js'), 'config', '--print'], {
    encoding: 'utf8',
    env: { ...process.env, CALLGUARD_HTTP_TOKEN: 'very-secret-admin-token' },
    timeout: 30000,
  });
  assert.is(r.status, 0, r.stderr);
  assert.not.match(r.stdout, 'very-secret-admin-token');
  assert.is(JSON.parse(r.stdout).http.token, '***');
});

test('callguard subscribers (the binary): add, import, remove, usage errors', () => {
  const dir = tempDir();
  const run = (...args: string[]) =>
    spawnSync(process.execPath, [join(repoRoot, 'bin/callguard.js'), 'subscribers', ...args], {
      encoding: 'utf8',
      env: { ...process.env, CALLGUARD_DATA_DIR: dir },
      timeout: 30000,
    });
  let r = run('add', '+33612345678', '--language', 'fr');
  assert.is(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).subscriber, {
    msisdn: '+33612345678',
    language: 'fr',
    enrolledAt: JSON.parse(r.stdout).subscriber.enrolledAt,
  });
  const csv = join(dir, 'in.csv');
  writeFileSync(csv, 'msisdn,language\n+447700900555,en\n+12\n');
  r = run('import', csv);
  assert.is(r.status, 1);
  assert.equal(
    JSON.parse(r.stdout).errors.map((e: any) => e.line),
    [3],
  );
  r = run('remove', '+447700900555');
  assert.is(r.status, 0);
  r = run('frobnicate', 'x');
  assert.is(r.status, 2);
  assert.match(r.stderr, 'subscribers add|remove|get');
});

test.after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
test.run();
