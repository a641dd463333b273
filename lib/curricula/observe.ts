/**
 * Observing a curriculum: `GroupStatistics` hands every batch a curriculum chooses to a statistics function of
 * its rollout groups and adds the result to the batch's `stats`, which `RLVRTrainer` logs per step as
 * `curriculum.<name>` — e.g. the response length of correct vs incorrect rollouts (Dr.GRPO's length bias) or
 * the stated confidence of the rollouts (RLCR). The batch itself is passed through unchanged.
 */
import type { Curriculum, CurriculumBatch, CurriculumContext, RolloutGroup } from "./types.ts";

/** Per-step statistics of the chosen groups (finite numbers; non-finite ones are logged as null). */
export type GroupStatisticsFn = (groups: readonly RolloutGroup[]) => Record<string, number>;

/** Curriculum `inner` with `stats(groups)` added to every batch's stats (see module doc). */
export class GroupStatistics implements Curriculum {
  /** The inner curriculum's name. */
  readonly name: string;

  /** Wrap `inner`; `stats` sees the groups `inner` returns, after its own choice. */
  constructor(readonly inner: Curriculum, readonly stats: GroupStatisticsFn) {
    this.name = inner.name;
  }

  /** The inner curriculum's state (checkpoints save and restore it). */
  get state(): unknown {
    return this.inner.state;
  }
  set state(s: unknown) {
    this.inner.state = s;
  }

  /** The inner batch with `stats(groups)` merged into its stats. */
  async nextBatch(ctx: CurriculumContext): Promise<CurriculumBatch> {
    const b = await this.inner.nextBatch(ctx);
    return { ...b, stats: { ...b.stats, ...this.stats(b.groups) } };
  }
}
