/**
 * Online Difficulty Filtering reproduction (Bae et al., arXiv 2504.03380) on FeatureChain with the shared
 * linear-softmax policy (lib/tasks/feature_chain.ts, lib/policies/linear_softmax.ts): training on a pool of problems
 * transfers to a held-out pool of the same, *unfiltered* difficulty distribution, whose accuracy is computed exactly.
 *
 * Three arms, each an `RLVRTrainer` with equal training batches (B groups × G rollouts per step, same steps, same
 * Adam learning rate, GRPO advantages (r − mean)/std per group, seq-mean-token-sum-norm loss ∝ the batch mean of
 * Σ_t A·log π): plain GRPO (`UniformSampling`), DAPO dynamic sampling (`DynamicSampling`, keep 0 < p̂ < 1) and
 * balanced filtering (`BalancedDifficultyFilter`, keep 0.2 ≤ p̂ ≤ 0.8). Filters resample until the batch is full
 * and count every rollout generated, discarded ones included. Measured: held-out exact accuracy after every step;
 * steps and rollouts the balanced arm needs to reach plain GRPO's best held-out accuracy (as fractions of GRPO's
 * steps / rollouts); the correlation of each step's held-out improvement with the batch mean of p̂(1 − p̂)
 * (confounded by the training stage), and a controlled probe of the same link: from fixed GRPO-arm snapshots,
 * one-step updates (a fresh trainer per probe) on `BandMixture` batches with a random fraction of balanced-band
 * groups. All arms share the task, the initial W and the trainer seed (common random numbers until their batches
 * diverge). Time ratios of runs that never reach GRPO's best count as NOT_REACHED_RATIO.
 *
 * Changes made after runs are recorded as amendments in preregistration.ts and in docs/history.md.
 */
import {
  assertFiniteNumber,
  assertInteger,
  BalancedDifficultyFilter,
  BandMixture,
  baselineRolloutBudgets,
  buildFeatureChain,
  checkFeatureChainSetup,
  ConfigError,
  type Curriculum,
  DynamicSampling,
  type FeatureChain,
  type LinearSoftmaxPolicy,
  lmBaselinePrecondition,
  lmStartPrecondition,
  lmStartSuccess,
  lmTunedPrecondition,
  type Problem,
  type Reproduction,
  RLVRTrainer,
  type Row,
  runLmTier,
  runsTier,
  type SeedContext,
  type TrainerConfig,
  UniformSampling,
  validateLmTier,
} from "../../mod.ts";
import {
  FILTERING_ARMS,
  FILTERING_PRESETS,
  FILTERING_SEED_SECONDS,
  type FilteringArm,
  type FilteringConfig,
} from "./config.ts";

export * from "./config.ts";
import { filteringCharts } from "./charts.ts";
import {
  FILTERING_LM_DEGENERATE_SHARE,
  FILTERING_LM_PRE2_QUANTITY,
  FILTERING_LM_PREREGISTRATION,
} from "./preregistration.ts";
import { checkFilteringClaims } from "./claims.ts";

/** The arm's curriculum: plain GRPO sampling, DAPO dynamic sampling or the balanced filter. */
export function filteringCurriculum(arm: FilteringArm, c: FilteringConfig): Curriculum {
  if (arm === "grpo") return new UniformSampling();
  if (arm === "dapo") return new DynamicSampling({ maxRounds: c.maxRounds });
  return new BalancedDifficultyFilter({ low: c.low, high: c.high, maxRounds: c.maxRounds });
}

/** The trainer config every arm shares: GRPO advantages, loss ∝ batch mean of Σ_t A·log π, Adam, no clipping. */
export function filteringTrainerConfig(c: FilteringConfig, seed: number): Partial<TrainerConfig> {
  return {
    seed,
    batchSize: c.batchSize,
    groupSize: c.groupSize,
    lr: c.lr,
    estimator: "grpo",
    aggregation: "seq-mean-token-sum-norm",
    maxGradNorm: null,
  };
}

/** Probe: from one snapshot, `probeBatches` one-step updates on `BandMixture` batches; rows {lambda, pvar, delta}. */
async function probe(
  c: FilteringConfig,
  task: FeatureChain,
  snapshot: LinearSoftmaxPolicy,
  heldout: readonly Problem[],
  sampleOptions: { pool: string; size: number; start: number },
  seed: number,
): Promise<Row[]> {
  const base = snapshot.meanSuccess(heldout);
  const rows: Row[] = [];
  for (let b = 0; b < c.probeBatches; b++) {
    const policy = snapshot.cloneSync();
    const trainer = new RLVRTrainer({
      policy,
      task,
      sampleOptions,
      curriculum: new BandMixture({ low: c.low, high: c.high, maxRounds: c.maxRounds }),
      config: filteringTrainerConfig(c, seed + b),
    });
    const row = await trainer.trainStep();
    rows.push({
      lambda: Number(row["curriculum.bandFraction"]),
      pvar: Number(row.passRateVariance ?? 0),
      delta: policy.meanSuccess(heldout) - base,
    });
    trainer.dispose();
    policy.dispose();
  }
  return rows;
}

