import { closeSync, openSync, writeSync } from 'node:fs';

const HEADER_BYTES = 44;
/** Samples buffered before a write: 1 s at 8 kHz, so a captured leg costs ~1 write per second, not 50. */
const BUFFER_SAMPLES = 8000;

/**
 * A PCM16 mono WAV file written as audio arrives. The header is written first with zero sizes and patched on close,
 * so a file cut short by a crash still opens (as empty) in most tools; `close()` makes it exact. Synchronous writes,
 * buffered: it runs only for calls with a debug capture switched on, off the path of every other call.
 */
export class WavWriter {
  private fd: number | null;
  private readonly buf = new Int16Array(BUFFER_SAMPLES);
  private fill = 0;
  /** Bytes of audio data written (header excluded). */
  dataBytes = 0;

  constructor(
    readonly path: string,
    readonly sampleRate = 8000,
  ) {
    this.fd = openSync(path, 'wx', 0o600);
    writeSync(this.fd, header(sampleRate, 0));
  }

  /** Appends `length` samples of `pcm` from `offset` (copied: the caller may reuse its buffer). */
  write(pcm: Int16Array, offset = 0, length = pcm.length - offset): void {
    if (this.fd === null) return;
    let i = offset;
    const end = offset + length;
    while (i < end) {
      const n = Math.min(end - i, BUFFER_SAMPLES - this.fill);
      this.buf.set(pcm.subarray(i, i + n), this.fill);
      this.fill += n;
      i += n;
      if (this.fill === BUFFER_SAMPLES) this.flush();
    }
  }

  /** Bytes on disk once flushed (header plus audio). */
  get bytes(): number {
    return HEADER_BYTES + this.dataBytes + this.fill * 2;
  }

  private flush(): void {
    if (this.fd === null || this.fill === 0) return;
    const b = Buffer.from(this.buf.buffer, this.buf.byteOffset, this.fill * 2);
    writeSync(this.fd, b, 0, b.length, HEADER_BYTES + this.dataBytes);
    this.dataBytes += b.length;
    this.fill = 0;
  }

  /** Flushes, writes the final sizes into the header and closes the file. */
  close(): void {
    if (this.fd === null) return;
    this.flush();
    writeSync(this.fd, header(this.sampleRate, this.dataBytes), 0, HEADER_BYTES, 0);
    closeSync(this.fd);
    this.fd = null;
  }
}

function header(rate: number, dataBytes: number): Buffer {
  const h = Buffer.alloc(HEADER_BYTES);
  h.write('RIFF', 0, 'latin1');
  h.writeUInt32LE(36 + dataBytes, 4);
  h.write('WAVE', 8, 'latin1');
  h.write('fmt ', 12, 'latin1');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20); // PCM
  h.writeUInt16LE(1, 22); // mono
  h.writeUInt32LE(rate, 24);
  h.writeUInt32LE(rate * 2, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'latin1');
  h.writeUInt32LE(dataBytes, 40);
  return h;
}
