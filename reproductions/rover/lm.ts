/**
 * LM tier of the ROVER reproduction (arXiv 2509.24981): ROVER vs GRPO on a TinyTransformer, on a token task with
 * MANY correct answers per prompt, so pass@k at large k and the number of distinct correct answers measure
 * diversity.
 *
 * Bed: `PermutationTask` ("write the prompt's n digits in any order", n = minDigits…maxDigits): a prompt with
 * digit multiplicities m_d has n!/∏ m_d! correct answers (up to 24 at n = 4). The SFT warm start fits ONE of
 * them (digits ascending), so it covers one answer per prompt and makes mistakes; RL may sharpen that answer or
 * find the others. Every arm starts from the same warm start and is trained by `RLVRTrainer` at every rate of one
 * learning-rate grid (`trainArms`: equal tuning); each arm's rate is the one with the best final greedy
 * validation accuracy (the grid extended by the pre-registered edge rule `gridExtension`; an arm still selected at
 * an edge is marked `edgeSelected`); the claims read the held-out test set, where every correct answer a of a
 * prompt is enumerated and its probability π(a | x) teacher-forced through the final policy
 * (`exactAnswerProbabilities`), with no sampling noise:
 *
 * - pass@k = mean_x [1 − (1 − Σ_a π(a | x))^k] (`exactPassAtKValues`) for k = 1, 2, 4, … up to `samples`;
 * - expected distinct correct answers among N = `samples` samples, Σ_a 1 − (1 − π(a | x))^N
 *   (`expectedDistinctCorrect`; the paper's diversity);
 * - the mass on alternative correct answers, Σ_a π(a | x) − max_a π(a | x) (the start's is a precondition).
 *
 * Arms: GRPO (the library GRPO advantages and clipped policy-gradient objective, token-mean) and ROVER
 * (`roverLoss(ρ)` as the official code trains it: Q = ρ·(log π_θ − log π_old) on every generated token, regressed
 * on the same GRPO advantage plus ρ·[mean_a log π_θ(a|s_{t+1}) − the same under π_old]). Both arms take
 * `miniBatches` optimizer steps per rollout batch: the first is the same step for both (ROVER's gradient there is
 * 2ρ × token-mean GRPO's), so ROVER's own terms act from the second on. ρ = 1 is the official default (`rover_t`),
 * not tuned; the advantages are GRPO's group-normalised rewards, as the official run script
 * (`adv_estimator=grpo`, `norm_adv_by_std_in_grpo=True`).
 *
 * Mechanism: ROVER's target adds the change of the uniform-policy backup at the next state; a step that
 * concentrates π(·|s_{t+1}) lowers its mean log-probability and so the target of the token that led there, while
 * GRPO reinforces the orderings it already samples (the warm start's). The mean over actions runs over the whole
 * 14-token vocabulary, as the official code's runs over the LM's vocabulary. Where the toy differs from the
 * paper: a tiny model (thousands of parameters) instead of a billion-parameter LM, and tens of RL steps. The
 * registered plan's amendments (./preregistration.ts) record the change of objective.
 */
import {
  type Arm,
  assertFiniteNumber,
  assertInteger,
  bestLearningRates,
  bySeed,
  type ClaimRow,
  ConfigError,
  directionalClaim,
  exactAnswerProbabilities,
  exactPassAtKValues,
  expectedDistinctCorrect,
  type GridExtension,
  makeDataset,
  pairedBySeed,
  type PermutationOptions,
  PermutationTask,
  type PreconditionSpec,
  type Problem,
  type RegisteredClaim,
  roverLoss,
  type Row,
  type RunLog,
  type SeedContext,
  selectRows,
  type SequencePolicy,
  trainArms,
  type TransformerSetup,
  validateTransformerSetup,
  warmStartTransformer,
} from "../../mod.ts";

/** LM-tier settings of the ROVER reproduction (model + SFT from `TransformerSetup`, then bed and RL). */
export interface RoverLmConfig extends TransformerSetup {
  /** Smallest number of prompt digits n. */
  minDigits: number;
  /** Largest number of prompt digits n. */
  maxDigits: number;
  /** Validation prompts (select each arm's learning rate by greedy accuracy). */
  validationSize: number;
  /** Test prompts (the claims read these). */
  testSize: number;
  /** RL steps per run. */
  steps: number;
  /** Evaluate greedy validation and test accuracy every this many steps. */
  evalEvery: number;
  /** Problems per RL step (B). */
  batchSize: number;
  /** Rollouts per problem (G). */
  groupSize: number;
  /** Learning-rate grid every arm is trained at. */
  learningRates: number[];
  /** ROVER's ρ (`rover_t` of the official code, default 1; fixed a priori). */
  rho: number;
  /** Optimizer steps per rollout batch, both arms (`TrainerConfig.miniBatches`). */
  miniBatches: number;
  /** N of the exact test metrics: pass@k for k ≤ N and expected distinct correct answers among N samples. */
  samples: number;
  /** The pre-registered edge-of-grid rule, the same for every arm (`trainArms`' `GridExtension`). */
  gridExtension: GridExtension;
}

