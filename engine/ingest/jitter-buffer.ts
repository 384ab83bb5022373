/**
 * A small reordering jitter buffer for one RTP stream. Contract:
 * - `push()` takes packets in arrival order; the output callbacks see payloads in sequence order.
 * - A missing packet is waited for until `depth` later packets have arrived, then declared lost. Late arrivals (older
 *   than what was already played or given up on) are dropped and counted, duplicates likewise.
 * - Sequence numbers are extended past 16 bits, so wrap-around at 65535 is seamless.
 * - Silence is inserted from RTP timestamps: the gap between where the previous payload ended and where the next one
 *   starts (lost packets, or a sender pausing with comfort noise). Gaps beyond `maxGapSamples` are treated as a
 *   sender restart (resync) rather than filled.
 * - Storage is preallocated (capacity x maxPayload bytes); nothing is allocated per packet. The packet the stream is
 *   waiting for is played straight from the caller's bytes; only packets that arrive early are copied into a slot.
 * Timestamps are in the codec's RTP clock units. A payload covers as many units as `onPayload` returns (its octets
 * when it returns nothing: G.711, one octet per 8 kHz sample), so the next one's gap can be measured.
 */
export interface JitterOutput {
  /** An in-order payload; the bytes are only valid during the call. Returns the RTP timestamp units it covered. */
  onPayload(buf: Uint8Array, offset: number, length: number): number | void;
  /** Silence to insert before the next payload, in RTP timestamp units. */
  onSilence(samples: number): void;
}

export interface JitterBufferOptions {
  /** Later packets to wait for before a gap is declared lost (3 = 60 ms at 20 ms ptime). */
  depth: number;
  /** Slots; a power of two greater than depth. Jumps beyond it resynchronise. */
  capacity: number;
  /** Largest payload accepted, bytes. */
  maxPayload: number;
  /** Largest timestamp gap filled with silence, in timestamp units (setMaxGap changes it with the codec). */
  maxGapSamples: number;
}

export const JB_OK = 0;
export const JB_LATE = 1;
export const JB_DUPLICATE = 2;
export const JB_TOO_BIG = 3;

/** Slot kinds: empty, audio to play, or a sequence number to consume without audio (CN, telephone-event). */
const EMPTY = 0;
const AUDIO = 1;
const SKIP = 2;

export class JitterBuffer {
  lost = 0;
  late = 0;
  duplicate = 0;
  resync = 0;

  private readonly mask: number;
  private readonly store: Uint8Array;
  private readonly kinds: Uint8Array;
  private readonly seqs: Float64Array;
  private readonly stamps: Uint32Array;
  private readonly lengths: Int32Array;
  private started = false;
  private nextSeq = 0;
  private highest = 0;
  private tsValid = false;
  private expectedTs = 0;
  private maxGap: number;

  constructor(
    private readonly opts: JitterBufferOptions,
    private readonly out: JitterOutput,
  ) {
    const cap = opts.capacity;
    if ((cap & (cap - 1)) !== 0 || cap <= opts.depth) throw new RangeError('capacity must be a power of two > depth');
    this.mask = cap - 1;
    this.maxGap = opts.maxGapSamples;
    this.store = new Uint8Array(cap * opts.maxPayload);
    this.kinds = new Uint8Array(cap);
    this.seqs = new Float64Array(cap);
    this.stamps = new Uint32Array(cap);
    this.lengths = new Int32Array(cap);
  }

  /** Audio payload. Returns JB_OK, JB_LATE, JB_DUPLICATE or JB_TOO_BIG. */
  push(seq: number, timestamp: number, src: Uint8Array, offset: number, length: number): number {
    if (length > this.opts.maxPayload) return JB_TOO_BIG;
    return this.insert(seq, timestamp, src, offset, length, AUDIO);
  }

  /** A packet that consumes a sequence number but carries no audio to play (comfort noise, DTMF events). */
  pushSkip(seq: number, timestamp: number): number {
    return this.insert(seq, timestamp, this.store, 0, 0, SKIP);
  }

  /** Plays out everything buffered (gaps count as lost). Used at call end and before a resync. */
  flush(): void {
    if (!this.started) return;
    while (this.nextSeq <= this.highest) this.playOrLose();
  }

