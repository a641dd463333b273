/**
 * `SatAssignmentPolicy`: a shared-weight literal-assignment policy for SATURN's (n, k, l)-SAT (arXiv 2505.16368),
 * as a tfjs `SequencePolicy` over the SAT task's tokens (lib/tasks/sat.ts: prompt `<bos>a~c,~bd:abcd=`, response
 * k bits then eos). It reads the clauses from the prompt and writes the assignment in the answer's order, variable
 * a first: at step t it sets variable v_t to b ∈ {0, 1} with
 *
 *   π(b | clauses, bits so far) = softmax_b(w · φ(v_t, b)),
 *
 * ONE weight vector w for every (n, k, l), so what is learned on easy levels transfers to harder ones. The features
 * of literal L = (v, b) only look at clauses not yet satisfied (u_c = number of their unassigned literals):
 *   φ₀ #clauses ∋ L with u_c = 1 (choosing L satisfies a unit clause)
 *   φ₁ #clauses ∋ L with u_c = 2
 *   φ₂ #clauses ∋ L / (l·n/k)            (occurrences, normalised by the mean occurrences of a variable)
 *   φ₃ #clauses ∋ ¬L with u_c = 1 (choosing L falsifies a clause: reward 0 for sure)
 *   φ₄ #clauses ∋ ¬L with u_c = 2 (choosing L leaves a unit clause)
 *   φ₅ #clauses ∋ ¬L / (l·n/k)
 * At w = 0 the policy is a uniformly random assignment. The eos after the k-th bit is deterministic (log-prob 0).
 * `tokenLogProbs` computes the features on the host (they depend on the tokens only) and the logits φ·w as tensors,
 * so the trainer's objective differentiates through w.
 */
import { tf } from "../core/tf.ts";
import type { Tensor2D, Variable } from "../core/tf.ts";
import { Rng } from "../core/rng.ts";
import {
  assertFiniteArray,
  assertFiniteNumber,
  assertInteger,
  ConfigError,
  resolveConfig,
} from "../core/validate.ts";
import { type Clause, SAT_VARIABLES, SAT_VOCAB } from "../tasks/sat.ts";
import type { Problem } from "../tasks/types.ts";
import type { SequencePolicy } from "../train/rollouts.ts";

/** Number of per-literal features φ (see the module doc). */
export const SAT_FEATURES = 6;
/** Names of the features φ₀…φ₅. */
export const SAT_FEATURE_NAMES = ["sat1", "sat2", "satAll", "kill1", "kill2", "killAll"] as const;

/** Options of `SatAssignmentPolicy`. */
export interface SatAssignmentPolicyConfig {
  /** Initial weights w (length SAT_FEATURES; default 0 = a uniformly random assignment). */
  init: number[];
  /** Bound on prompt + response tokens (the trainer caps responses at contextLength − prompt length). */
  contextLength: number;
}

const DEFAULTS: SatAssignmentPolicyConfig = { init: new Array(SAT_FEATURES).fill(0), contextLength: 1024 };

const TOK = {
  colon: SAT_VOCAB.encode(":")[0],
  eq: SAT_VOCAB.encode("=")[0],
  comma: SAT_VOCAB.encode(",")[0],
  neg: SAT_VOCAB.encode("~")[0],
  zero: SAT_VOCAB.encode("0")[0],
  one: SAT_VOCAB.encode("1")[0],
  a: SAT_VOCAB.encode("a")[0],
};

/**
 * Per-literal features φ of the partial `assignment` (−1 unassigned, 0 false, 1 true): a Float64Array of
 * 2k·SAT_FEATURES, literal (v, b) at offset (2v + b)·SAT_FEATURES (b = 1 for "true"). Assigned variables get 0.
 */
export function satLiteralFeatures(
  clauses: readonly Clause[],
  k: number,
  assignment: ArrayLike<number>,
): Float64Array {
  const F = SAT_FEATURES;
  const phi = new Float64Array(2 * k * F);
  const occ = Math.max(1e-9, clauses.reduce((t, c) => t + c.length, 0) / k);
  for (const clause of clauses) {
    let sat = false;
    let u = 0;
    for (const lit of clause) {
      const a = assignment[Math.abs(lit) - 1];
      if (a < 0) u++;
      else if ((a === 1) === lit > 0) {
        sat = true;
        break;
      }
    }
    if (sat) continue;
    for (const lit of clause) {
      const v = Math.abs(lit) - 1;
      if (assignment[v] >= 0) continue;
      const b = lit > 0 ? 1 : 0;
      const pos = (2 * v + b) * F; // choosing this literal satisfies the clause
      const neg = (2 * v + 1 - b) * F; // choosing its negation removes one literal from it
      if (u === 1) phi[pos] += 1;
      if (u === 2) phi[pos + 1] += 1;
      phi[pos + 2] += 1 / occ;
      if (u === 1) phi[neg + 3] += 1;
      if (u === 2) phi[neg + 4] += 1;
      phi[neg + 5] += 1 / occ;
    }
  }
  return phi;
}

