/**
 * SimChain — a synthetic chain task for curriculum experiments with ground truth: a problem is L steps with
 * K options each, reward 1 iff every step picks the correct option. Under a per-step (tabular) policy the
 * success probability is the product of the per-step probabilities of the correct options, so value errors
 * need no Monte Carlo. A hint of h tokens (a prefix of the reference solution) forces the first min(h, L)
 * steps to be correct; a hint rate p forces ⌈pL⌉ steps.
 *
 * Token view (so a sequence model can run it too): vocabulary = pad/bos/eos + K option letters (A, B, …) +
 * digits and ":" / "="; prompt = bos + "<index>:<L>="; solution = the L correct option letters + eos.
 */
import { deriveSeed, Rng } from "../core/rng.ts";
import { assertFiniteNumber, assertInteger, ConfigError, resolveConfig } from "../core/validate.ts";
import type { TabularDecision, TabularStates } from "./tabular.ts";
import type { Problem, Task } from "./types.ts";
import { CharVocabulary } from "./vocab.ts";

const OPTION_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/** SimChain configuration. */
export interface SimChainConfig {
  /** Steps per problem (L ≥ 1); also the problem difficulty. */
  length: number;
  /** Options per step (2 ≤ K ≤ 26). */
  options: number;
  /** Size of the fixed problem pool (problems are revisited, as in epoch-based RL training). */
  numProblems: number;
  /** Seed that fixes every problem's correct options. */
  seed: number;
}

/** Per-call options of `SimChain.sample`: pin a problem index instead of drawing one. */
export interface SimChainSampleOptions {
  /** Problem index in [0, numProblems). */
  index: number;
}

/** Chain-specific problem data stored in `Problem.meta`. */
export interface SimChainMeta extends Record<string, unknown> {
  /** Index in the problem pool. */
  index: number;
  /** Correct option per step (length L). */
  correct: number[];
  /** Steps L. */
  length: number;
  /** Options K. */
  options: number;
}

const SIMCHAIN_DEFAULTS: SimChainConfig = { length: 8, options: 4, numProblems: 64, seed: 0 };

/** SimChain task (see module doc): `Task` for token models plus an exact API over option indices. */
export class SimChain implements Task<SimChainSampleOptions>, TabularStates {
  /** Family name "chain". */
  readonly name = "chain";
  /** Character vocabulary: pad/bos/eos, K option letters, digits, ":" and "=". */
  readonly vocab: CharVocabulary;
  /** Resolved configuration. */
  readonly config: Readonly<SimChainConfig>;
  /** Longest prompt + solution (tokens). */
  readonly maxSequenceLength: number;
  private readonly pool: Problem[];
  private readonly optionBase: number;
  private readonly optionTokens: readonly number[];
  private readonly colon: number;
  private readonly equals: number;

  /** Build the fixed pool of `numProblems` problems from `seed`. */
  constructor(options: Partial<SimChainConfig> = {}) {
    const c = resolveConfig("SimChain", SIMCHAIN_DEFAULTS, options);
    assertInteger("SimChain.length", c.length, { min: 1, max: 10000 });
    assertInteger("SimChain.options", c.options, { min: 2, max: OPTION_LETTERS.length });
    assertInteger("SimChain.numProblems", c.numProblems, { min: 1 });
    assertInteger("SimChain.seed", c.seed);
    this.config = Object.freeze(c);
    this.vocab = new CharVocabulary(OPTION_LETTERS.slice(0, c.options) + "0123456789:=");
    this.optionBase = this.vocab.encode("A")[0];
    this.optionTokens = Array.from({ length: c.options }, (_, o) => this.optionBase + o);
    [this.colon, this.equals] = this.vocab.encode(":=");
    this.pool = Array.from({ length: c.numProblems }, (_, i) => this.build(i));
    const promptLen = 1 + String(c.numProblems - 1).length + 1 + String(c.length).length + 1;
    this.maxSequenceLength = promptLen + c.length + 1;
  }

