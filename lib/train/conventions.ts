/**
 * Speak verl's and TRL's language: translate a config written with the anchor's own field names into the
 * `TrainerConfig` fields that compute the same advantages, loss and gradient (docs/CONVENTIONS.md).
 *
 *   verl (volcengine/verl, `verl/trainer/ppo/core_algos.py`): GRPO/RLOO/REINFORCE++ advantages with unbiased
 *     std, one-response groups as mean 0 / std 1, k3 ("low_var_kl") clamped (with "+": k2's gradient),
 *     dual-clip `clip_ratio_c`, `seq-mean-token-sum-norm` as Σ/L, sequence means over non-empty rows, minibatches
 *     of `ppo_mini_batch_size` prompts.
 *   TRL (huggingface/trl `GRPOTrainer`): group mean, unbiased std (+1e-4), `loss_type` grpo / bnpo / dr_grpo /
 *     dapo, `scale_rewards` group / batch / none, k3 KL with coefficient `beta`.
 * Absent fields take the anchor's documented defaults where they shape the loss (verl actor defaults; TRL
 * `GRPOConfig` defaults); fields that only size the run (lr, batch) map only when given. Unknown or
 * unsupported fields throw a `ConfigError` naming the field.
 */
import { assertFiniteNumber, assertInteger, assertOneOf, ConfigError } from "../core/validate.ts";
import type { TrainerConfig } from "./config.ts";

/** verl fields `fromVerl` understands (leaf names of the actor / algorithm / rollout / data config). */
export const VERL_FIELDS = [
  "adv_estimator",
  "norm_adv_by_std_in_grpo",
  "loss_agg_mode",
  "loss_scale_factor",
  "clip_ratio",
  "clip_ratio_low",
  "clip_ratio_high",
  "clip_ratio_c",
  "use_kl_loss",
  "kl_loss_coef",
  "kl_loss_type",
  "use_kl_in_reward",
  "entropy_coeff",
  "gamma",
  "ppo_epochs",
  "rollout.n",
  "lr",
  "train_batch_size",
  "ppo_mini_batch_size",
  "max_response_length",
  "grad_clip",
  "temperature",
] as const;

/** TRL `GRPOConfig` fields `fromTrl` understands. */
export const TRL_FIELDS = [
  "loss_type",
  "scale_rewards",
  "epsilon",
  "epsilon_high",
  "beta",
  "num_generations",
  "num_iterations",
  "learning_rate",
  "max_completion_length",
  "max_grad_norm",
  "temperature",
  "delta",
  "importance_sampling_level",
  "mask_truncated_completions",
  "top_entropy_quantile",
] as const;

function checkFields(anchor: string, config: unknown, allowed: readonly string[]): Record<string, unknown> {
  if (config === null || typeof config !== "object" || Array.isArray(config)) {
    throw new ConfigError(anchor, "must be an object of the anchor's config fields", config);
  }
  const c = config as Record<string, unknown>;
  for (const k of Object.keys(c)) {
    if (!allowed.includes(k)) {
      throw new ConfigError(`${anchor}.${k}`, `is not a supported field; supported: ${allowed.join(", ")}`);
    }
  }
  return c;
}

function bool(field: string, v: unknown, fallback: boolean): boolean {
  if (v === undefined) return fallback;
  if (typeof v !== "boolean") throw new ConfigError(field, "must be true or false", v);
  return v;
}

function num(field: string, v: unknown, fallback: number): number {
  if (v === undefined || v === null) return fallback;
  assertFiniteNumber(field, v);
  return v;
}

/**
 * `TrainerConfig` fields equivalent to a verl PPO/GRPO config (leaf field names; `rollout.n` for the group
 * size). adv_estimator is required (verl's default "gae" needs a critic): grpo (with norm_adv_by_std_in_grpo),
 * rloo, reinforce_plus_plus. loss_agg_mode: token-mean, seq-mean-token-mean, seq-mean-token-sum,
 * seq-mean-token-sum-norm (normaliser loss_scale_factor, else max_response_length, else the task's length).
 * clip_ratio_low/high default to 0.2 as verl's actor config; clip_ratio sets only the ones passed as null.
 * gamma: verl's outcome-reward GRPO and RLOO advantages do not read it (any value); REINFORCE++ discounts its
 * returns by it (only 1 is supported).
 */
