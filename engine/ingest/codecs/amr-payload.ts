/**
 * RFC 4867 AMR / AMR-WB RTP payload unpacking, single channel, without interleaving or CRC: the codec mode request
 * (CMR), the table of contents (F, FT, Q per frame) and the speech bits, in both the octet-aligned and the
 * bandwidth-efficient format. Each frame is rewritten in the storage format of RFC 4867 5.3 (one header octet
 * FT<<3|Q<<2, then the speech bits MSB first, zero-padded to an octet), which is what the decoder takes.
 * Never throws; nothing is allocated per payload (the frames land in the reader's own buffer).
 */

/** Speech bits per frame type: AMR FT 0-7 modes, 8 SID (TS 26.101 table 1a); 9-14 not used here; 15 NO_DATA. */
export const AMR_NB_FRAME_BITS: readonly number[] = [
  95, 103, 118, 134, 148, 159, 204, 244, 39, -1, -1, -1, -1, -1, -1, 0,
];
/** AMR-WB FT 0-8 modes, 9 SID (TS 26.201 table 1a); 10-13 not used; 14 SPEECH_LOST and 15 NO_DATA carry no bits. */
export const AMR_WB_FRAME_BITS: readonly number[] = [
  132, 177, 253, 285, 317, 365, 397, 461, 477, 40, -1, -1, -1, -1, 0, 0,
];

export const AMR_OK = 0;
/** No complete ToC (empty payload, or the ToC runs past the end). */
export const AMR_TRUNCATED_TOC = 1;
/** A frame type that is reserved for this codec. */
export const AMR_BAD_FRAME_TYPE = 2;
/** The ToC claims more speech bits than the payload holds. */
export const AMR_TRUNCATED_FRAMES = 3;
/** More frames than the reader takes (maxFrames). */
export const AMR_TOO_MANY_FRAMES = 4;

/** Storage-format frame slot: 1 header octet + the largest frame (477 bits = 60 octets), rounded up. */
export const AMR_STORAGE_SLOT = 64;

export class AmrPayloadReader {
  /** Codec mode request of the last payload (15: none). */
  cmr = 15;
  /** Frames in the last payload. */
  count = 0;
  /** Frame i in storage format at storage[i*AMR_STORAGE_SLOT], `sizes[i]` octets long. */
  readonly storage: Uint8Array;
  readonly sizes: Int32Array;
  readonly frameTypes: Int32Array;
  private readonly bits: readonly number[];

  constructor(
    readonly wideband: boolean,
    readonly octetAligned: boolean,
    readonly maxFrames = 16,
  ) {
    this.bits = wideband ? AMR_WB_FRAME_BITS : AMR_NB_FRAME_BITS;
    this.storage = new Uint8Array(maxFrames * AMR_STORAGE_SLOT);
    this.sizes = new Int32Array(maxFrames);
    this.frameTypes = new Int32Array(maxFrames);
  }

  /** Unpacks one RTP payload; AMR_OK or an error code (then `count` is 0). */
  unpack(buf: Uint8Array, offset: number, length: number): number {
    this.count = 0;
    const r = this.octetAligned
      ? this.unpackOctetAligned(buf, offset, length)
      : this.unpackBandwidthEfficient(buf, offset, length);
    if (r !== AMR_OK) this.count = 0;
    return r;
  }

  private unpackOctetAligned(buf: Uint8Array, offset: number, length: number): number {
    if (length < 2) return AMR_TRUNCATED_TOC;
    this.cmr = buf[offset] >> 4;
    // ToC: one octet per frame, F bit set on all but the last.
    let p = offset + 1;
    const end = offset + length;
    let n = 0;
    for (;;) {
      if (p >= end) return AMR_TRUNCATED_TOC;
      if (n >= this.maxFrames) return AMR_TOO_MANY_FRAMES;
      const toc = buf[p++];
      const ft = (toc >> 3) & 15;
      const bits = this.bits[ft];
      if (bits < 0) return AMR_BAD_FRAME_TYPE;
      this.frameTypes[n] = ft;
      this.storage[n * AMR_STORAGE_SLOT] = (ft << 3) | (toc & 4);
      n++;
      if ((toc & 0x80) === 0) break;
    }
    // Frames follow, each padded to whole octets.
    for (let i = 0; i < n; i++) {
      const octets = (this.bits[this.frameTypes[i]] + 7) >> 3;
      if (p + octets > end) return AMR_TRUNCATED_FRAMES;
      const base = i * AMR_STORAGE_SLOT + 1;
      for (let k = 0; k < octets; k++) this.storage[base + k] = buf[p + k];
      this.sizes[i] = octets + 1;
      p += octets;
    }
    this.count = n;
    return AMR_OK;
  }

  private unpackBandwidthEfficient(buf: Uint8Array, offset: number, length: number): number {
    const totalBits = length * 8;
    if (totalBits < 10) return AMR_TRUNCATED_TOC;
    this.cmr = readBits(buf, offset, 0, 4);
    // ToC: 6 bits per frame (F, FT, Q) straight after the 4 CMR bits.
    let bit = 4;
    let n = 0;
    for (;;) {
      if (bit + 6 > totalBits) return AMR_TRUNCATED_TOC;
      if (n >= this.maxFrames) return AMR_TOO_MANY_FRAMES;
      const toc = readBits(buf, offset, bit, 6);
      bit += 6;
      const ft = (toc >> 1) & 15;
      if (this.bits[ft] < 0) return AMR_BAD_FRAME_TYPE;
      this.frameTypes[n] = ft;
      this.storage[n * AMR_STORAGE_SLOT] = (ft << 3) | ((toc & 1) << 2);
      n++;
      if ((toc & 0x20) === 0) break;
    }
    // Speech bits of all frames back to back, then padding to the octet.
    for (let i = 0; i < n; i++) {
      const frameBits = this.bits[this.frameTypes[i]];
      if (bit + frameBits > totalBits) return AMR_TRUNCATED_FRAMES;
      const base = i * AMR_STORAGE_SLOT + 1;
      const octets = (frameBits + 7) >> 3;
      for (let k = 0; k < octets; k++) {
        const take = Math.min(8, frameBits - k * 8);
        this.storage[base + k] = readBits(buf, offset, bit + k * 8, take) << (8 - take);
      }
      this.sizes[i] = octets + 1;
      bit += frameBits;
    }
    this.count = n;
    return AMR_OK;
  }
}

/** `count` (1-8) bits starting `bit` bits into buf[offset..], MSB first. */
function readBits(buf: Uint8Array, offset: number, bit: number, count: number): number {
  const i = offset + (bit >> 3);
  const word = (buf[i] << 8) | (i + 1 < buf.length ? buf[i + 1] : 0);
  return (word >> (16 - (bit & 7) - count)) & ((1 << count) - 1);
}
