import * as tf from '@tensorflow/tfjs';
import { buildModel, type ArchConfig } from './architecture.js';

/**
 * The same network with only the first `keep` outputs: every layer's weights copied, the softmax layer's kernel and
 * bias cut to their first `keep` columns. Softmax over a subset of the logits is the trained model's distribution
 * conditioned on those classes, so a model trained with training-only classes (calm, surprise) ships with v1's 7
 * outputs and graph. The source model is left as it is.
 */
export function sliceHead(
  model: tf.LayersModel,
  arch: ArchConfig,
  frames: number,
  features: number,
  keep: number,
): tf.LayersModel {
  const out = buildModel(arch, frames, features, keep, 1);
  for (const layer of out.layers) {
    const w = model.getLayer(layer.name).getWeights();
    if (!w.length) continue;
    if (layer.name !== 'emotion') {
      layer.setWeights(w);
      continue;
    }
    const [kernel, bias] = w;
    const cut = [kernel.slice([0, 0], [-1, keep]), bias.slice([0], [keep])];
    layer.setWeights(cut);
    tf.dispose(cut);
  }
  return out;
}
