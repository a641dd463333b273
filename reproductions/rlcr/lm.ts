/**
 * LM tier of the RLCR reproduction (arXiv 2507.16806) with the start's calibration CHOSEN before the run.
 *
 * Per seed (confidence addition, lib/tasks/confidence.ts: the response is the answer, "|", one confidence token):
 *
 * 1. Base: the reproduction's SFT warm start (confidence tokens drawn independently of correctness), whose SFT
 *    also excluded this tier's held-out problems.
 * 2. Two starts, each a short SFT from the base on the same problems and the same label-noise draws, differing
 *    only in the confidence label (10% of labels in both are drawn uniformly, `labelNoise`, so every level stays
 *    sampled and RL can move the token): "overconfident" — always the top level; "calibrated" — the level nearest
 *    the accuracy that the over-confident start's answers (the same answer training) have on the problem's bucket
 *    (operand digit count × number of carries), measured on separate calibration problems by sampling at
 *    temperature 1, as the evaluation does. Every solution token is trained (training the confidence token alone
 *    let its label leak into the answer positions in a pilot); each start's calibration is measured, not assumed.
 * 3. From each start, `trainArms` trains the binary arm (r = 1[correct ∧ confidence parsable]) and the RLCR arm
 *    (r = 1[correct] − (q − 1[correct])², unparsable → `unparsableReward`) at every rate of one grid (equal
 *    tuning; quick: the single rate 1e-3, a pilot's validation choice, since a grid does not fit its CPU budget;
 *    full: three rates); each arm's rate is the one with the best final greedy validation accuracy, and its final policy is
 *    evaluated on the test problems by `evalSamples` sampled responses each (`calibrationSummary`: accuracy over
 *    all samples; ECE, Brier, AUROC over parsable ones).
 *
 * Why the binary arm can move the confidence token here: the confidence token is sampled and trained as part of
 * the response under every reward (the policy gradient covers every response token), and the binary reward counts
 * a response whose confidence is missing or unparsable as wrong (as a format rule of the paper's prompt would), so
 * the binary arm has a real signal to keep stating a confidence and its confidence drifts with the updates of the
 * shared weights. What the binary reward still does not carry (the paper's point) is any information about WHICH
 * level is right: given a parsable response its expected gradient on the level is zero, so its calibration moves
 * only through accuracy changing under a stale confidence, and drift. RLCR's Brier term rewards the level that
 * matches the answer's chance of being right.
 *
 * Where the toy differs from the paper: one confidence token from 5 levels instead of a free-text number after a
 * chain of thought; the "difficulty" the confidence can track is the operand length and carries of a sum, not the
 * uncertainty of multi-hop QA; the calibrated start is built by labelling with bucket accuracies (the paper's
 * starts are instruction-tuned models with whatever calibration they have) with a 10% uniform label floor that
 * costs the calibrated start some ECE; a few dozen RL steps.
 */
import {
  type AdditionOptions,
  type Arm,
  assertFiniteNumber,
  assertInteger,
  type BaseConfig,
  bestLearningRates,
  bySeed,
  type CalibrationSummary,
  calibrationSummary,
  carryCount,
  type ClaimRow,
  ConfidenceAdditionTask,
  ConfigError,
  directionalClaim,
  logConfig,
  makeDataset,
  pairedBySeed,
  type Problem,
  type RegisteredClaim,
  type RewardFn,
  rlcrTaskReward,
  type Rng,
  type Row,
  type RunLog,
  type SeedContext,
  type SequencePolicy,
  sft,
  trainArms,
  withReferenceLevels,
} from "../../mod.ts";

/**
 * LM-tier settings. The task (digits, levels) and the base warm start are the reproduction's (`RlcrConfig`):
 * the base is the SFT start the reproduction's other arms use, so the two share its cost.
 */