/** Check every field; errors name `<prefix>.<field>`. */
export function validateRoverLm(c: RoverLmConfig, prefix: string): void {
  validateTransformerSetup(c, prefix);
  assertInteger(`${prefix}.minDigits`, c.minDigits, { min: 1, max: 9 });
  assertInteger(`${prefix}.maxDigits`, c.maxDigits, { min: c.minDigits, max: 9 });
  for (
    const k of [
      "validationSize",
      "testSize",
      "steps",
      "evalEvery",
      "batchSize",
      "groupSize",
      "samples",
      "miniBatches",
    ] as const
  ) {
    assertInteger(`${prefix}.${k}`, c[k], { min: 1 });
  }
  assertFiniteNumber(`${prefix}.rho`, c.rho, { min: 0, exclusiveMin: true });
  if (!c.gridExtension || typeof c.gridExtension !== "object") {
    throw new ConfigError(`${prefix}.gridExtension`, "must be { factor, maxExtensions }", c.gridExtension);
  }
  assertFiniteNumber(`${prefix}.gridExtension.factor`, c.gridExtension.factor, {
    min: 1,
    exclusiveMin: true,
  });
  assertInteger(`${prefix}.gridExtension.maxExtensions`, c.gridExtension.maxExtensions, { min: 0 });
  if (!Array.isArray(c.learningRates) || c.learningRates.length === 0) {
    throw new ConfigError(`${prefix}.learningRates`, "must be a non-empty array of rates", c.learningRates);
  }
}

/** The k of the pass@k curve: 1, 2, 4, … up to `samples` (included). */
export function roverLmKs(samples: number): number[] {
  const ks: number[] = [];
  for (let k = 1; k < samples; k *= 2) ks.push(k);
  ks.push(samples);
  return ks;
}

/** The two arms, both on GRPO advantages: GRPO (token-mean clipped objective) and ROVER (`roverLoss(ρ)`). */
export function roverLmArms(rho: number): Arm<PermutationOptions>[] {
  return [
    { name: "grpo", config: { estimator: "grpo" } },
    { name: "rover", config: { estimator: "grpo" }, parts: () => ({ objective: roverLoss(rho) }) },
  ];
}

/**
 * Exact test metrics of a policy (module doc), means over prompts: `pass<k>` for every k of `roverLmKs(samples)`,
 * `distinct` (expected distinct correct answers among `samples` samples), `distinctFraction` (the same over the
 * prompt's number of correct answers) and `altMass` (probability of correct answers other than the most likely).
 */
export async function exactMetrics(
  policy: SequencePolicy,
  task: PermutationTask,
  problems: readonly Problem[],
  samples: number,
): Promise<Record<string, number>> {
  const answers = await exactAnswerProbabilities(policy, task, problems, {
    maxTokens: task.config.maxDigits + 1,
  });
  const ks = roverLmKs(samples);
  const pass = exactPassAtKValues(answers.map((e) => e.success), ks);
  const out: Record<string, number> = { distinct: 0, distinctFraction: 0, altMass: 0 };
  ks.forEach((k, j) => (out[`pass${k}`] = pass[j]));
  for (const e of answers) {
    const d = expectedDistinctCorrect(e.probabilities, samples);
    out.distinct += d / answers.length;
    out.distinctFraction += d / e.responses.length / answers.length;
    out.altMass += (e.success - Math.max(...e.probabilities)) / answers.length;
  }
  return out;
}

/**
 * One seed of the LM tier: datasets, warm start, both arms over the rate grid; rows `kind: "lm-eval"` (every
 * greedy evaluation of every run), `kind: "lm-best"` (per arm at its selected rate: exact test metrics, `edgeSelected`)
 * and `kind: "lm-start"` (the warm start's exact test metrics).
 */
