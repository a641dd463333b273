/**
 * RLCR reproduction (Reinforcement Learning with Calibration Rewards, arXiv 2507.16806) on confidence addition
 * (lib/tasks/confidence.ts): a TinyTransformer answers a + b and then states one confidence token q. Per seed:
 *
 * 1. SFT warm start (`warmStartTransformer`) on reference solutions whose confidence token is drawn from
 *    `referenceWeights` (over-confident by default, independent of correctness) → the "start" policy.
 * 2. From the same start, three GRPO runs (`RLVRTrainer`) with identical seeds (common random numbers), differing
 *    only in the reward: binary r = 1[correct] (the task's verifier) vs RLCR r = 1[correct] − (q − 1[correct])²
 *    (`rlcrTaskReward`; unparsable q → `unparsableReward` in "rlcr", the paper's 0 in "rlcr-paper").
 * 3. Held-out evaluation of start and arms: `evalSamples` sampled responses (temperature 1) per held-out problem;
 *    `calibrationSummary`: accuracy over all samples; ECE (10 bins), Brier, AUROC over samples with a parsable
 *    confidence; reliability bins per operand digit count.
 *
 * 4. The chosen-start LM tier (lm.ts, pre-registered in preregistration.ts): from the same warm start, an
 *    over-confident and a calibrated start (the confidence label chosen before the run), binary (format counted)
 *    vs RLCR from each.
 *
 * Claims (claims.ts) are paired per seed (arm − arm of the same seed, same start) and tested with the stratified
 * bootstrap CI of the mean of the differences (IQM from 20 seeds); charts in charts.ts.
 *
 * Mechanism note (what the toy can show): with the binary reward the confidence token's log-prob gradient is
 * A(y)·∇log π(q | x, y), whose expectation over q given the answer y is zero — binary RL gives the confidence
 * token no signal, only sampling noise. Any change in binary-RL calibration comes from accuracy moving under a
 * fixed confidence distribution, or from drift.
 *
 * Changes made after runs are recorded as amendments in preregistration.ts and in docs/history.md.
 */
import {
  assertFiniteNumber,
  assertInteger,
  calibrationSummary,
  ConfidenceAdditionTask,
  ConfigError,
  GroupStatistics,
  makeDataset,
  type Problem,
  type Reproduction,
  type RewardFn,
  rlcrTaskReward,
  RLVRTrainer,
  type RolloutGroup,
  type Row,
  type SeedContext,
  type SequencePolicy,
  UniformSampling,
  validateTransformerSetup,
  warmStartTransformer,
} from "../../mod.ts";
import { RLCR_PRESETS, RLCR_REWARDS, RLCR_SEED_SECONDS, type RlcrArm, type RlcrConfig } from "./config.ts";

export * from "./config.ts";
import { checkRlcrClaims, RLCR_PRECONDITIONS } from "./claims.ts";
import { RLCR_LM_STARTS, rlcrLmDatasets, runRlcrLmTier, validateRlcrLm } from "./lm.ts";
import { RLCR_LM_PREREGISTRATION } from "./preregistration.ts";
import { rlcrCharts } from "./charts.ts";

/** The task of a config. */
export function rlcrTask(
  c: Pick<RlcrConfig, "maxDigits" | "levels" | "referenceWeights">,
): ConfidenceAdditionTask {
  return new ConfidenceAdditionTask({
    minDigits: 1,
    maxDigits: c.maxDigits,
    levels: c.levels,
    referenceWeights: c.referenceWeights,
  });
}

/** Reward of an RL arm: the verifier (binary) or the RLCR reward with the arm's unparsable score. */
export function rlcrArmReward(
  arm: typeof RLCR_REWARDS[number],
  task: ConfidenceAdditionTask,
  c: Pick<RlcrConfig, "unparsableReward">,
): RewardFn {
  if (arm === "binary") return (p: Problem, y: readonly number[]) => task.verify(p, y);
  return rlcrTaskReward(task, { unparsableReward: arm === "rlcr" ? c.unparsableReward : 0 });
}