export interface RlcrLmConfig {
  /** SFT steps from the base that set a start's confidence label (every solution token trained). */
  labelSteps: number;
  /** Problems per labelling SFT step. */
  labelBatchSize: number;
  /**
   * Fraction of labelling-SFT labels drawn uniformly from the levels instead (both starts): keeps every level
   * sampled now and then, so RL can move the token (a fully saturated token is never explored).
   */
  labelNoise: number;
  /** Adam learning rate of the labelling SFT. */
  labelLr: number;
  /** Problems on which the base model's accuracy per bucket is measured (disjoint from validation and test). */
  calibrationProblems: number;
  /** Sampled responses per calibration problem (temperature 1). */
  calibrationSamples: number;
  /** Validation problems (select each arm's learning rate by final greedy accuracy). */
  validationProblems: number;
  /** Test problems (the claims read these). */
  testProblems: number;
  /** Sampled responses per test problem (temperature 1) for accuracy and the calibration metrics. */
  evalSamples: number;
  /** RL steps per run. */
  steps: number;
  /** Problems per RL step. */
  batchSize: number;
  /** Rollouts per problem (GRPO group). */
  groupSize: number;
  /** Learning-rate grid every arm is trained at (equal tuning). */
  learningRates: number[];
  /** RLCR reward of a response without a parsable confidence (the binary arm scores it 0 = wrong). */
  unparsableReward: number;
  /** Non-inferiority margin δ of the accuracy claims (absolute accuracy, fixed before the run). */
  accuracyMargin: number;
}

/** The chosen starts: labels = the base model's measured bucket accuracy, or always the top level. */
export const RLCR_LM_STARTS = ["overconfident", "calibrated"] as const;
/** One start. */
export type RlcrLmStart = typeof RLCR_LM_STARTS[number];
/** The RL arms (rewards) trained from each start. */
export const RLCR_LM_ARMS = ["binary", "rlcr"] as const;
/** One RL arm, or the start itself. */
export type RlcrLmArm = typeof RLCR_LM_ARMS[number] | "start";

/** Check the LM-tier fields; errors name `<prefix>.<field>`. */
export function validateRlcrLm(c: RlcrLmConfig, prefix: string): void {
  if (c === null || typeof c !== "object") {
    throw new ConfigError(prefix, "must be an LM-tier config object", c);
  }
  for (
    const k of [
      "labelBatchSize",
      "calibrationProblems",
      "calibrationSamples",
      "validationProblems",
      "testProblems",
      "evalSamples",
      "steps",
      "batchSize",
    ] as const
  ) {
    assertInteger(`${prefix}.${k}`, c[k], { min: 1 });
  }
  assertInteger(`${prefix}.labelSteps`, c.labelSteps, { min: 0 });
  assertInteger(`${prefix}.groupSize`, c.groupSize, { min: 2 });
  assertFiniteNumber(`${prefix}.labelLr`, c.labelLr, { min: 0, exclusiveMin: true });
  assertFiniteNumber(`${prefix}.labelNoise`, c.labelNoise, { min: 0, max: 1 });
  assertFiniteNumber(`${prefix}.accuracyMargin`, c.accuracyMargin, { min: 0, exclusiveMin: true });
  assertFiniteNumber(`${prefix}.unparsableReward`, c.unparsableReward);
  if (!Array.isArray(c.learningRates) || c.learningRates.length === 0) {
    throw new ConfigError(`${prefix}.learningRates`, "must be a non-empty array of rates", c.learningRates);
  }
}

/** Bucket of an addition problem: operand digit count and number of carries ("2d1c"). */
export function difficultyBucket(p: Problem): string {
  return `${p.difficulty}d${carryCount(Number(p.meta?.a), Number(p.meta?.b))}c`;
}

/** Index of the level nearest to x (ties → the lower level). */
export function nearestLevel(levels: readonly number[], x: number): number {
  let best = 0;
  for (let k = 1; k < levels.length; k++) if (Math.abs(levels[k] - x) < Math.abs(levels[best] - x)) best = k;
  return best;
}

/** Level k, or with probability `noise` a level drawn uniformly (an exploration floor every start shares). */
export function noisyLabel(k: number, count: number, rng: Rng, noise: number): number {
  return rng.uniform() < noise ? rng.int(count) : k;
}

/** Binary reward of the LM tier: 1 iff the answer is correct AND a confidence is parsable (format counted). */
export function binaryFormatReward(task: ConfidenceAdditionTask): RewardFn {
  return (p, y) => (task.confidence(y) === null ? 0 : task.verify(p, y));
}

/** Stated confidence, correctness and bucket of `samples` sampled responses per problem (temperature 1). */
export interface ConfidenceSamples {
  /** Stated q per response (null: unparsable). */
  conf: (number | null)[];
  /** 1 iff the answer is correct. */
  correct: number[];
  /** The problem of each response. */
  problems: Problem[];
}

