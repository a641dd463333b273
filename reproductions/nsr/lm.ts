/**
 * The LM tier of the NSR / PSR / W-REINFORCE reproduction (Zhu et al., arXiv 2506.01347): a TinyTransformer
 * warm-started by SFT on 1…digits-digit addition, then PSR, NSR and W-REINFORCE (λ on positives) trained by
 * `RLVRTrainer` from that same start at every rate of one learning-rate grid (`trainArms`: equal tuning), with
 * ±1 rewards, on-policy, no baseline (`nsrArmObjective`). Held-out pass@k for k up to `max(ks)` by the unbiased
 * estimator (`sampledPassAtK`, n = `evalSamples` sampled answers per problem, the same sampler seeds for every
 * policy). Each arm's rate is the one with the best VALIDATION mean over k of pass@k; the claims read the TEST
 * pass@k at that rate, paired per seed against the starting policy ("base") or against another arm.
 *
 * Why this bed. The claims are about the large-k end of the pass@k curve, which only measures something when
 * the starting policy's per-problem success p is low but nonzero on many held-out problems: a problem with p = 0
 * stays at pass@k = 0 and one with p ≳ 0.1 is at pass@64 ≈ 1 for every arm. Earlier one-seed pilots of the
 * transformer variant on 1–3-digit problems after a long SFT (held-out pass@1 ≈ 0.44) had pass@256 ≈ 0.98 at
 * the start and 1.00 after every arm, so nothing could be lost. Here the held-out and RL problems all have
 * `digits`-digit operands (the hardest of the SFT mixture) and the SFT is short, so the start solves them rarely
 * and unevenly: per-problem p spreads over (0, 1) and pass@k keeps rising up to k = 64. Sharpening onto the
 * answers the policy already produces (what PSR does) can then lower pass@k at large k on the problems it does
 * not solve, while pushing down sampled wrong answers (NSR) redistributes their mass to the alternatives.
 *
 * PSR and NSR differ here only because the parameters are shared. With ±1 rewards and no baseline,
 * E[1(r = +1)∇log π(y)] = ∇J = E[−1(r = −1)∇log π(y)] for each prompt (Σ_y ∇π(y) = 0), so on a tabular policy
 * both follow the same expected gradient. On the transformer one update moves every prompt's distribution and
 * the sampled-sample estimates differ (PSR's gradient lives on the few correct samples, NSR's on the many wrong
 * ones); the paper's point is that these differences decide what happens to large-k pass@k.
 *
 * Where the toy differs from the paper: a 1-layer width-32 transformer instead of a 7B LM, 4-token answers
 * instead of long chains of thought, a few dozen RL steps, k up to 64 (not 256), a shared Adam rate grid of two
 * values (the paper uses one rate for all objectives), and a single answer per problem (math problems also
 * have one final answer, but many valid reasoning paths to it).
 */
import {
  AdditionTask,
  assertFiniteNumber,
  assertInteger,
  bySeed,
  type ClaimRow,
  ConfigError,
  directionalClaim,
  makeDataset,
  pairedBySeed,
  perKClaim,
  type Problem,
  type RegisteredClaim,
  type Rng,
  type Row,
  type RunLog,
  sampledPassAtK,
  type SeedContext,
  type SequencePolicy,
  trainArms,
  type TransformerSetup,
  validateTransformerSetup,
  warmStartTransformer,
} from "../../mod.ts";
import { nsrArmObjective } from "./arms.ts";

/** The arms of the LM tier (plus "base", the SFT start, in the logs). */
export const NSR_LM_ARMS = ["psr", "nsr", "w-reinforce"] as const;

