/**
 * RLCR reproduction (Reinforcement Learning with Calibration Rewards, arXiv 2507.16806) on confidence addition
 * (lib/tasks/confidence.ts): a TinyTransformer answers a + b and then states one confidence token
 * q ∈ {0.1, 0.3, 0.5, 0.7, 0.9}. Per seed:
 *
 * 1. SFT warm start on reference solutions whose confidence token is drawn from `referenceWeights`
 *    (over-confident by default, independent of correctness) → the "start" policy.
 * 2. From the same start, two GRPO runs with identical seeds (common random numbers), differing only in the
 *    reward: binary r = 1[correct] vs RLCR r = 1[correct] − (q − 1[correct])² (unparsable q → 0).
 * 3. Held-out evaluation of start, binary and RLCR: `evalSamples` sampled responses (temperature 1) per
 *    held-out problem; accuracy over all samples; ECE (10 bins), Brier and AUROC over samples with a
 *    parsable confidence; reliability diagrams.
 *
 * Claims are paired per seed (arm − arm of the same seed, same start) and tested with the stratified bootstrap
 * CI of the IQM of the differences (`directionalClaim`); every rule is fixed in `checkRlcrClaims`.
 *
 * Mechanism note (what the toy can show): with the binary reward the confidence token's log-prob gradient is
 * A(y)·∇log π(q | x, y), whose expectation over q given the answer y is zero — binary RL gives the confidence
 * token no signal, only sampling noise. Any change in binary-RL calibration comes from accuracy moving under a
 * fixed confidence distribution, or from drift.
 *
 * Disclosure (development runs of 1–3 seeds at the quick scale, before the 10-seed run): (1) the first preset
 * (SFT 150 steps, lr 3e-3) started at ≈ 5% accuracy, so SFT became 250 steps at lr 1e-2 (30–40% start); (2)
 * with levels {0.1, 0.3, …, 0.9} a wrong answer's best parsable reward is −0.01 < 0 = the paper's unparsable
 * reward, and RLCR runs dropped the answer format ("|" and the confidence token) — parse rate → 0, accuracy → 0.
 * The levels became {0, 0.25, …, 1} (so q = 0 is available, as in the paper's q ∈ [0, 1]); format dropping
 * still occurred in one of three seeds, so the main "rlcr" arm scores an unparsable response −1 (the worst
 * parsable outcome, a format penalty the paper does not use), and the paper's rule is kept as the
 * "rlcr-paper" arm with its own claim rows. One dev run used RL lr 5e-4; the preset keeps the original 1e-3.
 * Rerun e.g. with `config: {levels: [0.1, 0.3, 0.5, 0.7, 0.9]}` to see the original setting.
 */
import { ConfigError } from "../lib/core/validate.ts";
import { auroc, brierScore, expectedCalibrationError } from "../lib/estimators/calibration.ts";
import type { RunLog } from "../lib/log/runlog.ts";
import { TinyTransformer } from "../lib/policies/transformer.ts";
import { rlcrReward } from "../lib/rewards/rlcr.ts";
import { ConfidenceAdditionTask } from "../lib/tasks/confidence.ts";
import { makeDataset } from "../lib/tasks/dataset.ts";
import type { Problem } from "../lib/tasks/types.ts";
import { sft } from "../lib/train/sft.ts";
import { RLVRTrainer } from "../lib/train/trainer.ts";
import type { SequencePolicy } from "../lib/train/rollouts.ts";
import { reliabilityChart } from "../lib/viz/charts.ts";
import {
  type BaseConfig,
  type ChartEntry,
  type ClaimRow,
  directionalClaim,
  iqmWithCI,
  logConfig,
  type Reproduction,
  type Row,
  type SeedContext,
  selectRows,
} from "./harness.ts";
import { bandChart, whiskerChart } from "./charts.ts";

/** RLCR reproduction config. */
export interface RlcrConfig extends BaseConfig {
  /** Largest operand digit count (problems mix 1 … maxDigits digits). */
  maxDigits: number;
  /** Confidence levels (one token each). */
  levels: number[];
  /** Weights of the levels in the SFT reference solutions (the start's stated confidence). */
  referenceWeights: number[];
  /** TinyTransformer width d. */
  dModel: number;
  /** TinyTransformer blocks. */
  nLayers: number;
  /** Attention heads. */
  nHeads: number;
  /** SFT steps of the warm start. */
  sftSteps: number;
  /** SFT batch size. */
  sftBatchSize: number;
  /** SFT learning rate. */
  sftLr: number;
  /** RL steps per arm. */
  rlSteps: number;
  /** Problems per RL step. */
  batchSize: number;
  /** Rollouts per problem (GRPO group). */
  groupSize: number;
  /** RL learning rate. */
  lr: number;
  /** Held-out problems per seed. */
  evalProblems: number;
  /** Sampled responses per held-out problem (temperature 1). */
  evalSamples: number;
  /** Log a training-curve point every this many RL steps. */
  curveEvery: number;
  /** Non-inferiority margin δ for "no loss of accuracy" (absolute accuracy). */
  accuracyMargin: number;
  /** RLCR reward of a response without a parsable confidence in the "rlcr" arm ("rlcr-paper" uses 0). */
  unparsableReward: number;
}

