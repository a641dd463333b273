/**
 * FeatureChain and a shared-parameter linear-softmax policy: the test bed of the Online Difficulty Filtering
 * (arXiv 2504.03380) and SEELE (arXiv 2509.06923) reproductions, where training must transfer to *held-out*
 * problems (the tabular SimChain policy has one logit table per problem and cannot generalise).
 *
 * A problem is a chain of L steps; step s shows a feature vector x_s ∈ ℝ^d (x_s ~ N(0, I_d)) and has K options.
 * The correct option is c_s = argmax_k (M x_s)_k for a hidden teacher matrix M ∈ ℝ^{K×d} shared by all problems;
 * reward 1 iff every step is right. The policy is π(k | x) = softmax(W x)_k with ONE matrix W ∈ ℝ^{K×d} for every
 * problem, so what it learns on training problems transfers to fresh ones. Difficulty varies with L and with the
 * teacher margins of the steps, so pass rates spread over [0, 1]. Everything is exact: the success probability with
 * the first h steps forced (a hint = prefix of the reference solution) is a = Π_{s ≥ h} π(c_s | x_s);
 * ∇_W log π(k | x) = (e_k − π(·|x)) xᵀ. Plain Float64Array math, no tfjs.
 */
import { deriveSeed, Rng } from "../lib/core/rng.ts";
import {
  assertFiniteArray,
  assertFiniteNumber,
  assertInteger,
  ConfigError,
  resolveConfig,
} from "../lib/core/validate.ts";
import type { GenerateFn, RolloutGroup, RolloutRequest } from "../lib/curricula/types.ts";
import type { Problem } from "../lib/tasks/types.ts";

/** FeatureChain configuration. */
export interface FeatureChainConfig {
  /** Feature dimension d. */
  dim: number;
  /** Options per step K (≥ 2). */
  options: number;
  /** Smallest chain length L. */
  minLength: number;
  /** Largest chain length L (lengths are uniform on [minLength, maxLength]). */
  maxLength: number;
  /** Seed of the teacher M and of every problem pool. */
  seed: number;
}

/** Chain data of a FeatureChain problem (`Problem.meta`). */
export interface FeatureChainMeta extends Record<string, unknown> {
  /** Pool name ("train", "heldout", …) and index in it. */
  pool: string;
  index: number;
  /** Steps L. */
  length: number;
  /** Features, step-major (length L·d). */
  features: Float64Array;
  /** Correct option per step: argmax_k (M x_s)_k. */
  correct: number[];
}

const FC_DEFAULTS: FeatureChainConfig = { dim: 8, options: 4, minLength: 1, maxLength: 8, seed: 0 };

/** FeatureChain task family (see module doc): a hidden linear teacher M and pools of problems. */
export class FeatureChain {
  /** Family name. */
  readonly name = "feature-chain";
  /** Resolved configuration. */
  readonly config: Readonly<FeatureChainConfig>;
  /** Teacher M (K×d, row-major), rows ~ N(0, I_d). */
  readonly teacher: Float64Array;

  /** Teacher from `seed`; pools are built with `pool`. */
  constructor(options: Partial<FeatureChainConfig> = {}) {
    const c = resolveConfig("FeatureChain", FC_DEFAULTS, options);
    assertInteger("FeatureChain.dim", c.dim, { min: 1, max: 1024 });
    assertInteger("FeatureChain.options", c.options, { min: 2, max: 64 });
    assertInteger("FeatureChain.minLength", c.minLength, { min: 1, max: 1000 });
    assertInteger("FeatureChain.maxLength", c.maxLength, { min: c.minLength, max: 1000 });
    assertInteger("FeatureChain.seed", c.seed);
    this.config = Object.freeze(c);
    const r = new Rng(deriveSeed(c.seed, 0x7eac4e));
    this.teacher = Float64Array.from({ length: c.options * c.dim }, () => r.normal());
  }

  /** K. */
  get options(): number {
    return this.config.options;
  }

  /** d. */
  get dim(): number {
    return this.config.dim;
  }

  /** Teacher's option for features x: argmax_k (M x)_k. */
  teacherOption(x: ArrayLike<number>, offset = 0): number {
    const { options: K, dim: d } = this.config;
    let best = 0, bestV = -Infinity;
    for (let k = 0; k < K; k++) {
      let v = 0;
      for (let j = 0; j < d; j++) v += this.teacher[k * d + j] * x[offset + j];
      if (v > bestV) [best, bestV] = [k, v];
    }
    return best;
  }

  /** A pool of `size` problems named `name` (deterministic in (seed, name, index)). */
  pool(name: string, size: number): Problem[] {
    assertInteger("size", size, { min: 1 });
    let h = 0;
    for (const ch of name) h = (Math.imul(h, 31) + ch.charCodeAt(0)) >>> 0;
    return Array.from(
      { length: size },
      (_, i) => this.build(name, i, new Rng(deriveSeed(deriveSeed(this.config.seed, h), i))),
    );
  }

