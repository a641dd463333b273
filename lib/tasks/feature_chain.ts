/**
 * FeatureChain: a verifiable task family whose problems share structure, so training on one pool transfers to a
 * held-out pool (the test bed of the Online Difficulty Filtering, arXiv 2504.03380, SEELE, arXiv 2509.06923, and
 * NSR, arXiv 2506.01347, reproductions; the tabular SimChain has one logit table per problem and cannot generalise).
 *
 * A problem is a chain of L steps; step s shows a feature vector x_s ∈ ℝ^d (x_s ~ N(0, I_d)) and has K options.
 * The correct option is c_s = argmax_k (M x_s)_k for a hidden teacher matrix M ∈ ℝ^{K×d} (rows ~ N(0, I_d)) shared
 * by all problems; reward 1 iff every step is right. Difficulty varies with L and with the teacher margins.
 *
 * Token view (so `RLVRTrainer` runs it): vocabulary = pad/bos/eos + K option letters (A, B, …) + digits, ":" and
 * "="; prompt = bos + "<serial>:<L>=" where the serial identifies the problem to the policy (which reads the
 * features x_s from the task, as a language model reads its prompt); solution = the L correct letters + eos. A hint
 * of h solution tokens forces the first min(h, L) steps. Problems live in named pools ("train", "heldout", …),
 * deterministic in (seed, pool name, index); `sample` draws uniformly from a pool.
 */
import { deriveSeed, Rng } from "../core/rng.ts";
import { assertInteger, ConfigError, resolveConfig } from "../core/validate.ts";
import type { Problem, Task } from "./types.ts";
import { CharVocabulary } from "./vocab.ts";

/** FeatureChain configuration. */
export interface FeatureChainConfig {
  /** Feature dimension d. */
  dim: number;
  /** Options per step K (2–26, one letter each). */
  options: number;
  /** Smallest chain length L. */
  minLength: number;
  /** Largest chain length L (lengths are uniform on [minLength, maxLength]). */
  maxLength: number;
  /** Seed of the teacher M and of every problem pool. */
  seed: number;
}

/** Options of `FeatureChain.sample`: draw index `start + U{0, …, size − 1}` of pool `pool`. */
export interface FeatureChainSampleOptions {
  /** Pool name (default "train"). */
  pool: string;
  /** Number of pool indices drawn from (default 1024). */
  size: number;
  /** First index drawn from (default 0). */
  start: number;
}

/** Chain data of a FeatureChain problem (`Problem.meta`). */
export interface FeatureChainMeta extends Record<string, unknown> {
  /** Pool name ("train", "heldout", …). */
  pool: string;
  /** Index in the pool. */
  index: number;
  /** Serial number of the problem in this task (written in the prompt). */
  serial: number;
  /** Steps L. */
  length: number;
  /** Features, step-major (length L·d). */
  features: Float64Array;
  /** Correct option per step: argmax_k (M x_s)_k. */
  correct: number[];
}

const DEFAULTS: FeatureChainConfig = { dim: 8, options: 4, minLength: 1, maxLength: 8, seed: 0 };
const SAMPLE_DEFAULTS: FeatureChainSampleOptions = { pool: "train", size: 1024, start: 0 };
const OPTION_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
/** Serials are written with at most this many digits. */
const SERIAL_DIGITS = 7;

/** FeatureChain task family (see module doc): a hidden linear teacher M and named pools of problems. */
export class FeatureChain implements Task<FeatureChainSampleOptions> {
  /** Family name. */
  readonly name = "feature-chain";
  /** Resolved configuration. */
  readonly config: Readonly<FeatureChainConfig>;
  /** Teacher M (K×d, row-major), rows ~ N(0, I_d). */
  readonly teacher: Float64Array;
  /** Character vocabulary: pad/bos/eos, K option letters, digits, ":" and "=". */
  readonly vocab: CharVocabulary;
  /** Longest prompt + solution (tokens). */
  readonly maxSequenceLength: number;
  /** Token id of option 0 ("A"); option k is `optionBase + k`. */
  readonly optionBase: number;
  private readonly byKey = new Map<string, Problem>();
  private readonly bySerial: Problem[] = [];
  private readonly digitBase: number;
  private readonly colon: number;

  /** Teacher from `seed`; pools are built on demand. */
  constructor(options: Partial<FeatureChainConfig> = {}) {
    const c = resolveConfig("FeatureChain", DEFAULTS, options);
    assertInteger("FeatureChain.dim", c.dim, { min: 1, max: 1024 });
    assertInteger("FeatureChain.options", c.options, { min: 2, max: OPTION_LETTERS.length });
    assertInteger("FeatureChain.minLength", c.minLength, { min: 1, max: 1000 });
    assertInteger("FeatureChain.maxLength", c.maxLength, { min: c.minLength, max: 1000 });
    assertInteger("FeatureChain.seed", c.seed);
    this.config = Object.freeze(c);
    const r = new Rng(deriveSeed(c.seed, 0x7eac4e));
    this.teacher = Float64Array.from({ length: c.options * c.dim }, () => r.normal());
    this.vocab = new CharVocabulary(OPTION_LETTERS.slice(0, c.options) + "0123456789:=");
    this.optionBase = this.vocab.encode("A")[0];
    this.digitBase = this.vocab.encode("0")[0];
    this.colon = this.vocab.encode(":")[0];
    this.maxSequenceLength = 1 + SERIAL_DIGITS + 1 + String(c.maxLength).length + 1 + c.maxLength + 1;
  }

