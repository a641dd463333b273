/**
 * TabularSoftmaxPolicy — a table of logits θ[state, slot] over a task's finite state space (`TabularStates`):
 * π(a|s) = softmax(θ_s) over the state's action slots. It is a tfjs `SequencePolicy`, so `RLVRTrainer` trains it
 * with the library objective and optimiser like any model; positions that are no policy choice (prompt tokens, a
 * forced eos) get log-prob 0. Exact extras for evaluation: `probabilityTable()` (π per state, Float64) and
 * `logitTable()`. Row lookups are gathers whose gradient is a host scatter-add (the wasm backend has no
 * gather gradient; a one-hot matmul would be [positions × states]).
 */
import { tf } from "../core/tf.ts";
import type { Tensor, Tensor2D, Tensor3D, Variable } from "../core/tf.ts";
import { Rng } from "../core/rng.ts";
import { assertFiniteArray, assertFiniteNumber, assertInteger, ConfigError } from "../core/validate.ts";
import type { TabularDecision, TabularStates } from "../tasks/tabular.ts";
import type { SequencePolicy } from "../train/rollouts.ts";

/** Options of `TabularSoftmaxPolicy`. */
export interface TabularPolicyOptions {
  /** Longest prompt + response (the task's `maxSequenceLength`). */
  contextLength: number;
  /** End-of-sequence token, emitted when no decision is left. */
  eos: number;
  /** Initial logits [numStates × maxActions] (default 0: the uniform policy). */
  logits?: ArrayLike<number>;
}

/** JSON weights of a `TabularSoftmaxPolicy`. */
export interface TabularWeights {
  /** [numStates, maxActions]. */
  shape: [number, number];
  /** θ, row-major. */
  data: number[];
}

let instances = 0;

/** Tabular softmax policy over a finite state space (see module doc). */
export class TabularSoftmaxPolicy implements SequencePolicy {
  /** [θ], shape [numStates, maxActions]. */
  readonly variables: Variable[];
  /** `contextLength` bounds prompt + response. */
  readonly config: { contextLength: number };
  /** The task's state space. */
  readonly states: TabularStates;
  /** End-of-sequence token. */
  readonly eos: number;
  private readonly S: number;
  private readonly A: number;
  /** 0 on used slots, −1e9 on unused ones ([S × A]). */
  private readonly slotBias: Float32Array;

  /** A table over `states`, initialised from `options.logits` (default 0). */
  constructor(states: TabularStates, options: TabularPolicyOptions) {
    assertInteger("TabularSoftmaxPolicy.contextLength", options?.contextLength, { min: 2 });
    assertInteger("TabularSoftmaxPolicy.eos", options.eos, { min: 0 });
    this.states = states;
    this.eos = options.eos;
    this.config = { contextLength: options.contextLength };
    this.S = states.numStates;
    this.A = states.maxActions;
    this.slotBias = new Float32Array(this.S * this.A);
    for (let s = 0; s < this.S; s++) {
      for (let k = states.actionCount(s); k < this.A; k++) this.slotBias[s * this.A + k] = -1e9;
    }
    const init = new Float32Array(this.S * this.A);
    if (options.logits !== undefined) {
      if (options.logits.length !== init.length) {
        throw new ConfigError(
          "TabularSoftmaxPolicy.logits",
          `must have numStates × maxActions = ${init.length} entries`,
          options.logits.length,
        );
      }
      assertFiniteArray("TabularSoftmaxPolicy.logits", options.logits);
      init.set(options.logits);
    }
    const t = tf.tensor2d(init, [this.S, this.A]);
    this.variables = [tf.variable(t, true, `tabular_${instances++}`)];
    t.dispose();
  }

  /** θ, the one variable. */
  private get theta(): Variable {
    return this.variables[0];
  }

  /** Logits θ as a Float64Array [numStates × maxActions] (unused slots hold their value, never sampled). */
  logitTable(): Float64Array {
    return Float64Array.from(this.theta.dataSync());
  }

  /** π(slot | state) = softmax over the state's used slots, Float64 [numStates × maxActions] (unused slots 0). */
  probabilityTable(temperature = 1): Float64Array {
    const th = this.theta.dataSync();
    const out = new Float64Array(this.S * this.A);
    for (let s = 0; s < this.S; s++) softmaxRow(th, s * this.A, this.states.actionCount(s), temperature, out);
    return out;
  }

