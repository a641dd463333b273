/**
 * ROVER (Random Policy Valuation, arXiv 2509.24981): learn the Q-values of the UNIFORM random policy,
 *
 *   Q^u(s, a) = r(s, a) + mean_{a'} Q^u(s', a')   (undiscounted, deterministic transitions, terminal reward r),
 *
 * and act by softmax(Q/ρ). The Q-values are read from the policy's logits, Q(s, a) = ρ·logit(s, a), so sampling the
 * policy at temperature 1 is sampling softmax(Q/ρ). The loss is the squared TD error against the stop-gradient
 * uniform backup, averaged over decision positions t of the sampled responses:
 *
 *   L = mean_t (Q(s_t, a_t) − sg(target_t))²,  target_t = r at the last decision, mean_{a'} Q(s_{t+1}, a') before it,
 *
 * with r the sequence's terminal reward (the trainer's advantage with `estimator: "reinforce"`). A decision is a
 * generated position (mask 1) with at least one valid action; the mean over a' runs over the valid actions
 * (`TokenLogits.validActions`, all of the vocabulary for a language model).
 */
import { tf } from "../core/tf.ts";
import type { Tensor } from "../core/tf.ts";
import { assertFiniteNumber, ConfigError } from "../core/validate.ts";
import type { PolicyGradientInputs, PolicyGradientOutput } from "./policy_gradient.ts";
import { stopGradient } from "./policy_gradient.ts";

/** ROVER's TD loss as a trainer objective (module doc), for temperature ρ > 0 of softmax(Q/ρ). */
export function roverLoss(rho: number): (inputs: PolicyGradientInputs) => PolicyGradientOutput {
  assertFiniteNumber("roverLoss.rho", rho, { min: 0, exclusiveMin: true });
  return (inputs) => {
    if (!inputs.tokenLogits) {
      throw new ConfigError(
        "tokenLogits",
        "ROVER reads Q from the logits: the policy must implement tokenLogits",
      );
    }
    const { logProbs, mask, advantages, entropy } = inputs;
    const [B, T] = logProbs.shape as [number, number];
    if (advantages.rank !== 1 || advantages.shape[0] !== B) {
      throw new ConfigError("advantages", `must be the [${B}] terminal rewards`, `[${advantages.shape}]`);
    }
    const tokenLogits = inputs.tokenLogits;
    return tf.tidy(() => {
      const tl = tokenLogits();
      const logits = tl.logits;
      const valid = tl.validActions ?? tf.ones(logits.shape); // constant: no gradient path through the mask
      const nValid = tf.sum(valid, 2);
      const d = tf.mul(mask, tf.cast(tf.greater(nValid, 0), "float32")); // decision positions [B, T]
      // Q(s_t, a_t) = ρ·logit(a_t) = ρ·(log π(a_t) + logsumexp over the valid actions).
      const lse = tf.logSumExp(tf.add(logits, tf.mul(tf.sub(valid, 1), 1e9)), 2);
      const q = tf.mul(tf.add(logProbs, lse), rho);
      const meanQ = tf.mul(tf.div(tf.sum(tf.mul(logits, valid), 2), tf.maximum(nValid, 1)), rho);
      const shift = (x: Tensor) => tf.concat([tf.slice(x, [0, 1], [B, T - 1]), tf.zeros([B, 1])], 1);
      const isLast = tf.mul(d, tf.sub(1, shift(d)));
      const r = tf.expandDims(advantages, 1);
      const target = stopGradient(tf.add(tf.mul(isLast, r), tf.mul(tf.sub(d, isLast), shift(meanQ))));
      const nd = tf.maximum(tf.sum(d), 1);
      const loss = tf.div(tf.sum(tf.mul(tf.square(tf.sub(q, target)), d)), nd);
      const ent = entropy ? tf.div(tf.sum(tf.mul(entropy, d)), nd) : tf.scalar(0);
      return { loss, clipFraction: tf.scalar(0), kl: tf.scalar(0), entropy: ent };
    });
  };
}
