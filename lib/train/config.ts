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
import type { StdKind } from "../estimators/advantages.ts";
import { STD_KINDS } from "../estimators/advantages.ts";
import { resolvePolicyGradientConfig } from "../objectives/policy_gradient.ts";
import type { PolicyGradientConfig, SampleWeighting } from "../objectives/policy_gradient.ts";
import { SAMPLE_WEIGHTINGS } from "../objectives/policy_gradient.ts";
import { isGroupEstimator, REINFORCE_NORMS, SINGLETON_GROUPS } from "./advantages.ts";
import type { ReinforceNorm, SingletonGroups } from "./advantages.ts";

/** Built-in advantage estimator names (any name registered with `registerAdvantageEstimator` is accepted too). */
export type EstimatorName =
  | "grpo"
  | "dr-grpo"
  | "rloo"
  | "reinforce++"
  | "lite-ppo"
  | "reinforce"
  | "signed"
  | "kae"
  | (string & Record<never, never>);

/** Optimizers of the trainer: Adam (Kingma & Ba 2015) or plain SGD θ ← θ − lr·g. */
export const OPTIMIZERS = ["adam", "sgd"] as const;
/** An optimizer name. */
export type OptimizerName = typeof OPTIMIZERS[number];

/** Named algorithms: each sets estimator + aggregation + clip (`ALGORITHM_PRESETS`). */
export const ALGORITHMS = [
  "grpo",
  "dr-grpo",
  "grpo-token-sum",
  "dapo",
  "lite-ppo",
  "rloo",
  "reinforce++",
] as const;
/** A named algorithm preset. */
export type AlgorithmName = typeof ALGORITHMS[number];

/** The estimator / aggregation / clip pairing of each named algorithm: the one source of truth for them. */
export const ALGORITHM_PRESETS: Readonly<Record<AlgorithmName, Readonly<Partial<TrainerConfig>>>> = {
  /** GRPO (arXiv 2402.03300): group std-normalised advantages, per-sequence token mean, symmetric clip 0.2. */
  "grpo": { estimator: "grpo", aggregation: "seq-mean-token-mean", epsLow: 0.2, epsHigh: 0.2 },
  /** Dr.GRPO (arXiv 2503.20783): no std, token sum over a constant normaliser L_max, clip 0.2. */
  "dr-grpo": { estimator: "dr-grpo", aggregation: "seq-mean-token-sum-norm", epsLow: 0.2, epsHigh: 0.2 },
  /**
   * GRPO's std-normalised advantages with Dr.GRPO's token sum over L_max (arXiv 2503.20783's two changes
   * separated): against "grpo" it isolates the 1/|o| term, against "dr-grpo" the std.
   */
  "grpo-token-sum": { estimator: "grpo", aggregation: "seq-mean-token-sum-norm", epsLow: 0.2, epsHigh: 0.2 },
  /** DAPO (arXiv 2503.14476): GRPO advantages, token-level mean, clip-higher ε_low 0.2 / ε_high 0.28. */
  "dapo": { estimator: "grpo", aggregation: "token-mean", epsLow: 0.2, epsHigh: 0.28 },
  /** Lite PPO (arXiv 2508.08221): group mean / batch std, token-level mean, clip 0.2. */
  "lite-ppo": { estimator: "lite-ppo", aggregation: "token-mean", epsLow: 0.2, epsHigh: 0.2 },
  /** RLOO (arXiv 2402.14740): leave-one-out baseline, token-level mean, clip 0.2. */
  "rloo": { estimator: "rloo", aggregation: "token-mean", epsLow: 0.2, epsHigh: 0.2 },
  /** REINFORCE++ (arXiv 2501.03262): batch-normalised advantages, token-level mean, clip 0.2. */
  "reinforce++": { estimator: "reinforce++", aggregation: "token-mean", epsLow: 0.2, epsHigh: 0.2 },
};

/** The config fields a named algorithm sets (a copy of `ALGORITHM_PRESETS[name]`); unknown names throw. */
export function presetConfig(name: AlgorithmName): Partial<TrainerConfig> {
  assertOneOf("algorithm", name, ALGORITHMS);
  return { ...ALGORITHM_PRESETS[name] };
}

/**
 * All `RLVRTrainer` hyperparameters: the objective's (`PolicyGradientConfig`: ε_low/ε_high, aggregation, KL β to
 * the initial policy as reference, entropy and imitation coefficients) plus sampling, optimizer and loop knobs.
 */
