/**
 * The transformer arm of the NSR / PSR / W-REINFORCE reproduction (arXiv 2506.01347), for the `full` preset (GPU):
 * a TinyTransformer on addition, SFT warm start (`warmStartTransformer`, the "base" model), then each arm trained
 * from the same base by `RLVRTrainer` with the arm's objective (`nsrArmObjective`: ±1 rewards with PSR / NSR /
 * W-REINFORCE sample weights, plain REINFORCE, or GRPO); Adam, on-policy. Held-out pass@k by the unbiased estimator
 * from n sampled answers per problem (no exact value exists here).
 *
 * Not yet run at full scale (no GPU in the session that wrote it). The defaults are guesses: sftSteps = 400 was
 * picked from one wasm calibration run of the default model on 1–2 digit operands (sampled held-out pass@1 0.06 /
 * 0.67 / 0.78 after 200 / 400 / 600 SFT steps), the RL lr 2e-4 follows the trainer's SFT+GRPO test, and
 * maxDigits = 3 was set after two one-seed CPU pilots (64 held-out problems, 100 RL steps of 8 × 8) in which every
 * arm raised pass@k at every k and reached pass@256 = 1: with d 32 on 1–2 digits (base pass@1 0.41, pass@256 0.98;
 * PSR 0.48 / 1.00, NSR 0.45 / 1.00) and with the default model on 1–3 digits (base 0.44 / 0.98; PSR 0.65 / 1.00,
 * NSR 0.60 / 1.00, W-REINFORCE 0.60 / 1.00, REINFORCE 0.63 / 1.00, GRPO 0.63 / 1.00). The task may be too
 * learnable for this model to show a large-k loss. (Those pilots drew the model and SFT seeds from the seed stream
 * in a different order than `warmStartTransformer` does now.)
 */
import { assertFiniteNumber, assertInteger } from "../../lib/core/validate.ts";
import { sampledPassAtK } from "../../lib/estimators/pass_at_k.ts";
import type { SequencePolicy } from "../../lib/train/rollouts.ts";
import { AdditionTask } from "../../lib/tasks/addition.ts";
import { makeDataset } from "../../lib/tasks/dataset.ts";
import { RLVRTrainer } from "../../lib/train/trainer.ts";
import {
  type TransformerSetup,
  validateTransformerSetup,
  warmStartTransformer,
} from "../../lib/train/warm_start.ts";
import type { Row, SeedContext } from "../harness.ts";
import { nsrArmObjective } from "./arms.ts";

/** Settings of the transformer variant (NsrConfig.transformer): model + SFT warm start, task and RL lr. */
export interface NsrTransformerConfig extends TransformerSetup {
  /** Largest operand digit count of the addition task (operands have 1…maxDigits digits). */
  maxDigits: number;
  /** Adam learning rate of the RL arms. */
  lr: number;
  /** Held-out problems (never trained on). */
  heldoutProblems: number;
  /** Rows per sampling call of the pass@k evaluation. */
  evalChunk: number;
}

/** Defaults of the transformer variant. */
export const NSR_TRANSFORMER_DEFAULTS: NsrTransformerConfig = {
  maxDigits: 3,
  dModel: 64,
  nLayers: 2,
  nHeads: 4,
  sftSteps: 400,
  sftBatchSize: 32,
  sftLr: 3e-3,
  lr: 2e-4,
  heldoutProblems: 128,
  evalChunk: 2048,
};

/** Validate the transformer settings. */
export function checkNsrTransformerConfig(t: NsrTransformerConfig): void {
  validateTransformerSetup(t, "nsr.transformer");
  for (const k of ["maxDigits", "heldoutProblems", "evalChunk"] as const) {
    assertInteger(`nsr.transformer.${k}`, t[k], { min: 1 });
  }
  assertFiniteNumber("nsr.transformer.lr", t.lr, { min: 0, exclusiveMin: true });
}

/** The fields of NsrConfig the transformer variant reads. */
export interface NsrTransformerRun {
  batchSize: number;
  groupSize: number;
  steps: number;
  lambda: number;
  evalSamples: number;
  ks: number[];
  transformer: NsrTransformerConfig;
}

/** One seed of the transformer variant: SFT base, then every arm from it; rows like the linear variant (no exact). */
export async function runNsrTransformerSeed(
  c: NsrTransformerRun,
  arms: readonly string[],
  ctx: SeedContext,
): Promise<Row[]> {
  const t = c.transformer;
  const task = new AdditionTask({ minDigits: 1, maxDigits: t.maxDigits });
  const heldout = makeDataset(task, t.heldoutProblems, ctx.rng.split(0).seed);
  const base = await warmStartTransformer(task, t, ctx.rng.split(1), heldout);
  const passk = async (policy: SequencePolicy, arm: string): Promise<Row[]> => {
    const evalRng = ctx.rng.split(4); // the same sampling stream for every arm
    const { passAtK } = await sampledPassAtK(policy, task, heldout, {
      n: c.evalSamples,
      ks: c.ks,
      nextSeed: () => evalRng.tfSeed(),
      chunk: t.evalChunk,
    });
    return c.ks.map((k, j) => ({ kind: "passk", arm, k, passAtK: passAtK[j] }));
  };
  const rows: Row[] = [];
  try {
    rows.push(...await passk(base, "base"));
    ctx.tick(1, { arm: 0 });
    for (const [i, arm] of arms.entries()) {
      const policy = await base.clone();
      const trainer = new RLVRTrainer({
        policy,
        task,
        exclude: heldout,
        config: {
          seed: ctx.rng.split(3).seed,
          batchSize: c.batchSize,
          groupSize: c.groupSize,
          lr: t.lr,
          ...nsrArmObjective(arm, c.lambda),
        },
      });
      try {
        const log = await trainer.train(c.steps);
        for (const r of log.rows) {
          rows.push({
            kind: "tcurve",
            arm,
            step: Number(r.step),
            accuracy: Number(r.accuracy),
            entropy: Number(r.entropy),
          });
        }
        rows.push(...await passk(policy, arm));
      } finally {
        trainer.dispose();
        policy.dispose();
      }
      ctx.tick(1, { arm: i + 1 });
    }
  } finally {
    base.dispose();
  }
  return rows;
}
