import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  AMR_BAD_FRAME_TYPE,
  AMR_NB_FRAME_BITS,
  AMR_OK,
  AMR_STORAGE_SLOT,
  AMR_TOO_MANY_FRAMES,
  AMR_TRUNCATED_FRAMES,
  AMR_TRUNCATED_TOC,
  AMR_WB_FRAME_BITS,
  AmrPayloadReader,
} from './amr-payload.js';

/** Writes bits MSB first, as RFC 4867's figures draw them. */
class BitWriter {
  readonly bytes: number[] = [];
  private bit = 0;
  put(value: number, count: number): this {
    for (let i = count - 1; i >= 0; i--) {
      if ((this.bit & 7) === 0) this.bytes.push(0);
      if ((value >> i) & 1) this.bytes[this.bytes.length - 1] |= 0x80 >> (this.bit & 7);
      this.bit++;
    }
    return this;
  }
  padToOctet(): this {
    while (this.bit & 7) this.put(0, 1);
    return this;
  }
  get u8(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

/** Speech bits d(0)..d(n-1) with a recognisable pattern (d(k) = 1 when k % 3 === 0). */
const speechBit = (k: number) => (k % 3 === 0 ? 1 : 0);

function assertStorage(r: AmrPayloadReader, i: number, ft: number, q: number, bits: number): void {
  const at = i * AMR_STORAGE_SLOT;
  assert.is(r.storage[at], (ft << 3) | (q << 2), `frame ${i} header`);
  assert.is(r.sizes[i], 1 + ((bits + 7) >> 3), `frame ${i} size`);
  for (let k = 0; k < bits; k++) {
    const got = (r.storage[at + 1 + (k >> 3)] >> (7 - (k & 7))) & 1;
    if (got !== speechBit(k)) assert.unreachable(`frame ${i} bit d(${k})`);
  }
}

const rfcBandwidthEfficientOneTitle =
  'RFC 4867 4.3.5.1: bandwidth-efficient, one AMR 7.4 kbit/s frame (CMR=15, FT=4, Q=1, 148 bits, 2 padding bits)';
test(rfcBandwidthEfficientOneTitle, () => {
  const w = new BitWriter().put(15, 4).put(0, 1).put(4, 4).put(1, 1);
  for (let k = 0; k < 148; k++) w.put(speechBit(k), 1);
  const payload = w.padToOctet().u8;
  assert.is(payload.length, 20); // 4 + 6 + 148 + 2 bits
  const r = new AmrPayloadReader(false, false);
  assert.is(r.unpack(payload, 0, payload.length), AMR_OK);
  assert.is(r.cmr, 15);
  assert.is(r.count, 1);
  assertStorage(r, 0, 4, 1, 148);
});

test('RFC 4867 4.4.5.1: octet-aligned, the same frame (CMR octet, ToC octet, 19 speech octets)', () => {
  const w = new BitWriter().put(15, 4).put(0, 4).put(0, 1).put(4, 4).put(1, 1).put(0, 2);
  for (let k = 0; k < 148; k++) w.put(speechBit(k), 1);
  const payload = w.padToOctet().u8;
  assert.is(payload.length, 21);
  const r = new AmrPayloadReader(false, true);
  assert.is(r.unpack(payload, 0, payload.length), AMR_OK);
  assert.is(r.count, 1);
  assertStorage(r, 0, 4, 1, 148);
});

test('several frames, a NO_DATA and a damaged (Q=0) one, AMR-WB, both formats, at an offset in a larger buffer', () => {
  // RFC 4867 4.3.2: frames in order, the F bit set on every ToC entry but the last; NO_DATA (FT=15) carries no bits.
  const frames = [
    { ft: 2, q: 1 },
    { ft: 15, q: 1 },
    { ft: 8, q: 0 },
    { ft: 9, q: 1 }, // SID
  ];
  for (const octetAligned of [false, true]) {
    const w = new BitWriter();
    if (octetAligned) w.put(3, 4).put(0, 4);
    else w.put(3, 4);
    frames.forEach((f, i) => {
      w.put(i < frames.length - 1 ? 1 : 0, 1)
        .put(f.ft, 4)
        .put(f.q, 1);
      if (octetAligned) w.put(0, 2);
    });
    for (const f of frames) {
      for (let k = 0; k < AMR_WB_FRAME_BITS[f.ft]; k++) w.put(speechBit(k), 1);
      if (octetAligned) w.padToOctet();
    }
    const body = w.padToOctet().u8;
    const packet = new Uint8Array(body.length + 15);
    packet.set(body, 12); // after an RTP header, with bytes after the payload too
    packet.fill(0xff, 12 + body.length);
    const r = new AmrPayloadReader(true, octetAligned);
    assert.is(r.unpack(packet, 12, body.length), AMR_OK, octetAligned ? 'octet-aligned' : 'bandwidth-efficient');
    assert.is(r.cmr, 3);
    assert.is(r.count, 4);
    frames.forEach((f, i) => assertStorage(r, i, f.ft, f.q, AMR_WB_FRAME_BITS[f.ft]));
  }
});

test('bad payloads are rejected with a reason, never thrown on', () => {
  const nb = new AmrPayloadReader(false, true);
  assert.is(nb.unpack(new Uint8Array(0), 0, 0), AMR_TRUNCATED_TOC, 'empty');
  assert.is(nb.unpack(Uint8Array.of(0xf0), 0, 1), AMR_TRUNCATED_TOC, 'CMR only');
  // The ToC's F bit says another entry follows, and the payload ends.
  assert.is(nb.unpack(Uint8Array.of(0xf0, 0x80 | (7 << 3) | 4), 0, 2), AMR_TRUNCATED_TOC, 'ToC runs off the end');
  // A ToC that claims two 12.2 kbit/s frames with only one frame's octets present.
  const two = new Uint8Array(2 + 2 + 31);
  two.set([0xf0, 0x80 | (7 << 3) | 4, (7 << 3) | 4]);
  assert.is(nb.unpack(two, 0, two.length), AMR_TRUNCATED_FRAMES, 'ToC claims more frames than present');
  assert.is(nb.count, 0, 'a rejected payload leaves no frames');
  // Reserved frame types: AMR 9-14, AMR-WB 10-13.
  assert.is(nb.unpack(Uint8Array.of(0xf0, 12 << 3, 0, 0, 0, 0, 0, 0), 0, 8), AMR_BAD_FRAME_TYPE);
  const wb = new AmrPayloadReader(true, false);
  assert.is(
    wb.unpack(new BitWriter().put(15, 4).put(0, 1).put(11, 4).put(1, 1).put(0, 30).u8, 0, 5),
    AMR_BAD_FRAME_TYPE,
  );
  // Bandwidth-efficient frame bits cut short.
  const cut = new BitWriter().put(15, 4).put(0, 1).put(8, 4).put(1, 1).put(0, 100).padToOctet().u8;
  assert.is(wb.unpack(cut, 0, cut.length), AMR_TRUNCATED_FRAMES);
  // A ToC of 17 NO_DATA entries: more frames than a packet may carry.
  const many = new BitWriter().put(15, 4);
  for (let i = 0; i < 17; i++)
    many
      .put(i < 16 ? 1 : 0, 1)
      .put(15, 4)
      .put(1, 1);
  const m = many.padToOctet().u8;
  assert.is(wb.unpack(m, 0, m.length), AMR_TOO_MANY_FRAMES);
  // Random octets: every outcome is a code, never an exception or a read outside the payload's frames.
  let seed = 11;
  const junk = new Uint8Array(200);
  for (let t = 0; t < 2000; t++) {
    const len = t % 64;
    for (let i = 0; i < len; i++) junk[i] = (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
    for (const r of [nb, wb, new AmrPayloadReader(false, false), new AmrPayloadReader(true, true)]) {
      const code = r.unpack(junk, 0, len);
      assert.ok(code >= 0 && code <= 4);
      if (code === AMR_OK) assert.ok(r.count >= 1);
    }
  }
});

test('frame sizes are the TS 26.101 / 26.201 ones (storage sizes 13..32 and 18..61 octets)', () => {
  assert.equal(
    AMR_NB_FRAME_BITS.slice(0, 8).map((b) => 1 + Math.ceil(b / 8)),
    [13, 14, 16, 18, 20, 21, 27, 32],
  );
  assert.equal(
    AMR_WB_FRAME_BITS.slice(0, 9).map((b) => 1 + Math.ceil(b / 8)),
    [18, 24, 33, 37, 41, 47, 51, 59, 61],
  );
});

test.run();
