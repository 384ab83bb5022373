import * as tf from '@tensorflow/tfjs';

/**
 * Custom layers the emotion models use, registered with TF.js serialization on import (model-files.ts imports this
 * module, so loading a model directory always knows them).
 */

/** Standard deviation over the time axis: [batch, time, features] → [batch, features]. */
export class TemporalStdPooling extends tf.layers.Layer {
  static readonly className = 'TemporalStdPooling';
  override computeOutputShape(shape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = (Array.isArray(shape[0]) ? shape[0] : shape) as tf.Shape;
    return [s[0], s[2]];
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const { variance } = tf.moments(x, 1);
      return tf.sqrt(tf.add(variance, 1e-6));
    });
  }
}
tf.serialization.registerClass(TemporalStdPooling);
