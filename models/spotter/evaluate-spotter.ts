/**
 * Held-out evaluation of the keyword spotter (`npm run eval:spotter`), on voices and texts it never saw: the
 * evaluation scripts (models/speech/eval/scripts.json) read by flite voices (and espeak's plain en-us, a voice of
 * the training synthesiser, reported apart) through G.711 µ-law, and the Asterisk prompts (a real voice, benign).
 * Windows are cut as the actor cuts them (2 s, every 0.5 s). Reports per voice:
 * - keyword recall and precision at the threshold: a keyword class counts as said in a script when one of its phrases
 *   is in the text, as heard when a window of the call scores above the threshold;
 * - call ranking: ROC AUC of scam against benign scripts by the call's spotter score (the sum over classes of each
 *   class's highest window), the score that orders calls for recognition slots;
 * - false hits per minute of speech on the Asterisk prompts.
 *
 *   node dist/models/spotter/evaluate-spotter.js [--model models/spotter-en-v1] [--voices ...] [--threshold 0.5]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { extractOffline } from '../../actors/features/offline-extractor.js';
import {
  DEFAULT_FRONT_END,
  LIVE_WINDOW_HOP_SECONDS,
  frontEndGeometry,
  type FrontEndGeometry,
} from '../../actors/features/front-end-config.js';
import { parseWav } from '../../engine/media/wav-reader.js';
import { selectBackend } from '../runtime/backend.js';
import { loadModelDir } from '../runtime/model-files.js';
import { assembleWindow } from '../runtime/window-features.js';
import { asteriskPrompts, loadScripts, speak } from '../speech/eval/evaluate-content.js';
import { KEYWORD_NAMES } from './keywords.js';
import { findPhrases } from './spotter-data.js';
import { auc } from './train-spotter.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Highest score of each class over the windows of a signal (8 kHz), windows as the actor cuts them. */
export function windowScores(
  model: tf.LayersModel,
  manifest: Awaited<ReturnType<typeof loadModelDir>>['manifest'],
  g: FrontEndGeometry,
  pcm: Int16Array,
): { max: Float32Array; perWindow: Float32Array[] } {
  const { windows, rows } = extractOffline(pcm, 8000, g.cfg);
  const T = manifest.window.frames;
  const F = manifest.input.featureCount;
  const K = manifest.labels.length;
  const max = new Float32Array(K);
  const perWindow: Float32Array[] = [];
  for (let b = 0; b < windows.length; b += 64) {
    const batch = windows.slice(b, b + 64);
    const x = new Float32Array(batch.length * T * F);
    batch.forEach((w, i) =>
      assembleWindow(rows, w.startFrame, w.frames, g, manifest, x.subarray(i * T * F, (i + 1) * T * F)),
    );
    const p = tf.tidy(
      () => (model.predict(tf.tensor3d(x, [batch.length, T, F])) as tf.Tensor).dataSync() as Float32Array,
    );
    for (let i = 0; i < batch.length; i++) {
      const row = p.slice(i * K, (i + 1) * K);
      perWindow.push(row);
      for (let k = 0; k < K; k++) max[k] = Math.max(max[k], row[k]);
    }
  }
  return { max, perWindow };
}

