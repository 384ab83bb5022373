/**
 * Step 2 of the spotter build (`npm run train:spotter`): the clips spoken by synthesise-spotter-data.ts plus real
 * recordings without English keywords, joined into 20 s streams, features from the engine's own streaming front-end
 * (a G.711 µ-law copy and a telephone-augmented copy of each stream), then the network of spotter-architecture.ts
 * trained on windows cut as the actor cuts them, with one sigmoid per keyword class and a masked loss (a phrase cut
 * by the window's edge teaches nothing). Writes models/spotter-en-v1 (model.json, weights.bin, manifest.json).
 * Runs on the wasm backend, one thread: a seed reproduces the run.
 *
 *   node dist/models/spotter/train-spotter.js [--cache DIR] [--out models/spotter-en-v1] [--seed 1] [--steps 6000]
 */
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { ULAW_TO_PCM, linearToUlaw } from '../../actors/dsp/g711.js';
import { extractOffline } from '../../actors/features/offline-extractor.js';
import { DEFAULT_FRONT_END, frontEndGeometry, type FrontEndGeometry } from '../../actors/features/front-end-config.js';
import { selectBackend } from '../runtime/backend.js';
import { manifestFrontEnd, type ModelManifest } from '../runtime/manifest.js';
import { saveModelDir } from '../runtime/model-files.js';
import { assembleWindow, type WindowInputSpec } from '../runtime/window-features.js';
import { augmentClip, changeSpeed } from '../training/augment.js';
import { featureStats, type RowsCopy } from '../training/dataset.js';
import { Prng, withSeededMathRandom } from '../training/prng.js';
import { KEYWORD_CLASSES, KEYWORD_NAMES } from './keywords.js';
import { DEFAULT_SPOTTER_ARCH, buildSpotter } from './spotter-architecture.js';
import { joinStreams, realNegatives, windowLabels, type KeywordSpan, type LabelledClip } from './spotter-data.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export interface StreamRows {
  spans: KeywordSpan[];
  copies: RowsCopy[];
}

/** The spoken clips listed in the cache's clips.json (espeak-ng) and clips-festival.json (festival), when present. */
export function loadSpokenClips(cache: string): LabelledClip[] {
  const lists = ['clips.json', 'clips-festival.json'].filter((f) => existsSync(join(cache, f)));
  const all = lists.flatMap(
    (f) =>
      (
        JSON.parse(readFileSync(join(cache, f), 'utf8')) as {
          clips: Array<{ id: string; voice: string; spans: KeywordSpan[] }>;
        }
      ).clips,
  );
  return all.map((c) => {
    const b = readFileSync(join(cache, `${c.id}.pcm`));
    return {
      id: c.id,
      pcm: new Int16Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)),
      spans: c.spans,
      source: c.voice,
    };
  });
}

function rows(pcm: Int16Array, g: FrontEndGeometry): RowsCopy {
  const { rows: r } = extractOffline(pcm, 8000, g.cfg);
  const packed = new Float32Array(r.length * g.rowStride);
  r.forEach((x, i) => packed.set(x, i * g.rowStride));
  return { rows: packed, frames: r.length };
}

/** A stream through G.711 µ-law (what a call carries), and `augmented` telephone-augmented renditions. */
export function streamRows(s: LabelledClip, g: FrontEndGeometry, augmented: number, rng: Prng): StreamRows {
  const ulaw = new Int16Array(s.pcm.length);
  for (let i = 0; i < ulaw.length; i++) ulaw[i] = ULAW_TO_PCM[linearToUlaw(s.pcm[i])];
  const copies = [rows(ulaw, g)];
  for (let k = 0; k < augmented; k++) copies.push(rows(augmentClip(s.pcm, 8000, rng).pcm, g));
  return { spans: s.spans, copies };
}

export function spotterSpec(g: FrontEndGeometry): WindowInputSpec {
  return {
    window: { frames: g.windowFrames, hopFrames: g.windowHopFrames, minFrames: g.minFinalFrames, padding: 'wrap' },
    // Per-band mean removal: the talker's and the line's spectral tilt out, so other voices look more alike.
    input: {
      layout: 'batch-frames-features',
      features: ['mel'],
      featureCount: g.cfg.melBands,
      levelNorm: 'band-mean',
      mean: [],
      std: [],
    },
  };
}

/** Mann–Whitney AUC of scores for positives vs negatives (0.5 when either is empty). */
export function auc(pos: number[], neg: number[]): number {
  if (!pos.length || !neg.length) return 0.5;
  const all = [...pos.map((s) => [s, 1] as const), ...neg.map((s) => [s, 0] as const)].sort((a, b) => a[0] - b[0]);
  let rankSum = 0;
  for (let i = 0; i < all.length;) {
    let j = i;
    while (j < all.length && all[j][0] === all[i][0]) j++;
    const rank = (i + j + 1) / 2;
    for (let k = i; k < j; k++) if (all[k][1]) rankSum += rank;
    i = j;
  }
  return (rankSum - (pos.length * (pos.length + 1)) / 2) / (pos.length * neg.length);
}

