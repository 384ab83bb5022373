import { mkdirSync, readdirSync, statSync, unlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Logger } from '../logger.js';
import { WavWriter } from '../media/wav-writer.js';

/** PCM16 at 8 kHz. */
const BYTES_PER_SECOND = 16_000;

export interface DebugCaptureLimits {
  /** Captures older than this (by last write) are deleted. */
  maxAgeMs: number;
  /** Total bytes of captures kept; the oldest finished ones go first beyond it, and a running capture stops at it. */
  maxBytes: number;
}

export interface CaptureFile {
  name: string;
  bytes: number;
  modifiedAt: string;
  /** Still being written (its call is running). */
  live: boolean;
}

/** The legs of one call as the capture names them (no phone numbers in file names: only the call id and role). */
export interface CaptureLeg {
  role: string;
}

/**
 * Debug audio capture, the only way call audio ever reaches the disk: off unless switched on for a call (admin API)
 * or for a subscriber number (`capture.numbers`). Each leg of a captured call becomes a PCM16 WAV under
 * `<data.dir>/captures/` (mode 0600), kept within an age and a total-size limit that `purge()` enforces.
 */
export class DebugCapture {
  readonly dir: string;
  private readonly numbers: ReadonlySet<string>;
  private readonly live = new Set<CallCapture>();
  /** Bytes of finished captures on disk, as of the last purge or finished capture. */
  private finishedBytes = 0;
  /** Captures cut short because the size limit was reached. */
  stoppedAtLimit = 0;
  started = 0;

  constructor(
    dataDir: string,
    numbers: readonly string[],
    readonly limits: DebugCaptureLimits,
    private readonly log: Logger,
  ) {
    this.dir = join(resolve(dataDir), 'captures');
    this.numbers = new Set(numbers);
    this.finishedBytes = this.files().reduce((s, f) => s + f.bytes, 0);
  }

  /** True when any of the call's numbers is configured for capture from the start. */
  wantsCall(numbers: ReadonlyArray<string | null>): boolean {
    return this.numbers.size > 0 && numbers.some((n) => n !== null && this.numbers.has(n));
  }

  /** Opens one WAV per leg for `callId`. Throws when the size limit leaves no room. */
  open(callId: string, legs: readonly CaptureLeg[], now = Date.now()): CallCapture {
    // Less room than a second per leg would give a file of no use: refuse it up front.
    if (this.totalBytes() + legs.length * BYTES_PER_SECOND > this.limits.maxBytes)
      throw new Error(
        `no room for a debug capture: captures use ${this.totalBytes()} bytes of ` +
          `retention.captureMaxBytes ${this.limits.maxBytes}`,
      );
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const stamp = new Date(now).toISOString().replace(/[:.]/g, '-');
    const safe = callId.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 80);
    const writers = legs.map(
      (l, i) => new WavWriter(join(this.dir, `${stamp}_${safe}_leg${i}-${l.role.replace(/[^a-z]/gi, '')}.wav`)),
    );
    const c = new CallCapture(callId, writers, this);
    this.live.add(c);
    this.started++;
    this.log.warn(
      { callId, files: writers.map((w) => w.path) },
      'debug audio capture started: this call is being written to disk',
    );
    return c;
  }

  /** Bytes on disk: finished captures plus the ones being written. */
  totalBytes(): number {
    let n = this.finishedBytes;
    for (const c of this.live) n += c.bytes;
    return n;
  }

  /** @internal a capture closed: its bytes count as finished. */
  finished(c: CallCapture, reason: string): void {
    if (!this.live.delete(c)) return;
    this.finishedBytes += c.bytes;
    this.log.info({ callId: c.callId, bytes: c.bytes, reason }, 'debug audio capture finished');
  }

  /** @internal called before each write: false (and the capture stops) once the size limit is reached. */
  room(c: CallCapture, bytes: number): boolean {
    if (this.totalBytes() + bytes <= this.limits.maxBytes) return true;
    this.stoppedAtLimit++;
    this.log.warn(
      { callId: c.callId, maxBytes: this.limits.maxBytes },
      'debug audio capture stopped: retention.captureMaxBytes reached',
    );
    return false;
  }

  /** Every capture file, oldest first. */
  files(): CaptureFile[] {
    let names: string[];
    try {
      names = readdirSync(this.dir).filter((n) => n.endsWith('.wav'));
    } catch {
      return [];
    }
    const livePaths = new Set([...this.live].flatMap((c) => c.paths));
    const out: Array<CaptureFile & { mtime: number }> = [];
    for (const name of names) {
      try {
        const st = statSync(join(this.dir, name));
        out.push({
          name,
          bytes: st.size,
          modifiedAt: st.mtime.toISOString(),
          live: livePaths.has(join(this.dir, name)),
          mtime: st.mtimeMs,
        });
      } catch {
        // Deleted between readdir and stat: nothing to report.
      }
    }
    return out.sort((a, b) => a.mtime - b.mtime || a.name.localeCompare(b.name)).map(({ mtime: _m, ...f }) => f);
  }

  /** Retention: deletes finished captures older than the age limit, then the oldest while over the size limit. */
  purge(now = Date.now()): number {
    const finished = this.files().filter((f) => !f.live);
    let bytes = finished.reduce((s, f) => s + f.bytes, 0);
    let liveBytes = 0;
    for (const c of this.live) liveBytes += c.bytes;
    let removed = 0;
    for (const f of finished) {
      const old = Date.parse(f.modifiedAt) < now - this.limits.maxAgeMs;
      if (!old && bytes + liveBytes <= this.limits.maxBytes) continue;
      try {
        unlinkSync(join(this.dir, f.name));
        bytes -= f.bytes;
        removed++;
      } catch (err) {
        this.log.error({ file: f.name, err: (err as Error).message }, 'could not delete a debug capture');
      }
    }
    this.finishedBytes = bytes;
    return removed;
  }

  /** Closes every running capture (engine stop). */
  closeAll(): void {
    for (const c of [...this.live]) c.close('shutdown');
  }
}

/** The running capture of one call: one WAV per leg. */
export class CallCapture {
  private closed = false;

  constructor(
    readonly callId: string,
    private readonly writers: WavWriter[],
    private readonly owner: DebugCapture,
  ) {}

  get paths(): string[] {
    return this.writers.map((w) => w.path);
  }

  get bytes(): number {
    return this.writers.reduce((s, w) => s + w.bytes, 0);
  }

  write(leg: number, pcm: Int16Array, offset: number, length: number): void {
    if (this.closed) return;
    if (!this.owner.room(this, length * 2)) return this.close('size limit');
    this.writers[leg]?.write(pcm, offset, length);
  }

  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.writers) w.close();
    this.owner.finished(this, reason);
  }
}
