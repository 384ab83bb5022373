/**
 * Slot map of one call's policy state inside a Float64Array (it lives in the call's SharedArrayBuffer slab, so a call
 * survives a worker crash and workers stay stateless). Layout: GLOBAL_SLOTS call-level slots, then one block of
 * LEG_SLOTS per leg (leg 0, leg 1). Every value is a plain number; flags are 0/1; "never" times are -1.
 * Changing the layout changes POLICY_STATE_MAGIC, so a state from another layout is refused rather than misread.
 */

/** Call-level slots. */
export const PolicySlot = {
  magic: 0,
  /** Leg index of the protected subscriber; -1 until the first window says. */
  protectedLeg: 1,
  /** 1 when the protected subscriber is the caller (outgoing call). */
  protectedIsCaller: 2,
  /** Latest window end seen on either leg (call seconds); -1 before the first window. */
  tNow: 3,
  /** Smoothed risk (EMA over call time). */
  risk: 4,
  /** Instantaneous (unsmoothed) risk of the last step. */
  riskInst: 5,
  /** Call seconds the risk has been at/above the alert threshold (held within hysteresis, reset below it). */
  aboveSeconds: 6,
  alerted: 7,
  alertT: 8,
  alertRisk: 9,
  escalated: 10,
  escAboveSeconds: 11,
  /** Decaying accumulator of overlapped speech seconds (both legs speaking in the same window). */
  overlapAcc: 12,
  overlapT: 13,
  peakRisk: 14,
  /** Windows accepted (both legs). */
  steps: 15,
  escalationT: 16,
  /** Windows refused as replays or out of order. */
  replays: 17,
  /** Sequence number of the last spoken intent applied (intents arrive numbered from 1 per call). */
  intentSeq: 18,
  /** Call time the content evidence was last decayed to. */
  contentT: 19,
  /** Bit i set: intent INTENTS[i] has been heard in this call. */
  heardMask: 20,
  /** Intents applied. */
  contentHits: 21,
  /** 1 + index in INTENTS of the first authority claim heard; 0 none. */
  authorityKind: 22,
  /** 1 when the alert fired on what was said (the content path), 0 on how it sounded. */
  alertByContent: 23,
  /** Decaying evidence (0..1) of each intent, INTENTS order (14 slots). */
  intentEvidence: 24,
} as const;
export const GLOBAL_SLOTS = 48;

/** Per-leg slots (relative to the leg block). */
export const PolicyLegSlot = {
  lastIndex: 0,
  lastTEnd: 1,
  windows: 2,
  /** Total speech seconds (speechRatio x new time per window). */
  speechSeconds: 3,
  /** Decaying accumulator of speech seconds (talk-time dominance) and the time it was last decayed to. */
  talkAcc: 4,
  talkT: 5,
  /** speechRatio of the last window and whether it was already paired with the other leg's window for overlap. */
  lastSpeech: 6,
  lastPaired: 7,
  /**
   * Running baselines (mean, variance, seconds of evidence) of pitch (semitones re 100 Hz), level (dBFS), rate
   * (onsets/s).
   */
  f0Mean: 8,
  f0Var: 9,
  f0Seconds: 10,
  levelMean: 11,
  levelVar: 12,
  levelSeconds: 13,
  rateMean: 14,
  rateVar: 15,
  rateSeconds: 16,
  /**
   * Speech-weighted EMA of "emotion probabilities were present" (its ratio with the EMAs below is the bias-corrected
   * mean).
   */
  emoCoverage: 17,
  emoPressure: 18,
  emoDistress: 19,
  emoAnger: 20,
  emoFear: 21,
  /** Speech-weighted EMAs of the acoustic sub-cues (0..1). */
  pitchCue: 22,
  loudCue: 23,
  rateCue: 24,
  /** Window seconds in which this leg spoke under pressure / in distress (smoothed cue >= 0.5). */
  pressureSeconds: 25,
  distressSeconds: 26,
  /** Coverage EMA at the distress time constant (distressSmoothingSeconds): bias-corrects emoDistress and emoFear. */
  distressCoverage: 27,
} as const;
export const LEG_SLOTS = 32;
export const LEG_COUNT = 2;

/** Float64 slots one call's policy state needs. */
export const POLICY_STATE_LENGTH: number = GLOBAL_SLOTS + LEG_COUNT * LEG_SLOTS;

/**
 * "CGP1" plus the layout length plus a layout revision (2: distressCoverage): a state written by another layout is
 * refused.
 */
export const POLICY_STATE_MAGIC = 0x43475031 * 1000 + POLICY_STATE_LENGTH + 2 * 1e6;

/** Offset of a leg's block from the state's offset. */
export const legBase = (leg: number): number => GLOBAL_SLOTS + leg * LEG_SLOTS;