  /** Steps L. */
  get length(): number {
    return this.config.length;
  }

  /** Options K. */
  get options(): number {
    return this.config.options;
  }

  /** Pool size. */
  get numProblems(): number {
    return this.config.numProblems;
  }

  /** Problem `index` of the pool, drawn from its own derived seed. */
  private build(index: number): Problem {
    const { length: L, options: K, seed } = this.config;
    const r = new Rng(deriveSeed(seed, index));
    const correct = Array.from({ length: L }, () => r.int(K));
    const promptText = `${index}:${L}=`;
    const solText = correct.map((o) => OPTION_LETTERS[o]).join("");
    const meta: SimChainMeta = { index, correct, length: L, options: K };
    return {
      id: `chain-L${L}-K${K}-s${seed}-${index}`,
      task: this.name,
      difficulty: L,
      prompt: [this.vocab.bos, ...this.vocab.encode(promptText)],
      solution: [...this.vocab.encode(solText), this.vocab.eos],
      text: { prompt: promptText, solution: solText },
      meta,
    };
  }

  /** Problem number `index` of the pool (the same object on every call). */
  problem(index: number): Problem {
    assertInteger("index", index, { min: 0, max: this.config.numProblems - 1 });
    return this.pool[index];
  }

  /** All problems of the pool, in index order. */
  problems(): readonly Problem[] {
    return this.pool;
  }

  /** Tabular states: one per (problem, step), index·L + step. */
  get numStates(): number {
    return this.config.numProblems * this.config.length;
  }

  /** Every state has the K options. */
  get maxActions(): number {
    return this.config.options;
  }

  /** K options in every state. */
  actionCount(_state: number): number {
    return this.config.options;
  }

  /**
   * Token t of "bos index:L= o_0 … o_{L−1} eos" is step j = t − (position of "=") − 1 of problem `index`: state
   * index·L + j with the K option tokens; prompt tokens and the eos after step L − 1 are no decision (null).
   */
  decision(sequence: readonly number[], t: number): TabularDecision | null {
    const eq = sequence.indexOf(this.equals);
    const colon = sequence.indexOf(this.colon);
    if (eq < 0 || colon < 1 || t <= eq) return null;
    const j = t - eq - 1;
    if (j >= this.config.length) return null;
    let index = 0;
    for (let i = 1; i < colon; i++) index = 10 * index + Number(this.vocab.symbols[sequence[i]]);
    if (!(index >= 0 && index < this.pool.length)) {
      throw new ConfigError("sequence", "must start with bos + a pool index of this SimChain", sequence);
    }
    return { state: index * this.config.length + j, actions: this.optionTokens };
  }

  /**
   * Exact success probability a = Π_{s ≥ min(h, L)} π_s(c_s) of a tabular policy given as its per-state option
   * probabilities `probs` [numStates × K] (e.g. `TabularSoftmaxPolicy.probabilityTable()`), with a hint of h tokens.
   */
  successProbability(problem: Problem, probs: ArrayLike<number>, hintLength = 0): number {
    const m = this.meta(problem);
    const { length: L, options: K } = this.config;
    if (probs.length !== L * K * this.pool.length) {
      throw new ConfigError(
        "probs",
        `must have numStates × K = ${L * K * this.pool.length} entries`,
        probs.length,
      );
    }
    let a = 1;
    for (let s = this.forcedSteps(hintLength); s < L; s++) a *= probs[(m.index * L + s) * K + m.correct[s]];
    return a;
  }

