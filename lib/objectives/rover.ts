/**
 * ROVER (Random Policy Valuation, arXiv 2509.24981) as its official code trains a language model
 * (yuxiaooye/ROVER, `DataParallelROVERActor.update_policy`). The Q-value of a generated token is read from the
 * policy RELATIVE to the policy that sampled the batch,
 *
 *   Q(s_t, a_t) = ρ·(log π_θ(a_t|s_t) − log π_old(a_t|s_t)),
 *
 * and regressed on a stop-gradient target built from the group-normalised reward Â (the trainer's advantage,
 * copied to every token of the response) plus the change of the uniform-policy backup at the next state,
 *
 *   target_t = Â + ρ·[m_θ(s_{t+1}) − m_old(s_{t+1})]   (0 in place of the bracket at the response's last token),
 *   m(s) = mean over the valid actions a of log π(a|s)   (the code's "sum log-softmax": mean logit − logsumexp),
 *
 *   L = Σ_t mask_t·(Q_t − sg(target_t))² / Σ_t mask_t.
 *
 * ρ is the code's `rover_t` (default 1). At θ = θ_old both Q and the bracket vanish, so the gradient is
 * −2ρ·Σ_t mask_t·Â·∇log π(a_t|s_t) / Σ_t mask_t = 2ρ × the token-mean GRPO gradient: ROVER's own terms act
 * from the second minibatch update of a rollout batch on (`TrainerConfig.miniBatches`, `ppoEpochs`). π_old's
 * per-position logits (`PolicyGradientInputs.oldTokenLogits`) are captured by the trainer before the first
 * update of the batch.
 */
import { tf } from "../core/tf.ts";
import type { Tensor } from "../core/tf.ts";
import { assertFiniteNumber, ConfigError } from "../core/validate.ts";
import type {
  PolicyGradientConfig,
  PolicyGradientInputs,
  PolicyGradientOutput,
  TokenLogits,
} from "./policy_gradient.ts";
import { stopGradient } from "./policy_gradient.ts";

/** ρ of the official code (`rover_t`). */
export const ROVER_RHO_DEFAULT = 1;

/**
 * m(s_t) = mean over the valid actions of log π(a|s_t) per position [B, T] (0 where no action is valid): the
 * official code's `sum_log_softmax`, mean logit − logsumexp.
 */
export function meanLogPolicy(tl: TokenLogits): Tensor {
  return tf.tidy(() => {
    const { logits } = tl;
    if (logits.rank !== 3) {
      throw new ConfigError("tokenLogits.logits", "must be [B, T, A]", `[${logits.shape}]`);
    }
    const valid = tl.validActions ?? tf.ones(logits.shape); // constant: no gradient path through the count
    const nValid = tf.sum(valid, 2);
    const lse = tf.logSumExp(tf.add(logits, tf.mul(tf.sub(valid, 1), 1e9)), 2);
    const meanLogit = tf.div(tf.sum(tf.mul(logits, valid), 2), tf.maximum(nValid, 1));
    return tf.mul(tf.sub(meanLogit, lse), tf.cast(tf.greater(nValid, 0), "float32"));
  });
}

/** An objective that reads π_old's per-position logits: the trainer captures them before the first update. */
export type OldLogitsObjective =
  & ((inputs: PolicyGradientInputs, config?: Partial<PolicyGradientConfig>) => PolicyGradientOutput)
  & { readonly readsOldTokenLogits: true };

/** ROVER's loss (module doc) as a trainer objective, for ρ > 0 (the official default 1). */
export function roverLoss(rho: number = ROVER_RHO_DEFAULT): OldLogitsObjective {
  assertFiniteNumber("roverLoss.rho", rho, { min: 0, exclusiveMin: true });
  const fn = (
    inputs: PolicyGradientInputs,
    config: Partial<PolicyGradientConfig> = {},
  ): PolicyGradientOutput => {
    for (const k of ["klCoef", "entropyCoef", "imitationCoef"] as const) {
      if ((config[k] ?? 0) > 0) {
        throw new ConfigError(
          `objective.${k}`,
          "must be 0 with roverLoss (not a term of ROVER's loss)",
          config[k],
        );
      }
    }
    const { logProbs, oldLogProbs, mask, advantages, entropy, refLogProbs } = inputs;
    if (!inputs.tokenLogits) {
      throw new ConfigError(
        "tokenLogits",
        "is required: ROVER reads log π(·|s) over all actions (policy.tokenLogits)",
      );
    }
    if (!inputs.oldTokenLogits) {
      throw new ConfigError(
        "oldTokenLogits",
        "is required: ROVER's target reads π_old(·|s) over all actions",
      );
    }
    if (logProbs.rank !== 2) {
      throw new ConfigError("logProbs", "must be a [B, T] tensor", `[${logProbs.shape}]`);
    }
    const [B, T] = logProbs.shape as [number, number];
    if (!(advantages.rank === 1 && advantages.shape[0] === B) && !(advantages.rank === 2)) {
      throw new ConfigError("advantages", `must have shape [${B}] or [${B}, ${T}]`, `[${advantages.shape}]`);
    }
    const tokenLogits = inputs.tokenLogits;
    const oldTokenLogits = inputs.oldTokenLogits;
    return tf.tidy(() => {
      const A = advantages.rank === 1 ? tf.expandDims(advantages, 1) : advantages;
      const q = tf.mul(tf.sub(logProbs, stopGradient(oldLogProbs)), rho);
      const m = meanLogPolicy(tokenLogits());
      const mOld = meanLogPolicy(oldTokenLogits);
      // ρ·[m_θ(s_{t+1}) − m_old(s_{t+1})]·mask_{t+1}, 0 at the last column.
      const dm = tf.mul(tf.sub(m, mOld), mask);
      const next = tf.concat([tf.slice(dm, [0, 1], [B, T - 1]), tf.zeros([B, 1])], 1);
      const target = stopGradient(tf.add(A, tf.mul(next, rho))); // Â broadcast to every token
      const n = tf.maximum(tf.sum(mask), 1);
      const tokenMean = (x: Tensor) => tf.div(tf.sum(tf.mul(x, mask)), n);
      const loss = tokenMean(tf.square(tf.sub(q, target)));
      let kl: Tensor = tf.scalar(0);
      if (refLogProbs) {
        const delta = tf.sub(refLogProbs, logProbs);
        kl = tokenMean(tf.sub(tf.sub(tf.exp(delta), 1), delta));
      }
      return { loss, clipFraction: tf.scalar(0), kl, entropy: entropy ? tokenMean(entropy) : tf.scalar(0) };
    });
  };
  return Object.assign(fn, { readsOldTokenLogits: true as const });
}
