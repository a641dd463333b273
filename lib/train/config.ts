/**
 * The single hyperparameter object of `RLVRTrainer` (CleanRL style): every knob in one place, validated at
 * construction by `resolveTrainerConfig` — an unknown key throws listing the allowed keys, a bad value throws
 * naming the field.
 */
import {
  assertFiniteNumber,
  assertInteger,
  assertOneOf,
  ConfigError,
  resolveConfig,
} from "../core/validate.ts";
import { resolvePolicyGradientConfig } from "../objectives/policy_gradient.ts";
import type { PolicyGradientConfig, SampleWeighting } from "../objectives/policy_gradient.ts";
import { SAMPLE_WEIGHTINGS } from "../objectives/policy_gradient.ts";

/** Built-in advantage estimators (lib/estimators) selectable by name. */
export const ESTIMATORS = [
  "grpo",
  "dr-grpo",
  "rloo",
  "reinforce++",
  "lite-ppo",
  "reinforce",
  "signed",
] as const;
/** A built-in advantage estimator name. */
export type EstimatorName = typeof ESTIMATORS[number];
/** Estimators that compare rollouts within a group and so need groupSize ≥ 2. */
export const GROUP_ESTIMATORS: readonly EstimatorName[] = ["grpo", "dr-grpo", "rloo", "lite-ppo"];

/**
 * All `RLVRTrainer` hyperparameters: the objective's (`PolicyGradientConfig`: ε_low/ε_high, aggregation, KL β to
 * the initial policy as reference, entropy and imitation coefficients) plus sampling, optimizer and loop knobs.
 */
export interface TrainerConfig extends PolicyGradientConfig {
  /** Root seed of the trainer's Rng (problems, rollouts, curriculum). */
  seed: number;
  /** Problems per step (B). */
  batchSize: number;
  /** Rollouts per problem (G). */
  groupSize: number;
  /** Adam learning rate (> 0). */
  lr: number;
  /** Adam β₁. */
  beta1: number;
  /** Adam β₂. */
  beta2: number;
  /** Adam ε. */
  adamEps: number;
  /** Clip the global gradient norm to this value; null = no clipping. */
  maxGradNorm: number | null;
  /** Sampling temperature of rollouts. */
  temperature: number;
  /** Cap on generated tokens per rollout; null = context length − prompt length. */
  maxNewTokens: number | null;
  /** Advantage estimator by name (overridden by a custom `estimator` part). */
  estimator: EstimatorName;
  /** ε added to standard deviations by normalising estimators. */
  advantageEps: number;
  /** L_max for seq-mean-token-sum-norm; null = the task's maxSequenceLength. */
  maxLength: number | null;
  /** Per-sample weighting (arXiv 2506.01347). */
  sampleWeighting: SampleWeighting;
  /** λ on positive samples for w-reinforce. */
  wReinforceLambda: number;
  /** Optimizer steps per rollout batch (PPO epochs); 1 = on-policy. */
  ppoEpochs: number;
  /** Save a checkpoint every N steps (0 = never); needs checkpointDir. */
  checkpointEvery: number;
  /** Directory for checkpoints (one sub-directory per step). */
  checkpointDir: string | null;
  /** Evaluate on the held-out set every N steps (0 = never); needs an evalSet part. */
  evalEvery: number;
  /** Batch size of greedy evaluation. */
  evalBatchSize: number;
}

/** Defaults: plain GRPO, 8 problems × 8 rollouts, lr 1e-3, symmetric clip 0.2, token-mean, no KL. */
export const TRAINER_DEFAULTS: TrainerConfig = {
  seed: 0,
  batchSize: 8,
  groupSize: 8,
  lr: 1e-3,
  beta1: 0.9,
  beta2: 0.999,
  adamEps: 1e-8,
  maxGradNorm: 1,
  temperature: 1,
  maxNewTokens: null,
  estimator: "grpo",
  advantageEps: 1e-6,
  epsLow: 0.2,
  epsHigh: 0.2,
  aggregation: "token-mean",
  maxLength: null,
  klCoef: 0,
  entropyCoef: 0,
  imitationCoef: 0,
  sampleWeighting: "none",
  wReinforceLambda: 0.1,
  ppoEpochs: 1,
  checkpointEvery: 0,
  checkpointDir: null,
  evalEvery: 0,
  evalBatchSize: 64,
};

/** Merge `config` over `TRAINER_DEFAULTS` and validate every field ("config.<field> …" on error). */
export function resolveTrainerConfig(config: Partial<TrainerConfig> = {}): TrainerConfig {
  const c = resolveConfig("config", TRAINER_DEFAULTS, config);
  assertInteger("config.seed", c.seed);
  assertInteger("config.batchSize", c.batchSize, { min: 1 });
  assertInteger("config.groupSize", c.groupSize, { min: 1 });
  assertFiniteNumber("config.lr", c.lr, { min: 0, exclusiveMin: true });
  assertFiniteNumber("config.beta1", c.beta1, { min: 0, max: 1, exclusiveMax: true });
  assertFiniteNumber("config.beta2", c.beta2, { min: 0, max: 1, exclusiveMax: true });
  assertFiniteNumber("config.adamEps", c.adamEps, { min: 0, exclusiveMin: true });
  if (c.maxGradNorm !== null) {
    assertFiniteNumber("config.maxGradNorm", c.maxGradNorm, { min: 0, exclusiveMin: true });
  }
  assertFiniteNumber("config.temperature", c.temperature, { min: 0, exclusiveMin: true });
  if (c.maxNewTokens !== null) assertInteger("config.maxNewTokens", c.maxNewTokens, { min: 1 });
  assertOneOf("config.estimator", c.estimator, ESTIMATORS);
  if (GROUP_ESTIMATORS.includes(c.estimator) && c.groupSize < 2) {
    throw new ConfigError(
      "config.groupSize",
      `must be ≥ 2 with the group estimator ${JSON.stringify(c.estimator)}`,
      c.groupSize,
    );
  }
  assertFiniteNumber("config.advantageEps", c.advantageEps, { min: 0 });
  resolvePolicyGradientConfig({
    epsLow: c.epsLow,
    epsHigh: c.epsHigh,
    aggregation: c.aggregation,
    maxLength: c.maxLength,
    klCoef: c.klCoef,
    entropyCoef: c.entropyCoef,
    imitationCoef: c.imitationCoef,
  }, "config");
  assertOneOf("config.sampleWeighting", c.sampleWeighting, SAMPLE_WEIGHTINGS);
  assertFiniteNumber("config.wReinforceLambda", c.wReinforceLambda, { min: 0 });
  assertInteger("config.ppoEpochs", c.ppoEpochs, { min: 1 });
  assertInteger("config.checkpointEvery", c.checkpointEvery, { min: 0 });
  if (c.checkpointEvery > 0 && (typeof c.checkpointDir !== "string" || c.checkpointDir === "")) {
    throw new ConfigError(
      "config.checkpointDir",
      "must be a directory path when checkpointEvery > 0",
      c.checkpointDir,
    );
  }
  assertInteger("config.evalEvery", c.evalEvery, { min: 0 });
  assertInteger("config.evalBatchSize", c.evalBatchSize, { min: 1 });
  return c;
}
