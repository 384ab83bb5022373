/**
 * npm run bench:content — CPU per leg-second of each spoken-content stage beside the acoustic path, in one run, on
 * the same audio (held-out scripts read by flite voices over G.711 µ-law at 8 kHz):
 *   - recognition as the engine runs it in a slot: the shipped domain LM, channel adaptation (MLLR), one-pass search,
 *   - the same model with the previous release's search (second flat-lexicon pass, language weight 6.5), no adaptation,
 *   - recognition with PocketSphinx's generic en-us LM (the reference: 130k words),
 *   - the intent matcher alone (per recognised utterance),
 *   - the acoustic path on the same audio: the streaming front-end, the emotion model and the keyword spotter on the
 *     windows the engine scores (batched, as the workers run them).
 * Prints a table and what it means for slots per core.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { DEFAULT_FRONT_END, LIVE_WINDOW_HOP_SECONDS, frontEndGeometry } from '../features/front-end-config.js';
import { extractOffline } from '../features/offline-extractor.js';
import { MIN_SPEECH_RATIO } from '../policy/risk-policy.js';
import { selectBackend } from '../../models/runtime/backend.js';
import { loadModelDir } from '../../models/runtime/model-files.js';
import { BatchedPredictor } from '../../models/runtime/predictor.js';
import { shippedModelDir, shippedSpotterDir } from '../../models/runtime/shipped-model.js';
import { assembleWindow } from '../../models/runtime/window-features.js';
import { loadScripts, speak } from '../../models/speech/eval/evaluate-content.js';
import { parseWav } from '../../engine/media/wav-reader.js';
import { IntentMatcher } from './intent-matcher.js';
import { recogniseLeg } from './offline-recognition.js';
import { SPHINX_EN_US } from '../../models/speech/pronunciations.js';
import { speechModelFiles } from './speech-model.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const work = mkdtempSync(join(tmpdir(), 'callguard-bench-content-'));
try {
  const scripts = loadScripts().slice(0, 6);
  const voices = ['flite:awb', 'flite:rms'];
  const files: string[] = [];
  for (const s of scripts)
    for (const v of voices) {
      const f = join(work, `${s.id}-${v.replace(':', '-')}.wav`);
      speak(s.sentences, v, f, work);
      files.push(f);
    }
  const domain = speechModelFiles();
  const generic = {
    hmm: SPHINX_EN_US.hmm,
    lm: '/usr/share/pocketsphinx/model/en-us/en-us.lm.bin',
    dict: SPHINX_EN_US.dict,
  };
  const rows: Array<[string, number, number]> = [];
  let audio = 0;
  let cpuDomain = 0;
  let cpuGeneric = 0;
  let cpuPrevious = 0;
  const { mllr: _mllr, ...unadapted } = domain;
  const previousSearch = ['-fwdflat', 'yes', '-lw', '6.5'];
  const utterances: string[][] = [];
  for (const f of files) {
    const a = parseWav(readFileSync(f));
    const d = recogniseLeg(domain, a.channels[0], a.sampleRate, { onUtterance: (w) => utterances.push(w) });
    const p = recogniseLeg(unadapted, a.channels[0], a.sampleRate, { decoderArgs: previousSearch });
    const g = recogniseLeg(generic, a.channels[0], a.sampleRate);
    cpuPrevious += p.cpuSeconds;
    audio += d.audioSeconds;
    cpuDomain += d.cpuSeconds;
    cpuGeneric += g.cpuSeconds;
  }
  rows.push(['recognition as shipped: domain LM, channel MLLR, one-pass search (lw 8)', cpuDomain, audio]);
  rows.push([
    'recognition, domain LM, no adaptation, two-pass search (lw 6.5): the previous release',
    cpuPrevious,
    audio,
  ]);
  rows.push(['recognition, generic en-us LM (reference)', cpuGeneric, audio]);
  const m = new IntentMatcher();
  const timed = utterances.map((u) => u.map((w, i) => ({ word: w, confidence: 1, start: i, end: i })));
  const reps = 20;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let r = 0; r < reps; r++) for (const u of timed) m.find(u);
  const c1 = process.cpuUsage(c0);
  rows.push([`intent matcher (${timed.length} utterances x ${reps})`, (c1.user + c1.system) / 1e6 / reps, audio]);
  void t0;
  // The acoustic path on the same audio, in this thread: the streaming front-end, then the emotion model and the
  // keyword spotter on the windows the engine scores (2 s, one a second, with speech), batched 32 per predict.
  await selectBackend({ prefer: ['wasm'], logger: { info: () => undefined, warn: () => undefined } });
  const g = frontEndGeometry({ ...DEFAULT_FRONT_END, windowHopSeconds: LIVE_WINDOW_HOP_SECONDS });
  const emotion = await loadModelDir(shippedModelDir(), g.cfg);
  const spotter = await loadModelDir(shippedSpotterDir(), g.cfg);
  const cpu = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  };
  let feCpu = 0;
  let feAudio = 0;
  const windows: Array<{ rows: Float32Array[]; start: number; frames: number }> = [];
  for (const f of files) {
    const a = parseWav(readFileSync(f));
    const c0 = cpu();
    const ex = extractOffline(a.channels[0], a.sampleRate, g.cfg);
    feCpu += cpu() - c0;
    feAudio += a.durationSeconds;
    for (const w of ex.windows)
      if (w.summary.speechRatio >= MIN_SPEECH_RATIO)
        windows.push({ rows: ex.rows, start: w.startFrame, frames: w.frames });
  }
  rows.push(['front-end: G.711 → features, 100 frames/s (streaming extractor)', feCpu, feAudio]);
  for (const [name, m] of [
    ['emotion model (emotion-v1)', emotion],
    ['keyword spotter (spotter-en-v1)', spotter],
  ] as const) {
    const p = new BatchedPredictor(m.model, m.manifest, { buckets: [32] });
    p.warmUp();
    const inputs = windows.map((w) => assembleWindow(w.rows, w.start, w.frames, g, m.manifest));
    const c0 = cpu();
    for (let r = 0; r < 3; r++) for (let k = 0; k < inputs.length; k += 32) p.predict(inputs.slice(k, k + 32));
    // One window a second of a leg with speech: CPU per window = CPU per leg-second of speech.
    rows.push([
      `${name}: one window a second of speech, batches of 32 (${inputs.length} windows x 3)`,
      (cpu() - c0) / 3,
      inputs.length,
    ]);
  }
  console.log(
    `spoken-content stages on ${audio.toFixed(0)} s of audio (${files.length} calls: ${scripts.length} scripts ` +
      `x ${voices.join(', ')}), ${new Date().toISOString()}\n`,
  );
  console.log('| stage | CPU s per leg-second | legs per core |');
  console.log('|---|---|---|');
  for (const [name, cpu, secs] of rows)
    console.log(`| ${name} | ${(cpu / secs).toFixed(4)} | ${Math.floor(secs / cpu)} |`);
  const slotCost = cpuDomain / audio;
  console.log(
    `\none recognition slot costs ${(100 * slotCost).toFixed(1)} % of a core while its leg talks; the default 4 ` +
      `slots cost at most ${(400 * slotCost).toFixed(0)} % of a core (a listening leg costs less: silence decodes ` +
      `fast)`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
