import { writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { DEFAULT_FRONT_END, frontEndGeometry } from '../../actors/features/front-end-config.js';
import { selectBackend } from '../runtime/backend.js';
import { EMOTION_LABELS, type FrameFeature } from '../runtime/manifest.js';
import { DEFAULT_ARCH, parseUnits, type ArchConfig } from './architecture.js';
import { buildRows, type ClipRows } from './dataset.js';
import { loadEmoDb } from './emodb.js';
import type { SpeakerFold } from './corpus-folds.js';
import {
  DEFAULT_FEATURES,
  predictClips,
  score,
  speakerFolds,
  trainRun,
  type RunConfig,
  type Scores,
} from './experiment.js';
import { DEFAULT_FIT } from './fit.js';
import { withSeededMathRandom } from './prng.js';
import { normaliseBySpeaker } from './speaker-norm.js';

/**
 * Speaker-independent cross-validation: for each fold, train on the other speakers (normalisation statistics
 * included) and score the held-out speakers' clips, clean and through one augmented telephone rendition. Scores are
 * pooled over all folds. Usage:
 *   node dist/models/training/cross-validate.js [--folds loso|pairs] [--epochs N] [--copies N] [--seed N]
 *     [--units 64,64,96] [--level-norm voiced-mean|none] [--features mel,f0Semitones,...] [--out file.json]
 *     [--speaker-norm true]   (speaker-norm.ts: each speaker's mean spectral shape and pitch removed; an experiment)
 */

export interface CvResult {
  folds: { heldOut: string[]; name?: string; clean: Scores; augmented: Scores; finalLoss: number }[];
  clean: Scores;
  augmented: Scores;
  run: RunConfig;
  copies: number;
  foldKind: 'loso' | 'pairs' | 'pooled-speakers' | 'corpus';
  seconds: number;
  /**
   * Every held-out clip once, in fold order, with its clean and augmented probabilities (n × 7): per-corpus scores.
   */
  pooled?: {
    clips: { corpus: string; speaker: string; file: string; label: number }[];
    clean: number[];
    augmented: number[];
  };
}

/** Emo-DB folds of v1 ('loso' | 'pairs') as SpeakerFolds. */
export function emoDbFolds(kind: 'loso' | 'pairs'): SpeakerFold[] {
  return speakerFolds(kind).map((h) => ({ name: h.join('+'), heldOut: h }));
}

export async function crossValidate(
  all: ClipRows[],
  run: RunConfig,
  foldKind: CvResult['foldKind'],
  copies: number,
  log: (m: string) => void,
  folds: SpeakerFold[] = emoDbFolds(foldKind === 'pairs' ? 'pairs' : 'loso'),
): Promise<CvResult> {
  const g = frontEndGeometry(DEFAULT_FRONT_END);
  const t0 = Date.now();
  const out: CvResult['folds'] = [];
  const pooledClean: number[] = [];
  const pooledAug: number[] = [];
  const labels: number[] = [];
  const clips: NonNullable<CvResult['pooled']>['clips'] = [];
  for (const fold of folds) {
    const heldOut = fold.heldOut;
    const train = all.filter((c) => !heldOut.includes(c.clip.speaker));
    // Training-only classes (labels past the 7 runtime ones) are never scored: the shipped model has no such output.
    const test = all.filter((c) => heldOut.includes(c.clip.speaker) && c.clip.label < EMOTION_LABELS.length);
    const { model, spec, finalLoss } = await withSeededMathRandom(run.fit.seed, () =>
      trainRun(train, g, run, (m) => log(`[${fold.name}] ${m}`)),
    );
    const pc = predictClips(model, spec, test, g, 0);
    const pa = predictClips(model, spec, test, g, 1);
    model.dispose();
    const tl = test.map((c) => c.clip.label);
    const f = { heldOut, name: fold.name, clean: score(pc, tl), augmented: score(pa, tl), finalLoss };
    out.push(f);
    pooledClean.push(...pc);
    pooledAug.push(...pa);
    labels.push(...tl);
    clips.push(
      ...test.map((c) => ({ corpus: c.clip.corpus, speaker: c.clip.speaker, file: c.clip.file, label: c.clip.label })),
    );
    log(
      `fold ${fold.name}: train ${train.length} test ${test.length} UAR ${f.clean.uar.toFixed(3)} ` +
        `(aug ${f.augmented.uar.toFixed(3)}) AUC ${f.clean.highArousalNegativeAuc.toFixed(3)} ` +
        `(aug ${f.augmented.highArousalNegativeAuc.toFixed(3)}) ` +
        `tensors ${tf.memory().numTensors} ${((Date.now() - t0) / 1000).toFixed(0)} s`,
    );
  }
  return {
    folds: out,
    clean: score(Float32Array.from(pooledClean), labels),
    augmented: score(Float32Array.from(pooledAug), labels),
    run,
    copies,
    foldKind,
    seconds: (Date.now() - t0) / 1000,
    pooled: { clips, clean: pooledClean, augmented: pooledAug },
  };
}

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : def;
}

