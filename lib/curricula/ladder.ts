/**
 * SATURN difficulty ladder (arXiv 2505.16368): train on (n, k, l)-SAT problems of the current level and move
 * to the next level when validation pass@1 exceeds a threshold. The caller supplies the levels, a sampler
 * per level and the validation hook, so the ladder is independent of the SAT generator (any level type works).
 * The threshold is one number for every level (SATURN: 0.5) or a function of the level, e.g. a margin over the
 * level's chance pass@1 (`marginOverBaseline` with `plantedSatChance`), so that clearing a level means doing
 * better than guessing where chance itself is high.
 */
import type { Rng } from "../core/rng.ts";
import { assertFiniteNumber, assertInteger, ConfigError, resolveConfig } from "../core/validate.ts";
import type { Problem } from "../tasks/types.ts";
import { groupPassRate } from "./filter.ts";
import type { Curriculum, CurriculumBatch, CurriculumContext } from "./types.ts";

/** An (n, k, l)-SAT level: n literals per clause, k variables, l clauses (SATURN; same shape as the SAT task's SatConfig). */
export interface SatLevel {
  /** Literals per clause. */
  n: number;
  /** Variables. */
  k: number;
  /** Clauses. */
  l: number;
}

/** Options of `SatLadder`. */
export interface SatLadderOptions<L> {
  /** Levels from easiest to hardest (non-empty). */
  levels: readonly L[];
  /** Draw one training problem at a level. */
  sample: (level: L, rng: Rng) => Problem;
  /**
   * Validation pass@1 at a level (the caller evaluates its current policy); return `{passAt1, rollouts}` to
   * charge the validation's generations to the ladder's rollout count (equal-rollout comparisons).
   */
  evaluate: (level: L, step: number) => SatLadderValidation | Promise<SatLadderValidation>;
  /** Advance when pass@1 > threshold (SATURN: 0.5 for 1.5B), one number or a per-level value in [0, 1]. */
  threshold: number | ((level: L) => number);
  /** Validate every `evalEvery` steps (at steps evalEvery, 2·evalEvery, …; default 1). */
  evalEvery: number;
}

/** A validation result: pass@1, or pass@1 and the rollouts the validation generated. */
export type SatLadderValidation = number | { passAt1: number; rollouts: number };

/** JSON-serializable ladder state. */
export interface SatLadderState {
  /** Index of the current level. */
  level: number;
  /** Batches produced. */
  steps: number;
  /** Rollouts generated (training rollouts plus charged validation rollouts). */
  rolloutsGenerated: number;
  /** Rollouts spent on validation (included in `rolloutsGenerated`). */
  validationRollouts?: number;
  /** The latest validation pass@1 (null before the first validation). */
  lastPassAt1: number | null;
  /** Validation results: step, level index and pass@1, plus whether the ladder advanced. */
  history: { step: number; level: number; passAt1: number; threshold?: number; advanced: boolean }[];
}

/**
 * A per-level ladder threshold: advance when pass@1 > baseline(level) + margin, e.g. `baseline` = the level's
 * chance pass@1 (`plantedSatChance`) or a heuristic's success rate; throws unless the result lies in [0, 1).
 */
export function marginOverBaseline<L>(baseline: (level: L) => number, margin: number): (level: L) => number {
  if (typeof baseline !== "function") {
    throw new ConfigError("baseline", "must be a function (level) → pass@1");
  }
  assertFiniteNumber("margin", margin, { min: -1, max: 1 });
  return (level: L) => {
    const b = baseline(level);
    assertFiniteNumber("baseline(level)", b, { min: 0, max: 1 });
    const t = b + margin;
    assertFiniteNumber("baseline(level) + margin", t, { min: 0, max: 1, exclusiveMax: true });
    return t;
  };
}

/** SATURN curriculum (arXiv 2505.16368): advance the (n, k, l) level when validation pass@1 > threshold. */
export class SatLadder<L = SatLevel> implements Curriculum {
  /** "sat-ladder". */
  readonly name = "sat-ladder";
  /** Resolved options. */
  readonly options: Readonly<SatLadderOptions<L>>;
  /** Current level index and validation history. */
  state: SatLadderState = { level: 0, steps: 0, rolloutsGenerated: 0, lastPassAt1: null, history: [] };