/** LM-tier settings (model + SFT from `TransformerSetup`, then the bed, the RL schedule and the pass@k read). */
export interface NsrLmConfig extends TransformerSetup {
  /** Operand digits of the RL and held-out problems (the SFT warm start sees 1…digits). */
  digits: number;
  /** Validation problems (select each arm's learning rate by mean pass@k over `ks`). */
  validationProblems: number;
  /** Test problems (the claims read these). */
  testProblems: number;
  /** RL steps per run. */
  steps: number;
  /** Problems per RL step (B). */
  batchSize: number;
  /** Rollouts per problem (G). */
  groupSize: number;
  /** Learning-rate grid every arm is trained at (equal tuning). */
  learningRates: number[];
  /** W-REINFORCE weight λ on positive samples. */
  lambda: number;
  /** Sampled answers n per held-out problem for the unbiased pass@k estimator (≥ max k). */
  evalSamples: number;
  /** The k of the pass@k curves (increasing; the claims read the first and the last). */
  ks: number[];
  /** Non-inferiority margin δ of the "keeps pass@k" claims (absolute pass@k). */
  margin: number;
  /** Rows per sampling call of the pass@k evaluation. */
  evalChunk: number;
}

/** LM-tier settings of the quick preset (2 CPU cores: ≈ 14 core-seconds per seed). */
export const NSR_LM_QUICK: NsrLmConfig = {
  dModel: 32,
  nLayers: 1,
  nHeads: 2,
  sftSteps: 350,
  sftBatchSize: 32,
  sftLr: 3e-3,
  digits: 3,
  validationProblems: 16,
  testProblems: 32,
  steps: 30,
  batchSize: 8,
  groupSize: 8,
  learningRates: [1e-4, 3e-4],
  lambda: 0.1,
  evalSamples: 64,
  ks: [1, 2, 4, 8, 16, 32, 64],
  margin: 0.01,
  evalChunk: 4096,
};

/** LM-tier settings of the smoke preset (CI: seconds; too small for verdicts). */
export const NSR_LM_SMOKE: NsrLmConfig = {
  ...NSR_LM_QUICK,
  dModel: 8,
  nHeads: 1,
  sftSteps: 5,
  validationProblems: 3,
  testProblems: 4,
  steps: 2,
  batchSize: 2,
  groupSize: 2,
  learningRates: [3e-4],
  evalSamples: 8,
  ks: [1, 8],
};

/** LM-tier settings of the full preset (GPU; not registered: k up to 256 over more problems and steps). */
export const NSR_LM_FULL: NsrLmConfig = {
  ...NSR_LM_QUICK,
  dModel: 64,
  nLayers: 2,
  nHeads: 4,
  sftSteps: 600,
  validationProblems: 64,
  testProblems: 256,
  steps: 200,
  batchSize: 16,
  learningRates: [3e-5, 1e-4, 3e-4],
  evalSamples: 256,
  ks: [1, 2, 4, 8, 16, 32, 64, 128, 256],
};

/** Check the LM-tier fields; errors name `nsr.lm.<field>`. */
export function validateNsrLm(c: NsrLmConfig): void {
  const p = "nsr.lm";
  validateTransformerSetup(c, p);
  assertInteger(`${p}.digits`, c.digits, { min: 1, max: 6 });
  for (const k of ["validationProblems", "testProblems", "steps", "batchSize", "evalChunk"] as const) {
    assertInteger(`${p}.${k}`, c[k], { min: 1 });
  }
  assertInteger(`${p}.groupSize`, c.groupSize, { min: 2 });
  if (
    !Array.isArray(c.learningRates) || c.learningRates.length === 0 ||
    c.learningRates.some((x) => !(Number.isFinite(x) && x > 0))
  ) {
    throw new ConfigError(`${p}.learningRates`, "must be a non-empty array of rates > 0", c.learningRates);
  }
  assertFiniteNumber(`${p}.lambda`, c.lambda, { min: 0 });
  assertFiniteNumber(`${p}.margin`, c.margin, { min: 0 });
  if (
    !Array.isArray(c.ks) || c.ks.length === 0 || c.ks.some((k) => !Number.isInteger(k) || k < 1) ||
    c.ks.some((k, i) => i > 0 && k <= c.ks[i - 1])
  ) {
    throw new ConfigError(`${p}.ks`, "must be a non-empty increasing array of integers ≥ 1", c.ks);
  }
  assertInteger(`${p}.evalSamples`, c.evalSamples, { min: c.ks[c.ks.length - 1] });
}

/** Mean of pass@k over the ks (the area-like summary that selects each arm's learning rate). */
function meanOverK(passAtK: readonly number[]): number {
  return passAtK.reduce((s, x) => s + x, 0) / passAtK.length;
}

