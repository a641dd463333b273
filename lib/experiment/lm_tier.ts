/**
 * The LM tier shared by the reproductions whose mechanism shows on multi-digit addition (online difficulty
 * filtering, SEELE, KAE): a TinyTransformer warm-started by SFT on 1…maxDigits-digit addition (so it solves
 * most short problems and few long ones), then every arm trained by `RLVRTrainer` from that same start at
 * every learning rate of one grid (`trainArms`: equal tuning), each arm's rate selected on a validation set and
 * reported on a disjoint test set, at equal steps and at equal rollouts (every arm read at exactly the baseline's
 * rollout counts: `rolloutBudgets`), with a pre-registered edge-of-grid rule (`gridExtension`) and warm-start
 * measurements for preconditions (`atStart`). One config fragment, one run function, one claim builder; the
 * papers differ only in their arms.
 */
import { assertFiniteNumber, assertInteger, ConfigError } from "../core/validate.ts";
import type { Rng } from "../core/rng.ts";
import { AdditionTask } from "../tasks/addition.ts";
import { makeDataset } from "../tasks/dataset.ts";
import type { Problem } from "../tasks/types.ts";
import {
  type Arm,
  type ArmEvalRow,
  atRolloutBudget,
  bestLearningRates,
  type GridExtension,
  trainArms,
} from "../train/arms.ts";
import type { SequencePolicy } from "../train/rollouts.ts";
import {
  type TransformerSetup,
  validateTransformerSetup,
  warmStartTransformer,
} from "../train/warm_start.ts";
import type { AdditionOptions } from "../tasks/addition.ts";
import type { RunLog } from "../log/runlog.ts";
import type { Row } from "../log/runlog.ts";
import { learningCurve } from "../viz/charts.ts";
import { exactAnswerProbabilities } from "../estimators/exact_pass_at_k.ts";
import type {
  BaseConfig,
  ChartEntry,
  ClaimRow,
  PreconditionSpec,
  RegisteredClaim,
  SeedContext,
} from "./types.ts";
import { bySeed, pairedBySeed, rowsBySeed } from "./rows.ts";
import { directionalClaim } from "./claims.ts";

/** LM-tier settings (model + SFT from `TransformerSetup`, then the bed and the RL schedule). */
export interface LmTierConfig extends TransformerSetup {
  /** Largest operand digit count: problems have 1…maxDigits-digit operands. */
  maxDigits: number;
  /** Validation problems per digit count (select each arm's learning rate). */
  validationPerDigit: number;
  /** Test problems per digit count (the claims read these). */
  testPerDigit: number;
  /** Size of the finite training pool drawn once per seed (problems are revisited); 0 = fresh draws. */
  trainSetSize: number;
  /** RL steps per run. */
  steps: number;
  /** Evaluate validation and test accuracy every this many steps. */
  evalEvery: number;
  /** Problems per RL step (B). */
  batchSize: number;
  /** Rollouts per problem (G). */
  groupSize: number;
  /** Learning-rate grid every arm is trained at. */
  learningRates: number[];
  /**
   * Pre-registered edge-of-grid rule (`trainArms`' `gridExtension`, the same for every arm); absent: the grid is
   * fixed. An arm still selected at an edge is marked `edgeSelected` (its rate is not tuned).
   */
  gridExtension?: GridExtension;
}

/**
 * LM-tier settings of the `quick` presets (2 CPU cores): a d = 32, one-block TinyTransformer, 300 SFT steps on
 * 1–3-digit addition, 40 RL steps of 8 problems × 8 rollouts, 16 + 32 held-out problems per digit count.
 */
export const LM_TIER_QUICK: LmTierConfig = {
  dModel: 32,
  nLayers: 1,
  nHeads: 2,
  sftSteps: 300,
  sftBatchSize: 32,
  sftLr: 3e-3,
  maxDigits: 3,
  validationPerDigit: 16,
  testPerDigit: 32,
  trainSetSize: 0,
  steps: 40,
  evalEvery: 10,
  batchSize: 8,
  groupSize: 8,
  learningRates: [3e-4, 1e-3],
};

/**
 * The edge-of-grid rule the LM tiers pre-register (`LmTierConfig.gridExtension`): an arm selected at an edge of
 * the rate grid adds the rate one factor of 3 beyond it, for every arm, once; a selection still at an edge is
 * not tuned.
 */
