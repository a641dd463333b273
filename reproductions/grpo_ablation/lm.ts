/**
 * LM tier of the GRPO-family ablation: Dr.GRPO's length bias (arXiv 2503.20783) and DAPO's clip-higher
 * (arXiv 2503.14476) on a TinyTransformer trained by `RLVRTrainer` through `trainArms` (every arm from the same
 * warm start at every rate of one grid; validation accuracy selects each arm's rate).
 *
 * Why this bed has the mechanism. GRPO's loss weighs response i's tokens by Â_i/|o_i|, so for the part of the
 * policy that decides the length L, its expected update ascends E[Â/L] rather than E[Â]: with Â > 0 it prefers
 * short responses, with Â < 0 long ones (−|Â|/L → 0 as L grows). Dr.GRPO weighs tokens by Â_i/L_max, whose
 * length part ascends E[Â]: no pull on length where length does not change the reward. The pull only acts on
 * wrong responses if the policy can tell, while it chooses the length, that the response is wrong; if length
 * depends only on the prompt, Σ_i Â_i = 0 within a group cancels it exactly (the flaw of a bed whose failures are
 * invisible to the policy). Here the task is `FreeLengthAdditionTask` with `unansweredRate` > 0: the warm start
 * imitates references that sometimes omit the answer (filler, then eos), as an R1-Zero base model often rambles
 * without answering. Such a response is wrong, the policy sees that in its own prefix, and the rest of its
 * length is free — so GRPO should make these wrong responses longer than Dr.GRPO does, while the shared filler
 * and eos embeddings couple them to the correct responses, which GRPO pulls shorter (the claim can fail).
 *
 * Where the toy differs from the paper: a 1-digit sum, not a chain of thought; the visible failure is a missing
 * answer rather than confused reasoning; tens of RL steps, not hundreds; the response cap is `maxFree` tokens.
 *
 * Clip-higher: arms `clip-symmetric` (ε_low = ε_high = 0.2) and `clip-higher` (ε_high = `epsHigh`), both with
 * DAPO's token-mean loss and `clipEpochs` PPO epochs per batch (one epoch never clips: the ratio is 1).
 */
import {
  type AdditionOptions,
  type Arm,
  assertFiniteNumber,
  assertInteger,
  bestLearningRates,
  type ClaimRow,
  ConfigError,
  directionalClaim,
  exactAnswerProbabilities,
  FreeLengthAdditionTask,
  type GridExtension,
  GroupStatistics,
  type GroupStatisticsFn,
  makeDataset,
  type PreconditionSpec,
  type Problem,
  type RegisteredClaim,
  type RolloutGroup,
  type Row,
  type RunLog,
  type SeedContext,
  seedMatrix,
  selectRows,
  trainArms,
  type TrainerConfig,
  type TransformerSetup,
  UniformSampling,
  validateTransformerSetup,
  warmStartTransformer,
} from "../../mod.ts";
import { difficultyProbe } from "./probe.ts";

/** LM-tier settings (model and SFT warm start: `TransformerSetup`). */
export interface GrpoAblationLmConfig extends TransformerSetup {
  /** Digits per operand. */
  digits: number;
  /** Most filler tokens in a warm-start reference (uniform 0…maxFiller). */
  maxFiller: number;
  /** Most free tokens a response may have after its answer (sizes the context). */
  maxFree: number;
  /** Probability that a warm-start reference omits the answer (a visible failure). */
  unansweredRate: number;
  /** Validation problems (select each arm's learning rate). */
  validationSize: number;
  /** Test problems (held-out greedy accuracy, reported). */
  testSize: number;
  /** RL steps per run. */
  steps: number;
  /** Evaluate validation and test accuracy every this many steps. */
  evalEvery: number;
  /** Problems per RL step (B). */
  batchSize: number;
  /** Rollouts per problem (G). */
  groupSize: number;
  /** Learning-rate grid every arm is trained at (equal tuning). */
  learningRates: number[];
  /** PPO epochs per batch of the two clip arms (≥ 2 so the ratio leaves 1). */
  clipEpochs: number;
  /** ε_high of the clip-higher arm (DAPO 0.28; the symmetric arm uses 0.2). */
  epsHigh: number;
  /** Questions of the difficulty-bias probe on the warm start (charts; 0 = none). */
  probeQuestions: number;
  /** Steps per window of the logged curves (lengths by correctness, entropy). */
  curveEvery: number;
  /** Arms to train (claims needing a missing arm come out inconclusive with n = 0). */
  arms: GrpoAblationLmArm[];
  /** Pre-registered edge-of-grid rule (`trainArms`' `gridExtension`, the same for every arm); absent: fixed grid. */
  gridExtension?: GridExtension;
}