  /** `levels`, `sample` and `evaluate` are required; threshold defaults to 0.5, evalEvery to 1. */
  constructor(
    options: Partial<SatLadderOptions<L>> & Pick<SatLadderOptions<L>, "levels" | "sample" | "evaluate">,
  ) {
    const c = resolveConfig("SatLadder", {
      levels: [] as readonly L[],
      sample: undefined as unknown as SatLadderOptions<L>["sample"],
      evaluate: undefined as unknown as SatLadderOptions<L>["evaluate"],
      threshold: 0.5 as SatLadderOptions<L>["threshold"],
      evalEvery: 1,
    }, options);
    if (!Array.isArray(c.levels) || c.levels.length === 0) {
      throw new ConfigError("levels", "must be a non-empty array", c.levels);
    }
    if (typeof c.sample !== "function") {
      throw new ConfigError("sample", "must be a function (level, rng) → Problem");
    }
    if (typeof c.evaluate !== "function") {
      throw new ConfigError("evaluate", "must be a function (level, step) → pass@1");
    }
    if (typeof c.threshold !== "function") assertFiniteNumber("threshold", c.threshold, { min: 0, max: 1 });
    else c.levels.forEach((lv) => this.thresholdAt(lv, c.threshold));
    assertInteger("evalEvery", c.evalEvery, { min: 1 });
    this.options = Object.freeze(c);
  }

  /** The advance threshold at `level` (`options.threshold`, or its value at the level when it is a function). */
  thresholdAt(level: L, threshold: SatLadderOptions<L>["threshold"] = this.options.threshold): number {
    if (typeof threshold !== "function") return threshold;
    const t = threshold(level);
    assertFiniteNumber("threshold(level)", t, { min: 0, max: 1 });
    return t;
  }

  /** The current level. */
  get level(): L {
    return this.options.levels[this.state.level];
  }

  /** Validate when due (advance one level if pass@1 > threshold), then roll out `batchSize` problems at the level. */
  async nextBatch(ctx: CurriculumContext): Promise<CurriculumBatch> {
    const s = this.state;
    let validationRollouts = 0;
    if (ctx.step > 0 && ctx.step % this.options.evalEvery === 0) {
      const result = await this.options.evaluate(this.level, ctx.step);
      const pass = typeof result === "number" ? result : result.passAt1;
      assertFiniteNumber("evaluate() result", pass, { min: 0, max: 1 });
      if (typeof result !== "number") {
        assertInteger("evaluate() rollouts", result.rollouts, { min: 0 });
        validationRollouts = result.rollouts;
      }
      const threshold = this.thresholdAt(this.level);
      const advance = pass > threshold && s.level < this.options.levels.length - 1;
      s.history.push({ step: ctx.step, level: s.level, passAt1: pass, threshold, advanced: advance });
      s.lastPassAt1 = pass;
      if (advance) s.level++;
    }
    const level = this.level;
    const reqs = Array.from(
      { length: ctx.batchSize },
      () => ({ problem: this.options.sample(level, ctx.rng) }),
    );
    const groups = await ctx.generate(reqs, ctx.groupSize);
    const n = groups.reduce((t, g) => t + g.responses.length, 0);
    s.steps++;
    s.rolloutsGenerated += n + validationRollouts;
    s.validationRollouts = (s.validationRollouts ?? 0) + validationRollouts;
    const stats: Record<string, number> = {
      level: s.level,
      rolloutsTrained: n,
      validationRollouts,
      meanPassRate: groups.reduce((t, g) => t + groupPassRate(g), 0) / Math.max(1, groups.length),
    };
    if (s.lastPassAt1 !== null) stats.passAt1 = s.lastPassAt1;
    const lv = level as unknown as Partial<SatLevel>;
    if (typeof lv?.n === "number" && typeof lv.k === "number" && typeof lv.l === "number") {
      stats.n = lv.n;
      stats.k = lv.k;
      stats.l = lv.l;
    }
    return { groups, rolloutsGenerated: n + validationRollouts, stats };
  }
}
