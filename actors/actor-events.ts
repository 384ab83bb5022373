import { Packr } from 'msgpackr';
import type { RingBuffer } from 'ringbuf.js';
import type { WindowSummary } from './features/window-summary.js';

/** A window of one leg finished (timeline entry; the model issue adds labels to it). */
export interface WindowEvent extends WindowSummary {
  type: 'window';
  leg: number;
  index: number;
  startFrame: number;
  frames: number;
  partial: boolean;
  tStart: number;
  tEnd: number;
  /** Emotion probabilities in the model's label order (null without a model). */
  emotions: number[] | null;
  /** The call's smoothed scam risk (0..1) after this window; null when the leg does not feed the policy. */
  risk: number | null;
  /**
   * The policy's cues after this window, [pressure, distress, dominance, content] (0..1 each), for the console's
   * timeline; absent when `risk` is null.
   */
  cues?: [number, number, number, number];
  /** Keyword spotter scores (0..1) per class in the spotter's label order; absent without a spotter or speech. */
  keywords?: number[];
}

/** The policy decided to warn the protected subscriber (at most one 'alert', and one 'escalation' if configured). */
export interface AlertEvent {
  type: 'alert';
  level: 'alert' | 'escalation';
  risk: number;
  /** Call time (s) when it fired. */
  t: number;
  explanation: string;
  actions: string[];
  cues: Record<string, number | string>;
  /** What drove it: what the other party said, or how the call sounded. */
  basis?: 'content' | 'acoustic';
}

/** A leg's processing threw; the actor restarted that leg's state and carried on. */
export interface ActorErrorEvent {
  type: 'actor-error';
  leg: number;
  /**
   * A catalogue code (common/errors.ts): the thrown error's own, else CG_ACTOR_EXCEPTION, CG_POLICY_EXCEPTION or
   * CG_MODEL_FAILED.
   */
  code: string;
  message: string;
}

/** Everything an actor step reports to the supervisor. */
export type ActorEvent = WindowEvent | AlertEvent | ActorErrorEvent;

const packr = new Packr({ useRecords: false });
const HEADER = 4;

/**
 * Encodes events into a byte ring as [u32 length LE][msgpack], one ring push per record so a record is all or nothing.
 */
export class EventWriter {
  /** One scratch per thread: writes are synchronous, and a writer is made per call per round. */
  private static scratch = new Uint8Array(4096);

  constructor(private readonly ring: RingBuffer) {}

  /** Room left in the mailbox, in bytes. */
  space(): number {
    return this.ring.availableWrite();
  }

  /** Append one event; returns false (and writes nothing) if the mailbox is full. */
  write(ev: ActorEvent): boolean {
    const body = packr.pack(ev);
    const need = HEADER + body.length;
    if (need > this.ring.availableWrite()) return false;
    if (need > EventWriter.scratch.length) EventWriter.scratch = new Uint8Array(need * 2);
    const s = EventWriter.scratch;
    s[0] = body.length & 0xff;
    s[1] = (body.length >>> 8) & 0xff;
    s[2] = (body.length >>> 16) & 0xff;
    s[3] = (body.length >>> 24) & 0xff;
    s.set(body, HEADER);
    return this.ring.push(s, need) === need;
  }
}

/** Drains a mailbox written by EventWriter (the supervisor side). */
export class EventReader {
  private buf = new Uint8Array(65536);

  constructor(private readonly ring: RingBuffer) {}

  /** Pop every complete record and decode it. */
  drain(): ActorEvent[] {
    const n = this.ring.availableRead();
    if (n === 0) return [];
    if (n > this.buf.length) this.buf = new Uint8Array(n);
    const got = this.ring.pop(this.buf, n);
    const out: ActorEvent[] = [];
    let off = 0;
    while (off + HEADER <= got) {
      const len = this.buf[off] | (this.buf[off + 1] << 8) | (this.buf[off + 2] << 16) | (this.buf[off + 3] << 24);
      off += HEADER;
      if (len < 0 || off + len > got) break;
      out.push(packr.unpack(this.buf.subarray(off, off + len)) as ActorEvent);
      off += len;
    }
    return out;
  }
}
