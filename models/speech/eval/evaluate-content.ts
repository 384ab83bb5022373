/**
 * Evaluation of the spoken-content path on audio, never on canned transcripts:
 * - the held-out scripts (scripts.json: scam and benign, never read by the LM build) spoken by TTS voices (flite,
 *   espeak-ng), sentences 0.5 s apart, through G.711 µ-law at 8 kHz, recognised by the same LegRecogniser the engine
 *   runs, then the real policy (content path; calm acoustic windows every second): intent recall/precision per
 *   voice, alert recall on scam scripts, false alerts on benign ones, time from the first heard ask to the alert;
 * - the Asterisk prompts (Debian asterisk-core-sounds-en-wav: a real voice at 8 kHz, texts in
 *   asterisk-core-sounds-en): word error rate, intents heard, and alerts on 60 s "calls" made of them (IVR prompts:
 *   benign by construction).
 *
 *   node dist/models/speech/eval/evaluate-content.js [--voices flite:awb,flite:rms,...] [--limit N] [--json out.json]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { applyIntent } from '../../../actors/policy/content-cues.js';
import { PolicySlot } from '../../../actors/policy/policy-state-layout.js';
import {
  initPolicyState,
  policyStep,
  POLICY_STATE_LENGTH,
  validatePolicyConfig,
} from '../../../actors/policy/risk-policy.js';
import type { IntentName } from '../../../actors/speech/intent-lexicon.js';
import type { HeardIntent } from '../../../actors/speech/leg-recogniser.js';
import { recogniseLeg } from '../../../actors/speech/offline-recognition.js';
import { speechModelFiles } from '../../../actors/speech/speech-model.js';
import { parseWav } from '../../../engine/media/wav-reader.js';
import { spokenWords } from '../text-normalise.js';

export interface EvalScript {
  id: string;
  kind: 'scam' | 'benign';
  sentences: string[];
  intents: IntentName[];
}

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..', '..', '..', '..');
export const SCRIPTS_PATH = join(repoRoot, 'models', 'speech', 'eval', 'scripts.json');
export const ASTERISK_DIR = '/usr/share/asterisk/sounds/en';
export const ASTERISK_TEXTS = '/usr/share/doc/asterisk-core-sounds-en/core-sounds-en.txt.gz';

export function loadScripts(): EvalScript[] {
  return JSON.parse(readFileSync(SCRIPTS_PATH, 'utf8')) as EvalScript[];
}

/**
 * Speak sentences with a voice ("flite:awb", "espeak:en-us+m3") into an 8 kHz µ-law WAV, 0.5 s between sentences
 * and 0.5 s of silence at the start. Needs flite / espeak-ng and sox.
 */
export function speak(sentences: string[], voice: string, out: string, workDir: string): void {
  const [engine, name] = voice.split(':');
  const parts: string[] = [];
  sentences.forEach((text, i) => {
    const f = join(workDir, `s${i}.wav`);
    if (engine === 'flite') execFileSync('flite', ['-voice', name, '-t', text, '-o', f]);
    else if (engine === 'espeak') execFileSync('espeak-ng', ['-v', name, '-s', '150', '-w', f, text]);
    else throw new Error(`unknown TTS engine ${engine}`);
    const r = join(workDir, `r${i}.wav`);
    execFileSync('sox', [f, '-r', '8000', '-c', '1', '-b', '16', r, 'pad', '0', '0.5']);
    parts.push(r);
  });
  const pcm = join(workDir, 'joined.wav');
  execFileSync('sox', [...parts, pcm, 'pad', '0.5', '0']);
  execFileSync('sox', [pcm, '-r', '8000', '-e', 'mu-law', out]);
}

/**
 * The content path of the real policy over recognised intents: calm acoustic windows, intents as the actor applies
 * them.
 */
export function contentDecision(
  intents: HeardIntent[],
  durationSeconds: number,
): { alertT: number | null; explanation: string | null; peak: number } {
  const cfg = validatePolicyConfig({});
  const st = new Float64Array(POLICY_STATE_LENGTH);
  initPolicyState(st, 0);
  const sorted = intents.map((h, i) => ({ ...h, seq: i + 1 })).sort((a, b) => a.seq - b.seq);
  const summary = {
    speechRatio: 0.8,
    levelDbfs: -20,
    f0Median: 120,
    f0SpreadSemitones: 2,
    onsetsPerSecond: 3.5,
    centroidHz: 1500,
  };
  const neutral = [0.02, 0.05, 0.02, 0.02, 0.04, 0.05, 0.8];
  let next = 0;
  let peak = 0;
  const last = Math.ceil(durationSeconds) + 1;
  for (let k = 1; k <= last; k++) {
    const tEnd = Math.min(k + 1, durationSeconds + 1);
    while (next < sorted.length && (sorted[next].availableAt <= tEnd || k === last))
      applyIntent(st, 0, cfg, sorted[next++]);
    const out = policyStep(st, 0, cfg, {
      leg: 0,
      role: 'caller',
      protectedRole: 'callee',
      index: k,
      tStart: tEnd - 2,
      tEnd,
      summary,
      emotions: neutral,
    });
    peak = Math.max(peak, out.risk);
    if (out.alert) return { alertT: out.alert.t, explanation: out.alert.explanation, peak };
  }
  return { alertT: st[PolicySlot.alerted] ? st[PolicySlot.alertT] : null, explanation: null, peak };
}

