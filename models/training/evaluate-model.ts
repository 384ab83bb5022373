import { writeFileSync } from 'node:fs';
import { DEFAULT_FRONT_END, frontEndGeometry } from '../../actors/features/front-end-config.js';
import { selectBackend } from '../runtime/backend.js';
import { loadModelDir } from '../runtime/model-files.js';
import type { WindowInputSpec } from '../runtime/window-features.js';
import { countsByCorpus, loadCorpora, parseCaps, parseCorpusList } from './corpora.js';
import { corpusScores, type CorpusScores } from './corpus-scores.js';
import type { CvResult } from './cross-validate.js';
import { buildRows } from './dataset.js';
import { predictClips, score } from './experiment.js';

/**
 * Score a trained model directory on whole corpora, every clip, through the runtime's predictor (clip = mean of its
 * 2 s windows at the runtime hop; clean and one telephone-augmented rendition). For a corpus the model never heard
 * this is its cross-corpus figure — the same measure as a leave-one-corpus-out fold — so a shipped model (emotion-v1,
 * Emo-DB only) can be compared with pooled candidates on RAVDESS, EMOVO and nEMO. Usage:
 *   node dist/models/training/evaluate-model.js --dir models/emotion-v1 [--corpora ravdess,emovo,nemo]
 *     [--cap nemo:20] [--seed 1] [--out result.json]
 */

export interface ModelOnCorpora {
  dir: string;
  command: string;
  data: ReturnType<typeof countsByCorpus>;
  clean: CorpusScores[];
  augmented: CorpusScores[];
}

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : def;
}

/** Evaluate the model in `dir` on the named corpora (clips capped per speaker and class as given). */
export async function evaluateModel(
  dir: string,
  corpora: ReturnType<typeof parseCorpusList>,
  caps: ReturnType<typeof parseCaps>,
  seed: number,
  command: string,
): Promise<ModelOnCorpora> {
  const { model, manifest } = await loadModelDir(dir, DEFAULT_FRONT_END);
  const g = frontEndGeometry(DEFAULT_FRONT_END);
  const spec: WindowInputSpec = { window: manifest.window, input: manifest.input };
  const clips = loadCorpora(corpora, caps, seed);
  const rows = buildRows(clips, DEFAULT_FRONT_END, 1, seed);
  const labels = rows.map((r) => r.clip.label);
  const clean = Array.from(predictClips(model, spec, rows, g, 0));
  const augmented = Array.from(predictClips(model, spec, rows, g, 1));
  model.dispose();
  const cv = {
    pooled: {
      clips: rows.map((r) => ({
        corpus: r.clip.corpus,
        speaker: r.clip.speaker,
        file: r.clip.file,
        label: r.clip.label,
      })),
      clean,
      augmented,
    },
    clean: score(Float32Array.from(clean), labels),
    augmented: score(Float32Array.from(augmented), labels),
  } as CvResult;
  return {
    dir,
    command,
    data: countsByCorpus(clips),
    clean: corpusScores(cv, 'clean'),
    augmented: corpusScores(cv, 'augmented'),
  };
}

async function main(): Promise<void> {
  await selectBackend({ prefer: ['wasm', 'cpu'] });
  const dir = arg('dir', 'models/emotion-v1');
  const command = `node dist/models/training/evaluate-model.js ${process.argv.slice(2).join(' ')}`;
  const res = await evaluateModel(
    dir,
    parseCorpusList(arg('corpora', 'emodb,ravdess,emovo,nemo')),
    parseCaps(arg('cap', 'nemo:20')),
    Number(arg('seed', '1')),
    command,
  );
  for (const which of ['clean', 'augmented'] as const) {
    console.log(`${dir} (${which}):`);
    for (const s of res[which])
      console.log(
        `${s.corpus.padEnd(8)} n ${String(s.all.n).padStart(4)} | 7-class UAR ${s.all.uar.toFixed(3)} ` +
          `AUC ${s.all.highArousalNegativeAuc.toFixed(3)} fear ${s.fearRecall.toFixed(3)} | 5-class UAR ` +
          `${s.shared.uar.toFixed(3)} AUC ${s.shared.highArousalNegativeAuc.toFixed(3)} fear ${s.shared.recall.fear.toFixed(3)}`,
      );
  }
  const out = arg('out', '');
  if (out) writeFileSync(out, JSON.stringify(res));
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
