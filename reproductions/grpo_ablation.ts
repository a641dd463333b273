/**
 * GRPO-family ablation (Dr.GRPO arXiv 2503.20783, DAPO arXiv 2503.14476, Lite PPO arXiv 2508.08221) with a
 * TinyTransformer trained by `RLVRTrainer` on free-length addition (`FreeLengthAdditionTask`: the answer, then
 * any number of free tokens, then eos; only the answer is verified). Per seed: a supervised warm start (random
 * 0–`maxFiller` free tokens in the references, so lengths vary), then from the same weights and the same
 * trainer seed (common random numbers) one RL run per arm:
 *
 *   grpo             GRPO advantages, "seq-mean-token-mean" (per-response 1/|o|)
 *   dr-grpo          Dr.GRPO advantages r − mean, "seq-mean-token-sum-norm" (constant L_max)
 *   dapo-token-mean  GRPO advantages, "token-mean" (DAPO's 1/Σ|o|)
 *   clip-symmetric   token-mean, `clipEpochs` PPO epochs per batch, ε_low = ε_high = 0.2
 *   clip-higher      the same with ε_high = `epsHigh` (DAPO: 0.28)
 *
 * Claims: (a) length bias — GRPO's 1/|o| makes incorrect responses longer than Dr.GRPO / token-mean do;
 * (b) difficulty bias — dividing by the group std σ̂ = √(p̂(1−p̂)) scales a group's update by 1/σ̂, so its
 * total weight Σ|Â| = 2G·√(p̂(1−p̂)) instead of Dr.GRPO's 2G·p̂(1−p̂) (binary rewards, population std): measured
 * as real per-question gradient norms of the warm-started transformer through `policyGradientLoss`;
 * (c) clip-higher keeps the token entropy higher than the symmetric clip.
 * Clipping only acts when the ratio leaves 1, i.e. from the second PPO epoch on a batch, hence `clipEpochs`.
 *
 * Disclosure: the quick preset's `sftSteps` was raised from 400 to 600 after the first quick run, where 6 of 10
 * warm starts had not yet learned addition (greedy accuracy 6–22%). That run's (a) rows were inconclusive
 * (−0.05 [−0.57, 0.71], −0.44 [−1.04, 0.37], 0.03 [−0.03, 0.07]), (b) reproduced, (c) inconclusive
 * (−0.004 [−0.044, 0.027]); with 600 steps the first two (a) rows turned "not reproduced". `clipEpochs: 2` was
 * fixed before any run (time budget); a sensitivity rerun with 4 epochs left (c) inconclusive, and one with 240
 * RL steps (GRPO vs Dr.GRPO) left (a) as it is (GRPO shorter overall, no incorrect − correct gap). Run with
 * `config: {sftSteps: 400}` to see the original setting.
 */
import { tf } from "../lib/core/tf.ts";
import type { Tensor2D } from "../lib/core/tf.ts";
import { ConfigError } from "../lib/core/validate.ts";
import type { Curriculum, CurriculumBatch, CurriculumContext } from "../lib/curricula/types.ts";
import { drGrpoAdvantages, grpoAdvantages, litePpoAdvantages } from "../lib/estimators/advantages.ts";
import type { RunLog } from "../lib/log/runlog.ts";
import { policyGradientLoss } from "../lib/objectives/policy_gradient.ts";
import { TinyTransformer } from "../lib/policies/transformer.ts";
import type { TrainerConfig } from "../lib/train/config.ts";
import { evaluate, packSequences } from "../lib/train/rollouts.ts";
import { sft } from "../lib/train/sft.ts";
import { RLVRTrainer } from "../lib/train/trainer.ts";
import { UniformSampling } from "../lib/train/uniform.ts";
import type { Problem } from "../lib/tasks/types.ts";
import {
  type BaseConfig,
  type ChartEntry,
  type ClaimRow,
  directionalClaim,
  iqmWithCI,
  logConfig,
  rangeVerdict,
  type Reproduction,
  type Row,
  type SeedContext,
  selectRows,
} from "./harness.ts";
import { bandChart } from "./charts.ts";
import { FreeLengthAdditionTask } from "./grpo_ablation_task.ts";

