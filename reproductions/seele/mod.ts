/**
 * SEELE reproduction (arXiv 2509.06923) on FeatureChain with the shared linear-softmax policy
 * (lib/tasks/feature_chain.ts, lib/policies/linear_softmax.ts): hints are prefixes of the reference solution (the
 * first h steps are forced correct); the policy is trained on the generated part only (plus the imitation term γ on
 * hint tokens, `imitationCoef`), and evaluated WITHOUT hints on a held-out pool, exactly.
 *
 * Arms, each an `RLVRTrainer` with the same rollout budget (B problems × m·n rollouts per step, same steps, Adam,
 * Dr.GRPO advantages r − mean over all m·n rollouts of a problem, seq-mean-token-sum-norm loss):
 * - `grpo`: no hints (`UniformSampling`, one group of m·n rollouts);
 * - `fixed`: every rollout hinted at the fixed rate p = `fixedHintRate` (`FixedHintRate`, h = round(p·|y|));
 * - `seele-a*` for a* ∈ `targets`: `SeeleScaffold` (m rounds of n, 3PL refit after each round, next rate
 *   f⁻¹(a*), final rate carried to the problem's next visit).
 * Measured: unhinted held-out exact accuracy vs rollouts. Separately, the "loss descent vs accuracy" curve: from the
 * initial policy, for held-out problems × every hint length h < L (which sets the group's accuracy a), one sampled
 * Dr.GRPO step (a fresh trainer on that group alone, learning rate lr/B: the group's share of a training step of B
 * groups) and the exact decrease of the KL-regularised loss −a + β·KL(π_new ‖ π_old) on that (problem, hint) —
 * theory (SEELE): ≤ (1/2β)·a(1 − a), peaking at a = 0.5.
 *
 * Changes made after runs are recorded as amendments in preregistration.ts and in docs/history.md.
 */
import {
  assertFiniteNumber,
  assertInteger,
  baselineRolloutBudgets,
  buildFeatureChain,
  checkFeatureChainSetup,
  ConfigError,
  type Curriculum,
  FixedHintRate,
  lmBaselinePrecondition,
  lmStartPrecondition,
  lmStartSuccess,
  lmTunedPrecondition,
  type Reproduction,
  RLVRTrainer,
  type Row,
  runLmTier,
  runsTier,
  type SeedContext,
  SeeleScaffold,
  type TrainerConfig,
  UniformSampling,
  validateLmTier,
} from "../../mod.ts";
import { SEELE_PRESETS, SEELE_SEED_SECONDS, type SeeleConfig } from "./config.ts";

export * from "./config.ts";
import { seeleCharts } from "./charts.ts";
import { SEELE_LM_PRE2_QUANTITY, SEELE_LM_PREREGISTRATION, SEELE_LM_UNSOLVED } from "./preregistration.ts";
import { checkSeeleClaims } from "./claims.ts";

/** Arm names of a config: grpo, fixed, seele-<a*> per target. */
export function seeleArms(c: Pick<SeeleConfig, "targets">): string[] {
  return ["grpo", "fixed", ...c.targets.map((a) => `seele-${a}`)];
}

/** The arm's curriculum: plain GRPO sampling, fixed-rate hints, or SEELE's scaffold aiming at a*. */
export function seeleCurriculum(arm: string, c: SeeleConfig): Curriculum {
  if (arm === "grpo") return new UniformSampling();
  if (arm === "fixed") return new FixedHintRate({ hintRate: c.fixedHintRate });
  return new SeeleScaffold({
    rounds: c.rounds,
    targetAccuracy: Number(arm.slice("seele-".length)),
    initialHintRate: c.initialHintRate,
    mergeRounds: true,
    fit: { kPrior: { center: 8, weight: 0.01 }, starts: c.fitStarts, maxIterations: c.fitIterations },
  });
}

/**
 * The trainer config every arm shares: B × m·n rollouts per step, Dr.GRPO, batch-mean loss, imitation γ, Adam, no
 * clipping. SEELE arms roll out m rounds of the trainer's group size n; the others one group of m·n.
 */
