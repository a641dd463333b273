/**
 * NSR / PSR / W-REINFORCE reproduction (Zhu et al., "The Surprising Effectiveness of Negative Reinforcement in LLM
 * Reasoning", arXiv 2506.01347) on FeatureChain with a shared, partially observing linear-softmax policy
 * (reproductions/nsr_policy.ts): it sees o < d of the teacher's features, so no W solves every problem and
 * training must trade problems against each other.
 *
 * Rewards are ±1 (1 iff every step is right), on-policy, REINFORCE without a baseline, one batch-mean SGD step per
 * batch of B problems × G samples. Arms differ only in the per-sample weights w_i of A_i = w_i·r_i
 * (`sampleWeights`, lib/objectives): PSR (positives only), NSR (negatives only), W-REINFORCE (λ = 0.1 on
 * positives), plain REINFORCE (±1), and GRPO (A = (r − mean)/std per group). Same task, initial W, learning rate,
 * steps and random streams in every arm. Measured on a held-out pool: pass@k for k = 1, 2, 4, …, 256 by the
 * unbiased estimator (Chen et al. 2021) from n samples per problem, next to the exact 1 − (1 − p)^k, for the
 * starting policy ("base") and each trained arm; claims compare each arm with the base (and NSR with PSR / GRPO)
 * by paired per-seed differences.
 *
 * Presets: smoke and quick use this linear test bed; `full` (GPU) is the TinyTransformer-on-addition variant of
 * reproductions/nsr_transformer.ts (Adam, RLVRTrainer, same arms and claims; no exact pass@k) — not yet run at scale.
 * The larger linear run is `{ preset: "quick", seeds: 30, config: { heldoutProblems: 1024, evalSamples: 512 } }`.
 *
 * Note (a property of the objective, tested in tests/reproductions_nsr_test.ts): with ±1 rewards and no baseline,
 * E[1(r = +1)·∇log π(y)] = ∇J = E[−1(r = −1)·∇log π(y)], so PSR and NSR follow the same expected gradient; they
 * differ only through which samples carry it (sampling noise at a finite learning rate). W-REINFORCE's expected
 * gradient is 1.1·∇J and REINFORCE's 2·∇J.
 *
 * Disclosure: before the preset was fixed, four exploratory settings were run over 4 seeds (exact pass@k only):
 * o = d (realizable: every arm learns the teacher, pass@256 → 1, no arm differs); o = 4 of 8 with SGD lr 1 (the
 * preset; every arm lowers pass@256, PSR least: −0.050 vs NSR −0.096); the same with lr 0.3 for twice the steps
 * (PSR ≈ NSR ≈ W-REINFORCE); and with Adam lr 0.05 (PSR lowered pass@256 most: −0.145 vs NSR −0.109). (An earlier
 * version of this note swapped the SGD and Adam results: the two runs had printed concurrently.) The preset is the
 * first partially observed setting tried. The Adam comparison (`adamLr`, a chart, not a claim) was added after the
 * first quick run because of that exploratory result.
 * The learning-rate sweep (`lrSweep`, a chart, not a claim) was added after the first quick run, to show how the
 * PSR–NSR gap depends on the step size; it does not change the claims' runs (they use their own random streams).
 * Robustness runs after the quick run (10 seeds, 128 held-out problems, exact pass@256 after 200 steps; the preset
 * was not changed): initSignal 2 → PSR 0.641, NSR 0.608, W 0.606, REINFORCE 0.589, GRPO 0.609 (start 0.676);
 * maxLength 2 (start pass@1 0.34, pass@256 0.975) → PSR 0.921, NSR 0.914, W 0.910, REINFORCE 0.874, GRPO 0.879.
 */
