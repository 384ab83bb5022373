import type { IngestCounters } from '../ingest-counters.js';
import type { CodecParams } from './audio-codec.js';
import { AmrDecoder, loadAmrModule } from './amr-decoder.js';
import { G711Decoder } from './g711-decoder.js';
import { G722LegDecoder } from './g722-leg-decoder.js';
import type { LegDecoder } from './leg-decoder.js';
import { OpusLegDecoder } from './opus-decoder.js';

// Makes each leg's decoder for its negotiated codec; the decoders themselves implement leg-decoder.ts.

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
