import { contentLength, findHeaderEnd, unfoldHeaderLines } from './sip-parser.js';

/**
 * Splits a SIP byte stream (TCP/TLS) into messages using Content-Length (mandatory on streams, RFC 3261 18.3),
 * read by the parser's own header reader (folding, compact names, conflicting values) so that framing and parsing
 * can never disagree on where a message ends.
 *
 * Incremental: a segment costs work in proportion to its own bytes, never to what is already buffered. Bytes are
 * appended to one growable buffer, the search for the end of the header block resumes where it stopped, and once
 * the Content-Length is known the framer only counts bytes until the body is complete. (The framer before this one
 * concatenated and re-scanned everything buffered on every segment: a peer trickling a large message one small
 * segment at a time cost the main thread more with every segment; `npm run bench:sip-framing` shows both.)
 *
 * Bounded: a message that would exceed `maxMessageBytes` is an error and the caller closes the connection, since
 * there is no way to resynchronise a stream after a framing error.
 */
export type FramerEvent =
  | { type: 'message'; data: Buffer }
  | { type: 'keepalive' }
  | { type: 'error'; code: 'SIP_OVERSIZE' | 'SIP_BAD_CONTENT_LENGTH'; detail: string };

export class SipStreamFramer {
  private buf: Buffer;
  /** Bytes held in `buf` (from 0). */
  private len = 0;
  /** Where the next search for the header block's end starts (bytes before it hold no terminator). */
  private scanFrom = 0;
  /** Size of the message being received once its header block is read; -1 before. */
  private total = -1;
  /** Bytes examined by the header-end search since construction: the test of incrementality reads it. */
  bytesScanned = 0;

  constructor(private readonly maxMessageBytes: number) {
    this.buf = Buffer.allocUnsafe(Math.min(4096, maxMessageBytes));
  }

  /** Bytes of an incomplete message held (0 between messages): a slow peer is one that keeps this above 0. */
  get pendingBytes(): number {
    return this.len;
  }

  /** Feeds a chunk; returns the events it completes (possibly none). After an 'error' event, stop feeding. */
  push(chunk: Buffer): FramerEvent[] {
    const events: FramerEvent[] = [];
    let off = 0;
    if (this.len === 0) off = this.skipKeepalives(chunk, 0, events);
    if (off < chunk.length) this.append(chunk, off);
    // Messages are taken from `start` on; what is left is moved to the front once, after the loop (a segment holding
    // many small messages must not cost a copy of the rest per message).
    let start = 0;
    for (;;) {
      if (start >= this.len) break;
      if (this.total < 0) {
        // The header block's terminator may straddle the previous segment: back up by its length.
        const from = Math.max(start, this.scanFrom - 3);
        const limit = Math.min(this.len, start + this.maxMessageBytes);
        const { index, sepLength } = findHeaderEnd(this.buf, from, limit);
        this.bytesScanned += limit - from;
        if (index === -1) {
          this.scanFrom = limit;
          if (this.len - start >= this.maxMessageBytes)
            return this.fail(events, 'SIP_OVERSIZE', 'header block exceeds limit');
          break;
        }
        const cl = contentLength(unfoldHeaderLines(this.buf.toString('latin1', start, index)) ?? []);
        if (!cl.ok || cl.value === null)
          return this.fail(events, 'SIP_BAD_CONTENT_LENGTH', cl.ok ? 'missing Content-Length on stream' : cl.detail);
        const total = index - start + sepLength + cl.value;
        if (total > this.maxMessageBytes)
          return this.fail(events, 'SIP_OVERSIZE', `message of ${total} bytes exceeds limit`);
        this.total = total;
      }
      if (this.len - start < this.total) break;
      // Copy so the message does not pin the connection buffer, which is reused.
      events.push({ type: 'message', data: Buffer.from(this.buf.subarray(start, start + this.total)) });
      start += this.total;
      start += this.skipKeepalives(this.buf.subarray(start, this.len), 0, events);
      this.total = -1;
      this.scanFrom = start;
    }
    if (start > 0) {
      this.buf.copyWithin(0, start, this.len);
      this.len -= start;
      this.scanFrom = Math.max(0, this.scanFrom - start);
    }
    // a big message's buffer is not kept
    if (this.len === 0 && this.buf.length > 16_384) this.buf = Buffer.allocUnsafe(4096);
    return events;
  }

  /** RFC 5626 keep-alives between messages: a double CRLF ping (CRLFs before a start line are skipped anyway). */
  private skipKeepalives(b: Buffer, from: number, events: FramerEvent[]): number {
    let i = from;
    while (i < b.length && (b[i] === 13 || b[i] === 10)) i++;
    if (i - from >= 4) events.push({ type: 'keepalive' });
    return i;
  }

  private append(chunk: Buffer, from: number): void {
    const n = chunk.length - from;
    if (this.len + n > this.buf.length) {
      // Grow geometrically (amortised O(1) per byte); a segment may carry several messages, so the buffer can exceed
      // maxMessageBytes by one segment before the loop above takes the messages out.
      let cap = this.buf.length * 2;
      while (cap < this.len + n) cap *= 2;
      const next = Buffer.allocUnsafe(cap);
      this.buf.copy(next, 0, 0, this.len);
      this.buf = next;
    }
    chunk.copy(this.buf, this.len, from);
    this.len += n;
  }

  private fail(events: FramerEvent[], code: 'SIP_OVERSIZE' | 'SIP_BAD_CONTENT_LENGTH', detail: string): FramerEvent[] {
    events.push({ type: 'error', code, detail });
    this.len = 0;
    this.total = -1;
    this.scanFrom = 0;
    return events;
  }
}