import type { Rng } from "../lib/core/rng.ts";
import { assertFiniteNumber, assertInteger, ConfigError } from "../lib/core/validate.ts";
import { grpoAdvantages } from "../lib/estimators/advantages.ts";
import { passAtKValues } from "../lib/estimators/pass_at_k.ts";
import type { RunLog } from "../lib/log/runlog.ts";
import { sampleWeights } from "../lib/objectives/policy_gradient.ts";
import type { Problem } from "../lib/tasks/types.ts";
import { passAtKCurve } from "../lib/viz/charts.ts";
import { FeatureChain, LinearSoftmaxPolicy } from "./filtering_feature_chain.ts";
import { AdamAscent, countCorrect, type SampleGroup, sampleSequence, signedUpdate } from "./nsr_policy.ts";
import {
  checkNsrTransformerConfig,
  NSR_TRANSFORMER_DEFAULTS,
  type NsrTransformerConfig,
  runNsrTransformerSeed,
} from "./nsr_transformer.ts";
import {
  type BaseConfig,
  type ChartEntry,
  type ClaimRow,
  directionalClaim,
  logConfig,
  type Reproduction,
  type Row,
  type SeedContext,
  selectRows,
} from "./harness.ts";
import { bandChart, summariseOverSeeds } from "./charts.ts";
import { Chart } from "../lib/viz/chart.ts";

/** NSR reproduction config. */
export interface NsrConfig extends BaseConfig {
  /**
   * "linear": the partially observing linear-softmax policy on FeatureChain (exact pass@k available);
   * "transformer": TinyTransformer on addition via RLVRTrainer (reproductions/nsr_transformer.ts; reads only
   * seeds, baseSeed, batchSize, groupSize, steps, lambda, evalSamples, ks, margin and `transformer`).
   */
  policy: "linear" | "transformer";
  /** Settings of the transformer variant. */
  transformer: NsrTransformerConfig;
  /** Feature dimension d of FeatureChain (the teacher sees all d). */
  dim: number;
  /** Features the policy observes, o ≤ d (o < d: no policy solves everything). */
  observed: number;
  /** Options per step K. */
  options: number;
  /** Chain lengths are uniform on [minLength, maxLength]. */
  minLength: number;
  maxLength: number;
  /** Initial W = initSignal·M_{:,1:o} + N(0, initNoise²) (the "pretrained" starting policy). */
  initSignal: number;
  initNoise: number;
  /** Training pool size. */
  trainProblems: number;
  /** Held-out pool size (same distribution). */
  heldoutProblems: number;
  /** Problems per batch B. */
  batchSize: number;
  /** Samples per problem G. */
  groupSize: number;
  /** SGD steps per arm. */
  steps: number;
  /** Learning rate (the same in every arm). */
  lr: number;
  /** W-REINFORCE weight λ on positive samples. */
  lambda: number;
  /** Samples n per held-out problem for the unbiased pass@k estimator (≥ max k). */
  evalSamples: number;
  /** The k of the pass@k curves. */
  ks: number[];
  /** Record the training curves every this many steps. */
  curveEvery: number;
  /** Non-inferiority margin δ of the "keeps pass@k" claims (absolute pass@k). */
  margin: number;
  /**
   * Sensitivity sweep (chart only, not the claims): PSR and NSR retrained at each learning rate with steps scaled so
   * lr·steps stays at the preset's; exact held-out pass@1 / pass@256. Empty = no sweep.
   */
  lrSweep: number[];
  /**
   * Optimizer comparison (chart only, not the claims): every arm retrained with Adam at this learning rate (same
   * steps and streams); exact held-out pass@k. 0 = skip.
   */
  adamLr: number;
}

/** Trained arms (plus "base", the starting policy, in the logs). */
export const NSR_ARMS = ["psr", "nsr", "w-reinforce", "reinforce", "grpo"] as const;
/** A trained arm. */
export type NsrArm = typeof NSR_ARMS[number];

const POW2_TO_256 = [1, 2, 4, 8, 16, 32, 64, 128, 256];

const COMMON = {
  baseSeed: 250601347,
  policy: "linear" as "linear" | "transformer",
  transformer: NSR_TRANSFORMER_DEFAULTS,
  dim: 8,
  observed: 4,
  options: 4,
  minLength: 1,
  maxLength: 6,
  initSignal: 1,
  initNoise: 0.5,
  batchSize: 16,
  groupSize: 8,
  lr: 1,
  lambda: 0.1,
  margin: 0.01,
  adamLr: 0.05,
};

