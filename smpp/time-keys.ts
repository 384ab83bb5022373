/**
 * lmdb string keys that sort by time: epoch milliseconds zero-padded to 15 digits, so byte order is time order and a
 * retention sweep or a "latest N" is a range read (`end: timeKey(cutoff, '')` stops before the cutoff). Used by the
 * SMS outbox and the engine's alert records; the format is on disk, so it must not change.
 */

/** The time part alone: a range bound, or the prefix of a key with other parts after it. */
export function timePrefix(at: number): string {
  return String(at).padStart(15, '0');
}

/** Time, then an id to keep keys of the same millisecond apart. */
export function timeKey(at: number, id: string): string {
  return `${timePrefix(at)}|${id}`;
}
