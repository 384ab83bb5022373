import type dgram from 'node:dgram';
import { ALAW_TO_PCM as ALAW_TO_PCM16, ULAW_TO_PCM as ULAW_TO_PCM16 } from '../../actors/dsp/g711.js';
import { JitterBuffer, JB_DUPLICATE, JB_LATE, JB_TOO_BIG } from './jitter-buffer.js';
import { RtpHeader, parseRtpPacket, RTP_IS_RTCP, RTP_OK } from './rtp-packet.js';
import type { CallMediaClock } from './call-media-clock.js';
import type { IngestCounters } from './ingest-counters.js';

/**
 * Receives one recorded leg: RTP parse, SSRC lock, payload filtering, jitter buffer, G.711 decode, sink write.
 * The hot path (`handle`) allocates nothing: the header object, decode buffer and silence buffer are per-leg and
 * reused. Node itself allocates the datagram Buffer and rinfo per packet; that is outside our control.
 */

/** Decoded PCM16 at 8 kHz, in order, with silence for lost packets. Must copy what it keeps: the array is reused. */
export interface LegSink {
  write(pcm: Int16Array, offset: number, length: number): void;
}

export type G711Codec = 'PCMU' | 'PCMA';

export interface LegMedia {
  /** Negotiated audio payload type and codec. */
  payloadType: number;
  codec: G711Codec;
  /** Payload types consumed silently (comfort noise, telephone-event). */
  skipPayloadTypes: readonly number[];
  /** Media source from the SDP c= line; packets from elsewhere must pass `isAllowedSource`. */
  expectedAddress: string | null;
  /** a=inactive / hold: packets are dropped and the leg does not count towards inactivity. */
  onHold: boolean;
}

export interface RtpReceiverOptions {
  socket: dgram.Socket | null;
  localPort: number;
  media: LegMedia;
  sink: LegSink;
  counters: IngestCounters;
  isAllowedSource(address: string): boolean;
  jitterDepth: number;
  /** The call's shared clock: a leg whose media starts after the others' is padded with the silence it missed. */
  clock?: CallMediaClock;
}

const MAX_PAYLOAD = 960; // 120 ms of G.711
const SILENCE_CHUNK = 1600;
/** Packets in a row from a new SSRC (with none from the locked one) before re-locking: the SBC re-anchored media. */
const SSRC_SWITCH_RUN = 10;

export class RtpReceiver {
  packetsReceived = 0;
  samplesWritten = 0;
  /** Packets accepted since the inactivity sweep last looked; the sweep resets it (no clock read per packet). */
  activity = 0;

  private readonly header = new RtpHeader();
  private readonly pcm = new Int16Array(MAX_PAYLOAD);
  private readonly zeros = new Int16Array(SILENCE_CHUNK);
  private readonly jitter: JitterBuffer;
  private table: Int16Array;
  private media: LegMedia;
  private lockedSsrc = -1;
  private foreignSsrc = -1;
  private foreignRun = 0;
  private lastGoodAddress = '';
  private closed = false;

  constructor(private readonly opts: RtpReceiverOptions) {
    this.media = opts.media;
    this.table = opts.media.codec === 'PCMA' ? ALAW_TO_PCM16 : ULAW_TO_PCM16;
    const sink = opts.sink;
    const counters = opts.counters;
    this.jitter = new JitterBuffer(
      { depth: opts.jitterDepth, capacity: 16, maxPayload: MAX_PAYLOAD, maxGapSamples: 8000 * 5 },
      {
        onPayload: (buf, offset, length) => {
          const pcm = this.pcm;
          const table = this.table;
          for (let i = 0; i < length; i++) pcm[i] = table[buf[offset + i]];
          this.samplesWritten += length;
          try {
            sink.write(pcm, 0, length);
          } catch {
            counters['rtp.sinkError']++;
          }
        },
        onSilence: (samples) => this.silence(samples),
      },
    );
    opts.socket?.on('message', (msg, rinfo) => this.handle(msg, msg.length, rinfo.address));
  }

