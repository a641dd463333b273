/**
 * The curriculum hook of `RLVRTrainer`: a curriculum decides which problems to roll out, how many times,
 * with what hint, and which groups reach the optimizer. The trainer hands it a `generate` function and
 * trains on the groups it returns. The default (plain GRPO) samples `batchSize` problems × `groupSize`.
 */
import type { Rng } from "../core/rng.ts";
import type { Problem } from "../tasks/types.ts";

/** G rollouts of one problem, with rewards; hint tokens (a solution prefix) are forced, not generated. */
export interface RolloutGroup {
  /** The problem all G rollouts answer. */
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
  /** The problem to roll out. */
  problem: Problem;
  /** Reference-solution tokens forced as a prefix (default 0: no hint). */
  hintLength?: number;
}

/** Generate `groupSize` scored rollouts for each request (one group per request, same order). */
export type GenerateFn = (requests: RolloutRequest[], groupSize: number) => Promise<RolloutGroup[]>;

/** What a curriculum sees each step. */
export interface CurriculumContext {
  /** Optimizer steps taken so far. */
  step: number;
  /** This step's random stream (derived from the trainer's Rng). */
  rng: Rng;
  /** Problems per step (B). */
  batchSize: number;
  /** Rollouts per problem (G). */
  groupSize: number;
  /** Draw a fresh training problem. */
  sampleProblem: (rng: Rng) => Problem;
  /** Roll out and score requests (hints forced). */
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
  /** Name logged in the run's meta. */
  readonly name: string;
  /** Choose, roll out and return this step's groups (and accounting). */
  nextBatch(ctx: CurriculumContext): Promise<CurriculumBatch>;
  /** JSON-serializable state (per-problem hint rates, pass rates, level...). */
  state: unknown;
}
