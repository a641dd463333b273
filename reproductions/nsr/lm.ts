/**
 * The LM tier of the NSR / PSR / W-REINFORCE reproduction (Zhu et al., arXiv 2506.01347): a TinyTransformer
 * warm-started by SFT on 1…digits-digit addition, then PSR, NSR and W-REINFORCE (λ on positives) trained by
 * `RLVRTrainer` from that same start at every rate of one learning-rate grid (`trainArms`: equal tuning), with
 * ±1 rewards, on-policy, no baseline (`nsrArmObjective`). Held-out pass@k is EXACT: an addition problem has one
 * accepted answer, whose probability p(x) is teacher-forced through the policy (`exactAnswerProbabilities`), and
 * pass@k = mean_x [1 − (1 − p(x))^k] (`exactPassAtKValues`) for every k up to `max(ks)` with no sampling noise.
 * Each arm's rate is the one with the best VALIDATION mean over k of pass@k; when that rate lies at an edge of
 * the grid, the grid is extended by the pre-registered rule `gridExtension` (the same for every arm), and an arm
 * still selected at an edge is marked `edgeSelected` (its rate is not tuned). The claims read the TEST pass@k at
 * the selected rate, paired per seed against the starting policy ("base") or against another arm.
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
 * instead of long chains of thought, a few dozen RL steps, a shared Adam rate grid of two values extended at an
 * edge (the paper uses one rate for all objectives), and a single answer per problem (math problems also
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
  exactAnswerProbabilities,
  exactPassAtKValues,
  type GridExtension,
  makeDataset,
  pairedBySeed,
  perKClaim,
  type PreconditionSpec,
  type Problem,
  type RegisteredClaim,
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
  /** The k of the exact pass@k curves (increasing); the claims read those ≤ `claimMaxK`, larger k are reported. */
  ks: number[];
  /** Largest k the claims test (the paper's k = 256); k above it are reported values only. */
  claimMaxK: number;
  /** Non-inferiority margin δ of the "keeps pass@k" claims (absolute pass@k). */
  margin: number;
  /** Rows (prompt + answer) per teacher-forcing pass of the exact evaluation. */
  evalBatch: number;
  /** The pre-registered edge-of-grid rule, the same for every arm (`trainArms`' `GridExtension`). */
  gridExtension: GridExtension;
}

const POW2_TO_256 = [1, 2, 4, 8, 16, 32, 64, 128, 256];

/** LM-tier settings of the quick preset (2 CPU cores). */
export const NSR_LM_QUICK: NsrLmConfig = {
  dModel: 32,
  nLayers: 1,
  nHeads: 2,
  sftSteps: 350,
  sftBatchSize: 32,
  sftLr: 3e-3,
  digits: 3,
  validationProblems: 64,
  testProblems: 256,
  steps: 30,
  batchSize: 8,
  groupSize: 8,
  learningRates: [1e-4, 3e-4],
  lambda: 0.1,
  ks: [...POW2_TO_256, 1024],
  claimMaxK: 256,
  margin: 0.01,
  evalBatch: 1024,
  gridExtension: { factor: 3, maxExtensions: 1 },
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
  ks: [1, 8, 256, 1024],
  claimMaxK: 256,
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
};

