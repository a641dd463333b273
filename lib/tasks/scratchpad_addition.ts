/**
 * Addition with a written carry scratchpad: a long reference solution whose prefix is reasoning, not the answer
 * (the SEELE bed, arXiv 2509.06923: a hint is a prefix of the reference solution, so a hint must guide without
 * handing over the answer).
 *
 * Format: prompt `<bos>a+b=` with both operands zero-padded to D = maxDigits digits (as `AdditionTask`);
 * solution = for each digit position i = 1…D, least-significant first, the three tokens a_i b_i c_i (the operand
 * digits and the carry out c_i = ⌊(a_i + b_i + c_{i−1}) / 10⌋, c_0 = 0), then `:`, then the D + 1 digits of the
 * sum least-significant first (d_i = (a_i + b_i + c_{i−1}) mod 10, d_{D+1} = c_D), then `<eos>`.
 * Example, D = 2, 57 + 68: "781561:521" — (7, 8, carry 1), (5, 6, carry 1), sum 125 reversed. With
 * `order: "msb-first"` the same triples are written most-significant position first ("561781:521"): each carry
 * out then depends on the positions not yet written (look-ahead), so the reasoning prefix holds the hard part.
 * |y| = 3D (reasoning) + 1 (`:`) + D + 1 (answer) + 1 (eos) = 4D + 3 tokens; one hint token is 1/(4D + 3) of y,
 * and a hint of at most 3D tokens leaves every answer token to be generated.
 *
 * The verifier checks the written work: a response is correct iff it reproduces the reference solution (carries
 * and answer) up to eos, so the accepted set is that one response and success probabilities are exact by teacher
 * forcing (`exactAnswerProbabilities`).
 */
import type { Rng } from "../core/rng.ts";
import { assertInteger, assertOneOf, ConfigError, resolveConfig } from "../core/validate.ts";
import type { AdditionOptions } from "./addition.ts";
import type { Problem, Task } from "./types.ts";
import { CharVocabulary } from "./vocab.ts";

/** Options of `ScratchpadAdditionTask`. */
export interface ScratchpadAdditionConfig {
  /** Smallest number of digits per operand drawn when `sample` gets no `digits` (default 1). */
  minDigits: number;
  /** Largest number of digits per operand D: the padded width and the scratchpad's positions (default 5). */
  maxDigits: number;
  /** Order of the scratchpad's positions: "lsb-first" (default) or "msb-first"; the answer is always reversed. */
  order: ScratchpadOrder;
}

/** Orders of the scratchpad's digit positions. */
export const SCRATCHPAD_ORDERS = ["lsb-first", "msb-first"] as const;
/** A scratchpad position order. */
export type ScratchpadOrder = typeof SCRATCHPAD_ORDERS[number];

/** Default `ScratchpadAdditionConfig`: 1–5 digit operands, positions least-significant first. */
export const SCRATCHPAD_ADDITION_DEFAULTS: ScratchpadAdditionConfig = {
  minDigits: 1,
  maxDigits: 5,
  order: "lsb-first",
};

/** The scratchpad addition vocabulary: pad/bos/eos, digits 0–9, "+", "=", ":" (end of the scratchpad). */
export const SCRATCHPAD_ADDITION_VOCAB: CharVocabulary = new CharVocabulary("0123456789+=:");

/**
 * The written solution of a + b at width D (module doc): per position i (least-significant first) a_i b_i c_i,
 * then ":", then the D + 1 sum digits reversed (D = 2, 57 + 68 → "781561:521").
 */
export function scratchpadSolution(
  a: number,
  b: number,
  width: number,
  order: ScratchpadOrder = "lsb-first",
): string {
  assertOneOf("order", order, SCRATCHPAD_ORDERS);
  assertInteger("a", a, { min: 0 });
  assertInteger("b", b, { min: 0 });
  assertInteger("width", width, { min: 1, max: 15 });
  if (Math.max(a, b) >= 10 ** width) {
    throw new ConfigError("a", `must have at most width (${width}) digits`, Math.max(a, b));
  }
  const work: string[] = [];
  let answer = "", carry = 0;
  for (let i = 0, x = a, y = b; i < width; i++, x = Math.floor(x / 10), y = Math.floor(y / 10)) {
    const s = (x % 10) + (y % 10) + carry;
    carry = s >= 10 ? 1 : 0;
    work.push(`${x % 10}${y % 10}${carry}`);
    answer += `${s % 10}`;
  }
  if (order === "msb-first") work.reverse();
  return `${work.join("")}:${answer}${carry}`;
}

/** Addition with a written carry scratchpad (difficulty = digits per operand); format in the module doc. */
export class ScratchpadAdditionTask implements Task<AdditionOptions> {
  /** Family name. */
  readonly name = "scratchpad-addition";
  /** Shared vocabulary (`SCRATCHPAD_ADDITION_VOCAB`). */
  readonly vocab: CharVocabulary = SCRATCHPAD_ADDITION_VOCAB;
  /** Resolved configuration. */
  readonly config: ScratchpadAdditionConfig;

  /** Create with `{minDigits, maxDigits, order}` (see `SCRATCHPAD_ADDITION_DEFAULTS`). */
  constructor(config: Partial<ScratchpadAdditionConfig> = {}) {
    const c = resolveConfig("scratchpadAddition", SCRATCHPAD_ADDITION_DEFAULTS, config);
    assertInteger("scratchpadAddition.minDigits", c.minDigits, { min: 1, max: 15 });
    assertInteger("scratchpadAddition.maxDigits", c.maxDigits, { min: c.minDigits, max: 15 });
    assertOneOf("scratchpadAddition.order", c.order, SCRATCHPAD_ORDERS);
    this.config = c;
  }

  /** bos + (2D + 2) prompt symbols + (4D + 3) solution tokens: 6D + 6. */
  get maxSequenceLength(): number {
    return 6 * this.config.maxDigits + 6;
  }

  /** Tokens of the written reasoning before ":" (3D): a hint of at most this many leaves the answer to generate. */
  get reasoningLength(): number {
    return 3 * this.config.maxDigits;
  }

  /** Draw a, b uniformly among `digits`-digit numbers (0–9 for one digit). */
  sample(rng: Rng, options: Partial<AdditionOptions> = {}): Problem {
    const o = resolveConfig<{ digits?: number }>("scratchpadAddition.sample", { digits: undefined }, options);
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
    const w = this.config.maxDigits;
    const solution = scratchpadSolution(a, b, w, this.config.order);
    const prompt = `${String(a).padStart(w, "0")}+${String(b).padStart(w, "0")}=`;
    return {
      id: `scratchpad-addition:${a}+${b}`,
      task: this.name,
      difficulty: difficulty ?? Math.max(String(a).length, String(b).length),
      prompt: [this.vocab.bos, ...this.vocab.encode(prompt)],
      solution: [...this.vocab.encode(solution), this.vocab.eos],
      text: { prompt, solution },
      meta: { a, b, sum: a + b, reasoningLength: 3 * w },
    };
  }

  /** A(x) = {reference solution + eos}: the one response the verifier accepts. */
  acceptedResponses(problem: Problem): number[][] {
    return [[...this.vocab.untilEos(problem.solution), this.vocab.eos]];
  }

  /** 1 iff the tokens before the first eos are exactly the written carries and answer of the reference solution. */
  verify(problem: Problem, response: readonly number[]): number {
    const got = this.vocab.untilEos(response);
    const want = this.vocab.untilEos(problem.solution);
    if (got.length !== want.length) return 0;
    for (let i = 0; i < want.length; i++) if (got[i] !== want[i]) return 0;
    return 1;
  }
}
