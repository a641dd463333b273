/**
 * SEELE hint scaffolding (arXiv 2509.06923): each problem gets a hint = prefix of its reference solution of
 * length round(p·|y|). Rollouts run in m rounds of n; after each round a 3PL curve is fitted to all (hint
 * rate, accuracy) pairs of the problem so far and the next hint rate is p = f⁻¹(a*) (target a* = 0.5, where
 * the expected improvement a(1 − a) peaks). The final estimate is carried to the problem's next visit.
 * n is the trainer's groupSize (`ctx.groupSize`), so a step generates batchSize × groupSize × rounds rollouts.
 * Returned groups hold all m·n rollouts of a problem (advantages over all of them) with per-rollout
 * `hintLengths`; the trainer masks hint tokens out of the RL loss (optionally adding an imitation term γ).
 */
import { assertFiniteNumber, assertInteger, ConfigError, resolveConfig } from "../core/validate.ts";
import type { Problem } from "../tasks/types.ts";
import { fit3PL, type Fit3PLOptions, type HintAccuracyPoint, inverse3PL } from "./irt.ts";
import { groupPassRate } from "./filter.ts";
import type { Curriculum, CurriculumBatch, CurriculumContext, RolloutGroup } from "./types.ts";

/** Options of `SeeleScaffold`. */
export interface SeeleOptions {
  /** Rollout rounds m per problem and step (default 4). */
  rounds: number;
  /**
   * Kept for older call sites: n is always the trainer's groupSize; when set (default null) it must equal
   * ctx.groupSize, otherwise `nextBatch` throws.
   */
  rolloutsPerRound: number | null;
  /** Target accuracy a* (default 0.5). */
  targetAccuracy: number;
  /** Hint rate of round 1 on a problem's first visit (default 0.5; later visits use the carried rate). */
  initialHintRate: number;
  /**
   * Largest hint rate: hints are capped at ⌊maxHintRate·|y|⌋ tokens (default 1, no cap). Set it below the
   * reasoning share of the solution so the answer tokens are always generated (`seeleHintLength`).
   */
  maxHintRate: number;
  /** Merge the m rounds into one group of m·n rollouts (default true, as in the paper); false = m groups. */
  mergeRounds: boolean;
  /** Options passed to `fit3PL` (default: anchors on, soft-L1 loss, weak slope prior k ≈ 8 with weight 0.01). */
  fit: Partial<Fit3PLOptions>;
}

/** Per-problem SEELE record: the carried hint rate and the last visit's rounds. */
export interface SeeleProblemState {
  /** Hint rate carried to the next visit (f⁻¹(a*) after the last round's fit). */
  hintRate: number;
  /** Visits so far. */
  visits: number;
  /** Last visit: realised hint rate and sampled accuracy per round. */
  lastRounds: { hintRate: number; hintLength: number; accuracy: number }[];
}

/** JSON-serializable SEELE state. */
export interface SeeleState {
  /** Steps taken. */
  steps: number;
  /** Rollouts generated (every round of every problem). */
  rolloutsGenerated: number;
  /** Carried hint rate and last rounds per problem id. */
  problems: Record<string, SeeleProblemState>;
}

const SEELE_DEFAULTS: SeeleOptions = {
  rounds: 4,
  rolloutsPerRound: null,
  targetAccuracy: 0.5,
  initialHintRate: 0.5,
  maxHintRate: 1,
  mergeRounds: true,
  fit: { kPrior: { center: 8, weight: 0.01 } },
};

/** Hint length l = min(round(p·|y|), ⌊p_max·|y|⌋) for hint rate p, cap p_max and reference solution y (SEELE). */
export function seeleHintLength(problem: Problem, hintRate: number, maxHintRate = 1): number {
  assertFiniteNumber("hintRate", hintRate, { min: 0, max: 1 });
  assertFiniteNumber("maxHintRate", maxHintRate, { min: 0, max: 1 });
  const n = problem.solution.length;
  return Math.min(Math.round(hintRate * n), Math.floor(maxHintRate * n + 1e-9));
}

/**
 * Next hint rate from a problem's (hint rate, accuracy) pairs: f⁻¹(a*) of the fitted 3PL curve (SEELE); if the
 * fit is unusable, bisect toward more hint (accuracy < a*) or less (≥ a*) from the last rate.
 */
