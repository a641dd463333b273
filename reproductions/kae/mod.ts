/**
 * KAE reproduction (Kernelized Advantage Estimation, arXiv 2604.28005) on SimChain with a tabular softmax policy,
 * where the true value V_t(x) = Π_s π_s(c_s) of the current policy is known in closed form. Every run is one
 * `RLVRTrainer`: SimChain task, `TabularSoftmaxPolicy`, `RevisitSchedule` over a fixed pool (blocks of B prompts
 * kept for `revisit` consecutive steps), an advantage estimator, Adam, the library policy-gradient objective.
 *
 * 1. Value MSE: while the policy trains with KAE advantages (G samples per prompt), score every per-sample
 *    baseline against the exact V_t(x) of the policy that drew the samples: KAE's Nadaraya–Watson baseline over
 *    past iterations, GRPO's group mean, the batch mean (and the leave-one-out group mean for reference).
 * 2. Training at G = 1 (where the group mean gives advantage 0): final exact success probability with the KAE
 *    baseline vs no baseline vs the batch mean, same budget and schedule.
 *
 * Changes made after runs are recorded as amendments in preregistration.ts and in docs/history.md.
 */
import {
  type AdvantageContext,
  type AdvantageFn,
  batchMeanAdvantages,
  ConfigError,
  drGrpoAdvantages,
  type KaeAdvantagesResult,
  KaeBaseline,
  kaeEstimator,
  lmBaselinePrecondition,
  lmTunedPrecondition,
  type Reproduction,
  RevisitSchedule,
  RLVRTrainer,
  type Rng,
  type Row,
  runsTier,
  type SeedContext,
  SimChain,
  TabularSoftmaxPolicy,
} from "../../mod.ts";
import { KAE_BASELINES, KAE_G1_ARMS, KAE_PRESETS, KAE_SEED_SECONDS, type KaeConfig } from "./config.ts";

export * from "./config.ts";
import { checkKaeClaims } from "./claims.ts";
import { KAE_LM_ARMS, kaeHistoryPrecondition, runKaeLmTier, validateKaeLm } from "./lm.ts";
import { KAE_LM_PREREGISTRATION } from "./preregistration.ts";
import { kaeCharts } from "./charts.ts";

function checkConfig(c: KaeConfig): void {
  validateKaeLm(c.lm);
  if (
    !Array.isArray(c.lengths) || c.lengths.length === 0 ||
    c.lengths.some((d) => !Number.isInteger(d) || d < 1)
  ) {
    throw new ConfigError("kae.lengths", "must be a non-empty array of integers ≥ 1", c.lengths);
  }
  for (
    const k of [
      "numProblems",
      "batchSize",
      "revisit",
      "mseSteps",
      "groupSize",
      "g1Steps",
      "curveEvery",
    ] as const
  ) {
    if (!Number.isInteger(c[k]) || c[k] < 1) {
      throw new ConfigError(`kae.${k}`, "must be an integer ≥ 1", c[k]);
    }
  }
  if (c.numProblems % c.batchSize !== 0) {
    throw new ConfigError("kae.batchSize", `must divide numProblems (${c.numProblems})`, c.batchSize);
  }
}

/** One training run: SimChain pool, tabular policy from the "pretrained" init, revisit schedule, trainer. */
function setup(
  c: KaeConfig,
  L: number,
  taskSeed: number,
  trainerSeed: number,
  G: number,
  estimator: Estimator,
) {
  const task = new SimChain({ length: L, options: c.options, numProblems: c.numProblems, seed: taskSeed });
  const policy = new TabularSoftmaxPolicy(task, {
    contextLength: task.maxSequenceLength,
    eos: task.vocab.eos,
    logits: task.initialLogits({
      initScale: c.initScale,
      initCorrectBias: c.initCorrectBias,
      seed: taskSeed,
    }),
  });
  const curriculum = new RevisitSchedule(task.problems(), { revisit: c.revisit });
  const trainer = new RLVRTrainer({
    task,
    policy,
    curriculum,
    estimator: estimator(),
    // estimator: "reinforce" only makes G = 1 a valid config; the estimator part above computes the advantages.
    config: {
      seed: trainerSeed,
      batchSize: c.batchSize,
      groupSize: G,
      lr: c.lr,
      maxGradNorm: null,
      estimator: "reinforce",
    },
  });
  const meanSuccess = () => {
    const probs = policy.probabilityTable();
    return task.problems().reduce((t, p) => t + task.successProbability(p, probs), 0) / task.numProblems;
  };
  const dispose = () => (trainer.dispose(), policy.dispose());
  return { task, policy, trainer, meanSuccess, dispose };
}

