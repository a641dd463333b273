/**
 * Exact curriculum test bed: run any `Curriculum` on SimChain with the tabular `SoftmaxPolicy` (no tfjs), one
 * REINFORCE update per step, and log the EXACT mean unhinted success probability of the pool after every step
 * — fast enough for many-seed comparisons of curricula (rollouts spent vs ground-truth progress).
 */
import { Rng } from "../core/rng.ts";
import { assertFiniteNumber, assertInteger, ConfigError, resolveConfig } from "../core/validate.ts";
import { drGrpoAdvantages } from "../estimators/advantages.ts";
import { simChainGenerate, type SoftmaxPolicy } from "../policies/softmax.ts";
import type { SimChain } from "../tasks/chain.ts";
import type { Problem } from "../tasks/types.ts";
import type { Curriculum } from "./types.ts";

/** Options of `runSimChain` (task, policy and curriculum are required). */
export interface SimChainRunOptions {
  task: SimChain;
  /** Updated in place. */
  policy: SoftmaxPolicy;
  curriculum: Curriculum;
  /** Training steps (curriculum batches); the most steps when `rolloutBudget` is set. */
  steps: number;
  /** Stop once this many rollouts have been generated (equal-compute comparisons); null = no budget. */
  rolloutBudget: number | null;
  /** Problems per step B (default 16). */
  batchSize: number;
  /** Rollouts per problem G (default 8). */
  groupSize: number;
  /** REINFORCE step size on the logits (default 1). */
  lr: number;
  /** Root seed: step s's curriculum stream is split(s + 1), the sampler's split(0). */
  seed: number;
  /** Per-group advantages from rewards (default Dr.GRPO A = r − mean, arXiv 2503.20783). */
  advantages: ((rewards: number[][]) => number[][]) | null;
  /** SEELE imitation weight γ on hint steps (default 0). */
  imitationWeight: number;
  /** Training problems (default: uniform over the task's pool). */
  sampleProblem: ((rng: Rng) => Problem) | null;
}

/** One logged step of `runSimChain`. */
export interface SimChainRunRow {
  step: number;
  /** Exact mean over the pool of the unhinted success probability a(0), after this step's update. */
  successMean: number;
  /** Rollouts generated this step / so far (including discarded ones). */
  rolloutsGenerated: number;
  rolloutsTotal: number;
  /** Groups and rollouts trained on this step. */
  groups: number;
  rolloutsTrained: number;
  /** The curriculum's stats, as returned. */
  stats: Record<string, number>;
}

const RUN_DEFAULTS: Omit<SimChainRunOptions, "task" | "policy" | "curriculum"> = {
  steps: 10,
  rolloutBudget: null,
  batchSize: 16,
  groupSize: 8,
  lr: 1,
  seed: 0,
  advantages: null,
  imitationWeight: 0,
  sampleProblem: null,
};

/** Exact mean unhinted success probability over the task's pool: (1/P) Σ_x Π_s π_s(c_s | x). */
export function simChainSuccessMean(policy: SoftmaxPolicy): number {
  const ps = policy.task.problems();
  return ps.reduce((t, p) => t + policy.successProbability(p), 0) / ps.length;
}

/** Train `policy` for `steps` curriculum batches on SimChain; returns one row per step (exact success). */
export async function runSimChain(
  options: Partial<SimChainRunOptions> & Pick<SimChainRunOptions, "task" | "policy" | "curriculum">,
): Promise<SimChainRunRow[]> {
  const { task, policy, curriculum, ...rest } = options;
  if (!task || !policy || !curriculum) {
    throw new ConfigError("runSimChain", "needs task, policy and curriculum");
  }
  if (policy.task !== task) {
    throw new ConfigError("policy", "must be a SoftmaxPolicy of the same SimChain task");
  }
  const c = resolveConfig("runSimChain", RUN_DEFAULTS, rest);
  assertInteger("steps", c.steps, { min: 0 });
  assertInteger("batchSize", c.batchSize, { min: 1 });
  assertInteger("groupSize", c.groupSize, { min: 1 });
  assertFiniteNumber("lr", c.lr);
  if (c.rolloutBudget !== null) assertFiniteNumber("rolloutBudget", c.rolloutBudget, { min: 0 });
  const advantages = c.advantages ?? ((rs: number[][]) => rs.map((r) => drGrpoAdvantages(r, r.length)));
  const sampleProblem = c.sampleProblem ?? ((rng: Rng) => task.sample(rng));
  const root = new Rng(c.seed);
  const generate = simChainGenerate(policy, root.split(0));
  const rows: SimChainRunRow[] = [];
  let total = 0;
  for (let step = 0; step < c.steps && (c.rolloutBudget === null || total < c.rolloutBudget); step++) {
    const batch = await curriculum.nextBatch({
      step,
      rng: root.split(step + 1),
      batchSize: c.batchSize,
      groupSize: c.groupSize,
      sampleProblem,
      generate,
    });
    if (batch.groups.length > 0) {
      policy.update(batch.groups, advantages(batch.groups.map((g) => g.rewards)), c.lr, {
        imitationWeight: c.imitationWeight,
      });
    }
    total += batch.rolloutsGenerated;
    rows.push({
      step: step + 1,
      successMean: simChainSuccessMean(policy),
      rolloutsGenerated: batch.rolloutsGenerated,
      rolloutsTotal: total,
      groups: batch.groups.length,
      rolloutsTrained: batch.groups.reduce((t, g) => t + g.responses.length, 0),
      stats: batch.stats,
    });
  }
  return rows;
}