/** Arms of the LM tier (module doc). */
export const GRPO_ABLATION_LM_ARMS = ["grpo", "dr-grpo", "clip-symmetric", "clip-higher"] as const;
/** An LM-tier arm. */
export type GrpoAblationLmArm = typeof GRPO_ABLATION_LM_ARMS[number];

/** Fewer seeds than this make every LM claim "inconclusive" (underpowered; e.g. the smoke preset). */
export const MIN_LM_SEEDS_FOR_VERDICT = 5;

/** Trainer settings of an LM-tier arm (the learning rate comes from the grid). */
export function lmArmConfig(arm: GrpoAblationLmArm, c: GrpoAblationLmConfig): Partial<TrainerConfig> {
  switch (arm) {
    case "grpo":
      return { estimator: "grpo", aggregation: "seq-mean-token-mean" };
    case "dr-grpo":
      return { estimator: "dr-grpo", aggregation: "seq-mean-token-sum-norm" };
    case "clip-symmetric":
      return { estimator: "grpo", aggregation: "token-mean", ppoEpochs: c.clipEpochs, epsHigh: 0.2 };
    case "clip-higher":
      return { estimator: "grpo", aggregation: "token-mean", ppoEpochs: c.clipEpochs, epsHigh: c.epsHigh };
    default:
      throw new ConfigError("arm", `must be one of ${GRPO_ABLATION_LM_ARMS.join(", ")}`, arm);
  }
}

/** Check the LM-tier fields; errors name `<prefix>.<field>`. */
export function validateGrpoAblationLm(c: GrpoAblationLmConfig, prefix: string): void {
  validateTransformerSetup(c, prefix);
  for (
    const k of ["digits", "maxFree", "validationSize", "testSize", "steps", "evalEvery", "batchSize"] as const
  ) {
    assertInteger(`${prefix}.${k}`, c[k], { min: 1 });
  }
  assertInteger(`${prefix}.curveEvery`, c.curveEvery, { min: 1 });
  assertInteger(`${prefix}.maxFiller`, c.maxFiller, { min: 0, max: c.maxFree });
  assertInteger(`${prefix}.probeQuestions`, c.probeQuestions, { min: 0 });
  assertInteger(`${prefix}.groupSize`, c.groupSize, { min: 2 });
  assertInteger(`${prefix}.clipEpochs`, c.clipEpochs, { min: 2 }); // one epoch never clips
  assertFiniteNumber(`${prefix}.unansweredRate`, c.unansweredRate, { min: 0, max: 1 });
  if (c.gridExtension !== undefined) {
    assertFiniteNumber(`${prefix}.gridExtension.factor`, c.gridExtension?.factor, {
      min: 1,
      exclusiveMin: true,
    });
    assertInteger(`${prefix}.gridExtension.maxExtensions`, c.gridExtension.maxExtensions, { min: 0 });
  }
  assertFiniteNumber(`${prefix}.epsHigh`, c.epsHigh, { min: 0.2 });
  if (!Array.isArray(c.learningRates) || c.learningRates.length === 0) {
    throw new ConfigError(`${prefix}.learningRates`, "must be a non-empty array of rates", c.learningRates);
  }
  if (
    !Array.isArray(c.arms) || c.arms.length === 0 || new Set(c.arms).size !== c.arms.length ||
    c.arms.some((a) => !GRPO_ABLATION_LM_ARMS.includes(a))
  ) {
    throw new ConfigError(
      `${prefix}.arms`,
      `must be a non-empty list of distinct arms from ${GRPO_ABLATION_LM_ARMS.join(", ")}`,
      c.arms,
    );
  }
  for (const lr of c.learningRates) {
    assertFiniteNumber(`${prefix}.learningRates[]`, lr, { min: 0, exclusiveMin: true });
  }
}

/**
 * Per-step response lengths by outcome (Σ length and count): correct, incorrect, and the incorrect ones whose
 * first token is not a digit of the answer alphabet ("unanswered", the visible failures).
 */
export function lengthByOutcome(digitIds: ReadonlySet<number>): GroupStatisticsFn {
  return (groups: readonly RolloutGroup[]): Record<string, number> => {
    const s = {
      incorrectLengthSum: 0,
      incorrect: 0,
      correctLengthSum: 0,
      correct: 0,
      unansweredLengthSum: 0,
      unanswered: 0,
    };
    for (const g of groups) {
      g.responses.forEach((y, i) => {
        if ((g.correct ?? g.rewards)[i] > 0) {
          s.correctLengthSum += y.length;
          s.correct++;
        } else {
          s.incorrectLengthSum += y.length;
          s.incorrect++;
          if (y.length === 0 || !digitIds.has(y[0])) {
            s.unansweredLengthSum += y.length;
            s.unanswered++;
          }
        }
      });
    }
    return s;
  };
}