  /**
   * Initial logits of a tabular policy [numStates × K]: θ ~ N(0, initScale²) (drawn in state order from
   * `Rng(seed)`), plus `initCorrectBias` on each correct option (a "pretrained" start, per-step π(c) =
   * e^b / (e^b + K − 1) when initScale = 0).
   */
  initialLogits(options: { initScale: number; initCorrectBias: number; seed: number }): Float64Array {
    assertFiniteNumber("initScale", options?.initScale, { min: 0 });
    assertFiniteNumber("initCorrectBias", options.initCorrectBias);
    assertInteger("seed", options.seed);
    const { length: L, options: K } = this.config;
    const logits = new Float64Array(this.pool.length * L * K);
    const rng = new Rng(options.seed);
    if (options.initScale > 0) {
      for (let i = 0; i < logits.length; i++) logits[i] = rng.normal(0, options.initScale);
    }
    for (const p of this.pool) {
      const m = p.meta as SimChainMeta;
      for (let s = 0; s < L; s++) logits[(m.index * L + s) * K + m.correct[s]] += options.initCorrectBias;
    }
    return logits;
  }

  /** Draw a pool problem uniformly with `rng` (or the one at `options.index`). */
  sample(rng: Rng, options: Partial<SimChainSampleOptions> = {}): Problem {
    if (options.index !== undefined) return this.problem(options.index);
    return this.pool[rng.int(this.pool.length)];
  }

  /** The chain metadata of a problem of this task; throws if the problem is not from this pool. */
  meta(problem: Problem): SimChainMeta {
    const m = problem?.meta as SimChainMeta | undefined;
    if (
      !m || problem.task !== this.name || !Number.isInteger(m.index) || m.index < 0 ||
      m.index >= this.pool.length || this.pool[m.index].id !== problem.id
    ) {
      throw new ConfigError(
        "problem",
        `must be a problem of this SimChain pool (ids ${this.pool[0].id}…)`,
        problem?.id,
      );
    }
    return m;
  }

  /** Steps forced by a hint of h solution tokens: min(h, L). */
  forcedSteps(hintLength: number): number {
    assertInteger("hintLength", hintLength, { min: 0 });
    return Math.min(hintLength, this.config.length);
  }

  /** Hint length (tokens) that forces ⌈pL⌉ steps for a hint rate p ∈ [0, 1]. */
  hintLengthForRate(p: number): number {
    assertFiniteNumber("p", p, { min: 0, max: 1 });
    return Math.max(0, Math.ceil(p * this.config.length - 1e-12));
  }

  /** Token id of option o. */
  optionToken(option: number): number {
    assertInteger("option", option, { min: 0, max: this.config.options - 1 });
    return this.optionBase + option;
  }

  /** Option index of a token id, or −1 for a non-option token. */
  tokenOption(token: number): number {
    const o = token - this.optionBase;
    return Number.isInteger(o) && o >= 0 && o < this.config.options ? o : -1;
  }

  /** Response tokens for an option sequence: the option letters + eos. */
  encodeActions(actions: readonly number[]): number[] {
    return [...actions.map((a) => this.optionToken(a)), this.vocab.eos];
  }

  /** Option indices of a response (up to eos; non-option tokens → −1). */
  decodeActions(response: readonly number[]): number[] {
    const k = response.indexOf(this.vocab.eos);
    return (k < 0 ? response : response.slice(0, k)).map((t) => this.tokenOption(t));
  }

  /** 1 iff the actions equal the problem's correct options exactly (length L), else 0. */
  verifyActions(problem: Problem, actions: readonly number[]): number {
    const { correct } = this.meta(problem);
    if (actions.length !== correct.length) return 0;
    for (let i = 0; i < correct.length; i++) if (actions[i] !== correct[i]) return 0;
    return 1;
  }

  /** A(x) = {the L correct option tokens + eos}. */
  acceptedResponses(problem: Problem): number[][] {
    return [[...this.meta(problem).correct.map((o) => this.optionBase + o), this.vocab.eos]];
  }

  /** 1 iff the response's first L tokens are the correct options followed by eos (or the end), else 0. */
  verify(problem: Problem, response: readonly number[]): number {
    const L = this.config.length;
    if (response.length < L || (response.length > L && response[L] !== this.vocab.eos)) return 0;
    return this.verifyActions(problem, response.slice(0, L).map((t) => this.tokenOption(t)));
  }
}
