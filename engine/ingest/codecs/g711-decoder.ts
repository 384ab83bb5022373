import { ALAW_TO_PCM, ULAW_TO_PCM } from '../../../actors/dsp/g711.js';
import type { LegDecoder } from './leg-decoder.js';

/**
 * G.711 (PCMU or PCMA): one octet per 8 kHz sample through a 256-entry table. Stateless; loss is filled with silence.
 */
export class G711Decoder implements LegDecoder {
  readonly sampleRate = 8000;
  readonly clockRate = 8000;
  readonly maxPayload = 960; // 120 ms
  private readonly table: Int16Array;

  constructor(readonly codec: 'PCMU' | 'PCMA') {
    this.table = codec === 'PCMA' ? ALAW_TO_PCM : ULAW_TO_PCM;
  }

  decode(buf: Uint8Array, offset: number, length: number, out: Int16Array): number {
    const table = this.table;
    for (let i = 0; i < length; i++) out[i] = table[buf[offset + i]];
    return length;
  }

  conceal(): number {
    return 0;
  }

  free(): void {}
}