/** Check the LM-tier fields; errors name `nsr.lm.<field>`. */
export function validateNsrLm(c: NsrLmConfig): void {
  const p = "nsr.lm";
  validateTransformerSetup(c, p);
  assertInteger(`${p}.digits`, c.digits, { min: 1, max: 6 });
  for (const k of ["validationProblems", "testProblems", "steps", "batchSize", "evalBatch"] as const) {
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
  assertInteger(`${p}.claimMaxK`, c.claimMaxK, { min: c.ks[0] });
  if (!c.gridExtension || typeof c.gridExtension !== "object") {
    throw new ConfigError(`${p}.gridExtension`, "must be { factor, maxExtensions }", c.gridExtension);
  }
  assertFiniteNumber(`${p}.gridExtension.factor`, c.gridExtension.factor, { min: 1, exclusiveMin: true });
  assertInteger(`${p}.gridExtension.maxExtensions`, c.gridExtension.maxExtensions, { min: 0 });
}

/** The k of `c.ks` the claims test (≤ `claimMaxK`). */
export function nsrClaimKs(c: NsrLmConfig): number[] {
  return c.ks.filter((k) => k <= c.claimMaxK);
}

/** Mean of pass@k over the ks (the area-like summary that selects each arm's learning rate). */
function meanOverK(passAtK: readonly number[]): number {
  return passAtK.reduce((s, x) => s + x, 0) / passAtK.length;
}

/** The rate of `results` (one arm) with the best validation mean over k of pass@k; ties → the smaller rate. */
function selectRate(results: readonly { lr: number; validation: number[] }[]): number {
  return results.reduce((x, y) => {
    const dx = meanOverK(x.validation);
    const dy = meanOverK(y.validation);
    return dy > dx || (dy === dx && y.lr < x.lr) ? y : x;
  }).lr;
}

/**
 * One seed of the LM tier (see module doc). Rows: `kind: "lm-passk"` per policy × rate × split × k (every run,
 * base with lr 0; exact pass@k), `kind: "lm-curve"` (greedy validation / test accuracy and training accuracy at
 * the end of every run, from `trainArms`), and `kind: "lm-best"` per policy × k: the TEST pass@k at the arm's
 * selected rate (`lr`, `selectionScore` = validation mean pass@k, `edgeSelected` = 1 when that rate is still at
 * an edge of the extended grid) — the rows the claims read.
 */
export async function runNsrLmTier(c: NsrLmConfig, ctx: SeedContext): Promise<Row[]> {
  const task = new AdditionTask({ minDigits: 1, maxDigits: c.digits });
  const rng = ctx.rng.split(100); // the exact tier uses streams 0…3 of the seed
  const hard = { sampleOptions: { digits: c.digits } };
  const validation = makeDataset(task, c.validationProblems, rng.split(1).seed, hard);
  const test = makeDataset(task, c.testProblems, rng.split(2).seed, { ...hard, exclude: validation });
  const start = await warmStartTransformer(task, c, rng.split(4), [...validation, ...test]);
  const passk = async (policy: SequencePolicy, problems: readonly Problem[]) =>
    exactPassAtKValues(
      (await exactAnswerProbabilities(policy, task, problems, { batchSize: c.evalBatch }))
        .map((e) => e.success),
      c.ks,
    );
  const evaluate = async (policy: SequencePolicy) => ({
    validation: await passk(policy, validation),
    test: await passk(policy, test),
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
  const rates = [...c.learningRates];
  try {
    record("base", 0, await evaluate(start));
    ctx.tick(1);
    const train = (learningRates: readonly number[]) =>
      trainArms({
        start,
        task,
        arms: NSR_LM_ARMS.map((name) => ({
          name,
          config: nsrArmObjective(name, c.lambda),
          parts: () => ({ sampleOptions: { digits: c.digits } }),
        })),
        learningRates,
        steps: c.steps,
        evalEvery: c.steps,
        config: { seed: rng.split(5).seed, batchSize: c.batchSize, groupSize: c.groupSize },
        validation,
        test,
        onRunEnd: async ({ arm, lr, policy }) => record(arm, lr, await evaluate(policy)),
      });
    const evals = await train(rates);
    // The pre-registered edge-of-grid rule on this tier's selection criterion (validation mean pass@k): when
    // some arm selects the smallest (largest) rate, every arm is trained at rate/factor (rate·factor) too.
    for (let round = 0; round < c.gridExtension.maxExtensions; round++) {
      const lo = Math.min(...rates), hi = Math.max(...rates);
      const selected = NSR_LM_ARMS.map((arm) => selectRate(results.filter((r) => r.arm === arm)));
      const added = [
        ...(selected.includes(lo) ? [lo / c.gridExtension.factor] : []),
        ...(selected.includes(hi) ? [hi * c.gridExtension.factor] : []),
      ];
      if (added.length === 0) break;
      evals.push(...await train(added));
      rates.push(...added);
    }
    NSR_LM_ARMS.forEach(() => ctx.tick(1));
    for (const { trainAccuracy, edgeSelected: _e, ...r } of evals) {
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
  const lo = Math.min(...rates), hi = Math.max(...rates);
  for (const arm of ["base", ...NSR_LM_ARMS]) {
    const lr = selectRate(results.filter((r) => r.arm === arm));
    const best = results.find((r) => r.arm === arm && r.lr === lr)!;
    const edgeSelected = arm === "base" ? 0 : lr === lo || lr === hi ? 1 : 0;
    c.ks.forEach((k, j) =>
      rows.push({
        tier: "lm",
        kind: "lm-best",
        arm,
        lr,
        k,
        passAtK: best.test[j],
        selectionScore: meanOverK(best.validation),
        edgeSelected,
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
  const row = directionalClaim(reg.claim, paper, [scores], direction, {
    statistic,
    seed,
    threshold,
    preconditions: reg.preconditions,
  });
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
  const row = perKClaim(reg.claim, paper, byK, {
    statistic,
    seed,
    margin,
    unit: "pass@k difference",
    preconditions: reg.preconditions,
  });
  return { ...row, id: reg.id, tier: "lm" };
}

/** Mean over seeds of the starting policy's exact test pass@k (`lm-best` rows of "base"); NaN without them. */
export function nsrStartPassAtK(log: RunLog, k: number): number {
  const v = selectRows(log, { kind: "lm-best", arm: "base", k }).map((r) => Number(r.passAtK));
  return v.length ? v.reduce((x, y) => x + y, 0) / v.length : NaN;
}

/** Share of seeds on which `arm`'s selected rate is still at an edge of the extended grid; NaN without rows. */
export function nsrEdgeShare(log: RunLog, arm: string): number {
  const edge = new Map<number, number>();
  for (const r of selectRows(log, { kind: "lm-best", arm })) edge.set(Number(r.seed), Number(r.edgeSelected));
  const v = [...edge.values()];
  return v.length ? v.filter((x) => x === 1).length / v.length : NaN;
}

/**
 * The LM tier's preconditions (thresholds and reasoning in the plan, reproductions/nsr/preregistration.ts): the
 * starting policy's exact pass@1 in a band where groups of G = 8 see both outcomes, pass@256 below the ceiling,
 * and each trained arm tuned (its selected rate inside the extended grid on most seeds).
 */
export const NSR_LM_PRECONDITIONS: readonly PreconditionSpec[] = [
  {
    id: "nsr.lm.pre1",
    tier: "lm",
    quantity: "the starting policy's exact held-out test pass@1, mean over seeds (probability)",
    comparison: ">=",
    threshold: 0.02,
    measure: (log) => nsrStartPassAtK(log, 1),
  },
  {
    id: "nsr.lm.pre2",
    tier: "lm",
    quantity: "the starting policy's exact held-out test pass@1, mean over seeds (probability)",
    comparison: "<=",
    threshold: 0.5,
    measure: (log) => nsrStartPassAtK(log, 1),
  },
  {
    id: "nsr.lm.pre3",
    tier: "lm",
    quantity: "the starting policy's exact held-out test pass@256, mean over seeds (probability)",
    comparison: "<=",
    threshold: 0.95,
    measure: (log) => nsrStartPassAtK(log, 256),
  },
  ...NSR_LM_ARMS.map((arm, i): PreconditionSpec => ({
    id: `nsr.lm.pre${4 + i}`,
    tier: "lm",
    quantity: `share of seeds on which the ${arm} arm's selected rate is at an edge of the extended grid ` +
      "(not tuned)",
    comparison: "<=",
    threshold: 0.2,
    measure: (log) => nsrEdgeShare(log, arm),
  })),
];

/**
 * The registered LM-tier claims (`claims` in the order of `NSR_LM_PREREGISTRATION.claims`): PSR raises pass@1,
 * PSR lowers pass@256, NSR keeps pass@k at every k ≤ 256, NSR beats PSR at pass@256, W-REINFORCE keeps pass@k at
 * every k ≤ 256 — each a paired per-seed difference of exact test pass@k at the validation-selected rates.
 */
export function checkNsrLmClaims(
  log: RunLog | readonly Row[],
  c: NsrLmConfig,
  claims: readonly RegisteredClaim[],
): ClaimRow[] {
  const ks = nsrClaimKs(c);
  const kMax = ks[ks.length - 1];
  const stat = (what: string) =>
    `paired per-seed difference ${what} (${c.testProblems} held-out test problems, exact pass@k from the ` +
    "teacher-forced answer probability, each arm at its validation-selected learning rate)";
  const kRange = `k ∈ {${ks.join(", ")}}`;
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
      lmPassDiffsByK(log, "nsr", "base", ks),
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
      lmPassDiffsByK(log, "w-reinforce", "base", ks),
      stat(`pass@k(W-REINFORCE) − pass@k(base) at each ${kRange}`),
      15,
      c.margin,
    ),
  ];
}