export function fromVerl(config: Record<string, unknown>): Partial<TrainerConfig> {
  const c = checkFields("verl", config, VERL_FIELDS);
  const out: Partial<TrainerConfig> = {
    advantageStd: "unbiased",
    advantageEps: 1e-6,
    singletonGroups: "raw",
    klClamp: true,
    emptyRows: "skip",
  };
  const est = c.adv_estimator;
  if (est === undefined) {
    throw new ConfigError("verl.adv_estimator", 'is required (verl\'s default "gae" needs a critic)');
  }
  assertOneOf("verl.adv_estimator", est, ["grpo", "rloo", "reinforce_plus_plus"] as const);
  const normStd = bool("verl.norm_adv_by_std_in_grpo", c.norm_adv_by_std_in_grpo, true);
  if (est === "grpo") out.estimator = normStd ? "grpo" : "dr-grpo";
  else if (est === "rloo") out.estimator = "rloo";
  else {
    out.estimator = "reinforce++";
    out.reinforceNorm = "token";
  }

  const mode = c.loss_agg_mode ?? "token-mean";
  assertOneOf(
    "verl.loss_agg_mode",
    mode,
    ["token-mean", "seq-mean-token-mean", "seq-mean-token-sum", "seq-mean-token-sum-norm"] as const,
  );
  if (mode === "seq-mean-token-sum") {
    // Σ_t ℓ then the sequence mean = (1/B) Σ_i Σ_t ℓ / L_max with L_max = 1.
    out.aggregation = "seq-mean-token-sum-norm";
    out.tokenSumNorm = "mean";
    out.maxLength = 1;
  } else if (mode === "seq-mean-token-sum-norm") {
    out.aggregation = "seq-mean-token-sum-norm";
    out.tokenSumNorm = "sum";
    const L = c.loss_scale_factor ?? c.max_response_length;
    if (L !== undefined && L !== null) {
      assertInteger("verl.loss_scale_factor", L, { min: 1 });
      out.maxLength = L;
    }
  } else {
    out.aggregation = mode;
    if (c.loss_scale_factor !== undefined && c.loss_scale_factor !== null) {
      throw new ConfigError(
        "verl.loss_scale_factor",
        "applies only to seq-mean-token-sum-norm",
        c.loss_scale_factor,
      );
    }
  }

  // verl: clip_ratio_low/high default to 0.2; clip_ratio stands in only for one set to null.
  const clip = num("verl.clip_ratio", c.clip_ratio, 0.2);
  out.epsLow = c.clip_ratio_low === null ? clip : num("verl.clip_ratio_low", c.clip_ratio_low, 0.2);
  out.epsHigh = c.clip_ratio_high === null ? clip : num("verl.clip_ratio_high", c.clip_ratio_high, 0.2);
  const clipC = num("verl.clip_ratio_c", c.clip_ratio_c, 3);
  assertFiniteNumber("verl.clip_ratio_c", clipC, { min: 1, exclusiveMin: true });
  out.clipC = clipC;

  if (bool("verl.use_kl_in_reward", c.use_kl_in_reward, false)) {
    throw new ConfigError(
      "verl.use_kl_in_reward",
      "is not supported (KL enters as a loss term: use_kl_loss)",
      true,
    );
  }
  const useKl = bool("verl.use_kl_loss", c.use_kl_loss, false);
  const klType = c.kl_loss_type ?? "low_var_kl";
  assertOneOf("verl.kl_loss_type", klType, ["low_var_kl", "k3", "low_var_kl+", "k3+"] as const);
  out.klStraightThrough = klType.endsWith("+");
  out.klCoef = useKl ? num("verl.kl_loss_coef", c.kl_loss_coef, 0.001) : 0;
  out.entropyCoef = num("verl.entropy_coeff", c.entropy_coeff, 0);
  if (c.ppo_epochs !== undefined) {
    assertInteger("verl.ppo_epochs", c.ppo_epochs, { min: 1 });
    out.ppoEpochs = c.ppo_epochs;
  } else out.ppoEpochs = 1;

  if (c["rollout.n"] !== undefined) {
    assertInteger("verl.rollout.n", c["rollout.n"], { min: 1 });
    out.groupSize = c["rollout.n"];
  }
  if (c.lr !== undefined) out.lr = num("verl.lr", c.lr, 0);
  if (c.train_batch_size !== undefined) {
    assertInteger("verl.train_batch_size", c.train_batch_size, { min: 1 });
    out.batchSize = c.train_batch_size;
  }
  out.miniBatches = 1;
  if (c.ppo_mini_batch_size !== undefined) {
    assertInteger("verl.ppo_mini_batch_size", c.ppo_mini_batch_size, { min: 1 });
    if (c.train_batch_size === undefined) {
      throw new ConfigError("verl.ppo_mini_batch_size", "needs train_batch_size (minibatches per batch)");
    }
    const B = c.train_batch_size as number;
    if (B % c.ppo_mini_batch_size !== 0) {
      throw new ConfigError(
        "verl.ppo_mini_batch_size",
        `must divide train_batch_size (${B})`,
        c.ppo_mini_batch_size,
      );
    }
    out.miniBatches = B / c.ppo_mini_batch_size;
  }
  const gamma = num("verl.gamma", c.gamma, 1);
  if (est === "reinforce_plus_plus" && gamma !== 1) {
    throw new ConfigError(
      "verl.gamma",
      "supports only 1 with reinforce_plus_plus (undiscounted returns)",
      gamma,
    );
  }
  if (c.max_response_length !== undefined) {
    assertInteger("verl.max_response_length", c.max_response_length, { min: 1 });
    out.maxNewTokens = c.max_response_length;
  }
  if (c.grad_clip !== undefined) {
    out.maxGradNorm = c.grad_clip === null ? null : num("verl.grad_clip", c.grad_clip, 1);
  }
  if (c.temperature !== undefined) out.temperature = num("verl.temperature", c.temperature, 1);
  return out;
}

