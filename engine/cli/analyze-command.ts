import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { WindowEvent } from '../../actors/actor-events.js';
import type { CallguardConfig } from '../config/config-schema.js';
import type { Logger } from '../logger.js';
import { streamFileIntoCall } from '../media/file-source.js';
import { parseWav, WavError } from '../media/wav-reader.js';
import { Supervisor } from '../supervisor.js';
import { resolveModelSettings } from '../model-settings.js';
import type { AlertEvent } from '../../actors/actor-events.js';
import { EMOTION_LABELS } from '../../models/runtime/manifest.js';
import type { HeardIntent } from '../../actors/speech/leg-recogniser.js';
import { recogniseLeg } from '../../actors/speech/offline-recognition.js';
import { speechModelFiles } from '../../actors/speech/speech-model.js';

/** One line of the timeline, as printed with --json (NDJSON). */
export interface TimelineEntry extends Omit<WindowEvent, 'type'> {
  file: string;
  legName: string;
}

export interface AnalyzeResult {
  entries: TimelineEntry[];
  alerts: Array<AlertEvent & { file: string }>;
  model: boolean;
  durationSeconds: number;
  wallSeconds: number;
  legs: number;
  actorErrors: number;
  /** Spoken intents heard on the other party's leg (words only with `words`); null when recognition is off. */
  intents: Array<HeardIntent & { file: string; legName: string }> | null;
  /** Why recognition did not run, when it did not. */
  speechOff: string | null;
}

export interface AnalyzeOptions {
  /** Keep the words that made each intent (the operator's own file; never in the engine). */
  words?: boolean;
}

/** Read a file as bytes, turning file-system errors into one-line WavErrors. */
export function readAudioFile(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why =
      e.code === 'ENOENT'
        ? 'no such file'
        : e.code === 'EISDIR'
          ? 'is a directory'
          : e.code === 'EACCES'
            ? 'permission denied'
            : e.message;
    throw new WavError('CG_WAV_NOT_WAV', `cannot read ${path}: ${why}`);
  }
}

/**
 * Stream a WAV file through the same engine path a live call takes (supervisor → actor on the pool → ring buffers
 * → features) and collect the per-window timeline of every leg.
 */
export async function analyzeFile(
  path: string,
  cfg: CallguardConfig,
  log: Logger,
  opts: AnalyzeOptions = {},
): Promise<AnalyzeResult> {
  const audio = parseWav(readAudioFile(path));
  const legNames = audio.channels.length === 2 ? ['caller', 'callee'] : ['mono'];
  // Spoken content: the other party's leg (the caller of a two-channel file; the only leg of a mono one) is
  // recognised first, and its intents are handed to the call with the audio time at which the recogniser had them,
  // so the policy applies each where a live call would.
  const otherLeg = 0;
  let heard: HeardIntent[] | null = null;
  let speechOff: string | null = null;
  if (cfg.speech.enabled) {
    try {
      heard = recogniseLeg(
        speechModelFiles(cfg.speech.modelDir || undefined),
        audio.channels[otherLeg],
        audio.sampleRate,
        { keepWords: opts.words === true, maxUtteranceSeconds: cfg.speech.maxUtteranceSeconds },
      ).intents;
    } catch (err) {
      speechOff = (err as Error).message;
    }
  } else speechOff = 'speech.enabled is false';
  // Files are not paced: schedule steps as soon as audio is there rather than on the live tick.
  const model = resolveModelSettings(cfg);
  const sup = new Supervisor({ ...cfg, engine: { ...cfg.engine, tickMs: 5 } }, log, model);
  await sup.start();
  const entries: TimelineEntry[] = [];
  let actorErrors = 0;
  const file = basename(path);
  sup.on('window', (_id: string, ev: WindowEvent) => {
    const { type: _t, ...rest } = ev;
    entries.push({ file, legName: legNames[ev.leg], ...rest });
  });
  sup.on('actor-error', () => actorErrors++);
  const alerts: AnalyzeResult['alerts'] = [];
  sup.on('alert', (_id: string, ev: AlertEvent) => alerts.push({ ...ev, file }));
  const started = process.hrtime.bigint();
  try {
    const call = sup.createCall({
      callId: `file:${file}`,
      source: 'file',
      legs: audio.channels.map((_, i) => ({
        sampleRate: audio.sampleRate,
        label: legNames[i],
        role: legNames[i] === 'mono' ? 'unknown' : (legNames[i] as 'caller' | 'callee'),
      })),
      subscriberLeg: audio.channels.length === 2 ? 1 : 0,
    });
    if (heard?.length)
      sup.addIntents(
        call.callId,
        heard.map((h) => ({ intent: h.intent, t: h.t, confidence: h.confidence, availableAt: h.availableAt })),
      );
    await streamFileIntoCall(call, audio);
    sup.endCall(call.callId, 'end-of-file');
    const ended = await call.ended;
    if (ended.state === 'failed') throw new Error(`analysis failed: ${ended.reason}`);
  } finally {
    await sup.close();
  }
  const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  entries.sort((a, b) => a.index - b.index || a.leg - b.leg);
  const intents = heard ? heard.map((h) => ({ ...h, file, legName: legNames[otherLeg] })) : null;
  return {
    entries,
    alerts,
    model: model !== null,
    durationSeconds: audio.durationSeconds,
    wallSeconds,
    legs: audio.channels.length,
    actorErrors,
    intents,
    speechOff,
  };
}

