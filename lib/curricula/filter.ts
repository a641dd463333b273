/**
 * Filtering curricula: Online Difficulty Filtering (Bae et al., arXiv 2504.03380) and DAPO dynamic sampling
 * (arXiv 2503.14476); plain GRPO sampling is `UniformSampling` in lib/train. Filters roll out prompts, keep the
 * groups whose pass rate passes a test, and keep sampling until the batch is full — counting rollouts
 * generated separately from rollouts trained on. `maxRounds` is only a safety cap: a step that reaches it trains
 * on a partial batch, and every step logs its `fillFraction` (kept groups / B) and `rounds`.
 */
import { assertFiniteNumber, assertInteger, ConfigError, resolveConfig } from "../core/validate.ts";
import type { Curriculum, CurriculumBatch, CurriculumContext, RolloutGroup } from "./types.ts";

/** Pass rate p̂ of a group: mean of `correct` (verifier output), or of `rewards` when `correct` is absent. */
export function groupPassRate(group: RolloutGroup): number {
  const xs = group.correct ?? group.rewards;
  if (xs.length === 0) throw new ConfigError("group.rewards", "must be non-empty", xs);
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/** Options shared by the filtering curricula. */
export interface FilterOptions {
  /** Rollouts per prompt G (default: the trainer's `ctx.groupSize`). */
  groupSize: number | null;
  /** Sampling rounds per step before giving up with a partial batch (default 16). */
  maxRounds: number;
  /** Prompts requested per round = ⌈oversample × slots still empty⌉ (default 1; extras that pass are dropped). */
  oversample: number;
}

/** State of a filtering curriculum (JSON-serializable). */
export interface FilterState {
  /** Steps taken. */
  steps: number;
  /** Rollouts generated, discarded groups included. */
  rolloutsGenerated: number;
  /** Rollouts in the groups that reached the optimizer. */
  rolloutsTrained: number;
  /** Groups rolled out and tested against the band. */
  groupsConsidered: number;
  /** Groups kept (p̂ inside the band). */
  groupsPassed: number;
  /** Steps that ended with a partially filled batch (maxRounds reached). */
  partialSteps: number;
  /** Last observed pass rate p̂ per problem id. */
  passRates: Record<string, number>;
}

/** Base of the filters: keep groups whose p̂ satisfies `keep`, resample until the batch is full. */
export abstract class PassRateFilter implements Curriculum {
  abstract readonly name: string;
  /** Cumulative accounting and per-problem pass rates. */
  state: FilterState = {
    steps: 0,
    rolloutsGenerated: 0,
    rolloutsTrained: 0,
    groupsConsidered: 0,
    groupsPassed: 0,
    partialSteps: 0,
    passRates: {},
  };
  /** The filter's sampling options (group size override, rounds, oversampling). */
  protected readonly filter: FilterOptions;

  /** Validate and keep the sampling options. */
  protected constructor(filter: FilterOptions) {
    if (filter.groupSize !== null) assertInteger("groupSize", filter.groupSize, { min: 1 });
    assertInteger("maxRounds", filter.maxRounds, { min: 1 });
    assertFiniteNumber("oversample", filter.oversample, { min: 1 });
    this.filter = filter;
  }

  /** Whether a group with pass rate p̂ (out of G rollouts) is trained on. */
  abstract keep(passRate: number, groupSize: number): boolean;

  /** Sample, roll out, filter; repeat until `batchSize` groups pass or `maxRounds` rounds are spent. */
  async nextBatch(ctx: CurriculumContext): Promise<CurriculumBatch> {
    const G = this.filter.groupSize ?? ctx.groupSize;
    const B = ctx.batchSize;
    const kept: RolloutGroup[] = [];
    let generated = 0, considered = 0, passed = 0, rounds = 0, sumPass = 0;
    while (kept.length < B && rounds < this.filter.maxRounds) {
      const n = Math.ceil((B - kept.length) * this.filter.oversample);
      const reqs = Array.from({ length: n }, () => ({ problem: ctx.sampleProblem(ctx.rng) }));
      const groups = await ctx.generate(reqs, G);
      rounds++;
      for (const g of groups) {
        generated += g.responses.length;
        const p = groupPassRate(g);
        this.state.passRates[g.problem.id] = p;
        considered++;
        sumPass += p;
        if (this.keep(p, g.responses.length)) {
          passed++;
          if (kept.length < B) kept.push(g);
        }
      }
    }
    const trained = kept.reduce((t, g) => t + g.responses.length, 0);
    const partial = kept.length < B;
    const s = this.state;
    s.steps++;
    s.rolloutsGenerated += generated;
    s.rolloutsTrained += trained;
    s.groupsConsidered += considered;
    s.groupsPassed += passed;
    if (partial) s.partialSteps++;
    return {
      groups: kept,
      rolloutsGenerated: generated,
      stats: {
        keptFraction: passed / Math.max(1, considered),
        fillFraction: kept.length / B,
        partial: partial ? 1 : 0,
        rounds,
        groupsConsidered: considered,
        rolloutsTrained: trained,
        meanPassRate: sumPass / Math.max(1, considered),
      },
    };
  }
}

/** Options of `BalancedDifficultyFilter`. */
export interface BalancedFilterOptions extends FilterOptions {
  /** T_low: lower edge of the kept band (default 0.2). */
  low: number;
  /** T_high: upper edge of the kept band (default 0.8). */
  high: number;
  /**
   * Whether the edges are kept: true (default) keeps T_low ≤ p̂ ≤ T_high, false keeps T_low < p̂ < T_high. With
   * p̂ = j/G the band keeps the counts j of `keptCounts(G)`: inclusive [0.2, 0.8] keeps j = 2…6 at G = 8 (1/8 and
   * 7/8 fall outside) and j = 4…12 at G = 16 (3/16 = 0.1875 < 0.2).
   */
  inclusive: boolean;
}

const BALANCED_DEFAULTS: BalancedFilterOptions = {
  low: 0.2,
  high: 0.8,
  inclusive: true,
  groupSize: null,
  maxRounds: 16,
  oversample: 1,
};

/** Online Difficulty Filtering (Bae et al., arXiv 2504.03380): train only on prompts with T_low ≤ p̂ ≤ T_high. */
export class BalancedDifficultyFilter extends PassRateFilter {
  /** "balanced-difficulty-filter". */
  readonly name = "balanced-difficulty-filter";
  /** Resolved options. */
  readonly options: Readonly<BalancedFilterOptions>;

  /** Defaults: inclusive band [low, high] = [0.2, 0.8], G = ctx.groupSize, maxRounds 16, oversample 1. */
  constructor(options: Partial<BalancedFilterOptions> = {}) {
    const c = resolveConfig("BalancedDifficultyFilter", BALANCED_DEFAULTS, options);
    assertFiniteNumber("low", c.low, { min: 0, max: 1 });
    assertFiniteNumber("high", c.high, { min: c.low, max: 1 });
    if (typeof c.inclusive !== "boolean") {
      throw new ConfigError(
        "inclusive",
        "must be true (T_low ≤ p̂ ≤ T_high) or false (T_low < p̂ < T_high)",
        c.inclusive,
      );
    }
    super({ groupSize: c.groupSize, maxRounds: c.maxRounds, oversample: c.oversample });
    this.options = Object.freeze(c);
  }

  /** T_low ≤ p̂ ≤ T_high when inclusive, else T_low < p̂ < T_high (a 1e-12 tolerance for p̂ = j/G). */
  keep(passRate: number): boolean {
    const { low, high, inclusive } = this.options;
    return inclusive
      ? passRate >= low - 1e-12 && passRate <= high + 1e-12
      : passRate > low + 1e-12 && passRate < high - 1e-12;
  }

  /** The correct counts j ∈ {0…G} whose group (p̂ = j/G) the band keeps. */
  keptCounts(groupSize: number): number[] {
    assertInteger("groupSize", groupSize, { min: 1 });
    return Array.from({ length: groupSize + 1 }, (_, j) => j).filter((j) => this.keep(j / groupSize));
  }
}

const DYNAMIC_DEFAULTS: FilterOptions = { groupSize: null, maxRounds: 16, oversample: 1 };

/** DAPO dynamic sampling (arXiv 2503.14476): drop groups with p̂ ∈ {0, 1} (zero advantage) and resample. */
export class DynamicSampling extends PassRateFilter {
  /** "dynamic-sampling". */
  readonly name = "dynamic-sampling";

  /** Defaults: G = ctx.groupSize, maxRounds 16, oversample 1. */
  constructor(options: Partial<FilterOptions> = {}) {
    super(resolveConfig("DynamicSampling", DYNAMIC_DEFAULTS, options));
  }

  /** 0 < p̂ < 1. */
  keep(passRate: number): boolean {
    return passRate > 1e-12 && passRate < 1 - 1e-12;
  }
}

/** Options of `BandMixture`. */
export interface BandMixtureOptions {
  /** Lower edge of the band of the filtered groups (default 0.2, as `BalancedDifficultyFilter`). */
  low: number;
  /** Upper edge of the band (default 0.8). */
  high: number;
  /** Fraction λ of band groups; null = λ ~ U(0, 1) drawn per batch from ctx.rng (default null). */
  fraction: number | null;
  /** Band draws give up after maxRounds × B single-problem rollouts (default 16). */
  maxRounds: number;
}

/**
 * A probe of Online Difficulty Filtering's p̂(1 − p̂) argument (arXiv 2504.03380): a batch of B groups of which
 * round(λB) are drawn from the band [low, high] (one problem at a time, rejecting groups outside it) and the rest
 * unfiltered, so batches from one policy differ only in how balanced they are. Stats: λ and the band groups found.
 */
export class BandMixture implements Curriculum {
  /** "band-mixture". */
  readonly name = "band-mixture";
  /** Resolved options. */
  readonly options: Readonly<BandMixtureOptions>;
  /** Steps taken and rollouts generated. */
  state = { steps: 0, rolloutsGenerated: 0 };

  /** Defaults: band [0.2, 0.8], λ ~ U(0, 1), maxRounds 16. */
  constructor(options: Partial<BandMixtureOptions> = {}) {
    const c = resolveConfig("BandMixture", { low: 0.2, high: 0.8, fraction: null, maxRounds: 16 }, options);
    assertFiniteNumber("BandMixture.low", c.low, { min: 0, max: 1 });
    assertFiniteNumber("BandMixture.high", c.high, { min: c.low, max: 1 });
    if (c.fraction !== null) assertFiniteNumber("BandMixture.fraction", c.fraction, { min: 0, max: 1 });
    assertInteger("BandMixture.maxRounds", c.maxRounds, { min: 1 });
    this.options = Object.freeze(c);
  }

  /** B − round(λB) unfiltered groups, then band groups by rejection until round(λB) are found or the tries run out. */
  async nextBatch(ctx: CurriculumContext): Promise<CurriculumBatch> {
    const { low, high, maxRounds } = this.options;
    const B = ctx.batchSize, G = ctx.groupSize;
    const lambda = this.options.fraction ?? ctx.rng.uniform();
    const nBand = Math.round(lambda * B);
    const groups = await ctx.generate(
      Array.from({ length: B - nBand }, () => ({ problem: ctx.sampleProblem(ctx.rng) })),
      G,
    );
    let generated = groups.reduce((t, g) => t + g.responses.length, 0), found = 0;
    for (let tries = 0; found < nBand && tries < maxRounds * B; tries++) {
      const [g] = await ctx.generate([{ problem: ctx.sampleProblem(ctx.rng) }], G);
      generated += g.responses.length;
      const p = groupPassRate(g);
      if (p >= low - 1e-12 && p <= high + 1e-12) {
        groups.push(g);
        found++;
      }
    }
    this.state.steps++;
    this.state.rolloutsGenerated += generated;
    return { groups, rolloutsGenerated: generated, stats: { bandFraction: lambda, bandGroups: found } };
  }
}
