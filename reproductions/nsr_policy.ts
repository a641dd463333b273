/**
 * A partially observing shared linear-softmax policy over FeatureChain problems, the test bed of the NSR / PSR /
 * W-REINFORCE reproduction (arXiv 2506.01347). The teacher picks c_s = argmax_k (M x_s)_k from all d features;
 * the policy π(k | x) = softmax(W x_{1:o})_k sees only the first o ≤ d of them, with one W ∈ ℝ^{K×o} for every
 * problem. With o < d no W solves every problem (a capacity limit, as in a language model that cannot solve every
 * task), so RL has to trade problems against each other — the regime where pass@k at large k can fall while
 * pass@1 rises. Everything is exact: success probability p = Π_s π(c_s | x_s), pass@k = 1 − (1 − p)^k.
 * With o = d it is FeatureChain's `LinearSoftmaxPolicy`. Plain Float64Array math, no tfjs.
 */
import { Rng } from "../lib/core/rng.ts";
import {
  assertFiniteArray,
  assertFiniteNumber,
  assertInteger,
  ConfigError,
  resolveConfig,
} from "../lib/core/validate.ts";
import type { Problem } from "../lib/tasks/types.ts";
import type { FeatureChain, FeatureChainMeta } from "./filtering_feature_chain.ts";

/** Initialisation of `PartialLinearSoftmaxPolicy`: W = signal·M_{:, 1:o} + N(0, noise²). */
export interface PartialLinearSoftmaxConfig {
  /** Observed features o (the first o of the d; 1 ≤ o ≤ d). */
  observed: number;
  /** Multiple of the teacher's observed columns in the initial W (a partially "pretrained" start). */
  initSignal: number;
  /** Std of the Gaussian noise added to the initial W. */
  initNoise: number;
  /** Seed of the noise. */
  seed: number;
}

/** One sampled group: a problem, its G option sequences and one advantage per sequence. */
export interface SampleGroup {
  problem: Problem;
  actions: number[][];
  advantages: number[];
}

/** Shared linear-softmax policy over the first o features, π(k | x) = softmax(W x_{1:o})_k (see module doc). */
export class PartialLinearSoftmaxPolicy {
  /** The task. */
  readonly task: FeatureChain;
  /** Observed features o. */
  readonly observed: number;
  /** W (K×o, row-major). */
  readonly weights: Float64Array;
  private readonly K: number;
  private readonly d: number;

  /** W from `options` (default: o = d, W = 0). */
  constructor(task: FeatureChain, options: Partial<PartialLinearSoftmaxConfig> = {}) {
    const c = resolveConfig("PartialLinearSoftmaxPolicy", {
      observed: task.dim,
      initSignal: 0,
      initNoise: 0,
      seed: 0,
    }, options);
    assertInteger("PartialLinearSoftmaxPolicy.observed", c.observed, { min: 1, max: task.dim });
    assertFiniteNumber("PartialLinearSoftmaxPolicy.initSignal", c.initSignal);
    assertFiniteNumber("PartialLinearSoftmaxPolicy.initNoise", c.initNoise, { min: 0 });
    assertInteger("PartialLinearSoftmaxPolicy.seed", c.seed);
    this.task = task;
    this.K = task.options;
    this.d = task.dim;
    this.observed = c.observed;
    const o = c.observed;
    const r = new Rng(c.seed); // noise drawn in row-major order of W
    this.weights = new Float64Array(this.K * o);
    for (let k = 0; k < this.K; k++) {
      for (let j = 0; j < o; j++) {
        this.weights[k * o + j] = c.initSignal * task.teacher[k * this.d + j] +
          (c.initNoise > 0 ? r.normal(0, c.initNoise) : 0);
      }
    }
  }

  /** A copy with the same weights. */
  clone(): PartialLinearSoftmaxPolicy {
    const p = new PartialLinearSoftmaxPolicy(this.task, { observed: this.observed });
    p.weights.set(this.weights);
    return p;
  }

  /** π(·|x_s) = softmax(W x_{s,1:o}) at step s of a problem. */
  probs(problem: Problem, step: number): Float64Array {
    const m = this.task.meta(problem);
    assertInteger("step", step, { min: 0, max: m.length - 1 });
    return this.probsAt(m.features, step * this.d);
  }

  private probsAt(x: Float64Array, off: number): Float64Array {
    const { K } = this;
    const o = this.observed;
    const W = this.weights;
    const p = new Float64Array(K);
    let max = -Infinity;
    for (let k = 0; k < K; k++) {
      let v = 0;
      for (let j = 0; j < o; j++) v += W[k * o + j] * x[off + j];
      p[k] = v;
      if (v > max) max = v;
    }
    let z = 0;
    for (let k = 0; k < K; k++) z += p[k] = Math.exp(p[k] - max);
    for (let k = 0; k < K; k++) p[k] /= z;
    return p;
  }

