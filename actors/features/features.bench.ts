/**
 * npm run bench:features — streaming feature extraction per frame and as CPU per second of audio, side by side with
 * meyda's MFCC on the same frames (the reference peer), in one run. Prints a table and one JSON line.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Meyda from 'meyda';
import { parseWav } from '../../engine/media/wav-reader.js';
import { emodbDir } from '../../test/support/repo-paths.js';
import { FrameAnalyzer } from './frame-analyzer.js';
import { DEFAULT_FRONT_END, frontEndGeometry } from './front-end-config.js';
import { extractOffline } from './offline-extractor.js';

const files = readdirSync(emodbDir)
  .filter((f) => f.endsWith('.wav'))
  .sort()
  .slice(0, 30);
const parts = files.map((f) => parseWav(readFileSync(join(emodbDir, f))).channels[0]);
const pcm = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
parts.reduce((off, p) => (pcm.set(p, off), off + p.length), 0);
const seconds = pcm.length / 8000;
const g = frontEndGeometry(DEFAULT_FRONT_END);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

function time(fn: () => void, reps: number): number {
  fn(); // warm-up (JIT)
  const t: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = process.hrtime.bigint();
    fn();
    t.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return median(t);
}

// Ours: the full streaming front-end (PCM scaling (8 kHz input needs no resampling), framing, FFT, 40 mel, 13 MFCC,
// level, ZCR, centroid, flux, YIN, VAD, window summaries), fed in 20 ms chunks (one RTP packet each: the worst case)
// and in 100 ms chunks (what the engine's actors take per step: engine.minChunkSeconds).
const frames = Math.floor((pcm.length - g.frameLength) / g.hop) + 1;
const oursMs = time(() => {
  extractOffline(pcm, 8000, DEFAULT_FRONT_END, 160, false);
}, 7);
const ours100Ms = time(() => {
  extractOffline(pcm, 8000, DEFAULT_FRONT_END, 800, false);
}, 7);

// meyda: MFCC (13 of 40 mel bands, Hann) on exactly the same 25 ms frames, zero-padded to its power-of-two buffer.
const M = Meyda as unknown as {
  bufferSize: number;
  sampleRate: number;
  melBands: number;
  numberOfMFCCCoefficients: number;
  windowingFunction: string;
  extract: (f: string, s: Float32Array) => unknown;
};
M.bufferSize = g.fftSize;
M.sampleRate = 8000;
M.melBands = 40;
M.numberOfMFCCCoefficients = 13;
M.windowingFunction = 'hanning';
const meydaFrames: Float32Array[] = [];
for (let s = 0; s + g.frameLength <= pcm.length; s += g.hop) {
  const f = new Float32Array(g.fftSize);
  for (let i = 0; i < g.frameLength; i++) f[i] = pcm[s + i] / 32768;
  meydaFrames.push(f);
}
const meydaMs = time(() => {
  for (const f of meydaFrames) M.extract('mfcc', f);
}, 3);

// Like for like: our MFCC stage alone (pre-emphasis, window, FFT, 40 mel, log, DCT; plus centroid and flux) on the same
// frames.
const analyzer = new FrameAnalyzer(g);
const frames64 = meydaFrames.map((f) => Float64Array.from(f.subarray(0, g.frameLength)));
const prevMag = new Float64Array(g.bins);
const row = new Float32Array(g.rowStride);
const mfccMs = time(() => {
  for (const f of frames64) analyzer.spectral(f, 0, prevMag, 0, row, 0);
}, 7);

const oursUs = (oursMs * 1000) / frames;
const mfccUs = (mfccMs * 1000) / frames64.length;
const meydaUs = (meydaMs * 1000) / meydaFrames.length;
const line = (name: string, usPerFrame: number, msPerSec: number) =>
  `${name.padEnd(44)} ${usPerFrame.toFixed(2).padStart(9)} µs/frame ${msPerSec.toFixed(3).padStart(9)} ms CPU ` +
  `per audio-second ${(1000 / msPerSec).toFixed(0).padStart(7)}× real time`;
console.log(
  `audio: ${files.length} Emo-DB clips, ${seconds.toFixed(1)} s at 8 kHz, ${frames} frames (25 ms / 10 ms hop); ` +
    `node ${process.version}`,
);
console.log(line('callguard MFCC stage (same work as meyda)', mfccUs, (mfccMs * 1000) / frames64.length / 10));
console.log(line('meyda 5.6.3 mfcc (reference)', meydaUs, meydaMs / seconds));
console.log(line('callguard full front-end, 20 ms chunks', oursUs, oursMs / seconds));
console.log(line('callguard full front-end, 100 ms chunks', (ours100Ms * 1000) / frames, ours100Ms / seconds));
console.log(`MFCC like for like: ${(meydaUs / mfccUs).toFixed(1)}× faster than meyda per frame (target ≥ 10×)`);
console.log(
  `full front-end (MFCC + pitch + level + ZCR + VAD + windows): ${(meydaUs / oursUs).toFixed(1)}× meyda's MFCC ` +
    `alone; ${(oursMs / seconds).toFixed(3)} ms CPU per leg-second in 20 ms ` +
    `chunks, ${(ours100Ms / seconds).toFixed(3)} ms in 100 ms chunks (target < 1 ms)`,
);
console.log(
  JSON.stringify({
    bench: 'features',
    frames,
    audioSeconds: seconds,
    mfccUsPerFrame: mfccUs,
    meydaUsPerFrame: meydaUs,
    fullUsPerFrame: oursUs,
    mfccSpeedup: meydaUs / mfccUs,
    fullSpeedup: meydaUs / oursUs,
    fullMsPerAudioSecond: oursMs / seconds,
    full100MsChunksMsPerAudioSecond: ours100Ms / seconds,
  }),
);