export function seeleTrainerConfig(c: SeeleConfig, seed: number, arm = "grpo"): Partial<TrainerConfig> {
  return {
    seed,
    batchSize: c.batchSize,
    groupSize: arm.startsWith("seele-") ? c.rolloutsPerRound : c.rounds * c.rolloutsPerRound,
    lr: c.lr,
    estimator: "dr-grpo",
    aggregation: "seq-mean-token-sum-norm",
    imitationCoef: c.imitationWeight,
    maxGradNorm: null,
  };
}

/** Train one arm; "curve" rows every `evalEvery` steps: unhinted held-out accuracy, rollouts, mean hint rate. */
async function trainArm(c: SeeleConfig, arm: string, seed: number, taskSeed: number): Promise<Row[]> {
  const { task, heldout, trainOptions, policy } = buildFeatureChain(c, taskSeed);
  const trainer = new RLVRTrainer({
    policy,
    task,
    sampleOptions: trainOptions,
    curriculum: seeleCurriculum(arm, c),
    config: seeleTrainerConfig(c, seed, arm),
  });
  const rows: Row[] = [{ kind: "curve", arm, step: 0, acc: policy.meanSuccess(heldout), rollouts: 0 }];
  let hintSum = 0, accSum = 0, count = 0;
  for (let t = 0; t < c.steps; t++) {
    const row = await trainer.trainStep();
    hintSum += Number(row["curriculum.meanHintRate"] ?? 0);
    accSum += Number(row.accuracy);
    count++;
    if ((t + 1) % c.evalEvery === 0 || t + 1 === c.steps) {
      rows.push({
        kind: "curve",
        arm,
        step: t + 1,
        acc: policy.meanSuccess(heldout),
        rollouts: Number(row.rolloutsTotal),
        hintRate: hintSum / count,
        trainAccuracy: accSum / count,
      });
      hintSum = accSum = count = 0;
    }
  }
  trainer.dispose();
  policy.dispose();
  return rows;
}

/**
 * Loss descent vs accuracy: from the initial policy, per held-out problem and hint length h < L (setting the group
 * accuracy a = Π_{s ≥ h} π(c_s | x_s)), `descentRepeats` one-step trainers on that group alone (m·n rollouts, lr/B);
 * descent = (a' − a) − β·KL(π_new ‖ π_old) on the generated steps, exact.
 */
async function descentExperiment(c: SeeleConfig, seed: number, taskSeed: number): Promise<Row[]> {
  const { task, heldout, policy } = buildFeatureChain(c, taskSeed);
  const rows: Row[] = [];
  let run = 0;
  for (let i = 0; i < Math.min(c.descentProblems, heldout.length); i++) {
    const problem = heldout[i];
    const L = task.meta(problem).length;
    for (let h = 0; h < L; h++) {
      const a = policy.successProbability(problem, h);
      let descent = 0, gain = 0;
      for (let r = 0; r < c.descentRepeats; r++) {
        const next = policy.cloneSync();
        const trainer = new RLVRTrainer({
          policy: next,
          task,
          sampleOptions: { pool: "heldout", start: i, size: 1 },
          curriculum: new FixedHintRate({ hintRate: h / problem.solution.length }),
          config: {
            ...seeleTrainerConfig(c, seed + run++),
            batchSize: 1,
            lr: c.lr / c.batchSize,
            imitationCoef: 0,
          },
        });
        await trainer.trainStep();
        const d = next.successProbability(problem, h) - a;
        gain += d;
        descent += d - c.descentBeta * next.klTo(policy, problem, h);
        trainer.dispose();
        next.dispose();
      }
      rows.push({
        kind: "descent",
        length: L,
        hint: h,
        a,
        gain: gain / c.descentRepeats,
        descent: descent / c.descentRepeats,
      });
    }
  }
  policy.dispose();
  return rows;
}

