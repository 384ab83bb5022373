/**
 * Builds the spoken-content model directory (`models/speech-en-v1/`): a domain trigram LM and its pronunciation
 * dictionary for PocketSphinx's en-us acoustic model (Debian `pocketsphinx-en-us`), from the scam-call transcripts in
 * ../shared/data/scam-text and our own everyday and scam call texts (models/speech/corpus). A few thousand words
 * instead of the generic 130k-word model: faster decoding and in-domain words. The held-out evaluation scripts
 * (models/speech/eval/scripts.json) are never read here.
 *
 *   node dist/models/speech/build-speech-model.js [--out models/speech-en-v1] [--everyday-weight 6]
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { buildArpa } from './ngram-lm.js';
import { readPronunciations, SPHINX_EN_US } from './pronunciations.js';
import { spokenSentences } from './text-normalise.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const scamTextDir = join(repoRoot, '..', 'shared', 'data', 'scam-text');

/** Sentences split at words the dictionary cannot pronounce (an n-gram never spans an unknown word). */
function inVocabulary(
  sentences: string[][],
  known: (w: string) => boolean,
): { sentences: string[][]; oov: Map<string, number> } {
  const out: string[][] = [];
  const oov = new Map<string, number>();
  for (const s of sentences) {
    let cur: string[] = [];
    for (const w of s) {
      if (known(w)) cur.push(w);
      else {
        oov.set(w, (oov.get(w) ?? 0) + 1);
        if (cur.length) out.push(cur);
        cur = [];
      }
    }
    if (cur.length) out.push(cur);
  }
  return { sentences: out, oov };
}

function readCsvColumn(file: string, column: string): string[] {
  const rows = parse(readFileSync(file, 'utf8'), {
    columns: true,
    bom: true,
    skip_empty_lines: true,
    relax_column_count: true,
  }) as Array<Record<string, string>>;
  return rows.map((r) => r[column] ?? '').filter(Boolean);
}

function main(argv: string[]): void {
  const arg = (name: string, dflt: string) => {
    const i = argv.indexOf(name);
    return i >= 0 && argv[i + 1] ? argv[i + 1] : dflt;
  };
  const out = resolve(arg('--out', join(repoRoot, 'models', 'speech-en-v1')));
  const everydayWeight = Number(arg('--everyday-weight', '6'));
  const corpusDir = join(repoRoot, 'models', 'speech', 'corpus');
  if (!existsSync(scamTextDir)) throw new Error(`scam-text corpus not found at ${scamTextDir}`);

  const pron = readPronunciations();
  const known = (w: string) => pron.has(w);
  const sources = {
    youtubeScams: readCsvColumn(join(scamTextDir, 'youtube-scams.csv'), 'Content'),
    vishing: readCsvColumn(join(scamTextDir, 'vishing-english.csv'), 'transcript'),
    scamCalls: readFileSync(join(corpusDir, 'scam-calls.txt'), 'utf8').split('\n'),
    everydayCalls: readFileSync(join(corpusDir, 'everyday-calls.txt'), 'utf8').split('\n'),
  };
  const sent = (texts: string[]) =>
    inVocabulary(
      texts.flatMap((t) => spokenSentences(t)),
      known,
    );
  const scam = sent([...sources.youtubeScams, ...sources.vishing, ...sources.scamCalls]);
  const everyday = sent(sources.everydayCalls);
  const words = (s: string[][]) => s.reduce((n, x) => n + x.length, 0);
  const lm = buildArpa([
    { sentences: scam.sentences, weight: 1 },
    { sentences: everyday.sentences, weight: everydayWeight },
  ]);
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'domain.lm'), lm.arpa);
  const dictLines: string[] = [];
  for (const w of lm.vocabulary) {
    const variants = pron.get(w)!;
    variants.forEach((p, i) => dictLines.push(`${i === 0 ? w : `${w}(${i + 1})`} ${p}`));
  }
  writeFileSync(join(out, 'domain.dict'), dictLines.join('\n') + '\n');
  const oov = new Map<string, number>();
  for (const m of [scam.oov, everyday.oov]) for (const [w, n] of m) oov.set(w, (oov.get(w) ?? 0) + n);
  const manifest = {
    name: 'speech-en-v1',
    kind: 'pocketsphinx-domain-lm',
    language: 'en',
    acousticModel: { package: 'pocketsphinx-en-us', dir: SPHINX_EN_US.hmm, sampleRate: 16000 },
    files: { lm: 'domain.lm', dict: 'domain.dict' },
    ngrams: { unigrams: lm.counts[0], bigrams: lm.counts[1], trigrams: lm.counts[2], minTrigramCount: 2 },
    corpus: {
      scam: {
        sources: [
          '../shared/data/scam-text/youtube-scams.csv (Content)',
          '../shared/data/scam-text/vishing-english.csv (transcript)',
          'models/speech/corpus/scam-calls.txt',
        ],
        sentences: scam.sentences.length,
        words: words(scam.sentences),
      },
      everyday: {
        sources: ['models/speech/corpus/everyday-calls.txt'],
        sentences: everyday.sentences.length,
        words: words(everyday.sentences),
        weight: everydayWeight,
      },
      outOfVocabularyTokens: [...oov.values()].reduce((a, b) => a + b, 0),
      topOutOfVocabulary: [...oov.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 20)
        .map(([w, n]) => `${w} ${n}`),
    },
    rebuild:
      'node dist/models/speech/build-speech-model.js --out models/speech-en-v1 --everyday-weight ' + everydayWeight,
  };
  // The channel adaptation (models/speech/adaptation) is built apart and survives a rebuild of the LM.
  const manifestPath = join(out, 'manifest.json');
  const previous = existsSync(manifestPath)
    ? (JSON.parse(readFileSync(manifestPath, 'utf8')) as { files?: { mllr?: string }; acousticAdaptation?: unknown })
    : {};
  const kept =
    previous.files?.mllr && existsSync(join(out, previous.files.mllr))
      ? { files: { ...manifest.files, mllr: previous.files.mllr }, acousticAdaptation: previous.acousticAdaptation }
      : {};
  writeFileSync(manifestPath, JSON.stringify({ ...manifest, ...kept }, null, 2) + '\n');
  process.stdout.write(
    `speech model written to ${out}: ${lm.vocabulary.length} words, ${lm.counts[1]} bigrams, ${lm.counts[2]} ` +
      `trigrams (scam ${words(scam.sentences)} words, everyday ${words(everyday.sentences)} x${everydayWeight})\n`,
  );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) main(process.argv.slice(2));
