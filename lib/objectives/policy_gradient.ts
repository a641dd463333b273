/**
 * Policy-gradient losses as pure functions of [B, T] tensors (B sequences, T response positions).
 *
 * Per token t of sequence i, with ratio ρ = exp(logπ − logπ_old), advantage A and sample weight w_i:
 *   ℓ_it = −w_i · min(ρ·A, clip(ρ, 1 − ε_low, 1 + ε_high)·A)            (PPO-clip, arXiv 1707.06347;
 *                                                                        clip-higher ε_high > ε_low, DAPO 2503.14476)
 *          for A < 0 with dual clip c: −w_i · max(min(ρA, clip(ρ)A), c·A)  (dual-clip PPO, arXiv 1912.09729)
 *        + β · k3_it,  k3 = exp(Δ) − 1 − Δ,  Δ = logπ_ref − logπ       (KL to the reference, GRPO 2402.03300)
 *        − c_H · H_it                                                  (entropy bonus)
 * aggregated over the mask by one of
 *   "token-mean"              Σ_it m·ℓ / Σ_it m                          (DAPO: every token weighs the same)
 *   "seq-mean-token-mean"     (1/B) Σ_i (Σ_t m·ℓ / Σ_t m)                (GRPO: per-sequence mean, then mean)
 *   "seq-mean-token-sum-norm" (1/B) Σ_i (Σ_t m·ℓ / L_max)                (Dr.GRPO 2503.20783: constant length)
 * Conventions of other trainers (docs/CONVENTIONS.md): `emptyRows: "skip"` drops rows with an empty mask from
 * every sequence mean (verl), `tokenSumNorm: "sum"` is Σ_i Σ_t m·ℓ / L_max (verl; B times ours), `klClamp`
 * clamps Δ to ±20 and k3 to ±10 (verl low_var_kl), `klStraightThrough` keeps k3's value with the gradient of
 * k2 = ½Δ² (verl `k3+`, arXiv 2505.17508).
 * plus an optional imitation term γ · (−Σ m_hint·logπ / Σ m_hint) on forced hint tokens (SEELE 2509.06923).
 */
import { tf } from "../core/tf.ts";
import type { Tensor } from "../core/tf.ts";
import { signedAdvantages } from "../estimators/advantages.ts";
import {
  assertFiniteNumber,
  assertInteger,
  assertOneOf,
  ConfigError,
  resolveConfig,
} from "../core/validate.ts";

/** Loss aggregation modes (see the module doc). */
export const AGGREGATIONS = ["token-mean", "seq-mean-token-mean", "seq-mean-token-sum-norm"] as const;
/** A loss aggregation mode. */
export type Aggregation = typeof AGGREGATIONS[number];
/**
 * Sequence means ("seq-mean-token-mean", and "seq-mean-token-sum-norm" with `tokenSumNorm` "mean"): "count" every
 * row (1/B; TRL) or "skip" empty-mask rows (verl).
 */
export const EMPTY_ROWS = ["count", "skip"] as const;
/** How rows with an empty mask enter the sequence mean. */
export type EmptyRows = typeof EMPTY_ROWS[number];
/** "seq-mean-token-sum-norm" normaliser: "mean" = (1/B)Σ_i Σ_t/L_max (Dr.GRPO code, TRL) or "sum" = Σ_i Σ_t/L_max (verl). */
export const TOKEN_SUM_NORMS = ["mean", "sum"] as const;
/** Normaliser of "seq-mean-token-sum-norm". */
export type TokenSumNorm = typeof TOKEN_SUM_NORMS[number];

