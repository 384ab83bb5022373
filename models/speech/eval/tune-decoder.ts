/**
 * Decoder settings measured on the development set (dev-set.ts: corpus text, voices the held-out evaluation does not
 * use): for each variant, intent recall against the intents of the true text, intents heard that the text does not
 * hold, content alerts on scam and everyday pseudo-calls, word error rate and CPU per audio second.
 *
 *   node dist/models/speech/eval/tune-decoder.js [--voices a,b] [--stride 3] [--variants '{"name":["-lw","9"],...}']
 */
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IntentMatcher, type TimedWord } from '../../../actors/speech/intent-matcher.js';
import { recogniseLeg } from '../../../actors/speech/offline-recognition.js';
import { speechModelFiles } from '../../../actors/speech/speech-model.js';
import { parseWav } from '../../../engine/media/wav-reader.js';
import { spokenWords } from '../text-normalise.js';
import { DEV_VOICES, devCallWav, devCalls, type DevCall } from './dev-set.js';
import { contentDecision, wordErrors } from './evaluate-content.js';

/** Intents the matcher finds in the true text of a call (the reference the recognised intents are judged against). */
export function referenceIntents(matcher: IntentMatcher, call: DevCall): Set<string> {
  const words: TimedWord[] = call.sentences
    .flatMap((s) => spokenWords(s))
    .map((w, i) => ({ word: w, confidence: 1, start: i, end: i + 1 }));
  const out = new Set<string>();
  // Sentence by sentence with the previous sentence's tail, as the recogniser's utterances are matched.
  let k = 0;
  for (const s of call.sentences) {
    const n = spokenWords(s).length;
    for (const h of matcher.find(words.slice(Math.max(0, k - 6), k + n))) out.add(h.intent);
    k += n;
  }
  return out;
}

export interface VariantResult {
  variant: string;
  refIntents: number;
  recovered: number;
  extra: number;
  scamAlerts: number;
  scamCalls: number;
  everydayAlerts: number;
  everydayCalls: number;
  wer: number;
  cpuPerAudioSecond: number;
}

export function runVariant(
  name: string,
  args: string[],
  calls: DevCall[],
  voices: readonly string[],
  cacheDir: string,
): VariantResult {
  const files = speechModelFiles();
  const matcher = new IntentMatcher();
  const r: VariantResult = {
    variant: name,
    refIntents: 0,
    recovered: 0,
    extra: 0,
    scamAlerts: 0,
    scamCalls: 0,
    everydayAlerts: 0,
    everydayCalls: 0,
    wer: 0,
    cpuPerAudioSecond: 0,
  };
  let errors = 0;
  let refWords = 0;
  let cpu = 0;
  let audio = 0;
  for (const voice of voices) {
    for (const call of calls) {
      const a = parseWav(readFileSync(devCallWav(call, voice, cacheDir)));
      const hyp: string[] = [];
      const rec = recogniseLeg(files, a.channels[0], a.sampleRate, {
        decoderArgs: args,
        onUtterance: (w) => hyp.push(...w),
      });
      cpu += rec.cpuSeconds;
      audio += rec.audioSeconds;
      const ref = call.sentences.flatMap((s) => spokenWords(s));
      errors += wordErrors(ref, hyp);
      refWords += ref.length;
      const want = referenceIntents(matcher, call);
      const got = new Set(rec.intents.map((h) => h.intent as string));
      r.refIntents += want.size;
      for (const i of want) if (got.has(i)) r.recovered++;
      for (const i of got) if (!want.has(i)) r.extra++;
      const alerted = contentDecision(rec.intents, a.durationSeconds).alertT !== null;
      if (call.kind === 'scam') {
        r.scamCalls++;
        if (alerted) r.scamAlerts++;
      } else {
        r.everydayCalls++;
        if (alerted) r.everydayAlerts++;
      }
    }
  }
  r.wer = errors / Math.max(1, refWords);
  r.cpuPerAudioSecond = cpu / Math.max(1e-9, audio);
  return r;
}

function main(argv: string[]): void {
  const arg = (name: string, dflt: string) => {
    const i = argv.indexOf(name);
    return i >= 0 && argv[i + 1] ? argv[i + 1] : dflt;
  };
  const voices = arg('--voices', DEV_VOICES.join(',')).split(',');
  const calls = devCalls(6, Number(arg('--stride', '3')));
  const variants = JSON.parse(arg('--variants', '{"default":[]}')) as Record<string, string[]>;
  const cacheDir = arg('--cache', join(tmpdir(), 'callguard-dev-tts'));
  console.log(`dev set: ${calls.length} pseudo-calls x ${voices.length} voices (${voices.join(', ')})`);
  console.log('| variant | intent recall | extra intents | scam alerts | everyday alerts | WER | CPU s/s |');
  console.log('|---|---|---|---|---|---|---|');
  for (const [name, args] of Object.entries(variants)) {
    const r = runVariant(name, args, calls, voices, cacheDir);
    console.log(
      `| ${name} | ${r.recovered}/${r.refIntents} (${((100 * r.recovered) / r.refIntents).toFixed(1)} %) ` +
        `| ${r.extra} | ${r.scamAlerts}/${r.scamCalls} | ${r.everydayAlerts}/${r.everydayCalls} ` +
        `| ${(100 * r.wer).toFixed(1)} % | ${r.cpuPerAudioSecond.toFixed(3)} |`,
    );
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) main(process.argv.slice(2));
