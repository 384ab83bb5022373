/**
 * When each stretch of a leg's audio reached the engine: a bounded, allocation-free record of (samples received so far,
 * monotonic time of that write), one entry per write into the leg's ring. It answers "when did the write carrying
 * sample position P arrive?", for the audio-to-verdict latency of a window whose audio ends at P.
 *
 * Contract: the entries kept always cover the positions (floor, last]; the first entry covers (floor, its position].
 * Lookups move forward (a leg's windows end at increasing positions), so entries before the one found are dropped; when
 * the record is full the oldest entry is overwritten. Either way `floor` rises, and a position at or below it has no
 * answer (counted in `unknown`), never a wrong one. Sized for the ring's backlog at 20 ms packets, only a leg far
 * behind real time ever loses entries that way.
 */
export class ArrivalCheckpoints {
  private readonly positions: Float64Array;
  private readonly times: Float64Array;
  private head = 0;
  private size = 0;
  private floor = 0;
  /** Lookups whose position was no longer covered. */
  unknown = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 2)
      throw new RangeError(`capacity must be an integer >= 2, got ${capacity}`);
    this.positions = new Float64Array(capacity);
    this.times = new Float64Array(capacity);
  }

  /** A write brought the leg's received total to `position` samples, at monotonic time `timeMs`. */
  record(position: number, timeMs: number): void {
    const cap = this.capacity;
    // A write that added nothing (a full ring) is not an arrival of new audio.
    const last = this.size > 0 ? this.positions[(this.head + this.size - 1) % cap] : this.floor;
    if (position <= last) return;
    if (this.size === cap) this.dropHead();
    const at = (this.head + this.size) % cap;
    this.positions[at] = position;
    this.times[at] = timeMs;
    this.size++;
  }

  /** Arrival time of the write that carried sample `position - 1` (the one taking the total to >= position), or null. */
  arrivalOf(position: number): number | null {
    if (position <= this.floor) {
      this.unknown++;
      return null;
    }
    while (this.size > 0 && this.positions[this.head] < position) this.dropHead();
    return this.size > 0 ? this.times[this.head] : null;
  }

  /** Forget everything; positions count from 0 again. */
  clear(): void {
    this.head = 0;
    this.size = 0;
    this.floor = 0;
  }

  private dropHead(): void {
    this.floor = this.positions[this.head];
    this.head = (this.head + 1) % this.capacity;
    this.size--;
  }
}
