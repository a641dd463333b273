/**
 * Addition with a verbalised confidence (the RLCR output format, arXiv 2507.16806, shrunk to tokens): the
 * response is the answer digits of `AdditionTask`, a separator `|`, ONE confidence token, then `<eos>`.
 * Confidence token k (symbol `CONFIDENCE_SYMBOLS[k]`) means q = levels[k]; the default levels are the
 * midpoints of K = 5 equal bins, q ∈ {0.1, 0.3, 0.5, 0.7, 0.9}.
 *
 *   prompt "07+68=", response "570|e<eos>" → answer 75 (reversed, fixed width), confidence 0.9
 *
 * `verify` scores the answer only (1 iff the tokens before `|` are the answer digits); `confidence` parses
 * the stated q (null when the separator, the token or the eos after it is missing). The reference solution's
 * confidence token (the SFT target) is drawn per problem from `referenceWeights`, so a warm start can be made
 * over- or under-confident on purpose; it carries no information about correctness.
 */
import type { Rng } from "../core/rng.ts";
import { assertFiniteArray, ConfigError, resolveConfig } from "../core/validate.ts";
import { AdditionTask } from "./addition.ts";
import type { AdditionConfig, AdditionOptions } from "./addition.ts";
import type { Problem, Task } from "./types.ts";
import { CharVocabulary } from "./vocab.ts";

/** Symbols of the confidence tokens, lowest level first (at most 10 levels). */
export const CONFIDENCE_SYMBOLS = "abcdefghij";
/** Separator between the answer and the confidence token. */
export const CONFIDENCE_SEPARATOR = "|";

/** Options of `ConfidenceAdditionTask` (the addition options plus the confidence levels). */
export interface ConfidenceAdditionConfig extends AdditionConfig {
  /** Confidence value of each token, strictly increasing in [0, 1] (default bin midpoints 0.1 … 0.9). */
  levels: number[];
  /** Unnormalised probabilities of each level in reference solutions (default uniform). */
  referenceWeights: number[] | null;
}

/** Defaults: `ADDITION_DEFAULTS` (1–2 digits, fixed width, reversed), 5 levels 0.1 … 0.9, uniform references. */
export const CONFIDENCE_ADDITION_DEFAULTS: ConfidenceAdditionConfig = {
  minDigits: 1,
  maxDigits: 2,
  reverseAnswer: true,
  fixedWidth: true,
  levels: [0.1, 0.3, 0.5, 0.7, 0.9],
  referenceWeights: null,
};

/** Vocabulary: pad/bos/eos, digits, "+", "=", the separator "|", confidence symbols a–j. */
export const CONFIDENCE_VOCAB: CharVocabulary = new CharVocabulary(
  "0123456789+=" + CONFIDENCE_SEPARATOR + CONFIDENCE_SYMBOLS,
);

/** Addition whose response ends with "|" + one confidence token (module doc). */
export class ConfidenceAdditionTask implements Task<AdditionOptions> {
  /** Family name. */
  readonly name = "confidence-addition";
  /** Shared vocabulary (`CONFIDENCE_VOCAB`). */
  readonly vocab: CharVocabulary = CONFIDENCE_VOCAB;
  /** Resolved configuration. */
  readonly config: ConfidenceAdditionConfig;
  /** The underlying addition task (answers and prompts). */
  readonly addition: AdditionTask;
  private readonly separator: number;
  private readonly tokenLevel: Map<number, number>;
  private readonly cumulative: number[];

  /** Create with addition options plus `levels` and `referenceWeights` (see defaults). */
  constructor(config: Partial<ConfidenceAdditionConfig> = {}) {
    const c = resolveConfig("confidenceAddition", CONFIDENCE_ADDITION_DEFAULTS, config);
    const { levels, referenceWeights, ...add } = c;
    this.addition = new AdditionTask(add);
    if (!Array.isArray(levels) || levels.length < 2 || levels.length > CONFIDENCE_SYMBOLS.length) {
      throw new ConfigError(
        "confidenceAddition.levels",
        `must be an array of 2–${CONFIDENCE_SYMBOLS.length} numbers in [0, 1]`,
        levels,
      );
    }
    assertFiniteArray("confidenceAddition.levels", levels, { min: 0, max: 1 });
    for (let i = 1; i < levels.length; i++) {
      if (!(levels[i] > levels[i - 1])) {
        throw new ConfigError("confidenceAddition.levels", "must be strictly increasing", levels);
      }
    }
    const w = referenceWeights ?? levels.map(() => 1);
    if (!Array.isArray(w) || w.length !== levels.length) {
      throw new ConfigError(
        "confidenceAddition.referenceWeights",
        `must be null or an array of ${levels.length} weights (one per level)`,
        referenceWeights,
      );
    }
    assertFiniteArray("confidenceAddition.referenceWeights", w, { min: 0 });
    const total = w.reduce((a, b) => a + b, 0);
    if (!(total > 0)) {
      throw new ConfigError("confidenceAddition.referenceWeights", "must have a positive sum", w);
    }
    let acc = 0;
    this.cumulative = w.map((x) => (acc += x / total));
    this.config = { ...c, levels: [...levels], referenceWeights: referenceWeights ? [...w] : null };
    this.separator = this.vocab.encode(CONFIDENCE_SEPARATOR)[0];
    this.tokenLevel = new Map(levels.map((q, k) => [this.vocab.encode(CONFIDENCE_SYMBOLS[k])[0], q]));
  }

