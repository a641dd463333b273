/**
 * NSR / PSR / W-REINFORCE reproduction (Zhu et al., "The Surprising Effectiveness of Negative Reinforcement in LLM
 * Reasoning", arXiv 2506.01347) on FeatureChain with a shared, partially observing linear-softmax policy
 * (`LinearSoftmaxPolicy` with `observed` o < d of the teacher's features), so no W solves every problem and
 * training must trade problems against each other.
 *
 * Blocks (all from lib/): task `FeatureChain` (training pool + held-out pool); policy `LinearSoftmaxPolicy`
 * (W = initSignal·M_{:,1:o} + noise, the "pretrained" start); `RLVRTrainer` per arm with the arm's objective
 * (`nsrArmObjective`): ±1 rewards ("signed" estimator), on-policy, no baseline, with per-sample weights w_i
 * (`sampleWeights`): PSR (positives only), NSR (negatives only), W-REINFORCE (λ = 0.1 on positives), plain
 * REINFORCE (±1), and GRPO (A = (r − mean)/std per group). Loss: the library PPO-clip objective (ratio 1 on-policy)
 * aggregated "seq-mean-token-sum-norm" (Σ over a sequence's steps, mean over sequences — the old engine's batch
 * mean of sequence scores up to the constant 1/L_max), Adam, no gradient clipping. Same task, initial W, learning
 * rate, steps and random streams in every arm. Measured on the held-out pool: pass@k for k = 1, 2, 4, …, 256 by the
 * unbiased estimator (`sampledPassAtK`) from n samples per problem, next to the exact 1 − (1 − p)^k, for the
 * starting policy ("base") and each trained arm; claims compare each arm with the base (and NSR with PSR / GRPO) by
 * paired per-seed differences.
 *
 * Two tiers run per seed: this linear test bed first ("exact" tier: exact pass@k available), then the LM tier of
 * reproductions/nsr/lm.ts (TinyTransformer on 3-digit addition through `RLVRTrainer`, PSR / NSR / W-REINFORCE
 * at a shared learning-rate grid extended at an edge, exact pass@k up to k = 1024 from the teacher-forced answer
 * probability; its claims and preconditions are pre-registered in reproductions/nsr/preregistration.ts). The
 * `full` preset (GPU) scales the LM tier up; it replaces the earlier transformer-only `full` variant (same model family and arms, now with the rate grid).
 *
 * Note (a property of the objective, tested in tests/reproductions_nsr_test.ts): with ±1 rewards and no baseline,
 * E[1(r = +1)·∇log π(y)] = ∇J = E[−1(r = −1)·∇log π(y)], so PSR and NSR follow the same expected gradient; they
 * differ only through which samples carry it (sampling noise at a finite learning rate) and, under Adam, through
 * the per-coordinate step sizes that this noise sets. W-REINFORCE's expected gradient is 1.1·∇J, REINFORCE's 2·∇J.
 *
 * Changes made after runs are recorded as amendments in preregistration.ts and in docs/history.md.
 */
import {
  assertFiniteNumber,
  assertInteger,
  ConfigError,
  FeatureChain,
  LinearSoftmaxPolicy,
  logConfig,
  type Problem,
  type Reproduction,
  RLVRTrainer,
  type Row,
  runsTier,
  sampledPassAtK,
  type SeedContext,
} from "../../mod.ts";
import { NSR_PRESETS, NSR_SEED_SECONDS, type NsrConfig } from "./config.ts";

export * from "./config.ts";
import { NSR_ARMS, type NsrArm, nsrArmObjective } from "./arms.ts";
import { checkNsrClaims } from "./claims.ts";
import { nsrCharts } from "./charts.ts";
import { checkNsrLmClaims, NSR_LM_ARMS, NSR_LM_PRECONDITIONS, runNsrLmTier, validateNsrLm } from "./lm.ts";
import { NSR_LM_PREREGISTRATION } from "./preregistration.ts";

export { NSR_ARMS, type NsrArm, nsrArmObjective } from "./arms.ts";
export { checkNsrClaims, pairedPassDiffs, passDiffsByK } from "./claims.ts";
export { nsrCharts } from "./charts.ts";
export {
  checkNsrLmClaims,
  lmPassDiffs,
  lmPassDiffsByK,
  NSR_LM_ARMS,
  NSR_LM_FULL,
  NSR_LM_PRECONDITIONS,
  NSR_LM_QUICK,
  NSR_LM_SMOKE,
  nsrClaimKs,
  nsrEdgeShare,
  type NsrLmConfig,
  nsrStartPassAtK,
  runNsrLmTier,
  validateNsrLm,
} from "./lm.ts";
export { NSR_LM_PREREGISTRATION } from "./preregistration.ts";

/** Exact pass@k = mean over problems of 1 − (1 − p)^k. */
function exactPassAtK(ps: readonly number[], k: number): number {
  return ps.reduce((s, p) => s + 1 - (1 - p) ** k, 0) / ps.length;
}

/** Held-out pass@k rows of one policy: unbiased estimate from n samples per problem, and the exact value. */
async function passAtKRows(
  c: NsrConfig,
  policy: LinearSoftmaxPolicy,
  heldout: readonly Problem[],
  ctx: SeedContext,
  arm: string,
): Promise<Row[]> {
  const evalRng = ctx.rng.split(3); // the same sampling stream for every arm (common random numbers)
  const est = await sampledPassAtK(policy, policy.task, heldout, {
    n: c.evalSamples,
    ks: c.ks,
    nextSeed: () => evalRng.tfSeed(),
  });
  const ps = heldout.map((q) => policy.successProbability(q));
  return c.ks.map((k, j) => ({ kind: "passk", arm, k, passAtK: est.passAtK[j], exact: exactPassAtK(ps, k) }));
}

