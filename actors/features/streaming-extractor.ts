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
  private readonly pitchLinear: Float64Array;
  private readonly f0Scratch: Float64Array;

  constructor(readonly g: FrontEndGeometry, maxChunkModelSamples: number) {
    this.analyzer = new FrameAnalyzer(g);
    this.fir = firwinLowpass(g.firTaps, 0.9 / g.decimation);
    this.resampled = new Float64Array(maxChunkModelSamples + 8);
    this.scaled = new Float64Array(maxChunkModelSamples * 8 + 8);
    this.pitchLinear = new Float64Array(g.pitchBuffer);
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
    const uncovered = st[S.windows] === 0 || frames > st[S.lastWindowEnd];
    if (uncovered && frames >= g.minFinalFrames) {
      const count = Math.min(g.windowFrames, frames);
      this.emitWindow(L, st, hist, frames - count, count, true, onWindow);
    }
  }

  private consume(L: LegLayout, st: Float64Array, hist: Float32Array, x: Float64Array, m: number, onWindow: (w: WindowReady) => void): void {
    const g = this.g;
    const N = g.frameLength;
    const D = g.decimation;
    const taps = g.firTaps;
    const P = g.pitchBuffer;
    const fir = this.fir;
    const frame = st.subarray(L.frameAt, L.frameAt + N);
    const firAt = L.firAt;
    const pitchAt = L.pitchAt;
    let fill = st[S.frameFill];
    let total = st[S.totalModel];
    let fw = st[S.firWrite];
    let pw = st[S.pitchWrite];
    for (let i = 0; i < m; i++) {
      const v = x[i];
      frame[fill++] = v;
      st[firAt + fw] = v;
      fw = fw + 1 === taps ? 0 : fw + 1;
      if (total % D === 0) {
        // Causal decimating FIR: d[j] = Σ h[k]·x[Dj − k], newest sample first.
        let acc = 0;
        let idx = fw;
        for (let k = 0; k < taps; k++) {
          idx = idx === 0 ? taps - 1 : idx - 1;
          acc += fir[k] * st[firAt + idx];
        }
        st[pitchAt + pw] = acc;
        pw = pw + 1 === P ? 0 : pw + 1;
      }
      total++;
      if (fill === N) {
        st[S.pitchWrite] = pw;
        this.frame(L, st, hist, frame, onWindow);
        frame.copyWithin(0, g.hop, N);
        fill = N - g.hop;
      }
    }
    st[S.frameFill] = fill;
    st[S.totalModel] = total;
    st[S.firWrite] = fw;
    st[S.pitchWrite] = pw;
  }

  private frame(L: LegLayout, st: Float64Array, hist: Float32Array, frame: Float64Array, onWindow: (w: WindowReady) => void): void {
    const g = this.g;
    const P = g.pitchBuffer;
    const pw = st[S.pitchWrite];
    const lin = this.pitchLinear;
    for (let i = 0; i < P; i++) {
      const j = pw + i;
      lin[i] = st[L.pitchAt + (j >= P ? j - P : j)];
    }
    const f = st[S.frames];
    const rowOffset = (f % L.historyRows) * g.rowStride;
    this.analyzer.analyze(frame, lin, st, L.prevMagAt, hist, rowOffset);
    hist[rowOffset + ROW.vad] = voiceActivity(hist[rowOffset + ROW.dbfs], st, S.vadFloor, S.vadHang);
    const frames = f + 1;
    st[S.frames] = frames;
    if (frames >= g.windowFrames && (frames - g.windowFrames) % g.windowHopFrames === 0) {
      this.emitWindow(L, st, hist, frames - g.windowFrames, g.windowFrames, false, onWindow);
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
