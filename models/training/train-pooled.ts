import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { DEFAULT_FRONT_END, frontEndGeometry } from '../../actors/features/front-end-config.js';
import { selectBackend } from '../runtime/backend.js';
import { EMOTION_LABELS, checkManifest, manifestFrontEnd, type ModelManifest } from '../runtime/manifest.js';
import { loadModelDir, saveModelDir } from '../runtime/model-files.js';
import type { WindowInputSpec } from '../runtime/window-features.js';
import { DEFAULT_ARCH } from './architecture.js';
import { AUGMENTATION } from './augment.js';
import { countsByCorpus, loadCorpora, parseCaps, parseCorpusList } from './corpora.js';
import { crossCorpus, logCrossCorpus, type CrossCorpusResult } from './cross-corpus.js';
import { buildRows } from './dataset.js';
import { DEFAULT_FEATURES, HIGH_AROUSAL_NEGATIVE, trainRun, type RunConfig } from './experiment.js';
import type { ClassBalance } from './class-weights.js';
import type { ModelOnCorpora } from './evaluate-model.js';
import { DEFAULT_FIT } from './fit.js';
import { gitCommit } from './git-commit.js';
import { pooledEvaluationMarkdown } from './pooled-evaluation.js';
import { withSeededMathRandom } from './prng.js';

/**
 * Train an emotion model on pooled corpora (issue 18; `npm run train -- --corpora emodb,ravdess,emovo,nemo …`):
 *   [--cap ravdess:3,emovo:4,nemo:6] [--epochs 6] [--repeats 1] [--copies 3] [--seed 1] [--mixup 0.2]
 *   [--balance pooled|per-corpus] [--training-only-classes true] [--baseline v1-on-corpora.json]
 *   [--cv pooled,corpus | none] [--cv-results pooled.json,corpus.json] [--hold-out ravdess-01] [--name emotion-v2]
 *   [--out models/emotion-v2] [--evaluation-only]
 * Cross-validation (pooled speaker folds and/or leave-one-corpus-out) runs first unless `--cv-results` names result
 * files of cross-corpus.js runs with the same recipe (how the shipped figures were produced: the protocols ran as
 * separate processes). The final model then trains on every clip except the `--hold-out` speakers, who stay unheard
 * so a test can check the shipped model on a voice it never learned. `--baseline` names an evaluate-model.js result
 * (emotion-v1 on the same corpora) that EVALUATION.md sets beside the leave-one-corpus-out figures.
 * `--evaluation-only` trains nothing: the model already in --out (same recipe, checked) gets its evaluation from
 * `--cv-results` — the final training ran with `--cv none` beside the cross-validation processes.
 */

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : def;
}

/** The model already in `dir`, refused unless its manifest records this recipe, renditions and held-out speakers. */
async function trainedBefore(
  dir: string,
  run: RunConfig,
  copies: number,
  holdOut: string[],
): Promise<{ model: tf.LayersModel; spec: WindowInputSpec; finalLoss: number; before: Record<string, unknown> }> {
  const { model, manifest } = await loadModelDir(dir, DEFAULT_FRONT_END);
  const t = manifest.training as Record<string, unknown>;
  const same =
    JSON.stringify(t.fit) === JSON.stringify(run.fit) &&
    t.renditionsPerClip === copies &&
    JSON.stringify(t.heldOutSpeakers) === JSON.stringify(holdOut) &&
    JSON.stringify(manifest.architecture.units) === JSON.stringify(run.arch.units);
  if (!same) {
    model.dispose();
    throw new Error(`${dir} was trained with another recipe (${String(t.command)})`);
  }
  return {
    model,
    spec: { window: manifest.window, input: manifest.input },
    finalLoss: Number(t.finalLoss),
    before: { createdAt: manifest.createdAt, command: t.command, commit: t.commit, evaluationCommand: null },
  };
}