/** GRPO-ablation config. */
export interface GrpoAblationConfig extends BaseConfig {
  /** Digits per operand. */
  digits: number;
  /** Most filler tokens in a warm-start reference (uniform 0…maxFiller). */
  maxFiller: number;
  /** Most free tokens after the answer a response may have (sizes the context). */
  maxFree: number;
  /** TinyTransformer width. */
  dModel: number;
  /** TinyTransformer blocks. */
  nLayers: number;
  /** Attention heads. */
  nHeads: number;
  /** Supervised warm-start steps. */
  sftSteps: number;
  /** Warm-start batch size. */
  sftBatchSize: number;
  /** Warm-start learning rate. */
  sftLr: number;
  /** RL steps per arm. */
  steps: number;
  /** Problems per RL step (B). */
  batchSize: number;
  /** Rollouts per problem (G). */
  groupSize: number;
  /** RL Adam learning rate. */
  lr: number;
  /** PPO epochs per batch of the two clip arms (≥ 2 so the ratio leaves 1). */
  clipEpochs: number;
  /** ε_high of the clip-higher arm (DAPO 0.28; the symmetric arm uses 0.2). */
  epsHigh: number;
  /** Questions per seed in the difficulty-bias probe (b). */
  probeQuestions: number;
  /** Curve window (steps). */
  curveEvery: number;
  /** Arms to train (default all; claims needing a missing arm come out inconclusive with n = 0). */
  arms: GrpoAblationArm[];
}

/** Arms of the training experiments (module doc). */
export const GRPO_ABLATION_ARMS = [
  "grpo",
  "dr-grpo",
  "dapo-token-mean",
  "clip-symmetric",
  "clip-higher",
] as const;
/** An arm name. */
export type GrpoAblationArm = typeof GRPO_ABLATION_ARMS[number];
/** The length-bias arms (one PPO epoch). */
export const LENGTH_ARMS: readonly GrpoAblationArm[] = ["grpo", "dr-grpo", "dapo-token-mean"];
/** Estimators of the difficulty-bias probe. */
export const PROBE_ESTIMATORS = ["grpo", "dr-grpo", "lite-ppo"] as const;

/** Trainer settings of an arm (everything else from the config). */
export function armTrainerConfig(arm: GrpoAblationArm, c: GrpoAblationConfig): Partial<TrainerConfig> {
  switch (arm) {
    case "grpo":
      return { estimator: "grpo", aggregation: "seq-mean-token-mean" };
    case "dr-grpo":
      return { estimator: "dr-grpo", aggregation: "seq-mean-token-sum-norm" };
    case "dapo-token-mean":
      return { estimator: "grpo", aggregation: "token-mean" };
    case "clip-symmetric":
      return { estimator: "grpo", aggregation: "token-mean", ppoEpochs: c.clipEpochs, epsHigh: 0.2 };
    case "clip-higher":
      return { estimator: "grpo", aggregation: "token-mean", ppoEpochs: c.clipEpochs, epsHigh: c.epsHigh };
    default:
      throw new ConfigError("arm", `must be one of ${GRPO_ABLATION_ARMS.join(", ")}`, arm);
  }
}