  /** Addition's bound plus the separator and the confidence token: 3·maxDigits + 7. */
  get maxSequenceLength(): number {
    return this.addition.maxSequenceLength + 2;
  }

  /** Token id of confidence level k. */
  confidenceToken(k: number): number {
    if (!Number.isInteger(k) || k < 0 || k >= this.config.levels.length) {
      throw new ConfigError("k", `must be an integer in [0, ${this.config.levels.length - 1}]`, k);
    }
    return this.vocab.encode(CONFIDENCE_SYMBOLS[k])[0];
  }

  /** Draw a + b as `AdditionTask.sample` does, then the reference confidence level from `referenceWeights`. */
  sample(rng: Rng, options: Partial<AdditionOptions> = {}): Problem {
    const base = this.addition.sample(rng, options);
    const u = rng.uniform();
    let k = this.cumulative.findIndex((c) => u < c);
    if (k < 0) k = this.cumulative.length - 1;
    return this.wrap(base, k);
  }

  /** The problem a + b with reference confidence level k (default the top level). */
  problem(a: number, b: number, k = this.config.levels.length - 1): Problem {
    return this.wrap(this.addition.problem(a, b), k);
  }

  /** The same problem with its reference solution's confidence token set to level k (an SFT target of choice). */
  relabel(problem: Problem, k: number): Problem {
    const a = problem.meta?.a;
    const b = problem.meta?.b;
    if (problem.task !== this.name || typeof a !== "number" || typeof b !== "number") {
      throw new ConfigError("problem", "must come from a ConfidenceAdditionTask", problem.id);
    }
    return this.wrap(this.addition.problem(a, b, problem.difficulty), k);
  }

  /** An addition problem with the confidence token of level k appended to its reference solution. */
  private wrap(base: Problem, k: number): Problem {
    const answer = base.text.solution;
    const conf = this.confidenceToken(k);
    return {
      ...base,
      task: this.name,
      solution: [...this.vocab.encode(answer), this.separator, conf, this.vocab.eos],
      text: { prompt: base.text.prompt, solution: answer + CONFIDENCE_SEPARATOR + CONFIDENCE_SYMBOLS[k] },
      meta: { ...base.meta, answer, referenceConfidence: this.config.levels[k] },
    };
  }

  /** A(x) = {answer digits + separator}: a prefix, since the verifier ignores the confidence token. */
  acceptedResponses(problem: Problem): number[][] {
    const want = this.vocab.encode(String(problem.meta?.answer ?? ""));
    if (want.length === 0) throw new ConfigError("problem", "must come from a ConfidenceAdditionTask");
    return [[...want, this.separator]];
  }

  /** 1 iff the response starts with exactly the answer digits followed by the separator, else 0. */
  verify(problem: Problem, response: readonly number[]): number {
    const want = this.vocab.encode(String(problem.meta?.answer ?? ""));
    if (want.length === 0) throw new ConfigError("problem", "must come from a ConfidenceAdditionTask");
    if (response.length <= want.length || response[want.length] !== this.separator) return 0;
    for (let i = 0; i < want.length; i++) if (response[i] !== want[i]) return 0;
    return 1;
  }

  /**
   * The stated confidence q: the level of the token right after the first separator, which must be followed
   * by eos or the end of the response; null when any part is missing (RLCR: unparsable).
   */
  confidence(response: readonly number[]): number | null {
    const s = response.indexOf(this.separator);
    if (s < 0 || s + 1 >= response.length) return null;
    const q = this.tokenLevel.get(response[s + 1]);
    if (q === undefined) return null;
    if (s + 2 < response.length && response[s + 2] !== this.vocab.eos) return null;
    return q;
  }
}

/**
 * The task whose reference confidence level is `levelOf(problem)` instead of a draw from `referenceWeights`:
 * SFT on it sets a start's calibration on purpose (e.g. the level nearest the model's own measured accuracy on
 * the problem's bucket: a calibrated start; always the top level: an over-confident one). Sampling, ids and
 * verification are the wrapped task's.
 */
export function withReferenceLevels(
  task: ConfidenceAdditionTask,
  levelOf: (problem: Problem) => number,
): Task<AdditionOptions> {
  return {
    name: task.name,
    vocab: task.vocab,
    maxSequenceLength: task.maxSequenceLength,
    sample: (rng, options) => {
      const p = task.sample(rng, options);
      return task.relabel(p, levelOf(p));
    },
    verify: (problem, response) => task.verify(problem, response),
  };
}