const fmt = (v: number, d = 1) => (Number.isFinite(v) ? v.toFixed(d) : '-');

/** Human-readable timeline lines. */
export function formatTimeline(r: AnalyzeResult): string[] {
  const lines = [
    `time (s)        leg     speech  level dBFS  F0 Hz  F0 spread st  onsets/s  centroid ` +
      `Hz  ${r.model ? 'emotion (p)        ' : ''}risk`,
  ];
  for (const e of r.entries) {
    const span = `${fmt(e.tStart, 2).padStart(6)}–${fmt(e.tEnd, 2).padEnd(6)}${e.partial ? '*' : ' '}`;
    let emotion = '';
    if (r.model) {
      const p = e.emotions ?? [];
      const top = p.length ? p.indexOf(Math.max(...p)) : -1;
      emotion = (top >= 0 ? `${EMOTION_LABELS[top]} ${fmt(p[top], 2)}` : '-').padEnd(17) + '  ';
    }
    lines.push(
      `${span}  ${e.legName.padEnd(6)}  ${(fmt(e.speechRatio * 100, 0) + '%').padStart(6)}  ` +
        `${fmt(e.levelDbfs).padStart(10)}  ${(e.f0Median ? fmt(e.f0Median, 0) : '-').padStart(5)}  ` +
        `${(e.f0Median ? fmt(e.f0SpreadSemitones, 2) : '-').padStart(12)}  ${fmt(e.onsetsPerSecond, 2).padStart(8)}` +
        `  ${fmt(e.centroidHz, 0).padStart(11)}  ${emotion}${e.risk === null ? '-' : fmt(e.risk, 2)}`,
    );
  }
  for (const i of r.intents ?? [])
    lines.push(
      `INTENT ${i.intent} at ${fmt(i.t, 1)} s (${i.legName}, ` +
        `confidence ${fmt(i.confidence, 2)})${i.words ? `: "${i.words.join(' ')}"` : ''}`,
    );
  if (r.speechOff) lines.push(`spoken content not analysed: ${r.speechOff}`);
  for (const a of r.alerts)
    lines.push(
      `ALERT (${a.level}) at ${fmt(a.t, 1)} s, risk ${fmt(a.risk, 2)}: ${a.explanation} — ${a.actions.join('; ')}`,
    );
  if (!r.alerts.length) lines.push('no scam alert');
  lines.push(
    `${r.entries.length} windows over ${fmt(r.durationSeconds, 2)} s of audio, ${r.legs} leg(s), analysed ` +
      `in ${fmt(r.wallSeconds, 3)} s (${fmt(r.durationSeconds / Math.max(r.wallSeconds, 1e-9), 0)}× real ` +
      `time)${r.entries.some((e) => e.partial) ? '; * = partial window at the end' : ''}`,
  );
  return lines;
}