export const LM_GRID_EXTENSION: GridExtension = { factor: 3, maxExtensions: 1 };

/** LM-tier settings of the `smoke` presets (CI: seconds; far too small for verdicts). */
export const LM_TIER_SMOKE: LmTierConfig = {
  ...LM_TIER_QUICK,
  dModel: 16,
  sftSteps: 20,
  validationPerDigit: 4,
  testPerDigit: 4,
  steps: 2,
  evalEvery: 1,
  batchSize: 2,
  groupSize: 4,
  learningRates: [1e-3],
};

/**
 * LM-tier settings of the `full` presets (a GPU through webgpu, or a many-core CPU): a wider, deeper model,
 * longer SFT, more RL steps and problems. Not run at this size yet; tests exercise it at a tiny step count.
 */
export const LM_TIER_FULL: LmTierConfig = {
  dModel: 64,
  nLayers: 2,
  nHeads: 4,
  sftSteps: 600,
  sftBatchSize: 64,
  sftLr: 3e-3,
  maxDigits: 4,
  validationPerDigit: 64,
  testPerDigit: 128,
  trainSetSize: 0,
  steps: 300,
  evalEvery: 25,
  batchSize: 16,
  groupSize: 8,
  learningRates: [1e-4, 3e-4, 1e-3],
};

/** Check the LM-tier fields; errors name `<prefix>.<field>`. */
export function validateLmTier(c: LmTierConfig, prefix: string): void {
  validateTransformerSetup(c, prefix);
  assertInteger(`${prefix}.maxDigits`, c.maxDigits, { min: 1, max: 6 });
  for (const k of ["validationPerDigit", "testPerDigit", "steps", "evalEvery", "batchSize"] as const) {
    assertInteger(`${prefix}.${k}`, c[k], { min: 1 });
  }
  assertInteger(`${prefix}.groupSize`, c.groupSize, { min: 1 });
  assertInteger(`${prefix}.trainSetSize`, c.trainSetSize, { min: 0 });
  if (!Array.isArray(c.learningRates) || c.learningRates.length === 0) {
    throw new ConfigError(`${prefix}.learningRates`, "must be a non-empty array of rates", c.learningRates);
  }
  if (c.gridExtension !== undefined) {
    assertFiniteNumber(`${prefix}.gridExtension.factor`, c.gridExtension?.factor, {
      min: 1,
      exclusiveMin: true,
    });
    assertInteger(`${prefix}.gridExtension.maxExtensions`, c.gridExtension.maxExtensions, { min: 0 });
  }
}

/**
 * Equal-rollout budgets of a baseline that spends `rolloutsPerStep` rollouts every step (plain GRPO: B·G): its
 * cumulative rollouts at each step readout (every `evalEvery` steps and the final step). Passed as `rolloutBudgets`,
 * every arm is read at exactly these rollout counts.
 */
export function baselineRolloutBudgets(
  c: Pick<LmTierConfig, "steps" | "evalEvery">,
  rolloutsPerStep: number,
): number[] {
  assertInteger("rolloutsPerStep", rolloutsPerStep, { min: 1 });
  const steps = Array.from({ length: Math.floor(c.steps / c.evalEvery) }, (_, i) => (i + 1) * c.evalEvery);
  if (steps.at(-1) !== c.steps) steps.push(c.steps);
  return steps.map((s) => s * rolloutsPerStep);
}

/** What the arms of one seed may use: the task and the seed's finite training pool. */
export interface LmTierBed {
  /** The addition task (1…maxDigits digits). */
  task: AdditionTask;
  /** The seed's training pool (empty when `trainSetSize` is 0). */
  trainSet: readonly Problem[];
}

/** Options of `runLmTier`. */
export interface LmTierOptions {
  /**
   * Equal-rollout readouts at exactly these cumulative rollout counts (`baselineRolloutBudgets`); the last one
   * is the budget of `testAtEqualRollouts`. Absent: the smallest final rollout count over the arms, read at
   * each arm's last evaluation within it.
   */
  rolloutBudgets?: readonly number[];
  /**
   * Measurements of the warm start before any RL step (preconditions), e.g. exact success probabilities of the
   * training distribution; their rows are logged with `tier: "lm"` and `kind: "lm-start"`.
   */
  atStart?: (start: SequencePolicy, bed: LmTierBed, rng: Rng) => Promise<Row[]> | Row[];
}

