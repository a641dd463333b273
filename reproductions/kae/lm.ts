/**
 * LM tier of the KAE reproduction (Kernelized Advantage Estimation, arXiv 2604.28005): a TinyTransformer
 * warm-started on 1…maxDigits-digit addition (lib/experiment/lm_tier.ts) and trained by `RLVRTrainer` on a
 * small finite pool (`trainSetSize`), so every prompt is revisited every few steps and KAE's per-prompt
 * history exists. Arms, from the same start at every rate of one grid (equal tuning), at equal rollouts per step:
 *
 * - `reinforce`: G = 1, no baseline (Â = r);
 * - `kae`: G = 1, Â = r − V̂_t(x), V̂ the Nadaraya–Watson smoothing of the prompt's past rewards over the step
 *   index (`kaeEstimator`; at G = 1 the leave-one-out V̂ is the past-only baseline);
 * - `grpo-g4`: GRPO at G = `grpoGroupSize` on batchSize / G prompts per step (the same rollouts per step).
 *
 * Value-error mechanism (the paper's "value MSE lower than GRPO's group mean"): in the `kae` runs, at the steps
 * (s + 1) % probeEvery = 0, every batch prompt's exact success probability p(x) under the pre-update policy is
 * computed by teacher forcing its answer (`exactAnswerProbabilities`; addition has one accepted answer), and a
 * `SuccessProbe` draws `probeSamples` fresh rollouts of it (training is unchanged): the first `grpoGroupSize` form
 * the group mean GRPO would see at that G (equal rollouts: 4× KAE's). Each estimate's squared error is scored
 * against the exact p(x) — no reference noise, no Monte-Carlo reference. Also scored: the G = 1 group mean (the
 * trained sample itself, the paper's equal-G comparison, where GRPO's advantage is 0).
 *
 * Where the toy differs from the paper: prompts are drawn uniformly with replacement from the pool (revisits at
 * random gaps, ≈ trainSetSize / batchSize steps apart) rather than kept for several consecutive steps; the policy
 * is a 1-layer transformer and the task is addition, with a few dozen steps; rewards are 0/1; the MSE is measured
 * on the batch prompts at a few steps of the selected-rate run, against a K-sample reference.
 *
 * Cost: the quick preset took ≈ 87 CPU-seconds per seed on a loaded 2-core machine (about 2/3 of it the
 * 300-step SFT warm start), so 10 seeds exceed the LM-tier budget of ~150 core-seconds several times over.
 */
import {
  type AdditionOptions,
  type AdvantageContext,
  type Arm,
  assertFiniteNumber,
  assertInteger,
  assertOneOf,
  baselineRolloutBudgets,
  bySeed,
  type ClaimRow,
  ConfigError,
  type Curriculum,
  type CurriculumBatch,
  type CurriculumContext,
  directionalClaim,
  exactAnswerProbabilities,
  type KaeAdvantagesResult,
  kaeEstimator,
  type KaeKernel,
  lmArmClaim,
  type LmTierBed,
  type LmTierConfig,
  pairedBySeed,
  type PreconditionSpec,
  type RegisteredClaim,
  type Row,
  runLmTier,
  type RunLog,
  type SeedContext,
  SuccessProbe,
  type SuccessProbeRecord,
  UniformSampling,
  validateLmTier,
} from "../../mod.ts";

/** KAE LM-tier settings: the shared LM-tier fragment (groupSize = 1 for the G = 1 arms) plus KAE's. */
export interface KaeLmConfig extends LmTierConfig {
  /** KAE kernel over the step lag ("triangular": the paper's main choice). */
  kernel: KaeKernel;
  /** KAE bandwidth h in steps. */
  bandwidth: number;
  /** Group size of the GRPO arm, which samples batchSize / grpoGroupSize prompts per step (equal rollouts). */
  grpoGroupSize: number;
  /** Probe every this many steps (at 0-based steps s with (s + 1) % probeEvery = 0) in the KAE runs. */
  probeEvery: number;
  /** Fresh rollouts per probed prompt; the first grpoGroupSize form the group mean (≥ grpoGroupSize). */
  probeSamples: number;
}

/** Arm names of the KAE LM tier. */
export const KAE_LM_ARMS = ["reinforce", "kae", "grpo"] as const;

/** Check every field; errors name `lm.<field>`. */
export function validateKaeLm(c: KaeLmConfig): void {
  validateLmTier(c, "lm");
  if (c.groupSize !== 1) {
    throw new ConfigError("lm.groupSize", "must be 1 (the G = 1 arms of KAE)", c.groupSize);
  }
  assertInteger("lm.trainSetSize", c.trainSetSize, { min: 1 });
  assertOneOf("lm.kernel", c.kernel, ["triangular", "exponential"] as const);
  assertFiniteNumber("lm.bandwidth", c.bandwidth, { min: 0, exclusiveMin: true });
  assertInteger("lm.grpoGroupSize", c.grpoGroupSize, { min: 2 });
  if (c.batchSize % c.grpoGroupSize !== 0) {
    throw new ConfigError(
      "lm.batchSize",
      `must be a multiple of grpoGroupSize (${c.grpoGroupSize})`,
      c.batchSize,
    );
  }
  assertInteger("lm.probeEvery", c.probeEvery, { min: 1, max: c.steps });
  assertInteger("lm.probeSamples", c.probeSamples, { min: c.grpoGroupSize });
}

