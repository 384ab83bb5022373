import { RingBuffer } from 'ringbuf.js';

/**
 * One leg's audio path into a call, in shared memory so whichever thread receives the leg's RTP (the main thread or an
 * RTP I/O thread) writes straight into the call's ring with no message per packet.
 *
 * Contract (single producer, single consumer, like the ring itself):
 * - The producer (`LegFeedWriter`, one thread at a time) pushes PCM16 into the ring, copies it to the taps installed
 *   (speech recognition, debug capture: rings of their own), and publishes in the feed block the samples pushed,
 *   the samples dropped on a full ring (overrun) and an arrival record: (samples pushed so far, wall time) per write.
 * - The consumer (`LegFeedReader`, the supervisor's thread) reads those figures and looks up when the write carrying
 *   a given sample arrived (audio-to-verdict latency). Entries the producer overwrote before the consumer got to them
 *   answer "unknown", never a wrong time.
 * - `discard` set by the consumer makes the producer drop audio (a call answered but not analysed, or one ended).
 * Times are absolute milliseconds (performance.timeOrigin + now()), since each thread's performance.now() has its own
 * origin. Sample counts are Float64 written by one thread; an aligned 8-byte store is not torn on the platforms Node
 * runs on, and a reader that sees the previous value is at most one write behind.
 */
export interface LegFeedDescriptor {
  /** The call's ring for this leg (ringbuf.js, Int16 elements). */
  ring: SharedArrayBuffer;
  /** The feed block (see layout below), made by createLegFeed. */
  feed: SharedArrayBuffer;
}

/** Named tap slots: who gets a copy of the leg's audio as it is written. */
export const TAP_SLOTS = ['speech', 'capture'] as const;
export type TapSlot = (typeof TAP_SLOTS)[number];

// Int32 header (Atomics): arrival entries written, discard flag.
const I_ARRIVALS = 0;
const I_DISCARD = 1;
const HEADER_BYTES = 16;
// Float64 figures after the header.
const F_PUSHED = 0;
const F_OVERRUN = 1;
/** Then per tap slot: samples its ring had no room for. */
const F_TAP_DROPPED = 2;
const FIGURES = 2 + TAP_SLOTS.length;

/** A feed block with room for `arrivalEntries` arrival records. */
export function createLegFeed(arrivalEntries: number): SharedArrayBuffer {
  if (!Number.isInteger(arrivalEntries) || arrivalEntries < 2)
    throw new RangeError(`arrivalEntries must be an integer >= 2, got ${arrivalEntries}`);
  return new SharedArrayBuffer(HEADER_BYTES + 8 * (FIGURES + 2 * arrivalEntries));
}

class FeedViews {
  readonly header: Int32Array;
  readonly figures: Float64Array;
  readonly positions: Float64Array;
  readonly times: Float64Array;
  readonly capacity: number;

  constructor(feed: SharedArrayBuffer) {
    this.header = new Int32Array(feed, 0, 4);
    this.capacity = (feed.byteLength - HEADER_BYTES - 8 * FIGURES) / 16;
    this.figures = new Float64Array(feed, HEADER_BYTES, FIGURES);
    this.positions = new Float64Array(feed, HEADER_BYTES + 8 * FIGURES, this.capacity);
    this.times = new Float64Array(feed, HEADER_BYTES + 8 * (FIGURES + this.capacity), this.capacity);
  }
}

/** This thread's time origin, read once: the getter is not free, and arrivals are stamped per packet. */
const ORIGIN = performance.timeOrigin;

/** Absolute wall time in ms, comparable across threads. */
export function absoluteNow(): number {
  return ORIGIN + performance.now();
}

/** Producer side: what ingest writes a leg's decoded audio into (it is a LegSink). Allocation-free per write. */
export class LegFeedWriter {
  private readonly v: FeedViews;
  private readonly ring: RingBuffer;
  private readonly taps: Array<RingBuffer | null> = TAP_SLOTS.map(() => null);
  private pushed: number;
  private overrun: number;
  private entries: number;