/**
 * One seed of the LM tier: datasets, warm start, `atStart` rows, `trainArms` over `arms(bed)`; rows
 * `kind: "lm-eval"` (every evaluation of every run, equal-budget readouts with their `budget`) and
 * `kind: "lm-best"` (per arm at its selected rate: final test accuracy, `testAtEqualRollouts` and the last
 * window's training accuracy; see `lmTierRows`).
 */
export async function runLmTier(
  c: LmTierConfig,
  arms: (bed: LmTierBed) => Arm<AdditionOptions>[],
  ctx: SeedContext,
  options: LmTierOptions = {},
): Promise<Row[]> {
  const task = new AdditionTask({ minDigits: 1, maxDigits: c.maxDigits });
  const rng = ctx.rng.split(100);
  const digits = Array.from({ length: c.maxDigits }, (_, i) => i + 1);
  const perDigit = (n: number, stream: number, exclude: readonly Problem[]) =>
    digits.flatMap((d) =>
      makeDataset(task, n, rng.split(stream).split(d).seed, {
        sampleOptions: { digits: d },
        exclude,
      })
    );
  const validation = perDigit(c.validationPerDigit, 1, []);
  const test = perDigit(c.testPerDigit, 2, validation);
  const heldOut = [...validation, ...test];
  const trainSet = c.trainSetSize > 0
    ? makeDataset(task, c.trainSetSize, rng.split(3).seed, { exclude: heldOut })
    : [];
  const start = await warmStartTransformer(task, c, rng.split(4), heldOut);
  try {
    const bed = { task, trainSet };
    const startRows = options.atStart ? await options.atStart(start, bed, rng.split(6)) : [];
    const armList = arms(bed);
    const evals = await trainArms({
      start,
      task,
      arms: armList,
      learningRates: c.learningRates,
      steps: c.steps,
      evalEvery: c.evalEvery,
      config: { seed: rng.split(5).seed, batchSize: c.batchSize, groupSize: c.groupSize },
      validation,
      test,
      onArmEnd: () => ctx.tick(1),
      ...(options.rolloutBudgets ? { rolloutBudgets: options.rolloutBudgets } : {}),
      ...(c.gridExtension ? { gridExtension: c.gridExtension } : {}),
    });
    return [
      ...startRows.map((r) => ({ ...r, tier: "lm", kind: "lm-start" })),
      ...lmTierRows(evals, armList.map((a) => a.name), options.rolloutBudgets?.at(-1)),
    ];
  } finally {
    start.dispose();
  }
}

/**
 * Exact success probability p(x) = Σ_a π(a | x) (teacher forcing of the accepted answer, temperature 1) of the
 * warm start on its training distribution: every problem of the seed's pool, or `n` fresh draws when it has
 * none. Rows `{ problem, digits, success }` for `runLmTier`'s `atStart` (the preconditions' raw material).
 */
export async function lmStartSuccess(
  start: SequencePolicy,
  bed: LmTierBed,
  rng: Rng,
  n: number,
): Promise<Row[]> {
  const problems = bed.trainSet.length > 0 ? bed.trainSet : makeDataset(bed.task, n, rng.seed);
  const exact = await exactAnswerProbabilities(start, bed.task, problems);
  return exact.map((e, i) => ({
    problem: i,
    digits: problems[i].difficulty,
    success: e.success,
  }));
}

/**
 * LM-tier rows from `trainArms` evaluations: `kind: "lm-eval"` (every evaluation of every run) and
 * `kind: "lm-best"` (per arm at its validation-selected rate: final test accuracy, `edgeSelected` when the grid
 * rule marked it, and `testAtEqualRollouts`, the test accuracy at rollout budget `budget` — the exact readout when
 * `rolloutBudgets` held it, else the last evaluation within it; default the smallest final rollout count).
 */
