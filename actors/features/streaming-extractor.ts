import { firwinLowpass } from '../dsp/fir-design.js';
import { resample, type ResamplerDesign } from '../dsp/resampler.js';
import { FrameAnalyzer } from './frame-analyzer.js';
import type { SpectralStage } from './spectral-stage.js';
import { ROW, type FrontEndGeometry } from './front-end-config.js';
import { voiceActivity } from './voice-activity.js';
import { summariseWindow, type WindowSummary } from './window-summary.js';
import { LegStateSlot, type LegLayout } from '../call-slab.js';

/** A completed analysis window of one leg, as the extractor reports it. */
export interface WindowReady {
  /** Window number within the leg, from 0; unique and increasing (the supervisor de-duplicates on it). */
  index: number;
  startFrame: number;
  frames: number;
  partial: boolean;
  /** Seconds from the start of the leg's audio. */
  tStart: number;
  tEnd: number;
  summary: WindowSummary;
}

/**
 * The per-leg streaming front-end: PCM16 at the leg's rate → resample → framing → frame features → VAD →
 * history → windows. All state is in `st` (a Float64Array laid out by LegLayout) and `hist`; scratch is per thread.
 * Feeding the same audio in chunks of any size gives identical rows and windows.
 */
export class StreamingExtractor {
  private readonly analyzer: FrameAnalyzer;
  private readonly fir: Float64Array;
  private readonly resampled: Float64Array;
  private readonly scaled: Float64Array;
  private readonly f0Scratch: Float64Array;

  /** `silenceShortcut`: see FrameAnalyzer (false only to prove it changes nothing). */
  constructor(
    readonly g: FrontEndGeometry,
    maxChunkModelSamples: number,
    spectralStage: SpectralStage | null = null,
    silenceShortcut = true,
  ) {
    this.analyzer = new FrameAnalyzer(g, spectralStage, silenceShortcut);
    this.fir = firwinLowpass(g.firTaps, 0.9 / g.decimation);
    this.resampled = new Float64Array(maxChunkModelSamples + 8);
    this.scaled = new Float64Array(maxChunkModelSamples * 8 + 8);
    this.f0Scratch = new Float64Array(g.windowFrames);
  }

  /** Process `n` PCM16 samples; calls `onWindow` for each window completed. */
  process(
    design: ResamplerDesign,
    L: LegLayout,
    st: Float64Array,
    hist: Float32Array,
    pcm: Int16Array,
    n: number,
    onWindow: (w: WindowReady) => void,
  ): void {
    st[LegStateSlot.totalIn] += n;
    // Same rate: scale straight into the model-rate buffer rather than through the identity resampler.
    const same = design.up === 1 && design.down === 1;
    const target = same ? this.resampled : this.scaled;
    const x = n <= target.length ? target : new Float64Array(n);
    for (let i = 0; i < n; i++) x[i] = pcm[i] / 32768;
    if (same) return this.consume(L, st, hist, x, n, onWindow);
    const m = resample(design, st.subarray(L.resamplerAt, L.frameAt), x, 0, n, this.resampled, 0);
    this.consume(L, st, hist, this.resampled, m, onWindow);
  }

  /** All-zero frames this extractor analysed through the shortcut (see FrameAnalyzer). */
  get silentFrames(): number {
    return this.analyzer.silentFrames;
  }

  /** End of stream: emit a last (partial, or off-grid full-length) window if enough audio is not yet covered by one. */
  finish(L: LegLayout, st: Float64Array, hist: Float32Array, onWindow: (w: WindowReady) => void): void {
    if (st[LegStateSlot.finalized]) return;
    st[LegStateSlot.finalized] = 1;
    const g = this.g;
    const frames = st[LegStateSlot.frames];
    // Only audio no window has covered earns a last window; otherwise it would nearly repeat the previous one. A leg
    // that had full windows gets one over its last windowFrames once half a hop is uncovered (its last second is
    // scored too); a leg too short for a full window needs minFinalFrames.
    const need = frames >= g.windowFrames ? Math.max(1, Math.ceil(g.windowHopFrames / 2)) : g.minFinalFrames;
    if (frames - st[LegStateSlot.lastWindowEnd] >= need) {
      const count = Math.min(g.windowFrames, frames);
      this.emitWindow(L, st, hist, frames - count, count, true, onWindow);
    }
  }