function checkConfig(c: NsrConfig): void {
  if (c.policy !== "linear" && c.policy !== "transformer") {
    throw new ConfigError("nsr.policy", 'must be "linear" or "transformer"', c.policy);
  }
  checkNsrTransformerConfig(c.transformer);
  for (const k of ["dim", "options", "minLength", "trainProblems", "heldoutProblems", "batchSize"] as const) {
    assertInteger(`nsr.${k}`, c[k], { min: 1 });
  }
  assertInteger("nsr.observed", c.observed, { min: 1, max: c.dim });
  assertInteger("nsr.maxLength", c.maxLength, { min: c.minLength });
  assertInteger("nsr.groupSize", c.groupSize, { min: 2 });
  assertInteger("nsr.steps", c.steps, { min: 0 });
  assertInteger("nsr.curveEvery", c.curveEvery, { min: 1 });
  assertFiniteNumber("nsr.lr", c.lr, { min: 0, exclusiveMin: true });
  assertFiniteNumber("nsr.lambda", c.lambda, { min: 0 });
  assertFiniteNumber("nsr.initSignal", c.initSignal);
  assertFiniteNumber("nsr.initNoise", c.initNoise, { min: 0 });
  assertFiniteNumber("nsr.margin", c.margin, { min: 0 });
  assertFiniteNumber("nsr.adamLr", c.adamLr, { min: 0 });
  if (!Array.isArray(c.lrSweep) || c.lrSweep.some((x) => !(Number.isFinite(x) && x > 0))) {
    throw new ConfigError("nsr.lrSweep", "must be an array of learning rates > 0", c.lrSweep);
  }
  if (
    !Array.isArray(c.ks) || c.ks.length === 0 || c.ks.some((k) => !Number.isInteger(k) || k < 1) ||
    c.ks.some((k, i) => i > 0 && k <= c.ks[i - 1])
  ) {
    throw new ConfigError("nsr.ks", "must be a non-empty increasing array of integers ≥ 1", c.ks);
  }
  for (const k of [1, 256]) {
    if (!c.ks.includes(k)) throw new ConfigError("nsr.ks", `must contain ${k} (the claims use it)`, c.ks);
  }
  assertInteger("nsr.evalSamples", c.evalSamples, { min: c.ks[c.ks.length - 1] });
}

/**
 * Advantages A_i of one group from 0/1 correctness (rewards r_i = ±1): psr / nsr / w-reinforce → w_i·r_i with
 * `sampleWeights` (arXiv 2506.01347); reinforce → r_i; grpo → (r − mean)/std within the group (arXiv 2402.03300).
 */
export function nsrAdvantages(arm: NsrArm, correct: readonly number[], lambda = 0.1): number[] {
  const r = correct.map((c) => (c > 0 ? 1 : -1));
  if (arm === "grpo") return grpoAdvantages(r, r.length);
  if (arm === "reinforce") return r;
  const w = sampleWeights(correct, arm, lambda);
  return r.map((x, i) => (w[i] === 0 ? 0 : w[i] * x)); // no −0 for unweighted samples
}

function exactPassAtK(ps: readonly number[], k: number): number {
  let s = 0;
  for (const p of ps) s += 1 - (1 - p) ** k;
  return s / ps.length;
}

/** Held-out pass@k rows of one policy: unbiased estimate from n samples per problem, and the exact value. */
function evaluatePassAtK(
  c: NsrConfig,
  policy: LinearSoftmaxPolicy,
  heldout: readonly Problem[],
  rng: Rng,
  arm: string,
): Row[] {
  const sums = new Float64Array(c.ks.length);
  for (const q of heldout) {
    const v = passAtKValues(c.evalSamples, countCorrect(policy, q, c.evalSamples, rng), c.ks);
    v.forEach((x, j) => sums[j] += x);
  }
  const ps = heldout.map((q) => policy.successProbability(q));
  return c.ks.map((k, j) => ({
    kind: "passk",
    arm,
    k,
    passAtK: sums[j] / heldout.length,
    exact: exactPassAtK(ps, k),
  }));
}

function curveRow(
  policy: LinearSoftmaxPolicy,
  heldout: readonly Problem[],
  arm: string,
  step: number,
): Row {
  const ps = heldout.map((q) => policy.successProbability(q));
  return {
    kind: "curve",
    arm,
    step,
    pass1: exactPassAtK(ps, 1),
    pass256: exactPassAtK(ps, 256),
    entropy: policy.meanEntropy(heldout),
  };
}

