import { readFileSync } from 'node:fs';
import { DEFAULT_FRONT_END } from '../../actors/features/front-end-config.js';
import { extractOffline } from '../../actors/features/offline-extractor.js';
import { parseWav } from '../../engine/media/wav-reader.js';
import type { WindowInputSpec } from '../../models/runtime/window-features.js';
import { assembleWindow } from '../../models/runtime/window-features.js';

/** The model inputs of every window of a WAV file, through the engine's front-end and window assembly. */
export function wavWindowInputs(path: string, spec: WindowInputSpec): Float32Array[] {
  const wav = parseWav(new Uint8Array(readFileSync(path)));
  const { rows, windows, geometry } = extractOffline(wav.channels[0], wav.sampleRate, DEFAULT_FRONT_END);
  return windows.map((w) => assembleWindow(rows, w.startFrame, w.frames, geometry, spec));
}
