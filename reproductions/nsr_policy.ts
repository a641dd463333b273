/**
 * The NSR / PSR / W-REINFORCE reproduction's (arXiv 2506.01347) training primitives over FeatureChain's
 * `LinearSoftmaxPolicy` with partial observation: the teacher picks c_s = argmax_k (M x_s)_k from all d features,
 * the policy π(k | x) = softmax(W x_{1:o})_k sees only the first o < d (`observed`), so no W solves every problem
 * (a capacity limit, as in a language model that cannot solve every task) and RL has to trade problems against
 * each other — the regime where pass@k at large k can fall while pass@1 rises. Exact: p = Π_s π(c_s | x_s),
 * pass@k = 1 − (1 − p)^k. Signed (±1-reward) sequence updates by SGD or Adam ascent. Plain Float64Array math.
 */
import type { Rng } from "../lib/core/rng.ts";
import { assertFiniteNumber, assertInteger, ConfigError, resolveConfig } from "../lib/core/validate.ts";
import type { Problem } from "../lib/tasks/types.ts";
import type { LinearSoftmaxPolicy } from "./filtering_feature_chain.ts";

/** One sampled group: a problem, its G option sequences and one advantage per sequence. */
export interface SampleGroup {
  problem: Problem;
  actions: number[][];
  advantages: number[];
}

/** One unhinted option sequence a_s ~ π(·|x_s) and whether every step is the teacher's option. */
export function sampleSequence(
  policy: LinearSoftmaxPolicy,
  problem: Problem,
  rng: Rng,
): { actions: number[]; correct: boolean } {
  const actions = policy.sample(problem, 0, rng);
  const want = policy.task.meta(problem).correct;
  return { actions, correct: actions.every((a, s) => a === want[s]) };
}

/** Number of correct sequences among n unhinted samples of `problem`. */
export function countCorrect(policy: LinearSoftmaxPolicy, problem: Problem, n: number, rng: Rng): number {
  assertInteger("n", n, { min: 1 });
  let c = 0;
  for (let i = 0; i < n; i++) if (sampleSequence(policy, problem, rng).correct) c++;
  return c;
}

/**
 * Batch policy gradient ĝ = (1/N) Σ_i A_i ∇_W log π(y_i | x_i) at the current W, N = all sequences in the batch
 * (zero-advantage ones included, so PSR / NSR / W-REINFORCE differ only in their per-sample weights).
 */
export function signedPolicyGradient(
  policy: LinearSoftmaxPolicy,
  groups: readonly SampleGroup[],
): Float64Array {
  groups.forEach((grp, gi) => {
    if (grp.advantages.length !== grp.actions.length) {
      throw new ConfigError(
        `groups[${gi}].advantages`,
        `must have one entry per sequence (${grp.actions.length})`,
        grp.advantages.length,
      );
    }
  });
  return policy.policyGradient(
    groups.map((g) => ({ problem: g.problem, responses: g.actions, hintLength: 0 })),
    groups.map((g) => g.advantages),
  );
}

/** SGD ascent step W += lr · ĝ (`signedPolicyGradient`), or an Adam ascent step when `adam` is given. */
export function signedUpdate(
  policy: LinearSoftmaxPolicy,
  groups: readonly SampleGroup[],
  lr: number,
  adam?: AdamAscent,
): void {
  assertFiniteNumber("lr", lr);
  const g = signedPolicyGradient(policy, groups);
  if (adam) adam.step(policy.weights, g, lr);
  else for (let i = 0; i < g.length; i++) policy.weights[i] += lr * g[i];
}

/**
 * Adam (Kingma & Ba, arXiv 1412.6980) as gradient *ascent* on a Float64Array: m ← β₁m + (1 − β₁)g,
 * v ← β₂v + (1 − β₂)g², θ += lr · m̂ / (√v̂ + ε) with bias-corrected m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ).
 */
export class AdamAscent {
  /** Moments and step count. */
  state: { m: Float64Array; v: Float64Array; t: number };
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly eps: number;

  /** Zero moments for `size` parameters. */
  constructor(size: number, options: Partial<{ beta1: number; beta2: number; eps: number }> = {}) {
    assertInteger("size", size, { min: 1 });
    const c = resolveConfig("AdamAscent", { beta1: 0.9, beta2: 0.999, eps: 1e-8 }, options);
    assertFiniteNumber("AdamAscent.beta1", c.beta1, { min: 0, max: 1, exclusiveMax: true });
    assertFiniteNumber("AdamAscent.beta2", c.beta2, { min: 0, max: 1, exclusiveMax: true });
    assertFiniteNumber("AdamAscent.eps", c.eps, { min: 0, exclusiveMin: true });
    this.beta1 = c.beta1;
    this.beta2 = c.beta2;
    this.eps = c.eps;
    this.state = { m: new Float64Array(size), v: new Float64Array(size), t: 0 };
  }

  /** One ascent step of `params` along `grad` (same length as the moments). */
  step(params: Float64Array, grad: ArrayLike<number>, lr: number): void {
    const { m, v } = this.state;
    if (params.length !== m.length || grad.length !== m.length) {
      throw new ConfigError("grad", `must have length ${m.length}`, grad.length);
    }
    const t = ++this.state.t;
    const c1 = 1 - this.beta1 ** t, c2 = 1 - this.beta2 ** t;
    for (let i = 0; i < m.length; i++) {
      m[i] = this.beta1 * m[i] + (1 - this.beta1) * grad[i];
      v[i] = this.beta2 * v[i] + (1 - this.beta2) * grad[i] * grad[i];
      params[i] += (lr * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + this.eps);
    }
  }
}