/** Train one arm from `init` for c.steps; returns the trained policy and its curve rows. */
function trainArm(
  c: NsrConfig,
  arm: NsrArm,
  init: LinearSoftmaxPolicy,
  train: readonly Problem[],
  heldout: readonly Problem[],
  rng: Rng,
  adam = false,
): { policy: LinearSoftmaxPolicy; rows: Row[] } {
  const policy = init.clone();
  const opt = adam ? new AdamAscent(policy.weights.length) : undefined;
  const pick = rng.split(0);
  const sampler = rng.split(1);
  const rows: Row[] = [curveRow(policy, heldout, arm, 0)];
  for (let t = 0; t < c.steps; t++) {
    const groups: SampleGroup[] = [];
    for (let b = 0; b < c.batchSize; b++) {
      const problem = train[pick.int(train.length)];
      const actions: number[][] = [];
      const correct: number[] = [];
      for (let i = 0; i < c.groupSize; i++) {
        const s = sampleSequence(policy, problem, sampler);
        actions.push(s.actions);
        correct.push(s.correct ? 1 : 0);
      }
      groups.push({ problem, actions, advantages: nsrAdvantages(arm, correct, c.lambda) });
    }
    signedUpdate(policy, groups, adam ? c.adamLr : c.lr, opt);
    if ((t + 1) % c.curveEvery === 0) rows.push(curveRow(policy, heldout, arm, t + 1));
  }
  return { policy, rows };
}

function runSeed(c: NsrConfig, ctx: SeedContext): Row[] {
  const task = new FeatureChain({
    dim: c.dim,
    options: c.options,
    minLength: c.minLength,
    maxLength: c.maxLength,
    seed: ctx.rng.split(0).seed,
  });
  const train = task.pool("train", c.trainProblems);
  const heldout = task.pool("heldout", c.heldoutProblems);
  const init = new LinearSoftmaxPolicy(task, {
    observed: c.observed,
    initSignal: c.initSignal,
    initNoise: c.initNoise,
    seed: ctx.rng.split(1).seed,
  });
  // Common random numbers: every arm trains on the same streams and is evaluated with the same stream.
  const rows: Row[] = evaluatePassAtK(c, init, heldout, ctx.rng.split(3), "base");
  ctx.tick(1, { arm: 0 });
  NSR_ARMS.forEach((arm, i) => {
    const { policy, rows: curve } = trainArm(c, arm, init, train, heldout, ctx.rng.split(2));
    rows.push(...curve, ...evaluatePassAtK(c, policy, heldout, ctx.rng.split(3), arm));
    ctx.tick(1, { arm: i + 1 });
  });
  for (const lr of c.lrSweep) {
    const steps = Math.max(1, Math.round((c.steps * c.lr) / lr));
    const sc = { ...c, lr, steps, curveEvery: steps };
    for (const arm of ["psr", "nsr"] as const) {
      const { policy } = trainArm(sc, arm, init, train, heldout, ctx.rng.split(2));
      const ps = heldout.map((q) => policy.successProbability(q));
      rows.push({
        kind: "sweep",
        arm,
        lr,
        steps,
        pass1: exactPassAtK(ps, 1),
        pass256: exactPassAtK(ps, 256),
      });
    }
  }
  if (c.lrSweep.length) ctx.tick(1, { sweep: 1 });
  if (c.adamLr > 0) {
    for (const arm of NSR_ARMS) {
      const { policy } = trainArm(
        { ...c, curveEvery: c.steps || 1 },
        arm,
        init,
        train,
        heldout,
        ctx.rng.split(2),
        true,
      );
      const ps = heldout.map((q) => policy.successProbability(q));
      for (const k of c.ks) rows.push({ kind: "adam", arm, k, exact: exactPassAtK(ps, k) });
    }
    ctx.tick(1, { adam: 1 });
  }
  return rows;
}

/** Per-seed pass@k (unbiased) of `arm` at k: seed → value. */
function passBySeed(log: RunLog, arm: string, k: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const r of selectRows(log, { kind: "passk", arm, k })) out.set(Number(r.seed), Number(r.passAtK));
  return out;
}

/** Paired per-seed differences pass@k(a) − pass@k(b) at k (seeds present in both). */
export function pairedPassDiffs(log: RunLog, a: string, b: string, k: number): number[] {
  const x = passBySeed(log, a, k);
  const y = passBySeed(log, b, k);
  return [...x.keys()].filter((s) => y.has(s)).sort((u, v) => u - v).map((s) => x.get(s)! - y.get(s)!);
}

