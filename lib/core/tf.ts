/**
 * The one place Sweetspot imports TensorFlow.js. tfjs-core alone registers no gradients and no chained
 * ops, so tfjs-layers is imported once here for its side effect (gradient registration); the cpu backend
 * is always registered; production mode silences the Node banner. Library code writes ops functionally
 * (`tf.mul(a, b)`), never chained (`a.mul(b)`).
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-layers";

tf.enableProdMode();

export { tf };
/** A tfjs tensor (TensorFlow.js 4.22 `tf.Tensor`): the library's tensor-valued inputs and outputs. */
export type Tensor = tf.Tensor;
/** A rank-0 tfjs tensor (`tf.Scalar`). */
export type Scalar = tf.Scalar;
/** A rank-1 tfjs tensor (`tf.Tensor1D`). */
export type Tensor1D = tf.Tensor1D;
/** A rank-2 tfjs tensor (`tf.Tensor2D`), e.g. [batch, time] log-probs. */
export type Tensor2D = tf.Tensor2D;
/** A rank-3 tfjs tensor (`tf.Tensor3D`), e.g. [batch, time, vocab] logits. */
export type Tensor3D = tf.Tensor3D;
/** A trainable tfjs variable (`tf.Variable`): a policy's weights. */
export type Variable = tf.Variable;
