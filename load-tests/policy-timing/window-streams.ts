import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { DEFAULT_FRONT_END, LIVE_WINDOW_HOP_SECONDS } from '../../actors/features/front-end-config.js';
import { extractOffline } from '../../actors/features/offline-extractor.js';
import { MIN_SPEECH_RATIO } from '../../actors/policy/risk-policy.js';
import type { PolicyWindowInput } from '../../actors/policy/policy-types.js';
import type { BatchedPredictor } from '../../models/runtime/predictor.js';
import type { ModelManifest } from '../../models/runtime/manifest.js';
import { assembleWindow } from '../../models/runtime/window-features.js';
import { legPcm, type SpeechCallPlan, type SpeechClip } from './speech-call-plan.js';

/**
 * The windows a live call would hand the policy, computed offline for a planned real-speech call: each leg through
 * the engine's own streaming front-end (live hop, 1 s) and the emotion model (windows with enough speech only, as the
 * actor does), then interleaved in the actor's order (by window index, leg 0 first). The features and the model are
 * the slow part and do not depend on the policy, so the streams are cached: two policies are compared on the very same
 * windows.
 */

export interface CallStream {
  plan: Omit<SpeechCallPlan, 'legs'>;
  windows: PolicyWindowInput[];
}

const LIVE = { ...DEFAULT_FRONT_END, windowHopSeconds: LIVE_WINDOW_HOP_SECONDS };
const BATCH = 64;
/** Four decimals keep the cache small and change no decision (the policy's own noise is far larger). */
const r4 = (x: number) => Math.round(x * 1e4) / 1e4;

/** Windows of one planned call (model: the shipped emotion model, already loaded). */
export function callStream(
  clips: readonly SpeechClip[],
  plan: SpeechCallPlan,
  predictor: BatchedPredictor,
  manifest: ModelManifest,
): CallStream {
  const perLeg: PolicyWindowInput[][] = [];
  for (const leg of [0, 1] as const) {
    const { rows, windows, geometry } = extractOffline(legPcm(clips, plan, leg), 8000, LIVE);
    const out: PolicyWindowInput[] = windows.map((w) => ({
      leg,
      role: leg === 0 ? 'caller' : 'callee',
      index: w.index,
      tStart: r4(w.tStart),
      tEnd: r4(w.tEnd),
      summary: {
        speechRatio: r4(w.summary.speechRatio),
        levelDbfs: r4(w.summary.levelDbfs),
        f0Median: r4(w.summary.f0Median),
        f0SpreadSemitones: r4(w.summary.f0SpreadSemitones),
        onsetsPerSecond: r4(w.summary.onsetsPerSecond),
        centroidHz: r4(w.summary.centroidHz),
      },
      emotions: null,
    }));
    const scored = windows.flatMap((w, i) => (w.summary.speechRatio >= MIN_SPEECH_RATIO ? [i] : []));
    for (let s = 0; s < scored.length; s += BATCH) {
      const batch = scored.slice(s, s + BATCH);
      const probs = predictor.predict(
        batch.map((i) => assembleWindow(rows, windows[i].startFrame, windows[i].frames, geometry, manifest)),
      );
      const L = manifest.labels.length;
      batch.forEach((i, k) => (out[i].emotions = Array.from(probs.subarray(k * L, (k + 1) * L), r4)));
    }
    perLeg.push(out);
  }
  const windows = [...perLeg[0], ...perLeg[1]].sort((a, b) => a.index - b.index || a.leg - b.leg);
  const { legs: _legs, ...meta } = plan;
  return { plan: meta, windows };
}

/** Cached streams by plan id (a JSON file), computed for the plans not in it yet; returns them in plan order. */
export function cachedStreams(
  path: string | null,
  clips: readonly SpeechClip[],
  plans: readonly SpeechCallPlan[],
  scorer: () => { predictor: BatchedPredictor; manifest: ModelManifest },
  progress: (done: number, total: number) => void = () => undefined,
): CallStream[] {
  const cache = new Map<string, CallStream>();
  if (path && existsSync(path))
    for (const s of JSON.parse(readFileSync(path, 'utf8')) as CallStream[]) cache.set(s.plan.id, s);
  let fresh = 0;
  const out = plans.map((p, n) => {
    let s = cache.get(p.id);
    if (!s) {
      const { predictor, manifest } = scorer();
      s = callStream(clips, p, predictor, manifest);
      cache.set(p.id, s);
      fresh++;
    }
    progress(n + 1, plans.length);
    return s;
  });
  if (path && fresh) writeFileSync(path, JSON.stringify([...cache.values()]));
  return out;
}