/** Hyperparameters of `policyGradientLoss`. */
export interface PolicyGradientConfig {
  /** Lower clip ε_low: the ratio floor is 1 − ε_low when A < 0 (default 0.2). */
  epsLow: number;
  /** Upper clip ε_high: the ratio cap is 1 + ε_high when A > 0 (default 0.2; DAPO clip-higher 0.28). */
  epsHigh: number;
  /** Loss aggregation (default "token-mean"). */
  aggregation: Aggregation;
  /** L_max for "seq-mean-token-sum-norm"; null = the tensor width T (default null). */
  maxLength: number | null;
  /** β, coefficient of the k3 KL-to-reference penalty (default 0; needs `refLogProbs` when > 0). */
  klCoef: number;
  /** c_H, coefficient of the entropy bonus (default 0; needs `entropy` when > 0). */
  entropyCoef: number;
  /** γ, coefficient of the imitation (cross-entropy) term on `imitationMask` tokens (default 0). */
  imitationCoef: number;
  /** Dual-clip bound c > 1 for A < 0 (verl clip_ratio_c; arXiv 1912.09729): loss ≤ −c·A; null = off (default). */
  clipC: number | null;
  /** Clamp k3: Δ to ±20, the k3 value to ±10 (verl low_var_kl); default false. */
  klClamp: boolean;
  /** KL term with k3's value and the gradient of k2 = ½(log π − log π_ref)² (verl `k3+`); default false. */
  klStraightThrough: boolean;
  /** "seq-mean-token-sum-norm" normaliser (default "mean"; verl: "sum"). */
  tokenSumNorm: TokenSumNorm;
  /** Empty-mask rows in the sequence means (default "count"; verl: "skip"). */
  emptyRows: EmptyRows;
}

/** Defaults: symmetric PPO clip 0.2, token-mean, no KL, no entropy bonus, no imitation. */
export const POLICY_GRADIENT_DEFAULTS: PolicyGradientConfig = {
  epsLow: 0.2,
  epsHigh: 0.2,
  aggregation: "token-mean",
  maxLength: null,
  klCoef: 0,
  entropyCoef: 0,
  imitationCoef: 0,
  clipC: null,
  klClamp: false,
  klStraightThrough: false,
  tokenSumNorm: "mean",
  emptyRows: "count",
};

/** Tensors of one policy-gradient batch; [B, T] unless noted, all float32. */
export interface PolicyGradientInputs {
  /** log π_θ(y_t | ·) of the taken tokens (differentiable). */
  logProbs: Tensor;
  /** log π_old of the same tokens (the sampling policy; treated as constant). */
  oldLogProbs: Tensor;
  /** log π_ref for the KL penalty (needed when klCoef > 0). */
  refLogProbs?: Tensor;
  /** Advantages: [B] (one per sequence) or [B, T] (per token). */
  advantages: Tensor;
  /** 1 on tokens that enter the RL loss, 0 elsewhere (padding, prompt, forced hint tokens). */
  mask: Tensor;
  /** Per-token policy entropy (needed when entropyCoef > 0). */
  entropy?: Tensor;
  /** [B] per-sequence weights w_i multiplying the PPO term (PSR/NSR/W-REINFORCE; default 1). */
  sampleWeights?: Tensor;
  /** 1 on forced hint tokens that get the imitation term (needed when imitationCoef > 0). */
  imitationMask?: Tensor;
  /**
   * Per-position logits over the actions, computed on demand (inside the gradient tape) when the policy has
   * `tokenLogits`: for objectives that read more than the taken token's log-prob (ROVER).
   */
  tokenLogits?: () => TokenLogits;
  /** π_old's per-position logits (constant), captured before the first update of the batch (ROVER's target). */
  oldTokenLogits?: TokenLogits;
}

/** Logits over each target position's actions [B, T, A] and, optionally, 1 on the valid actions (default all). */
export interface TokenLogits {
  /** Logits [B, T, A] (A = vocabulary, or a tabular state's action slots). */
  logits: Tensor;
  /** 1 on valid actions [B, T, A]; all 0 where the token is no policy decision; absent = every action valid. */
  validActions?: Tensor;
}

