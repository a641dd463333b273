/**
 * Online Difficulty Filtering reproduction (Bae et al., arXiv 2504.03380) on FeatureChain with the shared
 * linear-softmax policy (reproductions/filtering_feature_chain.ts), so training on a pool of problems transfers to a
 * held-out pool of the same, *unfiltered* difficulty distribution, whose accuracy is computed exactly.
 *
 * Three arms with equal training batches (B groups × G rollouts per step, same steps, same learning rate, GRPO
 * advantages (r − mean)/std per group, batch-mean loss): plain GRPO (uniform batches, no filter), DAPO dynamic sampling
 * (`DynamicSampling`, keep 0 < p̂ < 1) and balanced filtering (`BalancedDifficultyFilter`, keep 0.2 ≤ p̂ ≤ 0.8).
 * Filters resample until the batch is full and count every rollout generated, discarded ones included.
 * Measured: held-out exact accuracy after every step; steps and rollouts the balanced arm needs to reach plain
 * GRPO's best held-out accuracy (as fractions of GRPO's training steps / rollouts); the correlation of each step's
 * held-out improvement with the batch mean of p̂(1 − p̂) over the trained groups (confounded by the training stage),
 * and a controlled probe of the same link: from fixed GRPO-arm snapshots, one-step updates on batches with a random
 * fraction of balanced-band groups. All arms share the task, the initial W and the random streams (common random
 * numbers until their batches diverge). Time ratios of runs that never reach GRPO's best count as NOT_REACHED_RATIO.
 */
import type { Rng } from "../lib/core/rng.ts";
import { assertFiniteNumber, assertInteger, ConfigError } from "../lib/core/validate.ts";
import { BalancedDifficultyFilter, DynamicSampling, groupPassRate } from "../lib/curricula/filter.ts";
import { UniformSampling } from "../lib/train/uniform.ts";
import type { Curriculum } from "../lib/curricula/types.ts";
import { grpoAdvantages } from "../lib/estimators/advantages.ts";
import type { RunLog } from "../lib/log/runlog.ts";
import type { Problem } from "../lib/tasks/types.ts";
import { pearsonCorrelation } from "../lib/stats/correlation.ts";
import {
  buildFeatureChain,
  checkFeatureChainSetup,
  featureChainGenerate,
  type FeatureChainSetup,
  LinearSoftmaxPolicy,
} from "./filtering_feature_chain.ts";
import {
  type BaseConfig,
  type ChartEntry,
  type ClaimRow,
  directionalClaim,
  logConfig,
  type Reproduction,
  type Row,
  type SeedContext,
  selectRows,
} from "./harness.ts";
import { bandChart, scatterChart } from "./charts.ts";

/** Online Difficulty Filtering reproduction config. */
export interface FilteringConfig extends BaseConfig, FeatureChainSetup {
  /** Groups per training batch B (equal in every arm). */
  batchSize: number;
  /** Rollouts per group G. */
  groupSize: number;
  /** Training steps per arm. */
  steps: number;
  /** Learning rate. */
  lr: number;
  /** Balanced filter band [T_low, T_high]. */
  low: number;
  high: number;
  /** Sampling rounds per step before a filter gives up with a partial batch. */
  maxRounds: number;
  /** Probe experiment: GRPO-arm snapshots at these fractions of training (0 = initial policy). */
  probeAt: number[];
  /** Probe experiment: one-step probe batches per snapshot. */
  probeBatches: number;
}

/** Arms: plain GRPO, DAPO dynamic sampling (0 < p̂ < 1), balanced filtering (T_low ≤ p̂ ≤ T_high). */
export const FILTERING_ARMS = ["grpo", "dapo", "balanced"] as const;
/** An arm of the filtering reproduction. */
export type FilteringArm = typeof FILTERING_ARMS[number];

/** Ratio recorded when the balanced arm never reaches GRPO's best within its budget (a censored run). */
export const NOT_REACHED_RATIO = 2;

const COMMON = {
  baseSeed: 250403380,
  dim: 8,
  options: 4,
  minLength: 1,
  maxLength: 8,
  initSignal: 1,
  initNoise: 0.5,
  trainProblems: 1024,
  heldoutProblems: 256,
  batchSize: 16,
  groupSize: 8,
  lr: 1,
  low: 0.2,
  high: 0.8,
  maxRounds: 16,
  probeAt: [0, 0.25, 0.5],
  probeBatches: 48,
};