/** Word error rate (Levenshtein over words) of a hypothesis against a reference. */
export function wordErrors(ref: string[], hyp: string[]): number {
  const d = Array.from({ length: ref.length + 1 }, (_, i) => [i, ...new Array(hyp.length).fill(0)]);
  for (let j = 1; j <= hyp.length; j++) d[0][j] = j;
  for (let i = 1; i <= ref.length; i++)
    for (let j = 1; j <= hyp.length; j++)
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (ref[i - 1] === hyp[j - 1] ? 0 : 1));
  return d[ref.length][hyp.length];
}

/** Asterisk prompts with their texts (bracketed tone descriptions left out). */
export function asteriskPrompts(): Array<{ file: string; text: string }> {
  if (!existsSync(ASTERISK_TEXTS)) return [];
  const out: Array<{ file: string; text: string }> = [];
  for (const line of gunzipSync(readFileSync(ASTERISK_TEXTS)).toString('utf8').split('\n')) {
    const m = /^([a-z0-9-]+): (.+)$/.exec(line.trim());
    if (!m || m[2].startsWith('[')) continue;
    const file = join(ASTERISK_DIR, `${m[1]}.wav`);
    if (existsSync(file)) out.push({ file, text: m[2] });
  }
  return out;
}

interface VoiceResult {
  voice: string;
  scamScripts: number;
  alerts: number;
  benignScripts: number;
  falseAlerts: number;
  expectedIntents: number;
  heardExpected: number;
  heardIntents: number;
  heardUnexpected: number;
  askToAlert: number[];
  cpuPerAudioSecond: number;
  failures: string[];
}

function evaluateVoice(
  voice: string,
  scripts: EvalScript[],
  files: ReturnType<typeof speechModelFiles>,
  work: string,
): VoiceResult {
  const r: VoiceResult = {
    voice,
    scamScripts: 0,
    alerts: 0,
    benignScripts: 0,
    falseAlerts: 0,
    expectedIntents: 0,
    heardExpected: 0,
    heardIntents: 0,
    heardUnexpected: 0,
    askToAlert: [],
    cpuPerAudioSecond: 0,
    failures: [],
  };
  let cpu = 0;
  let audio = 0;
  for (const s of scripts) {
    const wav = join(work, `${s.id}.wav`);
    speak(s.sentences, voice, wav, work);
    const a = parseWav(readFileSync(wav));
    const rec = recogniseLeg(files, a.channels[0], a.sampleRate);
    cpu += rec.cpuSeconds;
    audio += rec.audioSeconds;
    const heard = new Set(rec.intents.map((h) => h.intent));
    const expected = new Set(s.intents);
    r.heardIntents += heard.size;
    for (const i of heard) if (!expected.has(i)) r.heardUnexpected++;
    r.expectedIntents += expected.size;
    for (const i of expected) if (heard.has(i)) r.heardExpected++;
    const d = contentDecision(rec.intents, a.durationSeconds);
    if (s.kind === 'scam') {
      r.scamScripts++;
      if (d.alertT !== null) {
        r.alerts++;
        const ask = rec.intents.find((h) => h.intent.startsWith('ask.') || h.intent.startsWith('pay.'));
        if (ask) r.askToAlert.push(d.alertT - ask.t);
      } else r.failures.push(`${s.id}: no alert (heard ${[...heard].join(', ') || 'nothing'})`);
    } else {
      r.benignScripts++;
      if (d.alertT !== null) {
        r.falseAlerts++;
        r.failures.push(`${s.id}: FALSE alert at ${d.alertT.toFixed(1)} s (heard ${[...heard].join(', ')})`);
      }
    }
  }
  r.cpuPerAudioSecond = cpu / Math.max(audio, 1e-9);
  return r;
}

