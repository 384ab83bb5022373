import { spawn, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emodbDir, repoRoot } from './repo-paths.js';

/** Version banner of the installed sipp, or null (tests then fail with an install hint, they do not skip). */
export function sippVersion(): string | null {
  const probe = spawnSync('sipp', ['-v'], { encoding: 'utf8' });
  const text = `${probe.stdout ?? ''}${probe.stderr ?? ''}`;
  return probe.error || !/SIPp v/.test(text) ? null : text;
}

/** The raw µ-law data chunk of an Emo-DB clip: sipp 3.6's rtp_stream sends a file's bytes as they are. */
export function emodbRawUlaw(name: string): Buffer {
  const wav = readFileSync(join(emodbDir, name));
  let off = 12;
  while (off + 8 <= wav.length) {
    const id = wav.toString('latin1', off, off + 4);
    const size = wav.readUInt32LE(off + 4);
    if (id === 'data') return wav.subarray(off + 8, Math.min(wav.length, off + 8 + size));
    off += 8 + size + (size & 1);
  }
  throw new Error(`${name}: no data chunk`);
}

export async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/**
 * Play one SIPREC call with sipp as the SBC (engine/ingest/sipp/siprec-uac.xml: multipart INVITE with SDP and
 * rs-metadata, `clip` streamed as PCMU on the first m-line with rtp_stream, then BYE). Resolves with sipp's exit code.
 */
export async function runSippSiprecCall(
  sipPort: number,
  clip: Buffer,
  opts: { holdMs?: number } = {},
): Promise<{ code: number | null; output: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'callguard-sipp-'));
  writeFileSync(join(dir, 'siprec-clip.ulaw'), clip);
  // holdMs: how long the call stays up after the media starts (the scenario's 2.6 s suits a 2 s clip).
  const scenario = readFileSync(join(repoRoot, 'engine/ingest/sipp/siprec-uac.xml'), 'utf8');
  writeFileSync(
    join(dir, 'siprec-uac.xml'),
    opts.holdMs
      ? scenario.replace('<pause milliseconds="2600"/>', `<pause milliseconds="${Math.round(opts.holdMs)}"/>`)
      : scenario,
  );
  const mediaPort = await freeUdpPort();
  const args = [
    '-sf',
    'siprec-uac.xml',
    '-m',
    '1',
    '-i',
    '127.0.0.1',
    '-mi',
    '127.0.0.1',
    '-mp',
    String(mediaPort),
    '-nostdin',
    '-timeout',
    String(20 + Math.ceil((opts.holdMs ?? 0) / 1000)),
    `127.0.0.1:${sipPort}`,
  ];
  const child = spawn('sipp', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  try {
    const code = await new Promise<number | null>((resolveExit) => {
      const guard = setTimeout(() => child.kill('SIGKILL'), 30000 + (opts.holdMs ?? 0)); // against hangs only
      child.on('exit', (c) => {
        clearTimeout(guard);
        resolveExit(c);
      });
    });
    return { code, output };
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}