  private build(pool: string, index: number, r: Rng): Problem {
    const { minLength, maxLength, dim: d } = this.config;
    const L = minLength + r.int(maxLength - minLength + 1);
    const features = Float64Array.from({ length: L * d }, () => r.normal());
    const correct = Array.from({ length: L }, (_, s) => this.teacherOption(features, s * d));
    const meta: FeatureChainMeta = { pool, index, length: L, features, correct };
    const sol = correct.map((o) => String.fromCharCode(65 + o)).join("");
    return {
      id: `fchain-s${this.config.seed}-${pool}-${index}`,
      task: this.name,
      difficulty: L,
      prompt: [],
      solution: correct.slice(), // one token per step (option index); a hint of h tokens forces h steps
      text: { prompt: `${pool}#${index} (L=${L})`, solution: sol },
      meta,
    };
  }

  /** The chain data of a FeatureChain problem; throws if `problem` is not one. */
  meta(problem: Problem): FeatureChainMeta {
    const m = problem?.meta as FeatureChainMeta | undefined;
    if (!m || problem.task !== this.name || !(m.features instanceof Float64Array)) {
      throw new ConfigError("problem", "must be a FeatureChain problem", problem?.id);
    }
    return m;
  }
}

/**
 * Initialisation of `LinearSoftmaxPolicy`: W = signal·M_{:, 1:o} + N(0, noise²) (a partially "pretrained" policy),
 * with o = `observed` features.
 */
export interface LinearSoftmaxConfig {
  /**
   * Features the policy sees: the first o of the d (null = all d). With o < d no W solves every problem (the
   * NSR / PSR reproduction's capacity limit); the teacher always uses all d.
   */
  observed: number | null;
  /** Multiple of the teacher M in the initial W. */
  initSignal: number;
  /** Std of the Gaussian noise added to the initial W. */
  initNoise: number;
  /** Seed of the noise. */
  seed: number;
}

const LS_DEFAULTS: LinearSoftmaxConfig = { observed: null, initSignal: 0, initNoise: 0, seed: 0 };

/** What `LinearSoftmaxPolicy.update` reads of a group (a `RolloutGroup` qualifies): the problem, option sequences, hints. */
export type PolicyGradientGroup = Pick<RolloutGroup, "problem" | "responses" | "hintLength" | "hintLengths">;

/** Options of `LinearSoftmaxPolicy.update`. */
export interface LinearUpdateOptions {
  /** Imitation weight γ on hint (forced) steps: adds γ·∇ log π(c_s | x_s) there (SEELE's imitation term). */
  imitationWeight: number;
}

/**
 * Shared linear-softmax policy π(k | x) = softmax(W x_{1:o})_k over FeatureChain steps, one W ∈ ℝ^{K×o} for every
 * problem (o = d by default; exact, see module doc).
 */
export class LinearSoftmaxPolicy {
  /** The task. */
  readonly task: FeatureChain;
  /** Observed features o (the first o of the d). */
  readonly observed: number;
  /** W (K×o, row-major). */
  readonly weights: Float64Array;
  private readonly K: number;
  private readonly d: number;