/**
 * One seed of the LM tier (see module doc). Rows: `kind: "lm-passk"` per policy × rate × split × k (every run,
 * base with lr 0), `kind: "lm-curve"` (greedy validation / test accuracy and training accuracy at the end of
 * every run, from `trainArms`), and `kind: "lm-best"` per policy × k: the TEST pass@k at the arm's selected rate
 * (`lr`, `selectionScore` = validation mean pass@k) — the rows the claims read.
 */
export async function runNsrLmTier(c: NsrLmConfig, ctx: SeedContext): Promise<Row[]> {
  const task = new AdditionTask({ minDigits: 1, maxDigits: c.digits });
  const rng = ctx.rng.split(100); // the exact tier uses streams 0…3 of the seed
  const hard = { sampleOptions: { digits: c.digits } };
  const validation = makeDataset(task, c.validationProblems, rng.split(1).seed, hard);
  const test = makeDataset(task, c.testProblems, rng.split(2).seed, { ...hard, exclude: validation });
  const start = await warmStartTransformer(task, c, rng.split(4), [...validation, ...test]);
  const passk = async (policy: SequencePolicy, problems: readonly Problem[], evalRng: Rng) =>
    (await sampledPassAtK(policy, task, problems, {
      n: c.evalSamples,
      ks: c.ks,
      nextSeed: () => evalRng.tfSeed(),
      chunk: c.evalChunk,
    })).passAtK;
  // The same sampler seeds for every policy (common random numbers across arms).
  const evaluate = async (policy: SequencePolicy) => ({
    validation: await passk(policy, validation, rng.split(6)),
    test: await passk(policy, test, rng.split(7)),
  });
  const rows: Row[] = [];
  const results: { arm: string; lr: number; validation: number[]; test: number[] }[] = [];
  const record = (arm: string, lr: number, r: { validation: number[]; test: number[] }) => {
    results.push({ arm, lr, ...r });
    for (const split of ["validation", "test"] as const) {
      c.ks.forEach((k, j) =>
        rows.push({ tier: "lm", kind: "lm-passk", arm, lr, split, k, passAtK: r[split][j] })
      );
    }
  };
  try {
    record("base", 0, await evaluate(start));
    ctx.tick(1);
    const evals = await trainArms({
      start,
      task,
      arms: NSR_LM_ARMS.map((name) => ({
        name,
        config: nsrArmObjective(name, c.lambda),
        parts: () => ({ sampleOptions: { digits: c.digits } }),
      })),
      learningRates: c.learningRates,
      steps: c.steps,
      evalEvery: c.steps,
      config: { seed: rng.split(5).seed, batchSize: c.batchSize, groupSize: c.groupSize },
      validation,
      test,
      onArmEnd: () => ctx.tick(1),
      onRunEnd: async ({ arm, lr, policy }) => record(arm, lr, await evaluate(policy)),
    });
    for (const { trainAccuracy, ...r } of evals) {
      // trainAccuracy is NaN at step 0 (no training yet): left out of that row.
      rows.push({
        tier: "lm",
        kind: "lm-curve",
        ...r,
        ...(Number.isFinite(trainAccuracy) ? { trainAccuracy } : {}),
      });
    }
  } finally {
    start.dispose();
  }
  for (const arm of ["base", ...NSR_LM_ARMS]) {
    const best = results.filter((r) => r.arm === arm).reduce((x, y) => {
      const dx = meanOverK(x.validation);
      const dy = meanOverK(y.validation);
      return dy > dx || (dy === dx && y.lr < x.lr) ? y : x;
    });
    c.ks.forEach((k, j) =>
      rows.push({
        tier: "lm",
        kind: "lm-best",
        arm,
        lr: best.lr,
        k,
        passAtK: best.test[j],
        selectionScore: meanOverK(best.validation),
      })
    );
  }
  return rows;
}

/**
 * Per-seed paired differences of test pass@k at the selected rates, arm `a` − arm `b`, at k: one per seed present
 * in either arm, or per registered seed with `seeds` (a missing value is NaN, counted by the claim).
 */