/**
 * `TrainerConfig` fields equivalent to a TRL `GRPOConfig`: loss_type grpo → seq-mean-token-mean, bnpo and dapo
 * → token-mean (one process), dr_grpo → seq-mean-token-sum-norm over max_completion_length (TRL default 256);
 * scale_rewards group/true → grpo, batch → lite-ppo (group mean, batch std), none/false → dr-grpo; unbiased
 * std + 1e-4; beta → k3 coefficient (no clamp).
 */
export function fromTrl(config: Record<string, unknown>): Partial<TrainerConfig> {
  const c = checkFields("trl", config, TRL_FIELDS);
  const out: Partial<TrainerConfig> = {
    advantageStd: "unbiased",
    advantageEps: 1e-4,
    singletonGroups: "zero",
    klClamp: false,
    klStraightThrough: false,
    emptyRows: "count",
  };
  const loss = c.loss_type ?? "dapo";
  assertOneOf("trl.loss_type", loss, ["grpo", "bnpo", "dr_grpo", "dapo"] as const);
  if (loss === "grpo") out.aggregation = "seq-mean-token-mean";
  else if (loss === "dr_grpo") {
    out.aggregation = "seq-mean-token-sum-norm";
    out.tokenSumNorm = "mean";
    const L = c.max_completion_length ?? 256;
    assertInteger("trl.max_completion_length", L, { min: 1 });
    out.maxLength = L;
  } else out.aggregation = "token-mean";

  const raw = c.scale_rewards ?? "group";
  const scale = raw === true ? "group" : raw === false ? "none" : raw;
  assertOneOf("trl.scale_rewards", scale, ["group", "batch", "none"] as const);
  out.estimator = scale === "group" ? "grpo" : scale === "batch" ? "lite-ppo" : "dr-grpo";

  out.epsLow = num("trl.epsilon", c.epsilon, 0.2);
  out.epsHigh = num("trl.epsilon_high", c.epsilon_high, out.epsLow);
  out.clipC = null;
  out.klCoef = num("trl.beta", c.beta, 0);
  out.entropyCoef = 0;
  const G = c.num_generations ?? 8;
  assertInteger("trl.num_generations", G, { min: 2 });
  out.groupSize = G;
  const iters = c.num_iterations ?? 1;
  assertInteger("trl.num_iterations", iters, { min: 1 });
  out.ppoEpochs = iters;
  if (c.learning_rate !== undefined) out.lr = num("trl.learning_rate", c.learning_rate, 0);
  if (c.max_completion_length !== undefined) {
    assertInteger("trl.max_completion_length", c.max_completion_length, { min: 1 });
    out.maxNewTokens = c.max_completion_length;
  }
  if (c.max_grad_norm !== undefined) out.maxGradNorm = num("trl.max_grad_norm", c.max_grad_norm, 1);
  if (c.temperature !== undefined) out.temperature = num("trl.temperature", c.temperature, 1);
  if (c.delta !== undefined && c.delta !== null) {
    throw new ConfigError("trl.delta", "is not supported (two-sided clipping); use null", c.delta);
  }
  if (c.importance_sampling_level !== undefined && c.importance_sampling_level !== "token") {
    throw new ConfigError(
      "trl.importance_sampling_level",
      'supports only "token"',
      c.importance_sampling_level,
    );
  }
  if (bool("trl.mask_truncated_completions", c.mask_truncated_completions, false)) {
    throw new ConfigError("trl.mask_truncated_completions", "is not supported (must be false)", true);
  }
  if (c.top_entropy_quantile !== undefined && c.top_entropy_quantile !== 1) {
    throw new ConfigError("trl.top_entropy_quantile", "supports only 1.0", c.top_entropy_quantile);
  }
  return out;
}
