/**
 * Fair arm comparisons (Henderson et al. 2018, "Deep RL that matters", arXiv 1709.06560: compare methods
 * under equal tuning). `trainArms` trains every arm — a named composition of trainer config and parts
 * (curriculum, reward, estimator, objective) — from the SAME start policy at every learning rate of a
 * shared grid, evaluating greedy accuracy on a validation and a test set every `evalEvery` steps, and logs
 * the rollouts spent so far, so arms can be compared at equal steps or at equal rollouts. `bestLearningRates`
 * picks each arm's learning rate by final VALIDATION accuracy; claims then read TEST accuracy at that rate,
 * so selection and report never use the same problems.
 */
import { assertFiniteNumber, assertInteger, ConfigError } from "../core/validate.ts";
import type { Problem, Task } from "../tasks/types.ts";
import type { TrainerConfig } from "./config.ts";
import { evaluate } from "./rollouts.ts";
import type { SequencePolicy } from "./rollouts.ts";
import { RLVRTrainer } from "./trainer.ts";
import type { TrainerParts, TrainerRow } from "./trainer.ts";

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
  /** Called once per run after its last step, before its policy is disposed (e.g. extra held-out metrics). */
  onRunEnd?: (run: { arm: string; lr: number; policy: SequencePolicy }) => Promise<void> | void;
  /** Called once per arm after its runs at every rate (e.g. one progress unit per arm). */
  onArmEnd?: (arm: string) => void;
}

/** One RL step of one run, as passed to `onStep`. */
export interface ArmStep {
  /** Arm name. */
  arm: string;
  /** Learning rate of the run. */
  lr: number;
  /** The trainer's row of this step (accuracy, entropy, clip fraction, curriculum statistics, ...). */
  row: TrainerRow;
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
  const heldOut = [...o.validation, ...o.test];
  const rows: ArmEvalRow[] = [];
  for (const arm of o.arms) {
    for (const lr of o.learningRates) {
      const policy = await o.start.clone();
      const parts = arm.parts?.(policy, { lr }) ?? {};
      const trainer = new RLVRTrainer<Opts>({
        ...parts,
        policy,
        task: o.task,
        config: { ...o.config, ...arm.config, lr },
        exclude: [...(parts.exclude ?? []), ...heldOut],
      });
      try {
        const evalRow = async (step: number, trainAccuracy: number): Promise<ArmEvalRow> => ({
          arm: arm.name,
          lr,
          step,
          rollouts: Number(trainer.runLog.rows.at(-1)?.rolloutsTotal ?? 0),
          trainAccuracy,
          validationAccuracy: (await evaluate(policy, o.task, o.validation)).accuracy,
          testAccuracy: (await evaluate(policy, o.task, o.test)).accuracy,
        });
        rows.push(await evalRow(0, NaN));
        let accSum = 0;
        let accN = 0;
        for (let s = 1; s <= o.steps; s++) {
          const row = await trainer.trainStep();
          if (typeof row.accuracy === "number") {
            accSum += row.accuracy;
            accN++;
          }
          o.onStep?.({ arm: arm.name, lr, row });
          if (s % o.evalEvery === 0 || s === o.steps) {
            rows.push(await evalRow(s, accN > 0 ? accSum / accN : NaN));
            accSum = 0;
            accN = 0;
          }
        }
        await o.onRunEnd?.({ arm: arm.name, lr, policy });
      } finally {
        trainer.dispose();
        policy.dispose();
      }
    }
    o.onArmEnd?.(arm.name);
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
 * The evaluation row of run (arm, lr) at a rollout budget: the last evaluation whose rollouts ≤ budget
 * (equal-rollout comparisons of curricula that discard groups); undefined when none fits.
 */
export function atRolloutBudget(
  rows: readonly ArmEvalRow[],
  arm: string,
  lr: number,
  budget: number,
): ArmEvalRow | undefined {
  let out: ArmEvalRow | undefined;
  for (const r of rows) {
    if (r.arm !== arm || r.lr !== lr || r.rollouts > budget) continue;
    if (!out || r.step > out.step) out = r;
  }
  return out;
}