function checkConfig(c: GrpoAblationConfig): void {
  const ints = [
    "digits",
    "maxFiller",
    "maxFree",
    "dModel",
    "nLayers",
    "nHeads",
    "sftSteps",
    "sftBatchSize",
    "steps",
    "batchSize",
    "groupSize",
    "clipEpochs",
    "probeQuestions",
    "curveEvery",
  ] as const;
  for (const k of ints) {
    const min = k === "sftSteps" || k === "maxFiller" || k === "nLayers" ? 0 : k === "groupSize" ? 2 : 1;
    if (!Number.isInteger(c[k]) || c[k] < min) {
      throw new ConfigError(`grpo-ablation.${k}`, `must be an integer ≥ ${min}`, c[k]);
    }
  }
  if (c.clipEpochs < 2) {
    throw new ConfigError("grpo-ablation.clipEpochs", "must be ≥ 2 (one epoch never clips)", c.clipEpochs);
  }
  if (!(c.epsHigh >= 0.2)) throw new ConfigError("grpo-ablation.epsHigh", "must be ≥ 0.2", c.epsHigh);
  if (
    !Array.isArray(c.arms) || c.arms.length === 0 || new Set(c.arms).size !== c.arms.length ||
    c.arms.some((a) => !GRPO_ABLATION_ARMS.includes(a))
  ) {
    throw new ConfigError(
      "grpo-ablation.arms",
      `must be a non-empty list of distinct arms from ${GRPO_ABLATION_ARMS.join(", ")}`,
      c.arms,
    );
  }
}

/** Per-step length statistics, split by correctness (the trainer logs only the overall mean). */
class LengthRecorder implements Curriculum {
  readonly name = "uniform";
  state: unknown = null;
  private readonly inner = new UniformSampling();
  /** Per step: [Σ incorrect lengths, #incorrect, Σ correct lengths, #correct]. */
  readonly steps: number[][] = [];

  async nextBatch(ctx: CurriculumContext): Promise<CurriculumBatch> {
    const b = await this.inner.nextBatch(ctx);
    const s = [0, 0, 0, 0];
    for (const g of b.groups) {
      g.responses.forEach((y, i) => {
        const ok = (g.correct ?? g.rewards)[i] > 0;
        s[ok ? 2 : 0] += y.length;
        s[ok ? 3 : 1] += 1;
      });
    }
    this.steps.push(s);
    return b;
  }
}

function sum(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s;
}

/** Pooled window statistics of steps [from, to). */
function windowStats(rec: LengthRecorder, rows: Row[], from: number, to: number): Row {
  const s = [0, 0, 0, 0];
  for (let t = from; t < to; t++) rec.steps[t].forEach((v, j) => (s[j] += v));
  const sel = rows.slice(from, to);
  const out: Row = {
    entropy: sum(sel.map((r) => Number(r.entropy))) / sel.length,
    accuracy: (s[3]) / (s[1] + s[3]),
    clipFraction: sum(sel.map((r) => Number(r.clipFraction))) / sel.length,
    length: (s[0] + s[2]) / (s[1] + s[3]),
  };
  if (s[1] > 0) out.incorrectLength = s[0] / s[1];
  if (s[3] > 0) out.correctLength = s[2] / s[3];
  return out;
}

function makePolicy(task: FreeLengthAdditionTask, c: GrpoAblationConfig, seed: number): TinyTransformer {
  return new TinyTransformer({
    vocabSize: task.vocab.size,
    contextLength: task.maxSequenceLength,
    dModel: c.dModel,
    nLayers: c.nLayers,
    nHeads: c.nHeads,
    seed,
  });
}

/** Global L2 norm of a list of gradient tensors. */
async function globalNorm(grads: tf.Tensor[]): Promise<number> {
  const sq = tf.tidy(() => tf.addN(grads.map((g) => tf.sum(tf.square(g)))));
  const v = (await sq.data())[0];
  sq.dispose();
  return Math.sqrt(v);
}

/**
 * Probe (b): for each question, G sampled rollouts of the current policy, advantages from each estimator, and
 * the global norm of ∇θ of `policyGradientLoss` ("seq-mean-token-sum-norm" for every estimator, so only the
 * advantage normalisation differs) on that question's group alone; also Σ|Â|/G, the group's weight.
 */
