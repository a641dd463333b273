/**
 * Divisor naming: "write a divisor d of n with 1 < d < n". A task solvable by several strategies whose success
 * depends on the problem, the regime of the NSR / PSR / W-REINFORCE comparison (arXiv 2506.01347): each small
 * prime is a strategy ("answer 3", "answer 7", "answer 11", …) that works exactly on the multiples of that prime,
 * and which one works is hard to read from the digits of n (divisibility by 3 is a digit-sum parity-like rule,
 * by 7 or 11 harder), so one set of shared weights carries every problem's choice.
 *
 * Problems: n has `digits` digits and its smallest prime factor is one of `factors`; the factor is drawn with
 * `weights` (default: each qualifying n equally likely), then n uniformly among the qualifying numbers with that
 * smallest factor. The reference solution (the SFT target) is the smallest prime factor, so a warm start learns
 * the skewed mixture of strategies (the frequent factor preferred) and, where it cannot tell the cases apart,
 * spends mass on the preferred strategy on problems where only a dispreferred one works.
 *
 * Format: prompt `<bos>n=` (n without leading zeros, `digits` digits), response the decimal digits of d (no
 * leading zero) then `<eos>`. Any nontrivial divisor is accepted, so A(x) (`acceptedResponses`) is every divisor
 * 1 < d < n. Difficulty = the smallest prime factor.
 */
import type { Rng } from "../core/rng.ts";
import { assertFiniteNumber, assertInteger, ConfigError, resolveConfig } from "../core/validate.ts";
import type { Problem, Task } from "./types.ts";
import { CharVocabulary } from "./vocab.ts";

/** Options of `DivisorTask`. */
export interface DivisorConfig {
  /** Digits of n (2–5; default 4). */
  digits: number;
  /** Allowed smallest prime factors of n, increasing primes (default [3, 7, 11]). */
  factors: number[];
  /** Probability of each smallest factor (same length as `factors`, summing to 1); null = each n equally likely. */
  weights: number[] | null;
}

/** Default `DivisorConfig`: 4-digit n with smallest prime factor 3, 7 or 11, each such n equally likely. */
export const DIVISOR_DEFAULTS: DivisorConfig = { digits: 4, factors: [3, 7, 11], weights: null };

/** The divisor vocabulary: pad/bos/eos, digits 0–9, "=". */
export const DIVISOR_VOCAB: CharVocabulary = new CharVocabulary("0123456789=");

/** Smallest prime factor of an integer n ≥ 2 (trial division). */
export function smallestPrimeFactor(n: number): number {
  assertInteger("n", n, { min: 2 });
  if (n % 2 === 0) return 2;
  for (let p = 3; p * p <= n; p += 2) if (n % p === 0) return p;
  return n;
}

/** The divisors d of n with 1 < d < n, increasing. */
export function nontrivialDivisors(n: number): number[] {
  assertInteger("n", n, { min: 1 });
  const low: number[] = [];
  const high: number[] = [];
  for (let d = 2; d * d <= n; d++) {
    if (n % d !== 0) continue;
    low.push(d);
    if (d * d !== n) high.push(n / d);
  }
  return [...low, ...high.reverse()];
}

/** Divisor naming (module doc): any d with 1 < d < n and d | n is correct; reference = smallest prime factor. */
export class DivisorTask implements Task {
  /** Family name. */
  readonly name = "divisor";
  /** Shared vocabulary (`DIVISOR_VOCAB`). */
  readonly vocab: CharVocabulary = DIVISOR_VOCAB;
  /** Resolved configuration. */
  readonly config: DivisorConfig;
  /** The qualifying n of each allowed smallest factor (same order as `config.factors`). */
  readonly pools: readonly (readonly number[])[];
  private readonly cumulative: number[];