/** Per-seed min over the config's k of pass@k(a) − pass@k(b) (the "across the whole k range" statistic). */
export function minPassDiffs(log: RunLog, a: string, b: string): number[] {
  const c = logConfig<NsrConfig>(log);
  const perK = c.ks.map((k) => pairedPassDiffs(log, a, b, k));
  return perK[0].map((_, i) => Math.min(...perK.map((d) => d[i])));
}

/** Claims table of an NSR run (rules fixed in code before any run; pass@k by the unbiased estimator). */
export function checkNsrClaims(log: RunLog): ClaimRow[] {
  const c = logConfig<NsrConfig>(log);
  const d = c.margin;
  const pk = (a: string, b: string, k: number) => [pairedPassDiffs(log, a, b, k)];
  const minK = (a: string, b: string) => [minPassDiffs(log, a, b)];
  const stat = (what: string) =>
    `IQM over seeds of the paired per-seed difference ${what} (unbiased pass@k, n = ${c.evalSamples} samples per ` +
    `held-out problem)`;
  const kRange = `k ∈ {${c.ks.join(", ")}}`;
  return [
    directionalClaim(
      "PSR raises pass@1 over the starting policy",
      "PSR improves Pass@1",
      pk("psr", "base", 1),
      "greater",
      { statistic: stat("pass@1(PSR) − pass@1(base)"), seed: 1 },
    ),
    directionalClaim(
      "PSR lowers pass@256 below the starting policy",
      "PSR degrades performance at higher k (below the base model at k = 256)",
      pk("psr", "base", 256),
      "less",
      { statistic: stat("pass@256(PSR) − pass@256(base)"), seed: 2 },
    ),
    directionalClaim(
      "NSR raises pass@1 over the starting policy",
      "NSR improves over the base model across the entire Pass@k spectrum",
      pk("nsr", "base", 1),
      "greater",
      { statistic: stat("pass@1(NSR) − pass@1(base)"), seed: 3 },
    ),
    directionalClaim(
      `NSR keeps pass@256 (non-inferior to the starting policy, margin ${d})`,
      "NSR keeps or improves Pass@k up to k = 256",
      pk("nsr", "base", 256),
      "greater",
      { statistic: stat("pass@256(NSR) − pass@256(base)"), seed: 4, threshold: -d },
    ),
    directionalClaim(
      `NSR keeps pass@k across the whole k range (min over ${kRange} of the difference > −${d})`,
      "NSR improves over the base model across the entire Pass@k spectrum (k up to 256)",
      minK("nsr", "base"),
      "greater",
      { statistic: stat(`min_k [pass@k(NSR) − pass@k(base)]`), seed: 5, threshold: -d },
    ),
    directionalClaim(
      "NSR beats PSR at pass@256",
      "NSR preserves diversity; PSR reduces it (higher pass@256 for NSR)",
      pk("nsr", "psr", 256),
      "greater",
      { statistic: stat("pass@256(NSR) − pass@256(PSR)"), seed: 6 },
    ),
    directionalClaim(
      `NSR matches or surpasses GRPO at pass@256 (non-inferiority margin ${d})`,
      "NSR often matches or surpasses PPO and GRPO",
      pk("nsr", "grpo", 256),
      "greater",
      { statistic: stat("pass@256(NSR) − pass@256(GRPO)"), seed: 7, threshold: -d },
    ),
    directionalClaim(
      `W-REINFORCE (λ = ${c.lambda}) raises pass@1 over the starting policy`,
      "W-REINFORCE improves overall Pass@k",
      pk("w-reinforce", "base", 1),
      "greater",
      { statistic: stat("pass@1(W-REINFORCE) − pass@1(base)"), seed: 8 },
    ),
    directionalClaim(
      `W-REINFORCE keeps pass@k across the whole k range (min over ${kRange} of the difference > −${d})`,
      "W-REINFORCE is good across k",
      minK("w-reinforce", "base"),
      "greater",
      { statistic: stat(`min_k [pass@k(W-REINFORCE) − pass@k(base)]`), seed: 9, threshold: -d },
    ),
  ];
}

/**
 * Charts: pass@k curves, pass@k − base by k, training curves (exact pass@1 / pass@256, entropy), the pass@1 /
 * pass@256 training path, and the unbiased-estimator check against the exact pass@k.
 */