/** Evaluated policies: the SFT start and the two RL arms. */
export const RLCR_ARMS = ["start", "binary", "rlcr", "rlcr-paper"] as const;
/** One evaluated policy. */
export type RlcrArm = typeof RLCR_ARMS[number];
/**
 * The RL arms (rewards): binary 1[correct]; rlcr = RLCR with an unparsable confidence scored
 * `unparsableReward` (−1: the worst parsable outcome); rlcr-paper = RLCR with the paper's unparsable → 0.
 */
export const RLCR_REWARDS = ["binary", "rlcr", "rlcr-paper"] as const;

const COMMON = {
  baseSeed: 2507,
  maxDigits: 2,
  levels: [0, 0.25, 0.5, 0.75, 1],
  referenceWeights: [1, 1, 2, 4, 12],
  nHeads: 2,
  sftBatchSize: 32,
  sftLr: 1e-2,
  groupSize: 8,
  lr: 1e-3,
  evalSamples: 4,
  accuracyMargin: 0.05,
  unparsableReward: -1,
};

function checkConfig(c: RlcrConfig): void {
  for (
    const k of [
      "maxDigits",
      "dModel",
      "nLayers",
      "nHeads",
      "sftBatchSize",
      "rlSteps",
      "batchSize",
      "groupSize",
      "evalProblems",
      "evalSamples",
      "curveEvery",
    ] as const
  ) {
    if (!Number.isInteger(c[k]) || c[k] < 1) {
      throw new ConfigError(`rlcr.${k}`, "must be an integer ≥ 1", c[k]);
    }
  }
  if (!Number.isInteger(c.sftSteps) || c.sftSteps < 0) {
    throw new ConfigError("rlcr.sftSteps", "must be an integer ≥ 0", c.sftSteps);
  }
  if (c.groupSize < 2) throw new ConfigError("rlcr.groupSize", "must be ≥ 2 (GRPO)", c.groupSize);
  for (const k of ["sftLr", "lr", "accuracyMargin"] as const) {
    if (!Number.isFinite(c[k]) || c[k] <= 0) throw new ConfigError(`rlcr.${k}`, "must be a number > 0", c[k]);
  }
  if (!Number.isFinite(c.unparsableReward)) {
    throw new ConfigError("rlcr.unparsableReward", "must be a finite number", c.unparsableReward);
  }
}

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

/** Calibration metrics of a set of (confidence, correct) samples; confidence null = unparsable. */
export interface CalibrationSummary {
  /** Fraction correct over all samples. */
  accuracy: number;
  /** Fraction of samples with a parsable confidence. */
  parseRate: number;
  /** Mean stated confidence (parsable samples). */
  meanConfidence: number;
  /** ECE with 10 equal bins (parsable samples). */
  ece: number;
  /** Brier score (parsable samples). */
  brier: number;
  /** AUROC of confidence for correctness (NaN when one class is absent). */
  auroc: number;
}

/** Accuracy over all samples; ECE (10 bins), Brier, AUROC and mean confidence over the parsable ones. */
export function calibrationSummary(
  conf: readonly (number | null)[],
  correct: readonly number[],
): CalibrationSummary {
  if (conf.length !== correct.length || conf.length === 0) {
    throw new ConfigError("conf", "must be non-empty and as long as correct", conf.length);
  }
  const q: number[] = [];
  const y: number[] = [];
  conf.forEach((c, i) => {
    if (c !== null) {
      q.push(c);
      y.push(correct[i]);
    }
  });
  const accuracy = correct.reduce((a, b) => a + b, 0) / correct.length;
  if (q.length === 0) {
    return { accuracy, parseRate: 0, meanConfidence: NaN, ece: NaN, brier: NaN, auroc: NaN };
  }
  const pos = y.reduce((a, b) => a + b, 0);
  return {
    accuracy,
    parseRate: q.length / conf.length,
    meanConfidence: q.reduce((a, b) => a + b, 0) / q.length,
    ece: expectedCalibrationError(q, y, { bins: 10 }),
    brier: brierScore(q, y),
    auroc: pos > 0 && pos < y.length ? auroc(q, y) : NaN,
  };
}

