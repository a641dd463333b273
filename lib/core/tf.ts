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
export type { Tensor, Tensor1D, Tensor2D, Tensor3D, Variable } from "@tensorflow/tfjs-core";