async function main(argv: string[]): Promise<void> {
  const arg = (name: string, dflt: string) => {
    const i = argv.indexOf(name);
    return i >= 0 && argv[i + 1] ? argv[i + 1] : dflt;
  };
  const dir = resolve(arg('--model', join(repoRoot, 'models', 'spotter-en-v1')));
  const voices = arg('--voices', 'flite:awb,flite:rms,flite:kal,flite:slt,espeak:en-us').split(',');
  const threshold = Number(arg('--threshold', '0.5'));
  await selectBackend({ prefer: ['wasm'], logger: { info: () => undefined, warn: () => undefined } });
  // Windows as the live engine cuts them (2 s, one a second).
  const g = frontEndGeometry({ ...DEFAULT_FRONT_END, windowHopSeconds: LIVE_WINDOW_HOP_SECONDS });
  const { model, manifest } = await loadModelDir(dir, g.cfg);
  const K = manifest.labels.length;
  const work = mkdtempSync(join(tmpdir(), 'callguard-spotter-eval-'));
  try {
    console.log(`spotter ${manifest.name}: held-out scripts x voices, threshold ${threshold}\n`);
    console.log(
      '| voice | keyword recall | keyword precision | scam vs benign call AUC | scam calls flagged | benign ' +
        'calls flagged |',
    );
    console.log('|---|---|---|---|---|---|');
    const perClass = KEYWORD_NAMES.map(() => ({ said: 0, heard: 0, false: 0 }));
    for (const voice of voices) {
      let said = 0;
      let hit = 0;
      let flagged = 0;
      let falseHits = 0;
      const scam: number[] = [];
      const benign: number[] = [];
      let scamFlagged = 0;
      let benignFlagged = 0;
      for (const s of loadScripts()) {
        const wav = join(work, 'call.wav');
        speak(s.sentences, voice, wav, work);
        const a = parseWav(readFileSync(wav));
        const { max } = windowScores(model, manifest, g, a.channels[0]);
        const present = new Set(s.sentences.flatMap((t) => findPhrases(t).phrases.map((p) => p.cls)));
        let score = 0;
        let any = false;
        for (let k = 0; k < K; k++) {
          score += max[k];
          const heard = max[k] >= threshold;
          any ||= heard;
          if (present.has(k)) {
            said++;
            perClass[k].said++;
            if (heard) {
              hit++;
              perClass[k].heard++;
            }
          } else if (heard) {
            falseHits++;
            perClass[k].false++;
          }
          if (heard) flagged++;
        }
        (s.kind === 'scam' ? scam : benign).push(score);
        if (any && s.kind === 'scam') scamFlagged++;
        else if (any) benignFlagged++;
      }
      console.log(
        `| ${voice} | ${hit}/${said} (${((100 * hit) / Math.max(1, said)).toFixed(0)} %) ` +
          `| ${flagged - falseHits}/${flagged} ` +
          `(${((100 * (flagged - falseHits)) / Math.max(1, flagged)).toFixed(0)} %) ` +
          `| ${auc(scam, benign).toFixed(3)} | ${scamFlagged}/${scam.length} | ${benignFlagged}/${benign.length} |`,
      );
    }
    const perClassCounts = KEYWORD_NAMES.map(
      (n, k) => `${n} ${perClass[k].heard}/${perClass[k].said}, ${perClass[k].false} false`,
    ).join('; ');
    console.log(`\nper class over all voices (said in the script / heard / heard but not said): ${perClassCounts}`);
    // The Asterisk prompts: a real voice reading IVR prompts (benign). False hits per minute.
    const prompts = asteriskPrompts();
    let seconds = 0;
    let hits = 0;
    const byClass = new Array<number>(K).fill(0);
    for (let i = 0; i < prompts.length; i += 20) {
      const pcm: Int16Array[] = prompts.slice(i, i + 20).map((p) => parseWav(readFileSync(p.file)).channels[0]);
      const joined = new Int16Array(pcm.reduce((n, x) => n + x.length, 0));
      let o = 0;
      for (const x of pcm) {
        joined.set(x, o);
        o += x.length;
      }
      seconds += joined.length / 8000;
      for (const w of windowScores(model, manifest, g, joined).perWindow)
        for (let k = 0; k < K; k++)
          if (w[k] >= threshold) {
            hits++;
            byClass[k]++;
          }
    }
    console.log(
      `\nAsterisk prompts (real voice, benign): ${prompts.length} prompts, ${(seconds / 60).toFixed(1)} min; ` +
        `windows above the threshold: ${hits} (${(hits / (seconds / 60)).toFixed(2)} per minute); by ` +
        `class ${KEYWORD_NAMES.map((n, k) => `${n} ${byClass[k]}`).join(', ')}`,
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) await main(process.argv.slice(2));