/** Loss and token-mean diagnostics; every field is a scalar tensor the caller owns (dispose them). */
export interface PolicyGradientOutput {
  /** The aggregated loss to minimise. */
  loss: Tensor;
  /** Fraction of masked tokens whose PPO term is clipped (A > 0 and ρ > 1 + ε_high, or A < 0 and ρ < 1 − ε_low). */
  clipFraction: Tensor;
  /** Token-mean k3 estimate of KL(π_θ ‖ π_ref) (0 without `refLogProbs`). */
  kl: Tensor;
  /** Token-mean entropy (0 without `entropy`). */
  entropy: Tensor;
}

/** Validate a partial config against `POLICY_GRADIENT_DEFAULTS` (unknown keys and bad values throw, naming the field). */
export function resolvePolicyGradientConfig(
  config: Partial<PolicyGradientConfig> = {},
  name = "objective",
): PolicyGradientConfig {
  const c = resolveConfig(name, POLICY_GRADIENT_DEFAULTS, config);
  assertFiniteNumber(`${name}.epsLow`, c.epsLow, { min: 0, max: 1, exclusiveMax: true });
  assertFiniteNumber(`${name}.epsHigh`, c.epsHigh, { min: 0 });
  if (c.epsHigh < c.epsLow) {
    throw new ConfigError(`${name}.epsHigh`, `must be ≥ epsLow (${c.epsLow}) (clip-higher)`, c.epsHigh);
  }
  assertOneOf(`${name}.aggregation`, c.aggregation, AGGREGATIONS);
  if (c.maxLength !== null) assertInteger(`${name}.maxLength`, c.maxLength, { min: 1 });
  assertFiniteNumber(`${name}.klCoef`, c.klCoef, { min: 0 });
  assertFiniteNumber(`${name}.entropyCoef`, c.entropyCoef, { min: 0 });
  assertFiniteNumber(`${name}.imitationCoef`, c.imitationCoef, { min: 0 });
  if (c.clipC !== null) assertFiniteNumber(`${name}.clipC`, c.clipC, { min: 1, exclusiveMin: true });
  for (const k of ["klClamp", "klStraightThrough"] as const) {
    if (typeof c[k] !== "boolean") throw new ConfigError(`${name}.${k}`, "must be true or false", c[k]);
  }
  assertOneOf(`${name}.tokenSumNorm`, c.tokenSumNorm, TOKEN_SUM_NORMS);
  assertOneOf(`${name}.emptyRows`, c.emptyRows, EMPTY_ROWS);
  return c;
}

/** Options of `aggregateLoss` beyond the mode (conventions; module doc). */
export interface AggregateOptions {
  /** L_max of "seq-mean-token-sum-norm" (default: the tensor width T). */
  maxLength?: number;
  /** Empty-mask rows in the sequence means (default "count"). */
  emptyRows?: EmptyRows;
  /** Normaliser of "seq-mean-token-sum-norm" (default "mean"). */
  tokenSumNorm?: TokenSumNorm;
}

/** Aggregate a [B, T] per-token loss over `mask` by `mode` (formulas in the module doc). */
export function aggregateLoss(
  perToken: Tensor,
  mask: Tensor,
  mode: Aggregation,
  options: number | AggregateOptions = {},
): Tensor {
  const o: AggregateOptions = typeof options === "number" ? { maxLength: options } : options;
  return tf.tidy(() => {
    const masked = tf.mul(perToken, mask);
    if (mode === "token-mean") return tf.div(tf.sum(masked), tf.maximum(tf.sum(mask), 1));
    const perSeq = tf.sum(masked, 1);
    const counts = tf.sum(mask, 1);
    // Mean over rows: all of them, or (emptyRows "skip") those with a non-empty mask.
    const seqMean = (x: Tensor) => {
      if (o.emptyRows !== "skip") return tf.mean(x);
      const nonEmpty = tf.cast(tf.greater(counts, 0), "float32");
      return tf.div(tf.sum(tf.mul(x, nonEmpty)), tf.maximum(tf.sum(nonEmpty), 1));
    };
    if (mode === "seq-mean-token-mean") return seqMean(tf.div(perSeq, tf.maximum(counts, 1)));
    const normed = tf.div(perSeq, o.maxLength ?? perToken.shape[1]!);
    return o.tokenSumNorm === "sum" ? tf.sum(normed) : seqMean(normed);
  });
}