/** Exact held-out pass@1, pass@256 and mean step entropy of the current policy. */
function curveRow(policy: LinearSoftmaxPolicy, heldout: readonly Problem[], arm: string, step: number): Row {
  const ps = heldout.map((q) => policy.successProbability(q));
  const entropy = policy.meanEntropy(heldout);
  return { kind: "curve", arm, step, pass1: exactPassAtK(ps, 1), pass256: exactPassAtK(ps, 256), entropy };
}

/** Train one arm from `init` with `RLVRTrainer`; returns the trained policy and its curve rows. */
async function trainArm(
  c: NsrConfig,
  arm: NsrArm,
  task: FeatureChain,
  init: LinearSoftmaxPolicy,
  heldout: readonly Problem[],
  ctx: SeedContext,
): Promise<{ policy: LinearSoftmaxPolicy; rows: Row[] }> {
  const policy = init.cloneSync();
  const trainer = new RLVRTrainer({
    policy,
    task,
    sampleOptions: { pool: "train", size: c.trainProblems, start: 0 },
    config: {
      seed: ctx.rng.split(2).seed, // the same problem and sampling streams in every arm
      batchSize: c.batchSize,
      groupSize: c.groupSize,
      lr: c.lr,
      maxGradNorm: null,
      aggregation: "seq-mean-token-sum-norm",
      ...nsrArmObjective(arm, c.lambda),
    },
  });
  const rows: Row[] = [curveRow(policy, heldout, arm, 0)];
  try {
    for (let t = 0; t < c.steps; t += c.curveEvery) {
      await trainer.train(Math.min(c.curveEvery, c.steps - t));
      rows.push(curveRow(policy, heldout, arm, trainer.step));
    }
  } finally {
    trainer.dispose();
  }
  return { policy, rows };
}

async function runSeed(c: NsrConfig, ctx: SeedContext): Promise<Row[]> {
  const task = new FeatureChain({
    dim: c.dim,
    options: c.options,
    minLength: c.minLength,
    maxLength: c.maxLength,
    seed: ctx.rng.split(0).seed,
  });
  const heldout = task.pool("heldout", c.heldoutProblems);
  const init = new LinearSoftmaxPolicy(task, {
    observed: c.observed,
    initSignal: c.initSignal,
    initNoise: c.initNoise,
    seed: ctx.rng.split(1).seed,
  });
  const sweepRow = (arm: string, lr: number, steps: number, policy: LinearSoftmaxPolicy): Row => {
    const ps = heldout.map((q) => policy.successProbability(q));
    return { kind: "sweep", arm, lr, steps, pass1: exactPassAtK(ps, 1), pass256: exactPassAtK(ps, 256) };
  };
  const rows: Row[] = await passAtKRows(c, init, heldout, ctx, "base");
  ctx.tick(1, { arm: 0 });
  for (const [i, arm] of NSR_ARMS.entries()) {
    const { policy, rows: curve } = await trainArm(c, arm, task, init, heldout, ctx);
    rows.push(...curve, ...await passAtKRows(c, policy, heldout, ctx, arm));
    // The sweep's point at the preset's lr is this run (same streams and steps).
    if (c.lrSweep.length && (arm === "psr" || arm === "nsr")) rows.push(sweepRow(arm, c.lr, c.steps, policy));
    policy.dispose();
    ctx.tick(1, { arm: i + 1 });
  }
  for (const lr of c.lrSweep.filter((x) => x !== c.lr)) {
    const steps = Math.max(1, Math.round((c.steps * c.lr) / lr));
    const sc = { ...c, lr, steps, curveEvery: steps };
    for (const arm of ["psr", "nsr"] as const) {
      const { policy } = await trainArm(sc, arm, task, init, heldout, ctx);
      rows.push(sweepRow(arm, lr, steps, policy));
      policy.dispose();
    }
  }
  if (c.lrSweep.length) ctx.tick(1, { sweep: 1 });
  init.dispose();
  return rows;
}

function checkConfig(c: NsrConfig): void {
  if (!c.lm || typeof c.lm !== "object") {
    throw new ConfigError("nsr.lm", "must be an LM-tier config object", c.lm);
  }
  validateNsrLm(c.lm);
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

/** The NSR / PSR / W-REINFORCE reproduction (arXiv 2506.01347) on partially observed FeatureChain. */
export const nsr: Reproduction<NsrConfig> = {
  name: "nsr",
  title: "NSR / PSR / W-REINFORCE: pass@k after positive- or negative-only reinforcement",
  paper: "2506.01347",
  usesTensors: true,
  presets: NSR_PRESETS,
  seedSeconds: NSR_SEED_SECONDS,
  validate: checkConfig,
  unitsPerSeed: (config) =>
    (runsTier(config, "exact") ? NSR_ARMS.length + 1 + (config.lrSweep.length ? 1 : 0) : 0) +
    (runsTier(config, "lm") ? NSR_LM_ARMS.length + 1 : 0),
  runSeed: async (config, ctx) => [
    ...(runsTier(config, "exact") ? await runSeed(config, ctx) : []),
    ...(runsTier(config, "lm") ? await runNsrLmTier(config.lm, ctx) : []),
  ],
  checkClaims: (log) => [
    ...checkNsrClaims(log),
    ...checkNsrLmClaims(log, logConfig<NsrConfig>(log).lm, NSR_LM_PREREGISTRATION.claims),
  ],
  charts: nsrCharts,
  preregistrations: [NSR_LM_PREREGISTRATION],
  preconditions: NSR_LM_PRECONDITIONS,
};
