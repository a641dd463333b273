/**
 * Supervised warm start: cross-entropy on reference solutions, L = −Σ m·log π(y*_t | x, y*_<t) / Σ m over the
 * solution tokens (eos included). RL from a policy that never succeeds gets zero advantage everywhere and learns
 * nothing; a short SFT run gives it a partial success rate to improve on.
 */
import { Rng } from "../core/rng.ts";
import { tf } from "../core/tf.ts";
import type { Tensor2D } from "../core/tf.ts";
import { assertInteger, resolveConfig } from "../core/validate.ts";
import { tokenNll } from "../objectives/imitation.ts";
import { idSet, sampleExcluding } from "../tasks/dataset.ts";
import type { Problem, Task } from "../tasks/types.ts";
import { Adam } from "./adam.ts";
import { clipByGlobalNorm } from "./adam.ts";
import { packSequences } from "./rollouts.ts";
import type { SequencePolicy } from "./rollouts.ts";

/** Options of `sft`. */
export interface SftConfig {
  /** Optimizer steps. */
  steps: number;
  /** Problems per step. */
  batchSize: number;
  /** Adam learning rate. */
  lr: number;
  /** Seed of the problem stream. */
  seed: number;
  /** Global gradient-norm clip; null = none. */
  maxGradNorm: number | null;
  /**
   * Per-problem options for `task.sample` (e.g. `{digits: 2}`), or a function drawing them per problem from
   * the problem stream (a mixture of difficulty levels).
   */
  sampleOptions: Record<string, unknown> | ((rng: Rng) => Record<string, unknown>) | null;
  /** Problems (or ids) never trained on, e.g. the held-out set. */
  exclude: Iterable<Problem | string> | null;
}

/** Defaults: 100 steps of 32 problems, lr 3e-3, clip 1. */
export const SFT_DEFAULTS: SftConfig = {
  steps: 100,
  batchSize: 32,
  lr: 3e-3,
  seed: 0,
  maxGradNorm: 1,
  sampleOptions: null,
  exclude: null,
};

/** Result of `sft`. */
export interface SftResult {
  /** Loss (token-mean NLL) at each step, before the update. */
  losses: number[];
  /** Wall-clock seconds. */
  seconds: number;
}

/** Cross-entropy fine-tuning of `policy` on `task` reference solutions (Adam; see `SftConfig`). */
export async function sft<Opts>(
  policy: SequencePolicy,
  task: Task<Opts>,
  config: Partial<SftConfig> = {},
): Promise<SftResult> {
  const c = resolveConfig("sft", SFT_DEFAULTS, config);
  assertInteger("sft.steps", c.steps, { min: 0 });
  assertInteger("sft.batchSize", c.batchSize, { min: 1 });
  assertInteger("sft.seed", c.seed);
  const t0 = performance.now();
  const rng = new Rng(c.seed);
  const exclude = idSet(c.exclude ?? []);
  const adam = new Adam(policy.variables, { lr: c.lr });
  const losses: number[] = [];
  try {
    for (let step = 0; step < c.steps; step++) {
      const problems = Array.from(
        { length: c.batchSize },
        () => {
          const o = typeof c.sampleOptions === "function" ? c.sampleOptions(rng) : c.sampleOptions;
          return sampleExcluding(task, rng, exclude, (o ?? undefined) as Partial<Opts> | undefined);
        },
      );
      const b = packSequences(
        problems.map((p) => p.prompt),
        problems.map((p) => p.solution),
        problems.map(() => 0),
        task.vocab.pad,
      );
      const tokens = tf.tensor2d(b.tokens, [b.N, b.L], "int32");
      const valid = tf.tensor2d(b.valid, [b.N, b.L]);
      const mask = tf.tensor2d(b.mask, [b.N, b.L - 1]);
      const { value, grads } = tf.variableGrads(
        () =>
          tokenNll(policy.tokenLogProbs(tokens as Tensor2D, valid as Tensor2D).logProbs, mask) as tf.Scalar,
        policy.variables,
      );
      const raw = policy.variables.map((v) => grads[v.name]);
      const clipped = await clipByGlobalNorm(raw, c.maxGradNorm);
      adam.apply(clipped.grads);
      losses.push((await value.data())[0]);
      tf.dispose([tokens, valid, mask, value, ...raw, ...clipped.grads]);
    }
  } finally {
    adam.dispose();
  }
  return { losses, seconds: (performance.now() - t0) / 1000 };
}
