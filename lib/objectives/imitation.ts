/** Supervised (imitation) loss on reference tokens: the SFT warm start and hint imitation. */
import { tf } from "../core/tf.ts";
import type { Tensor } from "../core/tf.ts";
import { ConfigError } from "../core/validate.ts";

/** Token-mean negative log-likelihood −Σ m·logπ / Σ m over a [B, T] mask (cross-entropy on targets). */
export function tokenNll(logProbs: Tensor, mask: Tensor): Tensor {
  if (logProbs.shape.length !== mask.shape.length || logProbs.shape.some((d, i) => d !== mask.shape[i])) {
    throw new ConfigError("mask", `must have the shape of logProbs [${logProbs.shape}]`, `[${mask.shape}]`);
  }
  return tf.tidy(() => tf.div(tf.neg(tf.sum(tf.mul(logProbs, mask))), tf.maximum(tf.sum(mask), 1)));
}
