import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ModelSettings } from '../actors/window-scorer.js';
import { readManifest } from '../models/runtime/model-files.js';
import { shippedModelDir, shippedSpotterDir } from '../models/runtime/shipped-model.js';
import type { CallguardConfig } from './config/config-schema.js';
import { CallguardError } from '../common/errors.js';

/** The model cannot be used: a missing directory, or a manifest that does not match the engine's front-end. */
export class ModelSettingsError extends CallguardError<'CG_MODEL_MISSING' | 'CG_MODEL_MISMATCH' | 'CG_MODEL_INVALID'> {
  override name = 'ModelSettingsError';
}

/**
 * Decide which model the workers load, checking its manifest in the main thread first so that a model built for
 * another front-end stops the start with one clear line instead of failing in every worker. Null: acoustic cues only.
 */
export function resolveModelSettings(cfg: CallguardConfig): ModelSettings | null {
  if (!cfg.model.enabled) return null;
  const dir = cfg.model.dir ? resolve(cfg.model.dir) : shippedModelDir();
  if (!existsSync(resolve(dir, 'manifest.json')))
    throw new ModelSettingsError(
      'CG_MODEL_MISSING',
      `model.dir ${dir}: no manifest.json (set model.enabled=false to run on acoustic cues only)`,
    );
  try {
    readManifest(dir, cfg.features);
  } catch (err) {
    const e = err as { code?: string; message?: string };
    if (e.code === 'CG_MODEL_MISMATCH')
      throw new ModelSettingsError(
        'CG_MODEL_MISMATCH',
        `model ${dir} does not match the engine's front-end: ${e.message}`,
      );
    throw new ModelSettingsError('CG_MODEL_INVALID', `model ${dir}: ${e.message}`);
  }
  return { dir, backend: cfg.model.backend, maxBatch: cfg.model.maxBatch, spotterDir: resolveSpotterDir(cfg) };
}

/** The keyword spotter's directory, checked like the emotion model's; null when model.spotter is false. */
function resolveSpotterDir(cfg: CallguardConfig): string | null {
  if (!cfg.model.spotter) return null;
  const dir = cfg.model.spotterDir ? resolve(cfg.model.spotterDir) : shippedSpotterDir();
  if (!existsSync(resolve(dir, 'manifest.json')))
    throw new ModelSettingsError(
      'CG_MODEL_MISSING',
      `model.spotterDir ${dir}: no manifest.json (set model.spotter=false to run without the keyword spotter)`,
    );
  let task: string;
  try {
    task = readManifest(dir, cfg.features).task;
  } catch (err) {
    const e = err as { code?: string; message?: string };
    if (e.code === 'CG_MODEL_MISMATCH')
      throw new ModelSettingsError(
        'CG_MODEL_MISMATCH',
        `keyword spotter ${dir} does not match the engine's front-end: ${e.message}`,
      );
    throw new ModelSettingsError('CG_MODEL_INVALID', `keyword spotter ${dir}: ${e.message}`);
  }
  if (task !== 'keywords')
    throw new ModelSettingsError(
      'CG_MODEL_MISMATCH',
      `model.spotterDir ${dir} holds a ${task} model, not a keyword spotter`,
    );
  return dir;
}
