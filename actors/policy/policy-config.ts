import { CallguardError } from '../../common/errors.js';
/**
 * Settings of the risk policy: every key with its default, bounds and meaning, and a validator whose errors name the
 * offending field. The config is flat (numbers and booleans only) so each key maps 1:1 to an environment variable:
 * `POLICY_CONFIG_KEYS[i].env` is CALLGUARD_POLICY_<KEY in UPPER_SNAKE>, following engine/config's convention.
 */

/** The validated, complete policy configuration. See POLICY_CONFIG_KEYS for what each key means. */
export interface PolicyConfig {
  threshold: number;
  hysteresis: number;
  confirmSeconds: number;
  minSpeechSeconds: number;
  cueSmoothingSeconds: number;
  distressSmoothingSeconds: number;
  riskSmoothingSeconds: number;
  baselineSeconds: number;
  talkSpanSeconds: number;
  acousticOnlyAlerts: boolean;
  acousticOnlyThreshold: number;
  escalation: boolean;
  escalationThreshold: number;
  escalationMinGapSeconds: number;
  weightPressureEmotion: number;
  weightPressureAcoustic: number;
  pressureAlone: number;
  weightDistress: number;
  weightDominance: number;
  weightOverlap: number;
  contentAlerts: boolean;
  contentThreshold: number;
  contentMemorySeconds: number;
  weightContent: number;
}

/** One documented key of PolicyConfig. */
export interface PolicyConfigKey {
  key: keyof PolicyConfig;
  /** Environment variable the engine maps to this key. */
  env: string;
  type: 'number' | 'boolean';
  default: number | boolean;
  /** Inclusive bounds for numbers. */
  min?: number;
  max?: number;
  description: string;
}

type KeySpec = Omit<PolicyConfigKey, 'env'>;

const SPECS: KeySpec[] = [
  {
    key: 'threshold',
    type: 'number',
    default: 0.6,
    min: 0.05,
    max: 1,
    description: 'Risk (0..1) at or above which an alert is considered (when the emotion model is running).',
  },
  {
    key: 'hysteresis',
    type: 'number',
    default: 0.08,
    min: 0,
    max: 0.5,
    description: 'Risk may dip this far below the threshold without resetting the confirmation timer.',
  },
  {
    key: 'confirmSeconds',
    type: 'number',
    default: 8,
    min: 0,
    max: 600,
    description:
      'Confirmation the alert needs, in call seconds at the threshold: a risk above it confirms faster (up to ' +
      '4x, by how far above), a dip within hysteresis holds, a deeper dip resets.',
  },
  {
    key: 'minSpeechSeconds',
    type: 'number',
    default: 8,
    min: 0,
    max: 3600,
    description:
      "Seconds of the other party's speech after which the cues count fully toward confirmation; before that " +
      'they count in proportion (no fixed wait).',
  },
  {
    key: 'cueSmoothingSeconds',
    type: 'number',
    default: 5,
    min: 0.5,
    max: 300,
    description:
      'Time constant (seconds of speech) of the per-leg cue averages; longer = more robust to noisy labels, slower.',
  },
  {
    key: 'distressSmoothingSeconds',
    type: 'number',
    default: 4,
    min: 0.5,
    max: 300,
    description:
      "Time constant (seconds of the subscriber's speech) of the subscriber's distress average; the subscriber " +
      'often says little while pressed, so it may be shorter than cueSmoothingSeconds.',
  },
  {
    key: 'riskSmoothingSeconds',
    type: 'number',
    default: 2,
    min: 0.5,
    max: 300,
    description: 'Time constant (call seconds) of the risk average.',
  },
  {
    key: 'baselineSeconds',
    type: 'number',
    default: 5,
    min: 0,
    max: 600,
    description: 'Seconds of voiced speech of a speaker before their pitch/level/rate baseline is trusted.',
  },
  {
    key: 'talkSpanSeconds',
    type: 'number',
    default: 40,
    min: 5,
    max: 3600,
    description: 'Time constant (call seconds) of the talk-time and overlap accumulators (dominance, interruptions).',
  },
  {
    key: 'acousticOnlyAlerts',
    type: 'boolean',
    default: true,
    description: 'Whether alerts may fire on acoustic cues alone (no emotion probabilities).',
  },
  {
    key: 'acousticOnlyThreshold',
    type: 'number',
    default: 0.7,
    min: 0.05,
    max: 1,
    description: 'Threshold used without emotion probabilities (blended by model coverage); must be >= threshold.',
  },
  {
    key: 'escalation',
    type: 'boolean',
    default: false,
    description: 'Send one second, escalated alert when the risk keeps rising after the first.',
  },
  {
    key: 'escalationThreshold',
    type: 'number',
    default: 0.8,
    min: 0.05,
    max: 1,
    description: 'Risk for the escalated alert; must exceed threshold.',
  },
  {
    key: 'escalationMinGapSeconds',
    type: 'number',
    default: 45,
    min: 0,
    max: 3600,
    description: 'Least call seconds between the alert and the escalation.',
  },
  {
    key: 'weightPressureEmotion',
    type: 'number',
    default: 0.65,
    min: 0,
    max: 10,
    description: "Weight of the emotion-model part of the other party's pressure (anger, fear, high arousal).",
  },
  {
    key: 'weightPressureAcoustic',
    type: 'number',
    default: 0.35,
    min: 0,
    max: 10,
    description:
      "Weight of the acoustic part of pressure (pitch raise, loudness, fast speech vs the speaker's baseline).",
  },
  {
    key: 'pressureAlone',
    type: 'number',
    default: 0.5,
    min: 0,
    max: 1,
    description:
      'Share of the pressure that counts with no supporting cue (distress, dominance, overlap); the rest needs ' +
      'support.',
  },
  {
    key: 'weightDistress',
    type: 'number',
    default: 0.8,
    min: 0,
    max: 1,
    description: "Strength (0..1) of the subscriber's distress (fear, sadness) as supporting cue.",
  },
  {
    key: 'weightDominance',
    type: 'number',
    default: 0.5,
    min: 0,
    max: 1,
    description: "Strength (0..1) of the other party's talk-time dominance as supporting cue.",
  },
  {
    key: 'contentAlerts',
    type: 'boolean',
    default: true,
    description:
      'Whether what the other party says (spoken scam intents) may raise an alert on its own, calm voice or not.',
  },
  {
    key: 'contentThreshold',
    type: 'number',
    default: 0.6,
    min: 0.05,
    max: 1,
    description:
      'Content score (0..1, from the intents heard) at which a content alert fires; it also needs an ask (code, ' +
      'credentials, payment) and a second kind of intent.',
  },
  {
    key: 'contentMemorySeconds',
    type: 'number',
    default: 180,
    min: 10,
    max: 3600,
    description: 'Time constant (call seconds) over which a heard intent keeps its weight.',
  },
  {
    key: 'weightContent',
    type: 'number',
    default: 0.6,
    min: 0,
    max: 1,
    description:
      'Strength (0..1) of the content score as supporting cue of the acoustic risk, and its share of the fused risk.',
  },
  {
    key: 'weightOverlap',
    type: 'number',
    default: 0.4,
    min: 0,
    max: 1,
    description:
      'Strength (0..1) of talking over each other (both legs speaking in the same window) as supporting cue.',
  },
];