export function nsrCharts(log: RunLog): ChartEntry[] {
  const passk = selectRows(log, { kind: "passk" });
  const base = new Map(
    passk.filter((r) => r.arm === "base").map((r) => [`${r.seed}/${r.k}`, Number(r.passAtK)]),
  );
  const delta = passk.filter((r) => r.arm !== "base").map((r) => ({
    arm: r.arm,
    k: r.k,
    seed: r.seed,
    delta: Number(r.passAtK) - base.get(`${r.seed}/${r.k}`)!,
  }));
  const curves = selectRows(log, { kind: "curve" }).flatMap((r) => [
    { arm: r.arm, seed: r.seed, step: r.step, metric: "pass@1", value: r.pass1 },
    { arm: r.arm, seed: r.seed, step: r.step, metric: "pass@256", value: r.pass256 },
    { arm: r.arm, seed: r.seed, step: r.step, metric: "entropy (nats/step)", value: r.entropy },
  ]);
  const check = passk.filter((r) => r.exact !== undefined).map((r) => ({
    arm: r.arm,
    k: r.k,
    seed: r.seed,
    error: Number(r.passAtK) - Number(r.exact),
  }));
  const out: ChartEntry[] = [
    {
      name: "pass_at_k",
      chart: passAtKCurve(passk.map((r) => ({ arm: r.arm, k: r.k, seed: r.seed, passAtK: r.passAtK })), {
        title: "Held-out pass@k (unbiased estimator; mean ± 95% CI over seeds)",
      }),
    },
    {
      name: "pass_at_k_vs_base",
      chart: bandChart(delta, { x: "k", y: "delta", series: "arm" }, {
        title: "pass@k − pass@k(starting policy), paired per seed (mean ± 95% CI)",
        xTitle: "k",
        yTitle: "Δ pass@k vs base",
        logX: true,
      }),
    },
  ];
  if (curves.length) {
    out.push({
      name: "training_curves",
      chart: bandChart(curves, { x: "step", y: "value", series: "arm", facet: "metric" }, {
        title: "During training: exact held-out pass@1, pass@256 and policy entropy (mean ± 95% CI)",
        xTitle: "SGD step",
        yTitle: "value",
      }),
    }, { name: "tradeoff", chart: tradeoffChart(selectRows(log, { kind: "curve" })) });
  }
  const tcurves = selectRows(log, { kind: "tcurve" }).flatMap((r) => [
    { arm: r.arm, seed: r.seed, step: r.step, metric: "training accuracy", value: r.accuracy },
    { arm: r.arm, seed: r.seed, step: r.step, metric: "token entropy", value: r.entropy },
  ]);
  if (tcurves.length) {
    out.push({
      name: "training_curves",
      chart: bandChart(tcurves, { x: "step", y: "value", series: "arm", facet: "metric" }, {
        title: "During training: batch accuracy and mean token entropy (mean ± 95% CI)",
        xTitle: "RL step",
        yTitle: "value",
      }),
    });
  }
  out.push(...sweepCharts(selectRows(log, { kind: "sweep" })));
  const adam = selectRows(log, { kind: "adam" });
  if (adam.length) {
    const exactBase = new Map(
      passk.filter((r) => r.arm === "base").map((r) => [`${r.seed}/${r.k}`, Number(r.exact)]),
    );
    const c = logConfig<NsrConfig>(log);
    out.push({
      name: "adam_vs_base",
      chart: bandChart(
        adam.map((r) => ({
          arm: r.arm,
          k: r.k,
          seed: r.seed,
          delta: Number(r.exact) - exactBase.get(`${r.seed}/${r.k}`)!,
        })),
        { x: "k", y: "delta", series: "arm" },
        {
          title:
            `Optimizer check: the arms trained with Adam (lr ${c.adamLr}), exact pass@k − base (mean ± 95% CI)`,
          xTitle: "k",
          yTitle: "Δ exact pass@k vs base",
          logX: true,
        },
      ),
    });
  }
  if (check.length) {
    out.push({
      name: "estimator_check",
      chart: bandChart(check, { x: "k", y: "error", series: "arm" }, {
        title: "Unbiased pass@k estimate − exact 1 − (1 − p)^k (should straddle 0)",
        xTitle: "k",
        yTitle: "estimate − exact",
        logX: true,
      }),
    });
  }
  return out;
}

