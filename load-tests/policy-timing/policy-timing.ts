/**
 * Time to alert and false alerts of one or more builds of the risk policy, on the same calls in the same run:
 * - synthetic: the calibration scenarios (actors/policy/calibration.ts) over `--seeds` seeds;
 * - real speech: two-party calls built from acted corpus takes (speech-call-plan.ts; Emo-DB, whose speakers the shipped
 *   model was trained on, and RAVDESS, whose speakers it never heard), through the engine's front-end and the shipped
 *   emotion model (window-streams.ts, cached in `--cache`), scam-like (calm lead-in, then an angry caller and an afraid
 *   callee) and calm (10–20 minutes), taking turns and both talking.
 * Time to alert is call seconds from the first scam-like take to the alert: call time, not wall clock.
 *
 *   node dist/load-tests/policy-timing/policy-timing.js [--policy dist/actors/policy/risk-policy.js]... \
 *     [--seeds 40] [--corpora emodb,ravdess] [--calm-calls 8] [--cache file.json] [--json] \
 *     [--model models/emotion-v1] [--speakers ravdess-01,ravdess-02] \
 *     [--config '{"minSpeechSeconds":10}']   (settings over the defaults, for trying values)
 * Several --policy paths (e.g. a build of main beside this one) are measured on the same windows. `--model` scores the
 * real speech with another model directory (cache per model and speaker list); `--speakers` keeps only those voices.
 */
import { readdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { SCENARIOS } from '../../actors/policy/calibration.js';
import type { PolicyConfig } from '../../actors/policy/policy-config.js';
import type { PolicyOutput, PolicyWindowInput } from '../../actors/policy/policy-types.js';
import { syntheticCall } from '../../actors/policy/synthetic-call.js';
import { DEFAULT_FRONT_END } from '../../actors/features/front-end-config.js';
import { readClipAudio } from '../../models/training/clip.js';
import { EMODB_DIR, parseClipName } from '../../models/training/emodb.js';
import { parseRavdessName, RAVDESS_DIR } from '../../models/training/ravdess.js';
import { selectBackend } from '../../models/runtime/backend.js';
import { loadModelDir } from '../../models/runtime/model-files.js';
import { BatchedPredictor } from '../../models/runtime/predictor.js';
import { shippedModelDir } from '../../models/runtime/shipped-model.js';
import { planSpeechCall, type SpeechCallPlan, type SpeechClip, type Voice } from './speech-call-plan.js';
import { cachedStreams, type CallStream } from './window-streams.js';

/** The part of a risk-policy module this tool drives (the same in every build since the state moved to the slab). */
interface PolicyModule {
  POLICY_STATE_LENGTH: number;
  DEFAULT_POLICY_CONFIG: PolicyConfig;
  initPolicyState(st: Float64Array, offset: number, cfg?: PolicyConfig): void;
  policyStep(st: Float64Array, offset: number, cfg: PolicyConfig, input: PolicyWindowInput): PolicyOutput;
}

/** First alert time of a call (call seconds), or null. */
export function firstAlert(m: PolicyModule, windows: readonly PolicyWindowInput[], cfg?: object): number | null {
  const c = { ...m.DEFAULT_POLICY_CONFIG, ...cfg } as PolicyConfig;
  const st = new Float64Array(m.POLICY_STATE_LENGTH);
  m.initPolicyState(st, 0, c);
  for (const w of windows) {
    const r = m.policyStep(st, 0, c, w);
    if (r.alert?.level === 'alert') return r.alert.t;
  }
  return null;
}

export interface TimingRow {
  set: string;
  /** Scam-like calls: alerted / all, median and max seconds from onset to alert. */
  scam: number;
  alerted: number;
  median: number | null;
  max: number | null;
  /** Calm calls: how many, how many alerted, total minutes. */
  calm: number;
  falseAlerts: number;
  calmMinutes: number;
}

function median(xs: number[]): number | null {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

interface Call {
  set: string;
  onset: number | null;
  seconds: number;
  windows: () => PolicyWindowInput[];
  cfg?: object;
}

function score(m: PolicyModule, set: string, calls: readonly Call[]): TimingRow {
  const delays: number[] = [];
  let scam = 0;
  let calm = 0;
  let falseAlerts = 0;
  let calmSeconds = 0;
  for (const c of calls) {
    const t = firstAlert(m, c.windows(), c.cfg);
    if (c.onset === null) {
      calm++;
      calmSeconds += c.seconds;
      if (t !== null) falseAlerts++;
    } else {
      scam++;
      if (t !== null) delays.push(t - c.onset);
    }
  }
  return {
    set,
    scam,
    alerted: delays.length,
    median: median(delays),
    max: delays.length ? Math.max(...delays) : null,
    calm,
    falseAlerts,
    calmMinutes: Math.round(calmSeconds / 60),
  };
}

/** The synthetic calibration scenarios as calls (scam-like ones pooled, calm ones pooled). */
function syntheticCalls(seeds: number): Call[] {
  const calls: Call[] = [];
  for (const sc of SCENARIOS)
    for (let seed = 1; seed <= seeds; seed++) {
      const spec = sc.spec(seed);
      calls.push({
        set: 'synthetic',
        onset: Number.isNaN(sc.patternStart) ? null : sc.patternStart,
        seconds: spec.segments.reduce((s, g) => s + g.seconds, 0),
        windows: () => syntheticCall(spec),
        cfg: sc.cfg,
      });
    }
  return calls;
}

/** Emo-DB: neutral and boredom are calm (as in the load tests); RAVDESS: neutral and calm. Anger and fear as such. */
function loadSpeechClips(corpora: readonly string[]): SpeechClip[] {
  const clips: SpeechClip[] = [];
  if (corpora.includes('emodb'))
    for (const file of readdirSync(EMODB_DIR).sort()) {
      const n = parseClipName(file);
      const voice: Voice | null =
        n?.emotion === 'anger'
          ? 'anger'
          : n?.emotion === 'fear'
            ? 'fear'
            : n?.emotion === 'neutral' || n?.emotion === 'boredom'
              ? 'calm'
              : null;
      if (n && voice)
        clips.push({ corpus: 'emodb', speaker: n.speaker, voice, file, pcm: readClipAudio(join(EMODB_DIR, file)).pcm });
    }
  if (corpora.includes('ravdess'))
    for (const file of readdirSync(RAVDESS_DIR).sort()) {
      const n = parseRavdessName(file);
      const voice: Voice | null =
        n?.code === '05' ? 'anger' : n?.code === '06' ? 'fear' : n?.code === '01' || n?.code === '02' ? 'calm' : null;
      if (n && voice)
        clips.push({
          corpus: 'ravdess',
          speaker: n.speaker,
          voice,
          file,
          pcm: readClipAudio(join(RAVDESS_DIR, file)).pcm,
        });
    }
  return clips;
}

/**
 * Per corpus and conversation: a scam-like call for every speaker as caller (the next speaker as callee), and
 * `calmCalls` calm calls (speaker i with speaker i + 2).
 */
function speechPlans(clips: readonly SpeechClip[], corpora: readonly string[], calmCalls: number): SpeechCallPlan[] {
  const plans: SpeechCallPlan[] = [];
  for (const corpus of corpora) {
    const speakers = [...new Set(clips.filter((c) => c.corpus === corpus).map((c) => c.speaker))].sort();
    const own = clips.filter((c) => c.corpus === corpus);
    for (const conversation of ['turns', 'overlapping'] as const) {
      speakers.forEach((s, i) =>
        plans.push(
          planSpeechCall(clips, s, speakers[(i + 1) % speakers.length], { kind: 'scam', conversation, seed: i + 1 }),
        ),
      );
      for (let i = 0; i < Math.min(calmCalls, speakers.length); i++)
        plans.push(
          planSpeechCall(clips, speakers[i], speakers[(i + 2) % speakers.length], {
            kind: 'calm',
            conversation,
            seed: 100 + i,
          }),
        );
    }
    if (!own.length) throw new Error(`no clips of ${corpus}`);
  }
  return plans;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      policy: { type: 'string', multiple: true },
      seeds: { type: 'string', default: '40' },
      corpora: { type: 'string', default: 'emodb,ravdess' },
      'calm-calls': { type: 'string', default: '8' },
      cache: { type: 'string', default: '' },
      model: { type: 'string', default: shippedModelDir() },
      speakers: { type: 'string', default: '' },
      json: { type: 'boolean', default: false },
      config: { type: 'string', default: '{}' },
    },
  });
  const here = new URL('../../actors/policy/risk-policy.js', import.meta.url).href;
  const paths = values.policy?.length ? values.policy.map((p) => pathToFileURL(resolve(p)).href) : [here];
  const modules = await Promise.all(paths.map(async (p) => (await import(p)) as PolicyModule));
  const corpora = values.corpora.split(',').filter(Boolean);
  // --speakers keeps only voices a model never heard (e.g. the hold-out speakers of a pooled model).
  const only = values.speakers.split(',').filter(Boolean);
  const clips = loadSpeechClips(corpora).filter((c) => !only.length || only.includes(c.speaker));
  const plans = speechPlans(clips, corpora, Number(values['calm-calls']));
  let model: { predictor: BatchedPredictor; manifest: Awaited<ReturnType<typeof loadModelDir>>['manifest'] } | null =
    null;
  const loaded = await (async () => {
    await selectBackend({ prefer: ['wasm', 'cpu'], logger: { info: () => undefined, warn: () => undefined } });
    return loadModelDir(values.model, DEFAULT_FRONT_END);
  })();
  const streams: CallStream[] = cachedStreams(
    values.cache ||
      `/tmp/callguard-policy-windows-${basename(resolve(values.model))}${only.length ? `-${only.join('+')}` : ''}.json`,
    clips,
    plans,
    () => (model ??= { predictor: new BatchedPredictor(loaded.model, loaded.manifest), manifest: loaded.manifest }),
    (done, total) => process.stderr.write(`\rreal-speech windows: ${done}/${total} calls`),
  );
  process.stderr.write('\n');
  const synthetic = syntheticCalls(Number(values.seeds));
  // Settings over every call's defaults (e.g. to try a value before making it the default).
  const over = JSON.parse(values.config) as object;
  for (const c of synthetic) c.cfg = { ...over, ...c.cfg };
  const speech: Call[] = streams.map((s) => ({
    set: `${s.plan.corpus} ${s.plan.conversation}`,
    onset: s.plan.onsetSeconds,
    seconds: s.plan.durationSeconds,
    windows: () => s.windows,
    cfg: over,
  }));
  const sets = [...new Set(speech.map((c) => c.set))];
  const results = modules.map((m, k) => ({
    policy: values.policy?.[k] ?? 'dist/actors/policy/risk-policy.js',
    rows: [
      score(m, 'synthetic scenarios', synthetic),
      ...sets.map((set) =>
        score(
          m,
          `real: ${set}`,
          speech.filter((c) => c.set === set),
        ),
      ),
      score(m, 'real: all', speech),
    ],
  }));
  if (values.json) {
    console.log(JSON.stringify(results, null, 1));
    return;
  }
  const f = (x: number | null) => (x === null ? '-' : x.toFixed(1));
  for (const r of results) {
    console.log(`policy ${r.policy}`);
    console.log(`${'calls'.padEnd(28)}${'scam alerted'.padStart(13)}${'median s'.padStart(10)}${'max s'.padStart(8)}`);
    console.log(`${''.padEnd(28)}${'false alerts / calm calls (minutes)'.padStart(39)}`);
    for (const row of r.rows)
      console.log(
        `${row.set.padEnd(28)}${`${row.alerted}/${row.scam}`.padStart(13)}${f(row.median).padStart(10)}` +
          `${f(row.max).padStart(8)}   ${row.falseAlerts}/${row.calm} ` +
          `(${row.calmMinutes} min)`,
      );
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href)
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
