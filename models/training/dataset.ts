import { extractOffline } from '../../actors/features/offline-extractor.js';
import type { FrontEndConfig, FrontEndGeometry } from '../../actors/features/front-end-config.js';
import { assembleWindow, wrapPad, standardise, type WindowInputSpec } from '../runtime/window-features.js';
import { augmentClip } from './augment.js';
import type { Clip } from './clip.js';
import { Prng } from './prng.js';

/**
 * Feature rows of every clip, clean and in `copies` augmented renditions, computed once with the engine's streaming
 * front-end (extractOffline). Training windows are then cut from them with assembleWindow, the runtime's own function.
 */

export interface RowsCopy {
  /** Packed feature rows (frames × rowStride). */
  rows: Float32Array;
  frames: number;
}

export interface ClipRows {
  clip: Omit<Clip, 'pcm'>;
  /** copies[0] is the clean clip, the rest augmented. */
  copies: RowsCopy[];
}

function extractRows(pcm: Int16Array, rate: number, cfg: FrontEndConfig): RowsCopy {
  const { rows, geometry } = extractOffline(pcm, rate, cfg);
  const packed = new Float32Array(rows.length * geometry.rowStride);
  rows.forEach((r, i) => packed.set(r, i * geometry.rowStride));
  return { rows: packed, frames: rows.length };
}

/** Extract clean + `copies` augmented feature rows per clip; deterministic in `seed`. */
export function buildRows(clips: readonly Clip[], cfg: FrontEndConfig, copies: number, seed: number): ClipRows[] {
  const out: ClipRows[] = [];
  for (const c of clips) {
    // One sub-stream per clip (seeded by seed and file name) so a clip's renditions do not depend on the clip order.
    let h = seed >>> 0;
    for (const ch of c.file) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
    const rng = new Prng(h);
    const list: RowsCopy[] = [extractRows(c.pcm, c.sampleRate, cfg)];
    for (let k = 0; k < copies; k++)
      list.push(extractRows(augmentClip(c.pcm, c.sampleRate, rng).pcm, c.sampleRate, cfg));
    const { pcm: _pcm, ...meta } = c;
    out.push({ clip: meta, copies: list });
  }
  return out;
}

/** Raw (un-standardised) input of frames [start, start+frames) of a copy, written into dst (window.frames × F). */
export function rawWindow(
  copy: RowsCopy,
  start: number,
  frames: number,
  g: FrontEndGeometry,
  spec: WindowInputSpec,
  dst: Float32Array,
): number {
  const n = Math.min(frames, spec.window.frames);
  assembleWindow({ history: copy.rows, historyRows: copy.frames }, start, n, g, spec, dst, {
    normalise: false,
    pad: false,
  });
  return n;
}

/** Per-column mean/std over every frame of the given copies (raw features). */
export function featureStats(
  items: readonly RowsCopy[],
  g: FrontEndGeometry,
  spec: WindowInputSpec,
): { mean: number[]; std: number[] } {
  const F = spec.input.featureCount;
  const sum = new Float64Array(F);
  const sq = new Float64Array(F);
  let n = 0;
  const buf = new Float32Array(spec.window.frames * F);
  for (const c of items) {
    for (let start = 0; start < c.frames; start += spec.window.frames) {
      const m = rawWindow(c, start, Math.min(spec.window.frames, c.frames - start), g, spec, buf);
      for (let i = 0; i < m * F; i++) {
        const j = i % F;
        sum[j] += buf[i];
        sq[j] += buf[i] * buf[i];
      }
      n += m;
    }
  }
  const mean = Array.from(sum, (s) => s / n);
  const std = Array.from(sq, (s, j) => Math.max(1e-3, Math.sqrt(Math.max(0, s / n - mean[j] * mean[j]))));
  return { mean, std };
}

/**
 * One model input from a copy: a crop of `frames` frames at `start` (clamped to the copy), standardised and
 * wrap-padded exactly as the runtime does. Returns dst.
 */
export function modelWindow(
  copy: RowsCopy,
  start: number,
  frames: number,
  g: FrontEndGeometry,
  spec: WindowInputSpec,
  dst: Float32Array,
): Float32Array {
  const n = Math.max(1, Math.min(frames, copy.frames - start));
  return assembleWindow({ history: copy.rows, historyRows: copy.frames }, start, n, g, spec, dst);
}

export { standardise, wrapPad };
