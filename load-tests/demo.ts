import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../engine/config/load-config.js';
import { TOKEN_FILE } from '../engine/ops/http-token.js';
import { isLoopback, runCalls } from './call-generator.js';
import { demoCalls, type DemoCall } from './demo-calls.js';
import { findEmodbDir, loadEmodbClips } from './emodb-clips.js';
import { EngineCallsPoller } from './engine-calls-poller.js';
import { sipOptionsOk } from './engine-process.js';

/**
 * `npm run demo`: plays a calm call and a scam-like call into an engine that is already running (`npm start`), over
 * SIPREC in real time, then shows the SMS alerts the engine recorded (GET /alerts) and which calls alerted.
 * Usage: npm run demo -- [--sip 127.0.0.1:5060] [--http 127.0.0.1:8080] [--token T] [--seconds 40] [--seed 7]
 */

class DemoError extends Error {}

interface AlertRow {
  alertId: string;
  callId: string;
  to: string | null;
  at: string;
  risk: number;
  explanation: string;
  state: string;
  reason: string | null;
  sms: { text: string } | null;
}

const say = (line = '') => process.stdout.write(line + '\n');

function hostPort(v: string, flag: string): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(v);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port < 1 || port > 65535) throw new DemoError(`${flag}: expected host:port, got "${v}"`);
  return { host: m[1].replace(/^\[|\]$/g, ''), port };
}