/** Sample `samples` responses per problem at temperature 1; the stated confidences and correctness. */
async function sampleEval(
  policy: SequencePolicy,
  task: ConfidenceAdditionTask,
  held: readonly Problem[],
  samples: number,
  seed: number,
): Promise<{ conf: (number | null)[]; correct: number[]; digits: number[] }> {
  const prompts: number[][] = [];
  const problems: Problem[] = [];
  for (const p of held) {
    for (let s = 0; s < samples; s++) {
      prompts.push(p.prompt);
      problems.push(p);
    }
  }
  const maxTokens = policy.config.contextLength - Math.max(...prompts.map((p) => p.length));
  const out = await policy.sample(prompts, { maxTokens, seed, temperature: 1, eos: task.vocab.eos });
  return {
    conf: out.responses.map((y) => task.confidence(y)),
    correct: out.responses.map((y, i) => task.verify(problems[i], y)),
    digits: problems.map((p) => p.difficulty),
  };
}

/** Eval rows of one arm: the summary row and per (digits, level) cells for the reliability diagram. */
function evalRows(
  arm: RlcrArm,
  e: { conf: (number | null)[]; correct: number[]; digits: number[] },
  levels: readonly number[],
): Row[] {
  const s = calibrationSummary(e.conf, e.correct);
  // RunLog rejects NaN: undefined metrics (no parsable confidence, one class only) are logged as null.
  const finite = Object.fromEntries(Object.entries(s).map(([k, v]) => [k, Number.isFinite(v) ? v : null]));
  const rows: Row[] = [{ kind: "eval", arm, ...finite } as Row];
  const ds = [...new Set(e.digits)].sort((a, b) => a - b);
  for (const d of ds) {
    for (const q of [...levels, -1]) { // -1: unparsable
      let n = 0;
      let k = 0;
      e.conf.forEach((c, i) => {
        if (e.digits[i] === d && (c ?? -1) === q) {
          n++;
          k += e.correct[i];
        }
      });
      if (n > 0) rows.push({ kind: "cell", arm, digits: d, confidence: q, n, correct: k });
    }
  }
  return rows;
}

async function runSeed(c: RlcrConfig, ctx: SeedContext): Promise<Row[]> {
  const rows: Row[] = [];
  const task = rlcrTask(c);
  const seeds = (i: number) => ctx.rng.split(i).seed >>> 0;
  const held = makeDataset(task, c.evalProblems, seeds(0));
  const policy = new TinyTransformer({
    vocabSize: task.vocab.size,
    contextLength: task.maxSequenceLength,
    dModel: c.dModel,
    nLayers: c.nLayers,
    nHeads: c.nHeads,
    seed: seeds(1),
  });
  try {
    await sft(policy, task, {
      steps: c.sftSteps,
      batchSize: c.sftBatchSize,
      lr: c.sftLr,
      seed: seeds(2),
      exclude: held,
    });
    ctx.tick(1, { phase: 0 });
    const evalSeed = seeds(3); // same sampler seed for every arm's evaluation
    rows.push(...evalRows("start", await sampleEval(policy, task, held, c.evalSamples, evalSeed), c.levels));
    for (const arm of RLCR_REWARDS) {
      const p = await policy.clone();
      // Stated confidences of the step's rollouts, recorded by the reward function (both arms).
      let qs: (number | null)[] = [];
      const reward = (problem: Problem, y: readonly number[]) => {
        const q = task.confidence(y);
        qs.push(q);
        const correct = task.verify(problem, y);
        if (arm === "binary") return correct;
        return rlcrReward(correct, q, { unparsableReward: arm === "rlcr" ? c.unparsableReward : 0 });
      };
      const trainer = new RLVRTrainer({
        policy: p,
        task,
        reward,
        exclude: held,
        config: {
          seed: seeds(4), // common random numbers across arms
          batchSize: c.batchSize,
          groupSize: c.groupSize,
          lr: c.lr,
        },
      });
      try {
        let sums = { reward: 0, accuracy: 0, conf: 0, parsed: 0, n: 0 };
        for (let s = 1; s <= c.rlSteps; s++) {
          qs = [];
          const r = await trainer.trainStep();
          const parsed = qs.filter((q): q is number => q !== null);
          sums.reward += Number(r.reward);
          sums.accuracy += Number(r.accuracy);
          sums.conf += parsed.length ? parsed.reduce((a, b) => a + b, 0) / parsed.length : 0;
          sums.parsed += parsed.length / Math.max(1, qs.length);
          sums.n++;
          if (s % c.curveEvery === 0 || s === c.rlSteps) {
            rows.push({
              kind: "curve",
              arm,
              step: s,
              reward: sums.reward / sums.n,
              accuracy: sums.accuracy / sums.n,
              meanConfidence: sums.conf / sums.n,
              parseRate: sums.parsed / sums.n,
            });
            sums = { reward: 0, accuracy: 0, conf: 0, parsed: 0, n: 0 };
          }
        }
        rows.push(...evalRows(arm, await sampleEval(p, task, held, c.evalSamples, evalSeed), c.levels));
      } finally {
        trainer.dispose();
        p.dispose();
      }
      ctx.tick(1, { phase: RLCR_REWARDS.indexOf(arm) + 1 });
    }
  } finally {
    policy.dispose();
  }
  return rows;
}

