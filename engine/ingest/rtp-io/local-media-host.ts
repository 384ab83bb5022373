import type dgram from 'node:dgram';
import type { LifecycleState } from '../../../common/lifecycle.js';
import type { AddressAllowList } from '../address-allow-list.js';
import { CallMediaClock } from '../call-media-clock.js';
import { createLegDecoder, loadCodecs } from '../codecs/leg-decoder-factory.js';
import type { LegDecoder } from '../codecs/leg-decoder.js';
import type { IngestCounters } from '../ingest-counters.js';
import { LegFeedWriter, type TapSlot } from '../leg-feed.js';
import { isFeedDescriptor, type LegOutput, type MediaHost, type MediaLeg, type PreparedCall } from './media-host.js';
import { PortPool } from '../port-pool.js';
import { RtpReceiver, type LegMedia, type LegSink } from '../rtp-receiver.js';

/** Settings both media hosts take from the SIPREC server's options. */
export interface MediaHostOptions {
  /** Address the RTP sockets bind to. */
  host: string;
  portMin: number;
  portMax: number;
  recvBufferSize?: number;
  jitterDepth: number;
  /** Sources allowed besides each leg's SDP address (the SIP allow-list). */
  allow: readonly string[];
}

/**
 * RTP received on the calling thread (the engine's main thread): `rtp.ioThreads: 0`, and the SIPREC server's tests.
 * Counters go straight into the server's object.
 */
export class LocalMediaHost implements MediaHost {
  private readonly pool: PortPool;

  constructor(
    private readonly opts: MediaHostOptions,
    private readonly allowList: AddressAllowList,
    private readonly counters: IngestCounters,
  ) {
    this.pool = new PortPool(opts.portMin, opts.portMax, opts.recvBufferSize);
  }

  private lifecycle: LifecycleState = 'idle';
  private starting: Promise<void> | null = null;

  get state(): LifecycleState {
    return this.lifecycle;
  }

  start(): Promise<void> {
    if (this.lifecycle === 'closing' || this.lifecycle === 'closed') return Promise.resolve();
    this.starting ??= (async () => {
      this.lifecycle = 'starting';
      // The wasm decoders are compiled once here, so no INVITE waits on it.
      await loadCodecs();
      if (this.lifecycle === 'starting') this.lifecycle = 'running';
    })();
    return this.starting;
  }

  /** Idempotent. The legs are closed by their calls (the SIPREC server ends every call first). */
  async close(): Promise<void> {
    this.lifecycle = 'closed';
  }

  get portsUsed(): number {
    return this.pool.used;
  }

  get portCapacity(): number {
    return this.pool.capacity;
  }

  addCounters(): void {}

  async prepare(_callKey: string, media: readonly LegMedia[]): Promise<PreparedCall | { ok: false; detail: string }> {
    const bound: Array<{ socket: dgram.Socket; port: number }> = [];
    const decoders: LegDecoder[] = [];
    const release = (): void => {
      for (const b of bound) {
        b.socket.close();
        this.pool.release(b.port);
      }
      for (const d of decoders) d.free();
    };
    for (const m of media) {
      const b = await this.pool.bind(this.opts.host);
      if (!b.ok) {
        release();
        return { ok: false, detail: b.detail };
      }
      bound.push(b);
      try {
        decoders.push(await createLegDecoder(m, this.counters));
      } catch (err) {
        release();
        return { ok: false, detail: `decoder: ${(err as Error).message}` };
      }
    }
    return {
      ok: true,
      ports: bound.map((b) => b.port),
      release,
      start: (outputs) => {
        if (outputs.length !== media.length) throw new Error(`${outputs.length} outputs for ${media.length} legs`);
        const clock = new CallMediaClock();
        return bound.map((b, i) => {
          const sink = sinkOf(outputs[i]);
          const receiver = new RtpReceiver({
            clock,
            socket: b.socket,
            localPort: b.port,
            media: media[i],
            decoder: decoders[i],
            sink,
            counters: this.counters,
            isAllowedSource: (a) => this.allowList.allows(a),
            jitterDepth: this.opts.jitterDepth,
          });
          return new LocalLeg(receiver, sink, this.counters, () => this.pool.release(b.port));
        });
      },
    };
  }
}

const DROP: LegSink = { write: () => {} };

/** A sink that may take taps (a feed writer does; a plain sink does not). */
type TappableSink = LegSink & { setTap?(slot: TapSlot, ring: SharedArrayBuffer | null): void };

function sinkOf(o: LegOutput): TappableSink {
  if (o === null) return DROP;
  return isFeedDescriptor(o) ? new LegFeedWriter(o) : o;
}

/** A leg received on this thread: the RtpReceiver itself, behind the MediaLeg surface. */
class LocalLeg implements MediaLeg {
  private seen = 0;

  constructor(
    private readonly r: RtpReceiver,
    private readonly sink: TappableSink,
    private readonly counters: IngestCounters,
    private readonly releasePort: () => void,
  ) {}

  get localPort(): number {
    return this.r.localPort;
  }
  get codec() {
    return this.r.codec;
  }
  get sampleRate(): number {
    return this.r.sampleRate;
  }
  get onHold(): boolean {
    return this.r.onHold;
  }
  get packetsReceived(): number {
    return this.r.packetsReceived;
  }
  get packetsLost(): number {
    return this.r.packetsLost;
  }
  get packetsLate(): number {
    return this.r.packetsLate;
  }
  get seconds(): number {
    return this.r.seconds;
  }

  takeActivity(): number {
    const n = this.r.packetsReceived - this.seen;
    this.seen = this.r.packetsReceived;
    return n;
  }

  async updateMedia(media: LegMedia): Promise<void> {
    await updateReceiverMedia(this.r, media, this.counters);
  }

  setTap(slot: TapSlot, ring: SharedArrayBuffer | null): void {
    this.sink.setTap?.(slot, ring);
  }

  async close(): Promise<void> {
    await this.r.close();
    this.releasePort();
  }
}

/** A re-offer on a receiver: a new decoder first when the codec changes (none made: the leg is held). */
export async function updateReceiverMedia(r: RtpReceiver, media: LegMedia, counters: IngestCounters): Promise<void> {
  let decoder: LegDecoder | undefined;
  if (media.payloadType >= 0 && r.needsDecoder(media)) {
    try {
      decoder = await createLegDecoder(media, counters);
    } catch {
      decoder = undefined;
    }
    if (!decoder) media = { ...media, onHold: true };
  }
  r.updateMedia(media, decoder);
}
