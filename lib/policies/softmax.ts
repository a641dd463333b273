/**
 * SoftmaxPolicy — the exact tabular policy for SimChain: one logit vector over the K options per
 * (problem, step), π_s = softmax(θ_s). Everything is closed form: the success probability with the first h
 * steps forced is a = Π_{s ≥ h} π_s(c_s); ∇_θs log π_s(a) = onehot(a) − π_s; ∇_θs a = a·(onehot(c_s) − π_s) for
 * unforced s. Plain Float64Array math, no tfjs. `simChainGenerate` turns a policy into the trainer's
 * `GenerateFn`, so curricula run on SimChain without a transformer.
 */
import type { GenerateFn, RolloutGroup, RolloutRequest } from "../curricula/types.ts";
import { Rng } from "../core/rng.ts";
import {
  assertFiniteArray,
  assertFiniteNumber,
  assertInteger,
  ConfigError,
  resolveConfig,
} from "../core/validate.ts";
import type { SimChain } from "../tasks/chain.ts";
import type { Problem } from "../tasks/types.ts";

/** Initialisation of the logits: θ ~ N(0, initScale²), plus `initCorrectBias` on each correct option. */
export interface SoftmaxPolicyConfig {
  /** Std of the Gaussian initial logits (0 = uniform policy). */
  initScale: number;
  /** Added to the correct option's logit at init (a "pretrained" policy; 0 = none). */
  initCorrectBias: number;
  /** Seed of the initial logits. */
  seed: number;
}

/** Options of `SoftmaxPolicy.update`. */
export interface SoftmaxUpdateOptions {
  /** Imitation weight γ on hint (forced) steps: adds γ·∇ log π(correct) there (SEELE, arXiv 2509.06923). */
  imitationWeight: number;
  /** "group": average the per-rollout terms within each group (default); "batch": over all rollouts. */
  normalize: "group" | "batch";
}

/** JSON-serializable SoftmaxPolicy state. */
export interface SoftmaxPolicyState {
  problems: number;
  steps: number;
  options: number;
  logits: number[];
}

const POLICY_DEFAULTS: SoftmaxPolicyConfig = { initScale: 0, initCorrectBias: 0, seed: 0 };
const UPDATE_DEFAULTS: SoftmaxUpdateOptions = { imitationWeight: 0, normalize: "group" };

/** Tabular softmax policy over SimChain options with exact probabilities and REINFORCE updates. */
export class SoftmaxPolicy {
  /** The task whose pool this policy covers. */
  readonly task: SimChain;
  /** Logits, laid out [problem][step][option] (length P·L·K). */
  readonly logits: Float64Array;
  private readonly L: number;
  private readonly K: number;

  /** Logits for every problem of `task`'s pool, initialised per `options`. */
  constructor(task: SimChain, options: Partial<SoftmaxPolicyConfig> = {}) {
    const c = resolveConfig("SoftmaxPolicy", POLICY_DEFAULTS, options);
    assertFiniteNumber("SoftmaxPolicy.initScale", c.initScale, { min: 0 });
    assertFiniteNumber("SoftmaxPolicy.initCorrectBias", c.initCorrectBias);
    assertInteger("SoftmaxPolicy.seed", c.seed);
    this.task = task;
    this.L = task.length;
    this.K = task.options;
    this.logits = new Float64Array(task.numProblems * this.L * this.K);
    const rng = new Rng(c.seed);
    if (c.initScale > 0) {
      for (let i = 0; i < this.logits.length; i++) this.logits[i] = rng.normal(0, c.initScale);
    }
    if (c.initCorrectBias !== 0) {
      for (const p of task.problems()) {
        const m = task.meta(p);
        for (let s = 0; s < this.L; s++) {
          this.logits[this.offset(m.index, s) + m.correct[s]] += c.initCorrectBias;
        }
      }
    }
  }

  /** Restore a policy from `state` (shape must match the task). */
  static fromState(task: SimChain, state: SoftmaxPolicyState): SoftmaxPolicy {
    const p = new SoftmaxPolicy(task);
    p.loadState(state);
    return p;
  }

  /** Snapshot of the logits (JSON-serializable). */
  get state(): SoftmaxPolicyState {
    return {
      problems: this.task.numProblems,
      steps: this.L,
      options: this.K,
      logits: Array.from(this.logits),
    };
  }

  /** Overwrite the logits from a snapshot. */
  loadState(state: SoftmaxPolicyState): void {
    if (
      !state || state.problems !== this.task.numProblems || state.steps !== this.L || state.options !== this.K
    ) {
      throw new ConfigError(
        "state",
        `must have problems=${this.task.numProblems}, steps=${this.L}, options=${this.K}`,
        state && { problems: state.problems, steps: state.steps, options: state.options },
      );
    }
    assertFiniteArray("state.logits", state.logits);
    if (state.logits.length !== this.logits.length) {
      throw new ConfigError("state.logits", `must have length ${this.logits.length}`, state.logits.length);
    }
    this.logits.set(state.logits);
  }

