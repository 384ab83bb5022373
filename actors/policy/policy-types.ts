import type { WindowSummary } from '../features/window-summary.js';

/** Which side of the call a leg carries (from the SIPREC metadata). */
export type LegRole = 'caller' | 'callee';

/** One analysis window of one leg, as the policy sees it. */
export interface PolicyWindowInput {
  /** Leg index in the call: 0 or 1. */
  leg: number;
  /** The leg's role. */
  role: LegRole;
  /** Which role is the protected subscriber; default 'callee' (incoming call). 'caller' for an outgoing call. */
  protectedRole?: LegRole;
  /** Window number within the leg (strictly increasing); a window not newer than the last accepted one is ignored. */
  index: number;
  /** Window start and end, seconds from the start of the call. */
  tStart: number;
  tEnd: number;
  /** Acoustic summary of the window. */
  summary: WindowSummary;
  /**
   * Emotion probabilities in EMOTION_ORDER (anger, boredom, disgust, fear, happiness, sadness, neutral), or null when
   * no model is loaded. Invalid vectors (wrong length, NaN, negative) are treated as null.
   */
  emotions: ArrayLike<number> | null;
}

/** The smoothed cues of the call at a step, oriented to the protected subscriber ("other" = the other party). */
export interface PolicyCues {
  /** Role of the other party (the potential scammer): 'caller' on incoming calls. */
  otherRole: LegRole;
  /** Other party's pressure (0..1): emotion and acoustic parts blended by model coverage. */
  pressure: number;
  /** Emotion part of the pressure (0..1; 0 without a model). */
  pressureEmotion: number;
  /** Acoustic part of the pressure (0..1): mean of pitchRaise, loudness, speechRate. */
  pressureAcoustic: number;
  /** Acoustic sub-cues of the other party vs their own baseline (0..1). */
  pitchRaise: number;
  loudness: number;
  speechRate: number;
  /** Other party's mean P(anger) over recent speech (0..1; 0 without a model). */
  anger: number;
  /** Protected subscriber's distress (0..1) from fear and sadness. */
  distress: number;
  /** Protected subscriber's mean P(fear) and P(sadness) over recent speech. */
  fear: number;
  sadness: number;
  /** Other party's share of recent talk time (0..1; 0.5 balanced). */
  talkShare: number;
  /** Dominance cue (0..1) from talkShare, scaled by how much talk was heard. */
  dominance: number;
  /** Overlap cue (0..1): both legs speaking in the same windows. */
  overlap: number;
  /** Seconds the other party spoke under pressure / the subscriber spoke in distress (smoothed cue >= 0.5). */
  pressureSeconds: number;
  distressSeconds: number;
  /** Speech heard so far, seconds. */
  otherSpeechSeconds: number;
  protectedSpeechSeconds: number;
  /** How much of the other party's recent speech had emotion probabilities (0..1). */
  modelCoverage: number;
  /** Content score (0..1) from the spoken intents heard on the other party's leg; 0 without speech recognition. */
  content: number;
  /** Bit mask of the intents heard so far (bit i: INTENTS[i] of actors/speech/intent-lexicon.ts). */
  intentMask: number;
  /** 1 + index in INTENTS of the first authority claimed; 0 none. */
  authorityKind: number;
}

/** An alert decided on this step (at most one 'alert' and, if configured, one 'escalation' per call). */
export interface PolicyAlert {
  level: 'alert' | 'escalation';
  /** Smoothed risk when it fired. */
  risk: number;
  /** Call time (seconds) when it fired. */
  t: number;
  /** Short ASCII sentence (<= 120 chars) for the SMS. */
  explanation: string;
  /** Recommended actions, short strings. */
  actions: readonly string[];
  /** The cues at the time (a copy). */
  cues: PolicyCues;
  /** What drove it: what the other party said (content) or how the call sounded (acoustic). */
  basis: 'content' | 'acoustic';
}

/** What a step returns. */
export interface PolicyOutput {
  /** False when the window was refused (replayed or out of order): nothing changed. */
  accepted: boolean;
  /** Smoothed risk, 0..1. */
  risk: number;
  /** Threshold in force (raised toward acousticOnlyThreshold when emotion probabilities are missing). */
  threshold: number;
  cues: PolicyCues;
  /** Present only on the step where an alert fires. */
  alert?: PolicyAlert;
}