async function runSeed(c: SeeleConfig, ctx: SeedContext): Promise<Row[]> {
  const taskSeed = ctx.rng.split(0).seed;
  const trainerSeed = ctx.rng.split(1).seed; // the same in every arm (common random numbers)
  const rows: Row[] = [];
  if (runsTier(c, "exact")) {
    for (const arm of seeleArms(c)) {
      rows.push(...await trainArm(c, arm, trainerSeed, taskSeed));
      ctx.tick(1, { [arm]: Number(rows[rows.length - 1].acc) });
    }
    rows.push(...await descentExperiment(c, ctx.rng.split(2).seed, taskSeed));
    ctx.tick(1);
  }
  if (!runsTier(c, "lm")) return rows;
  // LM tier: no hints vs SEELE hints (reference-answer prefixes) on a revisited pool, both Dr.GRPO, equal tuning.
  const { imitationCoef, ...scaffold } = c.lmSeele;
  rows.push(
    ...await runLmTier(
      c.lm,
      ({ trainSet }) => [
        { name: "grpo", config: { algorithm: "dr-grpo" }, parts: () => ({ trainSet }) },
        {
          name: "seele",
          config: { algorithm: "dr-grpo", imitationCoef },
          parts: () => ({ trainSet, curriculum: new SeeleScaffold(scaffold) }),
        },
      ],
      ctx,
      {
        // both arms read at exactly the no-hint arm's rollouts at each of its step readouts
        rolloutBudgets: baselineRolloutBudgets(c.lm, c.lm.batchSize * c.lm.groupSize),
        atStart: async (start, bed, rng) =>
          (await lmStartSuccess(start, bed, rng, c.lm.trainSetSize)).map((r) => ({
            ...r,
            unsolved: Number(r.success) < SEELE_LM_UNSOLVED.epsilon ? 1 : 0,
          })),
      },
    ),
  );
  return rows;
}

function validate(c: SeeleConfig): void {
  for (
    const k of [
      "batchSize",
      "rounds",
      "rolloutsPerRound",
      "steps",
      "fitStarts",
      "fitIterations",
      "evalEvery",
      "descentProblems",
      "descentRepeats",
      "descentBins",
    ] as const
  ) assertInteger(`seele.${k}`, c[k], { min: 1 });
  checkFeatureChainSetup("seele", c);
  assertFiniteNumber("seele.lr", c.lr, { min: 0, exclusiveMin: true });
  assertFiniteNumber("seele.imitationWeight", c.imitationWeight, { min: 0 });
  assertFiniteNumber("seele.fixedHintRate", c.fixedHintRate, { min: 0, max: 1 });
  assertFiniteNumber("seele.initialHintRate", c.initialHintRate, { min: 0, max: 1 });
  assertFiniteNumber("seele.descentBeta", c.descentBeta, { min: 0 });
  if (!Array.isArray(c.targets) || c.targets.length === 0 || c.targets.some((a) => !(a > 0 && a < 1))) {
    throw new ConfigError("seele.targets", "must be a non-empty array of accuracies in (0, 1)", c.targets);
  }
  validateLmTier(c.lm, "seele.lm");
  if (c.lm.trainSetSize < 1) {
    throw new ConfigError("seele.lm.trainSetSize", "must be ≥ 1 (SEELE revisits a pool)");
  }
  assertInteger("seele.lmSeele.rounds", c.lmSeele.rounds, { min: 1 });
  assertFiniteNumber("seele.lmSeele.targetAccuracy", c.lmSeele.targetAccuracy, { min: 0, max: 1 });
  assertFiniteNumber("seele.lmSeele.initialHintRate", c.lmSeele.initialHintRate, { min: 0, max: 1 });
  assertFiniteNumber("seele.lmSeele.imitationCoef", c.lmSeele.imitationCoef, { min: 0 });
}

/** The SEELE reproduction (arXiv 2509.06923) on FeatureChain. */
export const seele: Reproduction<SeeleConfig> = {
  name: "seele",
  title: "SEELE: hint rates aiming at accuracy a* vs no hints vs fixed-ratio hints",
  paper: "2509.06923",
  presets: SEELE_PRESETS,
  seedSeconds: SEELE_SEED_SECONDS,
  preregistrations: [SEELE_LM_PREREGISTRATION],
  preconditions: [
    lmBaselinePrecondition("seele.lm.pre1", "grpo"),
    lmStartPrecondition("seele.lm.pre2", "unsolved", SEELE_LM_PRE2_QUANTITY, ">=", SEELE_LM_UNSOLVED.share),
    lmTunedPrecondition("seele.lm.tuned", ["grpo", "seele"]),
  ],
  usesTensors: true,
  validate,
  unitsPerSeed: (config) => seeleArms(config).length + 1 + 2,
  runSeed,
  checkClaims: checkSeeleClaims,
  charts: seeleCharts,
};