const upperSnake = (k: string) => k.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();

/** Every key of PolicyConfig: type, default, bounds, description, and the environment variable it maps to. */
export const POLICY_CONFIG_KEYS: readonly PolicyConfigKey[] = Object.freeze(
  SPECS.map((s) => Object.freeze({ ...s, env: `CALLGUARD_POLICY_${upperSnake(s.key)}` })),
);

/** The defaults. */
export const DEFAULT_POLICY_CONFIG: Readonly<PolicyConfig> = Object.freeze(
  Object.fromEntries(SPECS.map((s) => [s.key, s.default])) as unknown as PolicyConfig,
);

/** A policy setting is missing, of the wrong type, out of range or inconsistent with another; `field` names it. */
export class PolicyConfigError extends CallguardError<'CG_POLICY_CONFIG'> {
  override name = 'PolicyConfigError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super('CG_POLICY_CONFIG', `policy.${field}: ${message}`, { setting: `policy.${field}` });
  }
}

/**
 * Validate a (partial) policy config and fill in defaults. Unknown keys, wrong types, NaN/Infinity, out-of-range values
 * and inconsistent pairs throw PolicyConfigError naming the field (e.g. "policy.threshold: must be <= 1, got 1.5").
 */
export function validatePolicyConfig(input: unknown = {}): PolicyConfig {
  if (input === null || typeof input !== 'object' || Array.isArray(input))
    throw new PolicyConfigError('(root)', 'must be an object');
  const src = input as Record<string, unknown>;
  for (const k of Object.keys(src)) {
    if (!SPECS.some((s) => s.key === k))
      throw new PolicyConfigError(k, `unknown key (known: ${SPECS.map((s) => s.key).join(', ')})`);
  }
  const out = { ...DEFAULT_POLICY_CONFIG } as Record<string, number | boolean>;
  for (const s of SPECS) {
    const v = src[s.key];
    if (v === undefined) continue;
    if (s.type === 'boolean') {
      if (typeof v !== 'boolean') throw new PolicyConfigError(s.key, `must be a boolean, got ${describe(v)}`);
    } else {
      if (typeof v !== 'number' || !Number.isFinite(v))
        throw new PolicyConfigError(s.key, `must be a finite number, got ${describe(v)}`);
      if (s.min !== undefined && v < s.min) throw new PolicyConfigError(s.key, `must be >= ${s.min}, got ${v}`);
      if (s.max !== undefined && v > s.max) throw new PolicyConfigError(s.key, `must be <= ${s.max}, got ${v}`);
    }
    out[s.key] = v as number | boolean;
  }
  const c = out as unknown as PolicyConfig;
  if (c.hysteresis >= c.threshold)
    throw new PolicyConfigError('hysteresis', `must be below threshold (${c.threshold}), got ${c.hysteresis}`);
  if (c.acousticOnlyThreshold < c.threshold)
    throw new PolicyConfigError(
      'acousticOnlyThreshold',
      `must be >= threshold (${c.threshold}), got ${c.acousticOnlyThreshold}`,
    );
  if (c.escalationThreshold <= c.threshold)
    throw new PolicyConfigError(
      'escalationThreshold',
      `must exceed threshold (${c.threshold}), got ${c.escalationThreshold}`,
    );
  if (c.weightPressureEmotion + c.weightPressureAcoustic <= 0)
    throw new PolicyConfigError('weightPressureAcoustic', 'weightPressureEmotion + weightPressureAcoustic must be > 0');
  return Object.freeze(c) as PolicyConfig;
}

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number') return String(v);
  return v === null ? 'null' : typeof v;
}
