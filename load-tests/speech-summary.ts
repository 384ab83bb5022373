import type { CallResult } from './call-generator.js';
import type { PolledCall } from './engine-calls-poller.js';

/**
 * What a spoken load run says about the content path under load: per kind of call, how many got a recognition slot,
 * how soon (call time of the first slot) and for how much of the call, which intents were heard, and which alerts
 * the policy raised on content and which on tone. From the engine's GET /calls, polled during the run.
 */
export interface SpeechKindSummary {
  calls: number;
  /** Calls whose other party held a recognition slot at some point. */
  recognised: number;
  /** Call time (s) of the first slot: median and max over the recognised calls. */
  firstSlotP50: number | null;
  firstSlotMax: number | null;
  /** Seconds held / call length, mean over all calls of the kind (1 = heard for the whole call). */
  coverage: number;
  /** Calls on which the engine listed at least one intent. */
  withIntents: number;
  /** Calls the keyword spotter flagged (a keyword class heard). */
  flagged: number;
  /** Calls with an alert, by the alert's basis. */
  contentAlerts: number;
  acousticAlerts: number;
}

export interface SpeechLoadSummary {
  scam: SpeechKindSummary;
  calm: SpeechKindSummary;
  /** Recognised scam calls whose slot came only after their scam audio began + 30 s (late, by the queue). */
  scamHeardLate: number;
}

function median(xs: number[]): number | null {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export function summariseSpeech(
  calls: readonly CallResult[],
  polled: ReadonlyMap<string, PolledCall>,
): SpeechLoadSummary {
  const kind = (k: 'scam' | 'calm'): SpeechKindSummary => {
    const list = calls.filter((c) => c.kind === k && c.mediaStartAt > 0);
    const firsts: number[] = [];
    let coverage = 0;
    let withIntents = 0;
    let flagged = 0;
    let content = 0;
    let acoustic = 0;
    for (const c of list) {
      const p = polled.get(c.callId);
      if (p?.speech && p.speech.grants > 0 && p.speech.firstSlotAt !== null) firsts.push(p.speech.firstSlotAt);
      coverage += Math.min(1, (p?.speech?.heldSeconds ?? 0) / Math.max(1, c.durationSeconds));
      if (p?.intents.length) withIntents++;
      if (p?.keywords.length) flagged++;
      if (p?.alerts.some((a) => a.basis === 'content')) content++;
      else if (p?.alerts.length) acoustic++;
    }
    return {
      calls: list.length,
      recognised: firsts.length,
      firstSlotP50: median(firsts),
      firstSlotMax: firsts.length ? Math.max(...firsts) : null,
      coverage: list.length ? Math.round((1000 * coverage) / list.length) / 1000 : 0,
      withIntents,
      flagged,
      contentAlerts: content,
      acousticAlerts: acoustic,
    };
  };
  let late = 0;
  for (const c of calls) {
    const p = polled.get(c.callId);
    if (
      c.kind === 'scam' &&
      c.scamStartSeconds !== null &&
      p?.speech?.firstSlotAt != null &&
      p.speech.firstSlotAt > c.scamStartSeconds + 30
    )
      late++;
  }
  return { scam: kind('scam'), calm: kind('calm'), scamHeardLate: late };
}

export function speechMarkdown(s: SpeechLoadSummary): string[] {
  const row = (name: string, k: SpeechKindSummary) =>
    `| ${name} | ${k.calls} | ${k.flagged} | ${k.recognised} | ${k.firstSlotP50 ?? '-'} ` +
    `/ ${k.firstSlotMax ?? '-'} | ${(100 * k.coverage).toFixed(0)} % | ${k.withIntents} | ${k.contentAlerts} ` +
    `| ${k.acousticAlerts} |`;
  return [
    '## Spoken content under load',
    '',
    'From GET /calls: the calls the keyword spotter flagged, whether the other party got a recognition slot, the ' +
      'call time of its first slot, the share of the call a slot heard it, the calls with intents, and the alerts ' +
      'by basis.',
    '',
    '| calls | n | flagged by the spotter | got a slot | first slot at, median / max (s) | heard | with intents ' +
      '| content alerts | acoustic alerts |',
    '|---|---|---|---|---|---|---|---|---|',
    row('scam scripts', s.scam),
    row('benign scripts', s.calm),
    '',
    `Scam calls whose first slot came more than 30 s after their scam script began: ${s.scamHeardLate}.`,
    '',
  ];
}