type Estimator = () => AdvantageFn;

/**
 * Experiment 1: value MSE of each baseline against the exact V_t(x), while training with KAE advantages (bandwidth
 * `c.bandwidth`); KAE baselines with the sweep's other bandwidths are scored on the same samples (not trained on).
 */
async function mseExperiment(c: KaeConfig, L: number, rng: Rng): Promise<Row[]> {
  const G = c.groupSize;
  const total: Record<string, number> = Object.fromEntries(KAE_BASELINES.map((b) => [b, 0]));
  const window: Record<string, number> = Object.fromEntries(KAE_BASELINES.map((b) => [b, 0]));
  const sweep = c.bandwidthSweep.filter((h) => h !== c.bandwidth).map((h) => ({
    h,
    kae: new KaeBaseline({ kernel: c.kernel, bandwidth: h }),
    sse: 0,
  }));
  let count = 0, wcount = 0;
  let expectedGroup = 0; // Σ V(1 − V)/G: the group mean's exact expected squared error, for a sanity check
  // deno-lint-ignore prefer-const
  let run: ReturnType<typeof setup>; // assigned below; `observe` reads it during training
  const observe = (results: KaeAdvantagesResult[], rewards: number[][], ctx: AdvantageContext) => {
    const probs = run.policy.probabilityTable(); // the policy that drew these samples (before this step's update)
    const batchMean = rewards.flat().reduce((a, b) => a + b, 0) / rewards.flat().length;
    rewards.forEach((rs, g) => {
      const problem = run.task.problems().find((p) => p.id === ctx.problems[g].id)!;
      const v = run.task.successProbability(problem, probs);
      const sum = rs.reduce((a, b) => a + b, 0);
      const swept = sweep.map((w) => w.kae.update(problem.id, ctx.step, rs).baselines);
      rs.forEach((r, i) => {
        const b: Record<string, number> = {
          kae: results[g].baselines[i],
          groupMean: sum / G,
          batchMean,
          groupMeanLOO: G > 1 ? (sum - r) / (G - 1) : 0,
        };
        for (const m of KAE_BASELINES) {
          total[m] += (b[m] - v) ** 2;
          window[m] += (b[m] - v) ** 2;
        }
        sweep.forEach((w, k) => w.sse += (swept[k][i] - v) ** 2);
        count++, wcount++;
        expectedGroup += (v * (1 - v)) / G;
      });
    });
  };
  const kae = new KaeBaseline({ kernel: c.kernel, bandwidth: c.bandwidth });
  run = setup(
    c,
    L,
    rng.split(0).seed,
    rng.split(1).seed,
    G,
    () => kaeEstimator(kae, { observe }),
  );
  const rows: Row[] = [];
  for (let t = 0; t < c.mseSteps; t += c.curveEvery) {
    await run.trainer.train(Math.min(c.curveEvery, c.mseSteps - t));
    for (const m of KAE_BASELINES) {
      rows.push({
        kind: "mseCurve",
        length: L,
        step: run.trainer.step,
        baseline: m,
        mse: window[m] / wcount,
      });
      window[m] = 0;
    }
    wcount = 0;
  }
  for (const m of KAE_BASELINES) rows.push({ kind: "mse", length: L, baseline: m, mse: total[m] / count });
  rows.push({ kind: "mseExpectedGroupMean", length: L, mse: expectedGroup / count });
  rows.push({ kind: "mseFinal", length: L, success: run.meanSuccess() });
  for (const h of c.bandwidthSweep) {
    const kaeMse = h === c.bandwidth ? total.kae / count : sweep.find((w) => w.h === h)!.sse / count;
    rows.push({
      kind: "bandwidth",
      length: L,
      bandwidth: h,
      reductionVsGroupMean: 1 - kaeMse / (total.groupMean / count),
      reductionVsBatchMean: 1 - kaeMse / (total.batchMean / count),
    });
  }
  run.dispose();
  return rows;
}

