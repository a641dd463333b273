/**
 * Sweetspot — composable reinforcement-learning building blocks for RL with verifiable rewards (RLVR).
 * The public API: import from this module (`import * as ss from "./mod.ts"`).
 *
 * - **tasks**: verifiable token tasks (`AdditionTask`, SAT, SimChain, FeatureChain, tree MDPs) with a
 *   `sample` / `verify` contract, and `makeDataset` for fixed held-out sets;
 * - **policies**: `TinyTransformer` (a causal transformer LM in TensorFlow.js with KV-cache sampling) and
 *   tabular, linear-softmax and SAT-assignment policies with exact success probabilities;
 * - **estimators / objectives**: GRPO, Dr.GRPO, RLOO, REINFORCE++, Lite-PPO, GAE and KAE advantages
 *   (`grpoAdvantages`, …), PPO-clip with clip-higher and dual-clip, KL penalties, PSR/NSR weights, pass@k;
 * - **curricula / rewards**: difficulty filtering, DAPO dynamic sampling, SEELE hints, the SATURN ladder;
 *   verifiable and RLCR calibration rewards;
 * - **train**: `RLVRTrainer`, one training loop for every policy, and `trainArms` for equal-tuning comparisons;
 * - **stats / viz / log**: IQM and stratified bootstrap CIs (rliable), vega-lite charts (`learningCurve`,
 *   `claimForest`, `pairedDifference`, one colour per arm name via `armColor`), `RunLog`;
 * - **jobs**: a worker pool and SLURM job arrays.
 *
 * @example Train a tiny transformer on 1-digit addition with GRPO
 * ```ts
 * import { AdditionTask, RLVRTrainer, TinyTransformer, useBackend } from "./mod.ts";
 *
 * await useBackend("cpu");
 * const task = new AdditionTask({ minDigits: 1, maxDigits: 1 });
 * const policy = new TinyTransformer({
 *   vocabSize: task.vocab.size,
 *   contextLength: task.maxSequenceLength,
 *   dModel: 16,
 *   nLayers: 1,
 *   nHeads: 2,
 *   seed: 0,
 * });
 * const trainer = new RLVRTrainer({
 *   policy,
 *   task,
 *   config: { algorithm: "grpo", seed: 1, batchSize: 4, groupSize: 4, maxNewTokens: 3 },
 * });
 * const log = await trainer.train(2); // one row per step: reward, accuracy, loss, KL, …
 * ```
 *
 * @module
 */
export * from "./lib/core/mod.ts";
export * from "./lib/estimators/mod.ts";
export * from "./lib/stats/mod.ts";
export * from "./lib/policies/mod.ts";
export * from "./lib/viz/mod.ts";
export * from "./lib/log/mod.ts";
export * from "./lib/curricula/mod.ts";
export * from "./lib/rewards/mod.ts";
export * from "./lib/tasks/mod.ts";
export * from "./lib/objectives/mod.ts";
export * from "./lib/train/mod.ts";
export * from "./lib/jobs/mod.ts";
export * from "./lib/experiment/mod.ts";