async function main(): Promise<void> {
  const g = frontEndGeometry(DEFAULT_FRONT_END);
  await selectBackend({ prefer: ['wasm', 'cpu'] });
  const seed = Number(arg('seed', '1'));
  const copies = Number(arg('copies', '6'));
  const arch: ArchConfig = {
    ...DEFAULT_ARCH,
    units: parseUnits(arg('units', DEFAULT_ARCH.units.join(',')), g.windowFrames),
    dropout: Number(arg('dropout', String(DEFAULT_ARCH.dropout))),
    headDropout: Number(arg('head-dropout', String(DEFAULT_ARCH.headDropout))),
    headUnits: Number(arg('head-units', String(DEFAULT_ARCH.headUnits))),
    stdPool: arg('std-pool', String(DEFAULT_ARCH.stdPool)) === 'true',
  };
  const run: RunConfig = {
    features: arg('features', DEFAULT_FEATURES.join(',')).split(',') as FrameFeature[],
    levelNorm: arg('level-norm', 'voiced-mean') as RunConfig['levelNorm'],
    arch,
    fit: {
      ...DEFAULT_FIT,
      seed,
      epochs: Number(arg('epochs', String(DEFAULT_FIT.epochs))),
      learningRate: Number(arg('lr', String(DEFAULT_FIT.learningRate))),
      cropProbability: Number(arg('crop', String(DEFAULT_FIT.cropProbability))),
      cleanProbability: Number(arg('clean', String(DEFAULT_FIT.cleanProbability))),
    },
  };
  const t = Date.now();
  const rows = buildRows(loadEmoDb(), DEFAULT_FRONT_END, copies, seed);
  console.log(`features: ${rows.length} clips x ${copies + 1} in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  const speakerNorm = arg('speaker-norm', 'false');
  if (speakerNorm !== 'true' && speakerNorm !== 'false')
    throw new Error(`--speaker-norm ${speakerNorm}: true or false`);
  if (speakerNorm === 'true') {
    const profiles = normaliseBySpeaker(rows, g);
    console.log(`speaker normalisation (oracle: each speaker's own clean clips): ${profiles.size} speakers`);
  }
  const res = await crossValidate(rows, run, arg('folds', 'pairs') as 'loso' | 'pairs', copies, (m) => console.log(m));
  console.log(
    `POOLED ${res.foldKind}: clean UAR ${res.clean.uar.toFixed(3)} acc ${res.clean.accuracy.toFixed(3)} ` +
      `AUC ${res.clean.highArousalNegativeAuc.toFixed(3)} | augmented UAR ${res.augmented.uar.toFixed(3)} ` +
      `AUC ${res.augmented.highArousalNegativeAuc.toFixed(3)} | ${res.seconds.toFixed(0)} s`,
  );
  console.log(JSON.stringify(res.clean.confusion));
  const out = arg('out', '');
  if (out) writeFileSync(out, JSON.stringify({ ...res, speakerNorm: speakerNorm === 'true' }, null, 2));
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