  /** Per packed row and target position: the decision (or null) and the taken slot. */
  private decisions(
    tokens: Tensor2D,
    valid?: Tensor2D,
  ): { rows: number; cols: number; dec: (TabularDecision | null)[]; slot: Int32Array } {
    const [B, T] = tokens.shape;
    const tok = tokens.dataSync();
    const val = valid ? valid.dataSync() : null;
    const dec: (TabularDecision | null)[] = new Array(B * (T - 1)).fill(null);
    const slot = new Int32Array(B * (T - 1));
    for (let b = 0; b < B; b++) {
      let start = 0;
      if (val) { while (start < T && val[b * T + start] === 0) start++; }
      const seq = Array.from(tok.subarray(b * T + start, (b + 1) * T));
      for (let t = 1; t < seq.length; t++) {
        const d = this.states.decision(seq, t);
        if (!d) continue;
        const k = d.actions.indexOf(seq[t]);
        if (k < 0) throw new ConfigError("tokens", `token ${seq[t]} is no action of state ${d.state}`, seq);
        const i = b * (T - 1) + start + t - 1;
        dec[i] = d;
        slot[i] = k;
      }
    }
    return { rows: B, cols: T - 1, dec, slot };
  }

  /** Log-softmax rows of θ (+ unused-slot bias) at each target position's state; non-decisions read row 0. */
  private rowLogSoftmax(dec: (TabularDecision | null)[], temperature = 1): Tensor2D {
    const N = dec.length;
    const idx = new Int32Array(N);
    const bias = new Float32Array(N * this.A);
    dec.forEach((d, i) => {
      idx[i] = d ? d.state : 0;
      bias.set(this.slotBias.subarray(idx[i] * this.A, (idx[i] + 1) * this.A), i * this.A);
    });
    const rows = gatherRows(this.theta, idx);
    const logits = tf.add(rows, tf.tensor2d(bias, [N, this.A]));
    return tf.logSoftmax(temperature === 1 ? logits : tf.div(logits, temperature)) as Tensor2D;
  }

  /**
   * log π(token) and entropy per target position [B, T−1] under softmax(θ/temperature); 0 where the token is no
   * policy decision.
   */
  tokenLogProbs(
    tokens: Tensor2D,
    valid?: Tensor2D,
    temperature = 1,
  ): { logProbs: Tensor2D; entropy: Tensor2D } {
    assertFiniteNumber("temperature", temperature, { min: 0, exclusiveMin: true });
    return tf.tidy(() => {
      const { rows, cols, dec, slot } = this.decisions(tokens, valid);
      const isDec = tf.tensor1d(dec.map((d) => (d ? 1 : 0)));
      const logp = this.rowLogSoftmax(dec, temperature);
      const onehot = tf.oneHot(tf.tensor1d(slot, "int32"), this.A);
      const lp = tf.mul(tf.sum(tf.mul(logp, onehot), 1), isDec);
      const ent = tf.mul(tf.neg(tf.sum(tf.mul(tf.exp(logp), logp), 1)), isDec);
      return {
        logProbs: tf.reshape(lp, [rows, cols]) as Tensor2D,
        entropy: tf.reshape(ent, [rows, cols]) as Tensor2D,
      };
    });
  }

  /**
   * Logits over each target position's action slots [B, T−1, maxActions] and `validActions` (1 on the state's
   * used slots, all 0 where the token is no decision): what ROVER's mean log-policy m(s) reads.
   */
  tokenLogits(tokens: Tensor2D, valid?: Tensor2D): { logits: Tensor3D; validActions: Tensor3D } {
    return tf.tidy(() => {
      const { rows, cols, dec } = this.decisions(tokens, valid);
      const N = dec.length;
      const idx = new Int32Array(N);
      const mask = new Float32Array(N * this.A);
      dec.forEach((d, i) => {
        if (!d) return;
        idx[i] = d.state;
        for (let k = 0; k < d.actions.length; k++) mask[i * this.A + k] = 1;
      });
      const m = tf.tensor2d(mask, [N, this.A]);
      const logits = tf.mul(gatherRows(this.theta, idx), m);
      return {
        logits: tf.reshape(logits, [rows, cols, this.A]) as Tensor3D,
        validActions: tf.reshape(m, [rows, cols, this.A]) as Tensor3D,
      };
    });
  }

  /** Sample responses: forced tokens first, then π(·|s)^(1/temperature) until no decision is left (then eos). */
  sample(
    prompts: number[][],
    opts: { maxTokens: number; seed: number; temperature?: number; eos?: number; forced?: number[][] },
  ): Promise<{ responses: number[][]; logProbs: number[][] }> {
    return Promise.resolve(
      this.rollout(prompts, opts.maxTokens, opts.forced, new Rng(opts.seed), opts.temperature ?? 1),
    );
  }

