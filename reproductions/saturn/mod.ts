/**
 * SATURN reproduction (arXiv 2505.16368): a SAT difficulty ladder vs training directly at the target difficulty,
 * at an equal rollout budget, with a shared-parameter policy so that skills learned on easy levels can transfer.
 *
 * Blocks (all from lib/): task `SatTask` ((n, k, l)-SAT with planted assignments, D = log2 k + 2·log2 l − n + k/n);
 * policy `SatAssignmentPolicy` (lib/policies: writes the k answer bits in order from a linear softmax over six
 * per-literal clause features, ONE weight vector for every (n, k, l); w = 0 is a uniformly random assignment);
 * curriculum `SatLadder` (lib/curricula/ladder.ts) for the ladder arm, plain sampling at the target for the direct
 * arm; estimator GRPO; `RLVRTrainer` (library objective, Adam).
 *
 * Arms, per seed, same budget B_total = steps · batchSize · groupSize rollouts:
 * - ladder: advances when validation pass@1 on `valProblems` fresh problems of the current level (one sample each)
 *   exceeds `threshold`; validation rollouts are charged to the ladder's budget.
 * - direct: every step at the target (the last level).
 * Both are scored on the same held-out target problems (`testProblems` × `testSamples` sampled assignments, common
 * random numbers) at fixed rollout checkpoints. The quick target (3,16,64) was chosen before any training run of
 * the first engine from pass rates of the untrained policy (≈ 0.1%) and of a hand-set weight vector.
 *
 * Changes made after runs are recorded as amendments in preregistration.ts and in docs/history.md.
 */
import {
  assertFiniteNumber,
  assertInteger,
  ConfigError,
  type Problem,
  type Reproduction,
  RLVRTrainer,
  type Row,
  runsTier,
  sampledPassAtK,
  SAT_FEATURE_NAMES,
  SatAssignmentPolicy,
  satDifficulty,
  SatLadder,
  type SatLevel,
  SatTask,
  type SeedContext,
  type TrainerConfig,
} from "../../mod.ts";
import {
  SATURN_ARMS,
  SATURN_PRESETS,
  SATURN_SEED_SECONDS,
  type SaturnArm,
  type SaturnConfig,
} from "./config.ts";

export * from "./config.ts";
import { runSaturnLmTier, SATURN_LM_PRECONDITIONS, SATURN_LM_UNITS, validateSaturnLm } from "./lm.ts";
import { SATURN_LM_PREREGISTRATION } from "./preregistration.ts";

import { checkSaturnClaims } from "./claims.ts";
import { saturnCharts } from "./charts.ts";

export { checkSaturnClaims } from "./claims.ts";
export { saturnCharts } from "./charts.ts";

/** Trainer config of both arms: GRPO advantages, Adam at `lr`, on-policy (library defaults otherwise). */
export function saturnTrainerConfig(c: SaturnConfig, seed: number): Partial<TrainerConfig> {
  return { seed, batchSize: c.batchSize, groupSize: c.groupSize, lr: c.lr, estimator: "grpo" };
}