export function seeleNextHintRate(
  points: readonly HintAccuracyPoint[],
  targetAccuracy = 0.5,
  fit: Partial<Fit3PLOptions> = {},
): number {
  const f = fit3PL(points, fit);
  const p = inverse3PL(targetAccuracy, f);
  if (Number.isFinite(p)) return p;
  const last = points[points.length - 1];
  return last.accuracy < targetAccuracy ? (last.p + 1) / 2 : last.p / 2;
}

/** SEELE scaffold (arXiv 2509.06923): m rounds × n rollouts per problem with 3PL-fitted hint rates aiming at a*. */
export class SeeleScaffold implements Curriculum {
  /** "seele". */
  readonly name = "seele";
  /** Resolved options. */
  readonly options: Readonly<SeeleOptions>;
  /** Per-problem hint rates and accounting. */
  state: SeeleState = { steps: 0, rolloutsGenerated: 0, problems: {} };

  /** Defaults: m = 4 rounds of n = groupSize, a* = 0.5, first-visit hint rate 0.5, merged groups. */
  constructor(options: Partial<SeeleOptions> = {}) {
    const c = resolveConfig("SeeleScaffold", SEELE_DEFAULTS, options);
    assertInteger("rounds", c.rounds, { min: 1 });
    if (c.rolloutsPerRound !== null) assertInteger("rolloutsPerRound", c.rolloutsPerRound, { min: 1 });
    assertFiniteNumber("targetAccuracy", c.targetAccuracy, {
      min: 0,
      max: 1,
      exclusiveMin: true,
      exclusiveMax: true,
    });
    assertFiniteNumber("initialHintRate", c.initialHintRate, { min: 0, max: 1 });
    assertFiniteNumber("maxHintRate", c.maxHintRate, { min: 0, max: 1 });
    this.options = Object.freeze(c);
  }

  /** Current hint rate of a problem id (the carried one, or `initialHintRate` if never visited). */
  hintRate(problemId: string): number {
    return this.state.problems[problemId]?.hintRate ?? this.options.initialHintRate;
  }

  /** Sample `batchSize` problems, run m rounds of n = groupSize rollouts with refitted hint rates, return the groups. */
  async nextBatch(ctx: CurriculumContext): Promise<CurriculumBatch> {
    const { rounds: m, targetAccuracy, rolloutsPerRound, maxHintRate } = this.options;
    const n = ctx.groupSize;
    if (rolloutsPerRound !== null && rolloutsPerRound !== n) {
      throw new ConfigError(
        "SeeleScaffold.rolloutsPerRound",
        `must be null or equal the trainer's groupSize (${n}): n = groupSize rollouts per round`,
        rolloutsPerRound,
      );
    }
    const problems = Array.from({ length: ctx.batchSize }, () => ctx.sampleProblem(ctx.rng));
    const rates = problems.map((p) => this.hintRate(p.id));
    const points: HintAccuracyPoint[][] = problems.map(() => []);
    const roundGroups: RolloutGroup[][] = problems.map(() => []);
    const roundAcc = new Array<number>(m).fill(0);
    const roundRate = new Array<number>(m).fill(0);
    let generated = 0;
    for (let r = 0; r < m; r++) {
      const hints = problems.map((p, i) => seeleHintLength(p, rates[i], maxHintRate));
      const groups = await ctx.generate(problems.map((problem, i) => ({ problem, hintLength: hints[i] })), n);
      groups.forEach((g, i) => {
        generated += g.responses.length;
        const acc = groupPassRate(g);
        const realised = hints[i] / problems[i].solution.length;
        points[i].push({ p: realised, accuracy: acc, count: g.responses.length });
        roundGroups[i].push(g);
        roundAcc[r] += acc / problems.length;
        roundRate[r] += realised / problems.length;
        // Refit after every round; after the last one the estimate is carried to the next visit.
        rates[i] = seeleNextHintRate(points[i], targetAccuracy, this.options.fit);
        // Degenerate round (all fail / all pass) whose refit rounds to the same hint length: move one token,
        // so short solutions cannot get stuck between two hint lengths.
        const len = problems[i].solution.length;
        if (seeleHintLength(problems[i], rates[i], maxHintRate) === hints[i]) {
          if (acc === 0 && hints[i] < len) rates[i] = (hints[i] + 1) / len;
          else if (acc === 1 && hints[i] > 0) rates[i] = (hints[i] - 1) / len;
        }
      });
    }
    problems.forEach((p, i) => {
      const prev = this.state.problems[p.id];
      this.state.problems[p.id] = {
        hintRate: rates[i],
        visits: (prev?.visits ?? 0) + 1,
        lastRounds: points[i].map((pt, r) => ({
          hintRate: pt.p,
          hintLength: roundGroups[i][r].hintLength,
          accuracy: pt.accuracy,
        })),
      };
    });
    this.state.steps++;
    this.state.rolloutsGenerated += generated;
    const out = this.options.mergeRounds ? roundGroups.map(mergeGroups) : roundGroups.flat();
    const stats: Record<string, number> = {
      meanHintRate: roundRate.reduce((a, b) => a + b, 0) / m,
      carriedHintRate: rates.reduce((a, b) => a + b, 0) / Math.max(1, rates.length),
      rolloutsTrained: generated,
    };
    roundAcc.forEach((a, r) => stats[`accuracyRound${r + 1}`] = a);
    roundRate.forEach((a, r) => stats[`hintRateRound${r + 1}`] = a);
    return { groups: out, rolloutsGenerated: generated, stats };
  }
}

