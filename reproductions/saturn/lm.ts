/**
 * LM tier of the SATURN reproduction (arXiv 2505.16368): a SAT difficulty ladder vs training directly at the
 * target difficulty, with a TinyTransformer that reads the clauses as tokens and writes the assignment.
 *
 * Bed: (n, k, l)-SAT with planted assignments (lib/tasks/sat.ts): prompt `<bos>a~c,~bd=`, response k bits then
 * eos, reward 1 iff the bits satisfy every clause (any satisfying assignment counts, not only the planted one).
 * The policy sees tokens only — no clause features, unlike the exact tier's linear policy, whose features build
 * the skill in. Levels share n and k and grow in l (more clauses: difficulty D = log2 k + 2·log2 l − n + k/n
 * grows), so every level has the same answer length and the skill an easy level teaches (read each variable's
 * literals and choose the bit that satisfies its clauses) is the skill the target needs.
 *
 * Warm start: SFT (lib/train/warm_start.ts) on planted assignments of the levels below the target (uniform
 * mixture), never on a held-out problem; both arms start from these weights (RL from a policy that never
 * succeeds learns nothing). A pilot that warm-started on `levels[0]` alone left pass@1 = 0 on every longer
 * level: the model's position embeddings never saw the answer positions of longer prompts.
 *
 * Arms, trained by `RLVRTrainer` through `trainArms` (every arm at every rate of one grid, the rate selected by
 * final greedy pass@1 on `validation` target-level problems, reported on a disjoint `test` set):
 * - `ladder`: `SatLadder` (lib/curricula/ladder.ts) over `levels`, advancing when greedy pass@1 on a fixed
 *   pool of `ladderValidation` problems of the current level exceeds `threshold` (SATURN: 0.5), checked every
 *   `ladderEvalEvery` steps. Its validation decodes are charged to its rollout count.
 * - `direct`: every step at the target (the last level).
 * Both spend batchSize · groupSize training rollouts per step, so they are compared at equal steps (equal
 * training rollouts) and at equal rollouts counting the ladder's validation decodes (the ladder is then read at
 * an earlier evaluation). Metric: greedy pass@1 on held-out target-level instances. The rate grid is extended
 * by the pre-registered edge rule (`gridExtension`, the same for both arms).
 *
 * Preconditions, measured exactly at the start from the enumerated satisfying assignments
 * (`saturnExactStart`): direct training at the target sees almost no signal (the expected share of all-zero
 * groups), the ladder's first level is solved above chance, and both arms' rates are tuned.
 *
 * Where the toy differs from the paper: SATURN trains Qwen-2.5 1.5B/7B (pretrained, with reasoning traces) on
 * (3, 5, 5) → (3, 7, 40)-scale instances, with a ladder over n, k and l and thousands of steps; here a
 * TinyTransformer of a few thousand weights, small instances with n = 2 and fixed k (the answer length is fixed),
 * a ladder over l only, and tens of RL steps. "The ladder reaches the target" holds by construction of the
 * ladder and is not a claim; the claims are about held-out target accuracy.
 */
import {
  type Arm,
  assertFiniteNumber,
  assertInteger,
  type ClaimRow,
  ConfigError,
  evaluate,
  exactAnswerProbabilities,
  type GridExtension,
  idSet,
  lmArmClaim,
  lmTierRows,
  makeDataset,
  type PreconditionSpec,
  type Problem,
  type RegisteredClaim,
  type Row,
  type RunLog,
  sampleExcluding,
  type SatConfig,
  SatLadder,
  type SatLevel,
  SatTask,
  type SeedContext,
  selectRows,
  type SequencePolicy,
  trainArms,
  type TransformerSetup,
  validateTransformerSetup,
  warmStartTransformer,
} from "../../mod.ts";

