import FFT from 'fft.js';
import { DctII } from '../dsp/dct.js';
import { MelFilterbank } from '../dsp/mel-filterbank.js';
import { makeWindow } from '../dsp/window-functions.js';
import { yinLagCount, yinStreaming, type YinResult } from '../dsp/yin-pitch.js';
import { PITCH_RATE, ROW, type FrontEndGeometry } from './front-end-config.js';
import type { SpectralStage } from './spectral-stage.js';

const LOG_FLOOR = 1e-10;

/**
 * Computes one feature row from one raw frame: level, zero crossings, spectrum (pre-emphasis, window, real FFT),
 * centroid, flux, log-mel, MFCC and YIN pitch. Owns only scratch memory (one per worker thread, shared by every
 * call that thread serves); all streaming state is passed in, so the analyzer itself is stateless between frames.
 */
export class FrameAnalyzer {
  private readonly fft: FFT;
  private readonly window: Float64Array;
  private readonly mel: MelFilterbank;
  private readonly dct: DctII;
  private readonly fftIn: Float64Array;
  private readonly fftOut: number[];
  private readonly power: Float64Array;
  private readonly melOut: Float64Array;
  private readonly diff: Float64Array;
  private readonly cmnd: Float64Array;
  private readonly pitch: YinResult = { period: 0, aperiodicity: 1, periodic: false };
  /** Frames that took the all-zero shortcut (diagnostics; the test proving the shortcut checks it fires). */
  silentFrames = 0;
  /** Log-mel and MFCC of an all-zero frame, computed once by the same code as any other frame. */
  private readonly silentMel: Float64Array;
  private readonly silentMfcc: Float64Array;

  /**
   * `spectralStage`: another implementation of spectral() (the load test's meyda comparison); null: this one.
   * `silenceShortcut`: all-zero frames (DTX/comfort noise, hold, a late leg's padding, a party listening in digital
   * silence) skip the FFT and filterbank; their row is bit-identical either way (false only for the test proving it).
   */
  constructor(
    readonly g: FrontEndGeometry,
    private readonly spectralStage: SpectralStage | null = null,
    private readonly silenceShortcut = true,
  ) {
    const c = g.cfg;
    this.fft = new FFT(g.fftSize);
    this.window = makeWindow(c.window, g.frameLength);
    this.mel = new MelFilterbank({
      sampleRate: c.sampleRate,
      fftSize: g.fftSize,
      melBands: c.melBands,
      fmin: c.fminHz,
      fmax: g.fmaxHz,
      scale: c.melScale,
      norm: c.melNorm,
    });
    this.dct = new DctII(c.melBands, c.mfccCount);
    this.fftIn = new Float64Array(g.fftSize);
    this.fftOut = this.fft.createComplexArray() as number[];
    this.power = new Float64Array(g.bins);
    this.melOut = new Float64Array(c.melBands);
    this.diff = new Float64Array(yinLagCount(g.yin));
    this.cmnd = new Float64Array(yinLagCount(g.yin));
    this.silentMel = new Float64Array(c.melBands);
    this.mel.apply(new Float64Array(g.bins), this.silentMel, 0);
    for (let m = 0; m < c.melBands; m++) this.silentMel[m] = Math.log(Math.max(this.silentMel[m], LOG_FLOOR));
    this.silentMfcc = new Float64Array(c.mfccCount);
    this.dct.apply(this.silentMel, 0, this.silentMfcc, 0);
  }

  /**
   * Analyse `frame[frameAt..+frameLength)` (raw samples in [-1, 1)), frame number `frameIndex` of its stream, with
   * `pitchBuf[pitchAt..+pitchBuffer)` (the decimated history ending at this frame's end). Reads and updates the leg
   * state `st`: the last frame's magnitude spectrum at `prevMagAt` (for flux) and the YIN block cache at `yinCacheAt`.
   * Writes the row at `row[rowOffset..]`; the VAD slot is left to the caller (it is stateful).
   */
  analyze(
    frame: Float64Array,
    frameAt: number,
    pitchBuf: Float64Array,
    pitchAt: number,
    frameIndex: number,
    st: Float64Array,
    prevMagAt: number,
    yinCacheAt: number,
    row: Float32Array,
    rowOffset: number,
  ): void {
    // int32 offsets: double-typed indices make V8 convert on every element access in the loops below.
    const dbfs = this.levels(frame, frameAt | 0, row, rowOffset | 0);
    if (this.silenceShortcut && !this.spectralStage && row[(rowOffset | 0) + ROW.rms] === 0)
      this.silentSpectral(st, prevMagAt | 0, row, rowOffset | 0);
    else if (this.spectralStage) this.spectralStage.spectral(frame, frameAt | 0, st, prevMagAt | 0, row, rowOffset | 0);
    else this.spectral(frame, frameAt | 0, st, prevMagAt | 0, row, rowOffset | 0);
    this.pitchOf(pitchBuf, pitchAt | 0, frameIndex | 0, st, yinCacheAt | 0, dbfs, row, rowOffset | 0);
  }

