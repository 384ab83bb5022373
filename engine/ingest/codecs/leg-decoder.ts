import type { AudioCodec } from './audio-codec.js';

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