function checkConfig(c: FilteringConfig): void {
  checkFeatureChainSetup("filtering", c);
  for (const k of ["batchSize", "steps"] as const) assertInteger(`filtering.${k}`, c[k], { min: 1 });
  assertInteger("filtering.groupSize", c.groupSize, { min: 2 });
  assertInteger("filtering.maxRounds", c.maxRounds, { min: 1 });
  assertFiniteNumber("filtering.lr", c.lr, { min: 0, exclusiveMin: true });
  assertFiniteNumber("filtering.low", c.low, { min: 0, max: 1 });
  assertFiniteNumber("filtering.high", c.high, { min: c.low, max: 1 });
  assertInteger("filtering.probeBatches", c.probeBatches, { min: 0 });
  if (!Array.isArray(c.probeAt) || c.probeAt.some((f) => !(f >= 0 && f < 1))) {
    throw new ConfigError("filtering.probeAt", "must be an array of fractions in [0, 1)", c.probeAt);
  }
}

function makeCurriculum(arm: FilteringArm, c: FilteringConfig): Curriculum {
  if (arm === "grpo") return new UniformSampling();
  if (arm === "dapo") return new DynamicSampling({ maxRounds: c.maxRounds });
  return new BalancedDifficultyFilter({ low: c.low, high: c.high, maxRounds: c.maxRounds });
}

/**
 * Probe (a controlled version of the correlation): from one policy snapshot, many one-step updates on batches whose
 * composition varies — a fraction λ ~ U(0, 1) of the B groups is drawn from the balanced band [T_low, T_high]
 * (rejection sampling), the rest unfiltered — and the exact held-out improvement of each. Same state for every
 * batch, so training-stage confounds are absent.
 */
async function probeSnapshot(
  c: FilteringConfig,
  snapshot: LinearSoftmaxPolicy,
  train: readonly Problem[],
  heldout: readonly Problem[],
  rng: Rng,
): Promise<Row[]> {
  const base = snapshot.meanSuccess(heldout);
  const generate = featureChainGenerate(snapshot, rng.split(0));
  const r = rng.split(1);
  const rows: Row[] = [];
  for (let b = 0; b < c.probeBatches; b++) {
    const lambda = r.uniform();
    const nBalanced = Math.round(lambda * c.batchSize);
    const groups = await generate(
      Array.from({ length: c.batchSize - nBalanced }, () => ({ problem: train[r.int(train.length)] })),
      c.groupSize,
    );
    for (let tries = 0, got = 0; got < nBalanced && tries < c.maxRounds * c.batchSize; tries++) {
      const [g] = await generate([{ problem: train[r.int(train.length)] }], c.groupSize);
      const p = groupPassRate(g);
      if (p >= c.low - 1e-12 && p <= c.high + 1e-12) {
        groups.push(g);
        got++;
      }
    }
    const policy = snapshot.clone();
    policy.update(groups, groups.map((g) => grpoAdvantages(g.rewards, g.rewards.length)), c.lr);
    let pvar = 0;
    for (const g of groups) {
      const p = groupPassRate(g);
      pvar += p * (1 - p);
    }
    rows.push({ lambda, pvar: pvar / groups.length, delta: policy.meanSuccess(heldout) - base });
  }
  return rows;
}

