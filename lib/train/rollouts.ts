/**
 * Rollouts and batch packing for sequence policies: the `SequencePolicy` contract the trainer needs, the
 * `generate` function handed to curricula, greedy held-out evaluation, and `packSequences`, which lays out
 * prompt + response rows (left-padded to a common length) with masks over generated and forced tokens.
 */
import type { Tensor2D, Variable } from "../core/tf.ts";
import type { TokenLogits } from "../objectives/policy_gradient.ts";
import { ConfigError } from "../core/validate.ts";
import type { GenerateFn, RolloutGroup, RolloutRequest } from "../curricula/types.ts";
import type { Problem, Task } from "../tasks/types.ts";

/** What the trainer needs from a policy (`TinyTransformer` in lib/policies implements it). */
export interface SequencePolicy {
  /** Trainable weights, in a stable order. */
  readonly variables: Variable[];
  /** Model configuration; `contextLength` bounds prompt + response. */
  readonly config: { contextLength: number };
  /**
   * log π(tokens[:, t] | tokens[:, <t]) and entropies, both [B, T−1], under softmax(logits/temperature) (default
   * 1, the distribution `sample` draws from at that temperature); `valid` masks (left) padding.
   */
  tokenLogProbs(
    tokens: Tensor2D,
    valid?: Tensor2D,
    temperature?: number,
  ): { logProbs: Tensor2D; entropy: Tensor2D };
  /** Optional: logits over the actions at every target position [B, T−1, A] (read by value-based objectives). */
  tokenLogits?(tokens: Tensor2D, valid?: Tensor2D): TokenLogits;
  /** Sample responses (forced tokens teacher-forced first), with per-token log-probs. */
  sample(
    prompts: number[][],
    opts: { maxTokens: number; seed: number; temperature?: number; eos?: number; forced?: number[][] },
  ): Promise<{ responses: number[][]; logProbs: number[][] }>;
  /** Greedy (argmax) responses. */
  greedy(prompts: number[][], opts: { maxTokens: number; eos?: number }): Promise<number[][]>;
  /** JSON-serializable weights. */
  getWeights(): Promise<unknown>;
  /** Restore `getWeights()` output. */
  setWeights(weights: unknown): void;
  /** Independent copy (the frozen reference policy for KL). */
  clone(): Promise<SequencePolicy>;
  /** Free the weights. */
  dispose(): void;
}

/** Reward of one response (default: the task verifier). */
export type RewardFn = (problem: Problem, response: readonly number[]) => number;

/** Counters a generate function updates (for tokens/s and rollout accounting). */
export interface RolloutCounters {
  /** Rollouts generated. */
  rollouts: number;
  /** Tokens sampled (forced hint tokens excluded). */
  tokens: number;
  /** Seconds spent generating. */
  seconds: number;
}

/** Options of `makeGenerate`. */
export interface GenerateOptions<Opts> {
  /** The policy that samples. */
  policy: SequencePolicy;
  /** The task (vocabulary, verifier). */
  task: Task<Opts>;
  /** Reward of each response. */
  reward: RewardFn;
  /** Sampling temperature. */
  temperature: number;
  /** Cap on response tokens; null = contextLength − longest prompt. */
  maxNewTokens: number | null;
  /** Returns the sampler seed of the next generate call. */
  nextSeed: () => number;
  /** Counters this generator adds to. */
  counters: RolloutCounters;
}

/** Hint lengths of each rollout of a group (`hintLengths` overrides the scalar `hintLength`). */
export function rolloutHintLengths(group: RolloutGroup): number[] {
  return group.hintLengths ?? group.responses.map(() => group.hintLength);
}