  /** Level and zero crossings of the raw frame; returns its dBFS. */
  levels(frame: Float64Array, at: number, row: Float32Array, rowOffset: number): number {
    const N = this.g.frameLength;
    // Two energy accumulators halve the chain of dependent adds.
    let e0 = 0;
    let e1 = 0;
    let crossings = 0;
    let prevPositive = frame[at] >= 0;
    let i = 0;
    for (; i + 1 < N; i += 2) {
      const v0 = frame[at + i];
      const v1 = frame[at + i + 1];
      e0 += v0 * v0;
      e1 += v1 * v1;
      const p0 = v0 >= 0;
      const p1 = v1 >= 0;
      crossings += (p0 !== prevPositive ? 1 : 0) + (p1 !== p0 ? 1 : 0);
      prevPositive = p1;
    }
    for (; i < N; i++) {
      const v = frame[at + i];
      e0 += v * v;
      const p = v >= 0;
      if (p !== prevPositive) crossings++;
      prevPositive = p;
    }
    const energy = e0 + e1;
    const rms = Math.sqrt(energy / N);
    const dbfs = 20 * Math.log10(Math.max(rms, LOG_FLOOR));
    row[rowOffset + ROW.rms] = rms;
    row[rowOffset + ROW.dbfs] = dbfs;
    row[rowOffset + ROW.logEnergy] = Math.log(Math.max(energy, LOG_FLOOR));
    row[rowOffset + ROW.zcr] = crossings / (N - 1);
    return dbfs;
  }

  /** Spectrum stage: pre-emphasis, window, FFT, centroid, flux, log-mel and MFCC (the MFCC pipeline proper). */
  spectral(
    frame: Float64Array,
    at: number,
    prevMag: Float64Array,
    prevMagOffset: number,
    row: Float32Array,
    rowOffset: number,
  ): void {
    const g = this.g;
    const N = g.frameLength;
    // Kaldi-style per-frame pre-emphasis (the first sample against itself), window, zero-pad.
    const pe = g.cfg.preemphasis;
    const w = this.window;
    const x = this.fftIn;
    x[0] = (frame[at] - pe * frame[at]) * w[0];
    for (let i = 1; i < N; i++) x[i] = (frame[at + i] - pe * frame[at + i - 1]) * w[i];
    for (let i = N; i < g.fftSize; i++) x[i] = 0;
    const out = this.fftOut;
    this.fft.realTransform(out, x);

    const binHz = g.cfg.sampleRate / g.fftSize;
    let magSum = 0;
    let weighted = 0;
    let flux = 0;
    for (let k = 0; k < g.bins; k++) {
      const re = out[2 * k];
      const im = out[2 * k + 1];
      const p = re * re + im * im;
      const m = Math.sqrt(p);
      this.power[k] = p;
      magSum += m;
      weighted += k * binHz * m;
      const d = m - prevMag[prevMagOffset + k];
      flux += d * d;
      prevMag[prevMagOffset + k] = m;
    }
    row[rowOffset + ROW.centroid] = magSum > 0 ? weighted / magSum : 0;
    row[rowOffset + ROW.flux] = Math.sqrt(flux);

    const mel = this.melOut;
    this.mel.apply(this.power, mel, 0);
    const melOffset = rowOffset + g.melOffset;
    for (let m = 0; m < mel.length; m++) {
      const v = Math.log(Math.max(mel[m], LOG_FLOOR));
      mel[m] = v;
      row[melOffset + m] = v;
    }
    this.dct.apply(mel, 0, row, rowOffset + g.mfccOffset);
  }

  /**
   * spectral() of an all-zero frame without the transform: its spectrum is exactly zero, so centroid is 0, flux is the
   * norm of the previous spectrum (summed in the same order), and log-mel and MFCC are the precomputed floors.
   */
  private silentSpectral(prevMag: Float64Array, prevMagOffset: number, row: Float32Array, rowOffset: number): void {
    const g = this.g;
    this.silentFrames++;
    let flux = 0;
    for (let k = 0; k < g.bins; k++) {
      const d = 0 - prevMag[prevMagOffset + k];
      flux += d * d;
      prevMag[prevMagOffset + k] = 0;
    }
    row[rowOffset + ROW.centroid] = 0;
    row[rowOffset + ROW.flux] = Math.sqrt(flux);
    const melOffset = rowOffset + g.melOffset;
    for (let m = 0; m < this.silentMel.length; m++) row[melOffset + m] = this.silentMel[m];
    const mfccOffset = rowOffset + g.mfccOffset;
    for (let k = 0; k < this.silentMfcc.length; k++) row[mfccOffset + k] = this.silentMfcc[k];
  }

  /** Pitch stage: YIN on the decimated history, gated by the frame level; block sums are cached in `cache`. */
  pitchOf(
    pitchBuf: Float64Array,
    at: number,
    frameIndex: number,
    cache: Float64Array,
    cacheAt: number,
    dbfs: number,
    row: Float32Array,
    rowOffset: number,
  ): void {
    const g = this.g;
    // A frame at or below the voicing gate can never be voiced: skip YIN (most of a frame's cost) for it.
    if (dbfs <= g.cfg.voicingDbfs) {
      row[rowOffset + ROW.voiced] = 0;
      row[rowOffset + ROW.aperiodicity] = 1;
      row[rowOffset + ROW.f0] = 0;
      return;
    }
    yinStreaming(pitchBuf, at, frameIndex, g.yin, g.yinBlocks, cache, cacheAt, this.diff, this.cmnd, this.pitch);
    const voiced = this.pitch.periodic;
    row[rowOffset + ROW.voiced] = voiced ? 1 : 0;
    row[rowOffset + ROW.aperiodicity] = this.pitch.aperiodicity;
    row[rowOffset + ROW.f0] = voiced ? PITCH_RATE / this.pitch.period : 0;
  }
}
