import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { JitterBuffer, JB_DUPLICATE, JB_LATE } from './jitter-buffer.js';
import {
  RtpHeader,
  parseRtpPacket,
  writeRtpPacket,
  RTP_OK,
  RTP_BAD_VERSION,
  RTP_TOO_SHORT,
  RTP_BAD_CSRC,
  RTP_BAD_EXTENSION,
  RTP_BAD_PADDING,
  RTP_IS_RTCP,
} from './rtp-packet.js';
import {
  ALAW_TO_PCM as ALAW_TO_PCM16,
  ULAW_TO_PCM as ULAW_TO_PCM16,
  linearToAlaw,
  linearToUlaw,
} from '../../actors/dsp/g711.js';
import { createAllowList } from './address-allow-list.js';
import { PortPool } from './port-pool.js';

/** Collects jitter buffer output as a list of frame ids (first payload byte) and silence runs. */
function collector() {
  const out: Array<number | string> = [];
  return {
    out,
    sink: {
      onPayload: (buf: Uint8Array, off: number, len: number) => void out.push(buf[off] + 256 * (len === 160 ? 0 : len)),
      onSilence: (n: number) => void out.push(`s${n}`),
    },
  };
}
const OPTS = { depth: 3, capacity: 16, maxPayload: 960, maxGapSamples: 40000 };
function frame(id: number): Uint8Array {
  return new Uint8Array(160).fill(id & 0xff);
}

test('G.711 tables match the ITU reference points and round-trip', () => {
  assert.is(ULAW_TO_PCM16[0xff], 0);
  assert.is(ULAW_TO_PCM16[0x00], -32124);
  assert.is(ULAW_TO_PCM16[0x80], 32124);
  assert.is(ALAW_TO_PCM16[0xd5], 8);
  assert.is(ALAW_TO_PCM16[0x55], -8);
  assert.is(ALAW_TO_PCM16[0xaa], 32256);
  for (let code = 0; code < 256; code++) {
    assert.is(
      linearToUlaw(ULAW_TO_PCM16[code]) === code || (code === 0x7f && ULAW_TO_PCM16[code] === 0),
      true,
      `ulaw ${code}`,
    );
    assert.is(linearToAlaw(ALAW_TO_PCM16[code]), code, `alaw ${code}`);
  }
});

test('RTP header parsing: CSRC, extension, padding, RTCP, bad packets', () => {
  const h = new RtpHeader();
  const b = new Uint8Array(200);
  const len = writeRtpPacket(b, 0, 65535, 0xfffffff0, 0xdeadbeef, frame(7), true);
  assert.is(parseRtpPacket(b, len, h), RTP_OK);
  assert.equal(
    [h.marker, h.payloadType, h.sequence, h.timestamp, h.ssrc, h.payloadOffset, h.payloadLength],
    [true, 0, 65535, 0xfffffff0, 0xdeadbeef, 12, 160],
  );
  // 2 CSRCs + a 1-word extension + 4 bytes of padding.
  const p = new Uint8Array(12 + 8 + 8 + 10 + 4);
  p.set([0xb2, 8, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2]);
  p.set([0xbe, 0xde, 0, 1], 20);
  p[p.length - 1] = 4;
  assert.is(parseRtpPacket(p, p.length, h), RTP_OK);
  assert.equal([h.csrcCount, h.hasExtension, h.payloadOffset, h.payloadLength], [2, true, 28, 10]);
  assert.is(parseRtpPacket(p, 11, h), RTP_TOO_SHORT);
  assert.is(parseRtpPacket(Uint8Array.from([0x40, ...new Array(11).fill(0)]), 12, h), RTP_BAD_VERSION);
  assert.is(parseRtpPacket(Uint8Array.from([0x8f, ...new Array(15).fill(0)]), 16, h), RTP_BAD_CSRC);
  assert.is(
    parseRtpPacket(Uint8Array.from([0x90, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9]), 16, h),
    RTP_BAD_EXTENSION,
  );
  assert.is(parseRtpPacket(Uint8Array.from([0xa0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 50]), 14, h), RTP_BAD_PADDING);
  assert.is(parseRtpPacket(Uint8Array.from([0x80, 200, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0]), 12, h), RTP_IS_RTCP);
});