/** Per-seed metric of one arm (seed order). */
function metric(log: RunLog, arm: RlcrArm, field: keyof CalibrationSummary): Map<number, number> {
  const out = new Map<number, number>();
  for (const r of selectRows(log, { kind: "eval", arm })) {
    const v = r[field] as number | null;
    out.set(Number(r.seed), v === null ? NaN : Number(v));
  }
  return out;
}

/** Paired per-seed differences a − b of a metric (seeds where both are finite). */
export function rlcrPairedDifferences(
  log: RunLog,
  a: RlcrArm,
  b: RlcrArm,
  field: keyof CalibrationSummary,
): number[] {
  const x = metric(log, a, field);
  const y = metric(log, b, field);
  const out: number[] = [];
  for (const [seed, v] of [...x.entries()].sort((p, q) => p[0] - q[0])) {
    const w = y.get(seed);
    if (w !== undefined && Number.isFinite(v) && Number.isFinite(w)) out.push(v - w);
  }
  return out;
}

/** Claims table of an RLCR run; every rule below was fixed before the first run. */
export function checkRlcrClaims(log: RunLog): ClaimRow[] {
  const c = logConfig<RlcrConfig>(log);
  const stat = (what: string) => `per-seed paired difference of held-out ${what}, IQM over seeds`;
  const d = (a: RlcrArm, b: RlcrArm, f: keyof CalibrationSummary) => rlcrPairedDifferences(log, a, b, f);
  const m = c.accuracyMargin;
  const nonInferior = (arm: RlcrArm, label: string, seed: number): ClaimRow =>
    directionalClaim(
      `${label} loses no accuracy vs binary RL (non-inferiority: ${arm} − binary > −${m})`,
      "equal accuracy (HotpotQA 62.1 vs 63.0)",
      [d(arm, "binary", "accuracy")],
      "greater",
      { threshold: -m, statistic: stat("accuracy (all samples)"), seed },
    );
  const u = c.unparsableReward;
  return [
    directionalClaim(
      `RLCR (unparsable → ${u}) has lower ECE than binary-reward RL (RLCR − binary < 0)`,
      "HotpotQA ECE 0.37 → 0.03; math 0.26 → 0.10",
      [d("rlcr", "binary", "ece")],
      "less",
      { statistic: stat("ECE (10 bins, parsable samples)"), seed: 31 },
    ),
    directionalClaim(
      "RLCR lowers ECE relative to the SFT start (RLCR − start < 0)",
      "calibration improves sharply",
      [d("rlcr", "start", "ece")],
      "less",
      { statistic: stat("ECE (10 bins, parsable samples)"), seed: 32 },
    ),
    nonInferior("rlcr", "RLCR", 33),
    directionalClaim(
      "Binary-reward RL degrades calibration vs the SFT start (binary − start ECE > 0)",
      "RLVR degrades calibration",
      [d("binary", "start", "ece")],
      "greater",
      { statistic: stat("ECE (10 bins, parsable samples)"), seed: 34 },
    ),
    directionalClaim(
      "RLCR's Brier score is lower than binary RL's (RLCR − binary < 0)",
      "Brier improves (reported metric)",
      [d("rlcr", "binary", "brier")],
      "less",
      { statistic: stat("Brier score (parsable samples)"), seed: 35 },
    ),
    directionalClaim(
      "RLCR's confidence separates right from wrong answers better than binary RL's (AUROC RLCR − binary > 0)",
      "AUROC improves (reported metric)",
      [d("rlcr", "binary", "auroc")],
      "greater",
      { statistic: stat("AUROC (parsable samples)"), seed: 36 },
    ),
    directionalClaim(
      "RLCR with the paper's unparsable → 0 rule has lower ECE than binary RL (rlcr-paper − binary < 0)",
      "HotpotQA ECE 0.37 → 0.03; math 0.26 → 0.10",
      [d("rlcr-paper", "binary", "ece")],
      "less",
      { statistic: stat("ECE (10 bins, parsable samples)"), seed: 37 },
    ),
    nonInferior("rlcr-paper", "RLCR with the paper's unparsable → 0 rule", 38),
  ];
}

