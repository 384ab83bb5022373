import { randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The engine under test as a child process (`node bin/callguard.js serve`), configured through CALLGUARD_* variables
 * on loopback ports the load run chose, with its own data directory and alerts pointed at the run's SMSC simulator.
 * Being our child gives us its pid for /proc sampling. close() sends SIGTERM and SIGKILLs after a grace period.
 */
export interface EngineProcessOptions {
  sipPort: number;
  httpPort: number;
  rtpPortMin: number;
  rtpPortMax: number;
  smppUrl: string;
  /** Extra CALLGUARD_* settings (e.g. CALLGUARD_POOL_THREADS). */
  env?: Record<string, string>;
  logLevel?: string;
  /** Extra node flags before the script (e.g. --cpu-prof, which Node 20's NODE_OPTIONS does not accept). */
  nodeArgs?: string[];
  /** Another built checkout of callguard whose engine runs instead of this one's (a same-run baseline). */
  root?: string;
}

export interface EngineProcess {
  readonly pid: number;
  readonly sip: { host: string; port: number };
  readonly httpBase: string;
  /** Bearer token of the engine's admin API (GET /calls needs it). */
  readonly token: string;
  /** Last lines of the engine's stderr/stdout (for the report when it fails). */
  tail(): string;
  exited(): boolean;
  close(): Promise<void>;
}

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Spawns the engine and waits until /healthz answers and SIP answers OPTIONS (at most `readyTimeoutMs`). */
export async function startEngineProcess(o: EngineProcessOptions, readyTimeoutMs = 60000): Promise<EngineProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'callguard-load-data-'));
  const token = o.env?.CALLGUARD_HTTP_TOKEN ?? randomBytes(24).toString('hex');
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    CALLGUARD_SIP_HOST: '127.0.0.1',
    CALLGUARD_SIP_PORT: String(o.sipPort),
    CALLGUARD_HTTP_HOST: '127.0.0.1',
    CALLGUARD_HTTP_PORT: String(o.httpPort),
    CALLGUARD_RTP_PORT_MIN: String(o.rtpPortMin),
    CALLGUARD_RTP_PORT_MAX: String(o.rtpPortMax),
    CALLGUARD_SMPP_URL: o.smppUrl,
    CALLGUARD_DATA_DIR: dataDir,
    CALLGUARD_LOG_LEVEL: o.logLevel ?? 'warn',
    CALLGUARD_HTTP_TOKEN: token,
    // A load run analyses every call it places: its numbers are not enrolled (override with --engine-env).
    CALLGUARD_SUBSCRIBERS_ENFORCE: 'false',
    ...o.env,
  };
  const child: ChildProcess = spawn(
    process.execPath,
    [...(o.nodeArgs ?? []), join(o.root ?? repoRoot, 'bin/callguard.js'), 'serve'],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  const keep = (d: Buffer) => {
    out = (out + d.toString()).slice(-8000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let exited = false;
  const exit = new Promise<void>((r) => child.once('exit', () => ((exited = true), r())));
  const httpBase = `http://127.0.0.1:${o.httpPort}`;
  const handle: EngineProcess = {
    pid: child.pid!,
    sip: { host: '127.0.0.1', port: o.sipPort },
    httpBase,
    token,
    tail: () => out,
    exited: () => exited,
    async close() {
      if (!exited) {
        child.kill('SIGTERM');
        const grace = setTimeout(() => child.kill('SIGKILL'), 15000);
        await exit;
        clearTimeout(grace);
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  const until = Date.now() + readyTimeoutMs;
  while (Date.now() < until && !exited) {
    if ((await httpOk(`${httpBase}/healthz`)) && (await sipOptionsOk('127.0.0.1', o.sipPort))) return handle;
    await sleep(250);
  }
  await handle.close();
  throw new Error(`engine did not become ready (exited: ${exited}):\n${out.slice(-3000)}`);
}

async function httpOk(url: string): Promise<boolean> {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(1000) });
    return r.ok;
  } catch {
    return false;
  }
}

/** One SIP OPTIONS over UDP; true on any 200 within a second. */
export async function sipOptionsOk(host: string, port: number): Promise<boolean> {
  const sock = dgram.createSocket('udp4');
  try {
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    const lp = sock.address().port;
    const msg = [
      `OPTIONS sip:srs@${host}:${port} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${lp};branch=z9hG4bK-probe${Date.now()};rport`,
      'Max-Forwards: 70',
      `From: <sip:probe@127.0.0.1:${lp}>;tag=probe`,
      `To: <sip:srs@${host}:${port}>`,
      `Call-ID: probe-${Date.now()}@127.0.0.1`,
      'CSeq: 1 OPTIONS',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
    return await new Promise<boolean>((r) => {
      const t = setTimeout(() => r(false), 1000);
      sock.on('message', (d) => {
        if (/^SIP\/2\.0 200/.test(d.toString('latin1'))) {
          clearTimeout(t);
          r(true);
        }
      });
      sock.on('error', () => {});
      sock.send(msg, port, host);
    });
  } finally {
    sock.close();
  }
}

/** A free loopback port for `type` (bound then released; good enough on a box we own for the run). */
export async function freePort(type: 'udp' | 'tcp'): Promise<number> {
  if (type === 'udp') {
    const s = dgram.createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    const p = s.address().port;
    s.close();
    return p;
  }
  const net = await import('node:net');
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const p = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return p;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