/** Sample `samples` responses per problem at temperature 1 with sampler seed `seed`. */
export async function sampleConfidence(
  policy: SequencePolicy,
  task: ConfidenceAdditionTask,
  problems: readonly Problem[],
  samples: number,
  seed: number,
): Promise<ConfidenceSamples> {
  const all = problems.flatMap((p) => Array.from({ length: samples }, () => p));
  const prompts = all.map((p) => p.prompt);
  const maxTokens = policy.config.contextLength - Math.max(...prompts.map((p) => p.length));
  const out = await policy.sample(prompts, { maxTokens, seed, temperature: 1, eos: task.vocab.eos });
  return {
    conf: out.responses.map((y) => task.confidence(y)),
    correct: out.responses.map((y, i) => task.verify(all[i], y)),
    problems: all,
  };
}

/** Accuracy per bucket of sampled responses (the base model's own accuracy: the calibrated start's labels). */
export function bucketAccuracy(s: ConfidenceSamples): Map<string, number> {
  const hits = new Map<string, [number, number]>();
  s.problems.forEach((p, i) => {
    const b = difficultyBucket(p);
    const [k, n] = hits.get(b) ?? [0, 0];
    hits.set(b, [k + s.correct[i], n + 1]);
  });
  return new Map([...hits].map(([b, [k, n]]) => [b, k / n]));
}

/** The row with non-finite numbers as null (the run log rejects NaN; undefined metrics are logged as null). */
function nullIfNaN(r: Record<string, unknown>): Row {
  return Object.fromEntries(
    Object.entries(r).map(([k, v]) => [k, typeof v === "number" && !Number.isFinite(v) ? null : v]),
  ) as Row;
}

/** `calibrationSummary` (10 bins) without the bins, undefined metrics as null. */
function summaryRow(s: ConfidenceSamples): Row {
  const { bins: _, ...m } = calibrationSummary(s.conf, s.correct, { bins: 10 });
  return nullIfNaN(m);
}

/** The LM tier's held-out problems: validation (rate selection), test (claims), calibration (bucket accuracy). */
export interface RlcrLmDatasets {
  /** Select each arm's learning rate (final greedy accuracy). */
  validation: Problem[];
  /** The claims read these. */
  test: Problem[];
  /** The base model's accuracy per bucket is measured here. */
  calibration: Problem[];
}

/** Draw the three disjoint held-out sets from `rng` (split 1, 2, 3); the base SFT must exclude all of them. */
export function rlcrLmDatasets(task: ConfidenceAdditionTask, c: RlcrLmConfig, rng: Rng): RlcrLmDatasets {
  const validation = makeDataset(task, c.validationProblems, rng.split(1).seed);
  const test = makeDataset(task, c.testProblems, rng.split(2).seed, { exclude: validation });
  const calibration = makeDataset(task, c.calibrationProblems, rng.split(3).seed, {
    exclude: [...validation, ...test],
  });
  return { validation, test, calibration };
}

/**
 * One seed of the LM tier (module doc) from the warm-started `base` (not modified; its SFT excluded `sets`),
 * with streams from `rng` (the one `sets` came from). Rows: `lm-label` (per bucket: measured base accuracy and
 * the label level), `lm-eval` (every evaluation of every run, with `start`), `lm-calibration` (per start × arm ×
 * rate, and the start itself: held-out `calibrationSummary` of sampled responses), `lm-best` (per start × arm at
 * the validation-selected rate, and the start itself). Every row carries `tier: "lm"`; one tick per start.
 */
