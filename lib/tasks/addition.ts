/**
 * Multi-digit addition, difficulty = digits per operand.
 *
 * Format (defaults): prompt `<bos>a+b=` with both operands zero-padded to maxDigits and written
 * most-significant digit first; solution = the sum zero-padded to maxDigits + 1 digits and written
 * LEAST-significant digit first, then `<eos>` (maxDigits 2: 7+68 → prompt "07+68=", solution "570").
 * Reversed answers let a left-to-right model emit each digit right after the operand digits and the carry it
 * depends on, which tiny transformers learn far more easily than the standard order (Lee et al. 2023,
 * "Teaching Arithmetic to Small Transformers", arXiv 2307.03381); the fixed width gives every problem the
 * same layout, so digit i of the answer always sits at the same offset from its operand digits. Measured
 * here (d = 32, 2 layers, SFT batch 32, lr 3e-3, 1–2 digits): held-out greedy accuracy 63% after 300 steps
 * with fixed width vs 4% after 500 steps without. `fixedWidth: false` / `reverseAnswer: false` give the
 * plain variable-width and standard-order formats.
 */
import type { Rng } from "../core/rng.ts";
import { assertInteger, ConfigError, resolveConfig } from "../core/validate.ts";
import type { Problem, Task } from "./types.ts";
import { CharVocabulary } from "./vocab.ts";

/** Options of `AdditionTask`. */
export interface AdditionConfig {
  /** Smallest number of digits per operand drawn when `sample` gets no `digits` (default 1). */
  minDigits: number;
  /** Largest number of digits per operand (sizes `maxSequenceLength`; default 2). */
  maxDigits: number;
  /** Write the sum least-significant digit first (default true). */
  reverseAnswer: boolean;
  /**
   * Zero-pad operands to maxDigits and the sum to maxDigits + 1 digits (e.g. "07+68=" → "570" reversed), so
   * every problem has the same layout (default true).
   */
  fixedWidth: boolean;
}

/** Per-problem options of `AdditionTask.sample`. */
export interface AdditionOptions {
  /** Digits per operand (both operands); default uniform in [minDigits, maxDigits]. */
  digits: number;
}

/** Default `AdditionConfig`: 1–2 digit operands, fixed width, reversed answers. */
export const ADDITION_DEFAULTS: AdditionConfig = {
  minDigits: 1,
  maxDigits: 2,
  reverseAnswer: true,
  fixedWidth: true,
};

/** The addition vocabulary: pad/bos/eos, digits 0–9, "+", "=". */
export const ADDITION_VOCAB: CharVocabulary = new CharVocabulary("0123456789+=");

/**
 * Answer string for a + b: the decimal digits of the sum (zero-padded to `width` digits when given), reversed
 * when `reverse` (57+68 → "521"; width 3: 7+8 → "510").
 */
export function additionAnswer(a: number, b: number, reverse = true, width = 0): string {
  const s = String(a + b).padStart(width, "0");
  return reverse ? Array.from(s).reverse().join("") : s;
}

/**
 * Multi-digit addition task (difficulty = digits per operand); the answer format is documented above.
 *
 * @example Sample a problem and check a response
 * ```ts
 * import { AdditionTask, Rng } from "../../mod.ts";
 *
 * const task = new AdditionTask({ minDigits: 2, maxDigits: 3 });
 * const problem = task.sample(new Rng(7));
 * console.log(problem.text.prompt); // e.g. "027+039="
 * console.log(task.verify(problem, problem.solution)); // 1: the reference answer is correct
 * ```
 */
export class AdditionTask implements Task<AdditionOptions> {
  /** Family name. */
  readonly name = "addition";
  /** Shared vocabulary (`ADDITION_VOCAB`). */
  readonly vocab: CharVocabulary = ADDITION_VOCAB;
  /** Resolved configuration. */
  readonly config: AdditionConfig;

  /** Create with `{minDigits, maxDigits, reverseAnswer}` (see `ADDITION_DEFAULTS`). */
  constructor(config: Partial<AdditionConfig> = {}) {
    const c = resolveConfig("addition", ADDITION_DEFAULTS, config);
    assertInteger("addition.minDigits", c.minDigits, { min: 1, max: 15 });
    assertInteger("addition.maxDigits", c.maxDigits, { min: c.minDigits, max: 15 });
    for (const k of ["reverseAnswer", "fixedWidth"] as const) {
      if (typeof c[k] !== "boolean") throw new ConfigError(`addition.${k}`, "must be a boolean", c[k]);
    }
    this.config = c;
  }

