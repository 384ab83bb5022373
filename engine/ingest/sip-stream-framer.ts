import { contentLength, findHeaderEnd, unfoldHeaderLines } from './sip-parser.js';

/**
 * Splits a SIP byte stream (TCP/TLS) into messages using Content-Length (mandatory on streams, RFC 3261 18.3),
 * read by the parser's own header reader (folding, compact names, conflicting values) so that framing and parsing
 * can never disagree on where a message ends.
 * Bounded: a message that would exceed `maxMessageBytes` is an error and the caller closes the connection, since
 * there is no way to resynchronise a stream after a framing error.
 */
export type FramerEvent =
  | { type: 'message'; data: Buffer }
  | { type: 'keepalive' }
  | { type: 'error'; code: 'SIP_OVERSIZE' | 'SIP_BAD_CONTENT_LENGTH'; detail: string };

export class SipStreamFramer {
  private buf: Buffer = Buffer.alloc(0);

  constructor(private readonly maxMessageBytes: number) {}

  /** Feeds a chunk; returns the events it completes (possibly none). After an 'error' event, stop feeding. */
  push(chunk: Buffer): FramerEvent[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const events: FramerEvent[] = [];
    for (;;) {
      // RFC 5626 keep-alive: a double CRLF ping between messages.
      let skip = 0;
      while (skip < this.buf.length && (this.buf[skip] === 13 || this.buf[skip] === 10)) skip++;
      if (skip > 0) {
        if (skip >= 4) events.push({ type: 'keepalive' });
        this.buf = this.buf.subarray(skip);
      }
      if (this.buf.length === 0) break;
      const { index, sepLength } = findHeaderEnd(this.buf, 0, this.maxMessageBytes);
      if (index === -1) {
        if (this.buf.length >= this.maxMessageBytes) {
          events.push({ type: 'error', code: 'SIP_OVERSIZE', detail: 'header block exceeds limit' });
          this.buf = Buffer.alloc(0);
        }
        break;
      }
      const cl = contentLength(unfoldHeaderLines(this.buf.toString('latin1', 0, index)) ?? []);
      if (!cl.ok || cl.value === null) {
        events.push({ type: 'error', code: 'SIP_BAD_CONTENT_LENGTH', detail: cl.ok ? 'missing Content-Length on stream' : cl.detail });
        this.buf = Buffer.alloc(0);
        break;
      }
      const total = index + sepLength + cl.value;
      if (total > this.maxMessageBytes) {
        events.push({ type: 'error', code: 'SIP_OVERSIZE', detail: `message of ${total} bytes exceeds limit` });
        this.buf = Buffer.alloc(0);
        break;
      }
      if (this.buf.length < total) break;
      // Copy so the message does not pin the (possibly larger) connection buffer.
      events.push({ type: 'message', data: Buffer.from(this.buf.subarray(0, total)) });
      this.buf = this.buf.subarray(total);
    }
    return events;
  }
}
