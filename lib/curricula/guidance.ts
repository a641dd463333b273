/**
 * GHPO-style adaptive guidance (arXiv 2507.10628): roll out each problem without a hint; when all G rollouts
 * fail, retry with a fraction ω of the reference solution as a forced prefix (ω from a configurable
 * schedule, raised on each retry) and train on the last attempt's group. Problems with a success are plain GRPO.
 */
import { assertFiniteArray, ConfigError, resolveConfig } from "../core/validate.ts";
import { groupPassRate } from "./filter.ts";
import type { Curriculum, CurriculumBatch, CurriculumContext, RolloutGroup } from "./types.ts";

/** Options of `AdaptiveGuidance`. */
export interface AdaptiveGuidanceOptions {
  /**
   * Hint fractions ω tried on successive retries of an all-fail group (default [0.25, 0.5, 0.75]); a function of
   * the training step gives a step-dependent schedule. Hint length = round(ω·|y|).
   */
  omegaSchedule: readonly number[] | ((step: number) => readonly number[]);
}

/** JSON-serializable AdaptiveGuidance state. */
export interface AdaptiveGuidanceState {
  /** Steps taken. */
  steps: number;
  /** Rollouts generated so far (retries included). */
  rolloutsGenerated: number;
  /** Problems that needed a hint / that stayed all-fail after every retry (cumulative). */
  hinted: number;
  /** Problems that stayed all-fail after every retry (cumulative). */
  unsolved: number;
  /** Problems rolled out (cumulative). */
  problemsSeen: number;
  /** Last hint fraction used per problem id (0 = solved without a hint). */
  hintRates: Record<string, number>;
}

const GUIDANCE_DEFAULTS: AdaptiveGuidanceOptions = { omegaSchedule: [0.25, 0.5, 0.75] };

/** GHPO-style guidance (arXiv 2507.10628): all-fail groups are retried with ω·|y| solution tokens as a hint. */
export class AdaptiveGuidance implements Curriculum {
  /** "adaptive-guidance". */
  readonly name = "adaptive-guidance";
  /** Resolved options. */
  readonly options: Readonly<AdaptiveGuidanceOptions>;
  /** Cumulative accounting and per-problem hint fractions. */
  state: AdaptiveGuidanceState = {
    steps: 0,
    rolloutsGenerated: 0,
    hinted: 0,
    unsolved: 0,
    problemsSeen: 0,
    hintRates: {},
  };

  /** Default schedule ω = 0.25, 0.5, 0.75 on the first, second, third retry. */
  constructor(options: Partial<AdaptiveGuidanceOptions> = {}) {
    const c = resolveConfig("AdaptiveGuidance", GUIDANCE_DEFAULTS, options);
    if (typeof c.omegaSchedule !== "function") checkSchedule(c.omegaSchedule);
    this.options = Object.freeze(c);
  }

  /** The ω schedule in force at `step`. */
  schedule(step: number): readonly number[] {
    const s = typeof this.options.omegaSchedule === "function"
      ? this.options.omegaSchedule(step)
      : this.options.omegaSchedule;
    checkSchedule(s);
    return s;
  }

  /** Roll out `batchSize` problems; retry all-fail groups with growing hints; return one group per problem. */
  async nextBatch(ctx: CurriculumContext): Promise<CurriculumBatch> {
    const omegas = this.schedule(ctx.step);
    const problems = Array.from({ length: ctx.batchSize }, () => ctx.sampleProblem(ctx.rng));
    const final: RolloutGroup[] = await ctx.generate(problems.map((problem) => ({ problem })), ctx.groupSize);
    const omegaUsed = problems.map(() => 0);
    let generated = final.reduce((t, g) => t + g.responses.length, 0);
    let pending = final.map((g, i) => (groupPassRate(g) === 0 ? i : -1)).filter((i) => i >= 0);
    const hinted = pending.length;
    for (const omega of omegas) {
      if (pending.length === 0) break;
      const reqs = pending.map((i) => ({
        problem: problems[i],
        hintLength: Math.round(omega * problems[i].solution.length),
      }));
      const groups = await ctx.generate(reqs, ctx.groupSize);
      groups.forEach((g, j) => {
        final[pending[j]] = g;
        omegaUsed[pending[j]] = omega;
        generated += g.responses.length;
      });
      pending = pending.filter((_, j) => groupPassRate(groups[j]) === 0);
    }
    problems.forEach((p, i) => this.state.hintRates[p.id] = omegaUsed[i]);
    const s = this.state;
    s.steps++;
    s.rolloutsGenerated += generated;
    s.hinted += hinted;
    s.unsolved += pending.length;
    s.problemsSeen += problems.length;
    const hintedOmegas = omegaUsed.filter((w) => w > 0);
    return {
      groups: final,
      rolloutsGenerated: generated,
      stats: {
        hintedFraction: hinted / Math.max(1, problems.length),
        unsolvedFraction: pending.length / Math.max(1, problems.length),
        meanOmega: hintedOmegas.reduce((a, b) => a + b, 0) / Math.max(1, hintedOmegas.length),
        meanHintRate: omegaUsed.reduce((a, b) => a + b, 0) / Math.max(1, problems.length),
        rolloutsTrained: final.reduce((t, g) => t + g.responses.length, 0),
        meanPassRate: final.reduce((t, g) => t + groupPassRate(g), 0) / Math.max(1, final.length),
      },
    };
  }
}

function checkSchedule(s: readonly number[]): void {
  if (!Array.isArray(s)) throw new ConfigError("omegaSchedule", "must be an array of fractions in (0, 1]", s);
  assertFiniteArray("omegaSchedule", s, { min: 0, max: 1, exclusiveMin: true });
}