function evaluateAsterisk(files: ReturnType<typeof speechModelFiles>, limit: number, work: string) {
  const prompts = asteriskPrompts()
    .filter((p) => spokenWords(p.text).length >= 3)
    .slice(0, limit);
  // The prompts back to back as benign "calls" of about 60 s: one decoder per call, as a live leg has.
  const calls: Array<Array<{ file: string; text: string }>> = [[]];
  let len = 0;
  for (const p of prompts) {
    const dur = parseWav(readFileSync(p.file)).durationSeconds;
    if (len + dur > 60 && calls[calls.length - 1].length) {
      calls.push([]);
      len = 0;
    }
    calls[calls.length - 1].push(p);
    len += dur;
  }
  let errors = 0;
  let refWords = 0;
  let cpu = 0;
  let audio = 0;
  let falseAlerts = 0;
  const intents: Record<string, number> = {};
  for (const c of calls) {
    const wav = join(work, 'ast-call.wav');
    execFileSync('sox', [...c.map((p) => p.file), '-r', '8000', '-c', '1', '-b', '16', wav]);
    const a = parseWav(readFileSync(wav));
    const hyp: string[] = [];
    const rec = recogniseLeg(files, a.channels[0], a.sampleRate, { onUtterance: (w) => hyp.push(...w) });
    cpu += rec.cpuSeconds;
    audio += rec.audioSeconds;
    for (const h of rec.intents) intents[h.intent] = (intents[h.intent] ?? 0) + 1;
    const ref = c.flatMap((p) => spokenWords(p.text));
    errors += wordErrors(ref, hyp);
    refWords += ref.length;
    if (contentDecision(rec.intents, a.durationSeconds).alertT !== null) falseAlerts++;
  }
  return {
    prompts: prompts.length,
    audioSeconds: audio,
    wer: errors / Math.max(refWords, 1),
    cpuPerAudioSecond: cpu / Math.max(audio, 1e-9),
    intents,
    calls: calls.length,
    falseAlerts,
  };
}

function main(argv: string[]): void {
  const arg = (name: string, dflt: string) => {
    const i = argv.indexOf(name);
    return i >= 0 && argv[i + 1] ? argv[i + 1] : dflt;
  };
  const voices = arg('--voices', 'flite:awb,flite:rms,flite:kal,flite:slt,espeak:en-us').split(',');
  const limit = Number(arg('--limit', '120'));
  const files = speechModelFiles();
  const scripts = loadScripts();
  const work = mkdtempSync(join(tmpdir(), 'callguard-content-eval-'));
  try {
    const results = voices.map((v) => evaluateVoice(v, scripts, files, work));
    const ast = evaluateAsterisk(files, limit, work);
    const report = {
      date: new Date().toISOString(),
      commit: gitCommit(),
      scripts: {
        scam: scripts.filter((s) => s.kind === 'scam').length,
        benign: scripts.filter((s) => s.kind === 'benign').length,
      },
      voices: results,
      asterisk: ast,
    };
    const jsonOut = arg('--json', '');
    if (jsonOut) writeFileSync(jsonOut, JSON.stringify(report, null, 2) + '\n');
    const pct = (a: number, b: number) => (b ? `${((100 * a) / b).toFixed(0)} %` : '-');
    const med = (x: number[]) => (x.length ? [...x].sort((a, b) => a - b)[Math.floor(x.length / 2)].toFixed(1) : '-');
    console.log(
      '| voice | alerts on scam scripts | false alerts on benign | intent recall | intent precision | ask → ' +
        'alert, median (max) s | ASR CPU s per audio s |',
    );
    console.log('|---|---|---|---|---|---|---|');
    for (const r of results)
      console.log(
        `| ${r.voice} | ${r.alerts}/${r.scamScripts} | ${r.falseAlerts}/${r.benignScripts} ` +
          `| ${pct(r.heardExpected, r.expectedIntents)} ` +
          `| ${pct(r.heardIntents - r.heardUnexpected, r.heardIntents)} | ${med(r.askToAlert)} ` +
          `(${r.askToAlert.length ? Math.max(...r.askToAlert).toFixed(1) : '-'}) ` +
          `| ${r.cpuPerAudioSecond.toFixed(3)} |`,
      );
    console.log(
      `\nAsterisk prompts (real voice, 8 kHz): ${ast.prompts} prompts, ${ast.audioSeconds.toFixed(0)} s; ` +
        `WER ${(100 * ast.wer).toFixed(1)} %; ${ast.cpuPerAudioSecond.toFixed(3)} CPU s per audio s; intents ` +
        `heard ${JSON.stringify(ast.intents)}; false alerts ${ast.falseAlerts}/${ast.calls} calls of 60 s`,
    );
    for (const r of results) for (const f of r.failures) console.log(`  ${r.voice}: ${f}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoRoot }).toString().trim();
  } catch {
    return 'unknown';
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) main(process.argv.slice(2));