export async function runRoverLmTier(c: RoverLmConfig, ctx: SeedContext): Promise<Row[]> {
  const task = new PermutationTask({ minDigits: c.minDigits, maxDigits: c.maxDigits });
  const rng = ctx.rng.split(100);
  const validation = makeDataset(task, c.validationSize, rng.split(1).seed);
  const test = makeDataset(task, c.testSize, rng.split(2).seed, { exclude: validation });
  const start = await warmStartTransformer(task, c, rng.split(4), [...validation, ...test]);
  const exact = new Map<string, Record<string, number>>();
  try {
    const arms = roverLmArms(c.rho);
    const evals = await trainArms({
      start,
      task,
      arms,
      learningRates: c.learningRates,
      steps: c.steps,
      evalEvery: c.evalEvery,
      config: {
        seed: rng.split(5).seed,
        batchSize: c.batchSize,
        groupSize: c.groupSize,
        miniBatches: c.miniBatches,
        maxNewTokens: c.maxDigits + 1,
      },
      validation,
      test,
      onRunEnd: async ({ arm, lr, policy }) => {
        exact.set(`${arm}@${lr}`, await exactMetrics(policy, task, test, c.samples));
      },
      onArmEnd: () => ctx.tick(1),
      gridExtension: c.gridExtension,
    });
    const best = bestLearningRates(evals);
    // trainAccuracy is NaN at step 0 (no batch yet): left out of that row.
    const rows: Row[] = evals.map(({ trainAccuracy, ...r }) => ({
      tier: "lm",
      kind: "lm-eval",
      ...r,
      ...(Number.isFinite(trainAccuracy) ? { trainAccuracy } : {}),
    }));
    rows.push({
      tier: "lm",
      kind: "lm-start",
      ...(await exactMetrics(start, task, test, c.samples)),
    });
    for (const a of arms) {
      const lr = best.get(a.name)!;
      const f = evals.filter((r) => r.arm === a.name && r.lr === lr).reduce((
        x,
        y,
      ) => (y.step > x.step ? y : x));
      rows.push({
        tier: "lm",
        kind: "lm-best",
        arm: a.name,
        lr,
        step: f.step,
        validationAccuracy: f.validationAccuracy,
        testAccuracy: f.testAccuracy,
        edgeSelected: f.edgeSelected ?? 0,
        ...exact.get(`${a.name}@${lr}`),
      });
    }
    return rows;
  } finally {
    start.dispose();
  }
}

/** Per-seed paired difference ROVER − GRPO of an `lm-best` field. */
export function roverLmDifferences(log: RunLog, field: string): number[] {
  return pairedBySeed(
    bySeed(log, { kind: "lm-best", arm: "rover" }, field),
    bySeed(log, { kind: "lm-best", arm: "grpo" }, field),
  );
}

/**
 * The registered claim "ROVER beats GRPO on `field`" on the LM tier: per-seed paired difference of the exact
 * test metric, arms at their selected rates, aggregated over seeds with a 95% bootstrap CI (`directionalClaim`).
 */
export function roverLmClaim(
  log: RunLog,
  registered: RegisteredClaim,
  paper: string,
  field: string,
  seed: number,
): ClaimRow {
  const row = directionalClaim(registered.claim, paper, [roverLmDifferences(log, field)], "greater", {
    statistic: `per-seed paired difference ROVER − GRPO of exact test ${field} (each arm at its ` +
      "validation-selected learning rate)",
    seed,
    preconditions: registered.preconditions,
  });
  return { ...row, id: registered.id, tier: "lm" };
}

/** Mean over seeds of the warm start's exact test metric `field` (`lm-start` rows); NaN without them. */
export function roverStartMetric(log: RunLog, field: string): number {
  const v = selectRows(log, { kind: "lm-start" }).map((r) => Number(r[field]));
  return v.length ? v.reduce((x, y) => x + y, 0) / v.length : NaN;
}

/** Share of seeds on which `arm`'s selected rate is still at an edge of the extended grid; NaN without rows. */
export function roverEdgeShare(log: RunLog, arm: string): number {
  const v = selectRows(log, { kind: "lm-best", arm }).map((r) => Number(r.edgeSelected));
  return v.length ? v.filter((x) => x === 1).length / v.length : NaN;
}

/**
 * The LM tier's preconditions (thresholds and reasoning in the plan, ./preregistration.ts): the warm start puts
 * some mass on alternative correct answers (else neither arm can find them and diversity cannot differ),
 * leaves pass@N headroom below the ceiling, and each arm's rate is tuned (inside the extended grid).
 */
export const ROVER_LM_PRECONDITIONS: readonly PreconditionSpec[] = [
  {
    id: "rover.lm.pre1",
    tier: "lm",
    quantity: "the warm start's exact probability of correct answers other than its most likely one, mean " +
      "over test prompts and seeds (probability)",
    comparison: ">=",
    threshold: 0.01,
    measure: (log) => roverStartMetric(log, "altMass"),
  },
  {
    id: "rover.lm.pre2",
    tier: "lm",
    quantity: "the warm start's exact test pass@64, mean over seeds (probability)",
    comparison: "<=",
    threshold: 0.95,
    measure: (log) => roverStartMetric(log, "pass64"),
  },
  ...["grpo", "rover"].map((arm, i): PreconditionSpec => ({
    id: `rover.lm.pre${3 + i}`,
    tier: "lm",
    quantity: `share of seeds on which the ${arm} arm's selected rate is at an edge of the extended grid ` +
      "(not tuned)",
    comparison: "<=",
    threshold: 0.2,
    measure: (log) => roverEdgeShare(log, arm),
  })),
];