/** Experiment 2: G = 1 training with each baseline (same task, init and trainer seed); exact mean success over the pool. */
async function g1Experiment(c: KaeConfig, L: number, rng: Rng): Promise<Row[]> {
  const rows: Row[] = [];
  const estimators: Record<string, Estimator> = {
    kae: () => kaeEstimator(new KaeBaseline({ kernel: c.kernel, bandwidth: c.bandwidth })),
    none: () => (rs) => rs.map((r) => r.slice()),
    batchMean: () => (rs) => {
      const flat = batchMeanAdvantages(rs.flat());
      let k = 0;
      return rs.map((r) => r.map(() => flat[k++]));
    },
    groupMean: () => (rs) => rs.map((r) => drGrpoAdvantages(r, r.length)), // r − mean of one sample = 0
  };
  for (const arm of KAE_G1_ARMS) {
    const run = setup(c, L, rng.split(0).seed, rng.split(2).seed, 1, estimators[arm]); // common random numbers
    const initial = run.meanSuccess();
    rows.push({ kind: "g1Curve", length: L, arm, step: 0, success: initial });
    for (let t = 0; t < c.g1Steps; t += c.curveEvery) {
      await run.trainer.train(Math.min(c.curveEvery, c.g1Steps - t));
      rows.push({ kind: "g1Curve", length: L, arm, step: run.trainer.step, success: run.meanSuccess() });
    }
    rows.push({ kind: "g1", length: L, arm, initial, final: run.meanSuccess() });
    run.dispose();
  }
  return rows;
}

async function runSeed(c: KaeConfig, ctx: SeedContext): Promise<Row[]> {
  const rows: Row[] = [];
  for (const [li, L] of runsTier(c, "exact") ? c.lengths.entries() : []) {
    const rng = ctx.rng.split(li);
    rows.push(...await mseExperiment(c, L, rng.split(0)));
    ctx.tick(1, { L });
    rows.push(...await g1Experiment(c, L, rng.split(1)));
    ctx.tick(1, { L });
  }
  if (runsTier(c, "lm")) rows.push(...await runKaeLmTier(c.lm, ctx));
  return rows;
}

/** The KAE reproduction (arXiv 2604.28005) on SimChain. */
export const kae: Reproduction<KaeConfig> = {
  name: "kae",
  title: "KAE: kernelized per-prompt baselines",
  paper: "2604.28005",
  usesTensors: true,
  presets: KAE_PRESETS,
  seedSeconds: KAE_SEED_SECONDS,
  preregistrations: [KAE_LM_PREREGISTRATION],
  preconditions: [
    lmBaselinePrecondition("kae.lm.pre1", "reinforce"),
    lmBaselinePrecondition("kae.lm.pre2", "grpo"),
    kaeHistoryPrecondition("kae.lm.pre3", 0.5),
    lmTunedPrecondition("kae.lm.tuned", ["reinforce", "kae", "grpo"]),
  ],
  validate: checkConfig,
  unitsPerSeed: (config) => 2 * config.lengths.length + KAE_LM_ARMS.length,
  runSeed,
  checkClaims: checkKaeClaims,
  charts: kaeCharts,
};

export { checkKaeClaims, kaeCharts };
