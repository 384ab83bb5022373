import { performance } from 'node:perf_hooks';
import { findHeaderEnd } from './sip-parser.js';
import { SipStreamFramer } from './sip-stream-framer.js';

/**
 * TCP trickle: what one segment of a large SIP message costs the main thread, by how much of the message is already
 * buffered, for the engine's framer and, as the reference in the same run, the framer of the previous release
 * (concatenate, then search everything buffered again on every segment). Run: npm run bench:sip-framing
 */
class PreviousFramer {
  private buf: Buffer = Buffer.alloc(0);
  constructor(private readonly maxMessageBytes: number) {}
  push(chunk: Buffer): number {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    let messages = 0;
    for (;;) {
      const { index, sepLength } = findHeaderEnd(this.buf, 0, this.maxMessageBytes);
      if (index === -1) break;
      const head = this.buf.toString('latin1', 0, index);
      const m = /(?:^|\n)\s*(?:content-length|l)\s*:\s*([^\r\n]*)/i.exec(head);
      const total = index + sepLength + Number(m?.[1].trim() ?? 0);
      if (this.buf.length < total) break;
      messages++;
      this.buf = this.buf.subarray(total);
    }
    return messages;
  }
}

const SEGMENT = Number(process.env.SEGMENT ?? 64);
const ROUNDS = Number(process.env.ROUNDS ?? 20);

/** A 63 kB OPTIONS whose bulk is header lines (the worst case: all of it must be searched for the blank line). */
function message(): Buffer {
  const lines = [
    'OPTIONS sip:srs@127.0.0.1 SIP/2.0',
    'Via: SIP/2.0/TCP 10.0.0.1;branch=z9hG4bKx',
    'Call-ID: trickle',
    'CSeq: 1 OPTIONS',
  ];
  for (let i = 0; lines.join('\r\n').length < 63_000; i++) lines.push(`X-Pad-${i}: ${'p'.repeat(60)}`);
  lines.push('Content-Length: 0');
  return Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1');
}

type Bands = Map<string, { ns: number; n: number }>;
const band = (buffered: number) => (buffered < 16_384 ? '0–16 kB' : buffered < 32_768 ? '16–32 kB' : '32–63 kB');

function run(make: () => { push(b: Buffer): unknown }, msg: Buffer, into: Bands): void {
  const segments: Buffer[] = [];
  for (let i = 0; i < msg.length; i += SEGMENT) segments.push(Buffer.from(msg.subarray(i, i + SEGMENT)));
  const f = make();
  let buffered = 0;
  for (const s of segments) {
    const t0 = performance.now();
    f.push(s);
    const ns = (performance.now() - t0) * 1e6;
    const b = into.get(band(buffered)) ?? { ns: 0, n: 0 };
    b.ns += ns;
    b.n++;
    into.set(band(buffered), b);
    buffered += s.length;
  }
}

const msg = message();
const engine: Bands = new Map();
const previous: Bands = new Map();
for (let r = 0; r < ROUNDS; r++) {
  // Interleaved, so both see the same machine state; the first round warms the JIT and is not counted.
  const e: Bands = r === 0 ? new Map() : engine;
  const p: Bands = r === 0 ? new Map() : previous;
  run(() => new SipStreamFramer(65_535), msg, e);
  run(() => new PreviousFramer(65_535), msg, p);
}
console.log(
  `TCP trickle: a ${msg.length}-byte message in ${SEGMENT}-byte segments, ${ROUNDS - 1} ` +
    `rounds, ${new Date().toISOString()}\n`,
);
console.log('| already buffered | engine framer, µs per segment | previous framer (reference), µs per segment |');
console.log('|---|---|---|');
for (const k of ['0–16 kB', '16–32 kB', '32–63 kB']) {
  const e = engine.get(k)!;
  const p = previous.get(k)!;
  console.log(`| ${k} | ${(e.ns / e.n / 1000).toFixed(2)} | ${(p.ns / p.n / 1000).toFixed(2)} |`);
}