  /** bos + (d + 1 + d + 1) prompt symbols + (d + 1) answer digits + eos at d = maxDigits: 3d + 5 (a bound for any width). */
  get maxSequenceLength(): number {
    return 3 * this.config.maxDigits + 5;
  }

  /** Draw a, b uniformly among `digits`-digit numbers (0–9 for one digit). */
  sample(rng: Rng, options: Partial<AdditionOptions> = {}): Problem {
    const o = resolveConfig<{ digits?: number }>("addition.sample", { digits: undefined }, options);
    const { minDigits, maxDigits } = this.config;
    const digits = o.digits ?? minDigits + rng.int(maxDigits - minDigits + 1);
    assertInteger("digits", digits, { min: 1, max: maxDigits });
    const low = digits === 1 ? 0 : 10 ** (digits - 1);
    const span = 10 ** digits - low;
    const a = low + rng.int(span);
    const b = low + rng.int(span);
    return this.problem(a, b, digits);
  }

  /** The problem a + b (difficulty defaults to the longer operand's digit count). */
  problem(a: number, b: number, difficulty?: number): Problem {
    assertInteger("a", a, { min: 0 });
    assertInteger("b", b, { min: 0 });
    const { maxDigits, fixedWidth, reverseAnswer } = this.config;
    const w = fixedWidth ? maxDigits : 0;
    if (fixedWidth && Math.max(a, b) >= 10 ** maxDigits) {
      throw new ConfigError(
        "a",
        `must have at most maxDigits (${maxDigits}) digits with fixedWidth`,
        Math.max(a, b),
      );
    }
    const prompt = `${String(a).padStart(w, "0")}+${String(b).padStart(w, "0")}=`;
    const answer = additionAnswer(a, b, reverseAnswer, fixedWidth ? maxDigits + 1 : 0);
    return {
      id: `addition:${a}+${b}`,
      task: this.name,
      difficulty: difficulty ?? Math.max(String(a).length, String(b).length),
      prompt: [this.vocab.bos, ...this.vocab.encode(prompt)],
      solution: [...this.vocab.encode(answer), this.vocab.eos],
      text: { prompt, solution: answer },
      meta: { a, b, sum: a + b, reversed: reverseAnswer, fixedWidth },
    };
  }

  /** A(x) = {answer digits + eos}: the one response the verifier accepts. */
  acceptedResponses(problem: Problem): number[][] {
    return [[...this.vocab.untilEos(problem.solution), this.vocab.eos]];
  }

  /** 1 iff the tokens before the first eos are exactly the answer digits (eos itself is optional). */
  verify(problem: Problem, response: readonly number[]): number {
    const got = this.vocab.untilEos(response);
    const want = this.vocab.untilEos(problem.solution);
    if (got.length !== want.length) return 0;
    for (let i = 0; i < want.length; i++) if (got[i] !== want[i]) return 0;
    return 1;
  }
}

/** Number of carries of the column addition a + b in base 10 (a difficulty feature: 38 + 45 has 1, 99 + 1 has 2). */
export function carryCount(a: number, b: number): number {
  assertInteger("a", a, { min: 0 });
  assertInteger("b", b, { min: 0 });
  let carries = 0;
  let carry = 0;
  for (; a > 0 || b > 0; a = Math.floor(a / 10), b = Math.floor(b / 10)) {
    carry = (a % 10) + (b % 10) + carry >= 10 ? 1 : 0;
    carries += carry;
  }
  return carries;
}

/**
 * A difficulty mixture over operand digit counts: draws `{digits: d}` with probability w_d / Σw for d = 1…|w|
 * (e.g. a warm start weighted toward short sums, so that afterwards the short ones are solved and the long ones
 * are not — the two tails online difficulty filtering acts on, arXiv 2504.03380). Pass it as `sampleOptions`.
 */
export function additionDigitMixture(weights: readonly number[]): (rng: Rng) => AdditionOptions {
  if (!Array.isArray(weights) || weights.length === 0) {
    throw new ConfigError(
      "weights",
      "must be a non-empty array of non-negative numbers, one per digit count",
      weights,
    );
  }
  let total = 0;
  weights.forEach((w, i) => {
    if (typeof w !== "number" || !Number.isFinite(w) || w < 0) {
      throw new ConfigError(`weights[${i}]`, "must be a finite number ≥ 0", w);
    }
    total += w;
  });
  if (total <= 0) throw new ConfigError("weights", "must have a positive sum", weights);
  const last = weights.findLastIndex((w) => w > 0);
  return (rng: Rng) => {
    let u = rng.uniform() * total;
    for (let d = 0; d < last; d++) {
      u -= weights[d];
      if (u < 0) return { digits: d + 1 };
    }
    return { digits: last + 1 };
  };
}
