/**
 * The curriculum hook of `RLVRTrainer`: a curriculum decides which problems to roll out, how many times,
 * with what hint, and which groups reach the optimizer. The trainer hands it a `generate` function and
 * trains on the groups it returns. The default (plain GRPO) samples `batchSize` problems × `groupSize`.
 */
import type { Rng } from "../core/rng.ts";
import type { Problem } from "../tasks/types.ts";

/** G rollouts of one problem, with rewards; hint tokens (a solution prefix) are forced, not generated. */
export interface RolloutGroup {
  problem: Problem;
  /** Number of reference-solution tokens forced as a prefix of each response (0 = no hint). */
  hintLength: number;
  /**
   * Per-rollout hint lengths when they differ within the group (SEELE merges m rounds at different hint
   * rates into one group of m·n rollouts); when present it overrides `hintLength` rollout by rollout.
   */
  hintLengths?: number[];
  /** Response token ids per rollout (hint prefix included, eos included when emitted). */
  responses: number[][];
  /** Per-token log-probs under the sampling policy, aligned with `responses` (hint tokens: log-prob of the forced token). */
  logProbs: number[][];
  /** Scalar reward per rollout. */
  rewards: number[];
  /** Per-rollout correctness (verifier output) when rewards include shaping; defaults to rewards. */
  correct?: number[];
}

/** A rollout request: a problem and an optional hint length. */
export interface RolloutRequest {
  problem: Problem;
  hintLength?: number;
}

/** Generate `groupSize` scored rollouts for each request (one group per request, same order). */
export type GenerateFn = (requests: RolloutRequest[], groupSize: number) => Promise<RolloutGroup[]>;

/** What a curriculum sees each step. */
export interface CurriculumContext {
  step: number;
  rng: Rng;
  batchSize: number;
  groupSize: number;
  /** Draw a fresh training problem. */
  sampleProblem: (rng: Rng) => Problem;
  generate: GenerateFn;
}

/** A batch chosen by a curriculum plus its accounting. */
export interface CurriculumBatch {
  /** Groups to train on. */
  groups: RolloutGroup[];
  /** Rollouts generated this step (including discarded ones). */
  rolloutsGenerated: number;
  /** Curriculum-specific scalars for the RunLog (e.g. keptFraction, meanHintRate, level). */
  stats: Record<string, number>;
}

/** A curriculum hook: stateful, with an explicit JSON-serializable `state` for checkpoints. */
export interface Curriculum {
  readonly name: string;
  nextBatch(ctx: CurriculumContext): Promise<CurriculumBatch>;
  /** JSON-serializable state (per-problem hint rates, pass rates, level...). */
  state: unknown;
}