  /** Create with `{digits, factors, weights}` (see `DIVISOR_DEFAULTS`). */
  constructor(config: Partial<DivisorConfig> = {}) {
    const c = resolveConfig("divisor", DIVISOR_DEFAULTS, config);
    assertInteger("divisor.digits", c.digits, { min: 2, max: 5 });
    if (!Array.isArray(c.factors) || c.factors.length === 0) {
      throw new ConfigError("divisor.factors", "must be a non-empty array of increasing primes", c.factors);
    }
    c.factors.forEach((f, i) => {
      assertInteger(`divisor.factors[${i}]`, f, { min: 2 });
      if (smallestPrimeFactor(f) !== f || (i > 0 && f <= c.factors[i - 1])) {
        throw new ConfigError("divisor.factors", "must be a non-empty array of increasing primes", c.factors);
      }
    });
    const lo = 10 ** (c.digits - 1);
    const hi = 10 ** c.digits;
    const pools = c.factors.map(() => [] as number[]);
    for (let n = Math.max(lo, 4); n < hi; n++) {
      const f = smallestPrimeFactor(n);
      const i = c.factors.indexOf(f);
      if (i >= 0 && f < n) pools[i].push(n);
    }
    pools.forEach((p, i) => {
      if (p.length === 0) {
        throw new ConfigError(
          "divisor.factors",
          `no ${c.digits}-digit composite has smallest prime factor ${c.factors[i]}`,
          c.factors,
        );
      }
    });
    let weights: number[];
    if (c.weights === null) {
      const total = pools.reduce((s, p) => s + p.length, 0);
      weights = pools.map((p) => p.length / total);
    } else {
      if (!Array.isArray(c.weights) || c.weights.length !== c.factors.length) {
        throw new ConfigError("divisor.weights", "must be null or one probability per factor", c.weights);
      }
      c.weights.forEach((w, i) => assertFiniteNumber(`divisor.weights[${i}]`, w, { min: 0, max: 1 }));
      const s = c.weights.reduce((a, b) => a + b, 0);
      if (Math.abs(s - 1) > 1e-9) throw new ConfigError("divisor.weights", "must sum to 1", c.weights);
      weights = c.weights;
    }
    let acc = 0;
    this.cumulative = weights.map((w) => (acc += w));
    this.config = c;
    this.pools = pools;
  }

  /** bos + n + "=" + up to `digits` answer digits + eos: 2·digits + 3. */
  get maxSequenceLength(): number {
    return 2 * this.config.digits + 3;
  }

  /** Probability that a drawn problem's smallest prime factor is each of `config.factors` (in order). */
  get factorWeights(): number[] {
    return this.cumulative.map((c, i) => c - (i > 0 ? this.cumulative[i - 1] : 0));
  }

  /** Draw the smallest factor by `weights`, then n uniformly among its pool. */
  sample(rng: Rng): Problem {
    const u = rng.uniform();
    let i = this.cumulative.findIndex((c) => u < c);
    if (i < 0) i = this.cumulative.length - 1;
    const pool = this.pools[i];
    return this.problem(pool[rng.int(pool.length)]);
  }

  /** The problem for a composite n (reference answer: its smallest prime factor). */
  problem(n: number): Problem {
    assertInteger("n", n, { min: 4 });
    const spf = smallestPrimeFactor(n);
    if (spf === n) throw new ConfigError("n", "must be composite (a prime has no divisor 1 < d < n)", n);
    const answer = String(spf);
    return {
      id: `divisor:${n}`,
      task: this.name,
      difficulty: spf,
      prompt: [this.vocab.bos, ...this.vocab.encode(`${n}=`)],
      solution: [...this.vocab.encode(answer), this.vocab.eos],
      text: { prompt: `${n}=`, solution: answer },
      meta: { n, smallestFactor: spf },
    };
  }

  /** A(x): every divisor 1 < d < n as decimal digits + eos, increasing in d. */
  acceptedResponses(problem: Problem): number[][] {
    const n = problem.meta!.n as number;
    return nontrivialDivisors(n).map((d) => [...this.vocab.encode(String(d)), this.vocab.eos]);
  }

  /** 1 iff the tokens before the first eos are a decimal d without leading zero with 1 < d < n and d | n. */
  verify(problem: Problem, response: readonly number[]): number {
    const n = problem.meta!.n as number;
    const text = this.vocab.decode(this.vocab.untilEos(response));
    if (!/^[1-9][0-9]*$/.test(text)) return 0;
    const d = Number(text);
    return d > 1 && d < n && n % d === 0 ? 1 : 0;
  }
}
