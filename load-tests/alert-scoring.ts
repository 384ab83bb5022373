import type { ReceivedSubmit } from '../smpp/index.js';
import type { CallResult } from './call-generator.js';
import { summarize, type LatencySummary } from './latency-histogram.js';

/**
 * Scores the SMS alerts the SMSC simulator received against the plan's ground truth. An alert belongs to the call whose
 * protected (callee) number it was sent to — every planned call has its own number. Alert latency is submit_sm
 * arrival minus the wall-clock moment the call's first scam-like second was due on the wire (media start + onset).
 */
export interface AlertScore {
  scamCalls: number;
  calmCalls: number;
  /** Scam-like calls that got at least one alert (recall = alertedScam / scamCalls). */
  alertedScam: number;
  recall: number;
  /** Calm calls that got an alert. */
  falseAlerts: number;
  falseAlertRate: number;
  /** Alerts on scam-like calls sent before their scam-like audio began. */
  earlyAlerts: number;
  /** submit_sm PDUs (message parts) matched to no planned call. */
  unmatchedSubmits: number;
  /** First alert of each scam-like call: seconds from the first scam-like second to submit_sm at the SMSC. */
  latencyMs: LatencySummary;
  perCall: Array<{ callId: string; kind: string; firstAlertAt: number | null; latencyMs: number | null }>;
}

export function scoreAlerts(calls: readonly CallResult[], submits: readonly ReceivedSubmit[]): AlertScore {
  const byNumber = new Map<string, CallResult>();
  for (const c of calls) byNumber.set(digits(c.calleeNumber), c);
  const first = new Map<string, number>();
  let unmatched = 0;
  for (const s of submits) {
    // A multipart SMS is several submit_sm: the first part's arrival is when the alert reached the SMSC.
    if (s.concat && s.concat.seq !== 1) continue;
    const call = byNumber.get(digits(s.destination));
    if (!call) {
      unmatched++;
      continue;
    }
    const prev = first.get(call.callId);
    if (prev === undefined || s.at < prev) first.set(call.callId, s.at);
  }
  const answered = calls.filter((c) => c.mediaStartAt > 0);
  const scam = answered.filter((c) => c.kind === 'scam');
  const calm = answered.filter((c) => c.kind === 'calm');
  const latencies: number[] = [];
  let early = 0;
  const perCall = answered.map((c) => {
    const at = first.get(c.callId) ?? null;
    let latency: number | null = null;
    if (at !== null && c.kind === 'scam' && c.scamStartSeconds !== null) {
      latency = at - (c.mediaStartAt + c.scamStartSeconds * 1000);
      if (latency < 0) early++;
      else latencies.push(latency);
    }
    return { callId: c.callId, kind: c.kind, firstAlertAt: at, latencyMs: latency };
  });
  const alertedScam = scam.filter((c) => first.has(c.callId)).length;
  const falseAlerts = calm.filter((c) => first.has(c.callId)).length;
  return {
    scamCalls: scam.length,
    calmCalls: calm.length,
    alertedScam,
    recall: scam.length ? round3(alertedScam / scam.length) : 0,
    falseAlerts,
    falseAlertRate: calm.length ? round3(falseAlerts / calm.length) : 0,
    earlyAlerts: early,
    unmatchedSubmits: unmatched,
    latencyMs: summarize(latencies),
    perCall,
  };
}

function digits(n: string): string {
  return n.replace(/\D/g, '');
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
