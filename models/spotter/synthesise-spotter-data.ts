/**
 * Step 1 of the spotter build: speak the training sentences (keyword templates, our corpora, vishing rows) with the
 * training voices and find their keyword spans (spotter-data.ts). Writes the clips to a cache directory and a list
 * (clips.json) that train-spotter.ts reads. Deterministic in --seed; clips already in the cache are not spoken again.
 *
 * `--festival` speaks the same sentences with festival's voices instead (festival processes over batches of 200
 * sentences, word times from festival itself) into clips-festival.json: a synthesiser far from espeak's formant voices,
 * the variety the spotter needs to hear other voices than its training ones.
 *
 *   node dist/models/spotter/synthesise-spotter-data.js [--cache DIR] [--seed 1] [--per-phrase 40] [--jobs 2]
 *     [--festival]
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { spokenSentences } from '../speech/text-normalise.js';
import { Prng } from '../training/prng.js';
import {
  cacheDir,
  festivalBatch,
  festivalSpans,
  findPhrases,
  speakLabelled,
  storeClip,
  templateSentences,
  trainingVoices,
  type SentencePlan,
} from './spotter-data.js';

/** Festival's English voices on Debian (festvox-kallpc16k, festvox-kdlpc16k, festvox-us-slt-hts). */
export const FESTIVAL_VOICES = ['kal_diphone', 'ked_diphone', 'cmu_us_slt_arctic_hts'] as const;

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** The sentences to speak: templates, every corpus line, and vishing rows (split into sentences), deduplicated. */
export function trainingSentences(rng: Prng, perPhrase: number): SentencePlan[] {
  const texts = templateSentences(rng, perPhrase);
  for (const f of ['scam-calls.txt', 'everyday-calls.txt'])
    for (const l of readFileSync(join(repoRoot, 'models', 'speech', 'corpus', f), 'utf8').split('\n'))
      if (l.trim() && !l.startsWith('#')) texts.push(l.trim());
  const vishing = parse(
    readFileSync(join(repoRoot, '..', 'shared', 'data', 'scam-text', 'vishing-english.csv'), 'utf8'),
    { columns: true, bom: true, skip_empty_lines: true, relax_column_count: true },
  ) as Array<Record<string, string>>;
  // Every 3rd row, its sentences of 4 to 24 words (the templated rows repeat a lot; placeholders are dropped).
  vishing.forEach((r, i) => {
    if (i % 3) return;
    for (const s of spokenSentences(r.transcript ?? '')) if (s.length >= 4 && s.length <= 24) texts.push(s.join(' '));
  });
  const seen = new Set<string>();
  const out: SentencePlan[] = [];
  for (const t of texts) {
    const p = findPhrases(t);
    if (!p.text || seen.has(p.text)) continue;
    seen.add(p.text);
    out.push(p);
  }
  return out;
}

async function main(argv: string[]): Promise<void> {
  const arg = (name: string, dflt: string) => {
    const i = argv.indexOf(name);
    return i >= 0 && argv[i + 1] ? argv[i + 1] : dflt;
  };
  const cache = cacheDir(resolve(arg('--cache', join(tmpdir(), 'callguard-spotter-tts'))));
  const rng = new Prng(Number(arg('--seed', '1')));
  const jobs = Number(arg('--jobs', '2'));
  const plans = trainingSentences(rng, Number(arg('--per-phrase', '40')));
  if (argv.includes('--festival')) return festival(plans, rng, cache);
  const voices = trainingVoices();
  const work: Array<{ plan: SentencePlan; voice: string; speed: number; pitch: number }> = [];
  for (const plan of plans) {
    // Sentences with a keyword twice (two voices), the others once: keywords are the rarer class.
    const n = plan.phrases.length ? 2 : 1;
    for (let k = 0; k < n; k++)
      work.push({
        plan,
        voice: rng.pick(voices),
        speed: Math.round(rng.uniform(130, 185)),
        pitch: Math.round(rng.uniform(30, 70)),
      });
  }
  process.stdout.write(
    `${plans.length} sentences (${plans.filter((p) => p.phrases.length).length} with keywords), ${work.length} ` +
      `clips to speak, cache ${cache}\n`,
  );
  const done: Array<{ id: string; voice: string; spans: unknown }> = [];
  let next = 0;
  let failed = 0;
  const worker = async () => {
    while (next < work.length) {
      const w = work[next++];
      try {
        const c = await speakLabelled(w.plan, w.voice, { speed: w.speed, pitch: w.pitch }, cache);
        if (c) done.push({ id: c.id, voice: w.voice, spans: c.spans });
      } catch {
        failed++;
      }
      if (next % 500 === 0) process.stdout.write(`${next}/${work.length}\n`);
    }
  };
  await Promise.all(Array.from({ length: jobs }, worker));
  done.sort((a, b) => (a.id < b.id ? -1 : 1));
  writeFileSync(join(cache, 'clips.json'), JSON.stringify({ seed: Number(arg('--seed', '1')), clips: done }));
  process.stdout.write(`spoke ${done.length} clips (${failed} failed) into ${cache}\n`);
}