export interface TrainerConfig extends PolicyGradientConfig {
  /** Named algorithm whose estimator/aggregation/clip fill fields not given explicitly; null = none. */
  algorithm: AlgorithmName | null;
  /** Root seed of the trainer's Rng (problems, rollouts, curriculum). */
  seed: number;
  /** Problems per step (B). */
  batchSize: number;
  /** Rollouts per problem (G). */
  groupSize: number;
  /** Optimizer: "adam" or plain "sgd" (θ ← θ − lr·g after gradient clipping). */
  optimizer: OptimizerName;
  /** Learning rate (> 0). */
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
  /** Advantage estimator by registered name (overridden by a custom `estimator` part). */
  estimator: EstimatorName;
  /** ε added to standard deviations by normalising estimators. */
  advantageEps: number;
  /** Std kind of normalising estimators: "population" (default) or "unbiased" n − 1 (verl, TRL). */
  advantageStd: StdKind;
  /** One-rollout groups: advantage "zero" (default) or "raw" (verl: mean 0, std 1). */
  singletonGroups: SingletonGroups;
  /** REINFORCE++ normalisation: per "sequence" (default) or over "token"s (verl). */
  reinforceNorm: ReinforceNorm;
  /** L_max for seq-mean-token-sum-norm; null = the task's maxSequenceLength. */
  maxLength: number | null;
  /** Per-sample weighting (arXiv 2506.01347). */
  sampleWeighting: SampleWeighting;
  /** λ on positive samples for w-reinforce. */
  wReinforceLambda: number;
  /** Passes over each rollout batch (PPO epochs); 1 with `miniBatches` 1 = on-policy. */
  ppoEpochs: number;
  /**
   * Minibatches per PPO epoch: the batch's rollouts (in group order) are split into this many consecutive
   * parts, one optimizer step each (verl train_batch_size / ppo_mini_batch_size); the objective normalises
   * within a minibatch. Optimizer steps per rollout batch = ppoEpochs × miniBatches.
   */
  miniBatches: number;
  /** Save a checkpoint every N steps (0 = never); needs checkpointDir. */
  checkpointEvery: number;
  /** Directory for checkpoints (one sub-directory per step). */
  checkpointDir: string | null;
  /** Evaluate on the held-out set every N steps (0 = never); needs an evalSet part. */
  evalEvery: number;
  /** Batch size of greedy evaluation. */
  evalBatchSize: number;
  /** Log one row per trained group and step into `trainer.promptLog` (default false). */
  logPrompts: boolean;
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
  optimizer: "adam",
  maxGradNorm: 1,
  temperature: 1,
  maxNewTokens: null,
  algorithm: null,
  estimator: "grpo",
  advantageEps: 1e-6,
  advantageStd: "population",
  singletonGroups: "zero",
  reinforceNorm: "sequence",
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
  sampleWeighting: "none",
  wReinforceLambda: 0.1,
  ppoEpochs: 1,
  miniBatches: 1,
  checkpointEvery: 0,
  checkpointDir: null,
  evalEvery: 0,
  evalBatchSize: 64,
  logPrompts: false,
};

/**
 * Merge `TRAINER_DEFAULTS` < the `algorithm` preset < explicit `config` fields, and validate every field
 * ("config.<field> …" on error).
 */
export function resolveTrainerConfig(config: Partial<TrainerConfig> = {}): TrainerConfig {
  const algorithm = config?.algorithm ?? null;
  if (algorithm !== null) assertOneOf("config.algorithm", algorithm, ALGORITHMS);
  const preset = algorithm === null ? {} : ALGORITHM_PRESETS[algorithm];
  const c = resolveConfig("config", TRAINER_DEFAULTS, { ...preset, ...config });
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
  assertOneOf("config.optimizer", c.optimizer, OPTIMIZERS);
  if (typeof c.estimator !== "string") {
    throw new ConfigError("config.estimator", "must be a string", c.estimator);
  }
  const group = isGroupEstimator(c.estimator, "config.estimator");
  if (group && c.groupSize < 2 && c.singletonGroups === "zero") {
    throw new ConfigError(
      "config.groupSize",
      `must be ≥ 2 with the group estimator ${JSON.stringify(c.estimator)} (or singletonGroups "raw")`,
      c.groupSize,
    );
  }
  assertFiniteNumber("config.advantageEps", c.advantageEps, { min: 0 });
  assertOneOf("config.advantageStd", c.advantageStd, STD_KINDS);
  assertOneOf("config.singletonGroups", c.singletonGroups, SINGLETON_GROUPS);
  assertOneOf("config.reinforceNorm", c.reinforceNorm, REINFORCE_NORMS);
  resolvePolicyGradientConfig({
    epsLow: c.epsLow,
    epsHigh: c.epsHigh,
    aggregation: c.aggregation,
    maxLength: c.maxLength,
    klCoef: c.klCoef,
    entropyCoef: c.entropyCoef,
    imitationCoef: c.imitationCoef,
    clipC: c.clipC,
    klClamp: c.klClamp,
    klStraightThrough: c.klStraightThrough,
    tokenSumNorm: c.tokenSumNorm,
    emptyRows: c.emptyRows,
  }, "config");
  assertOneOf("config.sampleWeighting", c.sampleWeighting, SAMPLE_WEIGHTINGS);
  assertFiniteNumber("config.wReinforceLambda", c.wReinforceLambda, { min: 0 });
  assertInteger("config.ppoEpochs", c.ppoEpochs, { min: 1 });
  assertInteger("config.miniBatches", c.miniBatches, { min: 1 });
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
  if (typeof c.logPrompts !== "boolean") {
    throw new ConfigError("config.logPrompts", "must be true or false", c.logPrompts);
  }
  return c;
}
