/** The default curriculum of `RLVRTrainer`: plain GRPO sampling. */
import type { Curriculum, CurriculumBatch, CurriculumContext } from "../curricula/types.ts";

/** Plain GRPO batches: `batchSize` fresh problems × `groupSize` rollouts, every group trained on; stateless. */
export class UniformSampling implements Curriculum {
  /** Curriculum name. */
  readonly name = "uniform";
  /** No state (null). */
  state: unknown = null;

  /** Draw B problems with ctx.rng and roll each out G times. */
  async nextBatch(ctx: CurriculumContext): Promise<CurriculumBatch> {
    const requests = Array.from({ length: ctx.batchSize }, () => ({ problem: ctx.sampleProblem(ctx.rng) }));
    const groups = await ctx.generate(requests, ctx.groupSize);
    return { groups, rolloutsGenerated: ctx.batchSize * ctx.groupSize, stats: {} };
  }
}
