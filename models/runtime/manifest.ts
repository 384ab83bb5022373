import { frontEndGeometry, type FrontEndConfig } from '../../actors/features/front-end-config.js';
import { CallguardError } from '../../common/errors.js';

/**
 * The contract between a model directory and the engine: which front-end the model was trained on, how a window of
 * feature rows becomes the model input (features, normalisation, padding), what the outputs mean, how it was trained
 * and how well it did. `checkManifest` compares it with the engine's FrontEndConfig; the engine refuses a mismatch.
 */

/** The 7 Emo-DB classes in the fixed output order of every emotion model. */
export const EMOTION_LABELS = ['anger', 'boredom', 'disgust', 'fear', 'happiness', 'sadness', 'neutral'] as const;
export type EmotionLabel = (typeof EMOTION_LABELS)[number];

/** Per-frame input features a manifest may list (see window-features.ts for their definitions). */
export const FRAME_FEATURES = [
  'mel',
  'f0Semitones',
  'f0Relative',
  'voiced',
  'dbfs',
  'zcr',
  'centroidKhz',
  'logFlux',
  'aperiodicity',
  'vad',
] as const;
export type FrameFeature = (typeof FRAME_FEATURES)[number];

/** Front-end settings the model depends on: a subset of FrontEndConfig, compared one by one. */
export interface ManifestFrontEnd {
  sampleRate: number;
  frameMs: number;
  hopMs: number;
  window: string;
  preemphasis: number;
  melBands: number;
  fminHz: number;
  fmaxHz: number;
  melScale: string;
  melNorm: string;
  pitchFminHz: number;
  pitchFmaxHz: number;
  pitchThreshold: number;
  voicingDbfs: number;
  windowSeconds: number;
  windowHopSeconds: number;
}
export const FRONT_END_KEYS: readonly (keyof ManifestFrontEnd)[] = [
  'sampleRate',
  'frameMs',
  'hopMs',
  'window',
  'preemphasis',
  'melBands',
  'fminHz',
  'fmaxHz',
  'melScale',
  'melNorm',
  'pitchFminHz',
  'pitchFmaxHz',
  'pitchThreshold',
  'voicingDbfs',
  'windowSeconds',
  'windowHopSeconds',
];

export interface ManifestInput {
  /** Model input tensor layout: [batch, frames, featureCount]. */
  layout: 'batch-frames-features';
  /** Per-frame features in column order; 'mel' expands to frontEnd.melBands columns. */
  features: FrameFeature[];
  /** Number of columns after expansion. */
  featureCount: number;
  /**
   * 'voiced-mean': the window's level (mean dBFS over VAD-active frames, or all frames if none) is subtracted from dbfs
   * and from every log-mel value (in natural-log power units), so a gain change of the line does not move the input.
   */
  levelNorm: 'none' | 'voiced-mean' | 'band-mean';
  /** Per-column statistics over the training windows, applied as (x - mean) / std after level normalisation. */
  mean: number[];
  std: number[];
}

export interface ManifestWindow {
  /** Frames per model input window. */
  frames: number;
  /** Hop between windows in frames during training/evaluation (informational: the engine may use another hop). */
  hopFrames: number;
  /** Shortest partial window the model accepts (frames). */
  minFrames: number;
  /**
   * How a window shorter than `frames` is filled: 'wrap' repeats its own frames from the start (after normalisation).
   */
  padding: 'wrap';
}

export interface ModelManifest {
  format: 'callguard-model/1';
  name: string;
  /** 'emotion-7': softmax over EMOTION_LABELS; 'keywords': one sigmoid per label (the keyword spotter). */
  task: 'emotion-7' | 'keywords';
  createdAt: string;
  frontEnd: ManifestFrontEnd;
  window: ManifestWindow;
  input: ManifestInput;
  labels: string[];
  /** Labels summed into the "high-arousal negative" score the policy uses (emotion models; empty for a spotter). */
  highArousalNegative: string[];
  /** Keyword spotters: the intent category each label points to, in label order. */
  keywordCategories?: string[];
  architecture: Record<string, unknown>;
  training: Record<string, unknown>;
  augmentation: Record<string, unknown>;
  seed: number;
  evaluation: Record<string, unknown>;
}

/** A model that does not fit the engine's front-end (or a manifest that is not a manifest). */
export class ModelMismatchError extends CallguardError<'CG_MODEL_MISMATCH'> {
  override name = 'ModelMismatchError';
  constructor(
    /** The setting that differs, e.g. `frontEnd.melBands`. */
    override readonly setting: string,
    readonly expected: unknown,
    readonly actual: unknown,
    message?: string,
  ) {
    super(
      'CG_MODEL_MISMATCH',
      message ??
        `model does not match the engine: ${setting} is ${JSON.stringify(actual)} in the model manifest ` +
          `but ${JSON.stringify(expected)} in the engine`,
      { setting },
    );
  }
}

/** The front-end part of a manifest for a FrontEndConfig (what training writes). */
export function manifestFrontEnd(cfg: FrontEndConfig): ManifestFrontEnd {
  const out = {} as Record<string, unknown>;
  for (const k of FRONT_END_KEYS) out[k] = cfg[k];
  return out as unknown as ManifestFrontEnd;
}