export function lmTierRows(evals: readonly ArmEvalRow[], arms: readonly string[], budget?: number): Row[] {
  const best = bestLearningRates(evals);
  const finals = arms.map((arm) => {
    const lr = best.get(arm)!;
    return evals.filter((r) => r.arm === arm && r.lr === lr && r.budget === undefined)
      .reduce((x, y) => (y.step > x.step ? y : x));
  });
  budget ??= Math.min(...finals.map((r) => r.rollouts));
  const rows: Row[] = evals.map((r) => ({ tier: "lm", kind: "lm-eval", ...r }));
  for (const f of finals) {
    rows.push({
      tier: "lm",
      kind: "lm-best",
      arm: f.arm,
      lr: f.lr,
      step: f.step,
      rollouts: f.rollouts,
      testAccuracy: f.testAccuracy,
      validationAccuracy: f.validationAccuracy,
      trainAccuracy: f.trainAccuracy,
      testAtEqualRollouts: atRolloutBudget(evals, f.arm, f.lr, budget)?.testAccuracy ?? NaN,
      rolloutBudget: budget,
      ...(f.edgeSelected !== undefined ? { edgeSelected: f.edgeSelected } : {}),
    });
  }
  // A run log holds finite numbers: an undefined value (no training window at step 0) is left out.
  return rows.map((r) =>
    Object.fromEntries(Object.entries(r).filter(([, v]) => typeof v !== "number" || Number.isFinite(v)))
  );
}

/**
 * The registered claim "arm `a` beats arm `b`" on the LM tier: per-seed paired difference of `field`
 * (`testAccuracy` at equal steps or `testAtEqualRollouts`) between the arms at their selected learning rates,
 * mean over seeds with a 95% bootstrap CI (`directionalClaim`), tagged with the claim's id and tier `lm`. Every
 * registered seed (the log's config.seeds) counts: a seed without a value in either arm makes the claim
 * inconclusive with the count stated, never a dropped seed.
 */
export function lmArmClaim(
  log: RunLog,
  registered: RegisteredClaim,
  paper: string,
  arms: { a: string; b: string; field: "testAccuracy" | "testAtEqualRollouts" },
): ClaimRow {
  const { a, b, field } = arms;
  const diffs = pairedBySeed(
    bySeed(log, { kind: "lm-best", arm: a }, field),
    bySeed(log, { kind: "lm-best", arm: b }, field),
    undefined,
    { seeds: (log.meta as { config?: BaseConfig })?.config?.seeds },
  );
  const row = directionalClaim(registered.claim, paper, [diffs], "greater", {
    unit: "test-accuracy difference",
    statistic: `per-seed paired difference of held-out test accuracy (${a} − ${b}, ${
      field === "testAccuracy" ? "equal steps" : "equal rollouts, read at the same rollout count"
    }, each arm at its validation-selected learning rate)`,
  });
  return { ...row, id: registered.id, tier: "lm" };
}

/** The LM tier's evaluation rows of each seed's runs at their selected learning rates (for curves). */
export function lmSelectedCurves(log: RunLog): Row[] {
  const best = new Map<string, number>();
  for (const r of log.rows as Row[]) {
    if (r.kind === "lm-best") best.set(`${r.seed}\u0000${r.arm}`, Number(r.lr));
  }
  return (log.rows as Row[]).filter((r) =>
    r.kind === "lm-eval" && best.get(`${r.seed}\u0000${r.arm}`) === Number(r.lr)
  );
}

/** Charts of the LM tier: held-out test accuracy against RL steps and rollouts spent, and the realised training accuracy, per arm. */
export function lmTierCharts(log: RunLog, title: string): ChartEntry[] {
  // step readouts only: an equal-budget readout repeats its crossing step with sampling stopped at the budget
  const rows = lmSelectedCurves(log).filter((r) => r.budget === undefined);
  if (rows.length === 0) return [];
  return [
    {
      name: "lm_test_accuracy_by_step",
      chart: learningCurve(rows, {
        y: "testAccuracy",
        x: "step",
        title: `${title}: TinyTransformer test accuracy (each arm at its validation-selected rate)`,
        yTitle: "held-out test accuracy (mean, 95% CI)",
        points: true,
      }),
    },
    {
      name: "lm_train_accuracy",
      chart: learningCurve(
        rows.filter((r) => Number.isFinite(Number(r.trainAccuracy)) && r.trainAccuracy !== null),
        {
          y: "trainAccuracy",
          x: "step",
          title: `${title}: realised training-batch accuracy (hinted or filtered batches as trained)`,
          yTitle: "training accuracy (mean over the window, 95% CI)",
          points: true,
        },
      ),
    },
    {
      name: "lm_test_accuracy_by_rollouts",
      chart: learningCurve(rows, {
        y: "testAccuracy",
        x: "rollouts",
        xBins: 8,
        title: `${title}: TinyTransformer test accuracy against rollouts spent`,
        yTitle: "held-out test accuracy (mean, 95% CI)",
      }),
    },
  ];
}

