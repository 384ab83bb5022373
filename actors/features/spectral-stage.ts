import type { FrontEndGeometry } from './front-end-config.js';
import { MeydaSpectral } from './meyda-spectral.js';

/** The spectral stage of a frame (FrameAnalyzer.spectral's contract): centroid, flux, log-mel and MFCC into the row. */
export interface SpectralStage {
  spectral(
    frame: Float64Array,
    at: number,
    prevMag: Float64Array,
    prevMagOffset: number,
    row: Float32Array,
    rowOffset: number,
  ): void;
}

/** engine.spectralStage: 'callguard' is the front-end's own stage, 'meyda' the load test's comparison. */
export type SpectralStageName = 'callguard' | 'meyda';

/** The stage to plug into the front-end; null means FrameAnalyzer's own (the default, no indirection). */
export function createSpectralStage(name: SpectralStageName, g: FrontEndGeometry): SpectralStage | null {
  if (name === 'meyda') return new MeydaSpectral(g);
  if (name === 'callguard') return null;
  throw new RangeError(`unknown spectral stage "${String(name)}" (callguard or meyda)`);
}
