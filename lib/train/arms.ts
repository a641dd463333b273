/**
 * Fair arm comparisons (Henderson et al. 2018, "Deep RL that matters", arXiv 1709.06560: compare methods
 * under equal tuning). `trainArms` trains every arm — a named composition of trainer config and parts
 * (curriculum, reward, estimator, objective) — from the SAME start policy at every learning rate of a
 * shared grid, evaluating greedy accuracy on a validation and a test set every `evalEvery` steps, and logs
 * the rollouts spent so far, so arms can be compared at equal steps or at equal rollouts. `bestLearningRates`
 * picks each arm's learning rate by final VALIDATION accuracy; claims then read TEST accuracy at that rate,
 * so selection and report never use the same problems.
 *
 * Equal-budget readouts (`rolloutBudgets`): every arm is also evaluated at exactly the same cumulative rollout
 * counts. When a step would cross a budget B, a fork of the run (an in-memory snapshot from before the step)
 * repeats that step with the same seeds but stops sampling at B — training only on the groups generated within
 * B — and is evaluated; the run then continues from the full step, so step readouts are unchanged. The readout
 * policy is thus trained on exactly the first B rollouts of the arm's own rollout stream. A run whose `steps`
 * end before its last budget keeps training (no step readouts) until that budget is read. Parts must keep their
 * state in the curriculum's and estimator's `state` (as checkpoints require), since the fork restores only those.
 *
 * Edge-of-grid extension (`gridExtension`): when an arm's selected rate is the smallest (largest) rate of the
 * shared grid, the grid gains rate/factor (rate·factor) and EVERY arm is trained there, so the grid stays
 * shared; at most `maxExtensions` rounds. An arm whose selection is still at an edge is marked `edgeSelected`
 * in all its rows: its rate is not tuned.
 */
import { assertFiniteNumber, assertInteger, ConfigError } from "../core/validate.ts";
import type { Problem, Task } from "../tasks/types.ts";
import type { TrainerConfig } from "./config.ts";
import { evaluate } from "./rollouts.ts";
import type { SequencePolicy } from "./rollouts.ts";
import { RLVRTrainer } from "./trainer.ts";
import type { TrainerParts, TrainerRow, TrainerSnapshot } from "./trainer.ts";

/** Trainer parts an arm may set (everything but the policy, task and config, which `trainArms` owns). */
export type ArmParts<Opts> = Omit<TrainerParts<Opts>, "policy" | "task" | "config" | "runLog">;

/** One arm: a name, its trainer config overrides, and a factory of fresh parts (curricula carry state). */
export interface Arm<Opts = Record<string, unknown>> {
  /** Arm name (a paper term: "grpo", "balanced-filter", "seele"). */
  name: string;
  /** Trainer config overrides of this arm (the learning rate comes from the grid). */
  config?: Partial<TrainerConfig>;
  /**
   * Fresh trainer parts for one run (called once per learning rate with that run's policy, so a curriculum
   * may validate the policy being trained, e.g. the SATURN ladder, and the run's rate).
   */
  parts?: (policy: SequencePolicy, run: ArmRun) => ArmParts<Opts>;
}

/** What an arm's `parts` factory learns about the run it builds parts for, besides its policy. */
export interface ArmRun {
  /** The run's learning rate (from the grid). */
  lr: number;
}