/** 0-based probe steps of a run: s with (s + 1) % probeEvery = 0. */
export function probeSteps(c: Pick<KaeLmConfig, "steps" | "probeEvery">): number[] {
  return Array.from({ length: Math.floor(c.steps / c.probeEvery) }, (_, i) => (i + 1) * c.probeEvery - 1);
}

/** One probed prompt: KAE's V̂ with its kernel weight, the trained sample's reward, the probe scores and p(x). */
export interface ValueProbe {
  /** V̂_t(x) used by KAE for the trained sample. */
  baseline: number;
  /** Its total kernel weight (0: no history, V̂ = 0). */
  weight: number;
  /** Reward of the trained sample (the G = 1 group mean). */
  reward: number;
  /** Scores of the fresh probe rollouts. */
  scores: number[];
  /** Exact success probability p(x) of the prompt under the pre-update policy (teacher forcing). */
  success: number;
}

/**
 * Value errors of one run's probes against the exact success probability p(x): mean (V̂ − p)² of KAE's baseline,
 * of the group mean of the first `groupSize` probe scores and of the trained sample (G = 1 group mean); the share
 * of probes whose V̂ had kernel history, and the mean p.
 */
export function valueMse(probes: readonly ValueProbe[], groupSize: number): {
  kae: number;
  groupMean: number;
  singleSample: number;
  withHistory: number;
  meanReference: number;
  n: number;
} {
  let kae = 0, groupMean = 0, single = 0, hist = 0, ref = 0;
  for (const p of probes) {
    if (p.scores.length < groupSize) {
      throw new ConfigError("probes[].scores", `must hold ≥ ${groupSize} scores`, p.scores.length);
    }
    const m = p.scores.slice(0, groupSize).reduce((a, b) => a + b, 0) / groupSize;
    kae += (p.baseline - p.success) ** 2;
    groupMean += (m - p.success) ** 2;
    single += (p.reward - p.success) ** 2;
    hist += p.weight > 0 ? 1 : 0;
    ref += p.success;
  }
  const n = probes.length;
  return {
    kae: kae / n,
    groupMean: groupMean / n,
    singleSample: single / n,
    withHistory: hist / n,
    meanReference: ref / n,
    n,
  };
}

/**
 * Exact success probability of every chosen prompt under the current (pre-update) policy at the listed steps:
 * wraps `inner` and, after it chose its batch, teacher-forces each prompt's accepted answer
 * (`exactAnswerProbabilities`) and hands p(x) per group to `onExact`. A measurement only (no sampling).
 */
class ExactSuccessProbe implements Curriculum {
  readonly name: string;
  constructor(
    readonly inner: Curriculum,
    readonly policy: Parameters<typeof exactAnswerProbabilities>[0],
    readonly task: Parameters<typeof exactAnswerProbabilities>[1],
    readonly steps: ReadonlySet<number>,
    readonly onExact: (step: number, success: number[]) => void,
  ) {
    this.name = inner.name;
  }
  get state(): unknown {
    return this.inner.state;
  }
  set state(s: unknown) {
    this.inner.state = s;
  }
  async nextBatch(ctx: CurriculumContext): Promise<CurriculumBatch> {
    const b = await this.inner.nextBatch(ctx);
    if (this.steps.has(ctx.step) && b.groups.length > 0) {
      const exact = await exactAnswerProbabilities(this.policy, this.task, b.groups.map((g) => g.problem));
      this.onExact(ctx.step, exact.map((e) => e.success));
    }
    return b;
  }
}

/**
 * One seed of the KAE LM tier: `runLmTier` rows (`lm-eval`, `lm-best`) plus one `lm-value-mse` row — the value
 * MSE of KAE's V̂, of the group mean of `grpoGroupSize` fresh samples and of the trained sample itself, over the
 * probes of the `kae` run at its validation-selected rate.
 */