  /** K. */
  get options(): number {
    return this.config.options;
  }

  /** d. */
  get dim(): number {
    return this.config.dim;
  }

  /** Teacher's option for features x (from `offset`): argmax_k (M x)_k. */
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

  /** Problem `index` of pool `pool` (deterministic in (seed, pool, index); built once, then cached). */
  problemAt(pool: string, index: number): Problem {
    if (typeof pool !== "string" || pool === "") {
      throw new ConfigError("pool", "must be a non-empty string", pool);
    }
    assertInteger("index", index, { min: 0 });
    const key = `${pool}#${index}`;
    const hit = this.byKey.get(key);
    if (hit) return hit;
    let h = 0;
    for (const ch of pool) h = (Math.imul(h, 31) + ch.charCodeAt(0)) >>> 0;
    const p = this.build(pool, index, new Rng(deriveSeed(deriveSeed(this.config.seed, h), index)));
    this.byKey.set(key, p);
    return p;
  }

  /** The first `size` problems of pool `name`. */
  pool(name: string, size: number): Problem[] {
    assertInteger("size", size, { min: 1 });
    return Array.from({ length: size }, (_, i) => this.problemAt(name, i));
  }

  /** A uniform draw from pool indices [start, start + size) of `options.pool` (defaults: "train", 1024, 0). */
  sample(rng: Rng, options: Partial<FeatureChainSampleOptions> = {}): Problem {
    const o = resolveConfig("FeatureChain.sample", SAMPLE_DEFAULTS, options);
    assertInteger("FeatureChain.sample.size", o.size, { min: 1 });
    assertInteger("FeatureChain.sample.start", o.start, { min: 0 });
    return this.problemAt(o.pool, o.start + rng.int(o.size));
  }

  /** Build problem `index` of `pool` from its own Rng (length, features, teacher's answers, tokens). */
  private build(pool: string, index: number, r: Rng): Problem {
    const { minLength, maxLength, dim: d } = this.config;
    const serial = this.bySerial.length;
    if (serial >= 10 ** SERIAL_DIGITS) {
      throw new ConfigError("FeatureChain", `holds at most ${10 ** SERIAL_DIGITS} problems`, serial);
    }
    const L = minLength + r.int(maxLength - minLength + 1);
    const features = Float64Array.from({ length: L * d }, () => r.normal());
    const correct = Array.from({ length: L }, (_, s) => this.teacherOption(features, s * d));
    const meta: FeatureChainMeta = { pool, index, serial, length: L, features, correct };
    const promptText = `${serial}:${L}=`;
    const solText = correct.map((o) => OPTION_LETTERS[o]).join("");
    const problem: Problem = {
      id: `fchain-s${this.config.seed}-${pool}-${index}`,
      task: this.name,
      difficulty: L,
      prompt: [this.vocab.bos, ...this.vocab.encode(promptText)],
      solution: [...this.vocab.encode(solText), this.vocab.eos],
      text: { prompt: promptText, solution: solText },
      meta,
    };
    this.bySerial.push(problem);
    return problem;
  }

  /** The chain data of a FeatureChain problem of this task; throws if `problem` is not one. */
  meta(problem: Problem): FeatureChainMeta {
    const m = problem?.meta as FeatureChainMeta | undefined;
    if (!m || problem.task !== this.name || !(m.features instanceof Float64Array)) {
      throw new ConfigError("problem", "must be a FeatureChain problem", problem?.id);
    }
    return m;
  }

  /** The problem a prompt (bos + "<serial>:<L>=", as built here) belongs to; throws on any other prompt. */
  problemOfPrompt(prompt: ArrayLike<number>): Problem {
    let serial = 0, i = 1;
    if (prompt[0] !== this.vocab.bos) throw new ConfigError("prompt", "must start with bos", prompt[0]);
    for (; i < prompt.length && prompt[i] !== this.colon; i++) {
      const digit = prompt[i] - this.digitBase;
      if (!(digit >= 0 && digit <= 9)) {
        throw new ConfigError("prompt", "must be bos + <serial>:<L>=", prompt[i]);
      }
      serial = serial * 10 + digit;
    }
    const p = this.bySerial[serial];
    if (i === 1 || i === prompt.length || !p) {
      throw new ConfigError("prompt", "names no problem of this task", serial);
    }
    return p;
  }

  /** Option index of a token (−1 if it is not an option letter). */
  optionOf(token: number): number {
    const k = token - this.optionBase;
    return k >= 0 && k < this.config.options ? k : -1;
  }

  /** A(x) = {the L correct option letters + eos}. */
  acceptedResponses(problem: Problem): number[][] {
    return [[...this.meta(problem).correct.map((o) => this.optionBase + o), this.vocab.eos]];
  }

  /** 1 iff the response is the L correct option letters (optionally followed by eos), else 0. */
  verify(problem: Problem, response: readonly number[]): number {
    const { correct, length: L } = this.meta(problem);
    if (response.length < L || (response.length > L && response[L] !== this.vocab.eos)) return 0;
    for (let s = 0; s < L; s++) if (response[s] !== this.optionBase + correct[s]) return 0;
    return 1;
  }
}