/** Options of `trainArms`. */
export interface TrainArmsOptions<Opts> {
  /** Start policy of every run (cloned per run; not modified). */
  start: SequencePolicy;
  /** Task family. */
  task: Task<Opts>;
  /** The arms compared. */
  arms: readonly Arm<Opts>[];
  /** Learning-rate grid every arm is trained at (equal tuning). */
  learningRates: readonly number[];
  /** RL steps per run. */
  steps: number;
  /** Evaluate every this many steps (and at step 0 and the last step). */
  evalEvery: number;
  /** Config shared by all arms (seed, batch, group size, ...); arm overrides win, `lr` comes from the grid. */
  config: Partial<TrainerConfig>;
  /** Problems that select each arm's learning rate. */
  validation: readonly Problem[];
  /** Problems the comparison reports on. */
  test: readonly Problem[];
  /** Called after every RL step of every run with the run's arm, rate and the trainer's step row (progress, logs). */
  onStep?: (step: ArmStep) => void;
  /** Called once per run after step `steps` (before any budget-only steps), e.g. for extra held-out metrics. */
  onRunEnd?: (run: { arm: string; lr: number; policy: SequencePolicy }) => Promise<void> | void;
  /**
   * Called once per arm after its runs at every rate (e.g. one progress unit per arm); with `gridExtension`,
   * for every arm after the last extension round.
   */
  onArmEnd?: (arm: string) => void;
  /**
   * Cumulative rollout counts (strictly increasing integers ≥ 1) at which every run is also evaluated, exactly
   * (module doc); default none.
   */
  rolloutBudgets?: readonly number[];
  /** Called at every equal-budget readout with the readout policy (e.g. extra held-out metrics at the budget). */
  onBudgetReadout?: (readout: { arm: string; lr: number; budget: number; policy: SequencePolicy }) =>
    | Promise<void>
    | void;
  /** Pre-registered extension of the rate grid when a selection lies at its edge (module doc); default none. */
  gridExtension?: GridExtension;
}

/** The pre-registered edge-of-grid rule of `trainArms`, applied to every arm alike. */
export interface GridExtension {
  /** Factor f > 1: an edge selection adds rate_min/f below or rate_max·f above the grid. */
  factor: number;
  /** Extension rounds at most (0: only mark edge-selected arms). */
  maxExtensions: number;
}

/** One RL step of one run, as passed to `onStep`. */
export interface ArmStep {
  /** Arm name. */
  arm: string;
  /** Learning rate of the run. */
  lr: number;
  /** The trainer's row of this step (accuracy, entropy, clip fraction, curriculum statistics, ...). */
  row: TrainerRow;
  /** True for steps past `steps`, taken only to reach the last rollout budget. */
  budgetOnly: boolean;
}

/** One evaluation point of one run. */
export interface ArmEvalRow {
  /** Arm name. */
  arm: string;
  /** Learning rate of the run. */
  lr: number;
  /** RL steps taken. */
  step: number;
  /** Rollouts generated so far (curricula that discard groups spend more per step). */
  rollouts: number;
  /** Mean training-batch accuracy over the steps since the previous evaluation (NaN at step 0). */
  trainAccuracy: number;
  /** Greedy accuracy on the validation set. */
  validationAccuracy: number;
  /** Greedy accuracy on the test set. */
  testAccuracy: number;
  /** The rollout budget of an equal-budget readout (then `rollouts` = budget); absent on step readouts. */
  budget?: number;
  /** Equal-budget readouts: rollouts of the crossing step that fell past the budget and were not trained on. */
  truncatedRollouts?: number;
  /** With `gridExtension`: 1 when the arm's selected rate is still at an edge of the final grid (not tuned), else 0. */
  edgeSelected?: 0 | 1;
}