  /** W from `options` (or zeros). */
  constructor(task: FeatureChain, options: Partial<LinearSoftmaxConfig> = {}) {
    const c = resolveConfig("LinearSoftmaxPolicy", LS_DEFAULTS, options);
    if (c.observed !== null) {
      assertInteger("LinearSoftmaxPolicy.observed", c.observed, { min: 1, max: task.dim });
    }
    assertFiniteNumber("LinearSoftmaxPolicy.initSignal", c.initSignal);
    assertFiniteNumber("LinearSoftmaxPolicy.initNoise", c.initNoise, { min: 0 });
    assertInteger("LinearSoftmaxPolicy.seed", c.seed);
    this.task = task;
    this.K = task.options;
    this.d = task.dim;
    const o = this.observed = c.observed ?? task.dim;
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
  clone(): LinearSoftmaxPolicy {
    const p = new LinearSoftmaxPolicy(this.task, { observed: this.observed });
    p.weights.set(this.weights);
    return p;
  }

  /** π(·|x_s) = softmax(W x_{s,1:o}) for step s of a problem. */
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

  /** Steps forced by a hint of h tokens: min(h, L). */
  forcedSteps(problem: Problem, hintLength: number): number {
    assertInteger("hintLength", hintLength, { min: 0 });
    return Math.min(hintLength, this.task.meta(problem).length);
  }

  /** Exact success probability a = Π_{s ≥ min(h, L)} π(c_s | x_s) with a hint of h tokens. */
  successProbability(problem: Problem, hintLength = 0): number {
    const m = this.task.meta(problem);
    let a = 1;
    for (let s = this.forcedSteps(problem, hintLength); s < m.length; s++) {
      a *= this.probsAt(m.features, s * this.d)[m.correct[s]];
    }
    return a;
  }

  /** Mean exact success probability over `problems` (no hint). */
  meanSuccess(problems: readonly Problem[]): number {
    let t = 0;
    for (const p of problems) t += this.successProbability(p);
    return t / problems.length;
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

  /** Sample options: the first min(h, L) steps take the correct option, the rest are drawn from π(·|x_s). */
  sample(problem: Problem, hintLength: number, rng: Rng): number[] {
    const m = this.task.meta(problem);
    const h = this.forcedSteps(problem, hintLength);
    return m.correct.map((c, s) => s < h ? c : rng.categorical(this.probsAt(m.features, s * this.d)));
  }

  /** Sample like `sample` and also return log π(a_s | x_s) per step (forced steps: of the forced option). */
  sampleWithLogProbs(
    problem: Problem,
    hintLength: number,
    rng: Rng,
  ): { actions: number[]; logProbs: number[] } {
    const m = this.task.meta(problem);
    const h = this.forcedSteps(problem, hintLength);
    const actions = new Array<number>(m.length);
    const logProbs = new Array<number>(m.length);
    for (let s = 0; s < m.length; s++) {
      const p = this.probsAt(m.features, s * this.d);
      actions[s] = s < h ? m.correct[s] : rng.categorical(p);
      logProbs[s] = Math.log(p[actions[s]]);
    }
    return { actions, logProbs };
  }

  /** log π(a_s | x_s) per step. */
  stepLogProbs(problem: Problem, actions: readonly number[]): number[] {
    const m = this.task.meta(problem);
    this.checkActions(m, actions);
    return actions.map((a, s) => Math.log(this.probsAt(m.features, s * this.d)[a]));
  }

  /** ∇_W Σ_{s ≥ h} log π(a_s | x_s) = Σ_{s ≥ h} (e_{a_s} − π_s) x_{s,1:o}ᵀ (K×o, row-major). */
  gradLogProb(problem: Problem, actions: readonly number[], hintLength = 0): Float64Array {
    const m = this.task.meta(problem);
    this.checkActions(m, actions);
    const g = new Float64Array(this.K * this.observed);
    for (let s = this.forcedSteps(problem, hintLength); s < m.length; s++) {
      this.accumulate(g, m, s, actions[s], 1);
    }
    return g;
  }

  /** KL(this ‖ other) of the generated part: Σ_{s ≥ h} KL(π(·|x_s) ‖ π_other(·|x_s)) (steps are independent). */
  klTo(other: LinearSoftmaxPolicy, problem: Problem, hintLength = 0): number {
    const m = this.task.meta(problem);
    let kl = 0;
    for (let s = this.forcedSteps(problem, hintLength); s < m.length; s++) {
      const p = this.probsAt(m.features, s * this.d);
      const q = other.probsAt(m.features, s * this.d);
      for (let k = 0; k < this.K; k++) if (p[k] > 0) kl += p[k] * Math.log(p[k] / q[k]);
    }
    return kl;
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
   * Policy-gradient step W += lr · (1/N) Σ_i A_i Σ_{s ≥ h_i} ∇ log π(a_s | x_s) (+ γ Σ_{s < h_i} ∇ log π(c_s | x_s)),
   * N = rollouts in the batch (a batch-mean loss, as in DAPO's token-mean: zero-advantage groups dilute the step).
   * Per-rollout hints from `group.hintLengths` when present; the gradient is taken at the current W.
   */
  update(
    groups: readonly PolicyGradientGroup[],
    advantages: readonly (readonly number[])[],
    lr: number,
    options: Partial<LinearUpdateOptions> = {},
  ): void {
    assertFiniteNumber("lr", lr);
    const { g, total } = this.batchGradient(groups, advantages, options);
    if (total === 0) return;
    const scale = lr / total;
    for (let i = 0; i < g.length; i++) this.weights[i] += scale * g[i];
  }

  /** The ascent direction of `update` without applying it: (1/N) Σ_i A_i Σ_{s ≥ h_i} ∇ log π(a_s | x_s) (+ imitation). */
  policyGradient(
    groups: readonly PolicyGradientGroup[],
    advantages: readonly (readonly number[])[],
    options: Partial<LinearUpdateOptions> = {},
  ): Float64Array {
    const { g, total } = this.batchGradient(groups, advantages, options);
    if (total > 0) { for (let i = 0; i < g.length; i++) g[i] /= total; }
    return g;
  }

  private batchGradient(
    groups: readonly PolicyGradientGroup[],
    advantages: readonly (readonly number[])[],
    options: Partial<LinearUpdateOptions>,
  ): { g: Float64Array; total: number } {
    const c = resolveConfig("LinearSoftmaxPolicy.update", { imitationWeight: 0 }, options);
    assertFiniteNumber("imitationWeight", c.imitationWeight, { min: 0 });
    if (advantages.length !== groups.length) {
      throw new ConfigError(
        "advantages",
        `must have one array per group (${groups.length})`,
        advantages.length,
      );
    }
    const g = new Float64Array(this.K * this.observed);
    const total = groups.reduce((t, grp) => t + grp.responses.length, 0);
    if (total === 0) return { g, total };
    groups.forEach((grp, gi) => {
      const adv = advantages[gi];
      if (adv.length !== grp.responses.length) {
        throw new ConfigError(`advantages[${gi}]`, `must have ${grp.responses.length} entries`, adv.length);
      }
      assertFiniteArray(`advantages[${gi}]`, adv);
      const m = this.task.meta(grp.problem);
      grp.responses.forEach((actions, i) => {
        const h = Math.min(grp.hintLengths?.[i] ?? grp.hintLength, m.length);
        if (adv[i] !== 0 || (h > 0 && c.imitationWeight > 0)) this.checkActions(m, actions);
        for (let s = 0; s < m.length; s++) {
          if (s >= h) {
            if (adv[i] !== 0) this.accumulate(g, m, s, actions[s], adv[i]);
          } else if (c.imitationWeight > 0) this.accumulate(g, m, s, m.correct[s], c.imitationWeight);
        }
      });
    });
    return { g, total };
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
 * GenerateFn for FeatureChain under a LinearSoftmaxPolicy: per request, `groupSize` sampled option sequences (hint
 * steps forced); responses = option indices, log-probs per step, reward = correct = 1 iff every step is right.
 */
export function featureChainGenerate(policy: LinearSoftmaxPolicy, rng: Rng): GenerateFn {
  return (requests: RolloutRequest[], groupSize: number): Promise<RolloutGroup[]> => {
    assertInteger("groupSize", groupSize, { min: 1 });
    return Promise.resolve(requests.map((req) => {
      const hintLength = req.hintLength ?? 0;
      const m = policy.task.meta(req.problem);
      const responses: number[][] = [];
      const logProbs: number[][] = [];
      const rewards: number[] = [];
      for (let i = 0; i < groupSize; i++) {
        const { actions: a, logProbs: lp } = policy.sampleWithLogProbs(req.problem, hintLength, rng);
        responses.push(a);
        logProbs.push(lp);
        rewards.push(a.every((o, s) => o === m.correct[s]) ? 1 : 0);
      }
      return { problem: req.problem, hintLength, responses, logProbs, rewards, correct: rewards.slice() };
    }));
  };
}

/** The FeatureChain + LinearSoftmaxPolicy fields shared by the reproductions that use this test bed. */
export interface FeatureChainSetup {
  /** Feature dimension d of FeatureChain. */
  dim: number;
  /** Options per step K. */
  options: number;
  /** Chain lengths are uniform on [minLength, maxLength]. */
  minLength: number;
  maxLength: number;
  /** Initial W = initSignal·M + N(0, initNoise²). */
  initSignal: number;
  initNoise: number;
  /** Training pool size. */
  trainProblems: number;
  /** Held-out pool size (same distribution). */
  heldoutProblems: number;
}

/** Validate the `FeatureChainSetup` fields of a reproduction config; errors name `<prefix>.<field>`. */
export function checkFeatureChainSetup(prefix: string, c: FeatureChainSetup): void {
  for (const k of ["dim", "options", "minLength", "trainProblems", "heldoutProblems"] as const) {
    assertInteger(`${prefix}.${k}`, c[k], { min: k === "options" ? 2 : 1 });
  }
  assertInteger(`${prefix}.maxLength`, c.maxLength, { min: c.minLength });
  assertFiniteNumber(`${prefix}.initSignal`, c.initSignal);
  assertFiniteNumber(`${prefix}.initNoise`, c.initNoise, { min: 0 });
}

/** One seed's test bed: the task (teacher and pools seeded by `taskSeed`), its train/held-out pools, the initial policy. */
export function buildFeatureChain(c: FeatureChainSetup, taskSeed: number): {
  task: FeatureChain;
  train: Problem[];
  heldout: Problem[];
  policy: LinearSoftmaxPolicy;
} {
  const task = new FeatureChain({
    dim: c.dim,
    options: c.options,
    minLength: c.minLength,
    maxLength: c.maxLength,
    seed: taskSeed,
  });
  const policy = new LinearSoftmaxPolicy(task, {
    initSignal: c.initSignal,
    initNoise: c.initNoise,
    seed: taskSeed,
  });
  return {
    task,
    train: task.pool("train", c.trainProblems),
    heldout: task.pool("heldout", c.heldoutProblems),
    policy,
  };
}
