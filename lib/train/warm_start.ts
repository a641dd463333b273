/**
 * Transformer + SFT warm start: the config fragment shared by every reproduction that trains a `TinyTransformer`
 * with RL from a supervised start (RLCR, the GRPO-family ablation, NSR's transformer arm). RL from a policy that
 * never succeeds gets zero advantage everywhere, so each run first fits the task's reference solutions by
 * cross-entropy (`sft`) for a few hundred steps; every RL arm then starts from the same weights.
 */
import type { Rng } from "../core/rng.ts";
import { assertFiniteNumber, assertInteger, ConfigError } from "../core/validate.ts";
import { TinyTransformer } from "../policies/transformer.ts";
import type { Problem, Task } from "../tasks/types.ts";
import { sft, type SftConfig } from "./sft.ts";

/** Model dimensions and SFT schedule of a warm-started TinyTransformer (extend a reproduction config with it). */
export interface TransformerSetup {
  /** TinyTransformer width d (divisible by nHeads). */
  dModel: number;
  /** Transformer blocks (0 = embeddings and unembedding only). */
  nLayers: number;
  /** Attention heads per block. */
  nHeads: number;
  /** SFT warm-start steps (0 = no warm start: the randomly initialised model). */
  sftSteps: number;
  /** SFT problems per step. */
  sftBatchSize: number;
  /** SFT Adam learning rate. */
  sftLr: number;
}

/** Check every `TransformerSetup` field; a bad one throws a ConfigError named `<prefix>.<field>`. */
export function validateTransformerSetup(setup: TransformerSetup, prefix = "setup"): void {
  for (const k of ["dModel", "nHeads", "sftBatchSize"] as const) {
    assertInteger(`${prefix}.${k}`, setup[k], { min: 1 });
  }
  assertInteger(`${prefix}.nLayers`, setup.nLayers, { min: 0 });
  assertInteger(`${prefix}.sftSteps`, setup.sftSteps, { min: 0 });
  assertFiniteNumber(`${prefix}.sftLr`, setup.sftLr, { min: 0, exclusiveMin: true });
  if (setup.dModel % setup.nHeads !== 0) {
    throw new ConfigError(`${prefix}.dModel`, `must be divisible by nHeads (${setup.nHeads})`, setup.dModel);
  }
}

/**
 * A TinyTransformer sized for `task` (vocabulary, `maxSequenceLength` context) with weights from
 * `rng.split(0)`, fitted to the task's reference solutions by `setup.sftSteps` SFT steps on problems drawn
 * from `rng.split(1)` (never one of `exclude`, e.g. the held-out set), drawn with `sampleOptions` when given
 * (options, or a function of the problem stream drawing them: e.g. easier SAT levels than the task's default). The caller owns (disposes) the policy.
 */
export async function warmStartTransformer<Opts>(
  task: Task<Opts>,
  setup: TransformerSetup,
  rng: Rng,
  exclude: Iterable<Problem | string> | null = null,
  sampleOptions: Partial<Opts> | ((rng: Rng) => Partial<Opts>) | null = null,
): Promise<TinyTransformer> {
  validateTransformerSetup(setup);
  const policy = new TinyTransformer({
    vocabSize: task.vocab.symbols.length,
    contextLength: task.maxSequenceLength,
    dModel: setup.dModel,
    nLayers: setup.nLayers,
    nHeads: setup.nHeads,
    seed: rng.split(0).seed,
  });
  try {
    await sft(policy, task, {
      steps: setup.sftSteps,
      batchSize: setup.sftBatchSize,
      lr: setup.sftLr,
      seed: rng.split(1).seed,
      exclude,
      sampleOptions: sampleOptions as SftConfig["sampleOptions"],
    });
  } catch (e) {
    policy.dispose();
    throw e;
  }
  return policy;
}
