/**
 * Digit permutation: "write the prompt's digits in any order". A task with MANY valid answers per prompt, for
 * measuring the diversity of correct solutions (pass@k at large k, distinct correct answers): a prompt of n digits
 * with digit multiplicities m_0, …, m_9 has n! / ∏_d m_d! correct answers (the multinomial coefficient).
 *
 * Format: prompt `<bos>d₁…dₙ=`, response any rearrangement of d₁…dₙ, then `<eos>`. The reference solution (the SFT
 * target) is ONE of them, the digits in ascending order, so a warm start fitted to it covers one valid answer per
 * prompt; the others are left for RL to find. Difficulty = n.
 */
import type { Rng } from "../core/rng.ts";
import { assertInteger, resolveConfig } from "../core/validate.ts";
import type { Problem, Task } from "./types.ts";
import { CharVocabulary } from "./vocab.ts";

/** Options of `PermutationTask`. */
export interface PermutationConfig {
  /** Smallest number of prompt digits drawn when `sample` gets no `digits` (default 3). */
  minDigits: number;
  /** Largest number of prompt digits (sizes `maxSequenceLength`; default 4). */
  maxDigits: number;
  /** Digits are drawn uniformly from 0 … base − 1 (default 10). */
  base: number;
}

/** Per-problem options of `PermutationTask.sample`. */
export interface PermutationOptions {
  /** Number of prompt digits n; default uniform in [minDigits, maxDigits]. */
  digits: number;
}

/** Default `PermutationConfig`: 3–4 digits from 0–9. */
export const PERMUTATION_DEFAULTS: PermutationConfig = { minDigits: 3, maxDigits: 4, base: 10 };

/** The permutation vocabulary: pad/bos/eos, digits 0–9, "=". */
export const PERMUTATION_VOCAB: CharVocabulary = new CharVocabulary("0123456789=");

/** Number of distinct rearrangements of a digit string: n! / ∏_d m_d! (m_d = count of digit d). */
export function permutationCount(digits: string): number {
  const counts = new Map<string, number>();
  for (const c of digits) counts.set(c, (counts.get(c) ?? 0) + 1);
  let out = 1;
  let k = 0;
  for (const m of counts.values()) {
    for (let i = 1; i <= m; i++) out = (out * ++k) / i; // running multinomial, exact in integers
  }
  return Math.round(out);
}

/** Digit permutation task (module doc): any rearrangement of the prompt's digits is correct. */
export class PermutationTask implements Task<PermutationOptions> {
  /** Family name. */
  readonly name = "permutation";
  /** Shared vocabulary (`PERMUTATION_VOCAB`). */
  readonly vocab: CharVocabulary = PERMUTATION_VOCAB;
  /** Resolved configuration. */
  readonly config: PermutationConfig;

  /** Create with `{minDigits, maxDigits, base}` (see `PERMUTATION_DEFAULTS`). */
  constructor(config: Partial<PermutationConfig> = {}) {
    const c = resolveConfig("permutation", PERMUTATION_DEFAULTS, config);
    assertInteger("permutation.minDigits", c.minDigits, { min: 1, max: 9 });
    assertInteger("permutation.maxDigits", c.maxDigits, { min: c.minDigits, max: 9 });
    assertInteger("permutation.base", c.base, { min: 2, max: 10 });
    this.config = c;
  }

  /** bos + n digits + "=" + n digits + eos at n = maxDigits: 2n + 3. */
  get maxSequenceLength(): number {
    return 2 * this.config.maxDigits + 3;
  }

  /** Draw n digits uniformly (with repetition) from 0 … base − 1. */
  sample(rng: Rng, options: Partial<PermutationOptions> = {}): Problem {
    const o = resolveConfig<{ digits?: number }>("permutation.sample", { digits: undefined }, options);
    const { minDigits, maxDigits, base } = this.config;
    const n = o.digits ?? minDigits + rng.int(maxDigits - minDigits + 1);
    assertInteger("digits", n, { min: 1, max: maxDigits });
    return this.problem(Array.from({ length: n }, () => String(rng.int(base))).join(""));
  }

  /** The problem for a digit string, e.g. "3141" (reference answer: the digits sorted ascending, "1134"). */
  problem(digits: string): Problem {
    assertInteger("digits.length", digits.length, { min: 1, max: this.config.maxDigits });
    const answer = Array.from(digits).sort().join("");
    return {
      id: `permutation:${digits}`,
      task: this.name,
      difficulty: digits.length,
      prompt: [this.vocab.bos, ...this.vocab.encode(`${digits}=`)],
      solution: [...this.vocab.encode(answer), this.vocab.eos],
      text: { prompt: `${digits}=`, solution: answer },
      meta: { digits, answers: permutationCount(digits) },
    };
  }

  /** A(x): every distinct rearrangement of the prompt's digits + eos, in lexicographic order (n!/∏_d m_d! of them). */
  acceptedResponses(problem: Problem): number[][] {
    const digits = this.vocab.encode(String(problem.meta!.digits)).sort((a, b) => a - b);
    const out: number[][] = [];
    const used = new Array<boolean>(digits.length).fill(false);
    const prefix: number[] = [];
    const walk = () => {
      if (prefix.length === digits.length) {
        out.push([...prefix, this.vocab.eos]);
        return;
      }
      for (let i = 0; i < digits.length; i++) {
        // equal digits are interchangeable: take the first unused copy only
        if (used[i] || (i > 0 && digits[i] === digits[i - 1] && !used[i - 1])) continue;
        used[i] = true;
        prefix.push(digits[i]);
        walk();
        prefix.pop();
        used[i] = false;
      }
    };
    walk();
    return out;
  }

  /** 1 iff the tokens before the first eos are a rearrangement of the prompt's digits (same multiset). */
  verify(problem: Problem, response: readonly number[]): number {
    const want = this.vocab.encode(String(problem.meta!.digits)).sort((a, b) => a - b);
    const got = this.vocab.untilEos(response).sort((a, b) => a - b);
    return got.length === want.length && got.every((t, i) => t === want[i]) ? 1 : 0;
  }
}
