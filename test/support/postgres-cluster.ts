import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where Debian's postgresql package puts initdb, pg_ctl and postgres (the newest major installed). */
export function postgresBinDir(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const majors = readdirSync(root)
    .filter((d) => existsSync(join(root, d, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(b) - Number(a));
  return majors.length ? join(root, majors[0], 'bin') : null;
}

/** A free TCP port on loopback (the cluster then binds it; a race with another process is unlikely on a test box). */
export async function freeTcpPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/**
 * A throw-away PostgreSQL cluster for one test file: initdb in a temp dir, started with pg_ctl on a free loopback port,
 * trust authentication on loopback only. Run as the `postgres` user when the tests run as root (CI), since PostgreSQL
 * refuses to run as root. `stop()`/`start()` let a test take the database away under a running engine.
 */
export class PostgresCluster {
  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly bin: string,
    private readonly asUser: string | null,
    private readonly fsync: boolean,
  ) {}

  /** postgres://callguard@127.0.0.1:port/callguard (the database and role are created by `start`). */
  get url(): string {
    return `postgres://callguard:callguard@127.0.0.1:${this.port}/callguard`;
  }

  /** `fsync: true` for benchmarks (a test cluster runs without it: its subject is the engine, not durability). */
  static async create(o: { fsync?: boolean } = {}): Promise<PostgresCluster> {
    const bin = postgresBinDir();
    if (!bin) throw new Error('PostgreSQL is not installed (apt-get install postgresql; .ci/run does it)');
    const root = process.getuid?.() === 0;
    const dir = mkdtempSync(join(tmpdir(), 'cg-pg-'));
    const asUser = root ? 'postgres' : null;
    if (root) {
      const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim());
      const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());
      chownSync(dir, uid, gid);
      chmodSync(dir, 0o700);
    }
    const cluster = new PostgresCluster(dir, await freeTcpPort(), bin, asUser, o.fsync ?? false);
    cluster.run('initdb', [
      '-D',
      join(dir, 'data'),
      '-A',
      'trust',
      '-U',
      'postgres',
      '--no-sync',
      '-E',
      'UTF8',
      '--locale=C',
    ]);
    await cluster.start();
    cluster.run('psql', [
      '-h',
      dir,
      '-p',
      String(cluster.port),
      '-U',
      'postgres',
      '-d',
      'postgres',
      '-v',
      'ON_ERROR_STOP=1',
      '-q',
      '-c',
      "CREATE ROLE callguard LOGIN PASSWORD 'callguard'",
      '-c',
      'CREATE DATABASE callguard OWNER callguard',
    ]);
    return cluster;
  }

  private run(tool: string, args: string[]): string {
    const exe = join(this.bin, tool);
    const r = this.asUser
      ? spawnSync('runuser', ['-u', this.asUser, '--', exe, ...args], { encoding: 'utf8', cwd: '/' })
      : spawnSync(exe, args, { encoding: 'utf8', cwd: '/' });
    if (r.status !== 0) throw new Error(`${tool} failed (${r.status}): ${r.stderr || r.stdout}`);
    return r.stdout;
  }

  /** Starts (or restarts after `stop`) the server and waits until it accepts connections. */
  async start(): Promise<void> {
    const opts =
      `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=${this.fsync ? 'on' : 'off'} -c ` +
      `max_connections=60`;
    this.run('pg_ctl', [
      '-D',
      join(this.dir, 'data'),
      '-l',
      join(this.dir, 'server.log'),
      '-o',
      opts,
      '-w',
      '-t',
      '60',
      'start',
    ]);
  }

  /** Stops the server: `fast` ends the sessions (a planned restart), `immediate` is a crash. */
  async stop(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    this.run('pg_ctl', ['-D', join(this.dir, 'data'), '-m', mode, '-w', '-t', '60', 'stop']);
  }

  /** Stops the server if it runs and deletes its files. */
  async destroy(): Promise<void> {
    try {
      await this.stop('immediate');
    } catch {
      // already stopped
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