/** One arm of one seed: train until the rollout budget is spent, scoring the held-out set at checkpoints. */
async function runArm(arm: SaturnArm, c: SaturnConfig, test: Problem[], ctx: SeedContext, i: number) {
  const target = c.levels[c.levels.length - 1];
  const task = new SatTask(target);
  const contextLength = Math.max(...c.levels.map((lv) => new SatTask(lv).maxSequenceLength));
  const policy = new SatAssignmentPolicy({ contextLength });
  const perStep = c.batchSize * c.groupSize;
  const budget = c.steps * perStep;
  const marks = Array.from({ length: c.checkpoints + 1 }, (_, j) => Math.round((j * budget) / c.checkpoints));
  const valRng = ctx.rng.split(1 + i).split(1);
  let used = 0;
  /** Sampled pass@1 (`sampledPassAtK` with k = 1: the mean verifier reward of n samples per problem). */
  const pass1 = async (problems: Problem[], n: number, seed: number) =>
    (await sampledPassAtK(policy, task, problems, { n, ks: [1], nextSeed: () => seed })).passAtK[0];
  const ladder = new SatLadder<SatLevel>({
    levels: c.levels,
    threshold: c.threshold,
    evalEvery: c.evalEvery,
    sample: (lv, r) => task.sample(r, lv),
    evaluate: (lv) => {
      const val = Array.from({ length: c.valProblems }, () => task.sample(valRng, lv));
      used += c.valProblems;
      return pass1(val, 1, valRng.tfSeed());
    },
  });
  const trainer = new RLVRTrainer({
    policy,
    task,
    config: saturnTrainerConfig(c, ctx.rng.split(1 + i).split(0).seed),
    curriculum: arm === "ladder" ? ladder : undefined,
    sampleOptions: target,
    exclude: test,
  });
  const rows: Row[] = [];
  let next = 0;
  const score = async (upTo: number) => {
    for (; next < marks.length && marks[next] <= upTo; next++) {
      // Same evaluation streams in both arms (common random numbers).
      const pass = await pass1(test, c.testSamples, ctx.rng.split(100 + next).seed);
      rows.push({ kind: "curve", arm, rollouts: marks[next], checkpoint: next, pass });
    }
  };
  let zero = 0, window = 0, windowZero = 0;
  try {
    await score(0);
    for (;;) {
      const validates = arm === "ladder" && trainer.step > 0 && trainer.step % c.evalEvery === 0;
      if (used + perStep + (validates ? c.valProblems : 0) > budget) break;
      const r = await trainer.trainStep();
      used += perStep;
      const level = arm === "ladder" ? ladder.state.level : c.levels.length - 1;
      const zeroFraction = Number(r.noneCorrectGroups);
      zero += zeroFraction;
      if (used <= c.signalWindow * budget + 1e-9) {
        [window, windowZero] = [window + 1, windowZero + zeroFraction];
      }
      rows.push({
        kind: "step",
        arm,
        step: trainer.step,
        rollouts: used,
        level,
        zeroFraction,
        meanReward: Number(r.reward),
      });
      await score(used);
    }
    await score(Infinity); // checkpoints not reached because validation rollouts made the last step not fit
    const curve = rows.filter((r) => r.kind === "curve");
    const w = policy.weights;
    rows.push({
      kind: "final",
      arm,
      pass: Number(curve.at(-1)!.pass),
      initial: Number(curve[0].pass),
      trainSteps: trainer.step,
      rolloutsUsed: used,
      zeroFraction: zero / Math.max(1, trainer.step),
      windowZeroFraction: windowZero / Math.max(1, window),
      finalLevel: arm === "ladder" ? ladder.state.level : c.levels.length - 1,
      ...Object.fromEntries(SAT_FEATURE_NAMES.map((f, j) => [`w_${f}`, w[j]])),
    });
    if (arm === "ladder") {
      for (const h of ladder.state.history) {
        rows.push({
          kind: "validation",
          arm,
          step: h.step,
          level: h.level,
          passAt1: h.passAt1,
          advanced: +h.advanced,
        });
      }
    }
  } finally {
    trainer.dispose();
    policy.dispose();
  }
  return rows;
}

async function runSeed(c: SaturnConfig, ctx: SeedContext): Promise<Row[]> {
  const target = c.levels[c.levels.length - 1];
  const task = new SatTask(target);
  const testRng = ctx.rng.split(9);
  const test = Array.from({ length: c.testProblems }, () => task.sample(testRng));
  const rows: Row[] = [];
  for (const [i, arm] of runsTier(c, "exact") ? SATURN_ARMS.entries() : []) {
    rows.push(...await runArm(arm, c, test, ctx, i));
    ctx.tick(1, { arm: i });
  }
  if (runsTier(c, "lm")) rows.push(...await runSaturnLmTier(c.lm, ctx));
  return rows;
}

function checkConfig(c: SaturnConfig): void {
  validateSaturnLm(c.lm, "saturn.lm");
  if (!Array.isArray(c.levels) || c.levels.length === 0) {
    throw new ConfigError("saturn.levels", "must be a non-empty array of {n, k, l}", c.levels);
  }
  c.levels.forEach((lv, i) => {
    satDifficulty(lv.n, lv.k, lv.l); // integers ≥ 1
    if (lv.k > 26 || lv.n > lv.k) throw new ConfigError(`saturn.levels[${i}]`, "needs 1 ≤ n ≤ k ≤ 26", lv);
  });
  for (
    const k of [
      "batchSize",
      "groupSize",
      "steps",
      "evalEvery",
      "valProblems",
      "testProblems",
      "testSamples",
      "checkpoints",
    ] as const
  ) {
    assertInteger(`saturn.${k}`, c[k], { min: 1 });
  }
  if (c.groupSize < 2) throw new ConfigError("saturn.groupSize", "must be ≥ 2 (GRPO groups)", c.groupSize);
  assertFiniteNumber("saturn.lr", c.lr, { min: 0, exclusiveMin: true });
  assertFiniteNumber("saturn.threshold", c.threshold, { min: 0, max: 1 });
  assertFiniteNumber("saturn.signalWindow", c.signalWindow, { min: 0, max: 1, exclusiveMin: true });
}

/** The SATURN reproduction (arXiv 2505.16368): SAT difficulty ladder vs direct training at the target. */
export const saturn: Reproduction<SaturnConfig> = {
  name: "saturn",
  title: "SATURN: SAT difficulty ladder vs direct training",
  paper: "2505.16368",
  usesTensors: true,
  presets: SATURN_PRESETS,
  seedSeconds: SATURN_SEED_SECONDS,
  preregistrations: [SATURN_LM_PREREGISTRATION],
  preconditions: SATURN_LM_PRECONDITIONS,
  validate: checkConfig,
  unitsPerSeed: () => SATURN_ARMS.length + SATURN_LM_UNITS,
  runSeed,
  checkClaims: checkSaturnClaims,
  charts: saturnCharts,
};
