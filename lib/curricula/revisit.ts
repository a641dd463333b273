/**
 * RevisitSchedule — a finite training pool visited in blocks, each block kept for `revisit` consecutive steps
 * (KAE, arXiv 2604.28005: prompts are revisited for several consecutive iterations, so a per-prompt baseline
 * has recent history). Step t trains on block ⌊t / revisit⌋ mod (P / B): pool entries [b·B, (b + 1)·B).
 */
import { assertInteger, ConfigError } from "../core/validate.ts";
import type { Problem } from "../tasks/types.ts";
import type { Curriculum, CurriculumBatch, CurriculumContext } from "./types.ts";

/** The problems and step of the latest batch (what a per-prompt estimator needs). */
export interface BatchContext {
  /** Trainer step of the batch. */
  step: number;
  /** Problem of each group, in group order. */
  problems: readonly Problem[];
}

/** Pool indices of step t: block ⌊t / revisit⌋ mod (P / B) of B consecutive indices. */
export function revisitBlock(step: number, poolSize: number, batchSize: number, revisit: number): number[] {
  assertInteger("step", step, { min: 0 });
  assertInteger("revisit", revisit, { min: 1 });
  assertInteger("batchSize", batchSize, { min: 1 });
  if (!Number.isInteger(poolSize) || poolSize < batchSize || poolSize % batchSize !== 0) {
    throw new ConfigError("batchSize", `must divide the pool size (${poolSize})`, batchSize);
  }
  const b = Math.floor(step / revisit) % (poolSize / batchSize);
  return Array.from({ length: batchSize }, (_, i) => b * batchSize + i);
}

/** Block-revisit schedule over a fixed pool (see module doc); stateless apart from the latest batch. */
export class RevisitSchedule implements Curriculum {
  /** Curriculum name. */
  readonly name = "revisit";
  /** No state: the batch is a function of the step. */
  state: unknown = null;
  /** Step and problems of the latest batch (null before the first). */
  last: BatchContext | null = null;
  private readonly pool: readonly Problem[];
  private readonly revisit: number;

  /** Visit `pool` in blocks of the trainer's batch size, each for `revisit` consecutive steps. */
  constructor(pool: readonly Problem[], options: { revisit: number }) {
    if (!Array.isArray(pool) || pool.length === 0) {
      throw new ConfigError("pool", "must be a non-empty array of problems");
    }
    assertInteger("RevisitSchedule.revisit", options?.revisit, { min: 1 });
    this.pool = pool;
    this.revisit = options.revisit;
  }

  /** Roll out this step's block, G rollouts per problem. */
  async nextBatch(ctx: CurriculumContext): Promise<CurriculumBatch> {
    const problems = revisitBlock(ctx.step, this.pool.length, ctx.batchSize, this.revisit).map((i) =>
      this.pool[i]
    );
    const groups = await ctx.generate(problems.map((problem) => ({ problem })), ctx.groupSize);
    this.last = { step: ctx.step, problems };
    return { groups, rolloutsGenerated: problems.length * ctx.groupSize, stats: {} };
  }
}