export async function runRlcrLmTier(
  c: RlcrLmConfig,
  task: ConfidenceAdditionTask,
  base: SequencePolicy,
  sets: RlcrLmDatasets,
  rng: Rng,
  ctx: Pick<SeedContext, "tick">,
): Promise<Row[]> {
  const { validation, test, calibration } = sets;
  const heldOut = [...validation, ...test, ...calibration];
  const evalSeed = rng.split(6).seed >>> 0; // one sampler seed for every evaluation: common random numbers
  const levels = task.config.levels;
  const top = levels.length - 1;
  const rows: Row[] = [];
  // Labels fixed before each start's SFT: the over-confident start's is the top level; the calibrated start's
  // is the level nearest the over-confident start's measured accuracy on the problem's bucket (both starts get
  // the same answer training, so that is the accuracy the calibrated start's answers have too).
  let measured = new Map<string, number>();
  let overall = 0;
  const levelOf: Record<RlcrLmStart, (p: Problem) => number> = {
    overconfident: () => top,
    calibrated: (p) => nearestLevel(levels, measured.get(difficultyBucket(p)) ?? overall),
  };
  for (const startName of RLCR_LM_STARTS) {
    const start = await base.clone();
    try {
      // Same problems and noise draws (streams rng.split(7), rng.split(9)) for both starts; every solution token
      // is trained, so the answers stay anchored while the confidence token learns its label.
      const noise = rng.split(9);
      await sft(
        start,
        withReferenceLevels(
          task,
          (p) => noisyLabel(levelOf[startName](p), levels.length, noise, c.labelNoise),
        ),
        {
          steps: c.labelSteps,
          batchSize: c.labelBatchSize,
          lr: c.labelLr,
          seed: rng.split(7).seed,
          exclude: heldOut,
        },
      );
      if (startName === "overconfident") {
        const on = await sampleConfidence(
          start,
          task,
          calibration,
          c.calibrationSamples,
          rng.split(5).seed >>> 0,
        );
        measured = bucketAccuracy(on);
        overall = on.correct.reduce((x, y) => x + y, 0) / on.correct.length;
        for (const [bucket, acc] of [...measured].sort()) {
          rows.push({
            tier: "lm",
            kind: "lm-label",
            bucket,
            accuracy: acc,
            level: levels[nearestLevel(levels, acc)],
          });
        }
      }
      const startEval = summaryRow(await sampleConfidence(start, task, test, c.evalSamples, evalSeed));
      rows.push({ tier: "lm", kind: "lm-calibration", start: startName, arm: "start", lr: 0, ...startEval });
      rows.push({ tier: "lm", kind: "lm-best", start: startName, arm: "start", lr: 0, ...startEval });
      const calib = new Map<string, Row>();
      const arms: Arm<AdditionOptions>[] = [
        { name: "binary", parts: () => ({ reward: binaryFormatReward(task) }) },
        {
          name: "rlcr",
          parts: () => ({ reward: rlcrTaskReward(task, { unparsableReward: c.unparsableReward }) }),
        },
      ];
      const evals = await trainArms({
        start,
        task,
        arms,
        learningRates: c.learningRates,
        steps: c.steps,
        evalEvery: c.steps,
        config: { seed: rng.split(8).seed, batchSize: c.batchSize, groupSize: c.groupSize },
        validation,
        test,
        onRunEnd: async ({ arm, lr, policy }) => {
          const row = summaryRow(await sampleConfidence(policy, task, test, c.evalSamples, evalSeed));
          calib.set(`${arm}@${lr}`, row);
          rows.push({ tier: "lm", kind: "lm-calibration", start: startName, arm, lr, ...row });
        },
      });
      rows.push(...evals.map((r) => nullIfNaN({ tier: "lm", kind: "lm-eval", start: startName, ...r })));
      for (const [arm, lr] of bestLearningRates(evals)) {
        const final = evals.filter((r) => r.arm === arm && r.lr === lr).reduce((
          x,
          y,
        ) => (y.step > x.step ? y : x));
        rows.push({
          tier: "lm",
          kind: "lm-best",
          start: startName,
          arm,
          lr,
          greedyTestAccuracy: final.testAccuracy,
          validationAccuracy: final.validationAccuracy,
          ...calib.get(`${arm}@${lr}`)!,
        });
      }
    } finally {
      start.dispose();
    }
    ctx.tick(1, { phase: 4 + RLCR_LM_STARTS.indexOf(startName) });
  }
  return rows;
}

/** A held-out metric of the `lm-best` rows. */
export type RlcrLmMetric = Exclude<keyof CalibrationSummary, "bins">;

/** Per-seed metric of one (start, arm) at its selected rate (seed → value; NaN where undefined). */
export function rlcrLmMetric(
  log: RunLog,
  start: RlcrLmStart,
  arm: RlcrLmArm,
  field: RlcrLmMetric,
): Map<number, number> {
  return bySeed(log, { kind: "lm-best", start, arm }, field);
}

