import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './repo-paths.js';

/** The shipped load balancer configuration, which the tests run as it is. */
export const KAMAILIO_CFG = join(repoRoot, 'docs', 'kamailio', 'kamailio.cfg');

/** Sends one OPTIONS to host:port over UDP and resolves with the response status (0: no answer within `ms`). */
export async function sipOptions(port: number, ms = 1000, user = ''): Promise<number> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const local = sock.address().port;
  const branch = `z9hG4bK${randomBytes(6).toString('hex')}`;
  const uri = `sip:${user ? `${user}@` : ''}127.0.0.1:${port}`;
  const msg = [
    `OPTIONS ${uri} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${local};branch=${branch};rport`,
    'Max-Forwards: 70',
    `From: <sip:probe@127.0.0.1:${local}>;tag=${randomBytes(4).toString('hex')}`,
    `To: <${uri}>`,
    `Call-ID: ${randomBytes(8).toString('hex')}@test`,
    'CSeq: 1 OPTIONS',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  try {
    return await new Promise<number>((resolve) => {
      const t = setTimeout(() => resolve(0), ms);
      sock.on('message', (d) => {
        const m = /^SIP\/2\.0 (\d{3})/.exec(d.toString('latin1'));
        if (!m) return;
        clearTimeout(t);
        resolve(Number(m[1]));
      });
      sock.send(msg, port, '127.0.0.1');
    });
  } finally {
    sock.close();
  }
}

/**
 * Debian's kamailio running docs/kamailio/kamailio.cfg in the foreground on loopback: its own runtime directory, pid
 * file and dispatcher list (set 1 = `engines`, SIP ports on 127.0.0.1), probing every `probeSeconds`. Its log (stderr)
 * is kept for failure messages. `stop()` ends it with SIGTERM (SIGKILL if it lingers) and deletes its files.
 */
export class KamailioRunner {
  private log = '';
  private exited = false;

  private constructor(
    readonly port: number,
    private readonly dir: string,
    private readonly child: ChildProcess,
  ) {
    child.stdout?.on('data', (d) => (this.log = (this.log + d).slice(-20000)));
    child.stderr?.on('data', (d) => (this.log = (this.log + d).slice(-20000)));
    child.on('exit', () => (this.exited = true));
  }

  static async start(o: { port: number; engines: number[]; probeSeconds?: number }): Promise<KamailioRunner> {
    if (!existsSync('/usr/sbin/kamailio'))
      throw new Error('kamailio is not installed (apt-get install kamailio; .ci/run does it)');
    const dir = mkdtempSync(join(tmpdir(), 'cg-kamailio-'));
    const list = join(dir, 'dispatcher.list');
    writeFileSync(list, o.engines.map((p) => `1 sip:127.0.0.1:${p}`).join('\n') + '\n');
    const args = [
      '-f',
      KAMAILIO_CFG,
      '-DD',
      '-E',
      '-P',
      join(dir, 'kamailio.pid'),
      '-Y',
      dir,
      '-w',
      dir,
      '-m',
      '64',
      '-M',
      '8',
      '-A',
      `CG_DS_LIST="${list}"`,
      '-A',
      `CG_PROBE_SECONDS=${o.probeSeconds ?? 1}`,
      '-A',
      'CG_NO_DEFAULT_LISTEN',
      '-l',
      `udp:127.0.0.1:${o.port}`,
    ];
    const child = spawn('/usr/sbin/kamailio', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const k = new KamailioRunner(o.port, dir, child);
    const deadline = Date.now() + 20000;
    while ((await sipOptions(o.port, 300)) !== 200) {
      if (k.exited || Date.now() > deadline) {
        await k.stop();
        throw new Error(`kamailio did not start: ${k.log.slice(-3000)}`);
      }
    }
    return k;
  }

  /** The last lines Kamailio logged. */
  output(): string {
    return this.log;
  }

  async stop(): Promise<void> {
    if (!this.exited) {
      const gone = new Promise<void>((r) => this.child.once('exit', () => r()));
      this.child.kill('SIGTERM');
      const t = setTimeout(() => this.child.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(t);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
