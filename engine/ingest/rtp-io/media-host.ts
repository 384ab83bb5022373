import type { LifecycleState } from '../../../common/lifecycle.js';
import type { AudioCodec } from '../codecs/audio-codec.js';
import type { LegFeedDescriptor, TapSlot } from '../leg-feed.js';
import type { LegMedia, LegSink } from '../rtp-receiver.js';
import type { IngestCounters } from '../ingest-counters.js';

/**
 * Where a call's RTP is received: the SIP side asks a media host for ports (with a decoder each) before it answers,
 * starts the legs with their outputs once the call is accepted, and closes them at the end. Two hosts implement it:
 * LocalMediaHost (sockets on the calling thread, `rtp.ioThreads: 0`) and RtpIoHost (sockets owned by RTP I/O worker
 * threads that write decoded audio straight into the calls' shared rings).
 */
export interface MediaHost {
  /** Where the host is in the one lifecycle (common/lifecycle.ts). */
  readonly state: LifecycleState;
  /**
   * Idempotent: compiles the codecs, starts the I/O threads (resolves once they are ready). A closed host stays closed.
   */
  start(): Promise<void>;
  /** Idempotent: closes every leg and stops the threads. */
  close(): Promise<void>;
  /** Binds one port per leg and makes its decoder; nothing is received until `start`. */
  prepare(callKey: string, media: readonly LegMedia[]): Promise<PreparedCall | { ok: false; detail: string }>;
  /** Adds the counters kept off this thread (RTP and codec figures of the I/O threads) into `into`. */
  addCounters(into: IngestCounters): void;
  /** Ports in use and the range's size. */
  readonly portsUsed: number;
  readonly portCapacity: number;
}

/**
 * Where a leg's decoded audio goes: a sink called on the receiving thread (only with LocalMediaHost), a call's shared
 * feed (any host), or null to receive and drop it (a call answered but not analysed).
 */
export type LegOutput = LegSink | LegFeedDescriptor | null;

export function isFeedDescriptor(o: LegOutput): o is LegFeedDescriptor {
  return !!o && 'ring' in o && 'feed' in o;
}

export interface PreparedCall {
  ok: true;
  ports: number[];
  /** Starts receiving, one output per leg in order; the outputs a host cannot take make it throw (nothing started). */
  start(outputs: readonly LegOutput[]): MediaLeg[];
  /** Frees the ports and decoders of a call that will not start. */
  release(): void;
}

/** One received leg as the SIP side sees it. */
export interface MediaLeg {
  readonly localPort: number;
  /** The leg's current codec and its fixed PCM rate. */
  readonly codec: AudioCodec;
  readonly sampleRate: number;
  readonly onHold: boolean;
  readonly packetsReceived: number;
  readonly packetsLost: number;
  readonly packetsLate: number;
  /** Seconds of audio written (received plus concealment and silence). */
  readonly seconds: number;
  /** Packets accepted since the last call (the RTP inactivity sweep). */
  takeActivity(): number;
  /**
   * Applies a re-offer's media (codec change, new address, hold/resume); a codec change gets a new decoder first.
   * Resolves once applied; a decoder that cannot be made leaves the leg on hold.
   */
  updateMedia(media: LegMedia): Promise<void>;
  /** Installs or removes a tap ring on the receiving thread (speech, capture). */
  setTap(slot: TapSlot, ring: SharedArrayBuffer | null): void;
  /** Plays out the jitter buffer into the output, stops receiving and frees the port's socket. Idempotent. */
  close(): Promise<void>;
}
