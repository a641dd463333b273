/**
 * `LinearSoftmaxPolicy`: the shared linear-softmax policy on FeatureChain, π(k | x_s) = softmax(W x_{s,1:o})_k with
 * ONE matrix W ∈ ℝ^{K×o} for every problem (o = d features observed by default; o < d gives a capacity limit), as a
 * tfjs `SequencePolicy` so `RLVRTrainer` trains it with the library objective and optimiser.
 *
 * Token view: the response is L option letters then eos; step s's letter has log-prob log softmax(W x_s)[k], eos
 * after step L is certain (log-prob 0, entropy 0), so sequence log-probs are sums over the L steps. Exact extras for
 * EVALUATION (never training): the success probability with the first h steps forced, a = Π_{s ≥ min(h, L)}
 * π(c_s | x_s); exact pass@k = 1 − (1 − a)^k; per-step entropy; KL(π ‖ π') of the generated part.
 * `buildFeatureChain` sets up the shared pools + initial policy of the reproductions that use this test bed.
 */
import { Rng } from "../core/rng.ts";
import { tf } from "../core/tf.ts";
import type { Tensor2D, Variable } from "../core/tf.ts";
import { assertFiniteNumber, assertInteger, ConfigError, resolveConfig } from "../core/validate.ts";
import { FeatureChain, type FeatureChainMeta } from "../tasks/feature_chain.ts";
import type { Problem } from "../tasks/types.ts";
import type { SequencePolicy } from "../train/rollouts.ts";

/**
 * Initialisation of `LinearSoftmaxPolicy`: W = initSignal·M_{:, 1:o} + N(0, initNoise²) (a partially "pretrained"
 * policy), with o = `observed` features.
 */
export interface LinearSoftmaxConfig {
  /**
   * Features the policy sees: the first o of the d (null = all d). With o < d no W solves every problem (the NSR /
   * PSR reproduction's capacity limit); the teacher always uses all d.
   */
  observed: number | null;
  /** Multiple of the teacher M in the initial W. */
  initSignal: number;
  /** Std of the Gaussian noise added to the initial W (drawn in row-major order of W). */
  initNoise: number;
  /** Seed of the noise. */
  seed: number;
}

const DEFAULTS: LinearSoftmaxConfig = { observed: null, initSignal: 0, initNoise: 0, seed: 0 };

/** Options of `LinearSoftmaxPolicy.sample` (the `SequencePolicy` contract). */
export interface LinearSoftmaxSampleOptions {
  /** Cap on response tokens (L letters + eos are generated, truncated to this). */
  maxTokens: number;
  /** Seed of the host Rng: one categorical draw per unforced step, in row order. */
  seed: number;
  /** Softmax temperature (default 1). */
  temperature?: number;
  /** Ignored: eos always follows the L-th letter. */
  eos?: number;
  /** Forced response prefixes (hints), per row. */
  forced?: number[][];
}

/** Shared linear-softmax SequencePolicy over FeatureChain (see module doc). */
export class LinearSoftmaxPolicy implements SequencePolicy {
  /** The task. */
  readonly task: FeatureChain;
  /** Observed features o (the first o of the d). */
  readonly observed: number;
  /** W as a trainable [K, o] variable. */
  readonly W: Variable;
  /** Trainable weights: [W]. */
  readonly variables: Variable[];
  /** Context length: the task's longest prompt + solution. */
  readonly config: { contextLength: number };
  private readonly K: number;
  private readonly d: number;

  /** W from `options` (zeros by default). */
  constructor(task: FeatureChain, options: Partial<LinearSoftmaxConfig> = {}) {
    if (!(task instanceof FeatureChain)) throw new ConfigError("task", "must be a FeatureChain", task);
    const c = resolveConfig("LinearSoftmaxPolicy", DEFAULTS, options);
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
    const r = new Rng(c.seed);
    const w = new Float32Array(this.K * o);
    for (let k = 0; k < this.K; k++) {
      for (let j = 0; j < o; j++) {
        w[k * o + j] = c.initSignal * task.teacher[k * this.d + j] +
          (c.initNoise > 0 ? r.normal(0, c.initNoise) : 0);
      }
    }
    const init = tf.tensor2d(w, [this.K, o]);
    this.W = tf.variable(init, true);
    init.dispose();
    this.variables = [this.W];
    this.config = { contextLength: task.maxSequenceLength };
  }

