import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { DEFAULT_FRONT_END, frontEndGeometry } from '../../actors/features/front-end-config.js';
import { selectBackend } from '../runtime/backend.js';
import { DEFAULT_ARCH, parseUnits } from './architecture.js';
import { countsByCorpus, loadCorpora, parseCaps, parseCorpusList } from './corpora.js';
import { corpusFolds, pooledSpeakerFolds } from './corpus-folds.js';
import { corpusScores, type CorpusScores } from './corpus-scores.js';
import type { CorpusId } from './clip.js';
import { crossValidate } from './cross-validate.js';
import { buildRows, type ClipRows } from './dataset.js';
import { DEFAULT_FEATURES, score, type RunConfig } from './experiment.js';
import { DEFAULT_FIT } from './fit.js';
import { pooledEvaluationMarkdown } from './pooled-evaluation.js';
import { gitCommit } from './git-commit.js';
import type { CrossCorpusResult } from './cross-corpus-result.js';
import type { ClassBalance } from './class-weights.js';
import type { ModelOnCorpora } from './evaluate-model.js';

/**
 * Cross-validation over pooled corpora (issue 18). Usage:
 *   node dist/models/training/cross-corpus.js --protocol pooled|corpus [--corpora emodb,ravdess,emovo,nemo]
 *     [--cap ravdess:3,emovo:4,nemo:8] [--epochs N] [--repeats N] [--copies N] [--seed N] [--mixup α]
 *     [--units 128,128,128] [--attention-pool true] [--balance pooled|per-corpus] [--training-only-classes true]
 *     [--folds 0,1,2,3]
 *     [--out file.json]
 *   node dist/models/training/cross-corpus.js --merge a.json,b.json --out all.json
 * `--folds` runs some folds of a protocol (one process per core); `--merge` joins such runs into one result.
 * - pooled: 8 folds, fold i holds out Emo-DB speaker i (v1's leave-one-speaker-out) and every 8th speaker of the
 *   other corpora; per-corpus figures come from the pooled held-out predictions.
 * - corpus: leave-one-corpus-out; the held-out corpus's figures are the cross-corpus figures.
 */

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : def;
}

export type { CrossCorpusResult } from './cross-corpus-result.js';

function line(s: CorpusScores): string {
  return (
    `${s.corpus.padEnd(8)} n ${String(s.all.n).padStart(4)} spk ${String(s.speakers).padStart(2)} | 7-class ` +
    `UAR ${s.all.uar.toFixed(3)} AUC ${s.all.highArousalNegativeAuc.toFixed(3)} fear ${s.fearRecall.toFixed(3)} | ` +
    `5-class UAR ${s.shared.uar.toFixed(3)} AUC ${s.shared.highArousalNegativeAuc.toFixed(3)}`
  );
}

/** Run one protocol over feature rows already built; per-corpus figures from the pooled held-out predictions. */
export async function crossCorpus(
  rows: ClipRows[],
  run: RunConfig,
  protocol: 'pooled' | 'corpus',
  copies: number,
  caps: Partial<Record<CorpusId, number>>,
  command: string,
  log: (m: string) => void,
  only: number[] = [],
): Promise<CrossCorpusResult> {
  const meta = rows.map((r) => r.clip);
  let folds = protocol === 'pooled' ? pooledSpeakerFolds(meta) : corpusFolds(meta);
  if (only.length) folds = only.map((i) => folds[i]);
  const cv = await crossValidate(rows, run, protocol === 'pooled' ? 'pooled-speakers' : 'corpus', copies, log, folds);
  return {
    command,
    protocol,
    data: countsByCorpus(meta),
    caps: caps as Record<string, number>,
    cv,
    perCorpus: { clean: corpusScores(cv, 'clean'), augmented: corpusScores(cv, 'augmented') },
  };
}

/** Print a result's per-corpus lines (clean, then telephone-augmented). */
export function logCrossCorpus(res: CrossCorpusResult, log: (m: string) => void): void {
  log(`${res.protocol} (clean):`);
  for (const s of res.perCorpus.clean) log(line(s));
  log('telephone-augmented:');
  for (const s of res.perCorpus.augmented) log(line(s));
}