/** --token, else CALLGUARD_HTTP_TOKEN, else the token file the engine generated under its data dir. */
function adminToken(given: string | undefined): string | null {
  if (given) return given;
  if (process.env.CALLGUARD_HTTP_TOKEN) return process.env.CALLGUARD_HTTP_TOKEN;
  let dir = process.env.CALLGUARD_DATA_DIR || './data';
  try {
    dir = loadConfig().data.dir;
  } catch {
    // A config the engine would refuse is the engine's problem to report; the default data dir is still worth a try.
  }
  try {
    return readFileSync(join(resolve(dir), TOKEN_FILE), 'utf8').trim() || null;
  } catch {
    return null;
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sip: { type: 'string', default: '127.0.0.1:5060' },
      http: { type: 'string', default: '127.0.0.1:8080' },
      token: { type: 'string' },
      seconds: { type: 'string', default: '40' },
      seed: { type: 'string', default: '7' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    say('usage: npm run demo -- [--sip host:port] [--http host:port] [--token T] [--seconds 40] [--seed 7]');
    return;
  }
  const sip = hostPort(values.sip!, '--sip');
  const http = hostPort(values.http!, '--http');
  const seconds = Number(values.seconds);
  if (!Number.isFinite(seconds) || seconds < 4 || seconds > 600)
    throw new DemoError(`--seconds: expected 4 to 600, got "${values.seconds}"`);
  const seed = Number(values.seed);
  if (!Number.isInteger(seed)) throw new DemoError(`--seed: expected an integer, got "${values.seed}"`);
  if (!isLoopback(sip.host))
    throw new DemoError(
      `--sip: the demo plays calls to an engine on this machine only (a loopback address), got ${sip.host}`,
    );
  const base = `http://${http.host.includes(':') ? `[${http.host}]` : http.host}:${http.port}`;

  try {
    await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(3000) });
  } catch {
    throw new DemoError(
      `no engine answers on ${base} — start it first with "npm start" in another terminal (or pass --http host:port)`,
    );
  }
  // Right after `npm start` the workers are still loading the model: wait for /readyz rather than lose the first
  // seconds.
  const readyUntil = Date.now() + 60000;
  for (let first = true; ; first = false) {
    const r = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(5000) }).catch(() => null);
    const body = (await r?.json().catch(() => null)) as { notReady?: string[] } | null;
    if (r?.status === 200) break;
    const notReady = body?.notReady ?? ['no answer'];
    if (Date.now() > readyUntil)
      throw new DemoError(`the engine at ${base} is not ready after 60 s (not ready: ${notReady.join(', ')})`);
    if (first) say(`waiting for the engine to be ready (not ready yet: ${notReady.join(', ')})...`);
    await sleep(500);
  }
  if (!(await sipOptionsOk(sip.host, sip.port)))
    throw new DemoError(
      `the engine's HTTP API answers but nothing answers SIP on ${sip.host}:${sip.port} (pass --sip host:port)`,
    );
  const token = adminToken(values.token);
  if (!token)
    throw new DemoError(
      "no admin token: pass --token, set CALLGUARD_HTTP_TOKEN, or run from the engine's directory so " +
        'data/http-token is found',
    );
  const api = async (path: string, init: { method?: string; body?: unknown } = {}) => {
    const res = await fetch(`${base}${path}`, {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${token}`, ...(init.body ? { 'content-type': 'application/json' } : {}) },
      body: init.body ? JSON.stringify(init.body) : undefined,
      signal: AbortSignal.timeout(10000),
    });
    if (res.status === 401)
      throw new DemoError(
        'the engine refused the admin token (pass the one from its log or <data.dir>/http-token with --token)',
      );
    return { status: res.status, body: (await res.json().catch(() => null)) as any };
  };
  const state = await api('/console/state');
  if (state.status !== 200) throw new DemoError(`GET /console/state answered ${state.status}`);
  const enforce = state.body?.capacity?.enforce === true;
  const smsc = state.body?.smpp?.simulator ? 'the bundled SMSC simulator' : 'the configured SMSC';

  const clipDir = findEmodbDir();
  if (!clipDir)
    throw new DemoError(
      'Emo-DB clips not found: expected data/emodb-8k under $CALLGUARD_SHARED_DIR, ../shared or /work/shared',
    );
  const lib = loadEmodbClips(clipDir);
  const runTag = String(Date.now() % 10000).padStart(4, '0');
  const calls = demoCalls(lib, { seconds, runTag, seed });

  say(`callguard demo: engine at ${base}, SIPREC ${sip.host}:${sip.port}; alerts go to ${smsc}`);
  say(`clips: ${clipDir}`);
  if (enforce) {
    // subscribers.enforce: only enrolled numbers are analysed, so the demo's subscribers are enrolled for the run.
    for (const c of calls) {
      const r = await api('/subscribers', { method: 'POST', body: { msisdn: c.plan.calleeNumber } });
      if (r.status !== 201 && r.status !== 200)
        throw new DemoError(`could not enrol ${c.plan.calleeNumber}: ${JSON.stringify(r.body)}`);
    }
    say(
      `subscribers.enforce is on: enrolled the demo ` +
        `subscribers ${calls.map((c) => c.plan.calleeNumber).join(', ')} for this run`,
    );
  }
  say(`playing ${calls.length} calls of ${seconds} s side by side, in real time:`);
  for (const c of calls)
    say(`  ${label(c)}  ${c.plan.callerNumber} → ${c.plan.calleeNumber} (protected)  ${c.description}`);

  try {
    await playAndReport(calls, sip, base, token, api);
  } finally {
    // The enrolment was for this run only, whatever happened to it.
    if (enforce)
      for (const c of calls)
        await api(`/subscribers/${encodeURIComponent(c.plan.calleeNumber)}`, { method: 'DELETE' }).catch(() => {});
  }
}

type Api = (path: string, init?: { method?: string; body?: unknown }) => Promise<{ status: number; body: any }>;

/** Places the calls, waits for the engine to finish them, and prints the SMS it recorded and which calls alerted. */
async function playAndReport(
  calls: DemoCall[],
  sip: { host: string; port: number },
  base: string,
  token: string,
  api: Api,
): Promise<void> {
  const poller = new EngineCallsPoller(`${base}/calls`, 1000, token);
  poller.start();
  const t0 = Date.now();
  const byId = new Map(calls.map((c) => [c.plan.callId, c]));
  const result = await runCalls({
    target: sip,
    calls: calls.map((c) => c.plan),
    onCallEvent: ({ call, event }) => {
      const c = byId.get(call.callId)!;
      const when = `[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)} s]`;
      if (event === 'answered') say(`  ${when} ${label(c)} answered (SIP ${call.inviteStatus}), audio flowing`);
      else
        say(
          `  ${when} ${label(c)} ` +
            `ended: ${call.outcome}` +
            `${call.outcome === 'completed' ? '' : ` (INVITE ${call.inviteStatus || 'no answer'})`}`,
        );
    },
  });
  say('waiting for the engine to finish analysing the last audio...');
  const ids = new Set(calls.map((c) => c.plan.callId));
  const until = Date.now() + 30000;
  while (Date.now() < until) {
    await poller.poll();
    const listed = (await api('/calls')).body?.calls ?? [];
    if (!listed.some((c: { callId: string }) => ids.has(c.callId))) break;
    await sleep(500);
  }
  await poller.stop();
  // The SMS leaves through the outbox: give the SMSC a moment to accept it so its state is not just "queued".
  let ours: AlertRow[] = [];
  const smsUntil = Date.now() + 15000;
  while (Date.now() < smsUntil) {
    ours = ((await api('/alerts?limit=200')).body?.alerts ?? []).filter((a: AlertRow) => ids.has(a.callId));
    if (ours.every((a) => a.state !== 'raised' && a.state !== 'queued')) break;
    await sleep(500);
  }

  say('');
  say(
    ours.length ? 'SMS alerts the engine recorded (GET /alerts):' : 'The engine recorded no SMS alert for these calls.',
  );
  for (const a of ours.slice().reverse()) {
    say(
      `  ${a.at}  to ${a.to ?? '(no number)'}  risk ${a.risk.toFixed(2)}  ` +
        `delivery: ${a.state}${a.reason ? ` (${a.reason})` : ''}`,
    );
    say(`    SMS: ${a.sms ? JSON.stringify(a.sms.text) : '(text no longer kept)'}`);
  }
  say('');
  say('result:');
  let failed = 0;
  for (const c of calls) {
    const outcome = result.calls.find((r) => r.callId === c.plan.callId)?.outcome ?? 'not placed';
    if (outcome !== 'completed') failed++;
    const alert = ours.find((a) => a.callId === c.plan.callId);
    const t = poller.calls.get(c.plan.callId)?.alerts[0]?.t;
    const what = alert
      ? `ALERT${t !== undefined ? ` after ${t.toFixed(1)} s of call` : ''}, risk ${alert.risk.toFixed(2)}, SMS ` +
        `to ${alert.to}`
      : 'no alert';
    const expected = !!alert === c.expectAlert ? 'as expected' : c.expectAlert ? 'expected an alert' : 'expected none';
    say(`  ${label(c)}  ${what} — ${expected}${outcome === 'completed' ? '' : ` (call ${outcome})`}`);
  }
  if (failed) throw new DemoError(`${failed} call(s) did not complete on SIP; see the lines above`);
}

function label(c: DemoCall): string {
  return (c.expectAlert ? 'scam' : 'calm').padEnd(4);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    const msg =
      err instanceof DemoError || (err as { code?: string })?.code?.startsWith('ERR_PARSE_ARGS')
        ? (err as Error).message
        : `unexpected failure: ${(err as Error)?.stack ?? err}`;
    process.stderr.write(`callguard demo: error: ${msg}\n`);
    process.exit(2);
  },
);