  private silence(samples: number): void {
    this.samplesWritten += samples;
    try {
      for (let left = samples; left > 0; left -= SILENCE_CHUNK) this.opts.sink.write(this.zeros, 0, Math.min(left, SILENCE_CHUNK));
    } catch {
      this.opts.counters['rtp.sinkError']++;
    }
  }

  get localPort(): number {
    return this.opts.localPort;
  }

  get packetsLost(): number {
    return this.jitter.lost;
  }

  get packetsLate(): number {
    return this.jitter.late;
  }

  get onHold(): boolean {
    return this.media.onHold;
  }

  /** Seconds of audio written to the sink (received audio plus inserted silence). */
  get seconds(): number {
    return this.samplesWritten / 8000;
  }

  /** Applies a re-INVITE's media change (codec, source address, hold/resume). */
  updateMedia(media: LegMedia): void {
    this.media = media;
    this.table = media.codec === 'PCMA' ? ALAW_TO_PCM16 : ULAW_TO_PCM16;
    this.lastGoodAddress = '';
  }

  /** The hot path: one datagram. Public so the benchmark can drive it without sockets. */
  handle(buf: Uint8Array, length: number, address: string): void {
    if (this.closed) return;
    const c = this.opts.counters;
    c['rtp.received']++;
    if (address !== this.lastGoodAddress) {
      if (address === this.media.expectedAddress || this.opts.isAllowedSource(address)) this.lastGoodAddress = address;
      else {
        c['rtp.wrongSource']++;
        return;
      }
    }
    const h = this.header;
    const code = parseRtpPacket(buf, length, h);
    if (code !== RTP_OK) {
      c[code === RTP_IS_RTCP ? 'rtp.rtcp' : 'rtp.badPacket']++;
      return;
    }
    if (this.media.onHold) {
      c['rtp.onHold']++;
      return;
    }
    if (h.ssrc !== this.lockedSsrc) {
      if (this.lockedSsrc === -1) this.lockedSsrc = h.ssrc;
      else {
        this.foreignRun = h.ssrc === this.foreignSsrc ? this.foreignRun + 1 : 1;
        this.foreignSsrc = h.ssrc;
        if (this.foreignRun < SSRC_SWITCH_RUN) {
          c['rtp.wrongSsrc']++;
          return;
        }
        c['rtp.ssrcChange']++;
        this.jitter.reset();
        this.lockedSsrc = h.ssrc;
      }
    }
    this.foreignRun = 0;
    if (this.packetsReceived === 0 && this.opts.clock) {
      const pad = this.opts.clock.startPadding();
      if (pad > 0) {
        c['rtp.lateStart']++;
        this.silence(pad);
      }
    }
    this.packetsReceived++;
    this.activity++;
    const jb = this.jitter;
    const lostBefore = jb.lost;
    const resyncBefore = jb.resync;
    let r: number;
    if (h.payloadType === this.media.payloadType) {
      r = jb.push(h.sequence, h.timestamp, buf, h.payloadOffset, h.payloadLength);
    } else {
      if (this.media.skipPayloadTypes.includes(h.payloadType)) c['rtp.ignoredPayload']++;
      else c['rtp.unknownPayload']++;
      r = jb.pushSkip(h.sequence, h.timestamp);
    }
    if (r === JB_LATE) c['rtp.late']++;
    else if (r === JB_DUPLICATE) c['rtp.duplicate']++;
    else if (r === JB_TOO_BIG) c['rtp.badPacket']++;
    c['rtp.lost'] += jb.lost - lostBefore;
    c['rtp.resync'] += jb.resync - resyncBefore;
  }

  /** Plays out what the jitter buffer holds and closes the socket. Idempotent. */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    const lostBefore = this.jitter.lost;
    this.jitter.flush();
    this.opts.counters['rtp.lost'] += this.jitter.lost - lostBefore;
    const s = this.opts.socket;
    if (!s) return Promise.resolve();
    return new Promise((resolve) => {
      try {
        s.close(() => resolve());
      } catch {
        resolve();
      }
    });
  }
}