  /**
   * Block processing of `m` model-rate samples. Histories are kept linear (oldest first) so each chunk is laid out
   * contiguously after them: the decimating FIR, the frames and the pitch buffers are then plain views, no per-sample
   * ring arithmetic and no per-frame copies.
   */
  private consume(
    L: LegLayout,
    st: Float64Array,
    hist: Float32Array,
    x: Float64Array,
    m: number,
    onWindow: (w: WindowReady) => void,
  ): void {
    const g = this.g;
    // Indices are coerced to int32 (`| 0`): values read from Float64Array state are doubles, and double-typed loop
    // indices make V8 convert on every element access.
    const N = g.frameLength | 0;
    const hop = g.hop | 0;
    const D = g.decimation | 0;
    const taps = g.firTaps | 0;
    const P = g.pitchBuffer | 0;
    const total0 = st[LegStateSlot.totalModel];
    const fill = st[LegStateSlot.frameFill] | 0;

    // Decimate: ext = [last taps-1 samples | chunk]; outputs at absolute indices divisible by D.
    const ext = (this.ext = grown(this.ext, taps - 1 + m));
    copy(st, L.firAt, ext, 0, taps - 1);
    copy(x, 0, ext, taps - 1, m);
    const pl = (this.pitchLine = grown(this.pitchLine, P + Math.ceil(m / D) + 1));
    copy(st, L.pitchAt, pl, 0, P);
    const h = this.fir;
    const mid = (taps - 1) >> 1;
    const hMid = h[mid];
    let nd = 0;
    for (let i = ((D - (total0 % D)) % D) | 0; i < m; i += D) {
      // Linear-phase taps are symmetric: fold the window and halve the multiplies. Four accumulators: one chain of
      // dependent adds would leave the CPU waiting on each add's latency.
      let a0 = hMid * ext[i + mid];
      let a1 = 0;
      let a2 = 0;
      let a3 = 0;
      const r = i + taps - 1;
      let k = 0;
      for (; k + 3 < mid; k += 4) {
        a0 += h[k] * (ext[r - k] + ext[i + k]);
        a1 += h[k + 1] * (ext[r - k - 1] + ext[i + k + 1]);
        a2 += h[k + 2] * (ext[r - k - 2] + ext[i + k + 2]);
        a3 += h[k + 3] * (ext[r - k - 3] + ext[i + k + 3]);
      }
      for (; k < mid; k++) a0 += h[k] * (ext[r - k] + ext[i + k]);
      pl[P + nd++] = a0 + a1 + (a2 + a3);
    }
    const j0 = Math.ceil(total0 / D);

    // Frames: buf = [leftover (starts at the next frame) | chunk].
    const len = fill + m;
    const buf = (this.frameLine = grown(this.frameLine, len));
    copy(st, L.frameAt, buf, 0, fill);
    copy(x, 0, buf, fill, m);
    const base = total0 - fill;
    let s0 = 0;
    for (; s0 + N <= len; s0 += hop) {
      // The frame ending (exclusive) at absolute sample e has its P-sample pitch buffer end at decimated sample
      // e / D - 1, which sits at pl[P + e / D - 1 - j0]: the buffer starts at pl[e / D - j0].
      const e = base + s0 + N;
      this.frame(L, st, hist, buf, s0, pl, (e / D - j0) | 0, onWindow);
    }
    copy(buf, s0, st, L.frameAt, len - s0);
    st[LegStateSlot.frameFill] = len - s0;
    copy(ext, m, st, L.firAt, taps - 1);
    copy(pl, nd, st, L.pitchAt, P);
    st[LegStateSlot.totalModel] = total0 + m;
  }

  // Per-thread scratch lines, grown on demand (steady state: no allocation).
  private ext: Float64Array = new Float64Array(1024);
  private pitchLine: Float64Array = new Float64Array(1024);
  private frameLine: Float64Array = new Float64Array(1024);

  private frame(
    L: LegLayout,
    st: Float64Array,
    hist: Float32Array,
    frames: Float64Array,
    frameAt: number,
    pitch: Float64Array,
    pitchAt: number,
    onWindow: (w: WindowReady) => void,
  ): void {
    const g = this.g;
    const f = st[LegStateSlot.frames] | 0;
    const rowOffset = (f % L.historyRows) * g.rowStride;
    this.analyzer.analyze(frames, frameAt, pitch, pitchAt, f, st, L.prevMagAt, L.yinCacheAt, hist, rowOffset);
    hist[rowOffset + ROW.vad] = voiceActivity(
      hist[rowOffset + ROW.dbfs],
      st,
      LegStateSlot.vadFloor,
      LegStateSlot.vadHang,
    );
    const count = f + 1;
    st[LegStateSlot.frames] = count;
    if (count >= g.windowFrames && (count - g.windowFrames) % g.windowHopFrames === 0) {
      this.emitWindow(L, st, hist, count - g.windowFrames, g.windowFrames, false, onWindow);
    }
  }

  private emitWindow(
    L: LegLayout,
    st: Float64Array,
    hist: Float32Array,
    start: number,
    count: number,
    partial: boolean,
    onWindow: (w: WindowReady) => void,
  ): void {
    const g = this.g;
    const index = st[LegStateSlot.windows];
    st[LegStateSlot.windows] = index + 1;
    st[LegStateSlot.lastWindowEnd] = start + count;
    const sr = g.cfg.sampleRate;
    onWindow({
      index,
      startFrame: start,
      frames: count,
      partial,
      tStart: (start * g.hop) / sr,
      tEnd: ((start + count - 1) * g.hop + g.frameLength) / sr,
      summary: summariseWindow(g, hist, L.historyRows, start, count, this.f0Scratch),
    });
  }
}

function grown(a: Float64Array, n: number): Float64Array {
  return a.length >= n ? a : new Float64Array(Math.max(n, 2 * a.length));
}

/** Short runs as a loop (a typed-array view costs more than copying a few values), long ones natively. */
function copy(from: Float64Array, fromAt: number, to: Float64Array, toAt: number, n: number): void {
  if (n >= 64) {
    to.set(from.subarray(fromAt, fromAt + n), toAt);
    return;
  }
  for (let i = 0; i < n; i++) to[toAt + i] = from[fromAt + i];
}