/** Clauses and k parsed from SAT prompt tokens (`<bos>clauses:letters=`, left padding allowed). */
export function parseSatPrompt(tokens: readonly number[]): { clauses: Clause[]; k: number; end: number } {
  const colon = tokens.indexOf(TOK.colon);
  const eq = tokens.indexOf(TOK.eq);
  if (colon < 0 || eq < colon) {
    throw new ConfigError(
      "prompt",
      'must be a SAT prompt "<clauses>:<variables>="',
      SAT_VOCAB.decode(tokens),
    );
  }
  const clauses: Clause[] = [[]];
  let sign = 1;
  for (let i = 0; i < colon; i++) {
    const t = tokens[i];
    if (t === TOK.comma) clauses.push([]);
    else if (t === TOK.neg) sign = -1;
    else if (t >= TOK.a && t < TOK.a + SAT_VARIABLES.length) {
      clauses[clauses.length - 1].push(sign * (t - TOK.a + 1));
      sign = 1;
    }
  }
  return { clauses: clauses.filter((c) => c.length > 0), k: eq - colon - 1, end: eq };
}

/**
 * Incremental clause bookkeeping for assigning variables one at a time: `features(v)` equals the (v, 0), (v, 1)
 * slices of `satLiteralFeatures` for the current partial assignment, in O(occurrences of v) instead of O(l·n).
 */
export class SatFeatureStepper {
  private readonly occ: number;
  /** Occurrences of variable v: clause ids clause[start[v] … start[v+1]), sign[…] = 1 for a positive literal. */
  private readonly start: Int32Array;
  private readonly clause: Int32Array;
  private readonly sign: Uint8Array;
  private readonly satisfied: Uint8Array;
  private readonly unassigned: Int32Array;

  /** Clauses over k variables, nothing assigned. */
  constructor(clauses: readonly Clause[], readonly k: number) {
    let total = 0;
    this.start = new Int32Array(k + 1);
    for (const c of clauses) {
      for (const lit of c) this.start[Math.abs(lit)]++;
      total += c.length;
    }
    for (let v = 0; v < k; v++) this.start[v + 1] += this.start[v];
    this.occ = Math.max(1e-9, total / k);
    this.clause = new Int32Array(total);
    this.sign = new Uint8Array(total);
    const fill = this.start.slice(0, k);
    clauses.forEach((c, ci) => {
      for (const lit of c) {
        const i = fill[Math.abs(lit) - 1]++;
        this.clause[i] = ci;
        this.sign[i] = lit > 0 ? 1 : 0;
      }
    });
    this.satisfied = new Uint8Array(clauses.length);
    this.unassigned = Int32Array.from(clauses, (c) => c.length);
  }

  /** φ(v, 0) then φ(v, 1) (2·SAT_FEATURES values) for an unassigned variable v. */
  features(v: number): Float64Array {
    const F = SAT_FEATURES;
    const phi = new Float64Array(2 * F);
    for (let i = this.start[v]; i < this.start[v + 1]; i++) {
      const c = this.clause[i];
      if (this.satisfied[c]) continue;
      const u = this.unassigned[c];
      const pos = this.sign[i] * F; // choosing this literal satisfies the clause
      const neg = (1 - this.sign[i]) * F; // choosing its negation removes one literal from it
      if (u === 1) phi[pos] += 1;
      if (u === 2) phi[pos + 1] += 1;
      phi[pos + 2] += 1 / this.occ;
      if (u === 1) phi[neg + 3] += 1;
      if (u === 2) phi[neg + 4] += 1;
      phi[neg + 5] += 1 / this.occ;
    }
    return phi;
  }

  /** Set variable v to `bit` (0/1). */
  assign(v: number, bit: number): void {
    for (let i = this.start[v]; i < this.start[v + 1]; i++) {
      this.unassigned[this.clause[i]]--;
      if (this.sign[i] === bit) this.satisfied[this.clause[i]] = 1;
    }
  }
}

/** Features of the two choices (v_t = 0, v_t = 1) of every step of an assignment: [k][2·F]. */
function stepFeatures(clauses: readonly Clause[], k: number, bits: readonly number[]): Float64Array[] {
  const stepper = new SatFeatureStepper(clauses, k);
  const out: Float64Array[] = [];
  for (let t = 0; t < bits.length && t < k; t++) {
    out.push(stepper.features(t));
    stepper.assign(t, bits[t]);
  }
  return out;
}