/** Pooled statistics of a window of trainer rows: entropy, accuracy, clip fraction, lengths by outcome. */
export function windowStats(w: readonly Record<string, unknown>[]): Row {
  const total = (k: string) => w.reduce((s, r) => s + Number(r[`curriculum.${k}`] ?? 0), 0);
  const mean = (k: string) => w.reduce((s, r) => s + Number(r[k]), 0) / w.length;
  const [li, ni, lc, nc, lu, nu] = [
    "incorrectLengthSum",
    "incorrect",
    "correctLengthSum",
    "correct",
    "unansweredLengthSum",
    "unanswered",
  ].map(total);
  const out: Row = {
    entropy: mean("entropy"),
    accuracy: nc / (ni + nc),
    clipFraction: mean("clipFraction"),
    length: (li + lc) / (ni + nc),
    unansweredFraction: nu / (ni + nc),
  };
  if (ni > 0) out.incorrectLength = li / ni;
  if (nc > 0) out.correctLength = lc / nc;
  if (nu > 0) out.unansweredLength = lu / nu;
  return out;
}

function prefixed(prefix: string, r: Row): Row {
  return Object.fromEntries(Object.entries(r).map(([k, v]) => [prefix + k, v]));
}

/**
 * One seed of the LM tier: warm start, the difficulty probe (charts), then `trainArms` over the four arms and
 * the rate grid. Rows (all `tier: "lm"`): `lm-eval` (every evaluation), `lm-curve` (per run and window of
 * `curveEvery` steps: lengths by outcome, entropy), and `lm-arm` per arm at its validation-selected rate
 * (`early.*` first and `late.*` last quarter of the steps, final test accuracy).
 */
export async function runGrpoAblationLmTier(c: GrpoAblationLmConfig, ctx: SeedContext): Promise<Row[]> {
  const task = new FreeLengthAdditionTask({
    digits: c.digits,
    maxFiller: c.maxFiller,
    maxFree: c.maxFree,
    unansweredRate: c.unansweredRate,
  });
  const rng = ctx.rng.split(100);
  const validation = makeDataset(task, c.validationSize, rng.split(1).seed);
  const test = makeDataset(task, c.testSize, rng.split(2).seed, { exclude: validation });
  const heldOut = [...validation, ...test];
  const start = await warmStartTransformer(task, c, rng.split(4), heldOut);
  const rows: Row[] = [];
  try {
    if (c.probeQuestions > 0) {
      const probeRng = rng.split(6);
      const probeSet = Array.from({ length: c.probeQuestions }, () => task.sample(probeRng));
      const probe = await difficultyProbe(start, task, probeSet, c.groupSize, probeRng.tfSeed());
      rows.push(...probe.map((r) => ({ tier: "lm", ...r })));
    }
    const digitIds = new Set(task.vocab.encode("0123456789"));
    rows.push(
      ...await unansweredAtStart(start, task, makeDataset(task, START_PROBLEMS, rng.split(7).seed), digitIds),
    );
    const arms: Arm<AdditionOptions>[] = c.arms.map((name) => ({
      name,
      config: lmArmConfig(name, c),
      parts: () => ({ curriculum: new GroupStatistics(new UniformSampling(), lengthByOutcome(digitIds)) }),
    }));
    const steps = new Map<string, Record<string, unknown>[]>();
    const evals = await trainArms({
      start,
      task,
      arms,
      learningRates: c.learningRates,
      steps: c.steps,
      evalEvery: c.evalEvery,
      config: { seed: rng.split(5).seed, batchSize: c.batchSize, groupSize: c.groupSize },
      validation,
      test,
      onStep: ({ arm, lr, row }) => {
        const key = `${arm}@${lr}`;
        if (!steps.has(key)) steps.set(key, []);
        steps.get(key)!.push(row);
      },
      onArmEnd: (arm) => ctx.tick(1, { [arm]: 1 }),
      ...(c.gridExtension ? { gridExtension: c.gridExtension } : {}),
    });
    rows.push(...evals.map((r) => ({ tier: "lm", kind: "lm-eval", ...r })));
    const best = bestLearningRates(evals);
    const late = Math.max(1, Math.floor(c.steps / 4));
    const rates = [...new Set(evals.map((r) => r.lr))]; // the grid after the edge rule's extension
    for (const arm of c.arms) {
      for (const lr of rates) {
        const w = steps.get(`${arm}@${lr}`) ?? [];
        for (let t = 0; t < w.length; t += c.curveEvery) {
          const to = Math.min(w.length, t + c.curveEvery);
          rows.push({ tier: "lm", kind: "lm-curve", arm, lr, step: to, ...windowStats(w.slice(t, to)) });
        }
      }
      const lr = best.get(arm)!;
      const w = steps.get(`${arm}@${lr}`)!;
      const final = evals.filter((r) => r.arm === arm && r.lr === lr).reduce((
        x,
        y,
      ) => (y.step > x.step ? y : x));
      rows.push({
        tier: "lm",
        kind: "lm-arm",
        arm,
        lr,
        testAccuracy: final.testAccuracy,
        validationAccuracy: final.validationAccuracy,
        ...(final.edgeSelected !== undefined ? { edgeSelected: final.edgeSelected } : {}),
        ...prefixed("early.", windowStats(w.slice(0, late))),
        ...prefixed("late.", windowStats(w.slice(w.length - late))),
      });
    }
  } finally {
    start.dispose();
  }
  return rows.map(dropNonFinite);
}