export async function difficultyProbe(
  policy: TinyTransformer,
  task: FreeLengthAdditionTask,
  problems: readonly Problem[],
  groupSize: number,
  seed: number,
): Promise<Row[]> {
  const G = groupSize;
  const prompts = problems.flatMap((p) => Array.from({ length: G }, () => p.prompt));
  const maxTokens = policy.config.contextLength - Math.max(...prompts.map((p) => p.length));
  const { responses } = await policy.sample(prompts, { maxTokens, seed, eos: task.vocab.eos });
  const rewards = responses.map((y, i) => task.verify(problems[Math.floor(i / G)], y));
  const adv: Record<string, number[]> = {
    "grpo": grpoAdvantages(rewards, G),
    "dr-grpo": drGrpoAdvantages(rewards, G),
    "lite-ppo": litePpoAdvantages(rewards, G),
  };
  const rows: Row[] = [];
  for (let q = 0; q < problems.length; q++) {
    const idx = Array.from({ length: G }, (_, i) => q * G + i);
    const pHat = sum(idx.map((i) => rewards[i])) / G;
    const row: Row = { kind: "probe", question: q, pHat };
    const b = packSequences(
      idx.map((i) => prompts[i]),
      idx.map((i) => responses[i]),
      idx.map(() => 0),
      task.vocab.pad,
    );
    const tokens = tf.tensor2d(b.tokens, [b.N, b.L], "int32") as Tensor2D;
    const valid = tf.tensor2d(b.valid, [b.N, b.L]) as Tensor2D;
    const mask = tf.tensor2d(b.mask, [b.N, b.L - 1]);
    for (const e of PROBE_ESTIMATORS) {
      const a = idx.map((i) => adv[e][i]);
      row[`weight.${e}`] = sum(a.map(Math.abs)) / G;
      if (pHat === 0 || pHat === 1) {
        row[`norm.${e}`] = 0;
        continue;
      }
      const advT = tf.tensor1d(a);
      const { value, grads } = tf.variableGrads(() => {
        const { logProbs } = policy.tokenLogProbs(tokens, valid);
        const out = policyGradientLoss({ logProbs, oldLogProbs: logProbs, advantages: advT, mask }, {
          aggregation: "seq-mean-token-sum-norm",
          maxLength: task.maxSequenceLength,
        });
        tf.dispose([out.clipFraction, out.kl, out.entropy]);
        return out.loss as tf.Scalar;
      }, policy.variables);
      const list = policy.variables.map((v) => grads[v.name]);
      row[`norm.${e}`] = await globalNorm(list);
      tf.dispose([value, advT, ...list]);
    }
    tf.dispose([tokens, valid, mask]);
    rows.push(row);
  }
  return rows;
}

