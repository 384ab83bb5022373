import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { FrontEndConfig } from '../../actors/features/front-end-config.js';
import './layers.js';
import { assertManifest, ModelMismatchError, type ModelManifest } from './manifest.js';

/**
 * A model directory: `model.json` (TF.js LayersModel format: topology + weightsManifest), the weight files it names
 * (`weights.bin`), and `manifest.json` (see manifest.ts). Read from the local file system only: nothing is fetched.
 */

export const MODEL_JSON = 'model.json';
export const MANIFEST_JSON = 'manifest.json';
export const WEIGHTS_BIN = 'weights.bin';

export interface LoadedModel {
  dir: string;
  model: tf.LayersModel;
  manifest: ModelManifest;
  /** Bytes of weights on disk. */
  weightBytes: number;
}

/** Read and check manifest.json; throws ModelMismatchError (CG_MODEL_MISMATCH) if it does not fit `cfg`. */
export function readManifest(dir: string, cfg: FrontEndConfig): ModelManifest {
  const raw = JSON.parse(readFileSync(join(dir, MANIFEST_JSON), 'utf8')) as unknown;
  return assertManifest(raw, cfg);
}

/** Model artifacts of a directory (topology and weights in memory). */
export function readModelArtifacts(dir: string): tf.io.ModelArtifacts {
  const json = JSON.parse(readFileSync(join(dir, MODEL_JSON), 'utf8')) as tf.io.ModelJSON;
  const specs: tf.io.WeightsManifestEntry[] = [];
  const buffers: Buffer[] = [];
  for (const group of json.weightsManifest) {
    for (const p of group.paths) {
      if (p.includes('/') || p.includes('\\') || p.startsWith('.'))
        throw new Error(`weights path ${JSON.stringify(p)} leaves the model directory`);
      buffers.push(readFileSync(join(dir, p)));
    }
    specs.push(...group.weights);
  }
  const all = Buffer.concat(buffers);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer;
  return {
    modelTopology: json.modelTopology,
    weightSpecs: specs,
    weightData,
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy,
  };
}

/**
 * Load a model directory for the engine: checks the manifest against the engine's front-end first (a mismatch throws
 * CG_MODEL_MISMATCH before any weight is read), then builds the LayersModel on the current backend.
 */
export async function loadModelDir(dir: string, cfg: FrontEndConfig): Promise<LoadedModel> {
  const manifest = readManifest(dir, cfg);
  const artifacts = readModelArtifacts(dir);
  const model = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  const shape = model.inputs[0].shape;
  if (shape[1] !== manifest.window.frames || shape[2] !== manifest.input.featureCount) {
    model.dispose();
    throw new ModelMismatchError(
      'input.featureCount',
      manifest.input.featureCount,
      shape,
      `model input shape ${JSON.stringify(shape)} does not match manifest ` +
        `[*, ${manifest.window.frames}, ${manifest.input.featureCount}]`,
    );
  }
  return { dir, model, manifest, weightBytes: (artifacts.weightData as ArrayBuffer).byteLength };
}

/** Write a LayersModel (single weights.bin) and its manifest into `dir`. */
export async function saveModelDir(
  model: tf.LayersModel,
  dir: string,
  manifest: ModelManifest,
): Promise<{ weightBytes: number }> {
  mkdirSync(dir, { recursive: true });
  let weightBytes = 0;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      const data = a.weightData === undefined ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(a.weightData);
      weightBytes = data.byteLength;
      writeFileSync(join(dir, WEIGHTS_BIN), new Uint8Array(data));
      const json: tf.io.ModelJSON = {
        modelTopology: a.modelTopology as object,
        format: 'layers-model',
        generatedBy: `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
        convertedBy: null,
        weightsManifest: [{ paths: [WEIGHTS_BIN], weights: a.weightSpecs ?? [] }],
      };
      writeFileSync(join(dir, MODEL_JSON), JSON.stringify(json));
      return {
        modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: data.byteLength },
      };
    }),
  );
  writeFileSync(join(dir, MANIFEST_JSON), `${JSON.stringify(manifest, null, 2)}\n`);
  return { weightBytes };
}