/**
 * The value an arm's seed scores on a metric it could not compute (no parsable response): ECE and Brier 1 (their
 * maximum), accuracy, parse rate and AUROC 0 — a failure, never a dropped seed.
 */
export const RLCR_LM_FAILURE: Readonly<Record<RlcrLmMetric, number>> = {
  ece: 1,
  brier: 1,
  accuracy: 0,
  parseRate: 0,
  auroc: 0,
  meanConfidence: NaN,
};

/** The pre-registered LM-tier claims (ids and texts from the plan) evaluated on a run log. */
export function checkRlcrLmClaims(
  log: RunLog,
  plan: { claims: readonly RegisteredClaim[] },
  margin: number,
): ClaimRow[] {
  const seeds = logConfig<BaseConfig>(log).seeds;
  const fill = (m: Map<number, number>, f: RlcrLmMetric) =>
    m.size === 0 ? m : new Map(Array.from({ length: seeds }, (_, i) => {
      const v = m.get(i);
      return [i, v !== undefined && Number.isFinite(v) ? v : RLCR_LM_FAILURE[f]];
    }));
  const d = (s: RlcrLmStart, a: RlcrLmArm, b: RlcrLmArm, f: RlcrLmMetric) => [
    pairedBySeed(fill(rlcrLmMetric(log, s, a, f), f), fill(rlcrLmMetric(log, s, b, f), f)),
  ];
  const stat = (what: string) =>
    `per-seed paired difference of held-out ${what}, each RL arm at its validation-selected rate`;
  const ece = stat(
    "ECE (10 bins, parsable sampled responses; an arm with no parsable response on a seed scores ECE 1)",
  );
  const acc = stat("accuracy (all sampled responses)");
  const specs: Record<
    string,
    { scores: number[][]; direction: "greater" | "less"; threshold: number; statistic: string; paper: string }
  > = {
    "rlcr.lm.9": {
      scores: d("overconfident", "rlcr", "binary", "ece"),
      direction: "less",
      threshold: 0,
      statistic: ece,
      paper: "HotpotQA ECE 0.37 → 0.03; math 0.26 → 0.10",
    },
    "rlcr.lm.10": {
      scores: d("overconfident", "rlcr", "binary", "accuracy"),
      direction: "greater",
      threshold: -margin,
      statistic: acc,
      paper: "equal accuracy (HotpotQA 62.1 vs 63.0)",
    },
    "rlcr.lm.11": {
      scores: d("calibrated", "binary", "start", "ece"),
      direction: "greater",
      threshold: 0,
      statistic: stat(
        "ECE (10 bins, parsable sampled responses; no parsable response scores ECE 1), binary arm − its start",
      ),
      paper: "RLVR degrades calibration",
    },
    "rlcr.lm.12": {
      scores: d("calibrated", "rlcr", "binary", "ece"),
      direction: "less",
      threshold: 0,
      statistic: ece,
      paper: "HotpotQA ECE 0.37 → 0.03; math 0.26 → 0.10",
    },
    "rlcr.lm.13": {
      scores: d("calibrated", "rlcr", "binary", "accuracy"),
      direction: "greater",
      threshold: -margin,
      statistic: acc,
      paper: "equal accuracy (HotpotQA 62.1 vs 63.0)",
    },
    "rlcr.lm.14": {
      scores: d("overconfident", "rlcr", "start", "ece"),
      direction: "less",
      threshold: 0,
      statistic: stat(
        "ECE (10 bins, parsable sampled responses; no parsable response scores ECE 1), RLCR arm − its start",
      ),
      paper: "calibration improves sharply",
    },
  };
  return plan.claims.map((reg, i) => {
    const s = specs[reg.id];
    if (!s) throw new ConfigError("claims[].id", `has no rule in checkRlcrLmClaims`, reg.id);
    const row = directionalClaim(reg.claim, s.paper, s.scores, s.direction, {
      threshold: s.threshold,
      statistic: s.statistic,
      unit: s.statistic.includes("ECE") ? "ECE difference" : "accuracy difference",
      seed: 90 + i,
      preconditions: reg.preconditions,
    });
    return { ...row, id: reg.id, tier: "lm" };
  });
}