async function runSeed(c: GrpoAblationConfig, ctx: SeedContext): Promise<Row[]> {
  const task = new FreeLengthAdditionTask({ digits: c.digits, maxFiller: c.maxFiller, maxFree: c.maxFree });
  const policy = makePolicy(task, c, ctx.rng.split(0).seed);
  const rows: Row[] = [];
  try {
    const warm = await sft(policy, task, {
      steps: c.sftSteps,
      batchSize: c.sftBatchSize,
      lr: c.sftLr,
      seed: ctx.rng.split(1).seed,
    });
    const evalRng = ctx.rng.split(2);
    const evalSet = Array.from({ length: 64 }, () => task.sample(evalRng));
    const greedy = await evaluate(policy, task, evalSet, 64);
    rows.push({
      kind: "sft",
      greedyAccuracy: greedy.accuracy,
      greedyLength: greedy.meanResponseLength,
      loss: warm.losses.at(-1) ?? NaN,
    });
    ctx.tick(1, { sft: greedy.accuracy });
    const probeRng = ctx.rng.split(3);
    const probeSet = Array.from({ length: c.probeQuestions }, () => task.sample(probeRng));
    rows.push(...await difficultyProbe(policy, task, probeSet, c.groupSize, probeRng.tfSeed()));
    ctx.tick(1);
    const weights = await policy.getWeights();
    const trainerSeed = ctx.rng.split(4).seed;
    const late = Math.max(1, Math.floor(c.steps / 4));
    for (const arm of c.arms) {
      policy.setWeights(weights);
      const rec = new LengthRecorder();
      const trainer = new RLVRTrainer({
        policy,
        task,
        curriculum: rec,
        config: {
          seed: trainerSeed,
          batchSize: c.batchSize,
          groupSize: c.groupSize,
          lr: c.lr,
          ...armTrainerConfig(arm, c),
        },
      });
      try {
        await trainer.train(c.steps);
      } finally {
        trainer.dispose();
      }
      const steps = trainer.runLog.rows as Row[];
      for (let t = 0; t < c.steps; t += c.curveEvery) {
        const to = Math.min(c.steps, t + c.curveEvery);
        rows.push({ kind: "curve", arm, step: to, ...windowStats(rec, steps, t, to) });
      }
      rows.push({
        kind: "arm",
        arm,
        ...prefixed("early.", windowStats(rec, steps, 0, late)),
        ...prefixed("late.", windowStats(rec, steps, c.steps - late, c.steps)),
      });
      ctx.tick(1, { [arm]: 1 });
    }
  } finally {
    policy.dispose();
  }
  return rows;
}

function prefixed(prefix: string, r: Row): Row {
  return Object.fromEntries(Object.entries(r).map(([k, v]) => [prefix + k, v]));
}

/** Per-seed values f(rows of that seed) as one stratum; seeds where f is not finite are dropped. */
function perSeed(log: RunLog, kind: string, f: (rows: Row[]) => number): number[][] {
  const c = logConfig<GrpoAblationConfig>(log);
  const rows = selectRows(log, { kind });
  const out: number[] = [];
  for (let s = 0; s < c.seeds; s++) {
    const v = f(rows.filter((r) => r.seed === s));
    if (Number.isFinite(v)) out.push(v);
  }
  return [out];
}

function armValue(rows: Row[], arm: string, field: string): number {
  const r = rows.find((x) => x.arm === arm);
  return r && field in r && r[field] !== null ? Number(r[field]) : NaN;
}

/** OLS slope of y on x. */
export function olsSlope(x: readonly number[], y: readonly number[]): number {
  const n = x.length;
  if (n < 2) return NaN;
  const mx = sum(x) / n;
  const my = sum(y) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
  }
  return sxx > 0 ? sxy / sxx : NaN;
}

/** Slope of log(norm_e / norm_dr-grpo) on log(p̂(1 − p̂)) over a seed's mixed questions (0 < p̂ < 1). */
function probeSlope(rows: Row[], e: string): number {
  const mixed = rows.filter((r) => Number(r.pHat) > 0 && Number(r.pHat) < 1);
  const x = mixed.map((r) => Math.log(Number(r.pHat) * (1 - Number(r.pHat))));
  const y = mixed.map((r) => Math.log(Number(r[`norm.${e}`]) / Number(r["norm.dr-grpo"])));
  return olsSlope(x, y);
}

/** Share of a seed's total update norm that goes to extreme questions (p̂ ≤ 1/4 or ≥ 3/4, mixed only). */
function extremeShare(rows: Row[], e: string): number {
  const total = sum(rows.map((r) => Number(r[`norm.${e}`])));
  const ext = sum(
    rows.filter((r) => Number(r.pHat) <= 0.25 || Number(r.pHat) >= 0.75).map((r) => Number(r[`norm.${e}`])),
  );
  return total > 0 ? ext / total : NaN;
}

/** Fewer seeds than this make every claim "inconclusive" (underpowered; e.g. the smoke preset). */
export const MIN_SEEDS_FOR_VERDICT = 5;