  private offset(index: number, step: number): number {
    return (index * this.L + step) * this.K;
  }

  private indexOf(problem: Problem): number {
    return this.task.meta(problem).index;
  }

  /** π_s = softmax(θ_s) for one step of a problem. */
  probs(problem: Problem, step: number): Float64Array {
    assertInteger("step", step, { min: 0, max: this.L - 1 });
    return this.probsAt(this.indexOf(problem), step);
  }

  private probsAt(index: number, step: number): Float64Array {
    const o = this.offset(index, step);
    let max = -Infinity;
    for (let k = 0; k < this.K; k++) max = Math.max(max, this.logits[o + k]);
    const p = new Float64Array(this.K);
    let z = 0;
    for (let k = 0; k < this.K; k++) {
      p[k] = Math.exp(this.logits[o + k] - max);
      z += p[k];
    }
    for (let k = 0; k < this.K; k++) p[k] /= z;
    return p;
  }

  /** Exact success probability a = Π_{s ≥ min(h, L)} π_s(c_s) with a hint of h tokens. */
  successProbability(problem: Problem, hintLength = 0): number {
    const m = this.task.meta(problem);
    let a = 1;
    for (let s = this.task.forcedSteps(hintLength); s < this.L; s++) {
      a *= this.probsAt(m.index, s)[m.correct[s]];
    }
    return a;
  }

  /** Per-step probability of the correct option, π_s(c_s), for s = 0…L−1. */
  stepSuccessProbabilities(problem: Problem): number[] {
    const m = this.task.meta(problem);
    return m.correct.map((c, s) => this.probsAt(m.index, s)[c]);
  }

  /** Sample an option sequence: forced steps take the correct option, the rest are drawn from π_s. */
  sample(problem: Problem, hintLength: number, rng: Rng): number[] {
    const m = this.task.meta(problem);
    const h = this.task.forcedSteps(hintLength);
    const out = new Array<number>(this.L);
    for (let s = 0; s < this.L; s++) {
      out[s] = s < h ? m.correct[s] : rng.categorical(this.probsAt(m.index, s));
    }
    return out;
  }

  /** log π_s(a_s) per step (forced steps included: the log-prob of the forced option). */
  stepLogProbs(problem: Problem, actions: readonly number[]): number[] {
    const idx = this.indexOf(problem);
    this.checkActions(actions);
    return actions.map((a, s) => Math.log(this.probsAt(idx, s)[a]));
  }

  /** Σ over unforced steps of log π_s(a_s): the log-probability of the generated part. */
  logProb(problem: Problem, actions: readonly number[], hintLength = 0): number {
    const lp = this.stepLogProbs(problem, actions);
    let t = 0;
    for (let s = this.task.forcedSteps(hintLength); s < this.L; s++) t += lp[s];
    return t;
  }

  /** ∇_θ log π(a) over this problem's L·K logits, unforced steps only: onehot(a_s) − π_s. */
  gradLogProb(problem: Problem, actions: readonly number[], hintLength = 0): Float64Array {
    const idx = this.indexOf(problem);
    this.checkActions(actions);
    const g = new Float64Array(this.L * this.K);
    for (let s = this.task.forcedSteps(hintLength); s < this.L; s++) {
      const p = this.probsAt(idx, s);
      for (let k = 0; k < this.K; k++) g[s * this.K + k] = (k === actions[s] ? 1 : 0) - p[k];
    }
    return g;
  }

  /** ∇_θ a over this problem's L·K logits: a·(onehot(c_s) − π_s) on unforced steps, 0 on forced ones. */
  successGradient(problem: Problem, hintLength = 0): Float64Array {
    const m = this.task.meta(problem);
    const a = this.successProbability(problem, hintLength);
    const g = new Float64Array(this.L * this.K);
    for (let s = this.task.forcedSteps(hintLength); s < this.L; s++) {
      const p = this.probsAt(m.index, s);
      for (let k = 0; k < this.K; k++) g[s * this.K + k] = a * ((k === m.correct[s] ? 1 : 0) - p[k]);
    }
    return g;
  }

  /** This problem's logits as a copy, [step][option] flattened (length L·K). */
  problemLogits(problem: Problem): Float64Array {
    const o = this.offset(this.indexOf(problem), 0);
    return this.logits.slice(o, o + this.L * this.K);
  }

