/**
 * The transformer arm of the NSR / PSR / W-REINFORCE reproduction (arXiv 2506.01347), for the `full` preset (GPU):
 * a TinyTransformer on addition, SFT warm start (the "base" model), then each arm trained from the same base by
 * `RLVRTrainer` with ±1 rewards (estimator "signed") and the per-sample weights of `sampleWeights` (psr, nsr,
 * w-reinforce), plain REINFORCE (±1, no weights) or GRPO; Adam, on-policy (one epoch per batch). Held-out pass@k
 * by the unbiased estimator from n sampled answers per problem (no exact value exists here).
 *
 * Not yet run at full scale (no GPU in the session that wrote it). The defaults are guesses: sftSteps = 400 was
 * picked from one wasm calibration run of the default model on 1–2 digit operands (sampled held-out pass@1 0.06 /
 * 0.67 / 0.78 after 200 / 400 / 600 SFT steps), the RL lr 2e-4 follows the trainer's SFT+GRPO test, and
 * maxDigits = 3 was set after two one-seed CPU pilots (64 held-out problems, 100 RL steps of 8 × 8) in which every
 * arm raised pass@k at every k and reached pass@256 = 1: with d 32 on 1–2 digits (base pass@1 0.41, pass@256 0.98;
 * PSR 0.48 / 1.00, NSR 0.45 / 1.00) and with the default model on 1–3 digits (base 0.44 / 0.98; PSR 0.65 / 1.00,
 * NSR 0.60 / 1.00, W-REINFORCE 0.60 / 1.00, REINFORCE 0.63 / 1.00, GRPO 0.63 / 1.00). The task may be too
 * learnable for this model to show a large-k loss.
 */
import type { Rng } from "../lib/core/rng.ts";
import { assertFiniteNumber, assertInteger } from "../lib/core/validate.ts";
import { passAtKValues } from "../lib/estimators/pass_at_k.ts";
import { TinyTransformer } from "../lib/policies/transformer.ts";
import { AdditionTask } from "../lib/tasks/addition.ts";
import { makeDataset } from "../lib/tasks/dataset.ts";
import type { Problem } from "../lib/tasks/types.ts";
import type { TrainerConfig } from "../lib/train/config.ts";
import { sft } from "../lib/train/sft.ts";
import { RLVRTrainer } from "../lib/train/trainer.ts";
import type { Row, SeedContext } from "./harness.ts";

/** Settings of the transformer variant (NsrConfig.transformer). */
export interface NsrTransformerConfig {
  /** Largest operand digit count of the addition task (operands have 1…maxDigits digits). */
  maxDigits: number;
  /** TinyTransformer width, blocks and heads. */
  dModel: number;
  nLayers: number;
  nHeads: number;
  /** SFT warm-start steps, batch and learning rate (the starting policy of every arm). */
  sftSteps: number;
  sftBatchSize: number;
  sftLr: number;
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
  for (
    const k of [
      "maxDigits",
      "dModel",
      "nLayers",
      "nHeads",
      "sftBatchSize",
      "heldoutProblems",
      "evalChunk",
    ] as const
  ) {
    assertInteger(`nsr.transformer.${k}`, t[k], { min: 1 });
  }
  assertInteger("nsr.transformer.sftSteps", t.sftSteps, { min: 0 });
  assertFiniteNumber("nsr.transformer.sftLr", t.sftLr, { min: 0, exclusiveMin: true });
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

/** Trainer config of an arm: ±1 rewards ("signed") with PSR/NSR/W-REINFORCE weights, REINFORCE, or GRPO. */
export function nsrTransformerArmConfig(
  arm: string,
  c: NsrTransformerRun,
  seed: number,
): Partial<TrainerConfig> {
  const common = { seed, batchSize: c.batchSize, groupSize: c.groupSize, lr: c.transformer.lr };
  if (arm === "grpo") return { ...common, estimator: "grpo" };
  if (arm === "reinforce") return { ...common, estimator: "signed" };
  return {
    ...common,
    estimator: "signed",
    sampleWeighting: arm as "psr" | "nsr" | "w-reinforce",
    wReinforceLambda: c.lambda,
  };
}

async function passAtKRows(
  c: NsrTransformerRun,
  policy: TinyTransformer,
  task: AdditionTask,
  heldout: readonly Problem[],
  rng: Rng,
  arm: string,
): Promise<Row[]> {
  const n = c.evalSamples;
  const counts = new Array<number>(heldout.length).fill(0);
  const rows: { problem: number; prompt: number[] }[] = [];
  heldout.forEach((q, i) => {
    for (let j = 0; j < n; j++) rows.push({ problem: i, prompt: q.prompt });
  });
  const room = policy.config.contextLength - Math.max(...heldout.map((q) => q.prompt.length));
  for (let s = 0; s < rows.length; s += c.transformer.evalChunk) {
    const chunk = rows.slice(s, s + c.transformer.evalChunk);
    const out = await policy.sample(chunk.map((r) => r.prompt), {
      maxTokens: room,
      seed: rng.tfSeed(),
      eos: task.vocab.eos,
    });
    out.responses.forEach((y, i) => {
      const q = chunk[i].problem;
      if (task.verify(heldout[q], y) > 0) counts[q]++;
    });
  }
  const sums = new Float64Array(c.ks.length);
  for (const cnt of counts) passAtKValues(n, cnt, c.ks).forEach((v, j) => sums[j] += v);
  return c.ks.map((k, j) => ({ kind: "passk", arm, k, passAtK: sums[j] / heldout.length }));
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
  const base = new TinyTransformer({
    vocabSize: task.vocab.size,
    contextLength: task.maxSequenceLength,
    dModel: t.dModel,
    nLayers: t.nLayers,
    nHeads: t.nHeads,
    seed: ctx.rng.split(1).seed,
  });
  const rows: Row[] = [];
  try {
    await sft(base, task, {
      steps: t.sftSteps,
      batchSize: t.sftBatchSize,
      lr: t.sftLr,
      seed: ctx.rng.split(2).seed,
      exclude: heldout,
    });
    rows.push(...await passAtKRows(c, base, task, heldout, ctx.rng.split(4), "base"));
    ctx.tick(1, { arm: 0 });
    for (const [i, arm] of arms.entries()) {
      const policy = await base.clone();
      const trainer = new RLVRTrainer({
        policy,
        task,
        exclude: heldout,
        config: nsrTransformerArmConfig(arm, c, ctx.rng.split(3).seed),
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
        rows.push(...await passAtKRows(c, policy, task, heldout, ctx.rng.split(4), arm));
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