/** Train one arm; one "curve" row per step (exact held-out accuracy, cumulative rollouts, batch p̂(1 − p̂)). */
async function trainArm(
  c: FilteringConfig,
  arm: FilteringArm,
  seed: number,
  taskSeed: number,
): Promise<Row[]> {
  const { task, heldout, trainOptions, policy } = buildFeatureChain(c, taskSeed);
  const trainer = new RLVRTrainer({
    policy,
    task,
    sampleOptions: trainOptions,
    curriculum: filteringCurriculum(arm, c),
    config: { ...filteringTrainerConfig(c, seed), logPrompts: c.promptLog },
  });
  let acc = policy.meanSuccess(heldout);
  const rows: Row[] = [{ kind: "curve", arm, step: 0, acc, rollouts: 0, pvar: 0, delta: 0, fill: 1 }];
  const probeSteps = arm === "grpo" ? c.probeAt.map((f) => Math.round(f * c.steps)) : [];
  for (let t = 0; t < c.steps; t++) {
    const pi = probeSteps.indexOf(t);
    if (pi >= 0) {
      const probeRows = await probe(c, task, policy, heldout, trainOptions, seed + 1000 * (pi + 1));
      for (const r of probeRows) rows.push({ kind: "probe", arm, step: t, snapshot: c.probeAt[pi], ...r });
    }
    const row = await trainer.trainStep();
    const next = policy.meanSuccess(heldout);
    rows.push({
      kind: "curve",
      arm,
      step: t + 1,
      acc: next,
      rollouts: Number(row.rolloutsTotal),
      pvar: Number(row.passRateVariance ?? 0),
      delta: next - acc,
      fill: Number(row.groups) / c.batchSize,
    });
    acc = next;
  }
  for (const p of trainer.promptLog.rows) rows.push({ kind: "prompt", arm, ...p } as Row);
  trainer.dispose();
  policy.dispose();
  return rows;
}

/** Fresh training problems per seed on which the start precondition is measured exactly. */
const START_PROBLEMS = 64;

async function runSeed(c: FilteringConfig, ctx: SeedContext): Promise<Row[]> {
  const taskSeed = ctx.rng.split(0).seed;
  const trainerSeed = ctx.rng.split(1).seed; // the same in every arm (common random numbers)
  const rows: Row[] = [];
  for (const arm of runsTier(c, "exact") ? FILTERING_ARMS : []) {
    rows.push(...await trainArm(c, arm, trainerSeed, taskSeed));
    ctx.tick(1, { [arm]: Number(rows[rows.length - 1].acc) });
  }
  if (!runsTier(c, "lm")) return rows;
  // LM tier: plain GRPO vs the balanced filter on a warm-started TinyTransformer, equal tuning; both arms read
  // at exactly GRPO's rollouts at each of its step readouts.
  const G = c.lm.groupSize;
  rows.push(
    ...await runLmTier(
      c.lm,
      () => [
        { name: "grpo" },
        { name: "balanced", parts: () => ({ curriculum: new BalancedDifficultyFilter(c.lmFilter) }) },
      ],
      ctx,
      {
        rolloutBudgets: baselineRolloutBudgets(c.lm, c.lm.batchSize * G),
        atStart: async (start, bed, rng) =>
          (await lmStartSuccess(start, bed, rng, START_PROBLEMS)).map((r) => {
            const p = Number(r.success);
            return { ...r, degenerate: p ** G + (1 - p) ** G };
          }),
      },
    ),
  );
  return rows;
}

function validate(c: FilteringConfig): void {
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
  validateLmTier(c.lm, "filtering.lm");
  if (typeof c.promptLog !== "boolean") {
    throw new ConfigError("filtering.promptLog", "must be true or false", c.promptLog);
  }
  assertFiniteNumber("filtering.lmFilter.low", c.lmFilter.low, { min: 0, max: 1 });
  assertFiniteNumber("filtering.lmFilter.high", c.lmFilter.high, { min: c.lmFilter.low, max: 1 });
  assertInteger("filtering.lmFilter.maxRounds", c.lmFilter.maxRounds, { min: 1 });
}

/** The Online Difficulty Filtering reproduction (arXiv 2504.03380) on FeatureChain. */
export const filtering: Reproduction<FilteringConfig> = {
  name: "filtering",
  title: "Online Difficulty Filtering: balanced p̂ ∈ [0.2, 0.8] vs DAPO vs plain GRPO",
  paper: "2504.03380",
  presets: FILTERING_PRESETS,
  seedSeconds: FILTERING_SEED_SECONDS,
  preregistrations: [FILTERING_LM_PREREGISTRATION],
  preconditions: [
    lmBaselinePrecondition("filtering.lm.pre1", "grpo"),
    lmStartPrecondition(
      "filtering.lm.pre2",
      "degenerate",
      FILTERING_LM_PRE2_QUANTITY,
      ">=",
      FILTERING_LM_DEGENERATE_SHARE,
    ),
    lmTunedPrecondition("filtering.lm.tuned", ["grpo", "balanced"]),
  ],
  usesTensors: true,
  validate,
  unitsPerSeed: () => FILTERING_ARMS.length + 2,
  runSeed,
  checkClaims: checkFilteringClaims,
  charts: filteringCharts,
};