/** Train every arm at every learning rate from `start` (see module doc); returns the evaluation rows. */
export async function trainArms<Opts>(o: TrainArmsOptions<Opts>): Promise<ArmEvalRow[]> {
  if (o.arms.length === 0) throw new ConfigError("arms", "must name at least one arm");
  const names = new Set<string>();
  for (const a of o.arms) {
    if (names.has(a.name)) throw new ConfigError("arms[].name", "must be unique", a.name);
    names.add(a.name);
  }
  if (o.learningRates.length === 0) throw new ConfigError("learningRates", "must hold at least one rate");
  for (const lr of o.learningRates) assertFiniteNumber("learningRates[]", lr, { min: 0, exclusiveMin: true });
  assertInteger("steps", o.steps, { min: 1 });
  assertInteger("evalEvery", o.evalEvery, { min: 1 });
  if (o.validation.length === 0) throw new ConfigError("validation", "must be non-empty");
  if (o.test.length === 0) throw new ConfigError("test", "must be non-empty");
  const budgets = o.rolloutBudgets ?? [];
  if (!Array.isArray(budgets)) {
    throw new ConfigError("rolloutBudgets", "must be an array of integers", budgets);
  }
  budgets.forEach((b, i) =>
    assertInteger(`rolloutBudgets[${i}]`, b, { min: i === 0 ? 1 : budgets[i - 1] + 1 })
  );
  const ext = o.gridExtension;
  if (ext !== undefined) {
    assertFiniteNumber("gridExtension.factor", ext?.factor, { min: 1, exclusiveMin: true });
    assertInteger("gridExtension.maxExtensions", ext.maxExtensions, { min: 0 });
  }
  const rows: ArmEvalRow[] = [];
  const rates = [...o.learningRates];
  for (const arm of o.arms) {
    for (const lr of rates) rows.push(...await trainRun(o, arm, lr, budgets));
    if (!ext) o.onArmEnd?.(arm.name);
  }
  if (!ext) return rows;
  for (let round = 0; round < ext.maxExtensions; round++) {
    const added = edgeExtension(rows, rates, ext.factor);
    if (added.length === 0) break;
    for (const arm of o.arms) for (const lr of added) rows.push(...await trainRun(o, arm, lr, budgets));
    rates.push(...added);
  }
  const lo = Math.min(...rates), hi = Math.max(...rates);
  const selected = bestLearningRates(rows);
  for (const r of rows) r.edgeSelected = selected.get(r.arm) === lo || selected.get(r.arm) === hi ? 1 : 0;
  for (const arm of o.arms) o.onArmEnd?.(arm.name);
  return rows;
}

/** Rates the edge rule adds to `rates`: min/f if some arm selects the minimum, max·f if some arm selects the maximum. */
function edgeExtension(rows: readonly ArmEvalRow[], rates: readonly number[], factor: number): number[] {
  const lo = Math.min(...rates), hi = Math.max(...rates);
  const selected = [...bestLearningRates(rows).values()];
  const added: number[] = [];
  if (selected.includes(lo)) added.push(lo / factor);
  if (selected.includes(hi)) added.push(hi * factor); // a one-rate grid adds both
  return added;
}