export function lmPassDiffs(
  log: RunLog | readonly Row[],
  a: string,
  b: string,
  k: number,
  seeds?: number,
): number[] {
  return pairedBySeed(
    bySeed(log, { kind: "lm-best", arm: a, k }, "passAtK"),
    bySeed(log, { kind: "lm-best", arm: b, k }, "passAtK"),
    undefined,
    { seeds },
  );
}

/** Per k of `ks`, the paired per-seed differences pass@k(a) − pass@k(b) (the input of `perKClaim`). */
export function lmPassDiffsByK(
  log: RunLog | readonly Row[],
  a: string,
  b: string,
  ks: readonly number[],
  seeds?: number,
): Map<number, number[][]> {
  return new Map(ks.map((k) => [k, [lmPassDiffs(log, a, b, k, seeds)]]));
}

/** The LM-tier claim rule: the aggregate (`claimAggregate`) of per-seed scores with a 95% stratified-bootstrap CI vs a threshold. */
function lmClaim(
  reg: RegisteredClaim,
  paper: string,
  scores: number[],
  direction: "greater" | "less",
  statistic: string,
  seed: number,
  threshold = 0,
): ClaimRow {
  const row = directionalClaim(reg.claim, paper, [scores], direction, { statistic, seed, threshold });
  return { ...row, id: reg.id, tier: "lm" };
}

/** An LM-tier "keeps pass@k at every k" claim: non-inferiority per k, Holm over k (`perKClaim`). */
function lmPerKClaim(
  reg: RegisteredClaim,
  paper: string,
  byK: Map<number, number[][]>,
  statistic: string,
  seed: number,
  margin: number,
): ClaimRow {
  const row = perKClaim(reg.claim, paper, byK, { statistic, seed, margin, unit: "pass@k difference" });
  return { ...row, id: reg.id, tier: "lm" };
}

/**
 * The registered LM-tier claims (`claims` in the order of `NSR_LM_PREREGISTRATION.claims`): PSR raises pass@1,
 * PSR lowers pass@max-k, NSR keeps pass@k across k, NSR beats PSR at pass@max-k, W-REINFORCE keeps pass@k
 * across k — each a paired per-seed difference of test pass@k at the validation-selected rates.
 */
export function checkNsrLmClaims(
  log: RunLog | readonly Row[],
  c: NsrLmConfig,
  claims: readonly RegisteredClaim[],
): ClaimRow[] {
  const kMax = c.ks[c.ks.length - 1];
  const stat = (what: string) =>
    `paired per-seed difference ${what} (held-out test problems, unbiased pass@k from ` +
    `n = ${c.evalSamples} samples per problem, each arm at its validation-selected learning rate)`;
  const kRange = `k ∈ {${c.ks.join(", ")}}`;
  const [psr1, psrK, nsrAll, nsrPsr, wAll] = claims;
  return [
    lmClaim(
      psr1,
      "PSR improves Pass@1",
      lmPassDiffs(log, "psr", "base", 1),
      "greater",
      stat("pass@1(PSR) − pass@1(base)"),
      11,
    ),
    lmClaim(
      psrK,
      "PSR degrades performance at higher k",
      lmPassDiffs(log, "psr", "base", kMax),
      "less",
      stat(`pass@${kMax}(PSR) − pass@${kMax}(base)`),
      12,
    ),
    lmPerKClaim(
      nsrAll,
      "NSR keeps or improves Pass@k across the entire spectrum (k up to 256)",
      lmPassDiffsByK(log, "nsr", "base", c.ks),
      stat(`pass@k(NSR) − pass@k(base) at each ${kRange}`),
      13,
      c.margin,
    ),
    lmClaim(
      nsrPsr,
      "NSR preserves diversity; PSR reduces it",
      lmPassDiffs(log, "nsr", "psr", kMax),
      "greater",
      stat(`pass@${kMax}(NSR) − pass@${kMax}(PSR)`),
      14,
    ),
    lmPerKClaim(
      wAll,
      "W-REINFORCE (λ = 0.1) performs well across the Pass@k spectrum",
      lmPassDiffsByK(log, "w-reinforce", "base", c.ks),
      stat(`pass@k(W-REINFORCE) − pass@k(base) at each ${kRange}`),
      15,
      c.margin,
    ),
  ];
}