/** SATURN LM-tier settings (model + SFT from `TransformerSetup`, then the ladder, the sets and the RL schedule). */
export interface SaturnLmConfig extends TransformerSetup {
  /** Ladder levels (n, k, l), easiest first, same n and k; the last is the target; SFT mixes all but the last. */
  levels: SatLevel[];
  /** Ladder: advance when greedy pass@1 on the current level's validation pool > threshold (SATURN: 0.5). */
  threshold: number;
  /** Ladder: validate every this many RL steps. */
  ladderEvalEvery: number;
  /** Ladder: fixed validation problems per level (greedy; charged to the ladder's rollouts). */
  ladderValidation: number;
  /** Target-level problems selecting each arm's learning rate (final greedy pass@1). */
  validation: number;
  /** Target-level test problems (the claims read these). */
  test: number;
  /** RL steps per run. */
  steps: number;
  /** Evaluate validation and test pass@1 every this many steps. */
  evalEvery: number;
  /** Problems per RL step (B). */
  batchSize: number;
  /** Rollouts per problem (G). */
  groupSize: number;
  /** Learning-rate grid both arms are trained at. */
  learningRates: number[];
  /** The pre-registered edge-of-grid rule, the same for both arms (`trainArms`' `GridExtension`). */
  gridExtension: GridExtension;
}

/** The two arms. */
export const SATURN_LM_ARMS = ["ladder", "direct"] as const;

/** Check every field; errors name `<prefix>.<field>`. */
export function validateSaturnLm(c: SaturnLmConfig, prefix = "lm"): void {
  validateTransformerSetup(c, prefix);
  if (!Array.isArray(c.levels) || c.levels.length < 2) {
    throw new ConfigError(
      `${prefix}.levels`,
      "must list at least two (n, k, l) levels, target last",
      c.levels,
    );
  }
  const { n, k } = c.levels[0];
  for (const [i, lv] of c.levels.entries()) {
    assertInteger(`${prefix}.levels[${i}].k`, lv.k, { min: 1, max: 26 });
    assertInteger(`${prefix}.levels[${i}].n`, lv.n, { min: 1, max: lv.k });
    assertInteger(`${prefix}.levels[${i}].l`, lv.l, { min: 1 });
    if (lv.n !== n || lv.k !== k) {
      throw new ConfigError(`${prefix}.levels[${i}]`, `must share n = ${n} and k = ${k} with levels[0]`, lv);
    }
  }
  assertFiniteNumber(`${prefix}.threshold`, c.threshold, { min: 0, max: 1 });
  for (
    const f of [
      "ladderEvalEvery",
      "ladderValidation",
      "validation",
      "test",
      "steps",
      "evalEvery",
      "batchSize",
    ] as const
  ) assertInteger(`${prefix}.${f}`, c[f], { min: 1 });
  assertInteger(`${prefix}.groupSize`, c.groupSize, { min: 2 });
  if (!Array.isArray(c.learningRates) || c.learningRates.length === 0) {
    throw new ConfigError(`${prefix}.learningRates`, "must be a non-empty array of rates", c.learningRates);
  }
  if (!c.gridExtension || typeof c.gridExtension !== "object") {
    throw new ConfigError(`${prefix}.gridExtension`, "must be { factor, maxExtensions }", c.gridExtension);
  }
  assertFiniteNumber(`${prefix}.gridExtension.factor`, c.gridExtension.factor, {
    min: 1,
    exclusiveMin: true,
  });
  assertInteger(`${prefix}.gridExtension.maxExtensions`, c.gridExtension.maxExtensions, { min: 0 });
}

/**
 * Exact start metrics of a policy on one level's problems (`SatTask.acceptedResponses` enumerates the
 * satisfying assignments): `exactPass1` = mean_x p(x) at temperature 1 (teacher-forced), `chancePass1` = mean_x
 * |A(x)| / 2^k (a uniformly random assignment), and `allZeroShare` = mean_x (1 − p(x))^G, the expected share of
 * groups of G rollouts with no correct answer (no GRPO signal).
 */