/** Train one arm; rows: one "curve" row per step (held-out accuracy, cumulative rollouts, batch p̂(1 − p̂)). */
async function trainArm(c: FilteringConfig, arm: FilteringArm, rng: Rng, taskSeed: number): Promise<Row[]> {
  const { train, heldout, policy } = buildFeatureChain(c, taskSeed);
  const curriculum = makeCurriculum(arm, c);
  const sampleRng = rng.split(0); // same streams in every arm (common random numbers until the arms diverge)
  const generate = featureChainGenerate(policy, rng.split(1));
  let acc = policy.meanSuccess(heldout);
  let rollouts = 0;
  const rows: Row[] = [{ kind: "curve", arm, step: 0, acc, rollouts: 0, pvar: 0, delta: 0, fill: 1 }];
  const probeSteps = arm === "grpo" ? c.probeAt.map((f) => Math.round(f * c.steps)) : [];
  for (let t = 0; t < c.steps; t++) {
    const pi = probeSteps.indexOf(t);
    if (pi >= 0) {
      const probe = await probeSnapshot(c, policy.clone(), train, heldout, rng.split(100 + pi));
      for (const r of probe) rows.push({ kind: "probe", arm, step: t, snapshot: c.probeAt[pi], ...r });
    }
    const batch = await curriculum.nextBatch({
      step: t,
      rng: sampleRng,
      batchSize: c.batchSize,
      groupSize: c.groupSize,
      sampleProblem: (r) => train[r.int(train.length)],
      generate,
    });
    rollouts += batch.rolloutsGenerated;
    const adv = batch.groups.map((g) => grpoAdvantages(g.rewards, g.rewards.length));
    let pvar = 0;
    for (const g of batch.groups) {
      const p = groupPassRate(g);
      pvar += p * (1 - p);
    }
    pvar /= Math.max(1, batch.groups.length);
    policy.update(batch.groups, adv, c.lr);
    const next = policy.meanSuccess(heldout);
    rows.push({
      kind: "curve",
      arm,
      step: t + 1,
      acc: next,
      rollouts,
      pvar,
      delta: next - acc,
      fill: batch.groups.length / c.batchSize,
    });
    acc = next;
  }
  return rows;
}

async function runSeed(c: FilteringConfig, ctx: SeedContext): Promise<Row[]> {
  const taskSeed = ctx.rng.split(0).seed;
  const rows: Row[] = [];
  for (const arm of FILTERING_ARMS) {
    rows.push(...await trainArm(c, arm, ctx.rng.split(1), taskSeed));
    ctx.tick(1, { [arm]: Number(rows[rows.length - 1].acc) });
  }
  return rows;
}

/** Per-seed summary of a filtering run: final/best accuracies, time-to-GRPO's-best ratios, correlation. */
export interface FilteringSeedSummary {
  seed: number;
  final: Record<FilteringArm, number>;
  grpoBest: number;
  /** First step at which the balanced arm's held-out accuracy ≥ GRPO's best, / GRPO's steps (NOT_REACHED_RATIO if never). */
  stepsRatio: number;
  /** Rollouts the balanced arm generated up to that step / GRPO's total rollouts (NOT_REACHED_RATIO if never). */
  rolloutsRatio: number;
  /** Same two ratios for DAPO. */
  dapoStepsRatio: number;
  dapoRolloutsRatio: number;
  /** Pearson correlation of per-step held-out improvement with batch-mean p̂(1 − p̂), all arms pooled. */
  correlation: number;
}

function reachRatios(curve: Row[], best: number, T: number, grpoRollouts: number): [number, number] {
  const hit = curve.find((r) => Number(r.step) > 0 && Number(r.acc) >= best);
  if (!hit) return [NOT_REACHED_RATIO, NOT_REACHED_RATIO];
  return [Number(hit.step) / T, Number(hit.rollouts) / grpoRollouts];
}

/** Per-seed summaries of a filtering run log. */
export function filteringSummaries(log: RunLog): FilteringSeedSummary[] {
  const c = logConfig<FilteringConfig>(log);
  const curves = selectRows(log, { kind: "curve" });
  const out: FilteringSeedSummary[] = [];
  for (let s = 0; s < c.seeds; s++) {
    const bySeed = curves.filter((r) => r.seed === s);
    if (bySeed.length === 0) continue;
    const arm = (a: FilteringArm) =>
      bySeed.filter((r) => r.arm === a).sort((x, y) => Number(x.step) - Number(y.step));
    const g = arm("grpo"), d = arm("dapo"), b = arm("balanced");
    const T = Number(g[g.length - 1].step);
    const grpoRollouts = Number(g[g.length - 1].rollouts);
    const grpoBest = Math.max(...g.filter((r) => Number(r.step) > 0).map((r) => Number(r.acc)));
    const [stepsRatio, rolloutsRatio] = reachRatios(b, grpoBest, T, grpoRollouts);
    const [dapoStepsRatio, dapoRolloutsRatio] = reachRatios(d, grpoBest, T, grpoRollouts);
    const steps = bySeed.filter((r) => Number(r.step) > 0);
    out.push({
      seed: s,
      final: {
        grpo: Number(g[g.length - 1].acc),
        dapo: Number(d[d.length - 1].acc),
        balanced: Number(b[b.length - 1].acc),
      },
      grpoBest,
      stepsRatio,
      rolloutsRatio,
      dapoStepsRatio,
      dapoRolloutsRatio,
      correlation: pearsonCorrelation(steps.map((r) => Number(r.pvar)), steps.map((r) => Number(r.delta))),
    });
  }
  return out;
}