/**
 * `make()` unless the scores have no finite value (then an inconclusive row saying so, e.g. no mixed groups);
 * with fewer than `MIN_SEEDS_FOR_VERDICT` seeds the row is kept but its verdict is "inconclusive".
 */
function guarded(scores: number[][], claim: string, paper: string, make: () => ClaimRow): ClaimRow {
  if (scores[0].length >= MIN_SEEDS_FOR_VERDICT) return make();
  if (scores[0].length > 0) {
    const row = make();
    return {
      ...row,
      verdict: "inconclusive",
      rule: `${row.rule}; underpowered: only ${
        scores[0].length
      } seeds (< ${MIN_SEEDS_FOR_VERDICT}), so inconclusive`,
    };
  }
  return {
    claim,
    paper,
    estimate: NaN,
    ci: [NaN, NaN],
    verdict: "inconclusive",
    rule: "no seed produced the statistic (e.g. no question with 0 < p̂ < 1, or no incorrect response)",
    n: 0,
  };
}

/** `directionalClaim` through `guarded`. */
function dirClaim(
  claim: string,
  paper: string,
  scores: number[][],
  opts: { statistic: string; seed: number },
): ClaimRow {
  return guarded(scores, claim, paper, () => directionalClaim(claim, paper, scores, "greater", opts));
}

/** Claims table of a GRPO-ablation run (rules fixed in code before any run). */
export function checkGrpoAblationClaims(log: RunLog): ClaimRow[] {
  const c = logConfig<GrpoAblationConfig>(log);
  const arms = (f: (rows: Row[]) => number) => perSeed(log, "arm", f);
  const diff = (a: string, b: string, field: string) => (r: Row[]) =>
    armValue(r, a, field) - armValue(r, b, field);
  const gap = (a: string) => (r: Row[]) =>
    armValue(r, a, "late.incorrectLength") - armValue(r, a, "late.correctLength");
  const window = `last ${Math.max(1, Math.floor(c.steps / 4))} of ${c.steps} steps`;
  const lenStat = (a: string, b: string) =>
    `per seed: mean length (tokens, eos included) of incorrect responses over the ${window}, ${a} − ${b} ` +
    `(same warm start, same trainer seed), IQM over seeds`;
  const slopeRow = (e: string, target: number, claim: string, paper: string): ClaimRow => {
    const scores = perSeed(log, "probe", (r) => probeSlope(r, e));
    const range: [number, number] = [target - 0.05, target + 0.05];
    return guarded(scores, claim, paper, () => {
      const s = iqmWithCI(scores, 23);
      return {
        claim,
        paper,
        estimate: s.estimate,
        ci: s.ci,
        verdict: rangeVerdict(s.ci, range),
        rule: `per seed: OLS slope of log(‖∇θ‖_${e} / ‖∇θ‖_dr-grpo) on log(p̂(1−p̂)) over the seed's ` +
          `${c.probeQuestions} probe questions with 0 < p̂ < 1 (G = ${c.groupSize}); IQM over seeds; reproduced iff ` +
          `the 95% bootstrap CI overlaps [${range[0].toFixed(2)}, ${
            range[1].toFixed(2)
          }], else not reproduced`,
        n: s.n,
      };
    });
  };
  return [
    dirClaim(
      "(a) Length bias: GRPO's per-response 1/|o| (seq-mean-token-mean) makes incorrect responses longer " +
        "than Dr.GRPO (seq-mean-token-sum-norm)",
      "qualitative: incorrect responses grow longer under GRPO, not under Dr.GRPO (arXiv 2503.20783)",
      arms(diff("grpo", "dr-grpo", "late.incorrectLength")),
      { statistic: lenStat("GRPO", "Dr.GRPO"), seed: 21 },
    ),
    dirClaim(
      "(a) …and longer than DAPO's token-mean aggregation (same GRPO advantages)",
      "qualitative (token-level loss, arXiv 2503.14476)",
      arms(diff("grpo", "dapo-token-mean", "late.incorrectLength")),
      { statistic: lenStat("GRPO", "token-mean"), seed: 22 },
    ),
    dirClaim(
      "(a) Under GRPO incorrect responses become longer than correct ones, more than under Dr.GRPO",
      "qualitative: GRPO prefers short correct and long incorrect responses",
      arms((r) => gap("grpo")(r) - gap("dr-grpo")(r)),
      {
        statistic: `per seed: (incorrect − correct mean length) over the ${window}, GRPO minus Dr.GRPO, IQM`,
        seed: 24,
      },
    ),
    slopeRow(
      "grpo",
      -0.5,
      "(b) Difficulty bias: GRPO's per-question update is Dr.GRPO's divided by σ̂ = √(p̂(1−p̂)), i.e. relative " +
        "weight ∝ (p̂(1−p̂))^−½ (up-weights p̂ near 0 or 1)",
      "std normalisation up-weights too easy / too hard questions; closed form slope −0.5",
    ),
    dirClaim(
      "(b) Under GRPO the extreme questions (p̂ ≤ ¼ or ≥ ¾) get a larger share of the total update than under " +
        "Dr.GRPO",
      "qualitative (arXiv 2503.20783)",
      perSeed(log, "probe", (r) => extremeShare(r, "grpo") - extremeShare(r, "dr-grpo")),
      {
        statistic: "per seed: share of Σ_q ‖∇θ‖ from questions with p̂ ≤ ¼ or ≥ ¾, GRPO − Dr.GRPO, IQM",
        seed: 25,
      },
    ),
    slopeRow(
      "lite-ppo",
      0,
      "(b) Lite PPO (group mean, batch std) has no per-question difficulty bias relative to Dr.GRPO",
      "batch-level std (arXiv 2508.08221); closed form slope 0",
    ),
    dirClaim(
      `(c) Clip-higher (ε_high = ${c.epsHigh} vs 0.2, ${c.clipEpochs} PPO epochs per batch) keeps the policy ` +
        "entropy higher",
      "qualitative: clip-higher prevents entropy collapse (arXiv 2503.14476)",
      arms(diff("clip-higher", "clip-symmetric", "late.entropy")),
      {
        statistic: `per seed: token-mean policy entropy on the training batch over the ${window}, ` +
          "clip-higher − symmetric, IQM",
        seed: 26,
      },
    ),
  ];
}