/** Build the `GenerateFn` handed to curricula: G samples per request, hints forced, rewards and correctness scored. */
export function makeGenerate<Opts>(o: GenerateOptions<Opts>): GenerateFn {
  const { policy, task, reward, counters } = o;
  return async (requests: RolloutRequest[], groupSize: number): Promise<RolloutGroup[]> => {
    if (requests.length === 0) return [];
    const t0 = performance.now();
    const prompts: number[][] = [];
    const forced: number[][] = [];
    for (const r of requests) {
      const h = r.hintLength ?? 0;
      if (!Number.isInteger(h) || h < 0 || h > r.problem.solution.length) {
        throw new ConfigError("hintLength", `must be an integer in [0, ${r.problem.solution.length}]`, h);
      }
      for (let g = 0; g < groupSize; g++) {
        prompts.push(r.problem.prompt);
        forced.push(r.problem.solution.slice(0, h));
      }
    }
    const longest = Math.max(...prompts.map((p) => p.length));
    const room = policy.config.contextLength - longest;
    const maxTokens = Math.min(o.maxNewTokens ?? room, room);
    const out = await policy.sample(prompts, {
      maxTokens,
      seed: o.nextSeed(),
      temperature: o.temperature,
      eos: task.vocab.eos,
      forced: forced.some((f) => f.length > 0) ? forced : undefined,
    });
    const groups = requests.map((r, k): RolloutGroup => {
      const rows = Array.from({ length: groupSize }, (_, g) => k * groupSize + g);
      const responses = rows.map((i) => out.responses[i]);
      return {
        problem: r.problem,
        hintLength: r.hintLength ?? 0,
        responses,
        logProbs: rows.map((i) => out.logProbs[i]),
        rewards: responses.map((y) => reward(r.problem, y)),
        correct: responses.map((y) => task.verify(r.problem, y)),
      };
    });
    counters.rollouts += prompts.length;
    counters.tokens += out.responses.reduce((s, y, i) => s + y.length - forced[i].length, 0);
    counters.seconds += (performance.now() - t0) / 1000;
    return groups;
  };
}

/** Host arrays of a packed batch: N rows of length L, masks over the L − 1 next-token targets. */
export interface PackedBatch {
  /** Rows (rollouts). */
  N: number;
  /** Row length (left-padded prompt + response). */
  L: number;
  /** Token ids [N, L]: pads, then prompt, then response. */
  tokens: Int32Array;
  /** 1 on prompt and response tokens [N, L]. */
  valid: Float32Array;
  /** 1 on target positions t (predicting tokens[t+1]) that are generated response tokens [N, L−1]. */
  mask: Float32Array;
  /** 1 on target positions that are forced hint tokens [N, L−1]. */
  hintMask: Float32Array;
}

/** Left-pad each prompt + response to the longest row; response token j of row i is target (P_i + j − 1) after padding. */
export function packSequences(
  prompts: readonly number[][],
  responses: readonly number[][],
  hintLengths: readonly number[],
  pad: number,
): PackedBatch {
  const N = prompts.length;
  const L = Math.max(...prompts.map((p, i) => p.length + responses[i].length));
  const tokens = new Int32Array(N * L).fill(pad);
  const valid = new Float32Array(N * L);
  const mask = new Float32Array(N * (L - 1));
  const hintMask = new Float32Array(N * (L - 1));
  for (let i = 0; i < N; i++) {
    const row = [...prompts[i], ...responses[i]];
    const off = L - row.length;
    for (let j = 0; j < row.length; j++) {
      tokens[i * L + off + j] = row[j];
      valid[i * L + off + j] = 1;
    }
    const start = off + prompts[i].length; // position of response token 0
    for (let j = 0; j < responses[i].length; j++) {
      const target = i * (L - 1) + start + j - 1;
      if (j < hintLengths[i]) hintMask[target] = 1;
      else mask[target] = 1;
    }
  }
  return { N, L, tokens, valid, mask, hintMask };
}

/** Result of `evaluate`. */
export interface EvalResult {
  /** Mean verifier score of greedy responses. */
  accuracy: number;
  /** Number of problems. */
  n: number;
  /** Per-problem verifier scores (dataset order). */
  correct: number[];
  /** Mean response length (tokens, eos included). */
  meanResponseLength: number;
  /** Greedy response token ids per problem (dataset order), e.g. for parsing stated confidences (RLCR). */
  responses: number[][];
}

/** Greedy accuracy and responses of `policy` on a fixed held-out set, in batches of `batchSize`. */
export async function evaluate<Opts>(
  policy: SequencePolicy,
  task: Task<Opts>,
  dataset: readonly Problem[],
  batchSize = 64,
): Promise<EvalResult> {
  if (dataset.length === 0) throw new ConfigError("dataset", "must be non-empty");
  const correct: number[] = [];
  const responses: number[][] = [];
  let length = 0;
  for (let s = 0; s < dataset.length; s += batchSize) {
    const chunk = dataset.slice(s, s + batchSize);
    const prompts = chunk.map((p) => p.prompt);
    const maxTokens = policy.config.contextLength - Math.max(...prompts.map((p) => p.length));
    const ys = await policy.greedy(prompts, { maxTokens, eos: task.vocab.eos });
    chunk.forEach((p, i) => {
      correct.push(task.verify(p, ys[i]));
      responses.push(ys[i]);
      length += ys[i].length;
    });
  }
  return {
    accuracy: correct.reduce((a, b) => a + b, 0) / correct.length,
    n: correct.length,
    correct,
    meanResponseLength: length / correct.length,
    responses,
  };
}
