/**
 * npm run bench:content — CPU per leg-second of each spoken-content stage beside the acoustic path, in one run, on the
 * same audio (held-out scripts read by flite voices over G.711 µ-law at 8 kHz):
 *   - recognition as the engine runs it in a slot: the shipped domain LM, channel adaptation (MLLR), one-pass search,
 *   - the same model with the previous release's search (second flat-lexicon pass, language weight 6.5), no adaptation,
 *   - recognition with PocketSphinx's generic en-us LM (the reference: 130k words),
 *   - the intent matcher alone (per recognised utterance),
 *   - the acoustic path (front-end and the emotion model through the supervisor and its pool, as `analyze` runs it),
 *     without and with the keyword spotter (it runs on the same windows in the same rounds).
 * Prints a table and what it means for slots per core.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../../engine/config/load-config.js';
import { analyzeFile } from '../../engine/cli/analyze-command.js';
import { quietLog } from '../../test/support/engine-fixtures.js';
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
  const generic = { hmm: SPHINX_EN_US.hmm, lm: '/usr/share/pocketsphinx/model/en-us/en-us.lm.bin', dict: SPHINX_EN_US.dict };
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
  rows.push(['recognition, domain LM, no adaptation, two-pass search (lw 6.5): the previous release', cpuPrevious, audio]);
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
  // The acoustic path, as analyze runs it (supervisor, pool, front-end, emotion model), recognition off; without and
  // with the keyword spotter on the same windows (the difference is the spotter's cost).
  const cfg = loadConfig({ env: {} });
  for (const spotter of [false, true]) {
    const acfg = { ...cfg, speech: { ...cfg.speech, enabled: false }, pool: { ...cfg.pool, threads: 1 }, model: { ...cfg.model, spotter } };
    let cpuAcoustic = 0;
    let aAudio = 0;
    for (const f of files.slice(0, 6)) {
      const r0 = process.resourceUsage();
      const r = await analyzeFile(f, acfg, quietLog);
      const r1 = process.resourceUsage();
      cpuAcoustic += (r1.userCPUTime - r0.userCPUTime + r1.systemCPUTime - r0.systemCPUTime) / 1e6;
      aAudio += r.durationSeconds;
    }
    rows.push([`acoustic path: front-end + emotion model${spotter ? ' + keyword spotter' : ''} (analyze, 1 worker; includes pool start-up per file)`, cpuAcoustic, aAudio]);
  }
  console.log(`spoken-content stages on ${audio.toFixed(0)} s of audio (${files.length} calls: ${scripts.length} scripts x ${voices.join(', ')}), ${new Date().toISOString()}\n`);
  console.log('| stage | CPU s per leg-second | legs per core |');
  console.log('|---|---|---|');
  for (const [name, cpu, secs] of rows) console.log(`| ${name} | ${(cpu / secs).toFixed(4)} | ${Math.floor(secs / cpu)} |`);
  const slotCost = cpuDomain / audio;
  console.log(`\none recognition slot costs ${(100 * slotCost).toFixed(1)} % of a core while its leg talks; the default 4 slots cost at most ${(400 * slotCost).toFixed(0)} % of a core (a listening leg costs less: silence decodes fast)`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