/** snapshots × seeds matrix of the probe correlation r(p̂(1 − p̂), one-step improvement). */
export function probeCorrelations(log: RunLog): number[][] {
  const c = logConfig<FilteringConfig>(log);
  const probe = selectRows(log, { kind: "probe" });
  return c.probeAt.map((f) => {
    const out: number[] = [];
    for (let s = 0; s < c.seeds; s++) {
      const rs = probe.filter((r) => r.seed === s && r.snapshot === f);
      if (rs.length >= 3) {
        out.push(pearsonCorrelation(rs.map((r) => Number(r.pvar)), rs.map((r) => Number(r.delta))));
      }
    }
    return out;
  }).filter((r) => r.length > 0);
}

/** Claims table of a filtering run (rules fixed in code before any run). */
export function checkFilteringClaims(log: RunLog): ClaimRow[] {
  const c = logConfig<FilteringConfig>(log);
  const S = filteringSummaries(log);
  const col = (f: (s: FilteringSeedSummary) => number) => [S.map(f)];
  const band = `[${c.low}, ${c.high}]`;
  const ratioRule = (what: string) =>
    `per seed: ${what} the balanced arm needs until its held-out accuracy first reaches plain GRPO's best ` +
    `(max over GRPO's ${c.steps} steps), divided by GRPO's total ${what}; a run that never reaches it counts as ` +
    `${NOT_REACHED_RATIO}; IQM over seeds`;
  return [
    directionalClaim(
      `Balanced filtering ${band} reaches a higher held-out (unfiltered) exact accuracy than plain GRPO after the ` +
        `same ${c.steps} steps (equal training batch ${c.batchSize}×${c.groupSize})`,
      "+4% average, +10% AIME over plain GRPO",
      col((s) => s.final.balanced - s.final.grpo),
      "greater",
      { statistic: "per seed final held-out accuracy, balanced − GRPO, IQM", seed: 21 },
    ),
    directionalClaim(
      "Balanced filtering exceeds plain GRPO's best held-out accuracy within 60% of GRPO's training time — time " +
        "measured in training STEPS",
      "beats GRPO's best within 60% of the training time",
      col((s) => s.stepsRatio),
      "less",
      { threshold: 0.6, statistic: ratioRule("steps"), seed: 22 },
    ),
    directionalClaim(
      "…the same with time measured in ROLLOUTS GENERATED (discarded groups included)",
      "beats GRPO's best within 60% of the training time",
      col((s) => s.rolloutsRatio),
      "less",
      { threshold: 0.6, statistic: ratioRule("rollouts generated"), seed: 23 },
    ),
    directionalClaim(
      "Balanced filtering beats DAPO's dynamic sampling (0 < p̂ < 1) in final held-out accuracy (same steps)",
      "— (an added comparator; the paper's baseline is plain GRPO)",
      col((s) => s.final.balanced - s.final.dapo),
      "greater",
      { statistic: "per seed final held-out accuracy, balanced − DAPO, IQM", seed: 24 },
    ),
    directionalClaim(
      "Controlled probe: from the same policy snapshot, the one-step held-out improvement correlates positively " +
        "with the batch mean of p̂(1 − p̂) (batches mixing a random fraction of balanced-band groups)",
      "improvement lower-bounded via p(1 − p)",
      probeCorrelations(log),
      "greater",
      {
        statistic:
          `per (snapshot, seed) Pearson r over ${c.probeBatches} probe batches; strata = snapshots at ` +
          `${c.probeAt.join(", ")} of GRPO's training; IQM`,
        seed: 26,
      },
    ),
    directionalClaim(
      "During training, per-step held-out improvement correlates positively with the batch mean of p̂(1 − p̂)",
      "improvement lower-bounded via p(1 − p)",
      col((s) => s.correlation),
      "greater",
      {
        statistic:
          "per seed Pearson r between step improvement and batch-mean p̂(1 − p̂), all arms' steps pooled, IQM",
        seed: 25,
      },
    ),
  ];
}

