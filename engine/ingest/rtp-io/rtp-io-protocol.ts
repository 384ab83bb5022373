import type { LegFeedDescriptor, TapSlot } from '../leg-feed.js';
import type { LegMedia } from '../rtp-receiver.js';

/**
 * Messages between the main thread (RtpIoHost) and an RTP I/O thread (rtp-io-worker.ts). Only control crosses here,
 * once or twice per call and leg; audio goes from the thread straight into the call's shared rings.
 */

/** What the thread is started with (workerData). */
export interface RtpIoWorkerData {
  /**
   * Float64 per COUNTER_NAMES entry, then two more: the thread publishes its RTP and codec counters here, its event
   * loop's busy time (ms) and its own CPU time (s, NaN where the platform cannot say: common/thread-cpu.ts).
   */
  counters: SharedArrayBuffer;
  allow: readonly string[];
  jitterDepth: number;
  recvBufferSize?: number;
  /** How often counters and leg figures are published (ms). */
  publishMs: number;
}

/** A leg's running state, enough to open it again on a new thread after a crash. */
export interface LegRunState {
  output: LegFeedDescriptor | null;
  taps: Partial<Record<TapSlot, SharedArrayBuffer>>;
}

export type ToIoThread =
  /** Bind `port` and make the leg's decoder; with `run`, start receiving at once (a leg restored after a crash). */
  | {
      type: 'open';
      id: number;
      callKey: string;
      host: string;
      port: number;
      media: LegMedia;
      stats: SharedArrayBuffer;
      run?: LegRunState;
    }
  | { type: 'start'; id: number; run: LegRunState }
  | { type: 'tap'; id: number; slot: TapSlot; ring: SharedArrayBuffer | null }
  | { type: 'update'; id: number; seq: number; media: LegMedia }
  | { type: 'close'; id: number }
  /** Test hook: the thread dies of an uncaught exception. */
  | { type: 'crash' };

export type FromIoThread =
  | { type: 'ready' }
  | { type: 'opened'; id: number; ok: true; sampleRate: number }
  | { type: 'opened'; id: number; ok: false; code: string; detail: string }
  | { type: 'updated'; id: number; seq: number; onHold: boolean }
  | { type: 'closed'; id: number };

/** Float64 slots of a leg's stats block (published by the thread). */
export const enum LegStatSlot {
  packetsReceived = 0,
  packetsLost = 1,
  packetsLate = 2,
  samplesWritten = 3,
}
export const LEG_STAT_SLOTS = 4;