/** Fresh problems per seed on which the start precondition (visibly failed responses) is measured exactly. */
const START_PROBLEMS = 32;

/**
 * Exact share of visibly failed (unanswered) responses of the warm start: per problem, 1 − Σ_d π(d | x) over the
 * digit tokens d — the probability that the first response token is not a digit (`lengthByOutcome`'s
 * "unanswered") — by teacher forcing each digit as a one-token prefix (`exactAnswerProbabilities` on a view of
 * the task whose accepted responses are those prefixes). Rows `kind: "lm-start"` with `unanswered`.
 */
export async function unansweredAtStart(
  start: Parameters<typeof exactAnswerProbabilities>[0],
  task: FreeLengthAdditionTask,
  problems: readonly Problem[],
  digitIds: ReadonlySet<number>,
): Promise<Row[]> {
  const prefixes = [...digitIds].map((d) => [d]);
  const firstDigit: FreeLengthAdditionTask = Object.assign(Object.create(task), {
    acceptedResponses: () => prefixes,
  });
  const exact = await exactAnswerProbabilities(start, firstDigit, problems, { maxTokens: 1 });
  return exact.map((e, i) => ({ tier: "lm", kind: "lm-start", problem: i, unanswered: 1 - e.success }));
}

/**
 * Threshold of the start precondition grpo-ablation.lm.pre1: at least 10% of the warm start's responses fail
 * visibly, so a group of 8 holds one with probability ≥ 1 − 0.9⁸ ≈ 0.57. GRPO's 1/|o| pull on the length of
 * wrong responses acts only through responses the policy can see are wrong (module doc); with fewer of them the
 * arms' incorrect lengths cannot differ by the mechanism.
 */
export const UNANSWERED_AT_START = 0.1;

/** The quantity of grpo-ablation.lm.pre1 (registered and declared with the same text). */
export const UNANSWERED_QUANTITY =
  "mean over seeds of the warm start's exact share of visibly failed responses (first response token not a " +
  "digit: 1 − Σ_d π(d | x), teacher-forced) on fresh problems";

/** The LM tier's start precondition: the warm start fails visibly often enough (`UNANSWERED_AT_START`). */
export function unansweredPrecondition(id: string): PreconditionSpec {
  return {
    id,
    tier: "lm",
    quantity: UNANSWERED_QUANTITY,
    comparison: ">=",
    threshold: UNANSWERED_AT_START,
    measure: (log) => {
      const v = [...seedMeans(log, "lm-start", "unanswered").values()];
      return v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN;
    },
  };
}

/** The tuned precondition: share of (seed, arm) `lm-arm` rows whose selected rate lies at an edge of the grid (≤ 0). */
export function tunedPrecondition(id: string, arms: readonly string[]): PreconditionSpec {
  return {
    id,
    tier: "lm",
    quantity: `share of (seed, arm) pairs of the arms ${
      arms.join(", ")
    } whose validation-selected learning rate lies at an edge of the grid after its pre-registered extension`,
    comparison: "<=",
    threshold: 0,
    measure: (log) => {
      const marks = selectRows(log, { kind: "lm-arm" }).filter((r) =>
        arms.includes(String(r.arm)) && r.edgeSelected !== undefined
      ).map((r) => Number(r.edgeSelected));
      return marks.length ? marks.reduce((a, b) => a + b, 0) / marks.length : NaN;
    },
  };
}