/**
 * Trade-off path: seed-mean exact pass@256 against seed-mean exact pass@1 along training, one line per arm (points
 * every `curveEvery` steps). Arms on one common path differ only in how far along it they moved.
 */
function tradeoffChart(curve: readonly Row[]): Chart {
  const p1 = summariseOverSeeds(curve, ["arm", "step"], "pass1");
  const p256 = new Map(
    summariseOverSeeds(curve, ["arm", "step"], "pass256").map((r) => [`${r.arm}/${r.step}`, r.mean]),
  );
  const values = p1.map((r) => ({
    arm: r.arm,
    step: r.step,
    pass1: r.mean,
    pass256: p256.get(`${r.arm}/${r.step}`),
  }));
  const enc = {
    x: { field: "pass1", type: "quantitative", title: "exact pass@1", scale: { zero: false } },
    y: { field: "pass256", type: "quantitative", title: "exact pass@256", scale: { zero: false } },
    color: { field: "arm", type: "nominal", title: "arm" },
    order: { field: "step", type: "quantitative" },
  };
  return new Chart({
    title: "Training path: held-out pass@256 vs pass@1 (seed means; the start is the common left-most point)",
    width: 420,
    height: 280,
    data: { values },
    layer: [{ mark: { type: "line", point: true }, encoding: enc }],
  });
}

/** The learning-rate sensitivity chart: paired per-seed NSR − PSR exact pass@1 and pass@256 at each lr (if swept). */
function sweepCharts(sweep: readonly Row[]): ChartEntry[] {
  if (sweep.length === 0) return [];
  const get = (arm: string, seed: unknown, lr: unknown) =>
    sweep.find((r) => r.arm === arm && r.seed === seed && r.lr === lr)!;
  const rows = sweep.filter((r) => r.arm === "nsr").flatMap((r) => {
    const p = get("psr", r.seed, r.lr);
    return [
      { seed: r.seed, lr: r.lr, metric: "pass@1", delta: Number(r.pass1) - Number(p.pass1) },
      { seed: r.seed, lr: r.lr, metric: "pass@256", delta: Number(r.pass256) - Number(p.pass256) },
    ];
  });
  return [{
    name: "lr_sensitivity",
    chart: bandChart(rows, { x: "lr", y: "delta", series: "metric" }, {
      title:
        "Sensitivity: NSR − PSR (exact held-out pass@k) by learning rate, lr·steps fixed (mean ± 95% CI)",
      xTitle: "learning rate (steps = preset lr·steps / lr)",
      yTitle: "NSR − PSR",
      logX: true,
    }),
  }];
}

/** The NSR / PSR / W-REINFORCE reproduction (arXiv 2506.01347) on partially observed FeatureChain. */
export const nsr: Reproduction<NsrConfig> = {
  name: "nsr",
  title: "NSR / PSR / W-REINFORCE: pass@k after positive- or negative-only reinforcement",
  paper: "2506.01347",
  usesTensors: true,
  presets: {
    smoke: {
      ...COMMON,
      seeds: 2,
      trainProblems: 128,
      heldoutProblems: 24,
      steps: 20,
      evalSamples: 256,
      ks: [1, 4, 16, 64, 256],
      curveEvery: 10,
      lrSweep: [0.5, 2],
    },
    quick: {
      ...COMMON,
      seeds: 10,
      trainProblems: 1024,
      heldoutProblems: 256,
      steps: 200,
      evalSamples: 256,
      ks: POW2_TO_256,
      curveEvery: 20,
      lrSweep: [0.25, 0.5, 1, 2],
    },
    full: {
      ...COMMON,
      policy: "transformer",
      seeds: 10,
      trainProblems: 4096,
      heldoutProblems: 1024,
      steps: 300,
      evalSamples: 256,
      ks: POW2_TO_256,
      curveEvery: 20,
      lrSweep: [],
      adamLr: 0,
    },
  },
  validate: checkConfig,
  unitsPerSeed: (config) =>
    config.policy === "transformer"
      ? NSR_ARMS.length + 1
      : NSR_ARMS.length + 1 + (config.lrSweep.length ? 1 : 0),
  runSeed: (config, ctx) =>
    config.policy === "transformer" ? runNsrTransformerSeed(config, NSR_ARMS, ctx) : runSeed(config, ctx),
  checkClaims: checkNsrClaims,
  charts: nsrCharts,
};