/** Number of input columns a feature list expands to. */
export function expandedFeatureCount(features: readonly FrameFeature[], melBands: number): number {
  let n = 0;
  for (const f of features) n += f === 'mel' ? melBands : 1;
  return n;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/**
 * Check a manifest against the engine's front-end. Returns null when the model fits, otherwise a ModelMismatchError
 * (code CG_MODEL_MISMATCH) naming the first differing or malformed setting. Never throws.
 */
export function checkManifest(manifest: unknown, cfg: FrontEndConfig): ModelMismatchError | null {
  if (!isObject(manifest))
    return new ModelMismatchError('manifest', 'object', typeof manifest, 'model manifest is not a JSON object');
  const m = manifest as Partial<ModelManifest>;
  if (m.format !== 'callguard-model/1') return new ModelMismatchError('format', 'callguard-model/1', m.format);
  if (!isObject(m.frontEnd))
    return new ModelMismatchError('frontEnd', 'object', m.frontEnd, 'model manifest has no frontEnd section');
  for (const k of FRONT_END_KEYS) {
    // The hop between windows changes how often the model runs, not what it sees: informational only.
    if (k === 'windowHopSeconds') continue;
    const a = (m.frontEnd as Record<string, unknown>)[k];
    const e = cfg[k];
    const same =
      typeof e === 'number' && typeof a === 'number' ? Math.abs(a - e) <= 1e-9 * Math.max(1, Math.abs(e)) : a === e;
    if (!same) return new ModelMismatchError(`frontEnd.${k}`, e, a);
  }
  let g;
  try {
    g = frontEndGeometry(cfg);
  } catch (err) {
    return new ModelMismatchError(
      'frontEnd',
      'a valid front-end',
      String(err),
      `engine front-end is invalid: ${(err as Error).message}`,
    );
  }
  if (!isObject(m.window))
    return new ModelMismatchError('window', 'object', m.window, 'model manifest has no window section');
  if (m.window.frames !== g.windowFrames)
    return new ModelMismatchError('window.frames', g.windowFrames, m.window.frames);
  if (typeof m.window.minFrames !== 'number' || m.window.minFrames > g.minFinalFrames)
    return new ModelMismatchError(
      'window.minFrames',
      `<= ${g.minFinalFrames}`,
      m.window.minFrames,
      `model needs windows of at least ${m.window.minFrames} frames but the engine emits partial windows ` +
        `from ${g.minFinalFrames} frames`,
    );
  if (m.window.padding !== 'wrap') return new ModelMismatchError('window.padding', 'wrap', m.window.padding);
  const inp = m.input;
  if (!isObject(inp)) return new ModelMismatchError('input', 'object', inp, 'model manifest has no input section');
  if (inp.layout !== 'batch-frames-features')
    return new ModelMismatchError('input.layout', 'batch-frames-features', inp.layout);
  if (!Array.isArray(inp.features) || inp.features.some((f) => !(FRAME_FEATURES as readonly string[]).includes(f)))
    return new ModelMismatchError('input.features', `a list of ${FRAME_FEATURES.join('|')}`, inp.features);
  const count = expandedFeatureCount(inp.features, cfg.melBands);
  if (inp.featureCount !== count) return new ModelMismatchError('input.featureCount', count, inp.featureCount);
  if (inp.levelNorm !== 'none' && inp.levelNorm !== 'voiced-mean' && inp.levelNorm !== 'band-mean')
    return new ModelMismatchError('input.levelNorm', 'none|voiced-mean|band-mean', inp.levelNorm);
  if (!Array.isArray(inp.mean) || inp.mean.length !== count)
    return new ModelMismatchError(
      'input.mean',
      `${count} numbers`,
      Array.isArray(inp.mean) ? `${inp.mean.length} numbers` : inp.mean,
    );
  if (!Array.isArray(inp.std) || inp.std.length !== count || inp.std.some((s) => !(typeof s === 'number' && s > 0)))
    return new ModelMismatchError(
      'input.std',
      `${count} positive numbers`,
      Array.isArray(inp.std) ? `${inp.std.length} values` : inp.std,
    );
  if (m.task === 'keywords') {
    if (
      !Array.isArray(m.labels) ||
      !m.labels.length ||
      m.labels.some((l) => typeof l !== 'string' || !l) ||
      new Set(m.labels).size !== m.labels.length
    )
      return new ModelMismatchError('labels', 'distinct keyword class names', m.labels);
    if (!Array.isArray(m.keywordCategories) || m.keywordCategories.length !== m.labels.length)
      return new ModelMismatchError('keywordCategories', `${m.labels.length} categories`, m.keywordCategories);
    return null;
  }
  if (m.task !== 'emotion-7') return new ModelMismatchError('task', 'emotion-7|keywords', m.task);
  if (
    !Array.isArray(m.labels) ||
    m.labels.length !== EMOTION_LABELS.length ||
    m.labels.some((l, i) => l !== EMOTION_LABELS[i])
  )
    return new ModelMismatchError('labels', EMOTION_LABELS, m.labels);
  if (!Array.isArray(m.highArousalNegative) || m.highArousalNegative.some((l) => !m.labels!.includes(l)))
    return new ModelMismatchError('highArousalNegative', 'labels of the model', m.highArousalNegative);
  return null;
}

/** checkManifest that throws the ModelMismatchError; returns the manifest typed. */
export function assertManifest(manifest: unknown, cfg: FrontEndConfig): ModelManifest {
  const err = checkManifest(manifest, cfg);
  if (err) throw err;
  return manifest as ModelManifest;
}