export async function trainPooled(): Promise<void> {
  const out = arg('out', 'models/emotion-v2');
  const name = arg('name', 'emotion-v2');
  const seed = Number(arg('seed', '1'));
  const copies = Number(arg('copies', '3'));
  const corpora = parseCorpusList(arg('corpora', 'emodb,ravdess,emovo,nemo'));
  const caps = parseCaps(arg('cap', 'ravdess:3,emovo:4,nemo:6'));
  const baseline = arg('baseline', '');
  const holdOut = arg('hold-out', '').split(',').filter(Boolean);
  const cvKinds = arg('cv', 'pooled,corpus')
    .split(',')
    .filter((k) => k === 'pooled' || k === 'corpus') as ('pooled' | 'corpus')[];
  const backend = await selectBackend({ prefer: ['wasm', 'cpu'] });
  const g = frontEndGeometry(DEFAULT_FRONT_END);
  const run: RunConfig = {
    features: DEFAULT_FEATURES,
    levelNorm: 'voiced-mean',
    arch: DEFAULT_ARCH,
    fit: {
      ...DEFAULT_FIT,
      seed,
      epochs: Number(arg('epochs', '6')),
      repeats: Number(arg('repeats', '1')),
      mixupAlpha: Number(arg('mixup', '0')),
      balance: arg('balance', 'pooled') as ClassBalance,
    },
    trainingOnlyClasses: arg('training-only-classes', 'false') === 'true',
  };
  const cmd = `node dist/models/training/train.js ${process.argv.slice(2).join(' ')}`;
  const t0 = Date.now();
  // --evaluation-only: the model in --out was trained by this same recipe (checked against its manifest); only its
  // manifest's evaluation and EVALUATION.md are written, from --cv-results (so training and cross-validation can run
  // in parallel processes).
  const evaluationOnly = process.argv.includes('--evaluation-only');
  const clips = loadCorpora(corpora, caps, seed, run.trainingOnlyClasses);
  const rows = evaluationOnly ? [] : buildRows(clips, DEFAULT_FRONT_END, copies, seed);
  console.log(
    `features: ${rows.length} clips x ${copies + 1} renditions in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );
  const results: Partial<Record<'pooled' | 'corpus', CrossCorpusResult>> = {};
  const saved = arg('cv-results', '').split(',').filter(Boolean);
  for (const file of saved) {
    const r = JSON.parse(readFileSync(file, 'utf8')) as CrossCorpusResult;
    const same = JSON.stringify(r.cv.run) === JSON.stringify(run) && r.cv.copies === copies;
    if (!same)
      throw new Error(
        `${file} was measured with another recipe: ${JSON.stringify(r.cv.run.fit)} (copies ${r.cv.copies})`,
      );
    results[r.protocol] = r;
  }
  if (!saved.length && !evaluationOnly) {
    for (const k of cvKinds) {
      results[k] = await crossCorpus(rows, run, k, copies, caps, cmd, (m) => console.log(m));
      logCrossCorpus(results[k]!, (m) => console.log(m));
    }
  }
  const trained = evaluationOnly
    ? await trainedBefore(out, run, copies, holdOut)
    : await withSeededMathRandom(seed, () =>
        trainRun(
          rows.filter((r) => !holdOut.includes(r.clip.speaker)),
          g,
          run,
          (m) => console.log(`[final] ${m}`),
        ),
      );
  const { model, spec, finalLoss } = trained;
  // What the model was trained by (kept when only the evaluation is written now).
  const before = (trained as { before?: Record<string, unknown> }).before;
  const origin: Record<string, unknown> = before
    ? { ...before, evaluationCommand: cmd }
    : { createdAt: new Date().toISOString(), command: cmd, commit: gitCommit() };
  const data = countsByCorpus(clips.filter((c) => !holdOut.includes(c.speaker)));
  const emodb = results.pooled?.perCorpus.clean.find((s) => s.corpus === 'emodb');
  const manifest: ModelManifest = {
    format: 'callguard-model/1',
    name,
    task: 'emotion-7',
    createdAt: String(origin.createdAt),
    frontEnd: manifestFrontEnd(DEFAULT_FRONT_END),
    window: spec.window,
    input: spec.input,
    labels: [...EMOTION_LABELS],
    highArousalNegative: HIGH_AROUSAL_NEGATIVE,
    architecture: {
      ...run.arch,
      parameters: model.countParams(),
      description:
        'patch pyramid (as emotion-v1): 3 x (reshape pairs of frames + Dense relu, i.e. Conv1D kernel 2 stride ' +
        '2), global avg + max + std pooling over time, softmax',
    },
    training: {
      data:
        `pooled corpora from /work/shared/data (${corpora.join(', ')}), calm and surprise ` +
        `${run.trainingOnlyClasses ? 'trained as extra outputs cut at export' : 'dropped'}, capped per ` +
        `(speaker, emotion): ${JSON.stringify(caps)}`,
      corpora: data,
      heldOutSpeakers: holdOut,
      labelsFrom: 'Emo-DB, RAVDESS, EMOVO file names; nEMO data.tsv (checked against the file names)',
      backend: backend.name,
      tfjs: tf.version.tfjs,
      fit: run.fit,
      renditionsPerClip: copies,
      finalLoss,
      command: String(origin.command),
      commit: String(origin.commit),
      ...('evaluationCommand' in origin ? { evaluationCommand: origin.evaluationCommand } : {}),
    },
    augmentation: {
      audio: AUGMENTATION,
      cleanProbability: run.fit.cleanProbability,
      cropProbability: run.fit.cropProbability,
      minCropFrames: run.fit.minCropFrames,
      freqMaskBands: run.fit.freqMask,
      timeMaskFrames: run.fit.timeMask,
      mixupAlpha: run.fit.mixupAlpha ?? 0,
    },
    seed,
    evaluation: {
      protocol:
        'pooled speaker folds (8, aligned with Emo-DB leave-one-speaker-out) and leave-one-corpus-out; see ' +
        'EVALUATION.md',
      emodbLoso: emodb
        ? {
            uar: emodb.all.uar,
            accuracy: emodb.all.accuracy,
            auc: emodb.all.highArousalNegativeAuc,
            fearRecall: emodb.fearRecall,
            confusion: emodb.all.confusion,
          }
        : null,
      pooledPerCorpus:
        results.pooled?.perCorpus.clean.map((s) => ({
          corpus: s.corpus,
          uar7: s.all.uar,
          auc: s.all.highArousalNegativeAuc,
          fearRecall: s.fearRecall,
          uar5: s.shared.uar,
        })) ?? null,
      crossCorpus:
        results.corpus?.perCorpus.clean.map((s) => ({
          heldOut: s.corpus,
          uar5: s.shared.uar,
          auc5: s.shared.highArousalNegativeAuc,
          fearRecall5: s.shared.recall.fear,
          confusion5: s.shared.confusion,
        })) ?? null,
    },
  };
  const bad = checkManifest(manifest, DEFAULT_FRONT_END);
  if (bad) throw bad;
  const { weightBytes } = await saveModelDir(model, out, manifest);
  writeFileSync(
    join(out, 'EVALUATION.md'),
    pooledEvaluationMarkdown(
      { title: `${name}: evaluation`, createdAt: manifest.createdAt, commit: String(manifest.training.commit) },
      results.pooled ?? null,
      results.corpus ?? null,
      cmd,
      baseline ? (JSON.parse(readFileSync(baseline, 'utf8')) as ModelOnCorpora) : null,
    ),
  );
  console.log(
    `wrote ${out}: ${model.countParams()} parameters, ${weightBytes} bytes of ` +
      `weights, ${((Date.now() - t0) / 1000).toFixed(0)} s in all`,
  );
  model.dispose();
}