/** Every sentence with a keyword and every second one without, each by one festival voice at a random pace. */
async function festival(plans: SentencePlan[], rng: Prng, cache: string): Promise<void> {
  const queues = FESTIVAL_VOICES.map(() => [] as Array<{ plan: SentencePlan; stretch: number; key: string }>);
  plans.forEach((plan, i) => {
    if (!plan.phrases.length && i % 2) return;
    const v = rng.int(FESTIVAL_VOICES.length);
    const stretch = Math.round(rng.uniform(0.85, 1.2) * 1000) / 1000;
    const key = createHash('sha1')
      .update(`festival:${FESTIVAL_VOICES[v]}|${stretch}|${plan.text}`)
      .digest('hex')
      .slice(0, 20);
    queues[v].push({ plan, stretch, key });
  });
  const total = queues.reduce((n, q) => n + q.length, 0);
  process.stdout.write(`festival: ${total} clips over ${FESTIVAL_VOICES.join(', ')}, cache ${cache}\n`);
  const done: Array<{ id: string; voice: string; spans: unknown }> = [];
  let lost = 0;
  // Two voices at a time (two cores), batches of 200 sentences per festival process.
  const jobs = FESTIVAL_VOICES.flatMap((voice, v) => {
    const q = queues[v];
    const out: Array<{ voice: string; items: typeof q }> = [];
    for (let i = 0; i < q.length; i += 200) out.push({ voice, items: q.slice(i, i + 200) });
    return out;
  });
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const job = jobs[next++];
      const todo = job.items.filter((it) => !existsSync(join(cache, `${it.key}.json`)));
      await festivalBatch(
        job.voice,
        todo.map((it) => ({
          text: it.plan.text,
          wav: join(cache, `${it.key}.fest.wav`),
          times: join(cache, `${it.key}.times`),
          stretch: it.stretch,
        })),
      );
      for (const it of job.items) {
        const metaFile = join(cache, `${it.key}.json`);
        if (existsSync(metaFile)) {
          done.push({
            id: it.key,
            voice: `festival:${job.voice}`,
            spans: (JSON.parse(readFileSync(metaFile, 'utf8')) as { spans: unknown }).spans,
          });
          continue;
        }
        const timesFile = join(cache, `${it.key}.times`);
        const spans = existsSync(timesFile) ? festivalSpans(it.plan, timesFile) : null;
        if (!spans) {
          lost++;
          continue;
        }
        const c = storeClip(
          cache,
          it.key,
          { text: it.plan.text, voice: `festival:${job.voice}`, stretch: it.stretch },
          join(cache, `${it.key}.fest.wav`),
          spans,
        );
        done.push({ id: c.id, voice: c.source, spans: c.spans });
        rmSync(join(cache, `${it.key}.fest.wav`), { force: true });
        rmSync(timesFile, { force: true });
      }
      process.stdout.write(`${done.length + lost}/${total}\n`);
    }
  };
  await Promise.all([worker(), worker()]);
  done.sort((a, b) => (a.id < b.id ? -1 : 1));
  writeFileSync(join(cache, 'clips-festival.json'), JSON.stringify({ clips: done }));
  process.stdout.write(
    `festival spoke ${done.length} clips (${lost} whose phrase festival worded differently left out)\n`,
  );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) await main(process.argv.slice(2));
