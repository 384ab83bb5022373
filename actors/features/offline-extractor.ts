import { LegStateSlot, initLegState, layoutLegs, resamplerFor } from '../call-slab.js';
import { frontEndGeometry, type FrontEndConfig, type FrontEndGeometry } from './front-end-config.js';
import { StreamingExtractor, type WindowReady } from './streaming-extractor.js';

/** Result of running the streaming front-end over a whole signal in one thread. */
export interface OfflineFeatures {
  geometry: FrontEndGeometry;
  /** One row per frame (see ROW for the layout), copied out of the history ring. */
  rows: Float32Array[];
  windows: WindowReady[];
  /** Frames that took the all-zero shortcut. */
  silentFrames: number;
}

/**
 * Run the exact streaming front-end the actors run (same extractor, same state layout) over a signal, fed in chunks of
 * `chunk` samples, outside the pool. For tests, training and evaluation: one code path, not a copy. With `keepRows`
 * false only the windows are returned (what the actors keep), e.g. for benchmarks.
 */
export function extractOffline(
  pcm: Int16Array,
  inputRate: number,
  cfg: FrontEndConfig,
  chunk = 1600,
  keepRows = true,
  silenceShortcut = true,
): OfflineFeatures {
  const g = frontEndGeometry(cfg);
  const maxChunk = Math.max(1, chunk);
  const { legs } = layoutLegs(g, [inputRate], maxChunk);
  const L = legs[0];
  const st = new Float64Array(L.stateLength);
  initLegState(st);
  const hist = new Float32Array(L.historyRows * g.rowStride);
  const design = resamplerFor(inputRate, g.cfg.sampleRate);
  const ex = new StreamingExtractor(g, Math.ceil((maxChunk * g.cfg.sampleRate) / inputRate) + 2, null, silenceShortcut);
  const rows: Float32Array[] = [];
  const windows: WindowReady[] = [];
  const onWindow = (w: WindowReady) => windows.push(w);
  let copied = 0;
  const collect = () => {
    if (!keepRows) return;
    const frames = st[LegStateSlot.frames];
    for (; copied < frames; copied++) {
      const off = (copied % L.historyRows) * g.rowStride;
      rows.push(hist.slice(off, off + g.rowStride));
    }
  };
  for (let off = 0; off < pcm.length; off += maxChunk) {
    const n = Math.min(maxChunk, pcm.length - off);
    ex.process(design, L, st, hist, pcm.subarray(off, off + n), n, onWindow);
    collect();
  }
  ex.finish(L, st, hist, onWindow);
  return { geometry: g, rows, windows, silentFrames: ex.silentFrames };
}
