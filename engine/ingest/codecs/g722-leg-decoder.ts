import { G722Decoder } from './g722-decoder.js';
import type { LegDecoder } from './leg-decoder.js';

/**
 * G.722 on RTP (RFC 3551 4.5.2): one octet per two 16 kHz samples, timestamps at 8000 Hz. Every octet is a valid code,
 * so nothing is rejected; lost packets are filled with silence (G.722 has no concealment of its own).
 */
export class G722LegDecoder implements LegDecoder {
  readonly codec = 'G722';
  readonly sampleRate = 16000;
  readonly clockRate = 8000;
  readonly maxPayload = 1920; // 120 ms
  private readonly dec = new G722Decoder();

  decode(buf: Uint8Array, offset: number, length: number, out: Int16Array): number {
    return this.dec.decode(buf, offset, length, out, 0);
  }

  conceal(): number {
    return 0;
  }

  free(): void {}
}