  /** Greedy responses: the highest-logit action at every decision. */
  greedy(prompts: number[][], opts: { maxTokens: number; eos?: number }): Promise<number[][]> {
    return Promise.resolve(this.rollout(prompts, opts.maxTokens, undefined, null, 1).responses);
  }

  /** Sample (rng) or greedy (rng null) responses with forced prefixes; per-token log-probs (0 off decisions). */
  private rollout(
    prompts: number[][],
    maxTokens: number,
    forced: number[][] | undefined,
    rng: Rng | null,
    temperature: number,
  ): { responses: number[][]; logProbs: number[][] } {
    assertInteger("maxTokens", maxTokens, { min: 0 });
    const th = this.theta.dataSync();
    const p = new Float64Array(this.A);
    const responses: number[][] = [];
    const logProbs: number[][] = [];
    prompts.forEach((prompt, r) => {
      const seq = prompt.slice();
      const y: number[] = [];
      const lps: number[] = [];
      const f = forced?.[r] ?? [];
      while (y.length < maxTokens) {
        const d = this.states.decision(seq, seq.length);
        let token: number;
        let lp = 0;
        if (!d) token = y.length < f.length ? f[y.length] : this.eos;
        else {
          const n = d.actions.length;
          softmaxRow(th, d.state * this.A, n, temperature, p, 0);
          let k: number;
          if (y.length < f.length) {
            k = d.actions.indexOf(f[y.length]);
            if (k < 0) {
              throw new ConfigError("forced", `token ${f[y.length]} is no action of state ${d.state}`, f);
            }
          } else if (rng) k = rng.categorical(p.subarray(0, n));
          else {
            k = 0;
            for (let j = 1; j < n; j++) if (th[d.state * this.A + j] > th[d.state * this.A + k]) k = j;
          }
          token = d.actions[k];
          lp = Math.log(p[k]);
        }
        y.push(token);
        lps.push(lp);
        seq.push(token);
        if (token === this.eos) break;
      }
      responses.push(y);
      logProbs.push(lps);
    });
    return { responses, logProbs };
  }

  /** θ as JSON. */
  getWeights(): Promise<TabularWeights> {
    return Promise.resolve({ shape: [this.S, this.A], data: Array.from(this.theta.dataSync()) });
  }

  /** Restore `getWeights()` output. */
  setWeights(weights: unknown): void {
    const w = weights as TabularWeights;
    if (!w || !Array.isArray(w.data) || w.data.length !== this.S * this.A) {
      throw new ConfigError("weights", `must be {shape, data} with ${this.S * this.A} entries`, w?.shape);
    }
    tf.tidy(() => this.theta.assign(tf.tensor2d(w.data, [this.S, this.A])));
  }

  /** Independent copy with the same states and weights. */
  clone(): Promise<TabularSoftmaxPolicy> {
    return Promise.resolve(
      new TabularSoftmaxPolicy(this.states, {
        contextLength: this.config.contextLength,
        eos: this.eos,
        logits: this.theta.dataSync(),
      }),
    );
  }

  /** Free θ. */
  dispose(): void {
    this.theta.dispose();
  }
}

/** softmax(θ[o : o + n] / temperature) into out[at : at + n]. */
function softmaxRow(
  th: ArrayLike<number>,
  o: number,
  n: number,
  temperature: number,
  out: Float64Array,
  at = o,
): void {
  let max = -Infinity;
  for (let k = 0; k < n; k++) max = Math.max(max, th[o + k] / temperature);
  let z = 0;
  for (let k = 0; k < n; k++) z += out[at + k] = Math.exp(th[o + k] / temperature - max);
  for (let k = 0; k < n; k++) out[at + k] /= z;
}

/** table[idx] (rows) with gradient scatter-added on the host: ∂/∂table[s] = Σ_{i: idx_i = s} dy_i. */
function gatherRows(table: Tensor, idx: Int32Array): Tensor2D {
  const [S, A] = table.shape;
  const f = tf.customGrad(
    ((t: Tensor) => {
      const value = tf.tidy(() => tf.gather(t, tf.tensor1d(idx, "int32")));
      const gradFunc = (dy: Tensor) => {
        const d = dy.dataSync();
        const g = new Float32Array(S * A);
        for (let i = 0; i < idx.length; i++) {
          const o = idx[i] * A;
          for (let k = 0; k < A; k++) g[o + k] += d[i * A + k];
        }
        return tf.tensor2d(g, [S, A]);
      };
      return { value, gradFunc };
      // deno-lint-ignore no-explicit-any
    }) as any,
  ) as unknown as (t: Tensor) => Tensor;
  return f(table) as Tensor2D;
}