  /** W on the host (K×o, row-major). */
  weights(): Float64Array {
    return Float64Array.from(this.W.dataSync());
  }

  /**
   * log π(token_t | prefix) and entropies [N, T−1]: letters of the L steps score log softmax(W x_s / temperature);
   * all else 0.
   */
  tokenLogProbs(
    tokens: Tensor2D,
    valid?: Tensor2D,
    temperature = 1,
  ): { logProbs: Tensor2D; entropy: Tensor2D } {
    assertFiniteNumber("temperature", temperature, { min: 0, exclusiveMin: true });
    const [N, T] = tokens.shape;
    if (T < 2) throw new ConfigError("tokens", "must have at least 2 time steps for tokenLogProbs", T);
    const ids = tokens.dataSync();
    const val = valid?.dataSync();
    const o = this.observed, K = this.K, M = N * (T - 1);
    const X = new Float32Array(M * o);
    const Y = new Float32Array(M * K);
    const on = new Float32Array(M);
    for (let i = 0; i < N; i++) {
      let p0 = 0;
      if (val) { while (p0 < T && val[i * T + p0] === 0) p0++; }
      else while (p0 < T && ids[i * T + p0] === this.task.vocab.pad) p0++;
      if (p0 >= T) continue;
      const row = ids.subarray(i * T + p0, (i + 1) * T);
      const problem = this.task.problemOfPrompt(row);
      const m = this.task.meta(problem);
      const start = p0 + problem.prompt.length; // position of response token 0
      for (let s = 0; s < m.length && start + s < T; s++) {
        const k = this.task.optionOf(ids[i * T + start + s]);
        if (k < 0) break;
        const t = i * (T - 1) + start + s - 1;
        for (let j = 0; j < o; j++) X[t * o + j] = m.features[s * this.d + j];
        Y[t * K + k] = 1;
        on[t] = 1;
      }
    }
    return tf.tidy(() => {
      const logits = tf.matMul(tf.tensor2d(X, [M, o]), this.W, false, true);
      const logp = tf.logSoftmax(temperature === 1 ? logits : tf.div(logits, temperature));
      const logProbs = tf.reshape(tf.sum(tf.mul(logp, tf.tensor2d(Y, [M, K])), 1), [N, T - 1]) as Tensor2D;
      const ent = tf.neg(tf.sum(tf.mul(tf.exp(logp), logp), 1));
      const entropy = tf.reshape(tf.mul(ent, tf.tensor1d(on)), [N, T - 1]) as Tensor2D;
      return { logProbs, entropy };
    });
  }

  /** π(·|x_s) at temperature τ for step s of a problem, from host weights `w` (default: the current W). */
  probs(problem: Problem, step: number, w: Float64Array = this.weights(), temperature = 1): Float64Array {
    const m = this.task.meta(problem);
    assertInteger("step", step, { min: 0, max: m.length - 1 });
    return this.probsAt(w, m.features, step * this.d, temperature);
  }

  /** softmax(W x_{1:o} / τ) for host weights `w` and features x from `off`. */
  private probsAt(w: ArrayLike<number>, x: Float64Array, off: number, temperature = 1): Float64Array {
    const K = this.K, o = this.observed;
    const p = new Float64Array(K);
    let max = -Infinity;
    for (let k = 0; k < K; k++) {
      let v = 0;
      for (let j = 0; j < o; j++) v += w[k * o + j] * x[off + j];
      p[k] = v / temperature;
      if (p[k] > max) max = p[k];
    }
    let z = 0;
    for (let k = 0; k < K; k++) z += p[k] = Math.exp(p[k] - max);
    for (let k = 0; k < K; k++) p[k] /= z;
    return p;
  }