export async function saturnExactStart(
  policy: SequencePolicy,
  task: SatTask,
  problems: readonly Problem[],
  groupSize: number,
): Promise<{ exactPass1: number; chancePass1: number; allZeroShare: number }> {
  const answers = await exactAnswerProbabilities(policy, task, problems);
  const mean = (f: (e: (typeof answers)[number], i: number) => number) =>
    answers.reduce((s, e, i) => s + f(e, i), 0) / answers.length;
  return {
    exactPass1: mean((e) => e.success),
    chancePass1: mean((e, i) => e.responses.length / 2 ** Number(problems[i].meta!.k)),
    allZeroShare: mean((e) => (1 - e.success) ** groupSize),
  };
}

/**
 * One seed of the SATURN LM tier: held-out sets, warm start, `trainArms` over ladder and direct; rows
 * `kind: "lm-eval"` and `kind: "lm-best"` (see `lmTierRows`) plus `kind: "lm-ladder"` (each ladder validation
 * of each rate's run: step, level index, pass@1, advanced) and `kind: "lm-start"` (the warm start's greedy
 * pass@1 on every level's validation pool).
 */
export async function runSaturnLmTier(c: SaturnLmConfig, ctx: SeedContext): Promise<Row[]> {
  validateSaturnLm(c);
  const target = c.levels[c.levels.length - 1];
  const task = new SatTask(target);
  const rng = ctx.rng.split(200);
  const validation = makeDataset(task, c.validation, rng.split(1).seed);
  const test = makeDataset(task, c.test, rng.split(2).seed, { exclude: validation });
  const ladderPools = c.levels.map((lv, i) =>
    makeDataset(task, c.ladderValidation, rng.split(3).split(i).seed, {
      sampleOptions: lv,
      exclude: [...validation, ...test],
    })
  );
  const heldOut = [...validation, ...test, ...ladderPools.flat()];
  const heldOutIds = idSet(heldOut);
  const easier = c.levels.slice(0, -1);
  const start = await warmStartTransformer(
    task,
    c,
    rng.split(4),
    heldOut,
    (r) => easier[r.int(easier.length)],
  );
  const rows: Row[] = [];
  try {
    for (const [i, pool] of ladderPools.entries()) {
      rows.push({
        tier: "lm",
        kind: "lm-start",
        level: i,
        passAt1: (await evaluate(start, task, pool)).accuracy,
        ...(await saturnExactStart(start, task, pool, c.groupSize)),
      });
    }
    // The regime direct training meets at the start: the target-level test set under sampling.
    rows.push({
      tier: "lm",
      kind: "lm-start-target",
      ...(await saturnExactStart(start, task, test, c.groupSize)),
    });
    const ladders: { lr: number; ladder: SatLadder }[] = [];
    const arms: Arm<SatConfig>[] = [
      {
        name: "ladder",
        parts: (policy, run) => {
          const ladder = new SatLadder<SatLevel>({
            levels: c.levels,
            threshold: c.threshold,
            evalEvery: c.ladderEvalEvery,
            sample: (lv, r): Problem => sampleExcluding(task, r, heldOutIds, lv),
            evaluate: async (lv) => {
              const pool = ladderPools[c.levels.indexOf(lv)];
              return { passAt1: (await evaluate(policy, task, pool)).accuracy, rollouts: pool.length };
            },
          });
          ladders.push({ lr: run.lr, ladder });
          return { curriculum: ladder, exclude: heldOut };
        },
      },
      { name: "direct", parts: () => ({ exclude: heldOut }) },
    ];
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
      onArmEnd: () => ctx.tick(1),
      gridExtension: c.gridExtension,
    });
    rows.push(...lmTierRows(evals, [...SATURN_LM_ARMS]));
    for (const { lr, ladder } of ladders) {
      for (const h of ladder.state.history) {
        rows.push({
          tier: "lm",
          kind: "lm-ladder",
          lr,
          step: h.step,
          level: h.level,
          passAt1: h.passAt1,
          advanced: h.advanced ? 1 : 0,
        });
      }
    }
    return rows;
  } finally {
    start.dispose();
  }
}