/** One group from a problem's round groups: concatenated rollouts with per-rollout `hintLengths`. */
function mergeGroups(groups: RolloutGroup[]): RolloutGroup {
  const hintLengths = groups.flatMap((g) => g.responses.map((_, i) => g.hintLengths?.[i] ?? g.hintLength));
  return {
    problem: groups[0].problem,
    hintLength: Math.min(...hintLengths),
    hintLengths,
    responses: groups.flatMap((g) => g.responses),
    logProbs: groups.flatMap((g) => g.logProbs),
    rewards: groups.flatMap((g) => g.rewards),
    correct: groups.flatMap((g) => g.correct ?? g.rewards),
  };
}

/** Options of `FixedHintRate`. */
export interface FixedHintRateOptions {
  /** Hint rate p: every rollout gets the first round(p·|y|) reference tokens forced (default 0.5). */
  hintRate: number;
  /** Rollouts per problem (default: the trainer's `ctx.groupSize`). */
  groupSize: number | null;
}

/**
 * The fixed-ratio hint baseline of SEELE (arXiv 2509.06923): B problems × G rollouts per step, every rollout hinted
 * with the same rate p (hint length round(p·|y|), as `seeleHintLength`); p = 0 is plain GRPO sampling.
 */
export class FixedHintRate implements Curriculum {
  /** "fixed-hint-<p>". */
  readonly name: string;
  /** Resolved options. */
  readonly options: Readonly<FixedHintRateOptions>;
  /** Steps taken and rollouts generated. */
  state = { steps: 0, rolloutsGenerated: 0 };

  /** Defaults: p = 0.5, G = ctx.groupSize. */
  constructor(options: Partial<FixedHintRateOptions> = {}) {
    const c = resolveConfig("FixedHintRate", { hintRate: 0.5, groupSize: null }, options);
    assertFiniteNumber("FixedHintRate.hintRate", c.hintRate, { min: 0, max: 1 });
    if (c.groupSize !== null) assertInteger("FixedHintRate.groupSize", c.groupSize, { min: 1 });
    this.options = Object.freeze(c);
    this.name = `fixed-hint-${c.hintRate}`;
  }

  /** Draw B problems, roll each out G times with its fixed-rate hint. */
  async nextBatch(ctx: CurriculumContext): Promise<CurriculumBatch> {
    const requests = Array.from({ length: ctx.batchSize }, () => {
      const problem = ctx.sampleProblem(ctx.rng);
      return { problem, hintLength: seeleHintLength(problem, this.options.hintRate) };
    });
    const groups = await ctx.generate(requests, this.options.groupSize ?? ctx.groupSize);
    const n = groups.reduce((t, g) => t + g.responses.length, 0);
    const rate = requests.reduce((t, r) => t + r.hintLength / r.problem.solution.length, 0) / requests.length;
    this.state.steps++;
    this.state.rolloutsGenerated += n;
    return { groups, rolloutsGenerated: n, stats: { meanHintRate: rate } };
  }
}