/** Per-class AUC of the model over windows at the actor's hop (labels -1 left out). */
export function evaluateWindows(
  model: tf.LayersModel,
  streams: readonly StreamRows[],
  g: FrontEndGeometry,
  spec: WindowInputSpec,
): { auc: number[]; windows: number; positives: number[] } {
  const K = KEYWORD_NAMES.length;
  const T = spec.window.frames;
  const F = spec.input.featureCount;
  const pos: number[][] = KEYWORD_NAMES.map(() => []);
  const neg: number[][] = KEYWORD_NAMES.map(() => []);
  const lab = new Float32Array(K);
  let windows = 0;
  for (const s of streams) {
    const c = s.copies[0];
    const starts: number[] = [];
    for (let st = 0; st + T <= c.frames; st += spec.window.hopFrames) starts.push(st);
    for (let b = 0; b < starts.length; b += 64) {
      const batch = starts.slice(b, b + 64);
      const x = new Float32Array(batch.length * T * F);
      batch.forEach((st, i) =>
        assembleWindow(
          { history: c.rows, historyRows: c.frames },
          st,
          T,
          g,
          spec,
          x.subarray(i * T * F, (i + 1) * T * F),
        ),
      );
      const p = tf.tidy(() => (model.predict(tf.tensor3d(x, [batch.length, T, F])) as tf.Tensor).dataSync());
      batch.forEach((st, i) => {
        windowLabels(s.spans, st, T, K, lab);
        for (let k = 0; k < K; k++) {
          if (lab[k] === 1) pos[k].push(p[i * K + k]);
          else if (lab[k] === 0) neg[k].push(p[i * K + k]);
        }
      });
      windows += batch.length;
    }
  }
  return { auc: pos.map((p, k) => auc(p, neg[k])), windows, positives: pos.map((p) => p.length) };
}