/** Stated confidence of a step's rollouts: mean q over parsable responses (NaN if none) and the parse rate. */
export function statedConfidence(
  task: ConfidenceAdditionTask,
  groups: readonly RolloutGroup[],
): { meanConfidence: number; parseRate: number } {
  const q = groups.flatMap((g) => g.responses.map((y) => task.confidence(y)));
  const parsed = q.filter((v): v is number => v !== null);
  return {
    meanConfidence: parsed.length ? parsed.reduce((a, b) => a + b, 0) / parsed.length : NaN,
    parseRate: q.length ? parsed.length / q.length : NaN,
  };
}

async function runSeed(c: RlcrConfig, ctx: SeedContext): Promise<Row[]> {
  const task = rlcrTask(c);
  const held = makeDataset(task, c.evalProblems, ctx.rng.split(0).seed);
  const lmRng = ctx.rng.split(200);
  const lmSets = rlcrLmDatasets(task, c.lm, lmRng);
  // One warm start for both parts; its SFT never sees a held-out problem of either.
  const start = await warmStartTransformer(task, c, ctx.rng.split(1), [
    ...held,
    ...lmSets.validation,
    ...lmSets.test,
    ...lmSets.calibration,
  ]);
  const evalSeed = ctx.rng.split(3).seed >>> 0; // same sampler seed for every arm's evaluation
  const rows: Row[] = [];
  try {
    ctx.tick(1, { phase: 0 });
    rows.push(...evalRows("start", await sampleEval(start, task, held, c.evalSamples, evalSeed)));
    for (const arm of RLCR_REWARDS) {
      const policy = await start.clone();
      const trainer = new RLVRTrainer({
        policy,
        task,
        reward: rlcrArmReward(arm, task, c),
        curriculum: new GroupStatistics(new UniformSampling(), (groups) => statedConfidence(task, groups)),
        exclude: held,
        config: { seed: ctx.rng.split(4).seed, batchSize: c.batchSize, groupSize: c.groupSize, lr: c.lr },
      });
      try {
        await trainer.train(c.rlSteps);
        rows.push(...curveRows(arm, trainer.runLog.rows, c.curveEvery));
        rows.push(...evalRows(arm, await sampleEval(policy, task, held, c.evalSamples, evalSeed)));
      } finally {
        trainer.dispose();
        policy.dispose();
      }
      ctx.tick(1, { phase: RLCR_REWARDS.indexOf(arm) + 1 });
    }
    rows.push(...await runRlcrLmTier(c.lm, task, start, lmSets, lmRng, ctx));
  } finally {
    start.dispose();
  }
  return rows;
}

/** Window means of the trainer's per-step rows (reward, accuracy, stated confidence, parse rate). */
function curveRows(arm: string, steps: readonly Record<string, unknown>[], every: number): Row[] {
  const out: Row[] = [];
  const mean = (w: readonly Record<string, unknown>[], k: string) => {
    const v = w.map((r) => r[k]).filter((x): x is number => typeof x === "number" && Number.isFinite(x));
    return v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN;
  };
  for (let t = 0; t < steps.length; t += every) {
    const w = steps.slice(t, t + every);
    const row: Row = { kind: "curve", arm, step: Math.min(steps.length, t + every) };
    for (
      const [k, src] of [
        ["reward", "reward"],
        ["accuracy", "accuracy"],
        ["meanConfidence", "curriculum.meanConfidence"],
        ["parseRate", "curriculum.parseRate"],
      ]
    ) {
      const v = mean(w, src);
      if (Number.isFinite(v)) row[k] = v;
    }
    out.push(row);
  }
  return out;
}

/** Held-out evaluation: stated confidence, correctness and digit count of `samples` sampled responses per problem. */
interface EvalSamples {
  conf: (number | null)[];
  correct: number[];
  digits: number[];
}

