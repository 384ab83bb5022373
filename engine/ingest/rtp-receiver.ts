import type dgram from 'node:dgram';
import { performance } from 'node:perf_hooks';
import type { AmrOptions, AudioCodec } from './codecs/audio-codec.js';
import { createLegDecoderSync } from './codecs/leg-decoder-factory.js';
import { MAX_DECODED_SAMPLES, type LegDecoder } from './codecs/leg-decoder.js';
import { PcmRateConverter } from './codecs/pcm-rate-converter.js';
import { JitterBuffer, JB_DUPLICATE, JB_LATE, JB_TOO_BIG } from './jitter-buffer.js';
import { RtpHeader, parseRtpPacket, RTP_IS_RTCP, RTP_OK } from './rtp-packet.js';
import type { CallMediaClock } from './call-media-clock.js';
import type { IngestCounters } from './ingest-counters.js';

/**
 * Receives one recorded leg: RTP parse, stream latch, payload filtering, jitter buffer, decode (the leg's own
 * decoder: G.711, G.722, Opus, AMR-WB or AMR), sink write. The leg's PCM rate is its first codec's (8 or 16 kHz) and
 * stays so for the call: a re-INVITE to a codec of another rate is converted back to it. The hot path (`handle`)
 * allocates nothing: the header object, decoder state, decode buffer and silence buffer are per-leg and reused. Node
 * itself allocates the datagram Buffer and rinfo per packet; that is outside our control.
 *
 * Two rules keep a sender that passes the source check (the SDP address or the SIP allow-list) from bending a leg:
 * - Latching (symmetric-RTP style, as rtpengine learns a peer): the leg locks to the address, port and SSRC of the
 *   first packet it accepts. A packet of another stream is refused and counted (`rtp.unlatchedSource` for another
 *   address or port, `rtp.wrongSsrc` for another SSRC from the locked address and port). The lock moves only when
 *   one other stream has sent at least RELATCH_PACKETS packets over at least RELATCH_SAME_SOURCE_MS (a new SSRC
 *   from the locked address and port: the SBC restarted the stream) or RELATCH_NEW_SOURCE_MS (another address or
 *   port: media moved without a re-INVITE) **and the locked stream sent nothing in that time**. A burst moves
 *   nothing, nor does a second stream interleaved with a live one. A re-INVITE or UPDATE with SDP announces a
 *   move: for RELATCH_SIGNALLED_MS the first new stream from the SDP's address takes the lock at once.
 * - Audio is bounded by the wall clock: a leg never holds more audio than the time since its first packet (plus
 *   its start padding and CLOCK_SLACK_SAMPLES). Silence that an RTP timestamp jump would insert beyond that is not
 *   written (`rtp.timestampJump`), audio beyond it is dropped (`rtp.aheadOfClock`): timestamps may not inflate one
 *   leg past the other, which keeps the legs of a call within the actor's lockstep slack.
 */

/**
 * Decoded PCM16 at the leg's rate (`RtpReceiver.sampleRate`), in order, with concealment or silence for lost
 * packets. Must copy what it keeps: the array is reused.
 */
export interface LegSink {
  write(pcm: Int16Array, offset: number, length: number): void;
}

export interface LegMedia {
  /** Negotiated audio payload type and codec. */
  payloadType: number;
  codec: AudioCodec;
  /** RFC 4867 options (AMR, AMR-WB). */
  amr?: AmrOptions;
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
  /**
   * The leg's decoder for `media.codec` (createLegDecoder); optional for G.711 and G.722, made here. Freed on close.
   */
  decoder?: LegDecoder;
  /** The call's shared clock: a leg whose media starts after the others' is padded with the silence it missed. */
  clock?: CallMediaClock;
  /** Milliseconds, monotonic (tests drive it). Read once a second of audio and on refused packets, not per packet. */
  now?: () => number;
}

/** Jitter slot size: the largest payload any decoder takes (Opus: 1500). Each decoder has its own, smaller or equal. */
const MAX_PAYLOAD = 1500;
const SILENCE_CHUNK = 1600;
/**
 * Longest stretch of a gap the decoder's concealment fills (AMR NO_DATA frames, Opus PLC); the rest is silence. It
 * covers lost packets and AMR's DTX pauses (comfort noise after a SID) without running a decoder through a long jump.
 */
const CONCEAL_MAX_MS = 200;
/** The clock-bound figures below are samples at 8 kHz; a 16 kHz leg scales them by its rate. */
/** Packets another stream must send (with none from the locked one in between) before the lock may move to it. */
export const RELATCH_PACKETS = 10;
/** ...over at least this long, when it comes from the locked address and port with a new SSRC. */
export const RELATCH_SAME_SOURCE_MS = 200;
/** ...over at least this long, when it comes from another address or port. */
export const RELATCH_NEW_SOURCE_MS = 2000;
/**
 * After a re-INVITE or UPDATE with SDP, this long during which a new stream from the SDP's address relatches at once.
 */