  /** Exact success probability p = Π_s π(c_s | x_s). */
  successProbability(problem: Problem): number {
    const m = this.task.meta(problem);
    let a = 1;
    for (let s = 0; s < m.length; s++) a *= this.probsAt(m.features, s * this.d)[m.correct[s]];
    return a;
  }

  /** Mean per-step entropy −Σ_k π_k log π_k over the steps of `problems` (nats). */
  meanEntropy(problems: readonly Problem[]): number {
    let h = 0, n = 0;
    for (const q of problems) {
      const m = this.task.meta(q);
      for (let s = 0; s < m.length; s++) {
        for (const p of this.probsAt(m.features, s * this.d)) if (p > 0) h -= p * Math.log(p);
        n++;
      }
    }
    return h / n;
  }

  /** One option sequence a_s ~ π(·|x_s); `correct` = every step is the teacher's option. */
  sample(problem: Problem, rng: Rng): { actions: number[]; correct: boolean } {
    const m = this.task.meta(problem);
    let correct = true;
    const actions = m.correct.map((c, s) => {
      const a = rng.categorical(this.probsAt(m.features, s * this.d));
      if (a !== c) correct = false;
      return a;
    });
    return { actions, correct };
  }

  /** Number of correct sequences among n samples of `problem`. */
  countCorrect(problem: Problem, n: number, rng: Rng): number {
    assertInteger("n", n, { min: 1 });
    let c = 0;
    for (let i = 0; i < n; i++) if (this.sample(problem, rng).correct) c++;
    return c;
  }

  /** ∇_W Σ_s log π(a_s | x_s) = Σ_s (e_{a_s} − π_s) x_{s,1:o}ᵀ (K×o, row-major). */
  gradLogProb(problem: Problem, actions: readonly number[]): Float64Array {
    const m = this.task.meta(problem);
    this.checkActions(m, actions);
    const g = new Float64Array(this.K * this.observed);
    for (let s = 0; s < m.length; s++) this.accumulate(g, m, s, actions[s], 1);
    return g;
  }

  private accumulate(g: Float64Array, m: FeatureChainMeta, s: number, a: number, w: number): void {
    const { K } = this;
    const o = this.observed;
    const off = s * this.d;
    const p = this.probsAt(m.features, off);
    for (let k = 0; k < K; k++) {
      const c = w * ((k === a ? 1 : 0) - p[k]);
      if (c === 0) continue;
      for (let j = 0; j < o; j++) g[k * o + j] += c * m.features[off + j];
    }
  }

  /**
   * Batch policy gradient ĝ = (1/N) Σ_i A_i ∇_W log π(y_i | x_i) at the current W, N = all sequences in the batch
   * (zero-advantage ones included, so PSR / NSR / W-REINFORCE differ only in their per-sample weights).
   */
  policyGradient(groups: readonly SampleGroup[]): Float64Array {
    const g = new Float64Array(this.K * this.observed);
    const total = groups.reduce((t, grp) => t + grp.actions.length, 0);
    if (total === 0) return g;
    groups.forEach((grp, gi) => {
      if (grp.advantages.length !== grp.actions.length) {
        throw new ConfigError(
          `groups[${gi}].advantages`,
          `must have one entry per sequence (${grp.actions.length})`,
          grp.advantages.length,
        );
      }
      assertFiniteArray(`groups[${gi}].advantages`, grp.advantages);
      const m = this.task.meta(grp.problem);
      grp.actions.forEach((actions, i) => {
        const A = grp.advantages[i];
        if (A === 0) return;
        this.checkActions(m, actions);
        for (let s = 0; s < m.length; s++) this.accumulate(g, m, s, actions[s], A);
      });
    });
    for (let i = 0; i < g.length; i++) g[i] /= total;
    return g;
  }

  /** SGD ascent step W += lr · ĝ (`policyGradient`), or an Adam ascent step when `adam` is given. */
  update(groups: readonly SampleGroup[], lr: number, adam?: AdamAscent): void {
    assertFiniteNumber("lr", lr);
    const g = this.policyGradient(groups);
    if (adam) adam.step(this.weights, g, lr);
    else for (let i = 0; i < g.length; i++) this.weights[i] += lr * g[i];
  }

  private checkActions(m: FeatureChainMeta, actions: readonly number[]): void {
    if (actions.length !== m.length) {
      throw new ConfigError("actions", `must have length L = ${m.length}`, actions.length);
    }
    for (let s = 0; s < m.length; s++) {
      assertInteger(`actions[${s}]`, actions[s], { min: 0, max: this.K - 1 });
    }
  }
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
