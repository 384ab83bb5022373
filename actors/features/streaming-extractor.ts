import { firwinLowpass } from '../dsp/fir-design.js';
import { resample, type ResamplerDesign } from '../dsp/resampler.js';
import { FrameAnalyzer } from './frame-analyzer.js';
import { ROW, type FrontEndGeometry } from './front-end-config.js';
import { voiceActivity } from './voice-activity.js';
import { summariseWindow, type WindowSummary } from './window-summary.js';
import { S, type LegLayout } from '../call-slab.js';

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
 * The per-leg streaming front-end: PCM16 at the leg's rate → resample → framing → frame features → VAD → history →
 * windows. All state is in `st` (a Float64Array laid out by LegLayout) and `hist`; scratch is per thread. Feeding the
 * same audio in chunks of any size gives identical rows and windows.
 */
export class StreamingExtractor {
  private readonly analyzer: FrameAnalyzer;
  private readonly fir: Float64Array;
  private readonly resampled: Float64Array;
  private readonly scaled: Float64Array;
  private readonly f0Scratch: Float64Array;

  constructor(readonly g: FrontEndGeometry, maxChunkModelSamples: number) {
    this.analyzer = new FrameAnalyzer(g);
    this.fir = firwinLowpass(g.firTaps, 0.9 / g.decimation);
    this.resampled = new Float64Array(maxChunkModelSamples + 8);
    this.scaled = new Float64Array(maxChunkModelSamples * 8 + 8);
    this.f0Scratch = new Float64Array(g.windowFrames);
  }

  /** Process `n` PCM16 samples; calls `onWindow` for each window completed. */
  process(design: ResamplerDesign, L: LegLayout, st: Float64Array, hist: Float32Array, pcm: Int16Array, n: number, onWindow: (w: WindowReady) => void): void {
    const scaled = n <= this.scaled.length ? this.scaled : new Float64Array(n);
    for (let i = 0; i < n; i++) scaled[i] = pcm[i] / 32768;
    const rsState = st.subarray(L.resamplerAt, L.frameAt);
    const m = resample(design, rsState, scaled, 0, n, this.resampled, 0);
    st[S.totalIn] += n;
    this.consume(L, st, hist, this.resampled, m, onWindow);
  }

  /** End of stream: emit the last partial window if enough audio is not yet covered by one. */
  finish(L: LegLayout, st: Float64Array, hist: Float32Array, onWindow: (w: WindowReady) => void): void {
    if (st[S.finalized]) return;
    st[S.finalized] = 1;
    const g = this.g;
    const frames = st[S.frames];
    // Only audio no window has covered earns a last window; otherwise it would nearly repeat the previous one.
    if (frames - st[S.lastWindowEnd] >= g.minFinalFrames) {
      const count = Math.min(g.windowFrames, frames);
      this.emitWindow(L, st, hist, frames - count, count, true, onWindow);
    }
  }

  /**
   * Block processing of `m` model-rate samples. Histories are kept linear (oldest first) so each chunk is laid out
   * contiguously after them: the decimating FIR, the frames and the pitch buffers are then plain views, no per-sample
   * ring arithmetic and no per-frame copies.
   */
  private consume(L: LegLayout, st: Float64Array, hist: Float32Array, x: Float64Array, m: number, onWindow: (w: WindowReady) => void): void {
    const g = this.g;
    const N = g.frameLength;
    const D = g.decimation;
    const taps = g.firTaps;
    const P = g.pitchBuffer;
    const total0 = st[S.totalModel];
    const fill = st[S.frameFill];

    // Decimate: ext = [last taps-1 samples | chunk]; outputs at absolute indices divisible by D.
    const ext = this.ensure('ext', taps - 1 + m);
    ext.set(st.subarray(L.firAt, L.firAt + taps - 1), 0);
    ext.set(x.subarray(0, m), taps - 1);
    const pl = this.ensure('pitch', P + Math.ceil(m / D) + 1);
    pl.set(st.subarray(L.pitchAt, L.pitchAt + P), 0);
    const h = this.fir;
    const mid = (taps - 1) >> 1;
    const hMid = h[mid];
    let nd = 0;
    for (let i = (D - (total0 % D)) % D; i < m; i += D) {
      // Linear-phase taps are symmetric: fold the window and halve the multiplies.
      let acc = hMid * ext[i + mid];
      for (let k = 0; k < mid; k++) acc += h[k] * (ext[i + taps - 1 - k] + ext[i + k]);
      pl[P + nd++] = acc;
    }
    const j0 = Math.ceil(total0 / D);

    // Frames: buf = [leftover (starts at the next frame) | chunk].
    const len = fill + m;
    const buf = this.ensure('frames', len);
    buf.set(st.subarray(L.frameAt, L.frameAt + fill), 0);
    buf.set(x.subarray(0, m), fill);
    const base = total0 - fill;
    let s0 = 0;
    for (; s0 + N <= len; s0 += g.hop) {
      const e = base + s0 + N;
      const jl = P + (e / D - 1 - j0);
      this.frame(L, st, hist, buf, s0, pl, jl - P + 1, onWindow);
    }
    st.set(buf.subarray(s0, len), L.frameAt);
    st[S.frameFill] = len - s0;
    st.set(ext.subarray(m, m + taps - 1), L.firAt);
    st.set(pl.subarray(nd, nd + P), L.pitchAt);
    st[S.totalModel] = total0 + m;
  }

  private readonly scratch = new Map<string, Float64Array>();
  /** Per-thread scratch of at least `n` values, grown on demand (steady state: no allocation). */
  private ensure(name: string, n: number): Float64Array {
    let a = this.scratch.get(name);
    if (!a || a.length < n) {
      a = new Float64Array(Math.max(n, 1024));
      this.scratch.set(name, a);
    }
    return a;
  }

  private frame(L: LegLayout, st: Float64Array, hist: Float32Array, frames: Float64Array, frameAt: number, pitch: Float64Array, pitchAt: number, onWindow: (w: WindowReady) => void): void {
    const g = this.g;
    const f = st[S.frames];
    const rowOffset = (f % L.historyRows) * g.rowStride;
    this.analyzer.analyze(frames, frameAt, pitch, pitchAt, st, L.prevMagAt, hist, rowOffset);
    hist[rowOffset + ROW.vad] = voiceActivity(hist[rowOffset + ROW.dbfs], st, S.vadFloor, S.vadHang);
    const count = f + 1;
    st[S.frames] = count;
    if (count >= g.windowFrames && (count - g.windowFrames) % g.windowHopFrames === 0) {
      this.emitWindow(L, st, hist, count - g.windowFrames, g.windowFrames, false, onWindow);
    }
  }

  private emitWindow(L: LegLayout, st: Float64Array, hist: Float32Array, start: number, count: number, partial: boolean, onWindow: (w: WindowReady) => void): void {
    const g = this.g;
    const index = st[S.windows];
    st[S.windows] = index + 1;
    st[S.lastWindowEnd] = start + count;
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
