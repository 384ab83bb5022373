/**
 * Adapts PocketSphinx's en-us acoustic model (trained on 16 kHz wideband speech) to the telephone channel callguard
 * hears: G.711 at 8 kHz, upsampled to 16 kHz by the engine's own resampler. One global MLLR mean transform (three
 * 13 x 14 matrices, one per feature stream) estimated with SphinxTrain (Debian `sphinxtrain`: bw, mllr_solve) and
 * `sphinx_fe` (Debian `sphinxbase-utils`), written to `models/speech-en-v1/mllr_matrix` and loaded by every decoder
 * with `-mllr`. A global transform has 546 parameters: it learns the channel, not the speakers or the words.
 *
 * Adaptation speech: RAVDESS (../shared/data/ravdess-8k), 24 North-American actors, 1,434 real recordings already in
 * G.711 µ-law: real voices only, none of them in any evaluation. `--tts` adds our corpus lines (models/speech/corpus)
 * spoken by espeak-ng accent variants and festival's ked voice (never the evaluation's flite voices nor espeak's plain
 * en-us): measured on the development set it did no better (intent recall 47.6 % against 48.8 % for RAVDESS alone),
 * so the shipped transform is RAVDESS only and no synthetic voice shaped it.
 *
 *   node dist/models/speech/adaptation/build-adaptation.js [--out models/speech-en-v1] [--work DIR] [--tts] [--seed 1]
 */
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { designResampler, resample, resamplerStateLength } from '../../../actors/dsp/resampler.js';
import { encodeWav, parseWav } from '../../../engine/media/wav-reader.js';
import { Prng } from '../../training/prng.js';
import { readPronunciations, SPHINX_EN_US } from '../pronunciations.js';
import { spokenWords } from '../text-normalise.js';
import { speakSentence } from '../eval/dev-set.js';
import { readSendump, writeMixtureWeights } from './sendump.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const SPHINXTRAIN = '/usr/lib/sphinxtrain';

/** TTS voices of the adaptation set: espeak-ng accents and variants, festival's ked. Not the evaluation's voices. */
export const ADAPTATION_VOICES = [
  'espeak:en-gb-x-rp+m3',
  'espeak:en-gb-scotland+f2',
  'espeak:en-029+m5',
  'espeak:en+f4',
  'espeak:en-gb-x-gbclan+m7',
  'festival:ked_diphone',
] as const;

const RAVDESS_TEXT: Record<string, string> = {
  '01': 'kids are talking by the door',
  '02': 'dogs are sitting by the door',
};

interface Utterance {
  id: string;
  words: string[];
  /** 8 kHz PCM16 (decoded from G.711) of the utterance. */
  make(work: string): Int16Array;
}

/** 8 kHz → 16 kHz with the engine's resampler (what a leg recogniser feeds PocketSphinx). */
function upsample(pcm: Int16Array): Int16Array {
  const d = designResampler(8000, 16000);
  const st = new Float64Array(resamplerStateLength(d));
  const x = Float64Array.from(pcm);
  const y = new Float64Array(pcm.length * 2 + 16);
  const n = resample(d, st, x, 0, x.length, y, 0);
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.max(-32768, Math.min(32767, Math.round(y[i])));
  return out;
}

function utterances(withTts: boolean, seed: number): Utterance[] {
  const pron = readPronunciations();
  const out: Utterance[] = [];
  const ravDir = join(repoRoot, '..', 'shared', 'data', 'ravdess-8k');
  for (const f of readdirSync(ravDir)
    .filter((n) => n.endsWith('.wav'))
    .sort()) {
    const text = RAVDESS_TEXT[f.split('-')[4]];
    if (!text) continue;
    out.push({
      id: `rav_${f.replace(/\W/g, '_').replace(/_wav$/, '')}`,
      words: text.split(' '),
      make: () => parseWav(readFileSync(join(ravDir, f))).channels[0],
    });
  }
  if (!withTts) return out;
  const rng = new Prng(seed);
  const lines = ['scam-calls.txt', 'everyday-calls.txt'].flatMap((f) =>
    readFileSync(join(repoRoot, 'models', 'speech', 'corpus', f), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#')),
  );
  lines.forEach((line, i) => {
    const words = spokenWords(line);
    if (!words.length || words.some((w) => !pron.has(w))) return;
    const voices = [...ADAPTATION_VOICES];
    for (let k = 0; k < 2; k++) {
      const voice = voices.splice(rng.int(voices.length), 1)[0];
      out.push({
        id: `tts_${i}_${voice.replace(/\W/g, '_')}`,
        words,
        make: (work) => {
          const raw = join(work, 'raw.wav');
          const mu = join(work, 'mu.wav');
          speakSentence(line, voice, raw);
          execFileSync('sox', [raw, '-r', '8000', '-c', '1', '-e', 'mu-law', mu], {
            stdio: ['ignore', 'ignore', 'ignore'],
          });
          return parseWav(readFileSync(mu)).channels[0];
        },
      });
    }
  });
  return out;
}

function run(cmd: string, args: string[], log: string): void {
  try {
    execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 28 });
  } catch (err) {
    throw new Error(
      `${basename(cmd)} failed (${log}): ${String((err as { stderr?: Buffer }).stderr ?? err)
        .split('\n')
        .slice(-5)
        .join(' | ')}`,
      { cause: err },
    );
  }
}