/** Progress units per seed of `runSaturnLmTier` (one per arm). */
export const SATURN_LM_UNITS: number = SATURN_LM_ARMS.length;

/**
 * The LM-tier claims: each registered claim `saturn.lm.1` (ladder beats direct, equal steps) and `saturn.lm.2`
 * (equal rollouts, the ladder's validation decodes charged) via `lmArmClaim`.
 */
export function checkSaturnLmClaims(log: RunLog, registered: readonly RegisteredClaim[]): ClaimRow[] {
  const byId = (id: string) => {
    const r = registered.find((x) => x.id === id);
    if (!r) throw new ConfigError("registered", `must include claim ${id}`);
    return r;
  };
  return [
    lmArmClaim(log, byId("saturn.lm.1"), "SATURN", { a: "ladder", b: "direct", field: "testAccuracy" }),
    lmArmClaim(log, byId("saturn.lm.2"), "SATURN", {
      a: "ladder",
      b: "direct",
      field: "testAtEqualRollouts",
    }),
  ];
}

/** The warm start's exact measures (`saturnExactStart`) on the target's test set, mean over seeds; NaN without rows. */
export function saturnStartTarget(log: RunLog, field: "exactPass1" | "allZeroShare"): number {
  const v = selectRows(log, { kind: "lm-start-target" }).map((r) => Number(r[field]));
  return v.length ? v.reduce((x, y) => x + y, 0) / v.length : NaN;
}

/** The warm start's exact pass@1 minus chance on the ladder's first level, mean over seeds; NaN without rows. */
export function saturnFirstLevelAboveChance(log: RunLog): number {
  const v = selectRows(log, { kind: "lm-start", level: 0 }).map((r) =>
    Number(r.exactPass1) - Number(r.chancePass1)
  );
  return v.length ? v.reduce((x, y) => x + y, 0) / v.length : NaN;
}

/** Share of seeds on which `arm`'s selected rate is at an edge of the extended grid (its `lm-eval` rows' flag). */
export function saturnEdgeShare(log: RunLog, arm: string): number {
  const bySeedFlag = new Map<number, number>();
  for (const r of selectRows(log, { kind: "lm-eval", arm })) {
    if (r.edgeSelected !== undefined) bySeedFlag.set(Number(r.seed), Number(r.edgeSelected));
  }
  const v = [...bySeedFlag.values()];
  return v.length ? v.filter((x) => x === 1).length / v.length : NaN;
}

/**
 * The LM tier's preconditions (thresholds and reasoning in the plan, ./preregistration.ts): direct training at
 * the target sees almost no signal at the start (all-zero groups), the ladder's first level is solved above
 * chance, and both arms' rates are tuned (inside the extended grid).
 */
export const SATURN_LM_PRECONDITIONS: readonly PreconditionSpec[] = [
  {
    id: "saturn.lm.pre1",
    tier: "lm",
    quantity: "expected share of all-zero groups (no correct answer among G rollouts) of the warm start on " +
      "target-level test problems, mean_x (1 − p(x))^G with p exact, mean over seeds",
    comparison: ">=",
    threshold: 0.9,
    measure: (log) => saturnStartTarget(log, "allZeroShare"),
  },
  {
    id: "saturn.lm.pre2",
    tier: "lm",
    quantity: "the warm start's exact pass@1 minus a random assignment's on the ladder's first level, mean " +
      "over seeds (probability)",
    comparison: ">=",
    threshold: 0.05,
    measure: saturnFirstLevelAboveChance,
  },
  ...SATURN_LM_ARMS.map((arm, i): PreconditionSpec => ({
    id: `saturn.lm.pre${3 + i}`,
    tier: "lm",
    quantity: `share of seeds on which the ${arm} arm's selected rate is at an edge of the extended grid ` +
      "(not tuned)",
    comparison: "<=",
    threshold: 0.2,
    measure: (log) => saturnEdgeShare(log, arm),
  })),
];