export async function runKaeLmTier(c: KaeLmConfig, ctx: SeedContext): Promise<Row[]> {
  validateKaeLm(c);
  const probes = new Map<number, ValueProbe[]>();
  const arms = (bed: LmTierBed): Arm<AdditionOptions>[] => [
    { name: "reinforce", config: { estimator: "reinforce" }, parts: () => ({ trainSet: bed.trainSet }) },
    {
      name: "kae",
      config: { estimator: "kae" }, // the registered name; `parts.estimator` adds the options and `observe`
      parts: (policy, { lr }) => {
        const list: ValueProbe[] = [];
        probes.set(lr, list);
        let pending: SuccessProbeRecord | null = null;
        let exact: { step: number; success: number[] } | null = null;
        const observe = (results: KaeAdvantagesResult[], _rs: number[][], ctx: AdvantageContext) => {
          const probe = pending;
          if (probe === null || probe.step !== ctx.step || exact?.step !== ctx.step) return;
          const success = exact.success;
          results.forEach((res, g) =>
            list.push({
              baseline: res.baselines[0],
              weight: res.weights[0],
              reward: (probe.groups[g].correct ?? probe.groups[g].rewards)[0],
              scores: probe.scores[g],
              success: success[g],
            })
          );
        };
        const steps = probeSteps(c);
        return {
          trainSet: bed.trainSet,
          estimator: kaeEstimator({ kernel: c.kernel, bandwidth: c.bandwidth }, { observe }),
          curriculum: new ExactSuccessProbe(
            new SuccessProbe(new UniformSampling(), {
              samples: c.probeSamples,
              steps,
              onProbe: (r) => (pending = r),
            }),
            policy,
            bed.task,
            new Set(steps),
            (step, success) => (exact = { step, success }),
          ),
        };
      },
    },
    {
      name: "grpo",
      config: { estimator: "grpo", groupSize: c.grpoGroupSize, batchSize: c.batchSize / c.grpoGroupSize },
      parts: () => ({ trainSet: bed.trainSet }),
    },
  ];
  // every arm spends batchSize rollouts per step; the budgets are read exactly at each step readout
  const rows = await runLmTier(c, arms, ctx, { rolloutBudgets: baselineRolloutBudgets(c, c.batchSize) });
  const best = rows.find((r) => r.kind === "lm-best" && r.arm === "kae")!;
  const mse = valueMse(probes.get(Number(best.lr)) ?? [], c.grpoGroupSize);
  rows.push({
    tier: "lm",
    kind: "lm-value-mse",
    arm: "kae",
    lr: best.lr,
    mseKae: mse.kae,
    mseGroupMean: mse.groupMean,
    mseSingleSample: mse.singleSample,
    withHistory: mse.withHistory,
    meanReference: mse.meanReference,
    probes: mse.n,
  });
  return rows;
}

const PAPER = "KAE (arXiv 2604.28005)";

/**
 * LM-tier claims, in the order of `registered` (ids kae.lm.1…4): KAE vs REINFORCE at G = 1 (equal steps and
 * rollouts), KAE at G = 1 vs GRPO at G = 4 (equal rollouts), and KAE's value MSE below the G = 1 and the
 * G = 4 group means (per-seed paired differences, 95% bootstrap CI via `directionalClaim`).
 */
export function checkKaeLmClaims(log: RunLog, registered: readonly RegisteredClaim[]): ClaimRow[] {
  const byId = (id: string) => {
    const r = registered.find((x) => x.id === id);
    if (!r) throw new ConfigError("registered", `must hold claim ${id}`);
    return r;
  };
  const mseClaim = (id: string, field: string): ClaimRow => {
    const reg = byId(id);
    const diffs = pairedBySeed(
      bySeed(log, { kind: "lm-value-mse" }, field),
      bySeed(log, { kind: "lm-value-mse" }, "mseKae"),
    );
    const row = directionalClaim(reg.claim, PAPER, [diffs], "greater", {
      statistic:
        `per-seed difference of value MSE against the exact (teacher-forced) success probability (${field} − ` +
        "mseKae), KAE run at its validation-selected rate",
    });
    return { ...row, id: reg.id, tier: "lm" };
  };
  return [
    lmArmClaim(log, byId("kae.lm.1"), PAPER, { a: "kae", b: "reinforce", field: "testAccuracy" }),
    lmArmClaim(log, byId("kae.lm.2"), PAPER, { a: "kae", b: "grpo", field: "testAtEqualRollouts" }),
    mseClaim("kae.lm.3", "mseSingleSample"),
    mseClaim("kae.lm.4", "mseGroupMean"),
  ];
}

/**
 * Precondition of the value-error claims: the mean over seeds of the share of probed prompts whose V̂ had kernel
 * history (weight > 0; without it V̂ = 0 and the claim compares a constant) must reach `threshold`.
 */
export function kaeHistoryPrecondition(id: string, threshold: number): PreconditionSpec {
  return {
    id,
    tier: "lm",
    quantity: KAE_HISTORY_QUANTITY,
    comparison: ">=",
    threshold,
    measure: (log) => {
      const v = [...bySeed(log, { kind: "lm-value-mse" }, "withHistory").values()].filter(Number.isFinite);
      return v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN;
    },
  };
}

/** The quantity of the KAE history precondition (registered and declared with the same text). */
export const KAE_HISTORY_QUANTITY =
  "mean over seeds of the share of probed prompts of the kae run (at its selected rate) whose V̂ had kernel " +
  "history (total kernel weight > 0)";
