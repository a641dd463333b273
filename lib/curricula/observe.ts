/**
 * Observing a curriculum: `GroupStatistics` hands every batch a curriculum chooses to a statistics function of
 * its rollout groups and adds the result to the batch's `stats`, which `RLVRTrainer` logs per step as
 * `curriculum.<name>` — e.g. the response length of correct vs incorrect rollouts (Dr.GRPO's length bias) or
 * the stated confidence of the rollouts (RLCR). The batch itself is passed through unchanged. `SuccessProbe`
 * draws extra rollouts of the chosen problems under the pre-update policy (a Monte-Carlo value reference, e.g.
 * for the value MSE of KAE's baseline, arXiv 2604.28005) without changing what is trained.
 */
import { assertInteger, ConfigError } from "../core/validate.ts";
import type { Problem } from "../tasks/types.ts";
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

/**
 * Per-step response lengths by outcome class (Dr.GRPO's length bias, arXiv 2503.20783): for every class c that
 * `classify(problem, response)` returns, `<c>` (count) and `<c>LengthSum` (Σ tokens, eos included), so windows of
 * steps pool exactly; `rollouts` is the step's total. Classes absent in a step are absent from its stats.
 */
export function lengthByOutcome(
  classify: (problem: Problem, response: readonly number[]) => string,
): GroupStatisticsFn {
  return (groups: readonly RolloutGroup[]): Record<string, number> => {
    const out: Record<string, number> = { rollouts: 0 };
    for (const g of groups) {
      for (const y of g.responses) {
        const c = classify(g.problem, y);
        out[c] = (out[c] ?? 0) + 1;
        out[`${c}LengthSum`] = (out[`${c}LengthSum`] ?? 0) + y.length;
        out.rollouts++;
      }
    }
    return out;
  };
}

/** One probe of `SuccessProbe`: the step, the groups the inner curriculum chose, and per group the probe scores. */
export interface SuccessProbeRecord {
  /** Training step (0-based, the trainer's step before its update). */
  step: number;
  /** The chosen groups (the batch trained on). */
  groups: readonly RolloutGroup[];
  /** scores[g][k]: verifier score (correctness, else reward) of fresh rollout k of groups[g]'s problem. */
  scores: number[][];
}

/** Options of `SuccessProbe`. */
export interface SuccessProbeOptions {
  /** Fresh rollouts per chosen problem (the Monte-Carlo sample size M ≥ 1). */
  samples: number;
  /** 0-based steps at which to probe. */
  steps: readonly number[];
  /** Receives every probe. */
  onProbe: (record: SuccessProbeRecord) => void;
}

/**
 * Monte-Carlo success probability of the chosen problems under the CURRENT (pre-update) policy: at the listed
 * steps, after `inner` chose its batch, draw `samples` fresh rollouts of each chosen problem and hand their
 * scores to `onProbe` — p̂(x) = mean of the scores estimates the value V(x) = P(correct | x) that baselines such
 * as GRPO's group mean or KAE's V̂ approximate. A measurement only: the batch, its `rolloutsGenerated` and the
 * trainer's random streams are unchanged (the probe uses sampler seeds after the batch's own), so a run with and
 * without the probe trains identically.
 */
export class SuccessProbe implements Curriculum {
  /** The inner curriculum's name. */
  readonly name: string;
  private readonly probeSteps: Set<number>;

  /** Wrap `inner`; see the class doc. */
  constructor(readonly inner: Curriculum, readonly options: SuccessProbeOptions) {
    this.name = inner.name;
    assertInteger("SuccessProbe.samples", options?.samples, { min: 1 });
    if (!Array.isArray(options.steps)) {
      throw new ConfigError("SuccessProbe.steps", "must be an array of step indices", options.steps);
    }
    for (const s of options.steps) assertInteger("SuccessProbe.steps[]", s, { min: 0 });
    if (typeof options.onProbe !== "function") {
      throw new ConfigError("SuccessProbe.onProbe", "must be a function", options.onProbe);
    }
    this.probeSteps = new Set(options.steps);
  }

  /** The inner curriculum's state (checkpoints save and restore it). */
  get state(): unknown {
    return this.inner.state;
  }
  set state(s: unknown) {
    this.inner.state = s;
  }

  /** The inner batch, unchanged; at probe steps, `samples` fresh rollouts per chosen problem go to `onProbe`. */
  async nextBatch(ctx: CurriculumContext): Promise<CurriculumBatch> {
    const b = await this.inner.nextBatch(ctx);
    if (this.probeSteps.has(ctx.step) && b.groups.length > 0) {
      const probe = await ctx.generate(b.groups.map((g) => ({ problem: g.problem })), this.options.samples);
      this.options.onProbe({
        step: ctx.step,
        groups: b.groups,
        scores: probe.map((g) => (g.correct ?? g.rewards).slice()),
      });
    }
    return b;
  }
}
