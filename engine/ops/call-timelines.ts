import type { AlertEvent, WindowEvent } from '../../actors/actor-events.js';
import type { CallEnded, CallInfo, Supervisor } from '../supervisor.js';

/** The cue series a timeline keeps beside the risk, in the order of WindowEvent.cues. */
export const TIMELINE_CUES = ['pressure', 'distress', 'dominance', 'content'] as const;

/** One call's risk and cues over call time, column-wise (uPlot's data shape), with its alerts and intents marked. */
export interface CallTimeline {
  callId: string;
  active: boolean;
  /** Call time (s) of each point: the end of the window that produced it. */
  t: number[];
  risk: number[];
  pressure: number[];
  distress: number[];
  dominance: number[];
  content: number[];
  alerts: Array<{ t: number; level: string; basis: string | null }>;
  intents: Array<{ t: number; intent: string }>;
}

/** Points kept per call: a whole call fits, a long one is thinned (pairs merged) so memory stays bounded. */
const POINTS = 400;
/** Ended calls whose timelines stay viewable (for the alerts the console still lists). */
const ENDED_KEPT = 32;
const COLUMNS = 1 + 1 + TIMELINE_CUES.length;

interface Series {
  /** Column-major: [t, risk, cues...] each POINTS long. */
  cols: Float32Array[];
  n: number;
  /** Least call time between two kept points (0 until the series is first thinned). */
  step: number;
  /** Call time at which the last point's span began: later windows within `step` of it fold into that point. */
  anchor: number;
  alerts: CallTimeline['alerts'];
  intents: CallTimeline['intents'];
  active: boolean;
}

/**
 * Per-call risk/cue timelines for the operator console, fed by the supervisor's window and alert events (the engine's
 * own state: nothing is stored). Memory is bounded per call (POINTS points) and in the number of ended calls kept.
 * A series keeps the peak of each cue when it is thinned, so a short burst of pressure is not averaged away.
 */
export class CallTimelines {
  private readonly calls = new Map<string, Series>();
  private readonly ended: string[] = [];

  private readonly onWindow = (callId: string, ev: WindowEvent) => {
    if (ev.risk === null || !ev.cues) return;
    const s = this.series(callId);
    if (s) this.push(s, ev.tEnd, ev.risk, ev.cues);
  };
  private readonly onAlert = (callId: string, ev: AlertEvent) => {
    this.series(callId)?.alerts.push({ t: ev.t, level: ev.level, basis: ev.basis ?? null });
  };
  private readonly onEnded = (e: CallEnded) => {
    const s = this.calls.get(e.callId);
    if (!s) return;
    s.active = false;
    s.intents = intentsOf(e.info);
    this.ended.push(e.callId);
    while (this.ended.length > ENDED_KEPT) this.calls.delete(this.ended.shift()!);
  };

  constructor(private readonly supervisor: Supervisor) {}

  attach(): void {
    this.supervisor.on('window', this.onWindow);
    this.supervisor.on('alert', this.onAlert);
    this.supervisor.on('call-ended', this.onEnded);
  }

  detach(): void {
    this.supervisor.off('window', this.onWindow);
    this.supervisor.off('alert', this.onAlert);
    this.supervisor.off('call-ended', this.onEnded);
  }

  /** A call's timeline (active, or among the last ended ones), or null when unknown. */
  get(callId: string): CallTimeline | null {
    const s = this.calls.get(callId);
    if (!s) return null;
    const col = (i: number) => Array.from(s.cols[i].subarray(0, s.n), (v) => Math.round(v * 1000) / 1000);
    const info = s.active ? this.supervisor.callInfo(callId) : null;
    return {
      callId,
      active: s.active,
      t: col(0),
      risk: col(1),
      pressure: col(2),
      distress: col(3),
      dominance: col(4),
      content: col(5),
      alerts: s.alerts.slice(),
      intents: info ? intentsOf(info) : s.intents.slice(),
    };
  }

  /** Call ids with a timeline, newest ended last. */
  ids(): string[] {
    return [...this.calls.keys()];
  }

  private series(callId: string): Series | null {
    let s = this.calls.get(callId);
    if (s) return s.active ? s : null;
    s = {
      cols: Array.from({ length: COLUMNS }, () => new Float32Array(POINTS)),
      n: 0,
      step: 0,
      anchor: 0,
      alerts: [],
      intents: [],
      active: true,
    };
    this.calls.set(callId, s);
    return s;
  }

  private push(s: Series, t: number, risk: number, cues: readonly number[]): void {
    const c = s.cols;
    const last = s.n - 1;
    // Within the step of the last point's span: fold into it (latest time and risk, peak cues) rather than add one.
    if (last >= 0 && t - s.anchor < s.step) {
      c[0][last] = t;
      c[1][last] = risk;
      for (let k = 0; k < cues.length; k++) c[2 + k][last] = Math.max(c[2 + k][last], cues[k]);
      return;
    }
    if (s.n === POINTS) this.thin(s);
    s.anchor = t;
    const i = s.n++;
    c[0][i] = t;
    c[1][i] = risk;
    for (let k = 0; k < cues.length; k++) c[2 + k][i] = cues[k];
  }

  /** Halve the points: each pair becomes one (the later time and risk, the larger cue values). */
  private thin(s: Series): void {
    const c = s.cols;
    const half = s.n >> 1;
    for (let j = 0; j < half; j++) {
      const a = 2 * j;
      const b = a + 1;
      c[0][j] = c[0][b];
      c[1][j] = c[1][b];
      for (let k = 2; k < COLUMNS; k++) c[k][j] = Math.max(c[k][a], c[k][b]);
    }
    s.n = half;
    s.step = half > 1 ? (c[0][half - 1] - c[0][0]) / (half - 1) : s.step * 2;
  }
}

function intentsOf(info: CallInfo): CallTimeline['intents'] {
  return info.intents.map((i) => ({ t: Math.round(i.t * 10) / 10, intent: i.intent }));
}