  /** Gradient ascent θ += lr·g on one problem's L·K logits (g e.g. from `successGradient`). */
  addToProblemLogits(problem: Problem, g: ArrayLike<number>, lr = 1): void {
    if (g.length !== this.L * this.K) {
      throw new ConfigError("g", `must have length ${this.L * this.K}`, g.length);
    }
    assertFiniteNumber("lr", lr);
    const o = this.offset(this.indexOf(problem), 0);
    for (let i = 0; i < g.length; i++) this.logits[o + i] += lr * g[i];
  }

  /**
   * REINFORCE step θ += lr · mean_i A_i ∇ log π(generated part of rollout i) (+ γ ∇ log π(hint steps)): the
   * policy-gradient update on unforced steps only; per-rollout hints from `group.hintLengths` when present.
   */
  update(
    groups: readonly RolloutGroup[],
    advantages: readonly (readonly number[])[],
    lr: number,
    options: Partial<SoftmaxUpdateOptions> = {},
  ): void {
    const c = resolveConfig("SoftmaxPolicy.update", UPDATE_DEFAULTS, options);
    assertFiniteNumber("lr", lr);
    assertFiniteNumber("imitationWeight", c.imitationWeight, { min: 0 });
    if (c.normalize !== "group" && c.normalize !== "batch") {
      throw new ConfigError("normalize", 'must be "group" or "batch"', c.normalize);
    }
    if (advantages.length !== groups.length) {
      throw new ConfigError(
        "advantages",
        `must have one array per group (${groups.length})`,
        advantages.length,
      );
    }
    const total = groups.reduce((t, g) => t + g.responses.length, 0);
    // Accumulate the full step first, then apply (the gradient is taken at the current θ).
    const delta = new Map<number, Float64Array>();
    groups.forEach((g, gi) => {
      const adv = advantages[gi];
      if (adv.length !== g.responses.length) {
        throw new ConfigError(
          `advantages[${gi}]`,
          `must have one entry per rollout (${g.responses.length})`,
          adv.length,
        );
      }
      assertFiniteArray(`advantages[${gi}]`, adv);
      const m = this.task.meta(g.problem);
      const scale = lr / (c.normalize === "group" ? g.responses.length : total);
      let d = delta.get(m.index);
      if (!d) delta.set(m.index, d = new Float64Array(this.L * this.K));
      g.responses.forEach((resp, i) => {
        const h = this.task.forcedSteps(g.hintLengths?.[i] ?? g.hintLength);
        const actions = this.task.decodeActions(resp);
        for (let s = 0; s < this.L; s++) {
          const p = this.probsAt(m.index, s);
          let w: number, a: number;
          if (s >= h) {
            a = actions[s];
            if (a === undefined || a < 0) continue; // missing/invalid option token: no gradient on this step
            w = scale * adv[i];
          } else {
            a = m.correct[s];
            w = scale * c.imitationWeight;
          }
          if (w === 0) continue;
          for (let k = 0; k < this.K; k++) d![s * this.K + k] += w * ((k === a ? 1 : 0) - p[k]);
        }
      });
    });
    for (const [index, d] of delta) {
      const o = this.offset(index, 0);
      for (let i = 0; i < d.length; i++) this.logits[o + i] += d[i];
    }
  }

  private checkActions(actions: readonly number[]): void {
    if (actions.length !== this.L) {
      throw new ConfigError("actions", `must have length L = ${this.L}`, actions.length);
    }
    for (let s = 0; s < this.L; s++) assertInteger(`actions[${s}]`, actions[s], { min: 0, max: this.K - 1 });
  }
}

/**
 * GenerateFn for SimChain under a SoftmaxPolicy: per request, `groupSize` sampled option sequences (hint steps
 * forced), responses = option tokens + eos, per-token log-probs (eos: 0), reward = correct = verifier output.
 */
export function simChainGenerate(policy: SoftmaxPolicy, rng: Rng): GenerateFn {
  const task = policy.task;
  return (requests: RolloutRequest[], groupSize: number): Promise<RolloutGroup[]> => {
    assertInteger("groupSize", groupSize, { min: 1 });
    const groups = requests.map((req) => {
      const hintLength = req.hintLength ?? 0;
      assertInteger("hintLength", hintLength, { min: 0 });
      const responses: number[][] = [];
      const logProbs: number[][] = [];
      const rewards: number[] = [];
      for (let i = 0; i < groupSize; i++) {
        const actions = policy.sample(req.problem, hintLength, rng);
        responses.push(task.encodeActions(actions));
        logProbs.push([...policy.stepLogProbs(req.problem, actions), 0]);
        rewards.push(task.verifyActions(req.problem, actions));
      }
      return { problem: req.problem, hintLength, responses, logProbs, rewards, correct: rewards.slice() };
    });
    return Promise.resolve(groups);
  };
}