/** Sample `samples` responses per problem at temperature 1 (evaluation only). */
async function sampleEval(
  policy: SequencePolicy,
  task: ConfidenceAdditionTask,
  held: readonly Problem[],
  samples: number,
  seed: number,
): Promise<EvalSamples> {
  const problems = held.flatMap((p) => Array.from({ length: samples }, () => p));
  const prompts = problems.map((p) => p.prompt);
  const maxTokens = policy.config.contextLength - Math.max(...prompts.map((p) => p.length));
  const out = await policy.sample(prompts, { maxTokens, seed, temperature: 1, eos: task.vocab.eos });
  return {
    conf: out.responses.map((y) => task.confidence(y)),
    correct: out.responses.map((y, i) => task.verify(problems[i], y)),
    digits: problems.map((p) => p.difficulty),
  };
}

/** Eval rows of one arm: the `calibrationSummary` row, and reliability cells per digit count (bins, unparsable). */
function evalRows(arm: RlcrArm, e: EvalSamples): Row[] {
  const { bins: _, ...s } = calibrationSummary(e.conf, e.correct, { bins: 10 });
  // RunLog rejects NaN: undefined metrics (no parsable confidence, one class only) are logged as null.
  const finite = Object.fromEntries(Object.entries(s).map(([k, v]) => [k, Number.isFinite(v) ? v : null]));
  const rows: Row[] = [{ kind: "eval", arm, ...finite } as Row];
  for (const d of [...new Set(e.digits)].sort((a, b) => a - b)) {
    const idx = e.digits.flatMap((x, i) => (x === d ? [i] : []));
    const conf = idx.map((i) => e.conf[i]);
    const correct = idx.map((i) => e.correct[i]);
    for (const b of calibrationSummary(conf, correct, { bins: 10 }).bins) {
      if (b.count === 0) continue;
      const n = b.count;
      rows.push({
        kind: "cell",
        arm,
        digits: d,
        confidence: b.meanConfidence!,
        n,
        correct: Math.round(b.accuracy! * n),
      });
    }
    const unparsable = idx.filter((i) => e.conf[i] === null);
    if (unparsable.length) {
      const k = unparsable.reduce((t, i) => t + e.correct[i], 0);
      rows.push({ kind: "cell", arm, digits: d, confidence: -1, n: unparsable.length, correct: k });
    }
  }
  return rows;
}

function validate(c: RlcrConfig): void {
  validateTransformerSetup(c, "rlcr");
  for (
    const k of ["maxDigits", "rlSteps", "batchSize", "evalProblems", "evalSamples", "curveEvery"] as const
  ) {
    assertInteger(`rlcr.${k}`, c[k], { min: 1 });
  }
  assertInteger("rlcr.groupSize", c.groupSize, { min: 2 });
  for (const k of ["lr", "accuracyMargin"] as const) {
    assertFiniteNumber(`rlcr.${k}`, c[k], { min: 0, exclusiveMin: true });
  }
  assertFiniteNumber("rlcr.unparsableReward", c.unparsableReward);
  if (!Array.isArray(c.levels)) {
    throw new ConfigError("rlcr.levels", "must be an array of confidence levels", c.levels);
  }
  rlcrTask(c); // the task checks levels and referenceWeights
  validateRlcrLm(c.lm, "rlcr.lm");
}

/** The RLCR reproduction (arXiv 2507.16806): binary vs Brier-augmented reward on confidence addition. */
export const rlcr: Reproduction<RlcrConfig> = {
  name: "rlcr",
  title: "RLCR: calibration rewards",
  paper: "2507.16806",
  usesTensors: true,
  presets: RLCR_PRESETS,
  seedSeconds: RLCR_SEED_SECONDS,
  validate,
  unitsPerSeed: () => 1 + RLCR_REWARDS.length + RLCR_LM_STARTS.length,
  runSeed,
  checkClaims: checkRlcrClaims,
  charts: rlcrCharts,
  preregistrations: [RLCR_LM_PREREGISTRATION],
  preconditions: RLCR_PRECONDITIONS,
};