/** Mean of `field` over each seed's rows of `kind`. */
function seedMeans(log: RunLog, kind: string, field: string): Map<number, number> {
  const sums = new Map<number, [number, number]>();
  for (const r of selectRows(log, { kind })) {
    const v = Number(r[field]);
    if (!Number.isFinite(v)) continue;
    const s = sums.get(Number(r.seed)) ?? [0, 0];
    sums.set(Number(r.seed), [s[0] + v, s[1] + 1]);
  }
  return new Map([...sums].map(([k, [a, n]]) => [k, a / n]));
}

/** The row without its non-finite numbers (the step-0 training accuracy, an empty window's mean): absent = none. */
function dropNonFinite(r: Row): Row {
  return Object.fromEntries(Object.entries(r).filter(([, v]) => typeof v !== "number" || Number.isFinite(v)));
}

/** A field of an arm's `lm-arm` row within one seed's rows (NaN when missing). */
function armValue(rows: Row[], arm: string, field: string): number {
  const r = rows.find((x) => x.arm === arm);
  return r && field in r && r[field] !== null ? Number(r[field]) : NaN;
}

/** The registered LM-tier claims, in the order `checkGrpoAblationLmClaims` reports them. */
export interface GrpoAblationLmClaims {
  /** GRPO's incorrect responses longer than Dr.GRPO's. */
  lengthVsDrGrpo: RegisteredClaim;
  /** GRPO's (incorrect − correct) length gap larger than Dr.GRPO's. */
  gapVsDrGrpo: RegisteredClaim;
  /** Clip-higher keeps the entropy higher than the symmetric clip. */
  clipHigherEntropy: RegisteredClaim;
}

/**
 * LM-tier claim rows (the clip-higher row only when both clip arms ran): per seed, the paired difference of a late-window statistic between two arms, each at its
 * validation-selected rate; `directionalClaim` ("greater", 95% bootstrap CI of the mean over seeds), tagged with
 * the registered id and tier `lm`; with fewer than `MIN_LM_SEEDS_FOR_VERDICT` seeds the verdict is inconclusive.
 */
export function checkGrpoAblationLmClaims(log: RunLog, claims: GrpoAblationLmClaims): ClaimRow[] {
  const arms = (f: (rows: Row[]) => number) => seedMatrix(selectRows(log, { kind: "lm-arm" }), f);
  const diff = (a: string, b: string, field: string) => (r: Row[]) =>
    armValue(r, a, field) - armValue(r, b, field);
  const gap = (a: string) => (r: Row[]) =>
    armValue(r, a, "late.incorrectLength") - armValue(r, a, "late.correctLength");
  const claim = (
    reg: RegisteredClaim,
    paper: string,
    scores: number[][],
    statistic: string,
    seed: number,
  ): ClaimRow => {
    const row = directionalClaim(reg.claim, paper, scores, "greater", { statistic, seed });
    const n = scores[0]?.filter(Number.isFinite).length ?? 0;
    const out: ClaimRow = { ...row, id: reg.id, tier: "lm" };
    if (n === 0 || n >= MIN_LM_SEEDS_FOR_VERDICT) return out;
    return {
      ...out,
      verdict: "inconclusive" as const,
      rule: `${row.rule}; underpowered: ${n} seeds, so inconclusive`,
    };
  };
  const hasClipArms = ["clip-higher", "clip-symmetric"].every((a) =>
    selectRows(log, { kind: "lm-arm", arm: a }).length > 0
  );
  const window = "the last quarter of the RL steps, each arm at its validation-selected rate";
  return [
    claim(
      claims.lengthVsDrGrpo,
      "qualitative: incorrect responses grow longer under GRPO's 1/|o|, not under Dr.GRPO (arXiv 2503.20783)",
      arms(diff("grpo", "dr-grpo", "late.incorrectLength")),
      `per seed: mean length of incorrect training rollouts over ${window}, GRPO − Dr.GRPO`,
      31,
    ),
    claim(
      claims.gapVsDrGrpo,
      "qualitative: GRPO prefers short correct and long incorrect responses (arXiv 2503.20783)",
      arms((r) => gap("grpo")(r) - gap("dr-grpo")(r)),
      `per seed: (incorrect − correct mean length) over ${window}, GRPO minus Dr.GRPO`,
      32,
    ),
    ...(!hasClipArms ? [] : [claim(
      claims.clipHigherEntropy,
      "qualitative: clip-higher prevents entropy collapse (arXiv 2503.14476)",
      arms(diff("clip-higher", "clip-symmetric", "late.entropy")),
      `per seed: token-mean policy entropy on the training batch over ${window}, clip-higher − symmetric`,
      33,
    )]),
  ];
}