/** Join results of the same protocol and recipe run fold by fold (`--folds`) into one, scores recomputed. */
export function mergeResults(parts: readonly CrossCorpusResult[]): CrossCorpusResult {
  const [first] = parts;
  for (const p of parts)
    if (p.protocol !== first.protocol || JSON.stringify(p.cv.run) !== JSON.stringify(first.cv.run))
      throw new Error(`cannot merge: ${p.command} differs from ${first.command} in protocol or recipe`);
  const names = parts.flatMap((p) => p.cv.folds.map((f) => f.name));
  if (new Set(names).size !== names.length) throw new Error(`cannot merge: a fold appears twice (${names.join(', ')})`);
  const clips = parts.flatMap((p) => p.cv.pooled!.clips);
  const clean = parts.flatMap((p) => p.cv.pooled!.clean);
  const augmented = parts.flatMap((p) => p.cv.pooled!.augmented);
  const labels = clips.map((c) => c.label);
  const cv = {
    ...first.cv,
    folds: parts.flatMap((p) => p.cv.folds),
    clean: score(Float32Array.from(clean), labels),
    augmented: score(Float32Array.from(augmented), labels),
    seconds: parts.reduce((s, p) => s + p.cv.seconds, 0),
    pooled: { clips, clean, augmented },
  };
  return {
    ...first,
    command: parts.map((p) => p.command).join(' && '),
    cv,
    perCorpus: { clean: corpusScores(cv, 'clean'), augmented: corpusScores(cv, 'augmented') },
  };
}

async function main(): Promise<void> {
  const merge = arg('merge', '');
  if (merge) {
    const res = mergeResults(merge.split(',').map((f) => JSON.parse(readFileSync(f, 'utf8')) as CrossCorpusResult));
    logCrossCorpus(res, (m) => console.log(m));
    writeFileSync(arg('out', 'merged.json'), JSON.stringify(res));
    return;
  }
  const report = arg('report', '');
  if (report) {
    // Markdown of saved results (no training): node dist/models/training/cross-corpus.js --report
    // pooled.json,corpus.json --title "…" [--baseline v1-on-corpora.json]
    const saved = report.split(',').map((f) => JSON.parse(readFileSync(f, 'utf8')) as CrossCorpusResult);
    const cmd = `node dist/models/training/cross-corpus.js ${process.argv.slice(2).join(' ')}`;
    console.log(
      pooledEvaluationMarkdown(
        { title: arg('title', 'cross-corpus results'), createdAt: new Date().toISOString(), commit: gitCommit() },
        saved.find((r) => r.protocol === 'pooled') ?? null,
        saved.find((r) => r.protocol === 'corpus') ?? null,
        cmd,
        arg('baseline', '') ? (JSON.parse(readFileSync(arg('baseline', ''), 'utf8')) as ModelOnCorpora) : null,
      ),
    );
    return;
  }
  await selectBackend({ prefer: ['wasm', 'cpu'] });
  const protocol = arg('protocol', 'pooled') as 'pooled' | 'corpus';
  const seed = Number(arg('seed', '1'));
  const copies = Number(arg('copies', '3'));
  const corpora = parseCorpusList(arg('corpora', 'emodb,ravdess,emovo,nemo'));
  const caps = parseCaps(arg('cap', 'ravdess:3,emovo:4,nemo:6'));
  const run: RunConfig = {
    features: DEFAULT_FEATURES,
    levelNorm: 'voiced-mean',
    arch: {
      ...DEFAULT_ARCH,
      units: parseUnits(arg('units', DEFAULT_ARCH.units.join(',')), frontEndGeometry(DEFAULT_FRONT_END).windowFrames),
      // Only when asked, so the recipes recorded before the option compare equal (--merge, --cv-results).
      ...(arg('attention-pool', 'false') === 'true' ? { attentionPool: true } : {}),
    },
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
  const t = Date.now();
  const clips = loadCorpora(corpora, caps, seed, run.trainingOnlyClasses);
  console.log(`clips: ${JSON.stringify(countsByCorpus(clips))}`);
  const rows = buildRows(clips, DEFAULT_FRONT_END, copies, seed);
  console.log(`features: ${rows.length} clips x ${copies + 1} in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  const only = arg('folds', '').split(',').filter(Boolean).map(Number);
  const res = await crossCorpus(
    rows,
    run,
    protocol,
    copies,
    caps,
    `node dist/models/training/cross-corpus.js ${process.argv.slice(2).join(' ')}`,
    (m) => console.log(m),
    only,
  );
  logCrossCorpus(res, (m) => console.log(m));
  const out = arg('out', '');
  if (out) {
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, JSON.stringify(res));
  }
  console.log(`done in ${((Date.now() - t) / 1000).toFixed(0)} s`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