export const RELATCH_SIGNALLED_MS = 5000;
/**
 * Audio a leg may hold beyond the wall-clock time since its first packet: one second, the actor's lockstep slack,
 * which covers a network burst after a stall (that audio's time has passed) and an hour of a sender clock 100 ppm fast.
 */
export const CLOCK_SLACK_SAMPLES = 8000;
/**
 * A timestamp gap longer than this (1 s) is a jump, not a loss burst: the silence it inserts gets only
 * SILENCE_SLACK_SAMPLES (200 ms) of the slack, so the rest stays for real audio and silence from a jump can never push
 * the audio that follows it out. Shorter gaps (lost packets, a DTX pause) use the whole slack.
 */
export const JUMP_SAMPLES = 8000;
export const SILENCE_SLACK_SAMPLES = 1600;

export class RtpReceiver {
  packetsReceived = 0;
  samplesWritten = 0;
  /** Packets accepted since the inactivity sweep last looked; the sweep resets it (no clock read per packet). */
  activity = 0;

  /** The leg's PCM rate, fixed for the call. */
  readonly sampleRate: number;
  private readonly header = new RtpHeader();
  private readonly pcm = new Int16Array(MAX_DECODED_SAMPLES);
  private readonly zeros = new Int16Array(SILENCE_CHUNK);
  private readonly jitter: JitterBuffer;
  private decoder: LegDecoder;
  /** Set when the decoder's rate is not the leg's (codec changed by a re-INVITE): decode goes through `decoded`. */
  private converter: PcmRateConverter | null = null;
  private decoded: Int16Array | null = null;
  /** Output samples per RTP timestamp unit (leg rate / codec clock), and the concealment cap in samples. */
  private samplesPerTs = 1;
  private concealMax = 0;
  /** The 8 kHz figures scaled to this leg's rate. */
  private readonly k: number;
  private readonly clockSlack: number;
  private readonly jumpSamples: number;
  private readonly silenceSlack: number;
  private media: LegMedia;
  /** The codec parameters the current decoder was made for (`media` may since have been set to a held line). */
  private decoderMedia: LegMedia;
  private readonly now: () => number;
  // The latched stream (address '' until the first packet).
  private lockedAddress = '';
  private lockedPort = -1;
  private lockedSsrc = -1;
  // The one other stream that may take the lock over: its identity, packets and since when, and whether the locked
  // stream has been heard since its run began.
  private candAddress = '';
  private candPort = -1;
  private candSsrc = -1;
  private candPackets = 0;
  private candSinceMs = 0;
  private lockedHeard = false;
  private lastGoodAddress = '';
  /** Until then (ms), a new stream from the SDP address takes the lock without a hold: a re-offer announced it. */
  private signalledUntil = 0;
  // Wall-clock bound on the audio written: from the first packet, in samples.
  private epochMs = -1;
  private startPad = 0;
  /** samplesWritten may reach this without the clock being read again. */
  private clockCheckAt = 0;
  private closed = false;

  constructor(private readonly opts: RtpReceiverOptions) {
    this.media = opts.media;
    this.now = opts.now ?? (() => performance.now());
    const decoder = opts.decoder ?? createLegDecoderSync(opts.media);
    if (!decoder) throw new Error(`RtpReceiver: ${opts.media.codec} needs a decoder from createLegDecoder()`);
    this.decoder = decoder;
    this.sampleRate = decoder.sampleRate;
    this.k = this.sampleRate / 8000;
    this.clockSlack = CLOCK_SLACK_SAMPLES * this.k;
    this.jumpSamples = JUMP_SAMPLES * this.k;
    this.silenceSlack = SILENCE_SLACK_SAMPLES * this.k;
    const sink = opts.sink;
    const counters = opts.counters;
    this.jitter = new JitterBuffer(
      { depth: opts.jitterDepth, capacity: 16, maxPayload: MAX_PAYLOAD, maxGapSamples: decoder.clockRate * 5 },
      {
        onPayload: (buf, offset, length) => {
          const dec = this.decoder;
          const conv = this.converter;
          const raw = conv ? this.decoded! : this.pcm;
          const decodedN = dec.decode(buf, offset, length, raw);
          if (decodedN < 0) {
            // Undecodable: it covers no time, so the next payload's timestamp gap fills its place with silence.
            counters['codec.badPayload']++;
            return 0;
          }
          const covered = Math.round((decodedN * dec.clockRate) / dec.sampleRate);
          const n = conv ? conv.convert(raw, decodedN, this.pcm) : decodedN;
          if (this.samplesWritten + n > this.clockCheckAt && this.room(n) < n) {
            counters['rtp.aheadOfClock']++;
            return covered;
          }
          this.samplesWritten += n;
          try {
            sink.write(this.pcm, 0, n);
          } catch {
            counters['rtp.sinkError']++;
          }
          return covered;
        },
        onSilence: (units) => this.fillGap(Math.round(units * this.samplesPerTs)),
      },
    );
    this.decoderMedia = opts.media;
    this.useDecoder(decoder);
    opts.socket?.on('message', (msg, rinfo) => this.handle(msg, msg.length, rinfo.address, rinfo.port));
  }