function main(argv: string[]): void {
  const arg = (name: string, dflt: string) => {
    const i = argv.indexOf(name);
    return i >= 0 && argv[i + 1] ? argv[i + 1] : dflt;
  };
  const out = resolve(arg('--out', join(repoRoot, 'models', 'speech-en-v1')));
  const seed = Number(arg('--seed', '1'));
  const keep = argv.includes('--keep');
  const work = arg('--work', '') || mkdtempSync(join(tmpdir(), 'callguard-adapt-'));
  for (const tool of [
    join(SPHINXTRAIN, 'bw'),
    join(SPHINXTRAIN, 'mllr_solve'),
    '/usr/bin/sphinx_fe',
    '/usr/bin/pocketsphinx_mdef_convert',
  ])
    if (!existsSync(tool))
      throw new Error(`${tool} not found: install Debian's sphinxtrain, sphinxbase-utils and pocketsphinx`);
  try {
    // The model with the files bw needs: a text mdef and mixture_weights recovered from the sendump.
    const hmm = join(work, 'hmm');
    mkdirSync(hmm, { recursive: true });
    for (const f of ['means', 'variances', 'transition_matrices', 'noisedict', 'feat.params'])
      copyFileSync(join(SPHINX_EN_US.hmm, f), join(hmm, f));
    writeFileSync(
      join(hmm, 'mixture_weights'),
      writeMixtureWeights(readSendump(readFileSync(join(SPHINX_EN_US.hmm, 'sendump')))),
    );
    run('/usr/bin/pocketsphinx_mdef_convert', ['-text', join(SPHINX_EN_US.hmm, 'mdef'), join(hmm, 'mdef.txt')], 'mdef');

    const withTts = argv.includes('--tts');
    const utts = utterances(withTts, seed);
    const wavDir = join(work, 'wav');
    mkdirSync(wavDir, { recursive: true });
    const ids: string[] = [];
    const lsn: string[] = [];
    utts.forEach((u, i) => {
      const wav = join(wavDir, `${u.id}.wav`);
      if (!existsSync(wav)) writeFileSync(wav, encodeWav([upsample(u.make(work))], 16000, 'pcm16'));
      ids.push(u.id);
      lsn.push(`<s> ${u.words.join(' ')} </s> (${u.id})`);
      if (i % 500 === 0) process.stdout.write(`audio ${i}/${utts.length}\n`);
    });
    writeFileSync(join(work, 'adapt.fileids'), ids.join('\n') + '\n');
    writeFileSync(join(work, 'adapt.transcription'), lsn.join('\n') + '\n');
    const mfc = join(work, 'mfc');
    mkdirSync(mfc, { recursive: true });
    run(
      '/usr/bin/sphinx_fe',
      [
        '-argfile',
        join(hmm, 'feat.params'),
        '-samprate',
        '16000',
        '-c',
        join(work, 'adapt.fileids'),
        '-di',
        wavDir,
        '-do',
        mfc,
        '-ei',
        'wav',
        '-eo',
        'mfc',
        '-mswav',
        'yes',
      ],
      'features',
    );
    const acc = join(work, 'acc');
    mkdirSync(acc, { recursive: true });
    process.stdout.write(`bw over ${ids.length} utterances\n`);
    // prettier-ignore
    run(join(SPHINXTRAIN, 'bw'), [
      '-hmmdir', hmm, '-moddeffn', join(hmm, 'mdef.txt'), '-ts2cbfn', '.ptm.', '-feat', '1s_c_d_dd',
      '-svspec', '0-12/13-25/26-38', '-cmn', 'current', '-agc', 'none',
      '-dictfn', SPHINX_EN_US.dict, '-fdictfn', join(hmm, 'noisedict'), '-ctlfn', join(work, 'adapt.fileids'),
      '-lsnfn', join(work, 'adapt.transcription'), '-cepdir', mfc, '-cepext', 'mfc', '-accumdir', acc,
    ], 'Baum-Welch statistics');
    const matrix = join(work, 'mllr_matrix');
    run(
      join(SPHINXTRAIN, 'mllr_solve'),
      ['-meanfn', join(hmm, 'means'), '-varfn', join(hmm, 'variances'), '-outmllrfn', matrix, '-accumdir', acc],
      'MLLR',
    );
    mkdirSync(out, { recursive: true });
    copyFileSync(matrix, join(out, 'mllr_matrix'));
    const manifestPath = join(out, 'manifest.json');
    if (existsSync(manifestPath)) {
      const m = JSON.parse(readFileSync(manifestPath, 'utf8'));
      m.files.mllr = 'mllr_matrix';
      m.acousticAdaptation = {
        method:
          'global MLLR mean transform (SphinxTrain bw + mllr_solve), telephone channel: G.711 µ-law 8 kHz ' +
          'upsampled to 16 kHz',
        utterances: {
          ravdess: utts.filter((u) => u.id.startsWith('rav_')).length,
          tts: utts.filter((u) => u.id.startsWith('tts_')).length,
        },
        voices: ['RAVDESS actors 01-24 (real speech)', ...(withTts ? ADAPTATION_VOICES : [])],
        rebuild:
          `node dist/models/speech/adaptation/build-adaptation.js --out ` +
          `models/speech-en-v1${withTts ? ' --tts' : ''} --seed ${seed}`,
      };
      writeFileSync(manifestPath, JSON.stringify(m, null, 2) + '\n');
    }
    process.stdout.write(`MLLR transform written to ${join(out, 'mllr_matrix')} (${ids.length} utterances)\n`);
  } finally {
    if (!keep && !arg('--work', '')) rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) main(process.argv.slice(2));