  constructor(readonly descriptor: LegFeedDescriptor) {
    this.v = new FeedViews(descriptor.feed);
    this.ring = new RingBuffer(descriptor.ring, Int16Array);
    // A producer taking over a leg (an I/O thread restarted) goes on from the published figures.
    this.pushed = this.v.figures[F_PUSHED];
    this.overrun = this.v.figures[F_OVERRUN];
    this.entries = Atomics.load(this.v.header, I_ARRIVALS);
  }

  /** Installs (a ring SharedArrayBuffer) or removes (null) a tap. */
  setTap(slot: TapSlot, ring: SharedArrayBuffer | null): void {
    this.taps[TAP_SLOTS.indexOf(slot)] = ring ? new RingBuffer(ring, Int16Array) : null;
  }

  /**
   * Pushes what fits into the call's ring and copies it to the taps; returns the samples the ring took. What did not
   * fit is dropped and counted as overrun, unless `retry` (the caller waits and writes the rest again; the taps then
   * get only what the ring took, so they see each sample once).
   */
  write(pcm: Int16Array, offset: number, length: number, retry = false): number {
    const v = this.v;
    if (Atomics.load(v.header, I_DISCARD) !== 0) return 0;
    const n = this.ring.push(pcm, length, offset);
    const copied = retry ? n : length;
    for (let i = 0; i < this.taps.length; i++) {
      const tap = this.taps[i];
      if (!tap || copied === 0) continue;
      const t = tap.push(pcm, copied, offset);
      if (t < copied) v.figures[F_TAP_DROPPED + i] += copied - t;
    }
    if (n < length && !retry) {
      this.overrun += length - n;
      v.figures[F_OVERRUN] = this.overrun;
    }
    if (n > 0) {
      this.pushed += n;
      v.figures[F_PUSHED] = this.pushed;
      const at = this.entries % v.capacity;
      v.positions[at] = this.pushed;
      v.times[at] = absoluteNow();
      Atomics.store(v.header, I_ARRIVALS, ++this.entries);
    }
    return n;
  }
}

/** Consumer side, on the supervisor's thread. */
export class LegFeedReader {
  private readonly v: FeedViews;
  /** Next arrival entry to look at, and the highest position known to be covered by entries already passed. */
  private cursor = 0;
  private floor = 0;
  /** Lookups whose position was no longer covered. */
  unknown = 0;

  constructor(feed: SharedArrayBuffer) {
    this.v = new FeedViews(feed);
  }

  /** Samples pushed into the ring since the call started. */
  get pushed(): number {
    return this.v.figures[F_PUSHED];
  }

  /** Samples dropped because the ring was full. */
  get overrun(): number {
    return this.v.figures[F_OVERRUN];
  }

  /** Samples a tap's ring had no room for, since the call started. */
  tapDropped(slot: TapSlot): number {
    return this.v.figures[F_TAP_DROPPED + TAP_SLOTS.indexOf(slot)];
  }

  /** From now on the producer drops this leg's audio. */
  discard(): void {
    Atomics.store(this.v.header, I_DISCARD, 1);
  }

  get discarding(): boolean {
    return Atomics.load(this.v.header, I_DISCARD) !== 0;
  }

  /**
   * Absolute arrival time (ms) of the write that took the pushed total to >= `position`, or null when unknown
   * (not yet written, or its entry overwritten). Lookups move forward: entries before the one found are passed.
   */
  arrivalOf(position: number): number | null {
    const v = this.v;
    const cap = v.capacity;
    if (position <= this.floor) {
      this.unknown++;
      return null;
    }
    let written = Atomics.load(v.header, I_ARRIVALS);
    while (this.cursor < written) {
      if (written - this.cursor > cap) {
        // Overwritten before we looked: where the oldest surviving entry starts is unknown, so it answers nothing.
        this.cursor = written - cap;
        this.floor = Math.max(this.floor, v.positions[this.cursor % cap]);
        this.cursor++;
        if (position <= this.floor) {
          this.unknown++;
          return null;
        }
        continue;
      }
      const i = this.cursor % cap;
      const p = v.positions[i];
      if (p >= position) {
        const t = v.times[i];
        written = Atomics.load(v.header, I_ARRIVALS);
        if (written - this.cursor > cap) continue; // overwritten while read: look again
        return t;
      }
      this.floor = p;
      this.cursor++;
    }
    return null;
  }
}