  /**
   * Samples (of `want`) the wall clock allows now, keeping `reserve` of the slack unused; refreshes the point up to
   * which it need not be read again.
   */
  private room(want: number, reserve = 0): number {
    if (this.epochMs < 0) return want; // close() before any packet: nothing to bound
    const budget = Math.floor(((this.now() - this.epochMs) * this.sampleRate) / 1000) + this.startPad + this.clockSlack;
    this.clockCheckAt = budget;
    return Math.max(0, Math.min(want, budget - reserve - this.samplesWritten));
  }

  /** Makes `dec` the leg's decoder: the RTP clock it implies, and a rate converter if its rate is not the leg's. */
  private useDecoder(dec: LegDecoder): void {
    this.decoder = dec;
    this.samplesPerTs = this.sampleRate / dec.clockRate;
    this.concealMax = Math.round((this.sampleRate * CONCEAL_MAX_MS) / 1000);
    this.jitter.setMaxGap(dec.clockRate * 5);
    if (dec.sampleRate !== this.sampleRate) {
      this.converter = new PcmRateConverter(dec.sampleRate, this.sampleRate, MAX_DECODED_SAMPLES);
      this.decoded = new Int16Array(MAX_DECODED_SAMPLES);
    } else {
      this.converter = null;
      this.decoded = null;
    }
  }

  /**
   * A gap between payloads (lost packets, a DTX pause): the decoder's concealment for its first CONCEAL_MAX_MS when it
   * has any and the gap is not a timestamp jump, then silence.
   */
  private fillGap(samples: number): void {
    if (samples <= 0) return;
    let left = samples;
    if (samples <= this.jumpSamples) {
      const dec = this.decoder;
      const conv = this.converter;
      // What fits in one output buffer, within the cap and the clock bound.
      let want = Math.min(
        left,
        this.concealMax,
        conv ? Math.floor((MAX_DECODED_SAMPLES - 2) * (conv.inRate / conv.outRate)) : MAX_DECODED_SAMPLES,
      );
      if (this.samplesWritten + want > this.clockCheckAt) want = this.room(want);
      const decWant = conv ? Math.floor((want * conv.inRate) / conv.outRate) : want;
      const got = decWant > 0 ? dec.conceal(conv ? this.decoded! : this.pcm, decWant) : 0;
      if (got > 0) {
        const n = conv ? conv.convert(this.decoded!, got, this.pcm) : got;
        this.opts.counters['codec.concealed']++;
        this.samplesWritten += n;
        left -= n;
        try {
          this.opts.sink.write(this.pcm, 0, n);
        } catch {
          this.opts.counters['rtp.sinkError']++;
        }
      }
    }
    if (left > 0) this.silence(left, samples);
  }

  /** Writes `requested` samples of silence, within the clock bound; `gap` is the whole gap it is part of. */
  private silence(requested: number, gap = requested): void {
    let samples = requested;
    const reserve = gap > this.jumpSamples ? this.clockSlack - this.silenceSlack : 0;
    if (this.samplesWritten + samples > this.clockCheckAt - reserve) {
      samples = this.room(samples, reserve);
      if (samples < requested) this.opts.counters['rtp.timestampJump']++;
      if (samples === 0) return;
    }
    this.samplesWritten += samples;
    try {
      for (let left = samples; left > 0; left -= SILENCE_CHUNK)
        this.opts.sink.write(this.zeros, 0, Math.min(left, SILENCE_CHUNK));
    } catch {
      this.opts.counters['rtp.sinkError']++;
    }
  }

  /** The leg's current codec. */
  get codec(): AudioCodec {
    return this.decoder.codec;
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
    return this.samplesWritten / this.sampleRate;
  }

  /** Whether `media` needs another decoder than the leg's current one (codec or RFC 4867 options changed). */
  needsDecoder(media: LegMedia): boolean {
    if (media.codec !== this.decoderMedia.codec) return true;
    const a = media.amr;
    const b = this.decoderMedia.amr;
    return (
      !!a !== !!b || (!!a && !!b && (a.octetAligned !== b.octetAligned || String(a.modeSet) !== String(b.modeSet)))
    );
  }