/** Charts: incorrect / correct response length, entropy per arm, and the per-question update vs p̂. */
export function grpoAblationCharts(log: RunLog): ChartEntry[] {
  const curve = selectRows(log, { kind: "curve" });
  const lengthRows = curve.filter((r) => LENGTH_ARMS.includes(r.arm as GrpoAblationArm)).flatMap((r) =>
    (["incorrect", "correct"] as const).flatMap((k) => {
      const v = r[`${k}Length`];
      return typeof v === "number"
        ? [{ seed: r.seed, step: r.step, arm: r.arm, responses: k, length: v }]
        : [];
    })
  );
  const probe = selectRows(log, { kind: "probe" }).filter((r) => Number(r.pHat) > 0 && Number(r.pHat) < 1);
  const ratioRows: Row[] = probe.flatMap((r) => [
    {
      seed: r.seed,
      pHat: r.pHat,
      series: "measured",
      ratio: Number(r["norm.grpo"]) / Number(r["norm.dr-grpo"]),
    },
    {
      seed: r.seed,
      pHat: r.pHat,
      series: "1/√(p̂(1−p̂))",
      ratio: 1 / Math.sqrt(Number(r.pHat) * (1 - Number(r.pHat))),
    },
  ]);
  const weightRows: Row[] = selectRows(log, { kind: "probe" }).flatMap((r) =>
    PROBE_ESTIMATORS.map((e) => ({ seed: r.seed, pHat: r.pHat, estimator: e, weight: r[`weight.${e}`] }))
  );
  const normRows: Row[] = probe.flatMap((r) =>
    PROBE_ESTIMATORS.map((e) => ({ seed: r.seed, pHat: r.pHat, estimator: e, norm: r[`norm.${e}`] }))
  );
  return [
    {
      name: "length",
      chart: bandChart(lengthRows, { x: "step", y: "length", series: "arm", facet: "responses" }, {
        title: "Response length by correctness (window means; mean ± 95% CI over seeds)",
        xTitle: "RL step",
        yTitle: "mean response length (tokens)",
      }),
    },
    {
      name: "entropy",
      chart: bandChart(curve, { x: "step", y: "entropy", series: "arm" }, {
        title: "Token entropy of the policy on its training batch (mean ± 95% CI over seeds)",
        xTitle: "RL step",
        yTitle: "entropy (nats)",
      }),
    },
    {
      name: "group_weight",
      chart: bandChart(weightRows, { x: "pHat", y: "weight", series: "estimator" }, {
        title:
          "Per-question weight Σ|Â|/G vs group accuracy p̂ (closed forms: GRPO 2√(p̂(1−p̂)), Dr.GRPO 2p̂(1−p̂))",
        xTitle: "p̂ (group accuracy)",
        yTitle: "Σ|Â| / G",
      }),
    },
    {
      name: "update_norm",
      chart: bandChart(normRows, { x: "pHat", y: "norm", series: "estimator" }, {
        title: "Per-question gradient norm ‖∇θ loss‖ of the warm-started transformer vs p̂",
        xTitle: "p̂ (group accuracy)",
        yTitle: "‖∇θ‖",
      }),
    },
    {
      name: "update_ratio",
      chart: bandChart(ratioRows, { x: "pHat", y: "ratio", series: "series" }, {
        title: "GRPO / Dr.GRPO per-question gradient-norm ratio vs p̂",
        xTitle: "p̂ (group accuracy)",
        yTitle: "ratio",
      }),
    },
  ];
}