async function main(argv: string[]): Promise<void> {
  const arg = (name: string, dflt: string) => {
    const i = argv.indexOf(name);
    return i >= 0 && argv[i + 1] ? argv[i + 1] : dflt;
  };
  const cache = resolve(arg('--cache', join(tmpdir(), 'callguard-spotter-tts')));
  const out = resolve(arg('--out', join(repoRoot, 'models', 'spotter-en-v1')));
  const seed = Number(arg('--seed', '1'));
  const steps = Number(arg('--steps', '6000'));
  const batchSize = 64;
  const log = (m: string) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${m}\n`);
  await selectBackend({ prefer: ['wasm'], logger: { info: () => undefined, warn: () => undefined } });
  await withSeededMathRandom(seed, async () => {
    const rng = new Prng(seed);
    const g = frontEndGeometry(DEFAULT_FRONT_END);
    const spoken = loadSpokenClips(cache);
    const real = realNegatives(join(repoRoot, '..', 'shared', 'data'), 3);
    log(
      `${spoken.length} spoken clips (${spoken.filter((c) => c.spans.length).length} with ` +
        `keywords), ${real.length} real recordings`,
    );
    // Half the spoken clips played 12 % slower to 12 % faster (pitch and formants move with it, as between talkers);
    // their spans scale with them.
    const varied = spoken.map((c) => {
      if (rng.next() < 0.5) return c;
      const f = rng.uniform(0.88, 1.12);
      return {
        ...c,
        pcm: changeSpeed(c.pcm, 8000, f),
        spans: c.spans.map((s) => ({ cls: s.cls, start: s.start * f, end: s.end * f })),
      };
    });
    const streams = joinStreams([...varied, ...real], 20, rng);
    const all = streams.map((s) => streamRows(s, g, 1, rng));
    const val = all.filter((_, i) => i % 10 === 0);
    const train = all.filter((_, i) => i % 10 !== 0);
    log(`${streams.length} streams of ~20 s: ${train.length} train, ${val.length} validation`);
    const spec = spotterSpec(g);
    const stats = featureStats(
      train.flatMap((s) => s.copies),
      g,
      spec,
    );
    spec.input.mean = stats.mean;
    spec.input.std = stats.std;
    const K = KEYWORD_NAMES.length;
    const T = spec.window.frames;
    const F = spec.input.featureCount;
    const model = buildSpotter(DEFAULT_SPOTTER_ARCH, T, F, K, seed);
    const optimizer = tf.train.adam(2e-3);
    const lr = optimizer as unknown as { learningRate: number };
    const x = new Float32Array(batchSize * T * F);
    const y = new Float32Array(batchSize * K);
    const win = new Float32Array(T * F);
    const posWeight = 4;
    let lossSum = 0;
    for (let step = 0; step < steps; step++) {
      for (let i = 0; i < batchSize; i++) {
        const s = train[rng.int(train.length)];
        const c = s.copies[rng.int(s.copies.length)];
        let start: number;
        // Half the windows are placed around a keyword (they are rare at random), wholly inside at a random offset.
        const span = s.spans.length && rng.next() < 0.5 ? rng.pick(s.spans) : null;
        if (span && (span.end - span.start) * 100 < T - 4) {
          const lo = Math.max(0, Math.ceil(span.end * 100) - T + 2);
          const hi = Math.min(c.frames - T, Math.floor(span.start * 100) - 2);
          start = hi >= lo ? lo + rng.int(hi - lo + 1) : rng.int(Math.max(1, c.frames - T));
        } else start = rng.int(Math.max(1, c.frames - T));
        assembleWindow({ history: c.rows, historyRows: c.frames }, start, Math.min(T, c.frames - start), g, spec, win);
        // SpecAugment-style masks: a band of up to 5 mel channels, up to 15 frames.
        const fw = rng.int(6);
        const f0 = rng.int(F - fw + 1);
        for (let t = 0; t < T; t++) win.fill(0, t * F + f0, t * F + f0 + fw);
        const tw = rng.int(16);
        const t0 = rng.int(T - tw + 1);
        win.fill(0, t0 * F, (t0 + tw) * F);
        x.set(win, i * T * F);
        windowLabels(s.spans, start, T, K, y, i * K);
      }
      lr.learningRate = 2e-3 * 0.5 * (1 + Math.cos((Math.PI * step) / steps));
      const loss = tf.tidy(() => {
        const xt = tf.tensor3d(x, [batchSize, T, F]);
        const yt = tf.tensor2d(y, [batchSize, K]);
        const mask = tf.cast(tf.greaterEqual(yt, 0), 'float32');
        const target = tf.relu(yt);
        const weight = tf.mul(mask, tf.add(1, tf.mul(target, posWeight - 1)));
        return optimizer
          .minimize(() => {
            const p = tf.clipByValue(model.apply(xt, { training: true }) as tf.Tensor, 1e-6, 1 - 1e-6);
            const bce = tf.neg(tf.add(tf.mul(target, tf.log(p)), tf.mul(tf.sub(1, target), tf.log(tf.sub(1, p)))));
            let l = tf.div(tf.sum(tf.mul(bce, weight)), tf.maximum(tf.sum(weight), 1)) as tf.Scalar;
            for (const layer of model.layers) for (const r of layer.losses ?? []) l = tf.add(l, r());
            return l;
          }, true)!
          .dataSync()[0];
      });
      lossSum += loss;
      if ((step + 1) % 250 === 0) {
        log(`step ${step + 1}/${steps} loss ${(lossSum / 250).toFixed(4)}`);
        lossSum = 0;
      }
    }
    const ev = evaluateWindows(model, val, g, spec);
    const meanAuc = ev.auc.reduce((a, b) => a + b, 0) / K;
    log(
      `validation (${ev.windows} windows): mean ` +
        `AUC ${meanAuc.toFixed(3)}; ` +
        `${KEYWORD_NAMES.map((n, k) => `${n} ${ev.auc[k].toFixed(3)} (${ev.positives[k]})`).join(', ')}`,
    );
    const manifest: ModelManifest = {
      format: 'callguard-model/1',
      name: 'spotter-en-v1',
      task: 'keywords',
      createdAt: new Date().toISOString(),
      frontEnd: manifestFrontEnd(g.cfg),
      window: spec.window,
      input: spec.input,
      labels: [...KEYWORD_NAMES],
      highArousalNegative: [],
      keywordCategories: KEYWORD_CLASSES.map((k) => k.category),
      architecture: { ...DEFAULT_SPOTTER_ARCH, parameters: model.countParams() },
      training: {
        speedPerturbation: 'half the spoken clips x0.88-1.12 (resampled)',
        steps,
        batchSize,
        optimizer: 'adam 2e-3, cosine decay',
        posWeight,
        loss: 'masked binary cross-entropy',
        cache,
        streams: streams.length,
        spokenClips: spoken.length,
        realRecordings: real.length,
      },
      augmentation: {
        copies: 'one G.711 µ-law copy and one telephone-augmented copy (models/training/augment.ts) per stream',
        specAugment: { melBands: 5, frames: 15 },
      },
      seed,
      evaluation: {
        validation: {
          windows: ev.windows,
          meanAuc,
          auc: Object.fromEntries(KEYWORD_NAMES.map((n, k) => [n, ev.auc[k]])),
          positives: Object.fromEntries(KEYWORD_NAMES.map((n, k) => [n, ev.positives[k]])),
        },
      },
    };
    const { weightBytes } = await saveModelDir(model, out, manifest);
    log(`spotter written to ${out}: ${model.countParams()} parameters, ${weightBytes} bytes of weights`);
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) await main(process.argv.slice(2));
