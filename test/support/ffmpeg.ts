import { execFileSync, spawn, type ChildProcess } from 'node:child_process';

/** Whether ffmpeg is installed with the encoders the codec tests use (AMR needs Debian's libavcodec-extra). */
export function ffmpegEncoders(): Set<string> {
  try {
    const out = execFileSync('ffmpeg', ['-hide_banner', '-encoders'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const names = new Set<string>();
    for (const line of out.split('\n')) {
      const m = /^\s+A\S*\s+(\S+)/.exec(line);
      if (m) names.add(m[1]);
    }
    return names;
  } catch {
    return new Set();
  }
}

/** Runs ffmpeg to completion with `args` (after -hide_banner -v error -y) and returns its stdout. */
export function ffmpeg(args: string[], input?: Uint8Array): Buffer {
  return execFileSync('ffmpeg', ['-hide_banner', '-nostdin', '-v', 'error', '-y', ...args], {
    input,
    maxBuffer: 256 * 1024 * 1024,
    stdio: [input ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
}

/** Raw little-endian PCM16 bytes as an Int16Array (copied, so alignment never matters). */
export function pcm16(bytes: Uint8Array): Int16Array {
  const out = new Int16Array(bytes.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = ((bytes[2 * i] | (bytes[2 * i + 1] << 8)) << 16) >> 16;
  return out;
}

/** Starts ffmpeg in the background (an RTP sender); resolves with its exit code. */
export function ffmpegProcess(args: string[]): { child: ChildProcess; done: Promise<number> } {
  const child = spawn('ffmpeg', ['-hide_banner', '-nostdin', '-v', 'error', '-y', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr?.on('data', (d) => (err += String(d)));
  const done = new Promise<number>((resolve) =>
    child.on('exit', (code) => {
      if (code !== 0) process.stderr.write(`ffmpeg exited ${code}: ${err.slice(0, 2000)}\n`);
      resolve(code ?? -1);
    }),
  );
  return { child, done };
}