const COMMON = {
  baseSeed: 2503,
  digits: 1,
  maxFiller: 4,
  maxFree: 10,
  dModel: 32,
  nLayers: 1,
  nHeads: 2,
  sftBatchSize: 32,
  sftLr: 1e-2,
  batchSize: 8,
  groupSize: 8,
  lr: 1e-3,
  clipEpochs: 2,
  epsHigh: 0.28,
  arms: [...GRPO_ABLATION_ARMS],
};

/** The GRPO-family ablation (Dr.GRPO 2503.20783, DAPO 2503.14476, Lite PPO 2508.08221). */
export const grpoAblation: Reproduction<GrpoAblationConfig> = {
  name: "grpo-ablation",
  title: "GRPO family ablation: length bias, difficulty bias, clip-higher",
  paper: "2503.20783",
  usesTensors: true,
  presets: {
    smoke: {
      ...COMMON,
      seeds: 2,
      sftSteps: 20,
      steps: 4,
      probeQuestions: 6,
      curveEvery: 2,
    },
    quick: {
      ...COMMON,
      seeds: 10,
      sftSteps: 600,
      steps: 60,
      probeQuestions: 24,
      curveEvery: 10,
    },
    full: {
      ...COMMON,
      seeds: 20,
      digits: 2,
      dModel: 64,
      nLayers: 2,
      nHeads: 4,
      sftSteps: 1500,
      sftLr: 3e-3,
      steps: 400,
      clipEpochs: 4,
      probeQuestions: 64,
      curveEvery: 20,
    },
  },
  validate: checkConfig,
  unitsPerSeed: (config) => 2 + config.arms.length,
  runSeed: (config, ctx) => runSeed(config, ctx),
  checkClaims: checkGrpoAblationClaims,
  charts: grpoAblationCharts,
};