  /** The largest gap filled with silence, in timestamp units (a codec change changes the RTP clock). */
  setMaxGap(units: number): void {
    this.maxGap = units;
  }

  /** Forgets the stream (new SSRC): flushes first so no buffered audio is lost. */
  reset(): void {
    this.flush();
    this.started = false;
    this.tsValid = false;
  }

  private insert(seq: number, ts: number, src: Uint8Array, offset: number, length: number, kind: number): number {
    if (!this.started) {
      this.started = true;
      // Start one cycle up so extended numbers of slightly-older packets stay positive.
      this.nextSeq = seq + 65536;
      this.highest = this.nextSeq - 1;
    }
    const delta = ((seq - (this.nextSeq & 0xffff) + 0x8000) & 0xffff) - 0x8000;
    const ext = this.nextSeq + delta;
    if (ext < this.nextSeq) {
      this.late++;
      return JB_LATE;
    }
    if (ext - this.nextSeq > this.mask) {
      // Too far ahead to hold: play out what we have, count the skipped numbers as lost (or resync on a huge jump).
      this.flush();
      const gap = ext - this.nextSeq;
      if (gap <= this.mask * 4) this.lost += gap;
      else this.resync++;
      this.nextSeq = ext;
      this.highest = ext - 1;
    }
    if (ext === this.nextSeq) {
      // The packet the stream waits for (nearly every packet on a clean line): play it from the caller's bytes rather
      // than copying it into a slot first. Its slot cannot hold it already: drain() plays nextSeq as soon as it is
      // stored.
      this.nextSeq++;
      if (ext > this.highest) this.highest = ext;
      this.playPayload(kind, ts, src, offset, length);
      this.drain();
      return JB_OK;
    }
    const idx = ext & this.mask;
    if (this.kinds[idx] !== EMPTY && this.seqs[idx] === ext) {
      this.duplicate++;
      return JB_DUPLICATE;
    }
    this.kinds[idx] = kind;
    this.seqs[idx] = ext;
    this.stamps[idx] = ts;
    this.lengths[idx] = length;
    // A plain loop rather than set(subarray()) so no view object is allocated per packet.
    const store = this.store;
    const base = idx * this.opts.maxPayload;
    for (let i = 0; i < length; i++) store[base + i] = src[offset + i];
    if (ext > this.highest) this.highest = ext;
    this.drain();
    return JB_OK;
  }

  private drain(): void {
    for (;;) {
      const idx = this.nextSeq & this.mask;
      if (this.kinds[idx] !== EMPTY && this.seqs[idx] === this.nextSeq) {
        this.play(idx);
      } else if (this.highest - this.nextSeq >= this.opts.depth) {
        this.lost++;
        this.nextSeq++;
      } else return;
    }
  }

  private playOrLose(): void {
    const idx = this.nextSeq & this.mask;
    if (this.kinds[idx] !== EMPTY && this.seqs[idx] === this.nextSeq) this.play(idx);
    else {
      this.lost++;
      this.nextSeq++;
    }
  }

  private play(idx: number): void {
    const kind = this.kinds[idx];
    this.kinds[idx] = EMPTY;
    this.nextSeq++;
    this.playPayload(kind, this.stamps[idx], this.store, idx * this.opts.maxPayload, this.lengths[idx]);
  }

  /** Plays one packet whose sequence number has just been consumed: silence for a timestamp gap, then its audio. */
  private playPayload(kind: number, ts: number, buf: Uint8Array, offset: number, len: number): void {
    const gap = this.tsValid ? (ts - this.expectedTs) | 0 : 0; // signed 32-bit difference handles timestamp wrap
    if (gap > 0 && gap <= this.maxGap) this.out.onSilence(gap);
    else if (gap !== 0 && kind === AUDIO) this.resync++;
    if (kind === AUDIO) {
      const covered = this.out.onPayload(buf, offset, len);
      this.expectedTs = (ts + (typeof covered === 'number' ? covered : len)) >>> 0;
      this.tsValid = true;
    } else if (!this.tsValid || gap > 0) {
      // Comfort noise and DTMF mark time without audio to play: the audio after them starts where their timestamps
      // say, so the time they stood for (at a stream's start, too) is filled with silence. (A DTMF event repeats its
      // start timestamp, hence only forward moves count.)
      this.expectedTs = ts;
      this.tsValid = true;
    }
  }
}