  /** Sample L letters + eos per prompt (forced prefix first); log-probs per response token (eos: 0). */
  sample(
    prompts: number[][],
    opts: LinearSoftmaxSampleOptions,
  ): Promise<{ responses: number[][]; logProbs: number[][] }> {
    const o = resolveConfig("sample", {
      maxTokens: NaN,
      seed: NaN,
      temperature: 1,
      eos: undefined as number | undefined,
      forced: undefined as number[][] | undefined,
    }, opts);
    assertInteger("seed", o.seed);
    assertFiniteNumber("temperature", o.temperature, { min: 0, exclusiveMin: true });
    return Promise.resolve(this.decode(prompts, o.maxTokens, o.forced, new Rng(o.seed), o.temperature));
  }

  /** Greedy responses: argmax_k π(k | x_s) per step, then eos. */
  greedy(prompts: number[][], opts: { maxTokens: number; eos?: number }): Promise<number[][]> {
    return Promise.resolve(this.decode(prompts, opts.maxTokens, undefined, null, 1).responses);
  }

  /** L letters (forced, sampled with `rng`, or argmax when rng is null) then eos, truncated to maxTokens. */
  private decode(
    prompts: number[][],
    maxTokens: number,
    forced: number[][] | undefined,
    rng: Rng | null,
    temperature: number,
  ): { responses: number[][]; logProbs: number[][] } {
    assertInteger("maxTokens", maxTokens, { min: 0 });
    if (forced !== undefined && forced.length !== prompts.length) {
      throw new ConfigError("forced", `must have one row per prompt (${prompts.length})`, forced.length);
    }
    const w = this.weights();
    const responses: number[][] = [], logProbs: number[][] = [];
    prompts.forEach((prompt, i) => {
      const m = this.task.meta(this.task.problemOfPrompt(prompt));
      const f = forced?.[i] ?? [];
      const y: number[] = [], lp: number[] = [];
      for (let s = 0; s < m.length && y.length < maxTokens; s++) {
        const p = this.probsAt(w, m.features, s * this.d, temperature);
        let k: number;
        if (s < f.length) {
          k = this.task.optionOf(f[s]);
          if (k < 0) throw new ConfigError(`forced[${i}][${s}]`, "must be an option letter", f[s]);
        } else if (rng) k = rng.categorical(p);
        else k = p.indexOf(Math.max(...p));
        y.push(this.task.optionBase + k);
        lp.push(Math.log(this.probsAt(w, m.features, s * this.d)[k]));
      }
      if (y.length < maxTokens) {
        y.push(this.task.vocab.eos);
        lp.push(0);
      }
      responses.push(y);
      logProbs.push(lp);
    });
    return { responses, logProbs };
  }

  /** Steps forced by a hint of h tokens: min(h, L). */
  forcedSteps(problem: Problem, hintLength: number): number {
    assertInteger("hintLength", hintLength, { min: 0 });
    return Math.min(hintLength, this.task.meta(problem).length);
  }

  /** Exact success probability a = Π_{s ≥ min(h, L)} π(c_s | x_s) with a hint of h tokens (evaluation only). */
  successProbability(problem: Problem, hintLength = 0, w: Float64Array = this.weights()): number {
    const m = this.task.meta(problem);
    let a = 1;
    for (let s = this.forcedSteps(problem, hintLength); s < m.length; s++) {
      a *= this.probsAt(w, m.features, s * this.d)[m.correct[s]];
    }
    return a;
  }

  /** Exact pass@k = 1 − (1 − a)^k of k independent unhinted samples (evaluation only). */
  passAtK(problem: Problem, k: number, w: Float64Array = this.weights()): number {
    assertInteger("k", k, { min: 1 });
    return 1 - (1 - this.successProbability(problem, 0, w)) ** k;
  }

  /** Mean exact unhinted success probability over `problems` (the exact held-out accuracy). */
  meanSuccess(problems: readonly Problem[]): number {
    const w = this.weights();
    let t = 0;
    for (const p of problems) t += this.successProbability(p, 0, w);
    return t / problems.length;
  }

  /** Mean per-step entropy −Σ_k π_k log π_k over the steps of `problems` (nats). */
  meanEntropy(problems: readonly Problem[]): number {
    const w = this.weights();
    let h = 0, n = 0;
    for (const q of problems) {
      const m = this.task.meta(q);
      for (let s = 0; s < m.length; s++) {
        for (const p of this.probsAt(w, m.features, s * this.d)) if (p > 0) h -= p * Math.log(p);
        n++;
      }
    }
    return h / n;
  }