/** log π(b = 0), log π(b = 1) from the two feature rows and w (temperature τ). */
function logPolicy(phi: Float64Array, w: ArrayLike<number>, tau = 1): [number, number] {
  let z0 = 0, z1 = 0;
  for (let f = 0; f < SAT_FEATURES; f++) {
    z0 += w[f] * phi[f];
    z1 += w[f] * phi[SAT_FEATURES + f];
  }
  z0 /= tau;
  z1 /= tau;
  const m = Math.max(z0, z1);
  const lse = m + Math.log(Math.exp(z0 - m) + Math.exp(z1 - m));
  return [z0 - lse, z1 - lse];
}

/** Shared-weight SAT assignment policy (module doc): a `SequencePolicy` with one variable w of shape [F, 1]. */
export class SatAssignmentPolicy implements SequencePolicy {
  /** [w] with w of shape [SAT_FEATURES, 1]. */
  readonly variables: Variable[];
  /** Context bound and the initial weights. */
  readonly config: SatAssignmentPolicyConfig;

  /** Weights from `options.init` (default 0). */
  constructor(options: Partial<SatAssignmentPolicyConfig> = {}) {
    const c = resolveConfig("SatAssignmentPolicy", DEFAULTS, options);
    assertFiniteArray("SatAssignmentPolicy.init", c.init);
    if (c.init.length !== SAT_FEATURES) {
      throw new ConfigError("SatAssignmentPolicy.init", `must have length ${SAT_FEATURES}`, c.init.length);
    }
    assertInteger("SatAssignmentPolicy.contextLength", c.contextLength, { min: 2 });
    this.config = { init: [...c.init], contextLength: c.contextLength };
    const w0 = tf.tensor2d(c.init, [SAT_FEATURES, 1]);
    this.variables = [tf.variable(w0, true)];
    w0.dispose();
  }

  /** Current w as numbers. */
  get weights(): number[] {
    return Array.from(this.variables[0].dataSync());
  }

  /**
   * log π(tokens[:, t+1] | tokens[:, ≤t]) and entropies [B, T−1] at `temperature` (default 1); 0 outside the k bit
   * decisions. The logits are
   * computed only on the column window that holds decisions (the last k + 1 columns for left-padded equal-length
   * answers) and padded with zeros.
   */
  tokenLogProbs(
    tokens: Tensor2D,
    _valid?: Tensor2D,
    temperature = 1,
  ): { logProbs: Tensor2D; entropy: Tensor2D } {
    assertFiniteNumber("temperature", temperature, { min: 0, exclusiveMin: true });
    const [B, T] = tokens.shape;
    const host = tokens.dataSync();
    const F = SAT_FEATURES;
    const perRow: { eq: number; bits: number[]; feats: Float64Array[] }[] = [];
    for (let b = 0; b < B; b++) {
      const row = Array.from(host.subarray(b * T, (b + 1) * T));
      // Pads (and bos) are ignored by the parser; the first "=" ends the prompt.
      const { clauses, k, end: eq } = parseSatPrompt(row);
      const bits: number[] = [];
      for (let j = 0; j < k && eq + 1 + j < T; j++) {
        const t = row[eq + 1 + j];
        if (t !== TOK.zero && t !== TOK.one) {
          throw new ConfigError(`tokens[${b}]`, `response token ${j} must be a bit "0"/"1"`, t);
        }
        bits.push(t === TOK.one ? 1 : 0);
      }
      perRow.push({ eq, bits, feats: stepFeatures(clauses, k, bits) });
    }
    // Target position eq + j predicts response token j; decisions of all rows lie in columns [lo, hi).
    const lo = Math.min(...perRow.map((r) => r.eq));
    const hi = Math.max(lo + 1, ...perRow.map((r) => r.eq + r.bits.length));
    const W = hi - lo, P = B * W;
    const phi = new Float32Array(P * 2 * F);
    const chosen = new Float32Array(P * 2);
    const decision = new Float32Array(P);
    perRow.forEach(({ eq, bits, feats }, b) => {
      feats.forEach((f, j) => {
        const pos = b * W + eq - lo + j;
        phi.set(f, pos * 2 * F);
        chosen[pos * 2 + bits[j]] = 1;
        decision[pos] = 1;
      });
    });
    return tf.tidy(() => {
      const logits = tf.reshape(tf.matMul(tf.tensor2d(phi, [P * 2, F]), this.variables[0]), [P, 2]);
      const logp = tf.logSoftmax(temperature === 1 ? logits : tf.div(logits, temperature));
      const mask = tf.tensor1d(decision);
      const lp = tf.mul(tf.sum(tf.mul(logp, tf.tensor2d(chosen, [P, 2])), 1), mask);
      const ent = tf.mul(tf.neg(tf.sum(tf.mul(tf.exp(logp), logp), 1)), mask);
      const widen = (x: tf.Tensor) => {
        const parts = [tf.zeros([B, lo]), tf.reshape(x, [B, W]), tf.zeros([B, T - 1 - hi])];
        return tf.concat(parts.filter((t) => t.shape[1]! > 0), 1) as Tensor2D;
      };
      return { logProbs: widen(lp), entropy: widen(ent) };
    });
  }