/**
 * Mean over seeds of arm `arm`'s held-out test-accuracy gain at its validation-selected rate: final test accuracy
 * (`lm-best`) minus the same run's test accuracy at step 0 (`lm-eval`); NaN when the log has no LM-tier rows.
 */
export function lmArmGain(log: RunLog, arm: string): number {
  const gains: number[] = [];
  for (const rows of rowsBySeed(log.rows.filter((r) => r.arm === arm) as Row[]).values()) {
    const best = rows.find((r) => r.kind === "lm-best");
    const start = best && rows.find((r) => r.kind === "lm-eval" && r.lr === best.lr && Number(r.step) === 0);
    if (!best || !start) continue;
    gains.push(Number(best.testAccuracy) - Number(start.testAccuracy));
  }
  return gains.length ? gains.reduce((a, b) => a + b, 0) / gains.length : NaN;
}

/**
 * The LM tier's precondition "the baseline arm learns": `lmArmGain(log, arm)` ≥ `threshold` (default 0.02 held-out
 * accuracy) on the run's own seeds. Arm comparisons between policies the grid barely trained (or that collapsed)
 * do not test a paper's mechanism, so claims naming this precondition are not testable here when it fails.
 */
export function lmBaselinePrecondition(id: string, arm: string, threshold = 0.02): PreconditionSpec {
  return {
    id,
    tier: "lm",
    quantity: `mean over seeds of the ${arm} arm's held-out test-accuracy gain from step 0 to its final ` +
      "evaluation at its validation-selected rate (accuracy points)",
    comparison: ">=",
    threshold,
    measure: (log) => lmArmGain(log, arm),
  };
}

/**
 * The LM tier's precondition "every compared arm is tuned": the share of (seed, arm) pairs among `arms` whose
 * validation-selected rate still lies at an edge of the grid after the pre-registered extension
 * (`edgeSelected`) must be ≤ `threshold` (default 0: an edge-selected arm is never reported as tuned). NaN when
 * the log has no `edgeSelected` marks (no grid rule ran).
 */
export function lmTunedPrecondition(id: string, arms: readonly string[], threshold = 0): PreconditionSpec {
  return {
    id,
    tier: "lm",
    quantity: `share of (seed, arm) pairs of the arms ${
      arms.join(", ")
    } whose validation-selected learning rate lies at an edge of the grid after its pre-registered extension`,
    comparison: "<=",
    threshold,
    measure: (log) => {
      const marks = (log.rows as Row[]).filter((r) =>
        r.kind === "lm-best" && arms.includes(String(r.arm)) && r.edgeSelected !== undefined
      ).map((r) => Number(r.edgeSelected));
      return marks.length ? marks.reduce((a, b) => a + b, 0) / marks.length : NaN;
    },
  };
}

/**
 * A precondition measured on the warm start: the mean over seeds of `field` of the `lm-start` rows (each seed's
 * rows averaged first), compared with `threshold`. NaN when no seed logged it.
 */
export function lmStartPrecondition(
  id: string,
  field: string,
  quantity: string,
  comparison: PreconditionSpec["comparison"],
  threshold: number,
): PreconditionSpec {
  return {
    id,
    tier: "lm",
    quantity,
    comparison,
    threshold,
    measure: (log) => {
      const perSeed = [...rowsBySeed((log.rows as Row[]).filter((r) => r.kind === "lm-start")).values()]
        .map((rows) => rows.map((r) => Number(r[field])).filter(Number.isFinite))
        .filter((v) => v.length > 0)
        .map((v) => v.reduce((a, b) => a + b, 0) / v.length);
      return perSeed.length ? perSeed.reduce((a, b) => a + b, 0) / perSeed.length : NaN;
    },
  };
}