test('jitter buffer: in order, reordering within depth, loss declared with silence from timestamps', () => {
  const { out, sink } = collector();
  const jb = new JitterBuffer(OPTS, sink);
  const push = (k: number) => jb.push(100 + k, k * 160, frame(k), 0, 160);
  for (const k of [0, 1, 3, 2, 4, 6, 7, 8, 9]) push(k); // 2/3 swapped, 5 lost
  jb.flush();
  assert.equal(out, [0, 1, 2, 3, 4, 's160', 6, 7, 8, 9]);
  assert.is(jb.lost, 1);
  assert.is(jb.late, 0);
});

const jitterBufferOneReusedTitle =
  'jitter buffer: one reused receive buffer (as a socket hands out) gives the same stream; early packets are held ' +
  'as copies';
test(jitterBufferOneReusedTitle, () => {
  const out: number[] = [];
  const fromCaller: number[] = [];
  const rx = new Uint8Array(2000);
  const sink = {
    // Every byte of a payload, not just its first, must be the frame's id.
    onPayload: (buf: Uint8Array, off: number, len: number) => {
      out.push(len === 160 && buf.subarray(off, off + len).every((b) => b === buf[off]) ? buf[off] : -1);
      if (buf === rx) fromCaller.push(buf[off]);
    },
    onSilence: () => void out.push(-2),
  };
  const jb = new JitterBuffer(OPTS, sink);
  // Payloads at varying offsets of one buffer that is overwritten by every packet: in-order ones are played from it
  // at once, early ones must survive the next packets' bytes.
  const push = (k: number) => {
    const at = (k * 37) % 400;
    rx.fill(0xee);
    rx.set(frame(k), at);
    return jb.push(200 + k, k * 160, rx, at, 160);
  };
  for (const k of [0, 1, 2, 4, 5, 3, 6, 8, 7, 9]) push(k);
  jb.flush();
  assert.equal(out, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  // The awaited packets were played from the caller's buffer without a copy; the early ones (4, 5, 8) from slots.
  assert.equal(fromCaller, [0, 1, 2, 3, 6, 7, 9]);
  assert.equal([jb.lost, jb.late, jb.duplicate], [0, 0, 0]);
});

test('jitter buffer: late and duplicate packets are dropped and counted', () => {
  const { out, sink } = collector();
  const jb = new JitterBuffer(OPTS, sink);
  for (const k of [0, 1, 3, 4, 5]) jb.push(k, k * 160, frame(k), 0, 160); // 2 given up when 5 arrives
  assert.is(jb.push(2, 320, frame(2), 0, 160), JB_LATE);
  assert.is(jb.push(5, 800, frame(5), 0, 160), JB_LATE); // already played
  jb.push(7, 7 * 160, frame(7), 0, 160);
  assert.is(jb.push(7, 7 * 160, frame(7), 0, 160), JB_DUPLICATE);
  jb.flush();
  assert.equal(out, [0, 1, 's160', 3, 4, 5, 's160', 7]);
  assert.equal([jb.lost, jb.late, jb.duplicate], [2, 2, 1]);
});

test('jitter buffer: sequence and timestamp wrap-around are seamless', () => {
  const { out, sink } = collector();
  const jb = new JitterBuffer(OPTS, sink);
  const seqs = [65533, 65534, 0, 65535, 1, 2]; // 65535 reordered across the wrap
  const ts0 = 0xffffffff - 400;
  for (const s of seqs) {
    const k = (s - 65533 + 65536) % 65536;
    jb.push(s, (ts0 + k * 160) >>> 0, frame(k), 0, 160);
  }
  jb.flush();
  assert.equal(out, [0, 1, 2, 3, 4, 5]);
  assert.equal([jb.lost, jb.late, jb.resync], [0, 0, 0]);
});

test('jitter buffer: skip entries (CN/DTMF) keep sequence continuity; timestamp gap becomes silence', () => {
  const { out, sink } = collector();
  const jb = new JitterBuffer(OPTS, sink);
  jb.push(1, 0, frame(1), 0, 160);
  jb.pushSkip(2, 160); // comfort noise: sender then pauses 1 s
  jb.push(3, 8160, frame(3), 0, 160);
  jb.flush();
  assert.equal(out, [1, 's8000', 3]);
  assert.is(jb.lost, 0);
});

const jitterBufferAStreamTitle =
  'jitter buffer: a stream that opens with comfort noise starts its audio where the timestamps say, after silence';
test(jitterBufferAStreamTitle, () => {
  const { out, sink } = collector();
  const jb = new JitterBuffer(OPTS, sink);
  jb.pushSkip(1, 0);
  jb.pushSkip(2, 4000);
  jb.push(3, 8000, frame(3), 0, 160);
  jb.push(4, 8160, frame(4), 0, 160);
  jb.flush();
  assert.equal(out, ['s4000', 's4000', 3, 4]);
  assert.equal([jb.lost, jb.resync], [0, 0]);
});

test('jitter buffer: a DTMF event (repeated start timestamp) becomes silence for its duration', () => {
  const { out, sink } = collector();
  const jb = new JitterBuffer(OPTS, sink);
  jb.push(1, 0, frame(1), 0, 160);
  for (const seq of [2, 3, 4]) jb.pushSkip(seq, 160);
  jb.push(5, 960, frame(5), 0, 160);
  jb.flush();
  assert.equal(out, [1, 's800', 5]);
  assert.equal([jb.lost, jb.resync], [0, 0]);
});

test('jitter buffer: a big forward jump resyncs instead of inserting minutes of silence', () => {
  const { out, sink } = collector();
  const jb = new JitterBuffer(OPTS, sink);
  jb.push(10, 1600, frame(1), 0, 160);
  jb.push(30000, 99999999, frame(2), 0, 160);
  jb.push(30001, 99999999 + 160, frame(3), 0, 160);
  jb.flush();
  assert.equal(out, [1, 2, 3]);
  assert.ok(jb.resync >= 1);
});

test('allow-list: IPv4/IPv6 addresses and CIDRs, IPv4-mapped, bad entries', () => {
  const r = createAllowList(['10.0.0.0/8', '192.0.2.7', '2001:db8::/32', '::1']);
  assert.ok(r.ok);
  if (!r.ok) return;
  for (const a of ['10.1.2.3', '::ffff:10.9.9.9', '192.0.2.7', '2001:db8:1::5', '::1']) assert.ok(r.list.allows(a), a);
  for (const a of ['11.0.0.1', '192.0.2.8', '2001:db9::1', 'garbage', '']) assert.not.ok(r.list.allows(a), a);
  assert.not.ok(createAllowList(['10.0.0.0/33']).ok);
  assert.not.ok(createAllowList(['example.com']).ok);
});

test('port pool: even ports, skips ports in use, reports exhaustion', async () => {
  const base = 38000 + (process.pid % 100) * 10;
  const pool = new PortPool(base + 1, base + 5); // even ports base+2, base+4
  const a = await pool.bind('127.0.0.1');
  const b = await pool.bind('127.0.0.1');
  const c = await pool.bind('127.0.0.1');
  try {
    assert.ok(a.ok && b.ok);
    if (!a.ok || !b.ok) return;
    assert.equal([a.port % 2, b.port % 2], [0, 0]);
    assert.ok(!c.ok && c.code === 'PORTS_EXHAUSTED');
    assert.is(pool.used, 2);
  } finally {
    for (const x of [a, b])
      if (x.ok) {
        x.socket.close();
        pool.release(x.port);
      }
  }
  assert.is(pool.used, 0);
});

test.run();
