/**
 * Update size of one batch: the global L2 norm ‖∇θ L‖₂ of the policy-gradient loss (`policyGradientLoss`) of
 * given (prompt, response, advantage) rows, evaluated on-policy (ρ = 1, so no clipping). Measures how strongly
 * a group of rollouts moves the weights — e.g. GRPO's std normalisation scales a question's update by 1/σ̂
 * relative to Dr.GRPO (difficulty bias, arXiv 2503.20783). A measurement: it changes no weight.
 */
import { tf } from "../core/tf.ts";
import type { Tensor2D } from "../core/tf.ts";
import { assertSameLength, ConfigError } from "../core/validate.ts";
import { type PolicyGradientConfig, policyGradientLoss } from "../objectives/policy_gradient.ts";
import { packSequences, type SequencePolicy } from "./rollouts.ts";

/** Rows of one gradient-norm measurement (one advantage per response). */
export interface GradientNormBatch {
  /** Prompt tokens per row. */
  prompts: readonly number[][];
  /** Response tokens per row (eos included when generated). */
  responses: readonly number[][];
  /** Advantage per row. */
  advantages: readonly number[];
}

/** ‖∇θ L‖₂ over `policy.variables` of `policyGradientLoss` on the batch (module doc); `pad` is the padding token. */
export async function policyGradientNorm(
  policy: SequencePolicy,
  batch: GradientNormBatch,
  pad: number,
  config: Partial<PolicyGradientConfig> = {},
): Promise<number> {
  const { prompts, responses, advantages } = batch;
  if (prompts.length === 0) throw new ConfigError("batch.prompts", "must be non-empty", prompts.length);
  assertSameLength("batch.prompts", prompts, "batch.responses", responses);
  assertSameLength("batch.prompts", prompts, "batch.advantages", advantages);
  const b = packSequences(prompts, responses, prompts.map(() => 0), pad);
  const tokens = tf.tensor2d(b.tokens, [b.N, b.L], "int32") as Tensor2D;
  const valid = tf.tensor2d(b.valid, [b.N, b.L]) as Tensor2D;
  const mask = tf.tensor2d(b.mask, [b.N, b.L - 1]);
  const adv = tf.tensor1d([...advantages]);
  try {
    const { value, grads } = tf.variableGrads(() => {
      const { logProbs, entropy } = policy.tokenLogProbs(tokens, valid);
      const out = policyGradientLoss({ logProbs, oldLogProbs: logProbs, advantages: adv, mask }, config);
      tf.dispose([out.clipFraction, out.kl, out.entropy, entropy]);
      return out.loss as tf.Scalar;
    }, policy.variables);
    const list = Object.values(grads);
    const sq = tf.tidy(() => tf.addN(list.map((g) => tf.sum(tf.square(g)))));
    const v = (await sq.data())[0];
    tf.dispose([value, sq, ...list]);
    return Math.sqrt(v);
  } finally {
    tf.dispose([tokens, valid, mask, adv]);
  }
}
