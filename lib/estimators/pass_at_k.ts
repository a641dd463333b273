/**
 * Unbiased pass@k (Chen et al. 2021, arXiv 2107.03374): from n samples of which c are correct,
 *   pass@k = 1 − C(n−c, k) / C(n, k) = 1 − Π_{i=n−c+1}^{n} (1 − k/i),
 * the probability that a uniformly random k-subset of the n samples contains a correct one. Its expectation
 * over c ~ Binomial(n, p) is exactly 1 − (1 − p)^k, whereas the plug-in 1 − (1 − c/n)^k is biased low.
 */

import { assertInteger, ConfigError } from "../core/validate.ts";
import type { Problem, Task } from "../tasks/types.ts";
import type { SequencePolicy } from "../train/rollouts.ts";

function checkNC(n: number, c: number): void {
  assertInteger("n", n, { min: 1 });
  assertInteger("c", c, { min: 0 });
  if (c > n) throw new ConfigError("c", `must be ≤ n (${n})`, c);
}

function passAtKUnchecked(n: number, c: number, k: number): number {
  if (n - c < k) return 1;
  let prodFail = 1;
  for (let i = n - c + 1; i <= n; i++) prodFail *= 1 - k / i;
  return 1 - prodFail;
}

/** Unbiased pass@k = 1 − Π_{i=n−c+1}^{n}(1 − k/i), 1 when n − c < k (Chen et al. 2021, arXiv 2107.03374). */
export function passAtK(n: number, c: number, k: number): number {
  checkNC(n, c);
  assertInteger("k", k, { min: 1 });
  if (k > n) throw new ConfigError("k", `must be ≤ n (${n})`, k);
  return passAtKUnchecked(n, c, k);
}

/** Unbiased pass@k for each k in ks from one (n, c) (Chen et al. 2021, arXiv 2107.03374). */
export function passAtKValues(n: number, c: number, ks: readonly number[]): number[] {
  checkNC(n, c);
  if (!Array.isArray(ks)) throw new ConfigError("ks", "must be an array of integers in [1, n]", ks);
  return ks.map((k, j) => {
    assertInteger(`ks[${j}]`, k, { min: 1, max: n });
    return passAtKUnchecked(n, c, k);
  });
}

/** Mean unbiased pass@k over problems, each with its own n_i and c_i (Chen et al. 2021, arXiv 2107.03374). */
export function meanPassAtK(ns: readonly number[], cs: readonly number[], k: number): number {
  if (!Array.isArray(ns) || ns.length === 0) throw new ConfigError("ns", "must be a non-empty array", ns);
  if (!Array.isArray(cs) || cs.length !== ns.length) {
    throw new ConfigError("cs", `must be an array with the same length as ns (${ns.length})`, cs);
  }
  assertInteger("k", k, { min: 1 });
  let s = 0;
  for (let i = 0; i < ns.length; i++) {
    assertInteger(`ns[${i}]`, ns[i], { min: k });
    assertInteger(`cs[${i}]`, cs[i], { min: 0, max: ns[i] });
    s += passAtKUnchecked(ns[i], cs[i], k);
  }
  return s / ns.length;
}

/** Options of `sampledPassAtK`. */
export interface SampledPassAtKOptions {
  /** Samples n per problem (≥ max k). */
  n: number;
  /** The k values (each in [1, n]). */
  ks: readonly number[];
  /** Sampler seeds: one per sampling call, drawn in order by this function. */
  nextSeed: () => number;
  /** Rows per sampling call (default 65536). */
  chunk?: number;
}

/**
 * Held-out pass@k of any `SequencePolicy` by sampling: n responses per problem (temperature 1), c_i = number that
 * `task.verify` accepts, then the unbiased estimator 1 − C(n−c_i, k)/C(n, k) (Chen et al. 2021) averaged over problems.
 * Returns the mean per k (in `ks` order) and the per-problem counts c_i. For tasks that enumerate their accepted
 * responses, `exactAnswerProbabilities` + `exactPassAtK` give the same expectation without sampling noise.
 */
export async function sampledPassAtK<Opts>(
  policy: SequencePolicy,
  task: Task<Opts>,
  problems: readonly Problem[],
  options: SampledPassAtKOptions,
): Promise<{ passAtK: number[]; counts: number[] }> {
  const { n, ks, nextSeed, chunk = 1 << 16 } = options;
  assertInteger("n", n, { min: 1 });
  assertInteger("chunk", chunk, { min: 1 });
  if (problems.length === 0) throw new ConfigError("problems", "must be non-empty");
  const counts = new Array<number>(problems.length).fill(0);
  const rows = problems.flatMap((q, i) => Array.from({ length: n }, () => ({ i, prompt: q.prompt })));
  const room = policy.config.contextLength - Math.max(...problems.map((q) => q.prompt.length));
  for (let s = 0; s < rows.length; s += chunk) {
    const part = rows.slice(s, s + chunk);
    const out = await policy.sample(part.map((r) => r.prompt), {
      maxTokens: room,
      seed: nextSeed(),
      eos: task.vocab.eos,
    });
    out.responses.forEach((y, j) => {
      if (task.verify(problems[part[j].i], y) > 0) counts[part[j].i]++;
    });
  }
  const sums = new Array<number>(ks.length).fill(0);
  for (const c of counts) passAtKValues(n, c, ks).forEach((v, j) => sums[j] += v);
  return { passAtK: sums.map((x) => x / problems.length), counts };
}