/** Charts: held-out learning curves vs steps and vs rollouts, and the improvement vs p̂(1 − p̂) scatter. */
export function filteringCharts(log: RunLog): ChartEntry[] {
  const c = logConfig<FilteringConfig>(log);
  const curves = selectRows(log, { kind: "curve" });
  const every = Math.max(1, Math.round(c.steps / 40));
  const thin = curves.filter((r) => Number(r.step) % every === 0);
  // Rollout axis: bin cumulative rollouts so seeds align.
  const maxRoll = Math.max(...curves.map((r) => Number(r.rollouts)));
  const bin = Math.max(1, Math.ceil(maxRoll / 40 / (c.batchSize * c.groupSize)) * c.batchSize * c.groupSize);
  const byRoll = new Map<string, Row>();
  for (const r of curves) {
    const x = Math.round(Number(r.rollouts) / bin) * bin;
    byRoll.set(`${r.seed}|${r.arm}|${x}`, { ...r, rolloutBin: x });
  }
  // Scatter: per arm and seed, mean improvement within deciles of training.
  const chunks = 10;
  const scatter: Row[] = [];
  for (const arm of FILTERING_ARMS) {
    for (let s = 0; s < c.seeds; s++) {
      const rs = curves.filter((r) => r.arm === arm && r.seed === s && Number(r.step) > 0);
      for (let k = 0; k < chunks; k++) {
        const part = rs.slice(
          Math.floor((k * rs.length) / chunks),
          Math.floor(((k + 1) * rs.length) / chunks),
        );
        if (!part.length) continue;
        const mean = (f: string) => part.reduce((t, r) => t + Number(r[f]), 0) / part.length;
        scatter.push({ arm, seed: s, pvar: mean("pvar"), delta: mean("delta") });
      }
    }
  }
  const probe = selectRows(log, { kind: "probe" }).map((r) => ({
    ...r,
    snapshot: `${r.snapshot} of training`,
  }));
  return [
    {
      name: "heldout_vs_steps",
      chart: bandChart(thin, { x: "step", y: "acc", series: "arm" }, {
        title: "Held-out (unfiltered) exact accuracy vs training steps (mean ± 95% CI over seeds)",
        xTitle: "training step",
        yTitle: "held-out accuracy",
      }),
    },
    {
      name: "heldout_vs_rollouts",
      chart: bandChart([...byRoll.values()], { x: "rolloutBin", y: "acc", series: "arm" }, {
        title: "Held-out exact accuracy vs rollouts generated (discarded included)",
        xTitle: "rollouts generated",
        yTitle: "held-out accuracy",
      }),
    },
    {
      name: "improvement_vs_pvar",
      chart: scatterChart(scatter, { x: "pvar", y: "delta", series: "arm" }, {
        title:
          "Training: per-step held-out improvement vs batch mean p̂(1 − p̂) (means over tenths of training)",
        xTitle: "batch mean p̂(1 − p̂)",
        yTitle: "held-out improvement per step",
      }),
    },
    {
      name: "probe_improvement_vs_pvar",
      chart: scatterChart(probe, { x: "pvar", y: "delta", series: "snapshot", facet: "snapshot" }, {
        title:
          "Probe: one-step held-out improvement vs batch mean p̂(1 − p̂) from the same snapshot (all seeds)",
        xTitle: "batch mean p̂(1 − p̂)",
        yTitle: "held-out improvement",
      }),
    },
  ];
}

/** The Online Difficulty Filtering reproduction (arXiv 2504.03380) on FeatureChain. */
export const filtering: Reproduction<FilteringConfig> = {
  name: "filtering",
  title: "Online Difficulty Filtering: balanced p̂ ∈ [0.2, 0.8] vs DAPO vs plain GRPO",
  paper: "2504.03380",
  presets: {
    smoke: {
      ...COMMON,
      seeds: 2,
      steps: 20,
      trainProblems: 256,
      heldoutProblems: 64,
      probeAt: [0, 0.5],
      probeBatches: 12,
    },
    quick: { ...COMMON, seeds: 10, steps: 300 },
    full: { ...COMMON, seeds: 20, steps: 800, trainProblems: 4096, heldoutProblems: 1024, probeBatches: 128 },
  },
  validate: checkConfig,
  unitsPerSeed: () => FILTERING_ARMS.length,
  runSeed: (config, ctx) => runSeed(config, ctx),
  checkClaims: checkFilteringClaims,
  charts: filteringCharts,
};