  /**
   * Applies a re-INVITE's media change (codec, source address, hold/resume). A new media address unlocks the latch;
   * and for RELATCH_SIGNALLED_MS after any re-offer, the first new stream from the SDP's address takes the lock at
   * once (the SBC may move media to another port or restart it on resume): the signalling said it would come.
   * A codec change takes a new decoder (createLegDecoder; G.711 and G.722 are made here when none is given); the old
   * one's buffered audio is played out first and it is freed.
   */
  updateMedia(media: LegMedia, decoder?: LegDecoder): void {
    const moved = media.expectedAddress !== this.media.expectedAddress;
    this.signalledUntil = media.expectedAddress ? this.now() + RELATCH_SIGNALLED_MS : 0;
    if (decoder || (this.needsDecoder(media) && media.payloadType >= 0)) {
      const next = decoder ?? createLegDecoderSync(media);
      if (next) {
        // Audio still in the jitter buffer is in the old codec: play it out before switching.
        const lostBefore = this.jitter.lost;
        this.jitter.reset();
        this.opts.counters['rtp.lost'] += this.jitter.lost - lostBefore;
        const old = this.decoder;
        this.decoderMedia = media;
        this.useDecoder(next);
        if (old !== next) old.free();
      } else {
        // A wasm codec offered without its decoder: the line is held rather than fed to the wrong decoder.
        media = { ...media, onHold: true };
      }
    }
    this.media = media;
    this.lastGoodAddress = '';
    if (moved && this.lockedAddress !== '') {
      // The signalled move is the re-latch rule's legitimate case: the next stream from an allowed source takes the
      // lock at once. The SSRC is kept, so the jitter buffer's stream goes on if only the address changed.
      // (This is also why a lock starts from lockedAddress '' and not from lockedSsrc -1.)
      this.lockedAddress = '';
      this.lockedPort = -1;
      this.candPackets = 0;
    }
  }

  /**
   * Whether a packet of a stream other than the latched one moves the lock (see the class comment); counts the
   * refusal when it does not. Off the hot path: only packets of another stream get here.
   */
  private relatch(address: string, port: number, ssrc: number): boolean {
    const c = this.opts.counters;
    const sameSource = address === this.lockedAddress && port === this.lockedPort;
    if (
      this.candPackets === 0 ||
      this.lockedHeard ||
      address !== this.candAddress ||
      port !== this.candPort ||
      ssrc !== this.candSsrc
    ) {
      this.candAddress = address;
      this.candPort = port;
      this.candSsrc = ssrc;
      this.candPackets = 0;
      this.candSinceMs = this.now();
      this.lockedHeard = false;
    }
    this.candPackets++;
    const holdMs = sameSource ? RELATCH_SAME_SOURCE_MS : RELATCH_NEW_SOURCE_MS;
    // The clock is read when a run starts and, once it has enough packets, to see whether it has lasted: a storm of
    // refused packets does not read it per packet.
    if (this.candPackets < RELATCH_PACKETS || this.now() - this.candSinceMs < holdMs) {
      c[sameSource ? 'rtp.wrongSsrc' : 'rtp.unlatchedSource']++;
      return false;
    }
    c[sameSource ? 'rtp.ssrcChange' : 'rtp.relatch']++;
    this.candPackets = 0;
    return true;
  }

  /** The hot path: one datagram. Public so the benchmarks and tests can drive it without sockets. */
  handle(buf: Uint8Array, length: number, address: string, port = 0): void {
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
    if (h.ssrc !== this.lockedSsrc || port !== this.lockedPort || address !== this.lockedAddress) {
      // The first packet, or the first new stream from the SDP address after a re-offer, latches at once; any other
      // stream must earn the lock. (The clock is read only for packets of another stream, never on the hot path.)
      const announced =
        this.signalledUntil !== 0 && address === this.media.expectedAddress && this.now() < this.signalledUntil;
      if (announced) {
        this.signalledUntil = 0;
        this.opts.counters['rtp.relatch']++;
      } else if (this.lockedAddress !== '' && !this.relatch(address, port, h.ssrc)) return;
      if (this.lockedSsrc !== -1 && h.ssrc !== this.lockedSsrc) this.jitter.reset();
      this.lockedAddress = address;
      this.lockedPort = port;
      this.lockedSsrc = h.ssrc;
    }
    this.lockedHeard = true;
    if (this.packetsReceived === 0) {
      this.epochMs = this.now();
      const pad = this.opts.clock ? this.opts.clock.startPadding() * this.k : 0;
      this.startPad = pad;
      this.clockCheckAt = pad + this.clockSlack;
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
      // Larger than the codec allows (G.711: 120 ms): refused like a malformed packet, its place counted lost later.
      r =
        h.payloadLength > this.decoder.maxPayload
          ? JB_TOO_BIG
          : jb.push(h.sequence, h.timestamp, buf, h.payloadOffset, h.payloadLength);
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
    this.decoder.free();
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