/** Identity whose gradient is zero (tfjs-core has no stopGradient): π_old and π_ref are constants of the loss. */
export const stopGradient: (x: Tensor) => Tensor = tf.customGrad(
  ((x: Tensor) => ({
    value: tf.clone(x),
    gradFunc: (dy: Tensor) => tf.zerosLike(dy),
    // deno-lint-ignore no-explicit-any
  })) as any,
) as unknown as (x: Tensor) => Tensor;

function sameShape(field: string, t: Tensor | undefined, shape: number[]): void {
  if (t === undefined) return;
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new ConfigError(field, `must have shape [${shape}] like logProbs`, `[${t.shape}]`);
  }
}

/** PPO-clip / GRPO / DAPO / Dr.GRPO loss with KL, entropy and imitation terms (formulas in the module doc). */
export function policyGradientLoss(
  inputs: PolicyGradientInputs,
  config: Partial<PolicyGradientConfig> = {},
): PolicyGradientOutput {
  const c = resolvePolicyGradientConfig(config);
  const { logProbs, oldLogProbs, refLogProbs, advantages, mask, entropy, sampleWeights, imitationMask } =
    inputs;
  if (logProbs.rank !== 2) {
    throw new ConfigError("logProbs", "must be a [B, T] tensor", `[${logProbs.shape}]`);
  }
  const [B, T] = logProbs.shape as [number, number];
  sameShape("oldLogProbs", oldLogProbs, [B, T]);
  sameShape("refLogProbs", refLogProbs, [B, T]);
  sameShape("mask", mask, [B, T]);
  sameShape("entropy", entropy, [B, T]);
  sameShape("imitationMask", imitationMask, [B, T]);
  sameShape("sampleWeights", sampleWeights, [B]);
  if (!(advantages.rank === 1 && advantages.shape[0] === B) && advantages.rank !== 2) {
    throw new ConfigError("advantages", `must have shape [${B}] or [${B}, ${T}]`, `[${advantages.shape}]`);
  }
  sameShape("advantages", advantages.rank === 2 ? advantages : undefined, [B, T]);
  if (c.klCoef > 0 && !refLogProbs) throw new ConfigError("refLogProbs", "is required when klCoef > 0");
  if (c.entropyCoef > 0 && !entropy) throw new ConfigError("entropy", "is required when entropyCoef > 0");
  if (c.imitationCoef > 0 && !imitationMask) {
    throw new ConfigError("imitationMask", "is required when imitationCoef > 0");
  }

  return tf.tidy(() => {
    const A = advantages.rank === 1 ? tf.expandDims(advantages, 1) : advantages;
    const ratio = tf.exp(tf.sub(logProbs, stopGradient(oldLogProbs)));
    const unclipped = tf.mul(ratio, A);
    const clipped = tf.mul(tf.clipByValue(ratio, 1 - c.epsLow, 1 + c.epsHigh), A);
    let pg = tf.neg(tf.minimum(unclipped, clipped));
    if (c.clipC !== null) {
      // Dual clip: for A < 0 the term is min(pg, −c·A); where −c·A binds it is constant (zero gradient).
      const full = tf.broadcastTo(A, [B, T]);
      pg = tf.where(tf.less(full, 0), tf.minimum(pg, tf.mul(full, -c.clipC)), pg);
    }
    if (sampleWeights) pg = tf.mul(pg, tf.expandDims(sampleWeights, 1));
    let perToken = pg;

    const tokenMean = (x: Tensor) => tf.div(tf.sum(tf.mul(x, mask)), tf.maximum(tf.sum(mask), 1));
    let kl: Tensor = tf.scalar(0);
    if (refLogProbs) {
      let delta = tf.sub(stopGradient(refLogProbs), logProbs);
      if (c.klClamp) delta = tf.clipByValue(delta, -20, 20);
      let k3 = tf.sub(tf.sub(tf.exp(delta), 1), delta);
      if (c.klClamp) k3 = tf.clipByValue(k3, -10, 10);
      kl = tokenMean(k3);
      if (c.klStraightThrough) {
        // Straight-through: value k3, gradient of k2 = ½(log π − log π_ref)².
        const k2 = tf.mul(tf.square(tf.sub(logProbs, stopGradient(refLogProbs))), 0.5);
        k3 = tf.add(tf.sub(k2, stopGradient(k2)), stopGradient(k3));
      }
      if (c.klCoef > 0) perToken = tf.add(perToken, tf.mul(k3, c.klCoef));
    }
    let ent: Tensor = tf.scalar(0);
    if (entropy) {
      ent = tokenMean(entropy);
      if (c.entropyCoef > 0) perToken = tf.sub(perToken, tf.mul(entropy, c.entropyCoef));
    }
    let loss = aggregateLoss(perToken, mask, c.aggregation, {
      maxLength: c.maxLength ?? T,
      emptyRows: c.emptyRows,
      tokenSumNorm: c.tokenSumNorm,
    });
    if (imitationMask && c.imitationCoef > 0) {
      const nll = tf.div(
        tf.neg(tf.sum(tf.mul(logProbs, imitationMask))),
        tf.maximum(tf.sum(imitationMask), 1),
      );
      loss = tf.add(loss, tf.mul(nll, c.imitationCoef));
    }
    // Clipped where the clipped branch is strictly the smaller one (the gradient through ρ is then zero).
    const isClipped = tf.cast(tf.less(clipped, unclipped), "float32");
    const clipFraction = tokenMean(isClipped);
    return { loss, clipFraction, kl, entropy: ent };
  });
}