/** One run (arm, lr): step readouts every `evalEvery` steps and equal-budget readouts at `budgets`. */
async function trainRun<Opts>(
  o: TrainArmsOptions<Opts>,
  arm: Arm<Opts>,
  lr: number,
  budgets: readonly number[],
): Promise<ArmEvalRow[]> {
  const heldOut = [...o.validation, ...o.test];
  const rows: ArmEvalRow[] = [];
  const policy = await o.start.clone();
  const parts = arm.parts?.(policy, { lr }) ?? {};
  const trainer = new RLVRTrainer<Opts>({
    ...parts,
    policy,
    task: o.task,
    config: { ...o.config, ...arm.config, lr },
    exclude: [...(parts.exclude ?? []), ...heldOut],
  });
  const total = () => Number(trainer.runLog.rows.at(-1)?.rolloutsTotal ?? 0);
  // greedy accuracies of the policy as it is now (cached until the next step changes it)
  let cached: { validation: number; test: number } | null = null;
  const accuracies = async () =>
    cached ??= {
      validation: (await evaluate(policy, o.task, o.validation)).accuracy,
      test: (await evaluate(policy, o.task, o.test)).accuracy,
    };
  const evalRow = async (step: number, trainAccuracy: number): Promise<ArmEvalRow> => {
    const a = await accuracies();
    return {
      arm: arm.name,
      lr,
      step,
      rollouts: total(),
      trainAccuracy,
      validationAccuracy: a.validation,
      testAccuracy: a.test,
    };
  };
  const budgetRow = async (budget: number, step: number, truncatedRollouts: number): Promise<ArmEvalRow> => {
    await o.onBudgetReadout?.({ arm: arm.name, lr, budget, policy });
    return { ...await evalRow(step, NaN), rollouts: budget, budget, truncatedRollouts };
  };
  try {
    rows.push(await evalRow(0, NaN));
    let accSum = 0;
    let accN = 0;
    let next = 0; // index of the next budget to read
    for (let s = 1; s <= o.steps || next < budgets.length; s++) {
      const budgetOnly = s > o.steps;
      const before = total();
      const pre: TrainerSnapshot | null = next < budgets.length ? await trainer.snapshot() : null;
      const row = await trainer.trainStep();
      cached = null;
      const after = total();
      if (budgetOnly && after === before) {
        throw new ConfigError(
          "rolloutBudgets",
          `cannot be reached: arm ${arm.name} at lr ${lr} generated no rollouts in step ${s}`,
          budgets[next],
        );
      }
      if (!budgetOnly && typeof row.accuracy === "number") {
        accSum += row.accuracy;
        accN++;
      }
      o.onStep?.({ arm: arm.name, lr, row, budgetOnly });
      if (!budgetOnly && (s % o.evalEvery === 0 || s === o.steps)) {
        rows.push(await evalRow(s, accN > 0 ? accSum / accN : NaN));
        accSum = 0;
        accN = 0;
      }
      let post: TrainerSnapshot | null = null;
      for (; next < budgets.length && budgets[next] <= after; next++) {
        const budget = budgets[next];
        if (budget === after) {
          rows.push(await budgetRow(budget, s, 0));
          continue;
        }
        // the step crossed the budget: repeat it from `pre` with sampling stopped at the budget, read, go back
        post ??= await trainer.snapshot();
        trainer.restore(pre!);
        await trainer.trainStep({ rolloutLimit: budget - before });
        cached = null;
        rows.push(await budgetRow(budget, s, after - budget));
        trainer.restore(post);
        cached = null;
      }
      if (s === o.steps) await o.onRunEnd?.({ arm: arm.name, lr, policy });
    }
  } finally {
    trainer.dispose();
    policy.dispose();
  }
  return rows;
}

/**
 * Each arm's learning rate with the highest final validation accuracy (ties → the smaller rate): the
 * selection step of an equal-tuning comparison.
 */
export function bestLearningRates(rows: readonly ArmEvalRow[]): Map<string, number> {
  const finalStep = new Map<string, ArmEvalRow>();
  for (const r of rows) {
    if (r.budget !== undefined) continue; // equal-budget readouts are no final step
    const key = `${r.arm}\u0000${r.lr}`;
    const prev = finalStep.get(key);
    if (!prev || r.step > prev.step) finalStep.set(key, r);
  }
  const best = new Map<string, ArmEvalRow>();
  for (const r of finalStep.values()) {
    const b = best.get(r.arm);
    if (
      !b || r.validationAccuracy > b.validationAccuracy ||
      (r.validationAccuracy === b.validationAccuracy && r.lr < b.lr)
    ) best.set(r.arm, r);
  }
  return new Map([...best].map(([arm, r]) => [arm, r.lr]));
}

/**
 * The evaluation row of run (arm, lr) at a rollout budget: its equal-budget readout at exactly that budget when
 * `rolloutBudgets` held it, else the last step readout whose rollouts ≤ budget; undefined when none fits.
 */
export function atRolloutBudget(
  rows: readonly ArmEvalRow[],
  arm: string,
  lr: number,
  budget: number,
): ArmEvalRow | undefined {
  const exact = rows.find((r) => r.arm === arm && r.lr === lr && r.budget === budget);
  if (exact) return exact;
  let out: ArmEvalRow | undefined;
  for (const r of rows) {
    if (r.arm !== arm || r.lr !== lr || r.budget !== undefined || r.rollouts > budget) continue;
    if (!out || r.step > out.step) out = r;
  }
  return out;
}
