import type { IngestCounters } from '../ingest-counters.js';
import { CODECS, type AudioCodec, type CodecParams } from './audio-codec.js';
import { AmrDecoder, loadAmrModule } from './amr-decoder.js';
import { G711Decoder } from './g711-decoder.js';
import { G722LegDecoder } from './g722-leg-decoder.js';
import { OpusLegDecoder } from './opus-decoder.js';

/**
 * One leg's streaming decoder: RTP payloads in, PCM16 at the codec's output rate out. Each leg owns its decoder (the
 * codec state is the leg's), `decode` allocates nothing, and hostile payloads are rejected (-1), never thrown on.
 */
export interface LegDecoder {
  readonly codec: AudioCodec;
  /** Rate of the PCM it writes. */
  readonly sampleRate: number;
  /** RTP timestamp rate. */
  readonly clockRate: number;
  /** Largest payload it accepts, octets (the jitter buffer's slot size). */
  readonly maxPayload: number;
  /** Decodes one payload into `out` from index 0 (room for MAX_DECODED_SAMPLES); samples written, or -1: rejected. */
  decode(buf: Uint8Array, offset: number, length: number, out: Int16Array): number;
  /** The decoder's concealment for up to `samples` of lost audio, into `out` from 0; samples written (0: none). */
  conceal(out: Int16Array, samples: number): number;
  /** Releases native (wasm) memory; the decoder is unusable after. Idempotent. */
  free(): void;
}

/** Most samples one payload may decode to (120 ms at 48 kHz; 16 AMR-WB frames are 5120). */
export const MAX_DECODED_SAMPLES = 5760;

/** Loads the wasm codecs once per process; later decoders are then created without waiting on compilation. */
export async function loadCodecs(): Promise<void> {
  await loadAmrModule();
  await OpusLegDecoder.warmUp();
}

/** A new decoder for a leg. G.711 and G.722 are ready at once; the wasm codecs wait for their module/instance. */
export async function createLegDecoder(params: CodecParams, counters: IngestCounters): Promise<LegDecoder> {
  switch (params.codec) {
    case 'PCMU':
    case 'PCMA':
      return new G711Decoder(params.codec);
    case 'G722':
      return new G722LegDecoder();
    case 'OPUS':
      return OpusLegDecoder.create();
    case 'AMR':
    case 'AMR-WB':
      await loadAmrModule();
      return new AmrDecoder(params.codec === 'AMR-WB', params.amr ?? { octetAligned: false, modeSet: null }, counters);
  }
}

/** The decoder for codecs that need no asynchronous set-up (G.711, G.722), or null. */
export function createLegDecoderSync(params: CodecParams): LegDecoder | null {
  if (params.codec === 'PCMU' || params.codec === 'PCMA') return new G711Decoder(params.codec);
  if (params.codec === 'G722') return new G722LegDecoder();
  return null;
}

export function outputRateOf(codec: AudioCodec): number {
  return CODECS[codec].sampleRate;
}