/** Per-sample weighting schemes of arXiv 2506.01347 (PSR: positives only, NSR: negatives only, W-REINFORCE: λ on positives). */
export const SAMPLE_WEIGHTINGS = ["none", "psr", "nsr", "w-reinforce"] as const;
/** A per-sample weighting scheme. */
export type SampleWeighting = typeof SAMPLE_WEIGHTINGS[number];

/**
 * Weights w_i from correctness c_i (arXiv 2506.01347): none → 1; psr → 1[c > 0]; nsr → 1[c ≤ 0];
 * w-reinforce → λ if c > 0 else 1 (the paper uses λ = 0.1 with ±1 rewards and no baseline).
 */
export function sampleWeights(correct: ArrayLike<number>, mode: SampleWeighting, lambda = 0.1): number[] {
  assertOneOf("sampleWeighting", mode, SAMPLE_WEIGHTINGS);
  assertFiniteNumber("lambda", lambda, { min: 0 });
  const out: number[] = [];
  for (let i = 0; i < correct.length; i++) {
    const pos = correct[i] > 0;
    out.push(
      mode === "none"
        ? 1
        : mode === "psr"
        ? (pos ? 1 : 0)
        : mode === "nsr"
        ? (pos ? 0 : 1)
        : pos
        ? lambda
        : 1,
    );
  }
  return out;
}

/**
 * Effective per-sample advantages of PSR / NSR / W-REINFORCE (arXiv 2506.01347): A_i = w_i · r_i with ±1 rewards
 * r_i = `signedAdvantages(correct)` and w_i = `sampleWeights(correct, mode, λ)` — what `RLVRTrainer` optimises with
 * `estimator: "signed"` and `sampleWeighting: mode` (the weights multiply the PPO term). PSR: [+1 | 0],
 * NSR: [0 | −1], W-REINFORCE: [λ | −1], none: [+1 | −1] for [correct | wrong].
 */
export function nsrAdvantages(correct: ArrayLike<number>, mode: SampleWeighting, lambda = 0.1): number[] {
  const w = sampleWeights(correct, mode, lambda);
  return signedAdvantages(correct).map((r, i) => (w[i] === 0 ? 0 : w[i] * r)); // no −0 for unweighted samples
}
