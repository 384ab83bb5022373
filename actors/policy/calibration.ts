/**
 * Calibration report: runs the synthetic scenarios of the tests over many seeds and prints, per scenario, the peak
 * risk (median / max over seeds), how many calls alerted and when (seconds after the pattern started).
 * `node dist/actors/policy/calibration.js [seeds]` (default 40). Deterministic: the same build prints the same table.
 */
import {
  DEFAULT_POLICY_CONFIG,
  initPolicyState,
  policyStep,
  POLICY_STATE_LENGTH,
  type PolicyConfig,
} from './risk-policy.js';
import { AFRAID, ANGRY_URGENT, CALM, calm, LOUD_FAST, type SyntheticCallSpec } from './synthetic-call.js';
import { syntheticCall } from './synthetic-call.js';

export interface Scenario {
  name: string;
  /** Call second where the scam pattern starts (NaN: no pattern: must never alert). */
  patternStart: number;
  spec: (seed: number) => SyntheticCallSpec;
  cfg?: Partial<PolicyConfig>;
}

export interface RunResult {
  peakRisk: number;
  alerts: Array<{ level: string; t: number; explanation: string }>;
}

export function runCall(spec: SyntheticCallSpec, cfg: PolicyConfig): RunResult {
  const st = new Float64Array(POLICY_STATE_LENGTH);
  initPolicyState(st, 0, cfg);
  let peak = 0;
  const alerts: RunResult['alerts'] = [];
  for (const w of syntheticCall(spec)) {
    const r = policyStep(st, 0, cfg, w);
    if (r.risk > peak) peak = r.risk;
    if (r.alert) alerts.push({ level: r.alert.level, t: r.alert.t, explanation: r.alert.explanation });
  }
  return { peakRisk: peak, alerts };
}

export const SCENARIOS: Scenario[] = [
  { name: 'neutral 10 min', patternStart: NaN, spec: (seed) => ({ seed, segments: [calm(600)] }) },
  {
    name: 'neutral 10 min, weak model (acc 0.4)',
    patternStart: NaN,
    spec: (seed) => ({ seed, segments: [calm(600)], accuracy: 0.4 }),
  },
  {
    name: 'calm 20 min + 5% anger spikes',
    patternStart: NaN,
    spec: (seed) => ({ seed, segments: [calm(1200)], angerSpikeRate: 0.05 }),
  },
  {
    name: 'calm + 5 s anger burst',
    patternStart: NaN,
    spec: (seed) => ({ seed, segments: [calm(60), { seconds: 5, legs: [ANGRY_URGENT, CALM] }, calm(120)] }),
  },
  {
    name: 'calm + 15 s anger burst',
    patternStart: NaN,
    spec: (seed) => ({ seed, segments: [calm(60), { seconds: 15, legs: [ANGRY_URGENT, CALM] }, calm(120)] }),
  },
  {
    name: 'angry caller, calm callee (argument, no support)',
    patternStart: NaN,
    spec: (seed) => ({
      seed,
      segments: [calm(30), { seconds: 180, legs: [{ ...ANGRY_URGENT, talk: 1, interrupt: 0.05 }, CALM] }],
    }),
  },
  { name: 'neutral, no model', patternStart: NaN, spec: (seed) => ({ seed, segments: [calm(600)], accuracy: null }) },
  {
    name: 'dominant calm caller (sales pitch)',
    patternStart: NaN,
    spec: (seed) => ({
      seed,
      segments: [
        {
          seconds: 600,
          legs: [
            { ...CALM, talk: 3 },
            { ...CALM, talk: 0.5 },
          ],
        },
      ],
    }),
  },
  {
    name: 'scam: angry/urgent caller + afraid callee',
    patternStart: 30,
    spec: (seed) => ({ seed, segments: [calm(30), { seconds: 180, legs: [ANGRY_URGENT, AFRAID] }] }),
  },
  {
    name: 'scam from first second',
    patternStart: 0,
    spec: (seed) => ({ seed, segments: [{ seconds: 180, legs: [ANGRY_URGENT, AFRAID] }] }),
  },
  {
    name: 'scam, weak model (acc 0.4)',
    patternStart: 30,
    spec: (seed) => ({ seed, segments: [calm(30), { seconds: 180, legs: [ANGRY_URGENT, AFRAID] }], accuracy: 0.4 }),
  },
  {
    name: 'scam, protected = caller (outgoing)',
    patternStart: 30,
    spec: (seed) => ({
      seed,
      segments: [calm(30), { seconds: 180, legs: [AFRAID, ANGRY_URGENT] }],
      protectedRole: 'caller',
    }),
  },
  {
    name: 'scam, escalation on',
    patternStart: 30,
    spec: (seed) => ({ seed, segments: [calm(30), { seconds: 300, legs: [ANGRY_URGENT, AFRAID] }] }),
    cfg: { escalation: true },
  },
  {
    name: 'loud fast dominant caller, no model',
    patternStart: 30,
    spec: (seed) => ({ seed, segments: [calm(30), { seconds: 300, legs: [LOUD_FAST, CALM] }], accuracy: null }),
  },
  {
    name: 'calm caller, no model',
    patternStart: NaN,
    spec: (seed) => ({ seed, segments: [calm(330)], accuracy: null }),
  },
];

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

function main(): void {
  const seeds = Number(process.argv[2] ?? 40);
  console.log(`policy calibration: ${seeds} seeds per scenario, default config unless noted`);
  console.log('scenario'.padEnd(52), 'peak risk p50/max', ' alerted', ' t-to-alert p50/max', ' escalations');
  for (const sc of SCENARIOS) {
    const cfg = { ...DEFAULT_POLICY_CONFIG, ...sc.cfg } as PolicyConfig;
    const peaks: number[] = [];
    const delays: number[] = [];
    let alerted = 0;
    let esc = 0;
    let example = '';
    for (let s = 1; s <= seeds; s++) {
      const r = runCall(sc.spec(s), cfg);
      peaks.push(r.peakRisk);
      const a = r.alerts.find((x) => x.level === 'alert');
      if (a) {
        alerted++;
        delays.push(a.t - (Number.isNaN(sc.patternStart) ? 0 : sc.patternStart));
        example ||= a.explanation;
      }
      esc += r.alerts.filter((x) => x.level === 'escalation').length;
    }
    const d = delays.length ? `${quantile(delays, 0.5).toFixed(1)}/${Math.max(...delays).toFixed(1)} s` : '-';
    console.log(
      sc.name.padEnd(52),
      `${quantile(peaks, 0.5).toFixed(2)}/${Math.max(...peaks).toFixed(2)}`.padEnd(17),
      `${alerted}/${seeds}`.padStart(8),
      d.padStart(19),
      String(esc).padStart(12),
    );
    if (example) console.log('   e.g.', JSON.stringify(example));
  }
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) main();
