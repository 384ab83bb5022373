/**
 * Reuses the SharedArrayBuffers of ended calls for new calls. A call's slab (about 1 MB) is shared with the worker
 * threads, and a worker releases its hold on a buffer only when it next runs a full garbage collection, which an
 * idle-heavy worker heap may not do for a long time: with fresh buffers per call the engine's memory grew by about a
 * quarter of every call's slab (measured: +1 GB over 3,000 calls of 150 at a time). Recycled buffers keep memory at
 * the peak of concurrent calls plus this pool's idle bound, whatever the workers' GC does.
 */
export class SabPool {
  private readonly free = new Map<number, SharedArrayBuffer[]>();
  private idleBytes = 0;
  /** Buffers handed out again instead of allocated (for tests and metrics). */
  reused = 0;
  /** Bytes handed out and not given back: the slabs of the calls that are up (or of calls that never gave theirs). */
  liveBytes = 0;

  /** `maxIdleBytes`: most memory kept in idle buffers; beyond it, returned buffers are left to the GC. */
  constructor(private readonly maxIdleBytes: number) {}

  /** A zero-filled buffer of exactly `bytes` bytes (a fresh SharedArrayBuffer is zero-filled too). */
  take(bytes: number): SharedArrayBuffer {
    const sab = this.free.get(bytes)?.pop();
    this.liveBytes += bytes;
    if (!sab) return new SharedArrayBuffer(bytes);
    this.idleBytes -= bytes;
    this.reused++;
    new Uint8Array(sab).fill(0);
    return sab;
  }

  /** Give back a buffer nothing will write to any more (its call ended and no task of it is running). */
  give(sab: SharedArrayBuffer): void {
    this.liveBytes -= sab.byteLength;
    if (this.idleBytes + sab.byteLength > this.maxIdleBytes) return;
    let list = this.free.get(sab.byteLength);
    if (!list) this.free.set(sab.byteLength, (list = []));
    list.push(sab);
    this.idleBytes += sab.byteLength;
  }

  get idle(): number {
    return this.idleBytes;
  }
}