  /** Sample k bits per prompt (forced bits first), then eos; per-token log-probs (eos: 0). */
  sample(
    prompts: number[][],
    opts: { maxTokens: number; seed: number; temperature?: number; eos?: number; forced?: number[][] },
  ): Promise<{ responses: number[][]; logProbs: number[][] }> {
    const rng = new Rng(opts.seed);
    const w = this.weights;
    const tau = opts.temperature ?? 1;
    const responses: number[][] = [];
    const logProbs: number[][] = [];
    prompts.forEach((prompt, i) => {
      const forced = opts.forced?.[i] ?? [];
      const out = this.rollout(prompt, w, opts.maxTokens, (lp, t) => {
        if (t < forced.length) return forced[t] === TOK.one ? 1 : 0;
        return rng.uniform() < Math.exp(lp[1]) ? 1 : 0;
      }, tau);
      responses.push(out.tokens);
      logProbs.push(out.logProbs);
    });
    return Promise.resolve({ responses, logProbs });
  }

  /** Greedy assignment: the more probable bit at every step (0 on ties), then eos. */
  greedy(prompts: number[][], opts: { maxTokens: number; eos?: number }): Promise<number[][]> {
    const w = this.weights;
    return Promise.resolve(
      prompts.map((p) => this.rollout(p, w, opts.maxTokens, (lp) => (lp[1] > lp[0] ? 1 : 0)).tokens),
    );
  }

  /** Sample (or force) one assignment for a prompt under weights w, with its per-token log-probs. */
  private rollout(
    prompt: readonly number[],
    w: ArrayLike<number>,
    maxTokens: number,
    pick: (logp: [number, number], t: number) => number,
    tau = 1,
  ): { tokens: number[]; logProbs: number[] } {
    const { clauses, k } = parseSatPrompt(prompt);
    const stepper = new SatFeatureStepper(clauses, k);
    const tokens: number[] = [];
    const logProbs: number[] = [];
    for (let t = 0; t < k && tokens.length < maxTokens; t++) {
      const lp = logPolicy(stepper.features(t), w, tau);
      const bit = pick(lp, t);
      stepper.assign(t, bit);
      tokens.push(bit ? TOK.one : TOK.zero);
      logProbs.push(lp[bit]);
    }
    if (tokens.length < maxTokens) {
      tokens.push(SAT_VOCAB.eos);
      logProbs.push(0);
    }
    return { tokens, logProbs };
  }

  /** Exact success probability of one problem by enumerating all 2^k assignments (k ≤ 20; evaluation only). */
  successProbability(problem: Problem): number {
    const { clauses, k } = parseSatPrompt(problem.prompt);
    if (k > 20) throw new ConfigError("problem", "must have k ≤ 20 for exact enumeration", k);
    const w = this.weights;
    let total = 0;
    const assignment = new Int8Array(k).fill(-1);
    const walk = (t: number, logp: number) => {
      if (t === k) {
        if (clauses.every((c) => c.some((lit) => (assignment[Math.abs(lit) - 1] === 1) === lit > 0))) {
          total += Math.exp(logp);
        }
        return;
      }
      const F = SAT_FEATURES;
      const lp = logPolicy(satLiteralFeatures(clauses, k, assignment).slice(2 * t * F, (2 * t + 2) * F), w);
      for (const b of [0, 1]) {
        assignment[t] = b;
        walk(t + 1, logp + lp[b]);
      }
      assignment[t] = -1;
    };
    walk(0, 0);
    return total;
  }

  /** JSON weights `{ w: number[] }`. */
  getWeights(): Promise<{ w: number[] }> {
    return Promise.resolve({ w: this.weights });
  }

  /** Restore `getWeights()` output. */
  setWeights(weights: unknown): void {
    const w = (weights as { w?: unknown })?.w;
    if (!Array.isArray(w) || w.length !== SAT_FEATURES) {
      throw new ConfigError("weights.w", `must be an array of ${SAT_FEATURES} numbers`, w);
    }
    assertFiniteArray("weights.w", w as number[]);
    const t = tf.tensor2d(w as number[], [SAT_FEATURES, 1]);
    this.variables[0].assign(t);
    t.dispose();
  }

  /** Independent copy with the current weights. */
  clone(): Promise<SatAssignmentPolicy> {
    return Promise.resolve(
      new SatAssignmentPolicy({ init: this.weights, contextLength: this.config.contextLength }),
    );
  }

  /** Free w. */
  dispose(): void {
    this.variables[0].dispose();
  }
}
