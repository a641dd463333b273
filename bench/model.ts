/**
 * Model throughput of the TinyTransformer on the ACTIVE tfjs backend, through the policy's public API only
 * (`tokenLogProbs`, `sample`, `variables`), so it measures whatever compute path the model uses:
 * - train step: forward + backward (`tf.variableGrads`) + the library's Adam (lib/train/adam.ts) on the
 *   token-mean next-token cross-entropy over batch × contextLength tokens (wall and process CPU ms per step);
 * - rollout: `sample` with the KV cache, batch prompts of `promptLength` tokens, contextLength − promptLength
 *   new tokens each (no eos), as tokens/s.
 * `BENCH_SIZES` are the three sizes the bench compares with PyTorch (bench/torch_reference.py builds the same
 * model from the same `ModelSize`). Standalone: `deno run -A bench/model.ts [cpu,wasm,...]` prints JSON.
 */
import process from "node:process";
import { tf } from "../lib/core/tf.ts";
import { Rng } from "../lib/core/rng.ts";
import { type BackendName, useBackend } from "../lib/core/backend.ts";
import { TinyTransformer } from "../lib/policies/transformer.ts";
import { Adam } from "../lib/train/adam.ts";

/** A model size and its workload: architecture, batch and prompt length (new tokens = context − prompt). */
export interface ModelSize {
  /** Label, e.g. "d64-2". */
  name: string;
  /** Token vocabulary. */
  vocabSize: number;
  /** Context length = tokens per training sequence. */
  contextLength: number;
  /** Residual width d. */
  dModel: number;
  /** Transformer blocks. */
  nLayers: number;
  /** Attention heads. */
  nHeads: number;
  /** Sequences per train step and prompts per rollout. */
  batch: number;
  /** Prompt tokens per rollout. */
  promptLength: number;
}

/** The bench's three sizes: d 64 / 2 blocks (64 × 24), d 128 / 4 blocks (32 × 48), d 256 / 4 blocks (16 × 64). */
export const BENCH_SIZES: readonly ModelSize[] = [
  {
    name: "d64-2",
    vocabSize: 18,
    contextLength: 24,
    dModel: 64,
    nLayers: 2,
    nHeads: 4,
    batch: 64,
    promptLength: 8,
  },
  {
    name: "d128-4",
    vocabSize: 18,
    contextLength: 48,
    dModel: 128,
    nLayers: 4,
    nHeads: 4,
    batch: 32,
    promptLength: 8,
  },
  {
    name: "d256-4",
    vocabSize: 18,
    contextLength: 64,
    dModel: 256,
    nLayers: 4,
    nHeads: 4,
    batch: 16,
    promptLength: 8,
  },
];

/** Per-repeat wall and process CPU milliseconds of one measurement. */
export interface Timings {
  /** Wall ms per repeat. */
  ms: number[];
  /** Process CPU ms (user + system) per repeat. */
  cpuMs: number[];
}

/** Process CPU ms (user + system) since `from` (a `process.cpuUsage()` reading). */
function cpuMs(from: { user: number; system: number }): number {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1000;
}

/**
 * A model of one size on the active backend, with its fixed train batch and prompts (seeded), ready to be
 * timed repeatedly (`trainSteps`, `rollouts`) and interleaved with a reference; `dispose` frees it.
 */
export class ModelBench {
  /** The model measured. */
  readonly model: TinyTransformer;
  readonly #tokens: tf.Tensor2D;
  readonly #prompts: number[][];
  readonly #adam: Adam;
  #rolloutSeed = 0;

  /** Build the model (seed 0) and its inputs (seed 1) for `size`, and warm both paths up. */
  constructor(readonly size: ModelSize) {
    const { vocabSize: V, contextLength: T, batch, promptLength } = size;
    this.model = new TinyTransformer({
      vocabSize: V,
      contextLength: T,
      dModel: size.dModel,
      nLayers: size.nLayers,
      nHeads: size.nHeads,
      seed: 0,
    });
    const rng = new Rng(1);
    this.#prompts = Array.from(
      { length: batch },
      () => Array.from({ length: promptLength }, () => 1 + rng.int(V - 1)),
    );
    const seqs = Array.from({ length: batch }, () => Array.from({ length: T }, () => 1 + rng.int(V - 1)));
    this.#tokens = tf.tensor2d(seqs, [batch, T], "int32");
    this.#adam = new Adam(this.model.variables, { lr: 1e-3 });
  }

  /** Parameters of the model. */
  get params(): number {
    return this.model.numParams();
  }

  /** New tokens per rollout (batch × (context − prompt)). */
  get rolloutTokens(): number {
    return this.size.batch * (this.size.contextLength - this.size.promptLength);
  }

  async #step(): Promise<void> {
    const { value, grads } = tf.variableGrads(
      () => tf.neg(tf.mean(this.model.tokenLogProbs(this.#tokens).logProbs)) as tf.Scalar,
      this.model.variables,
    );
    this.#adam.apply(this.model.variables.map((v) => grads[v.name]));
    await value.data();
    tf.dispose([value, ...Object.values(grads)]);
  }

  /** Time `n` Adam steps (after `warmup` untimed ones). */
  async trainSteps(n: number, warmup = 1): Promise<Timings> {
    for (let i = 0; i < warmup; i++) await this.#step();
    const out: Timings = { ms: [], cpuMs: [] };
    for (let i = 0; i < n; i++) {
      const c0 = process.cpuUsage(), t0 = performance.now();
      await this.#step();
      out.ms.push(performance.now() - t0);
      out.cpuMs.push(cpuMs(c0));
    }
    return out;
  }

  /** Time `n` KV-cache rollouts of the whole batch (after one untimed warm-up rollout of 2 tokens). */
  async rollouts(n: number): Promise<Timings> {
    const newTokens = this.size.contextLength - this.size.promptLength;
    await this.model.sample(this.#prompts.slice(0, 2), { maxTokens: 2, seed: 0 });
    const out: Timings = { ms: [], cpuMs: [] };
    for (let i = 0; i < n; i++) {
      const c0 = process.cpuUsage(), t0 = performance.now();
      await this.model.sample(this.#prompts, { maxTokens: newTokens, seed: this.#rolloutSeed++ });
      out.ms.push(performance.now() - t0);
      out.cpuMs.push(cpuMs(c0));
    }
    return out;
  }

  /** Free the model, its optimizer state and inputs. */
  dispose(): void {
    this.#adam.dispose();
    this.#tokens.dispose();
    this.model.dispose();
  }
}

/** Median of a non-empty array. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

if (import.meta.main) {
  const names = (Deno.args.find((a) => !a.startsWith("--")) ?? "wasm").split(",") as BackendName[];
  for (const name of names) {
    await useBackend(name, { allowFallbackAdapter: true });
    for (const size of BENCH_SIZES) {
      const b = new ModelBench(size);
      const step = await b.trainSteps(3);
      const roll = await b.rollouts(2);
      console.log(JSON.stringify({
        backend: tf.getBackend(),
        size: size.name,
        params: b.params,
        trainStepMs: median(step.ms),
        rolloutTokensPerSec: b.rolloutTokens / (median(roll.ms) / 1000),
      }));
      b.dispose();
    }
  }
}