  /** Exact KL(this ‖ other) of the generated part: Σ_{s ≥ min(h, L)} KL(π(·|x_s) ‖ π_other(·|x_s)). */
  klTo(other: LinearSoftmaxPolicy, problem: Problem, hintLength = 0): number {
    if (other.task !== this.task || other.observed !== this.observed) {
      throw new ConfigError("other", "must be a LinearSoftmaxPolicy of the same task and observed features");
    }
    const m: FeatureChainMeta = this.task.meta(problem);
    const w = this.weights(), v = other.weights();
    let kl = 0;
    for (let s = this.forcedSteps(problem, hintLength); s < m.length; s++) {
      const p = this.probsAt(w, m.features, s * this.d);
      const q = this.probsAt(v, m.features, s * this.d);
      for (let k = 0; k < this.K; k++) if (p[k] > 0) kl += p[k] * Math.log(p[k] / q[k]);
    }
    return kl;
  }

  /** JSON-serializable weights: { observed, W (row-major) }. */
  getWeights(): Promise<{ observed: number; W: number[] }> {
    return Promise.resolve({ observed: this.observed, W: Array.from(this.W.dataSync()) });
  }

  /** Restore `getWeights()` output. */
  setWeights(weights: unknown): void {
    const s = weights as { observed?: number; W?: number[] };
    if (!s || s.observed !== this.observed || !Array.isArray(s.W) || s.W.length !== this.K * this.observed) {
      throw new ConfigError(
        "weights",
        `must be { observed: ${this.observed}, W: ${this.K * this.observed} numbers }`,
      );
    }
    const t = tf.tensor2d(s.W, [this.K, this.observed]);
    this.W.assign(t);
    t.dispose();
  }

  /** An independent copy with the same weights. */
  clone(): Promise<LinearSoftmaxPolicy> {
    return Promise.resolve(this.cloneSync());
  }

  /** `clone` without the Promise. */
  cloneSync(): LinearSoftmaxPolicy {
    const p = new LinearSoftmaxPolicy(this.task, { observed: this.observed });
    p.W.assign(this.W);
    return p;
  }

  /** Free W. */
  dispose(): void {
    this.W.dispose();
  }
}

/** The FeatureChain + LinearSoftmaxPolicy fields shared by the reproductions that use this test bed. */
export interface FeatureChainSetup {
  /** Feature dimension d of FeatureChain. */
  dim: number;
  /** Options per step K. */
  options: number;
  /** Smallest chain length L. */
  minLength: number;
  /** Largest chain length L (lengths are uniform on [minLength, maxLength]). */
  maxLength: number;
  /** Initial W = initSignal·M + N(0, initNoise²): the multiple of the teacher M. */
  initSignal: number;
  /** Initial W: the std of the Gaussian noise. */
  initNoise: number;
  /** Training pool size (pool "train"). */
  trainProblems: number;
  /** Held-out pool size (pool "heldout", same distribution). */
  heldoutProblems: number;
}

/** Validate the `FeatureChainSetup` fields of a config; errors name `<prefix>.<field>`. */
export function checkFeatureChainSetup(prefix: string, c: FeatureChainSetup): void {
  for (const k of ["dim", "options", "minLength", "trainProblems", "heldoutProblems"] as const) {
    assertInteger(`${prefix}.${k}`, c[k], { min: k === "options" ? 2 : 1 });
  }
  assertInteger(`${prefix}.maxLength`, c.maxLength, { min: c.minLength });
  assertFiniteNumber(`${prefix}.initSignal`, c.initSignal);
  assertFiniteNumber(`${prefix}.initNoise`, c.initNoise, { min: 0 });
}

/**
 * One seed's test bed: the task (teacher and pools seeded by `taskSeed`), its held-out pool, the sample options
 * that draw training problems from the "train" pool, and the initial policy (noise seeded by `taskSeed`).
 */
export function buildFeatureChain(c: FeatureChainSetup, taskSeed: number): {
  task: FeatureChain;
  heldout: Problem[];
  trainOptions: { pool: string; size: number; start: number };
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
    heldout: task.pool("heldout", c.heldoutProblems),
    trainOptions: { pool: "train", size: c.trainProblems, start: 0 },
    policy,
  };
}