/** Per-sample records (confidence, correct, arm[, digits]) expanded from the logged cells. */
export function reliabilityRecords(log: RunLog, byDigits = false): Row[] {
  const out: Row[] = [];
  for (const r of selectRows(log, { kind: "cell" })) {
    if (Number(r.confidence) < 0) continue; // unparsable: no confidence to plot
    const arm = byDigits ? `${r.arm}, ${r.digits}-digit` : String(r.arm);
    for (let i = 0; i < Number(r.n); i++) {
      out.push({ arm, confidence: Number(r.confidence), correct: i < Number(r.correct) ? 1 : 0 });
    }
  }
  return out;
}

/** RLCR charts: reliability diagram per arm, metrics per arm, stated confidence and accuracy over RL steps. */
export function rlcrCharts(log: RunLog): ChartEntry[] {
  const whiskers = (["accuracy", "parseRate", "ece", "brier", "auroc"] as const).flatMap((f) =>
    RLCR_ARMS.map((arm) => {
      const v = [...metric(log, arm, f).values()].filter(Number.isFinite);
      const e = v.length ? iqmWithCI([v], 40, 1000) : { estimate: NaN, ci: [NaN, NaN] };
      return { label: `${f} · ${arm}`, group: arm, estimate: e.estimate, lo: e.ci[0], hi: e.ci[1] };
    })
  );
  const curve = selectRows(log, { kind: "curve" });
  return [
    {
      name: "reliability",
      chart: reliabilityChart(reliabilityRecords(log), {
        bins: 10,
        title: "Held-out reliability diagram, pooled over seeds (start = SFT)",
      }),
    },
    {
      name: "reliability_by_digits",
      chart: reliabilityChart(reliabilityRecords(log, true), {
        bins: 10,
        title: "Reliability by operand digits (does the stated confidence track problem difficulty?)",
      }),
    },
    {
      name: "metrics",
      chart: whiskerChart(whiskers, {
        title: "Held-out accuracy, parse rate, ECE, Brier, AUROC per arm (IQM over seeds, 95% bootstrap CI)",
        xTitle: "value",
      }),
    },
    {
      name: "confidence_curve",
      chart: bandChart(curve, { x: "step", y: "meanConfidence", series: "arm" }, {
        title: "Mean stated confidence of training rollouts (mean ± 95% CI over seeds)",
        xTitle: "RL step",
        yTitle: "mean confidence q",
      }),
    },
    {
      name: "accuracy_curve",
      chart: bandChart(curve, { x: "step", y: "accuracy", series: "arm" }, {
        title: "Training-rollout accuracy (mean ± 95% CI over seeds)",
        xTitle: "RL step",
        yTitle: "accuracy",
      }),
    },
  ];
}

/** The RLCR reproduction (arXiv 2507.16806): binary vs Brier-augmented reward on confidence addition. */
export const rlcr: Reproduction<RlcrConfig> = {
  name: "rlcr",
  title: "RLCR: calibration rewards",
  paper: "2507.16806",
  usesTensors: true,
  presets: {
    smoke: {
      ...COMMON,
      seeds: 2,
      dModel: 16,
      nLayers: 1,
      sftSteps: 20,
      rlSteps: 4,
      batchSize: 4,
      evalProblems: 16,
      curveEvery: 2,
    },
    quick: {
      ...COMMON,
      seeds: 10,
      dModel: 32,
      nLayers: 1,
      sftSteps: 250,
      rlSteps: 80,
      batchSize: 8,
      evalProblems: 128,
      curveEvery: 10,
    },
    full: {
      ...COMMON,
      seeds: 20,
      dModel: 64,
      nLayers: 2,
      nHeads: 4,
      sftSteps: 600,
      sftLr: 3e-3,
      rlSteps: 300,
      batchSize: 16,
      evalProblems: 256,
      evalSamples: 8,
      curveEvery: 20,
    },
  },
  validate: checkConfig,
  unitsPerSeed: () => 1 + RLCR_REWARDS.length,
  runSeed: (config, ctx) => runSeed(config, ctx),
  checkClaims: checkRlcrClaims,
  charts: rlcrCharts,
};
