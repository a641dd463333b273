/**
 * Multi-digit addition, difficulty = digits per operand.
 *
 * Format: prompt `<bos>a+b=` with operands written most-significant digit first, solution the digits of
 * a + b written LEAST-significant digit first, then `<eos>` (e.g. 57+68= → "521"). Reversed answers let a
 * left-to-right model emit each digit right after the two operand digits and the carry it depends on, which
 * tiny transformers learn far more easily than the standard order (Lee et al. 2023, "Teaching Arithmetic
 * to Small Transformers", arXiv 2307.03381). `reverseAnswer: false` gives the usual order.
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
}

/** Per-problem options of `AdditionTask.sample`. */
export interface AdditionOptions {
  /** Digits per operand (both operands); default uniform in [minDigits, maxDigits]. */
  digits: number;
}

/** Default `AdditionConfig`: 1–2 digit operands, reversed answers. */
export const ADDITION_DEFAULTS: AdditionConfig = { minDigits: 1, maxDigits: 2, reverseAnswer: true };

/** The addition vocabulary: pad/bos/eos, digits 0–9, "+", "=". */
export const ADDITION_VOCAB: CharVocabulary = new CharVocabulary("0123456789+=");

/** Answer string for a + b: the decimal digits of the sum, reversed when `reverse` (57+68 → "521"). */
export function additionAnswer(a: number, b: number, reverse = true): string {
  const s = String(a + b);
  return reverse ? Array.from(s).reverse().join("") : s;
}

/** Multi-digit addition task (difficulty = digits per operand); the answer format is documented above. */
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
    if (typeof c.reverseAnswer !== "boolean") {
      throw new ConfigError("addition.reverseAnswer", "must be a boolean", c.reverseAnswer);
    }
    this.config = c;
  }

  /** bos + (d + 1 + d + 1) prompt symbols + (d + 1) answer digits + eos at d = maxDigits: 3d + 5. */
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
    const prompt = `${a}+${b}=`;
    const answer = additionAnswer(a, b, this.config.reverseAnswer);
    return {
      id: `addition:${a}+${b}`,
      task: this.name,
      difficulty: difficulty ?? Math.max(String(a).length, String(b).length),
      prompt: [this.vocab.bos, ...this.vocab.encode(prompt)],
      solution: [...this.vocab.encode(answer), this.vocab.eos],
      text: { prompt, solution: answer },
      meta: { a, b, sum: a + b, reversed: this.config.reverseAnswer },
    };
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
